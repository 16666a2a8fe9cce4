"""OB and clock times in the payroll basis and its PAXml file (issue 13, point 3).

Through HTTP: a company with the COMMON OB windows, an hourly employee who reports shifts with
clock times (a day shift, a weekday night 22:00-06:00, an evening into the night with a break,
a Sunday with a break). The basis has, besides each shift's TIMLÖN hours, one OB line per OB
code with the hours inside that code's windows; the locked basis keeps them, the file carries
them as tidtrans (starttid/sluttid alone where the hours are the clock span, datum and timmar
where a break is inside) and validates against the XSD; a change of the windows after the lock
shows in the differences. Then the rules of the pure computation (no double counting, which
entries derive OB, clock times on every line), and PROJECT_CODE_TOO_LONG.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from datetime import time as ClockTime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from gql_portal.db.engine import Database
from gql_portal.db.projects import Project
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.domain import paxml
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.ob import COMMON_PRESET, OB_CODES
from gql_portal.domain.payroll import (
    BasisEmployee,
    BasisLine,
    BasisTimeCode,
    BasisTimeEntry,
    LineSource,
    compute_basis,
)
from gql_portal.domain.time import TimeCodeKind, Unit, clock_hours, week_start
from tests.conftest import Api, StatementCounter
from tests.factories import Actor, Factory, gid
from tests.test_exports import EXPORT_BASIS, XSD, download, exported
from tests.test_payroll import LOCK, MONDAYS, Seeder, feb, open_period

WAGE = "180.00"
PERSONNUMMER = "198503123385"
LINE = """date code timeCode quantity unit unitPrice amount hours startTime endTime
  informational source sourceId"""
PERIOD = f"""query($id: ID!) {{ node(id: $id) {{ ... on PayrollPeriod {{ state
  basis {{ employee {{ id }} lines {{ {LINE} }} hoursByTimeCode {{ timeCode hours }} }}
  differences {{ employee {{ id }} added {{ {LINE} }} removed {{ {LINE} }} }} }} }} }}"""
OWN_PERIODS = (
    f"""{{ payrollPeriods(first: 1) {{ nodes {{ month basis {{ lines {{ {LINE} }} }} }} }} }}"""
)
APPLY_OB_PRESET = """mutation { applyObPreset(preset: COMMON) { obWindows { code } } }"""
SET_OB_WINDOWS = """mutation($input: SetObWindowsInput!) {
  setObWindows(input: $input) { obWindows { code } } }"""
REPORT = """mutation($input: ReportTimeInput!) { reportTime(input: $input) { timeEntry { id hours } } }"""
ATTEST = """mutation($employee: ID!, $week: Date!) {
  attestWeek(employeeId: $employee, weekStart: $week) { __typename } }"""

# The shifts of February 2026 (no public holiday in it): (day, start, end, break) -> hours.
SHIFTS = [
    (feb(4), "07:00", "16:00", 60),  # Wednesday, daytime: no OB
    (feb(10), "22:00", "06:00", 0),  # Tuesday night: OB2 all of it
    (feb(12), "14:00", "23:00", 30),  # Thursday evening: OB1 18-22, OB2 22-23, a break inside
    (feb(15), "10:00", "18:30", 30),  # Sunday: OB3 all of it, a break inside
]


def line(
    day: date,
    code: str,
    hours: str,
    start: str | None,
    end: str | None,
    entry: str,
    *,
    time_code: str | None = None,
    unit_price: str | None = None,
) -> dict[str, Any]:
    """A basis line as the API answers it (time lines: hours, no amount)."""
    return {
        "date": day.isoformat(),
        "code": code,
        "timeCode": time_code,
        "quantity": hours,
        "unit": "HOURS",
        "unitPrice": unit_price,
        "amount": None,
        "hours": hours,
        "startTime": start,
        "endTime": end,
        "informational": False,
        "source": "TIME",
        "sourceId": entry,
    }


def ob(day: date, code: str, hours: str, start: str | None, end: str | None, entry: str) -> Any:
    return line(day, code, hours, start, end, entry, time_code=code)


def pay(day: date, hours: str, start: str, end: str, entry: str) -> dict[str, Any]:
    return line(day, "TIMLÖN", hours, start, end, entry, unit_price=WAGE)


async def hourly_employee_with_shifts(
    api: Api, factory: Factory, database: Database
) -> tuple[Actor, Actor, list[str]]:
    """The company (COMMON OB windows), its admin, the hourly employee and the ids of the
    entries of SHIFTS, reported by the employee and attested by the admin."""
    company = await factory.company("Nattskiftet AB")
    admin = await factory.admin(company)
    worker = await factory.staff(
        company,
        salary_form=SalaryForm.HOURLY,
        salary_amount=Decimal(WAGE),
        personal_identity_number=PERSONNUMMER,
    )
    applied = await api(APPLY_OB_PRESET, token=admin.token)
    assert "errors" not in applied, applied
    async with database.session() as session:
        arb = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == "ARB")
        )
    entries = []
    for day, start, end, break_minutes in SHIFTS:
        shift = {"date": day.isoformat(), "startTime": start, "endTime": end}
        shift |= {"breakMinutes": break_minutes, "timeCodeId": gid("TimeCode", arb)}
        reported = await api(REPORT, {"input": shift}, token=worker.token)
        assert "errors" not in reported, reported
        entries.append(reported["data"]["reportTime"]["timeEntry"]["id"])
    for monday in MONDAYS[:2]:
        week = {"employee": gid("Employee", worker.employee_id), "week": monday.isoformat()}
        attested = await api(ATTEST, week, token=admin.token)
        assert "errors" not in attested, attested
    return admin, worker, entries


def expected_lines(entries: list[str]) -> list[dict[str, Any]]:
    day, night, evening, sunday = entries
    return [
        pay(feb(4), "8.00", "2026-02-04T07:00:00", "2026-02-04T16:00:00", day),
        pay(feb(10), "8.00", "2026-02-10T22:00:00", "2026-02-11T06:00:00", night),
        ob(feb(10), "OB2", "8.00", "2026-02-10T22:00:00", "2026-02-11T06:00:00", night),
        pay(feb(12), "8.50", "2026-02-12T14:00:00", "2026-02-12T23:00:00", evening),
        # 4 h of OB1 and 1 h of OB2 in 9 clocked hours, 8.5 worked: the break shared out
        # (3.777..., 0.944...), rounded once so that they add up to 4.72
        ob(feb(12), "OB1", "3.78", "2026-02-12T18:00:00", "2026-02-12T22:00:00", evening),
        ob(feb(12), "OB2", "0.94", "2026-02-12T22:00:00", "2026-02-12T23:00:00", evening),
        pay(feb(15), "8.00", "2026-02-15T10:00:00", "2026-02-15T18:30:00", sunday),
        ob(feb(15), "OB3", "8.00", "2026-02-15T10:00:00", "2026-02-15T18:30:00", sunday),
    ]


async def period_of(api: Api, token: str, period_id: str) -> dict[str, Any]:
    body = await api(PERIOD, {"id": period_id}, token=token)
    assert "errors" not in body, body
    node: dict[str, Any] = body["data"]["node"]
    return node


async def test_a_night_and_a_sunday_shift_give_ob_lines_in_the_basis_and_the_file(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, worker, entries = await hourly_employee_with_shifts(api, factory, database)
    period_id = (await open_period(api, admin.token))["id"]

    live = await period_of(api, admin.token, period_id)
    (basis,) = live["basis"]
    assert basis["employee"]["id"] == gid("Employee", worker.employee_id)
    assert basis["lines"] == expected_lines(entries)
    totals = {total["timeCode"]: total["hours"] for total in basis["hoursByTimeCode"]}
    assert totals == {"OB1": "3.78", "OB2": "8.94", "OB3": "8.00", "TIMLÖN": "32.50"}
    own = await api(OWN_PERIODS, token=worker.token)  # the employee's own basis derives OB too
    assert "errors" not in own, own
    assert own["data"]["payrollPeriods"]["nodes"][0]["basis"][0]["lines"] == basis["lines"]

    # Locked: the frozen basis keeps every line, clock times and OB included.
    locked = await api(LOCK, {"id": period_id}, token=admin.token)
    assert "errors" not in locked, locked
    frozen = await period_of(api, admin.token, period_id)
    assert frozen["state"] == "LOCKED"
    assert frozen["basis"][0]["lines"] == expected_lines(entries)
    assert frozen["differences"] == []

    # The company changes its windows (no weekend OB any more): the frozen basis stays, the
    # differences show the Sunday's OB3 as gone.
    weekday_nights = {
        "code": "OB2",
        "weekdays": ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"],
        "startTime": "22:00",
        "endTime": "06:00",
    }
    evenings = weekday_nights | {"code": "OB1", "startTime": "18:00", "endTime": "22:00"}
    windows = {"input": {"windows": [evenings, weekday_nights]}}
    changed = await api(SET_OB_WINDOWS, windows, token=admin.token)
    assert "errors" not in changed, changed
    later = await period_of(api, admin.token, period_id)
    assert later["basis"][0]["lines"] == expected_lines(entries)
    (difference,) = later["differences"]
    assert difference["added"] == []
    assert difference["removed"] == [expected_lines(entries)[-1]]

    # The file: TIMLÖN hours as lonetrans (the program prices them), OB as tidtrans with hours;
    # a stretch without a break as starttid/sluttid alone, one with a break as datum + timmar.
    variables = {"input": {"periodId": period_id, "format": "PAXML", "exportDate": "2026-03-02"}}
    export = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    data = (await download(api, export["downloadUrl"], token=admin.token)).content
    if XSD.exists():  # the shared PAXml schema sits beside the repository
        assert paxml.validate_paxml(io.BytesIO(data), XSD) == []
    document = paxml.read_paxml(io.BytesIO(data))
    assert [(t.lonkod, t.datum, t.antal, t.apris, t.belopp) for t in document.lonetrans] == [
        ("TIMLÖN", feb(4), Decimal("8.00"), Decimal(WAGE), None),
        ("TIMLÖN", feb(10), Decimal("8.00"), Decimal(WAGE), None),
        ("TIMLÖN", feb(12), Decimal("8.50"), Decimal(WAGE), None),
        ("TIMLÖN", feb(15), Decimal("8.00"), Decimal(WAGE), None),
    ]
    tidtrans = [(t.tidkod, t.datum, t.timmar, t.starttid, t.sluttid) for t in document.tidtrans]
    assert tidtrans == [
        ("OB2", None, None, datetime(2026, 2, 10, 22), datetime(2026, 2, 11, 6)),
        ("OB1", feb(12), Decimal("3.78"), None, None),
        ("OB2", feb(12), Decimal("0.94"), None, None),
        ("OB3", feb(15), Decimal("8.00"), None, None),
    ]
    assert {(t.anstid, t.persnr) for t in document.tidtrans} == {
        (next(iter({e.anstid for e in document.lonetrans})), PERSONNUMMER)
    }


async def test_a_project_code_longer_than_paxml_allows_fails_the_export_naming_it(
    api: Api, factory: Factory, database: Database
) -> None:
    """PAXml names a project by a resenhet id of at most 10 characters; cutting a longer code
    would name another project, so the export fails with PROJECT_CODE_TOO_LONG and the code."""
    company = await factory.company("Långa Projekt AB")
    admin = await factory.admin(company)
    worker = await factory.staff(company, personal_identity_number=PERSONNUMMER)
    seed = await Seeder(database, factory, company).load_codes()
    now = factory.clock.now()
    (project,) = await seed.add(
        Project(company_id=company.id, code="OMBYGGNAD-2026", name="Ombyggnad", created_at=now)
    )
    entry = seed.time(worker.employee_id or 0, feb(3), "8")
    entry.project_id = project.id
    await seed.add(entry, seed.attest(worker.employee_id or 0, MONDAYS[0]))
    period_id = (await open_period(api, admin.token))["id"]
    assert "errors" not in await api(LOCK, {"id": period_id}, token=admin.token)

    variables = {"input": {"periodId": period_id, "format": "PAXML"}}
    failed = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert failed["state"] == "FAILED" and failed["downloadUrl"] is None
    assert failed["error"].startswith("PROJECT_CODE_TOO_LONG: ")
    assert "'OMBYGGNAD-2026'" in failed["error"]
    # A CSV names projects in full: it is not refused.
    as_csv = {"input": variables["input"] | {"format": "CSV"}}
    csv = exported(await api(EXPORT_BASIS, as_csv, token=admin.token))
    assert csv["state"] == "DONE"


# --- the rules, on the pure computation -----------------------------------------------------

EMPLOYEE = 1
CODES = {
    "ARB": BasisTimeCode(1, "ARB", "Arbetad tid", TimeCodeKind.WORK, "ARB", "100", Unit.HOURS),
    "OB2": BasisTimeCode(2, "OBN", "OB natt", TimeCodeKind.OB, "OB2", "220", Unit.HOURS),
    "OT1": BasisTimeCode(3, "OT1", "Övertid", TimeCodeKind.OVERTIME, "ÖT1", "310", Unit.HOURS),
    "JR1": BasisTimeCode(4, "JR1", "Jour", TimeCodeKind.ON_CALL, "JR1", "600", Unit.HOURS),
}


def shift(entry_id: int, code: str, day: date, start: str, end: str, hours: str) -> BasisTimeEntry:
    begins = datetime.combine(day, ClockTime.fromisoformat(start))
    ends = datetime.combine(day, ClockTime.fromisoformat(end))
    if ends <= begins:  # the next day, as time.shift_bounds has it
        ends += timedelta(days=1)
    return BasisTimeEntry(
        entry_id, EMPLOYEE, day, Decimal(hours), CODES[code].id, start=begins, end=ends
    )


def basis_lines(
    *entries: BasisTimeEntry,
    salary_form: SalaryForm | None = SalaryForm.HOURLY,
    windows: Any = COMMON_PRESET,
    pay_types: dict[str, str] | None = None,
) -> list[BasisLine]:
    employee = BasisEmployee(EMPLOYEE, salary_form=salary_form, salary_amount=Decimal(WAGE))
    (basis,) = compute_basis(
        feb(1),
        feb(28),
        [employee],
        entries,
        {(EMPLOYEE, monday) for monday in MONDAYS},
        [],
        [],
        CODES.values(),
        [],
        pay_types,
        windows,
    )
    return list(basis.lines)


def codes_and_hours(lines: list[BasisLine]) -> list[tuple[str | None, Decimal | None]]:
    return [(line.code, line.hours) for line in lines]


def test_ob_reported_directly_is_not_counted_again() -> None:
    """An entry under a code of kind OB is its own OB: the night's OB2 once, as reported."""
    lines = basis_lines(shift(1, "OB2", feb(10), "22:00", "06:00", "8"))
    assert codes_and_hours(lines) == [("OB2", Decimal("8"))]


def test_overtime_and_on_call_get_no_derived_ob_but_keep_their_clock_times() -> None:
    overtime = shift(1, "OT1", feb(10), "18:00", "22:00", "4")
    on_call = shift(2, "JR1", feb(14), "08:00", "20:00", "12")  # a Saturday
    lines = basis_lines(overtime, on_call)
    assert codes_and_hours(lines) == [("ÖT1", Decimal("4")), ("JR1", Decimal("12"))]
    assert (lines[0].start, lines[0].end) == (overtime.start, overtime.end)


def test_a_monthly_employees_night_shift_gives_tid_and_ob_with_the_shift_on_each_line() -> None:
    """Within the schedule (8 h Monday to Friday without one) the hours are TID, shown and not
    sent; the OB is sent all the same. Every line of the entry carries its shift."""
    night = shift(1, "ARB", feb(10), "22:00", "07:00", "9")
    lines = basis_lines(night, salary_form=SalaryForm.MONTHLY)
    assert [(line.code, line.hours, line.informational) for line in lines] == [
        ("TID", Decimal("8"), True),
        ("ARB", Decimal("1"), False),
        ("OB2", Decimal("8.00"), False),
    ]
    assert {(line.start, line.end) for line in lines[:2]} == {(night.start, night.end)}
    assert (lines[2].start, lines[2].end) == (night.start, datetime(2026, 2, 11, 6))
    assert all(line.source is LineSource.TIME and line.source_id == 1 for line in lines)


def test_a_code_in_two_stretches_has_no_clock_times_and_the_pay_type_table_names_it() -> None:
    """From 20:00 to 20:00 the next day (hours at most 24): OB1 in the evening and again the
    next evening, OB2 the night between. The OB lines take the table's lonart, else the
    company's OB time code's, and its name."""
    day = shift(1, "ARB", feb(10), "20:00", "20:00", "24")
    lines = basis_lines(day, pay_types={"OB1": "231"})
    assert codes_and_hours(lines) == [
        ("TIMLÖN", Decimal("24")),
        ("OB1", Decimal("4.00")),
        ("OB2", Decimal("8.00")),
    ]
    evening, night = lines[1:]
    assert (evening.start, evening.end, evening.pay_type) == (None, None, "231")
    assert evening.description == "Obekväm arbetstid OB1"
    assert (night.pay_type, night.description) == ("220", "OB natt")
    assert (night.start, night.end) == (datetime(2026, 2, 10, 22), datetime(2026, 2, 11, 6))


def test_without_windows_or_clock_times_there_is_no_ob() -> None:
    night = shift(1, "ARB", feb(10), "22:00", "06:00", "8")
    assert codes_and_hours(basis_lines(night, windows=())) == [("TIMLÖN", Decimal("8"))]
    unclocked = BasisTimeEntry(2, EMPLOYEE, feb(10), Decimal("8"), CODES["ARB"].id)
    assert codes_and_hours(basis_lines(unclocked)) == [("TIMLÖN", Decimal("8"))]


BASIS_ONLY = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod {
  basis { lines { code hours } } } } }"""


async def test_the_ob_windows_are_one_statement_read_only_for_clock_timed_entries(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    admin, worker, _ = await hourly_employee_with_shifts(api, factory, database)
    period_id = (await open_period(api, admin.token))["id"]

    async def statements() -> tuple[int, int]:
        before = sql_statements.count
        body = await api(BASIS_ONLY, {"id": period_id}, token=admin.token)
        assert "errors" not in body, body
        lines = body["data"]["node"]["basis"][0]["lines"]
        return sql_statements.count - before, sum(line["code"].startswith("OB") for line in lines)

    clocked, ob_lines = await statements()
    assert ob_lines == 4
    async with database.transaction() as session:
        await session.execute(
            update(TimeEntry)
            .where(TimeEntry.employee_id == worker.employee_id)
            .values(start_time=None, end_time=None, break_minutes=None)
        )
    assert await statements() == (clocked - 1, 0)


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 1, 31)),
    start_minute=st.integers(0, 24 * 60 - 1),
    length=st.integers(1, 24 * 60),
    salary_form=st.sampled_from([SalaryForm.HOURLY, SalaryForm.MONTHLY, None]),
    data=st.data(),
)
def test_an_entrys_own_lines_carry_its_hours_and_its_ob_never_more(
    day: date, start_minute: int, length: int, salary_form: SalaryForm | None, data: st.DataObject
) -> None:
    """Any shift (Christmas and New Year included): OB is a supplement, not more hours."""
    begins = datetime.combine(day, ClockTime()) + timedelta(minutes=start_minute)
    break_minutes = data.draw(st.integers(0, length - 1))
    hours = clock_hours(
        day, begins.time(), (begins + timedelta(minutes=length)).time(), break_minutes
    )
    entry = BasisTimeEntry(
        1,
        EMPLOYEE,
        day,
        hours,
        CODES["ARB"].id,
        start=begins,
        end=begins + timedelta(minutes=length),
        break_minutes=break_minutes,
    )
    employee = BasisEmployee(EMPLOYEE, salary_form=salary_form, salary_amount=Decimal(WAGE))
    (basis,) = compute_basis(
        day,
        day,
        [employee],
        [entry],
        {(EMPLOYEE, week_start(day))},
        [],
        [],
        CODES.values(),
        [],
        None,
        COMMON_PRESET,
    )
    own = [line for line in basis.lines if line.code not in OB_CODES]
    derived = [line for line in basis.lines if line.code in OB_CODES]
    assert sum(line.hours or 0 for line in own) == hours
    assert sum(line.hours or 0 for line in derived) <= hours
    assert len({line.code for line in derived}) == len(derived)
    assert all(line.amount is None and line.source_id == 1 for line in basis.lines)
