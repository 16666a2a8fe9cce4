"""The Swedish calendar of working days: public holidays, the three "afton" days, and the hours
an employee is scheduled to work on a day.

- **Public holidays** (lag (1989:253) om allmänna helgdagar): nyårsdagen, trettondedag jul,
  långfredagen, påskdagen, annandag påsk, första maj, Kristi himmelfärdsdag, pingstdagen,
  nationaldagen, midsommardagen (the Saturday 20-26 June), alla helgons dag (the Saturday
  31 October-6 November), juldagen and annandag jul. Easter by the Gregorian computus.
- **Afton days**: midsommarafton, julafton and nyårsafton are not public holidays by law, but
  semesterlagen (3 §) does not count them as vacation days and they are days off in practice.
  Here they count as days off like the holidays (`is_public_holiday`), named as aftons.
- **Scheduled hours**: the employee's weekly schedule, else the employment extent x the normal
  day (8 h) Monday to Friday; never on a holiday or an afton.
- **Vacation days** (semesterlagen 3 §): the employee's working days, never a Sunday, a public
  holiday or an afton.

Pure and cached per year; valid for the Gregorian years 1583-9999.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Final

NORMAL_DAY_HOURS: Final = Decimal("8.00")  # a full-time day without a schedule
FULL_TIME: Final = Decimal(100)  # percent
SUNDAY: Final = 6
FIRST_GREGORIAN_YEAR: Final = 1583
_HOURS: Final = Decimal("0.01")
_NO_HOURS: Final = Decimal("0.00")

# The names, as the law and the calendar write them.
NYARSDAGEN = "Nyårsdagen"
TRETTONDEDAG_JUL = "Trettondedag jul"
LANGFREDAGEN = "Långfredagen"
PASKDAGEN = "Påskdagen"
ANNANDAG_PASK = "Annandag påsk"
FORSTA_MAJ = "Första maj"
KRISTI_HIMMELFARDSDAG = "Kristi himmelfärdsdag"
PINGSTDAGEN = "Pingstdagen"
NATIONALDAGEN = "Sveriges nationaldag"
MIDSOMMARDAGEN = "Midsommardagen"
ALLA_HELGONS_DAG = "Alla helgons dag"
JULDAGEN = "Juldagen"
ANNANDAG_JUL = "Annandag jul"
MIDSOMMARAFTON = "Midsommarafton"
JULAFTON = "Julafton"
NYARSAFTON = "Nyårsafton"
AFTONS: Final = frozenset({MIDSOMMARAFTON, JULAFTON, NYARSAFTON})
NAME_SEPARATOR = " / "  # two days on one date (e.g. Kristi himmelfärdsdag on 1 May 2008)


def easter_sunday(year: int) -> date:
    """Påskdagen: the Gregorian computus (the anonymous algorithm of Meeus/Jones/Butcher)."""
    _check_year(year)
    golden = year % 19
    century, in_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century - (century + 8) // 25 + 1) // 3
    epact = (19 * golden + century - leap_centuries - moon_correction + 15) % 30
    leap_years, year_rest = divmod(in_century, 4)
    to_sunday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    shift = (golden + 11 * epact + 22 * to_sunday) // 451
    month, day = divmod(epact + to_sunday - 7 * shift + 114, 31)
    return date(year, month, day + 1)


def _check_year(year: int) -> None:
    if not FIRST_GREGORIAN_YEAR <= year <= 9999:
        raise ValueError(f"the Swedish calendar is computed for 1583-9999, not {year}")


def _saturday_from(first: date) -> date:
    """The Saturday of the seven days from `first`."""
    return first + timedelta(days=(5 - first.weekday()) % 7)


def _named_days(year: int) -> list[tuple[date, str]]:
    easter = easter_sunday(year)
    midsommardagen = _saturday_from(date(year, 6, 20))
    return [
        (date(year, 1, 1), NYARSDAGEN),
        (date(year, 1, 6), TRETTONDEDAG_JUL),
        (easter - timedelta(days=2), LANGFREDAGEN),
        (easter, PASKDAGEN),
        (easter + timedelta(days=1), ANNANDAG_PASK),
        (date(year, 5, 1), FORSTA_MAJ),
        (easter + timedelta(days=39), KRISTI_HIMMELFARDSDAG),
        (easter + timedelta(days=49), PINGSTDAGEN),
        (date(year, 6, 6), NATIONALDAGEN),
        (midsommardagen - timedelta(days=1), MIDSOMMARAFTON),
        (midsommardagen, MIDSOMMARDAGEN),
        (_saturday_from(date(year, 10, 31)), ALLA_HELGONS_DAG),
        (date(year, 12, 24), JULAFTON),
        (date(year, 12, 25), JULDAGEN),
        (date(year, 12, 26), ANNANDAG_JUL),
        (date(year, 12, 31), NYARSAFTON),
    ]


@lru_cache(maxsize=64)
def _days_off(year: int) -> MappingProxyType[date, str]:
    named: dict[date, str] = {}
    for day, name in sorted(_named_days(year)):
        named[day] = f"{named[day]}{NAME_SEPARATOR}{name}" if day in named else name
    return MappingProxyType(named)


def public_holidays(year: int) -> dict[date, str]:
    """The year's days off by date: the public holidays and the three aftons (midsommarafton,
    julafton, nyårsafton), each with its Swedish name (two on one date: both names, joined by
    " / "). A new dict, in date order."""
    _check_year(year)
    return dict(_days_off(year))


def holiday_name(day: date) -> str | None:
    """The name of the public holiday or afton on `day`, or None."""
    return _days_off(day.year).get(day)


def is_public_holiday(day: date) -> bool:
    """Whether `day` is a public holiday or one of the aftons (midsommarafton, julafton,
    nyårsafton): a day off, not a working day, whatever the schedule says."""
    return day in _days_off(day.year)


def is_afton(day: date) -> bool:
    """Whether `day` is midsommarafton, julafton or nyårsafton (days off, not holidays by law)."""
    name = holiday_name(day)
    return name is not None and any(part in AFTONS for part in name.split(NAME_SEPARATOR))


def scheduled_hours(
    day: date, week_hours: Sequence[Decimal] | None, employment_extent: Decimal | None
) -> Decimal:
    """The hours the employee is scheduled to work on `day`: 0 on a public holiday or afton;
    else the schedule's hours of the weekday (`week_hours`, Monday first), or, without a
    schedule, the employment extent (percent; none: full time) x NORMAL_DAY_HOURS Monday to
    Friday, to two decimals."""
    if is_public_holiday(day):
        return _NO_HOURS
    if week_hours is not None:
        return week_hours[day.weekday()]
    if day.weekday() >= 5:
        return _NO_HOURS
    extent = FULL_TIME if employment_extent is None else employment_extent
    return (NORMAL_DAY_HOURS * extent / FULL_TIME).quantize(_HOURS, rounding=ROUND_HALF_UP)


def is_working_day(
    day: date, week_hours: Sequence[Decimal] | None, employment_extent: Decimal | None = None
) -> bool:
    """Whether the employee is scheduled to work on `day` (`scheduled_hours` above 0)."""
    return scheduled_hours(day, week_hours, employment_extent) > 0


def days_between(start: date, end: date) -> Iterator[date]:
    """Every day from `start` to `end`, both included."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def vacation_days(
    start: date,
    end: date,
    week_hours: Sequence[Decimal] | None = None,
    employment_extent: Decimal | None = None,
) -> tuple[date, ...]:
    """The vacation days (semesterdagar) of a vacation from `start` to `end`: the days the
    employee is scheduled to work (a schedule, else Monday to Friday), never a Sunday, a public
    holiday, midsommarafton, julafton or nyårsafton (semesterlagen 3 §)."""
    return tuple(
        day
        for day in days_between(start, end)
        if day.weekday() != SUNDAY and is_working_day(day, week_hours, employment_extent)
    )
