"""The Swedish calendar: public holidays, the aftons, scheduled hours and vacation days."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gql_portal.domain.calendar import (
    NAME_SEPARATOR,
    NORMAL_DAY_HOURS,
    easter_sunday,
    holiday_name,
    is_afton,
    is_public_holiday,
    public_holidays,
    scheduled_hours,
    vacation_days,
)

# Påskdagen, from the Swedish almanac.
EASTER = {
    2024: date(2024, 3, 31),
    2025: date(2025, 4, 20),
    2026: date(2026, 4, 5),
    2027: date(2027, 3, 28),
    2028: date(2028, 4, 16),
    2029: date(2029, 4, 1),
    2030: date(2030, 4, 21),
    # the edges of the computus: earliest and latest possible Easter
    1818: date(1818, 3, 22),
    2285: date(2285, 3, 22),
    1943: date(1943, 4, 25),
    2038: date(2038, 4, 25),
}

HOLIDAYS_2026 = {
    date(2026, 1, 1): "Nyårsdagen",
    date(2026, 1, 6): "Trettondedag jul",
    date(2026, 4, 3): "Långfredagen",
    date(2026, 4, 5): "Påskdagen",
    date(2026, 4, 6): "Annandag påsk",
    date(2026, 5, 1): "Första maj",
    date(2026, 5, 14): "Kristi himmelfärdsdag",
    date(2026, 5, 24): "Pingstdagen",
    date(2026, 6, 6): "Sveriges nationaldag",
    date(2026, 6, 19): "Midsommarafton",
    date(2026, 6, 20): "Midsommardagen",
    date(2026, 10, 31): "Alla helgons dag",
    date(2026, 12, 24): "Julafton",
    date(2026, 12, 25): "Juldagen",
    date(2026, 12, 26): "Annandag jul",
    date(2026, 12, 31): "Nyårsafton",
}

# (midsommardagen, alla helgons dag) from the almanac
SATURDAYS = {
    2024: (date(2024, 6, 22), date(2024, 11, 2)),
    2025: (date(2025, 6, 21), date(2025, 11, 1)),
    2027: (date(2027, 6, 26), date(2027, 11, 6)),
    2028: (date(2028, 6, 24), date(2028, 11, 4)),
    2029: (date(2029, 6, 23), date(2029, 11, 3)),
    2030: (date(2030, 6, 22), date(2030, 11, 2)),
}

FULL_WEEK = tuple(Decimal(h) for h in ("8", "8", "8", "8", "8", "0", "0"))
YEARS = st.integers(1583, 9999)


@pytest.mark.parametrize("year", sorted(EASTER))
def test_easter_sunday_is_the_almanacs(year: int) -> None:
    assert easter_sunday(year) == EASTER[year]


def test_the_days_off_of_2026_are_the_almanacs() -> None:
    assert public_holidays(2026) == HOLIDAYS_2026


@pytest.mark.parametrize("year", sorted(SATURDAYS))
def test_midsommardagen_and_alla_helgons_dag_are_the_almanacs_saturdays(year: int) -> None:
    midsommardagen, alla_helgons = SATURDAYS[year]
    holidays = public_holidays(year)
    assert holidays[midsommardagen] == "Midsommardagen"
    assert holidays[midsommardagen - timedelta(days=1)] == "Midsommarafton"
    assert holidays[alla_helgons] == "Alla helgons dag"


@pytest.mark.parametrize("year", range(2024, 2031))
def test_the_easter_dependent_days(year: int) -> None:
    easter = EASTER[year]
    holidays = public_holidays(year)
    assert holidays[easter - timedelta(days=2)] == "Långfredagen"
    assert holidays[easter + timedelta(days=1)] == "Annandag påsk"
    ascension = easter + timedelta(days=39)
    assert ascension.weekday() == 3 and "Kristi himmelfärdsdag" in holidays[ascension]


def test_the_aftons_are_days_off_named_as_aftons() -> None:
    for day in (date(2026, 6, 19), date(2026, 12, 24), date(2026, 12, 31)):
        assert is_public_holiday(day) and is_afton(day)
        assert (holiday_name(day) or "").endswith("afton")
    assert not is_afton(date(2026, 12, 25)) and is_public_holiday(date(2026, 12, 25))
    assert not is_public_holiday(date(2026, 12, 23)) and holiday_name(date(2026, 12, 23)) is None


def test_two_days_on_one_date_keep_both_names() -> None:
    # Kristi himmelfärdsdag fell on 1 May in 2008.
    assert public_holidays(2008)[date(2008, 5, 1)] == "Första maj / Kristi himmelfärdsdag"


@given(YEARS)
def test_every_year_has_its_sixteen_days_off(year: int) -> None:
    holidays = public_holidays(year)
    names = [name for joined in holidays.values() for name in joined.split(NAME_SEPARATOR)]
    assert len(names) == 16 and len(set(names)) == 16
    assert sum(1 for name in names if name.endswith("afton")) == 3
    assert all(day.year == year for day in holidays)
    assert list(holidays) == sorted(holidays)


@given(YEARS)
def test_easter_is_a_sunday_from_22_march_to_25_april(year: int) -> None:
    easter = easter_sunday(year)
    assert easter.weekday() == 6
    assert date(year, 3, 22) <= easter <= date(year, 4, 25)


@given(YEARS)
def test_the_movable_days_fall_on_their_weekdays(year: int) -> None:
    by_name = {
        name: day
        for day, joined in public_holidays(year).items()
        for name in joined.split(NAME_SEPARATOR)
    }
    assert by_name["Långfredagen"].weekday() == 4
    assert by_name["Annandag påsk"].weekday() == 0
    assert by_name["Kristi himmelfärdsdag"].weekday() == 3
    assert by_name["Pingstdagen"].weekday() == 6
    assert by_name["Midsommarafton"].weekday() == 4
    assert date(year, 6, 20) <= by_name["Midsommardagen"] <= date(year, 6, 26)
    assert by_name["Midsommardagen"].weekday() == 5
    assert date(year, 10, 31) <= by_name["Alla helgons dag"] <= date(year, 11, 6)
    assert by_name["Alla helgons dag"].weekday() == 5


def test_years_outside_the_gregorian_calendar_are_refused() -> None:
    with pytest.raises(ValueError):
        public_holidays(1582)


def test_scheduled_hours_follow_the_schedule_but_never_on_a_day_off() -> None:
    schedule = tuple(Decimal(h) for h in ("6", "6", "0", "6", "6", "4", "0"))
    assert scheduled_hours(date(2026, 3, 2), schedule, Decimal(50)) == Decimal(6)  # a Monday
    assert scheduled_hours(date(2026, 3, 4), schedule, None) == 0  # Wednesday: not scheduled
    assert scheduled_hours(date(2026, 3, 7), schedule, None) == Decimal(4)  # Saturday
    assert scheduled_hours(date(2026, 12, 24), schedule, None) == 0  # julafton, a Thursday
    assert scheduled_hours(date(2026, 4, 6), schedule, None) == 0  # annandag påsk, a Monday


def test_without_a_schedule_the_extent_of_the_normal_day_monday_to_friday() -> None:
    monday, saturday = date(2026, 3, 2), date(2026, 3, 7)
    assert scheduled_hours(monday, None, None) == NORMAL_DAY_HOURS == Decimal("8.00")
    assert scheduled_hours(monday, None, Decimal(50)) == Decimal("4.00")
    assert scheduled_hours(monday, None, Decimal("33.33")) == Decimal("2.67")
    assert scheduled_hours(saturday, None, None) == 0
    assert scheduled_hours(date(2026, 5, 1), None, None) == 0  # första maj, a Friday


def test_vacation_across_christmas_counts_no_holiday_afton_or_weekend() -> None:
    days = vacation_days(date(2026, 12, 21), date(2027, 1, 8), FULL_WEEK)
    assert days == (
        date(2026, 12, 21),
        date(2026, 12, 22),
        date(2026, 12, 23),
        # 24 (julafton), 25 (juldagen), 26 (annandag jul), 27 (a Sunday): none
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        # 31 (nyårsafton), 1 January (nyårsdagen): none
        date(2027, 1, 4),
        date(2027, 1, 5),
        # 6 January (trettondedag jul): none
        date(2027, 1, 7),
        date(2027, 1, 8),
    )


def test_a_sunday_is_never_a_vacation_day_even_when_scheduled() -> None:
    every_day = (Decimal(8),) * 7
    week = vacation_days(date(2026, 3, 2), date(2026, 3, 8), every_day)
    assert len(week) == 6 and date(2026, 3, 8) not in week  # the Saturday counts, the Sunday not
