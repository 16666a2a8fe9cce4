"""Time codes: the company's own codes, each mapped to a PAXml time code and a pay type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as ClockTime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from gql_portal.domain.paytypes import TIDKOD


class TimeCodeKind(StrEnum):
    """What reported time is, which decides how the payroll basis carries it (domain/payroll.py):
    normal WORK follows the salary form; the deviations go out as their PAXml code with hours."""

    WORK = "WORK"  # worked time (PAXml ARB/TID, or another presence code such as NV1, RE1)
    OVERTIME = "OVERTIME"  # övertid: ÖT1-ÖT5 (paid) or ÖK1-ÖK5 (comp time)
    ADDED_TIME = "ADDED_TIME"  # mertid: a part-timer's hours beyond the schedule, MER
    OB = "OB"  # obekväm arbetstid: OB1-OB5, a supplement on top of the hours worked
    ON_CALL = "ON_CALL"  # jour JR1-JR3, beredskap BE1-BE3
    ABSENCE = "ABSENCE"  # sick, vacation, VAB, parental leave, leave of absence


class Unit(StrEnum):
    HOURS = "HOURS"
    DAYS = "DAYS"
    KILOMETRES = "KILOMETRES"  # mileage of bases frozen before mil (kept as they were)
    MIL = "MIL"  # a Swedish mil, 10 km: what mileage is paid by
    PIECES = "PIECES"


# The time codes of PAXml 2.0 (tidkodTYPE in paxml-2.0.xsd): what a time code may map to.
PAXML_TIME_CODES = TIDKOD


@dataclass(frozen=True)
class DefaultTimeCode:
    code: str
    name: str
    kind: TimeCodeKind
    paxml_code: str
    pay_type: str
    unit: Unit


# Sensible Swedish defaults every new company starts with; admins change and add to them.
DEFAULT_TIME_CODES: tuple[DefaultTimeCode, ...] = (
    DefaultTimeCode("ARB", "Arbetad tid", TimeCodeKind.WORK, "ARB", "100", Unit.HOURS),
    DefaultTimeCode("MER", "Mertid", TimeCodeKind.ADDED_TIME, "MER", "120", Unit.HOURS),
    DefaultTimeCode("OT1", "Övertid enkel", TimeCodeKind.OVERTIME, "ÖT1", "310", Unit.HOURS),
    DefaultTimeCode("OT2", "Övertid kvalificerad", TimeCodeKind.OVERTIME, "ÖT2", "320", Unit.HOURS),
    DefaultTimeCode("SJK", "Sjukfrånvaro", TimeCodeKind.ABSENCE, "SJK", "410", Unit.HOURS),
    DefaultTimeCode("VAB", "Vård av barn", TimeCodeKind.ABSENCE, "VAB", "420", Unit.HOURS),
    DefaultTimeCode("FPE", "Föräldraledighet", TimeCodeKind.ABSENCE, "FPE", "430", Unit.HOURS),
    DefaultTimeCode("TJL", "Tjänstledighet", TimeCodeKind.ABSENCE, "TJL", "440", Unit.HOURS),
    DefaultTimeCode("SEM", "Semester", TimeCodeKind.ABSENCE, "SEM", "510", Unit.DAYS),
)


def week_start(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


# --- reporting time -------------------------------------------------------------------------

MAX_HOURS_PER_DAY = Decimal(24)
HOURS_PLACES = Decimal("0.01")


def hours_problem(hours: Decimal, *, allow_zero: bool = False) -> tuple[str, str] | None:
    """Why `hours` cannot be a day's hours (reason, message), or None when it can.

    Above 0 (or from 0 with `allow_zero`, e.g. a schedule's day off), at most 24, two decimals.
    """
    if not hours.is_finite():
        return "INVALID_NUMBER", "must be a number of hours"
    low_ok = hours >= 0 if allow_zero else hours > 0
    if not low_ok or hours > MAX_HOURS_PER_DAY:
        lowest = "0" if allow_zero else "above 0"
        return "OUT_OF_RANGE", f"must be {lowest} and at most 24 hours"
    if hours != hours.quantize(HOURS_PLACES):
        return "TOO_MANY_DECIMALS", "has at most two decimals (e.g. 7.75)"
    return None


def is_week_start(day: date) -> bool:
    """Weeks are ISO weeks: they start on a Monday."""
    return day.weekday() == 0


def week_end(monday: date) -> date:
    """The Sunday of the ISO week starting on `monday`."""
    return monday + timedelta(days=6)


# --- clock times ----------------------------------------------------------------------------
#
# A time entry may say when the work was done: a start and an end time on the entry's day
# (local wall-clock time, Europe/Stockholm) and a break in minutes. An end at or before the start
# is on the next day (a night shift). Lengths are wall-clock: on the night clocks go forward a
# shift from 22:00 to 06:00 is 8 hours long, as the employee reads it off the clock (and as
# the OB windows, also wall-clock, cut it: gql_portal.domain.ob).

MINUTE = timedelta(minutes=1)
MINUTES_PER_HOUR = 60


def shift_bounds(day: date, start: ClockTime, end: ClockTime) -> tuple[datetime, datetime]:
    """The wall-clock start and end of a shift on `day` (naive local datetimes): an end at or
    before the start is on the next day."""
    begins = datetime.combine(day, start)
    ends = datetime.combine(day, end)
    if ends <= begins:
        ends += timedelta(days=1)
    return begins, ends


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole wall-clock minutes from `start` to `end` (naive local datetimes)."""
    return (end - start) // MINUTE


def hours_of_minutes(minutes: int) -> Decimal:
    """Minutes as hours with two decimals (half up: 20 minutes are 0.33 h, 40 are 0.67 h)."""
    return (Decimal(minutes) / MINUTES_PER_HOUR).quantize(HOURS_PLACES, ROUND_HALF_UP)


def clock_hours(day: date, start: ClockTime, end: ClockTime, break_minutes: int) -> Decimal:
    """The hours a shift is worth: end - start - break, two decimals."""
    begins, ends = shift_bounds(day, start, end)
    return hours_of_minutes(minutes_between(begins, ends) - break_minutes)


@dataclass(frozen=True)
class ClockProblem:
    """Why clock times (or the hours beside them) cannot be stored: the input field named as
    the API spells it, a machine-readable reason and a sentence."""

    field: str
    reason: str
    message: str


@dataclass(frozen=True)
class ClockCheck:
    """Checked clock times: the values to store (None for an entry without clock times), the
    hours the entry gets, and what is wrong."""

    start: ClockTime | None
    end: ClockTime | None
    break_minutes: int | None
    hours: Decimal | None
    problems: tuple[ClockProblem, ...]


def _whole_minute(value: ClockTime) -> bool:
    return value.second == 0 and value.microsecond == 0 and value.tzinfo is None


def _clock_problems(
    start: ClockTime | None, end: ClockTime | None, break_minutes: int | None
) -> list[ClockProblem]:
    """What is wrong with the clock times by themselves."""
    problems: list[ClockProblem] = []
    if start is None and end is None:
        if break_minutes:
            problems.append(
                ClockProblem(
                    "breakMinutes", "NEEDS_CLOCK_TIMES", "a break needs the start and end times"
                )
            )
        return problems
    for name, value in (("startTime", start), ("endTime", end)):
        if value is None:
            problems.append(ClockProblem(name, "REQUIRED", "give both the start and the end time"))
        elif not _whole_minute(value):
            problems.append(
                ClockProblem(name, "WHOLE_MINUTES", 'is a local time in whole minutes: "07:30"')
            )
    if start is not None and end is not None and start == end:
        problems.append(
            ClockProblem(
                "endTime",
                "SAME_AS_START",
                "must differ from the start time (an end before the start is the next day)",
            )
        )
    if break_minutes is not None and break_minutes < 0:
        problems.append(ClockProblem("breakMinutes", "OUT_OF_RANGE", "must be 0 or more"))
    return problems


def check_clock_times(
    day: date,
    start: ClockTime | None,
    end: ClockTime | None,
    break_minutes: int | None,
    hours: Decimal | None,
) -> ClockCheck:
    """Clock times of an entry on `day`, with the entry's hours (None: not given).

    Without clock times, the hours are as given. With them, the hours are end - start - break:
    left out, they are computed; given, they must be exactly that (HOURS_MISMATCH otherwise).
    The break must leave some time worked. The computed hours still pass `hours_problem`."""
    problems = _clock_problems(start, end, break_minutes)
    if problems or start is None or end is None:
        return ClockCheck(None, None, None, hours, tuple(problems))
    breaks = break_minutes or 0
    begins, ends = shift_bounds(day, start, end)
    length = minutes_between(begins, ends)
    if breaks >= length:
        problem = ClockProblem(
            "breakMinutes", "LONGER_THAN_SHIFT", f"must be shorter than the shift ({length} min)"
        )
        return ClockCheck(None, None, None, hours, (problem,))
    worked = hours_of_minutes(length - breaks)
    if hours is not None and hours != worked:
        span = f"{start:%H:%M}-{end:%H:%M}" + (f" less a {breaks}-minute break" if breaks else "")
        problem = ClockProblem(
            "hours",
            "HOURS_MISMATCH",
            f"are {hours} but {span} is {worked} hours: correct either, or leave the hours out",
        )
        return ClockCheck(start, end, breaks, hours, (problem,))
    return ClockCheck(start, end, breaks, worked, ())
