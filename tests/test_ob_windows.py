"""OB windows: the pure split of a shift by the company's windows (domain/ob.py), and the
company's windows through the API (SETTINGS: admins and FULL partners inside the company)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import time as ClockTime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.ob import ObWindow as ObWindowRow
from gql_portal.domain.ob import (
    COMMON_PRESET,
    FRIDAY,
    MONDAY,
    OB_CODES,
    SATURDAY,
    SUNDAY,
    ObWindow,
    minutes_by_code,
    overtime_hours,
    split_by_windows,
    weekday_mask,
    weekdays_of_mask,
    window_problems,
)
from gql_portal.domain.time import hours_of_minutes, minutes_between
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory

# 2026-03-02 is a Monday; 2026-05-01 (Första maj) a Friday; 2026-03-29 the night clocks go
# forward (02:00 -> 03:00), 2026-10-25 the night they go back (03:00 -> 02:00).
MON, TUE, FRI, SAT, SUN = (date(2026, 3, day) for day in (2, 3, 6, 7, 8))
MAY_DAY = date(2026, 5, 1)
WEEKDAYS = frozenset(range(5))
EVERY_DAY = frozenset(range(7))


def at(day: date, clock: str) -> datetime:
    return datetime.combine(day, ClockTime.fromisoformat(clock))


def window(
    code: str, days: frozenset[int], start: str, end: str, holidays: bool = False
) -> ObWindow:
    return ObWindow(
        code, days, holidays, ClockTime.fromisoformat(start), ClockTime.fromisoformat(end)
    )


def no_holidays(day: date) -> bool:
    return False


def may_day_only(day: date) -> bool:  # a stub calendar: the unit tests say which days are off
    return day == MAY_DAY


def split(start: datetime, end: datetime, break_minutes: int = 0, **kwargs: Any) -> dict[str, str]:
    windows = kwargs.get("windows", COMMON_PRESET)
    is_holiday = kwargs.get("is_holiday", no_holidays)
    hours = split_by_windows(start, end, break_minutes, windows, is_holiday)
    return {code: str(value) for code, value in hours.items()}


# --- the common preset, shift by shift ----------------------------------------------------------


def test_a_company_without_windows_has_no_ob() -> None:
    assert split(at(SAT, "00:00"), at(SUN, "00:00"), windows=()) == {}


def test_a_day_shift_on_a_weekday_has_no_ob() -> None:
    assert split(at(MON, "07:00"), at(MON, "16:00"), 60) == {}


def test_a_weekday_evening_is_ob1_until_22_then_ob2() -> None:
    assert split(at(MON, "14:00"), at(MON, "23:00")) == {"OB1": "4.00", "OB2": "1.00"}


def test_a_weekday_night_is_ob2_across_midnight() -> None:
    assert split(at(MON, "22:00"), at(TUE, "06:00")) == {"OB2": "8.00"}
    assert split(at(MON, "21:00"), at(TUE, "07:00")) == {"OB1": "1.00", "OB2": "8.00"}


def test_the_weekend_runs_from_friday_18_to_monday_06_as_ob3() -> None:
    # Friday night would be OB2 too: the higher code wins where windows overlap.
    assert split(at(FRI, "16:00"), at(SAT, "02:00")) == {"OB3": "8.00"}
    assert split(at(SAT, "08:00"), at(SAT, "17:00")) == {"OB3": "9.00"}
    assert split(at(SUN, "22:00"), at(SUN + timedelta(days=1), "07:00")) == {"OB3": "8.00"}


def test_a_public_holiday_is_ob4_all_day_even_on_a_weekday_evening() -> None:
    assert split(at(MAY_DAY, "08:00"), at(MAY_DAY, "17:00"), is_holiday=may_day_only) == {
        "OB4": "9.00"
    }
    # 16-20 on a Friday holiday: OB4 beats OB1 (18-22) and OB3 (Friday from 18).
    assert split(at(MAY_DAY, "16:00"), at(MAY_DAY, "20:00"), is_holiday=may_day_only) == {
        "OB4": "4.00"
    }
    # The holiday window ends at midnight: the night after is the weekend's OB3 again.
    assert split(
        at(MAY_DAY, "22:00"), at(MAY_DAY + timedelta(days=1), "02:00"), is_holiday=may_day_only
    ) == {
        "OB3": "2.00",
        "OB4": "2.00",
    }


def test_public_holidays_come_from_the_swedish_calendar() -> None:
    calendar = pytest.importorskip("gql_portal.domain.calendar")
    christmas_eve = date(2026, 12, 24)  # julafton, a Thursday: an afton counts as a holiday
    hours = split_by_windows(
        at(christmas_eve, "15:00"),
        at(christmas_eve, "19:00"),
        0,
        COMMON_PRESET,
        calendar.is_public_holiday,
    )
    assert hours == {"OB4": Decimal("4.00")}


# --- breaks, rounding, overlaps -----------------------------------------------------------------


def test_the_break_is_taken_out_proportionally() -> None:
    # 14-22 with an hour's break: 7 of 8 clocked hours worked, so OB1 keeps 7/8 of its 4 hours.
    assert split(at(MON, "14:00"), at(MON, "22:00"), 60) == {"OB1": "3.50"}
    # 12 clocked hours from Friday 14:00, 30 minutes' break: OB3's 8 hours x 690/720.
    assert split(at(FRI, "14:00"), at(SAT, "02:00"), 30) == {"OB3": "7.67"}


def test_hours_are_rounded_once_so_the_codes_add_up() -> None:
    thirds = (
        window("OB1", WEEKDAYS, "18:00", "18:20"),
        window("OB2", WEEKDAYS, "18:20", "18:40"),
        window("OB3", WEEKDAYS, "18:40", "19:00"),
    )
    hours = split(at(MON, "18:00"), at(MON, "19:00"), windows=thirds)
    # 0.333... each: the hundredth left goes to the largest remainder, ties to the higher code.
    assert hours == {"OB1": "0.33", "OB2": "0.33", "OB3": "0.34"}
    assert split(at(MON, "17:40"), at(MON, "18:20")) == {"OB1": "0.33"}


def test_where_windows_overlap_the_highest_code_wins_each_minute() -> None:
    windows = (
        window("OB2", EVERY_DAY, "17:00", "23:00"),
        window("OB5", frozenset({MONDAY}), "19:00", "20:00"),
        window("OB1", EVERY_DAY, "12:00", "18:00"),
    )
    assert minutes_by_code(at(MON, "12:00"), at(MON, "23:00"), windows, no_holidays) == {
        "OB1": 300,
        "OB2": 300,
        "OB5": 60,
    }


def test_a_window_started_the_day_before_covers_the_small_hours() -> None:
    friday_night = (window("OB2", frozenset({FRIDAY}), "22:00", "06:00"),)
    assert split(at(SAT, "01:00"), at(SAT, "05:00"), windows=friday_night) == {"OB2": "4.00"}
    assert split(at(SUN, "01:00"), at(SUN, "05:00"), windows=friday_night) == {}


def test_a_whole_day_window_is_midnight_to_midnight() -> None:
    sundays = (window("OB3", frozenset({SUNDAY}), "00:00", "00:00"),)
    assert split(at(SAT, "20:00"), at(SUN + timedelta(days=1), "02:00"), windows=sundays) == {
        "OB3": "24.00"
    }


def test_dst_nights_are_counted_on_the_wall_clock() -> None:
    # The clocks go forward at 02:00 on 2026-03-29 and back at 03:00 on 2026-10-25: the
    # employee's 22:00-06:00 is 8 hours on the clock either way, and so is its OB.
    nights = (window("OB2", EVERY_DAY, "22:00", "06:00"),)
    for night in (date(2026, 3, 28), date(2026, 10, 24)):
        start, end = at(night, "22:00"), at(night + timedelta(days=1), "06:00")
        assert split(start, end, windows=nights) == {"OB2": "8.00"}
        assert minutes_between(start, end) == 480


def test_shifts_are_naive_whole_minutes_and_the_break_leaves_time_worked() -> None:
    with pytest.raises(ValueError, match="wall-clock"):
        split(at(MON, "08:00").astimezone(), at(MON, "09:00").astimezone())
    with pytest.raises(ValueError, match="ends after"):
        split(at(MON, "09:00"), at(MON, "08:00"))
    with pytest.raises(ValueError, match="whole minutes"):
        split(at(MON, "08:00:30"), at(MON, "09:00"))
    with pytest.raises(ValueError, match="break"):
        split(at(MON, "08:00"), at(MON, "09:00"), 60)


def test_overtime_is_the_days_hours_above_its_schedule() -> None:
    assert overtime_hours(Decimal("10.5"), Decimal("8")) == Decimal("2.50")
    assert overtime_hours(Decimal("6"), Decimal("8")) == Decimal("0.00")
    assert overtime_hours(Decimal("4"), Decimal("0")) == Decimal("4.00")  # a day off


def test_weekdays_are_stored_as_a_bitmask() -> None:
    assert weekday_mask({MONDAY, SUNDAY}) == 0b1000001
    assert weekdays_of_mask(0b1000001) == {MONDAY, SUNDAY}
    assert weekdays_of_mask(weekday_mask(range(7))) == EVERY_DAY


def test_window_problems_name_the_field() -> None:
    assert window_problems(window("OB1", WEEKDAYS, "18:00", "22:00")) == []
    assert window_problems(window("OB4", frozenset(), "00:00", "00:00", holidays=True)) == []
    reasons = {
        (field, reason)
        for field, reason, _ in window_problems(
            ObWindow("OB6", frozenset(), False, ClockTime(18, 0, 30), ClockTime(22))
        )
    }
    assert reasons == {
        ("code", "NOT_AN_OB_CODE"),
        ("weekdays", "NO_DAYS"),
        ("startTime", "WHOLE_MINUTES"),
    }


def test_the_common_preset_is_a_typical_agreements_shape() -> None:
    assert sorted({w.code for w in COMMON_PRESET}) == ["OB1", "OB2", "OB3", "OB4"]
    assert all(window_problems(w) == [] for w in COMMON_PRESET)
    assert {w.code for w in COMMON_PRESET if SATURDAY in w.weekdays} == {"OB3"}


# --- properties ---------------------------------------------------------------------------------

minutes_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)
clock_times = minutes_of_day.map(lambda m: ClockTime(m // 60, m % 60))
windows_strategy = st.lists(
    st.builds(
        ObWindow,
        code=st.sampled_from(OB_CODES),
        weekdays=st.frozensets(st.integers(0, 6)),
        holidays=st.booleans(),
        start=clock_times,
        end=clock_times,
    ),
    max_size=6,
)
starts = st.builds(
    lambda days, minute: datetime(2026, 3, 23) + timedelta(days=days, minutes=minute),
    st.integers(0, 13),  # two weeks around the night clocks go forward (2026-03-29)
    minutes_of_day,
)
lengths = st.integers(min_value=1, max_value=24 * 60)
holiday_sets = st.frozensets(st.dates(date(2026, 3, 20), date(2026, 4, 10)), max_size=4)


@settings(max_examples=200, deadline=None)
@given(windows_strategy, starts, lengths, st.integers(0, 24 * 60), holiday_sets)
def test_ob_hours_never_exceed_the_worked_hours(
    windows: list[ObWindow],
    start: datetime,
    length: int,
    break_minutes: int,
    holidays: frozenset[date],
) -> None:
    break_minutes = break_minutes % length
    end = start + timedelta(minutes=length)
    hours = split_by_windows(start, end, break_minutes, windows, holidays.__contains__)
    assert all(value > 0 and value == value.quantize(Decimal("0.01")) for value in hours.values())
    assert sum(hours.values(), Decimal(0)) <= hours_of_minutes(length - break_minutes)


@settings(max_examples=200, deadline=None)
@given(windows_strategy, starts, lengths, st.integers(1, 24 * 60), holiday_sets)
def test_splitting_a_shift_at_any_minute_adds_up_to_the_whole(
    windows: list[ObWindow], start: datetime, length: int, cut: int, holidays: frozenset[date]
) -> None:
    is_holiday = holidays.__contains__
    end = start + timedelta(minutes=length + 1)
    middle = start + timedelta(minutes=cut % length + 1)
    whole = minutes_by_code(start, end, windows, is_holiday)
    first = minutes_by_code(start, middle, windows, is_holiday)
    second = minutes_by_code(middle, end, windows, is_holiday)
    assert {code: first.get(code, 0) + second.get(code, 0) for code in {*first, *second}} == whole
    assert sum(whole.values()) <= length + 1


@settings(max_examples=100, deadline=None)
@given(windows_strategy, starts, lengths)
def test_without_a_break_a_single_codes_hours_are_its_minutes(
    windows: list[ObWindow], start: datetime, length: int
) -> None:
    end = start + timedelta(minutes=length)
    minutes = minutes_by_code(start, end, windows, no_holidays)
    hours = split_by_windows(start, end, 0, windows, no_holidays)
    if len(minutes) == 1:
        ((code, counted),) = minutes.items()
        assert hours == ({code: hours_of_minutes(counted)} if hours_of_minutes(counted) else {})


# --- the API --------------------------------------------------------------------------------------

FIELDS = "code weekdays holidays startTime endTime"
WINDOWS = f"{{ obWindows {{ {FIELDS} }} }}"
SET = f"""mutation($input: SetObWindowsInput!) {{
  setObWindows(input: $input) {{ obWindows {{ {FIELDS} }} }} }}"""
PRESET = f"""mutation($preset: ObPreset!) {{
  applyObPreset(preset: $preset) {{ obWindows {{ {FIELDS} }} }} }}"""
NOT_IN_SCHEMA = {"GRAPHQL_VALIDATION_FAILED"}

WEEKDAY_NAMES = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
COMMON = [
    {
        "code": "OB1",
        "weekdays": WEEKDAY_NAMES,
        "holidays": False,
        "startTime": "18:00:00",
        "endTime": "22:00:00",
    },
    {
        "code": "OB2",
        "weekdays": WEEKDAY_NAMES,
        "holidays": False,
        "startTime": "22:00:00",
        "endTime": "06:00:00",
    },
    {
        "code": "OB3",
        "weekdays": ["FRIDAY"],
        "holidays": False,
        "startTime": "18:00:00",
        "endTime": "00:00:00",
    },
    {
        "code": "OB3",
        "weekdays": ["SATURDAY", "SUNDAY"],
        "holidays": False,
        "startTime": "00:00:00",
        "endTime": "00:00:00",
    },
    {
        "code": "OB3",
        "weekdays": ["MONDAY"],
        "holidays": False,
        "startTime": "00:00:00",
        "endTime": "06:00:00",
    },
    {
        "code": "OB4",
        "weekdays": [],
        "holidays": True,
        "startTime": "00:00:00",
        "endTime": "00:00:00",
    },
]


async def audit_rows(database: Database, company_id: int) -> list[tuple[str, dict[str, Any]]]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.company_id == company_id).order_by(AuditEvent.id)
        )
        return [(row.action, row.details) for row in rows]


async def stored(database: Database, company_id: int) -> int:
    async with database.session() as session:
        rows = await session.scalars(
            select(ObWindowRow.id).where(ObWindowRow.company_id == company_id)
        )
        return len(rows.all())


async def test_a_company_starts_without_ob_and_an_admin_applies_the_common_preset(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    assert (await api(WINDOWS, token=admin.token))["data"]["obWindows"] == []

    applied = await api(PRESET, {"preset": "COMMON"}, token=admin.token)
    assert "errors" not in applied, applied
    assert applied["data"]["applyObPreset"]["obWindows"] == COMMON
    assert (await api(WINDOWS, token=admin.token))["data"]["obWindows"] == COMMON

    # Applied twice: still one set, not two.
    await api(PRESET, {"preset": "COMMON"}, token=admin.token)
    assert await stored(database, company.id) == len(COMMON)
    [(action, details), _] = await audit_rows(database, company.id)
    assert action == "OB_WINDOWS_SET"
    assert details["preset"] == "COMMON"
    assert details["windows"][1] == "OB2 0,1,2,3,4 22:00-06:00"
    assert details["windows"][5] == "OB4 holidays 00:00-00:00"


async def test_an_admin_replaces_the_windows_all_at_once(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    await api(PRESET, {"preset": "COMMON"}, token=admin.token)
    windows = [
        {
            "code": "ob2",
            "weekdays": ["SUNDAY", "SATURDAY"],
            "startTime": "20:00",
            "endTime": "23:30",
        },
        {"code": "OB1", "weekdays": ["MONDAY"], "startTime": "19:00", "endTime": "21:00"},
    ]
    changed = await api(SET, {"input": {"windows": windows}}, token=admin.token)
    assert "errors" not in changed, changed
    expected = [
        {
            "code": "OB1",
            "weekdays": ["MONDAY"],
            "holidays": False,
            "startTime": "19:00:00",
            "endTime": "21:00:00",
        },
        {
            "code": "OB2",
            "weekdays": ["SATURDAY", "SUNDAY"],
            "holidays": False,
            "startTime": "20:00:00",
            "endTime": "23:30:00",
        },
    ]
    assert changed["data"]["setObWindows"]["obWindows"] == expected
    assert (await api(WINDOWS, token=admin.token))["data"]["obWindows"] == expected

    emptied = await api(SET, {"input": {"windows": []}}, token=admin.token)
    assert emptied["data"]["setObWindows"]["obWindows"] == []
    assert await stored(database, company.id) == 0
    assert [action for action, _ in await audit_rows(database, company.id)] == [
        "OB_WINDOWS_SET"
    ] * 3


async def test_bad_windows_are_refused_naming_the_window_and_nothing_changes(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    await api(PRESET, {"preset": "COMMON"}, token=admin.token)
    windows = [
        {"code": "OB1", "weekdays": ["MONDAY"], "startTime": "18:00", "endTime": "22:00"},
        {"code": "OB6", "weekdays": ["MONDAY"], "startTime": "18:00", "endTime": "22:00"},
        {"code": "OB2", "weekdays": [], "startTime": "18:00:30", "endTime": "22:00"},
    ]
    body = await api(SET, {"input": {"windows": windows}}, token=admin.token)
    error = only_error(body)
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "windows.1.code",
        "NOT_AN_OB_CODE",
    )
    assert [(p["field"], p["reason"]) for p in error["problems"]] == [
        ("windows.1.code", "NOT_AN_OB_CODE"),
        ("windows.2.weekdays", "NO_DAYS"),
        ("windows.2.startTime", "WHOLE_MINUTES"),
    ]
    too_many = only_error(
        await api(SET, {"input": {"windows": [windows[0]] * 51}}, token=admin.token)
    )
    assert (too_many["field"], too_many["reason"]) == ("windows", "TOO_MANY")
    assert (await api(WINDOWS, token=admin.token))["data"]["obWindows"] == COMMON


async def test_employees_do_not_reach_them_and_companies_keep_their_own(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    await api(PRESET, {"preset": "COMMON"}, token=admin.token)
    for operation, variables in ((WINDOWS, {}), (PRESET, {"preset": "COMMON"})):
        assert set(error_codes(await api(operation, variables, token=staff.token))) == NOT_IN_SCHEMA

    other = await factory.admin(await factory.company("Annan AB"))
    assert (await api(WINDOWS, token=other.token))["data"]["obWindows"] == []
    await api(SET, {"input": {"windows": []}}, token=other.token)
    assert await stored(database, company.id) == len(COMMON)
