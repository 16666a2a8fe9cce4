"""Clock times on time entries: a start, an end (the next day when before the start) and a
break; the hours are end - start - break. The rules (domain/time.py) and the API."""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as ClockTime
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.settings import TimeCode
from gql_portal.domain.time import check_clock_times, clock_hours, hours_problem
from tests.conftest import Api, only_error
from tests.factories import Factory, gid

MONDAY = date(2026, 2, 23)  # the week before the frozen clock's
ENTRY = "id date hours startTime endTime breakMinutes"
REPORT = f"""mutation($input: ReportTimeInput!) {{ reportTime(input: $input) {{ timeEntry {{ {ENTRY} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateTimeEntryInput!) {{
  updateTimeEntry(id: $id, input: $input) {{ timeEntry {{ {ENTRY} }} }} }}"""
LIST = f"{{ timeEntries {{ edges {{ node {{ {ENTRY} }} }} }} }}"


def clock(value: str) -> ClockTime:
    return ClockTime.fromisoformat(value)


def check(start: str | None, end: str | None, breaks: int | None, hours: str | None) -> Any:
    return check_clock_times(
        MONDAY,
        clock(start) if start else None,
        clock(end) if end else None,
        breaks,
        Decimal(hours) if hours else None,
    )


def reasons(result: Any) -> list[tuple[str, str]]:
    return [(problem.field, problem.reason) for problem in result.problems]


# --- the rules ------------------------------------------------------------------------------------


def test_the_hours_are_end_minus_start_minus_break() -> None:
    computed = check("07:00", "16:00", 60, None)
    assert (computed.hours, computed.break_minutes, computed.problems) == (Decimal("8.00"), 60, ())
    assert check("07:00", "16:00", 60, "8").problems == ()
    assert check("08:00", "16:20", None, None).hours == Decimal("8.33")  # 8 h 20 min
    assert check("08:00", "16:20", None, None).break_minutes == 0


def test_an_end_before_the_start_is_the_next_day() -> None:
    assert check("22:00", "06:00", 30, None).hours == Decimal("7.50")
    assert clock_hours(MONDAY, clock("23:45"), clock("00:15"), 0) == Decimal("0.50")


def test_hours_that_disagree_with_the_clock_are_refused() -> None:
    result = check("07:00", "16:00", 60, "9")
    assert reasons(result) == [("hours", "HOURS_MISMATCH")]
    assert "07:00-16:00 less a 60-minute break is 8.00 hours" in result.problems[0].message


def test_clock_times_come_in_pairs_with_a_break_that_fits() -> None:
    assert reasons(check("07:00", None, None, "8")) == [("endTime", "REQUIRED")]
    assert reasons(check(None, "16:00", None, "8")) == [("startTime", "REQUIRED")]
    assert reasons(check(None, None, 30, "8")) == [("breakMinutes", "NEEDS_CLOCK_TIMES")]
    assert reasons(check("07:00", "07:00", None, None)) == [("endTime", "SAME_AS_START")]
    assert reasons(check("07:00", "08:00", 60, None)) == [("breakMinutes", "LONGER_THAN_SHIFT")]
    assert reasons(check("07:00", "08:00", -5, None)) == [("breakMinutes", "OUT_OF_RANGE")]
    assert reasons(check("07:00:30", "08:00", None, None)) == [("startTime", "WHOLE_MINUTES")]


def test_an_entry_without_clock_times_keeps_its_hours() -> None:
    result = check(None, None, None, "7.5")
    assert (result.start, result.end, result.break_minutes, result.hours) == (
        None,
        None,
        None,
        Decimal("7.5"),
    )
    assert check(None, None, 0, "7.5").problems == ()  # a zero break says nothing


@given(
    st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60 - 1), st.integers(0, 24 * 60), st.dates()
)
def test_computed_hours_are_always_a_days_hours(
    start: int, length: int, breaks: int, day: date
) -> None:
    begin = clock(f"{start // 60:02}:{start % 60:02}")
    end_minute = (start + length) % (24 * 60)
    end = clock(f"{end_minute // 60:02}:{end_minute % 60:02}")
    breaks = breaks % length
    result = check_clock_times(day, begin, end, breaks, None)
    assert result.problems == ()
    assert result.hours is not None and hours_problem(result.hours) is None
    # Given back exactly, the computed hours are accepted.
    assert check_clock_times(day, begin, end, breaks, result.hours).problems == ()


# --- the API --------------------------------------------------------------------------------------


async def arb(database: Database, company: Company) -> str:
    async with database.session() as session:
        row_id = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == "ARB")
        )
    assert row_id is not None
    return gid("TimeCode", row_id)


def report(code: str, day: date = MONDAY, **fields: Any) -> dict[str, Any]:
    return {"input": {"date": day.isoformat(), "timeCodeId": code, **fields}}


def entry_of(body: dict[str, Any], name: str = "reportTime") -> dict[str, Any]:
    assert "errors" not in body, body
    entry: dict[str, Any] = body["data"][name]["timeEntry"]
    return entry


async def test_an_employee_reports_a_shift_by_its_clock_times(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    code = await arb(database, company)
    shift = {"startTime": "07:00", "endTime": "16:00", "breakMinutes": 60}
    entry = entry_of(await api(REPORT, report(code, **shift), token=me.token))
    assert entry | {"id": None} == {
        "id": None,
        "date": "2026-02-23",
        "hours": "8.00",
        "startTime": "07:00:00",
        "endTime": "16:00:00",
        "breakMinutes": 60,
    }
    night = entry_of(
        await api(
            REPORT,
            report(code, MONDAY + timedelta(days=1), startTime="22:00", endTime="06:00", hours="8"),
            token=me.token,
        )
    )
    assert (night["hours"], night["breakMinutes"]) == ("8.00", 0)
    plain = entry_of(
        await api(REPORT, report(code, MONDAY + timedelta(days=2), hours="7.5"), token=me.token)
    )
    assert (plain["hours"], plain["startTime"], plain["endTime"], plain["breakMinutes"]) == (
        "7.50",
        None,
        None,
        None,
    )
    listed = (await api(LIST, token=me.token))["data"]["timeEntries"]["edges"]
    assert [edge["node"] for edge in listed] == [entry, night, plain]

    async with database.session() as session:
        details = await session.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "TIME_REPORTED").limit(1)
        )
    assert details is not None
    assert (details["clock"], details["break_minutes"], details["hours"]) == (
        "07:00-16:00",
        60,
        "8.00",
    )


async def test_hours_that_disagree_with_the_clock_times_are_refused(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    code = await arb(database, company)
    error = only_error(
        await api(
            REPORT,
            report(code, startTime="07:00", endTime="16:00", breakMinutes=30, hours="8"),
            token=me.token,
        )
    )
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "hours",
        "HOURS_MISMATCH",
    )
    assert "8.50" in error["problems"][0]["message"]
    missing = only_error(await api(REPORT, report(code, startTime="07:00"), token=me.token))
    assert (missing["field"], missing["reason"]) == ("endTime", "REQUIRED")
    nothing = only_error(await api(REPORT, report(code), token=me.token))
    assert (nothing["field"], nothing["reason"]) == ("hours", "REQUIRED")
    assert (await api(LIST, token=me.token))["data"]["timeEntries"]["edges"] == []


async def test_the_days_24_hours_count_the_computed_hours(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    code = await arb(database, company)
    entry_of(await api(REPORT, report(code, hours="20"), token=me.token))
    over = only_error(
        await api(REPORT, report(code, startTime="18:00", endTime="23:00"), token=me.token)
    )
    assert (over["field"], over["reason"]) == ("hours", "DAY_OVER_24_HOURS")


async def test_changing_the_clock_times_computes_the_hours_again(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    code = await arb(database, company)
    entry = entry_of(
        await api(
            REPORT,
            report(code, startTime="07:00", endTime="16:00", breakMinutes=60),
            token=me.token,
        )
    )

    def update(**fields: Any) -> dict[str, Any]:
        return {"id": entry["id"], "input": fields}

    later = entry_of(await api(UPDATE, update(endTime="17:30"), token=me.token), "updateTimeEntry")
    assert (later["hours"], later["startTime"], later["endTime"], later["breakMinutes"]) == (
        "9.50",
        "07:00:00",
        "17:30:00",
        60,
    )
    shorter = entry_of(
        await api(UPDATE, update(breakMinutes=30), token=me.token), "updateTimeEntry"
    )
    assert shorter["hours"] == "10.00"

    refused = only_error(await api(UPDATE, update(hours="8"), token=me.token))
    assert (refused["field"], refused["reason"]) == ("hours", "HOURS_MISMATCH")
    both = entry_of(
        await api(UPDATE, update(startTime="08:00", hours="9.00"), token=me.token),
        "updateTimeEntry",
    )
    assert (both["hours"], both["startTime"]) == ("9.00", "08:00:00")

    # Removing the clock times keeps the hours and drops the break; hours are free again.
    plain = entry_of(
        await api(UPDATE, update(startTime=None, endTime=None), token=me.token), "updateTimeEntry"
    )
    assert (plain["hours"], plain["startTime"], plain["endTime"], plain["breakMinutes"]) == (
        "9.00",
        None,
        None,
        None,
    )
    assert (
        entry_of(await api(UPDATE, update(hours="6"), token=me.token), "updateTimeEntry")["hours"]
        == "6.00"
    )

    # Clock times added to an entry without them: its hours follow.
    clocked = entry_of(
        await api(UPDATE, update(startTime="12:00", endTime="13:15"), token=me.token),
        "updateTimeEntry",
    )
    assert (clocked["hours"], clocked["breakMinutes"]) == ("1.25", 0)
    half = only_error(await api(UPDATE, update(endTime=None), token=me.token))
    assert (half["field"], half["reason"]) == ("endTime", "REQUIRED")
