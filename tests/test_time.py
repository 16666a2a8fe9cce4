"""Time reporting (TIME): time codes, time entries and attested weeks, for admins and employees,
through HTTP."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.projects import Activity, Project, ProjectAssignment
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.time import hours_problem, week_start
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import role_schema
from gql_portal.schema.internals import graphql_schema
from tests.conftest import START, Api, error_codes, only_error
from tests.factories import Actor, Factory, gid

MONDAY = date(2026, 2, 23)  # the week before the frozen clock's (2026-03-02)
ENTRY = """id date hours comment attested timeCode { code name } project { name } activity { name }
  employee { id }"""
REPORT = f"""mutation($input: ReportTimeInput!) {{ reportTime(input: $input) {{ timeEntry {{ {ENTRY} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateTimeEntryInput!) {{
  updateTimeEntry(id: $id, input: $input) {{ timeEntry {{ {ENTRY} }} }} }}"""
DELETE = """mutation($id: ID!) { deleteTimeEntry(id: $id) { deletedId } }"""
LIST = f"""query($first: Int, $after: String, $employeeId: ID, $from: Date, $to: Date) {{
  timeEntries(first: $first, after: $after, employeeId: $employeeId, from: $from, to: $to) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {ENTRY} }} }} }} }}"""
ATTEST = """mutation($employeeId: ID!, $weekStart: Date!) {
  attestWeek(employeeId: $employeeId, weekStart: $weekStart) {
    weekStart attestation { weekStart attestedAt employee { id } } } }"""
UNATTEST = """mutation($employeeId: ID!, $weekStart: Date!) {
  unattestWeek(employeeId: $employeeId, weekStart: $weekStart) { weekStart attestation { weekStart } } }"""
ATTESTED = """query($employeeId: ID, $from: Date, $to: Date) {
  attestedWeeks(employeeId: $employeeId, from: $from, to: $to) { weekStart employee { id } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on TimeEntry { hours } ... on TimeCode { code } } }"""


# --- helpers ----------------------------------------------------------------------------------


async def code_id(database: Database, company: Company, code: str) -> str:
    async with database.session() as session:
        row_id = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == code)
        )
    assert row_id is not None
    return gid("TimeCode", row_id)


class AddedProject(NamedTuple):
    id: int
    gid: str
    activities: list[str]  # global ids


async def add_project(
    database: Database,
    company: Company,
    name: str = "Ombyggnad Storgatan",
    *,
    assigned: tuple[int, ...] = (),
    active: bool = True,
    activities: tuple[str, ...] = ("Montage",),
) -> AddedProject:
    """A project with activities, assigned to the given employees (the projects domain's
    mutations are tested there; here it is just a row to report on)."""
    async with database.transaction() as session:
        project = Project(
            company_id=company.id, code=name[:20], name=name, active=active, created_at=START
        )
        session.add(project)
        await session.flush()
        rows = [Activity(company_id=company.id, project_id=project.id, name=n) for n in activities]
        session.add_all(rows)
        session.add_all(
            ProjectAssignment(company_id=company.id, project_id=project.id, employee_id=employee)
            for employee in assigned
        )
        await session.flush()
        return AddedProject(
            project.id, gid("Project", project.id), [gid("Activity", row.id) for row in rows]
        )


async def audit_actions(database: Database, company: Company) -> list[str]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.company_id == company.id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


def report(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"date": MONDAY.isoformat(), "hours": "8"}
    values.update(fields)
    return {"input": values}


# --- time codes -------------------------------------------------------------------------------


async def test_employees_and_admins_read_the_companys_time_codes(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    async with database.transaction() as session:
        await session.execute(
            update(TimeCode)
            .where(TimeCode.company_id == company.id, TimeCode.code == "MER")
            .values(active=False)
        )
    query = """query($all: Boolean!) { timeCodes(includeInactive: $all) {
      id code name kind paxmlCode payType unit active } }"""
    for actor in (admin, me):
        active = (await api(query, {"all": False}, token=actor.token))["data"]["timeCodes"]
        assert [code["code"] for code in active] == [
            "ARB",
            "FPE",
            "OT1",
            "OT2",
            "SEM",
            "SJK",
            "TJL",
            "VAB",
        ]
        every = (await api(query, {"all": True}, token=actor.token))["data"]["timeCodes"]
        assert len(every) == 9
    sem = next(code for code in active if code["code"] == "SEM")
    assert sem == sem | {"kind": "ABSENCE", "paxmlCode": "SEM", "payType": "510", "unit": "DAYS"}
    found = await api(NODE, {"id": sem["id"]}, token=me.token)
    assert found["data"]["node"] == {"id": sem["id"], "code": "SEM"}


# --- reporting --------------------------------------------------------------------------------


async def test_an_employee_reports_changes_and_removes_their_own_time(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    arb = await code_id(database, company, "ARB")
    project, (activity,) = (await add_project(database, company, assigned=(me.employee_id or 0,)))[
        1:
    ]
    created = await api(
        REPORT,
        report(
            hours="7.5",
            timeCodeId=arb,
            projectId=project,
            activityId=activity,
            comment="  Stomme   plan 2 ",
        ),
        token=me.token,
    )
    assert "errors" not in created, created
    entry = created["data"]["reportTime"]["timeEntry"]
    assert entry == entry | {
        "date": "2026-02-23",
        "hours": "7.50",
        "comment": "Stomme plan 2",
        "attested": False,
        "timeCode": {"code": "ARB", "name": "Arbetad tid"},
        "project": {"name": "Ombyggnad Storgatan"},
        "activity": {"name": "Montage"},
        "employee": {"id": gid("Employee", me.employee_id or 0)},
    }

    changed = await api(
        UPDATE,
        {"id": entry["id"], "input": {"hours": "6.25", "projectId": None, "activityId": None}},
        token=me.token,
    )
    assert "errors" not in changed, changed
    assert changed["data"]["updateTimeEntry"]["timeEntry"] | {"id": None} == entry | {
        "id": None,
        "hours": "6.25",
        "project": None,
        "activity": None,
    }
    listed = (await api(LIST, {}, token=me.token))["data"]["timeEntries"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["hours"] == "6.25"

    removed = await api(DELETE, {"id": entry["id"]}, token=me.token)
    assert removed["data"]["deleteTimeEntry"] == {"deletedId": entry["id"]}
    assert (await api(LIST, {}, token=me.token))["data"]["timeEntries"]["totalCount"] == 0
    assert await audit_actions(database, company) == [
        "TIME_REPORTED",
        "TIME_ENTRY_UPDATED",
        "TIME_ENTRY_DELETED",
    ]


async def test_employee_id_defaults_to_the_viewers_own_record(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)  # an admin without an employee record
    arb = await code_id(database, company, "ARB")
    error = only_error(await api(REPORT, report(timeCodeId=arb), token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "employeeId",
        "REQUIRED",
    )


async def test_reported_time_is_validated_field_by_field(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    other = await factory.company("Annan AB")
    me = await factory.staff(company)
    arb = await code_id(database, company, "ARB")
    foreign_code = await code_id(database, other, "ARB")

    async def problem(token: str, **fields: Any) -> tuple[str, str]:
        error = only_error(await api(REPORT, report(**fields), token=token))
        assert error["code"] == "BAD_USER_INPUT", error
        return error["field"], error["reason"]

    for hours, reason in (
        ("0", "OUT_OF_RANGE"),
        ("-1", "OUT_OF_RANGE"),
        ("24.01", "OUT_OF_RANGE"),
        ("7.555", "TOO_MANY_DECIMALS"),
    ):
        assert await problem(me.token, timeCodeId=arb, hours=hours) == ("hours", reason)
    assert await problem(me.token, timeCodeId=arb, comment="x" * 501) == ("comment", "TOO_LONG")
    assert await problem(me.token, timeCodeId=foreign_code) == ("timeCodeId", "NOT_FOUND")
    wrong_type = only_error(
        await api(REPORT, report(timeCodeId=gid("Employee", 1)), token=me.token)
    )
    assert (wrong_type["field"], wrong_type["reason"]) == ("timeCodeId", "WRONG_TYPE")
    async with database.transaction() as session:
        await session.execute(
            update(TimeCode)
            .where(TimeCode.company_id == company.id, TimeCode.code == "OT2")
            .values(active=False)
        )
    ot2 = await code_id(database, company, "OT2")
    assert await problem(me.token, timeCodeId=ot2) == ("timeCodeId", "INACTIVE")

    _, mine, (my_activity,) = await add_project(database, company, assigned=(me.employee_id or 0,))
    _, not_mine, (their_activity,) = await add_project(database, company, "Annat projekt")
    closed = (
        await add_project(
            database, company, "Stängt", assigned=(me.employee_id or 0,), active=False
        )
    ).gid
    assert await problem(me.token, timeCodeId=arb, projectId=not_mine) == ("projectId", "NOT_FOUND")
    assert await problem(me.token, timeCodeId=arb, projectId=closed) == ("projectId", "INACTIVE")
    assert await problem(me.token, timeCodeId=arb, projectId=mine, activityId=their_activity) == (
        "activityId",
        "NOT_FOUND",  # an activity of a project the employee is not assigned to does not exist
    )
    assert await problem(me.token, timeCodeId=arb, activityId=my_activity) == (
        "activityId",
        "PROJECT_REQUIRED",
    )
    admin = await factory.admin(company)
    mine_for_admin = {"employeeId": gid("Employee", me.employee_id or 0), "timeCodeId": arb}
    assert await problem(
        admin.token, **mine_for_admin, projectId=mine, activityId=their_activity
    ) == ("activityId", "NOT_IN_PROJECT")

    # Every problem is listed, the first one named.
    several = only_error(
        await api(REPORT, report(timeCodeId=ot2, hours="25", projectId=not_mine), token=me.token)
    )
    assert [(p["field"], p["reason"]) for p in several["problems"]] == [
        ("hours", "OUT_OF_RANGE"),
        ("timeCodeId", "INACTIVE"),
        ("projectId", "NOT_FOUND"),
    ]
    assert (await api(LIST, {}, token=me.token))["data"]["timeEntries"]["totalCount"] == 0


async def test_a_day_holds_at_most_24_hours(api: Api, factory: Factory, database: Database) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    arb = await code_id(database, company, "ARB")
    ot1 = await code_id(database, company, "OT1")
    first = await api(REPORT, report(timeCodeId=arb, hours="16"), token=me.token)
    assert "errors" not in first, first
    assert "errors" not in await api(REPORT, report(timeCodeId=ot1, hours="6"), token=me.token)
    over = only_error(await api(REPORT, report(timeCodeId=ot1, hours="2.25"), token=me.token))
    assert (over["field"], over["reason"]) == ("hours", "DAY_OVER_24_HOURS")
    exactly = await api(REPORT, report(timeCodeId=ot1, hours="2"), token=me.token)
    assert "errors" not in exactly, exactly
    # Changing an entry counts the others of the day, not itself.
    entry_id = first["data"]["reportTime"]["timeEntry"]["id"]
    same = await api(UPDATE, {"id": entry_id, "input": {"hours": "16"}}, token=me.token)
    assert "errors" not in same, same
    more = only_error(
        await api(UPDATE, {"id": entry_id, "input": {"hours": "16.5"}}, token=me.token)
    )
    assert (more["field"], more["reason"]) == ("hours", "DAY_OVER_24_HOURS")
    # Another day, and another employee's day, are their own.
    moved = await api(
        UPDATE, {"id": entry_id, "input": {"date": "2026-02-24", "hours": "20"}}, token=me.token
    )
    assert moved["data"]["updateTimeEntry"]["timeEntry"]["date"] == "2026-02-24"
    colleague = await factory.staff(company)
    assert "errors" not in await api(
        REPORT, report(timeCodeId=arb, hours="24"), token=colleague.token
    )


async def test_an_admin_reports_and_lists_time_of_every_employee(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.employee(company, first_name="Anna")
    bo = await factory.employee(company, first_name="Bo")
    arb = await code_id(database, company, "ARB")
    project = (await add_project(database, company)).gid  # assigned to nobody: admins reach all
    for employee in (anna, bo):
        for offset in range(4):
            day = MONDAY + timedelta(days=offset)
            created = await api(
                REPORT,
                report(
                    employeeId=gid("Employee", employee.id),
                    date=day.isoformat(),
                    timeCodeId=arb,
                    projectId=project,
                ),
                token=admin.token,
            )
            assert "errors" not in created, created
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        page = (await api(LIST, {"first": 3, "after": after}, token=admin.token))["data"][
            "timeEntries"
        ]
        assert page["totalCount"] == 8
        seen += [(edge["node"]["date"], edge["node"]["employee"]["id"]) for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [day for day, _ in seen] == sorted(day for day, _ in seen)
    assert len(set(seen)) == 8

    annas = await api(
        LIST,
        {"employeeId": gid("Employee", anna.id), "from": "2026-02-24", "to": "2026-02-25"},
        token=admin.token,
    )
    nodes = [edge["node"] for edge in annas["data"]["timeEntries"]["edges"]]
    assert [(node["date"], node["project"]["name"]) for node in nodes] == [
        ("2026-02-24", "Ombyggnad Storgatan"),
        ("2026-02-25", "Ombyggnad Storgatan"),
    ]
    backwards = only_error(
        await api(LIST, {"from": "2026-02-25", "to": "2026-02-24"}, token=admin.token)
    )
    assert (backwards["field"], backwards["reason"]) == ("to", "BEFORE_START")

    nested = await api(
        """query { employees { edges { node { firstName
          timeEntries(from: "2026-02-25") { date hours } } } } }""",
        token=admin.token,
    )
    by_name = {
        edge["node"]["firstName"]: edge["node"]["timeEntries"]
        for edge in nested["data"]["employees"]["edges"]
    }
    assert by_name["Anna"] == [
        {"date": "2026-02-25", "hours": "8.00"},
        {"date": "2026-02-26", "hours": "8.00"},
    ]


# --- attestation ------------------------------------------------------------------------------


async def test_an_attested_week_is_locked_until_it_is_unattested(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    employee = gid("Employee", me.employee_id or 0)
    arb = await code_id(database, company, "ARB")
    monday = await api(REPORT, report(timeCodeId=arb), token=me.token)
    entry_id = monday["data"]["reportTime"]["timeEntry"]["id"]
    next_week = await api(REPORT, report(timeCodeId=arb, date="2026-03-02"), token=me.token)
    next_id = next_week["data"]["reportTime"]["timeEntry"]["id"]

    attested = await api(
        ATTEST, {"employeeId": employee, "weekStart": "2026-02-23"}, token=admin.token
    )
    assert "errors" not in attested, attested
    attestation = attested["data"]["attestWeek"]["attestation"]
    assert attestation["weekStart"] == "2026-02-23"
    assert attestation["employee"] == {"id": employee}
    again = await api(
        ATTEST, {"employeeId": employee, "weekStart": "2026-02-23"}, token=admin.token
    )
    assert again["data"]["attestWeek"]["attestation"] == attestation  # idempotent

    def refused(body: dict[str, Any], field: str = "date") -> None:
        error = only_error(body)
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            field,
            "WEEK_ATTESTED",
        ), error

    for actor in (me, admin):
        refused(
            await api(
                REPORT,
                report(employeeId=employee, timeCodeId=arb, date="2026-03-01"),
                token=actor.token,
            )
        )
        refused(await api(UPDATE, {"id": entry_id, "input": {"hours": "1"}}, token=actor.token))
        refused(await api(UPDATE, {"id": entry_id, "input": {"comment": "x"}}, token=actor.token))
        refused(
            await api(UPDATE, {"id": next_id, "input": {"date": "2026-02-27"}}, token=actor.token)
        )
        refused(await api(DELETE, {"id": entry_id}, token=actor.token), field="id")
    listed = (await api(LIST, {}, token=me.token))["data"]["timeEntries"]["edges"]
    assert [(edge["node"]["hours"], edge["node"]["attested"]) for edge in listed] == [
        ("8.00", True),
        ("8.00", False),
    ]
    weeks = await api(ATTESTED, {"from": "2026-02-25"}, token=me.token)
    assert weeks["data"]["attestedWeeks"] == [
        {"weekStart": "2026-02-23", "employee": {"id": employee}}
    ]

    unattested = await api(
        UNATTEST, {"employeeId": employee, "weekStart": "2026-02-23"}, token=admin.token
    )
    assert unattested["data"]["unattestWeek"] == {"weekStart": "2026-02-23", "attestation": None}
    again = await api(
        UNATTEST, {"employeeId": employee, "weekStart": "2026-02-23"}, token=admin.token
    )
    assert "errors" not in again
    changed = await api(UPDATE, {"id": entry_id, "input": {"hours": "1"}}, token=me.token)
    assert changed["data"]["updateTimeEntry"]["timeEntry"]["attested"] is False
    assert (await api(ATTESTED, {}, token=admin.token))["data"]["attestedWeeks"] == []
    actions = await audit_actions(database, company)
    assert actions.count("WEEK_ATTESTED") == 1
    assert actions.count("WEEK_UNATTESTED") == 1


async def test_a_week_starts_on_a_monday(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    employee = await factory.employee(company)
    for mutation in (ATTEST, UNATTEST):
        error = only_error(
            await api(
                mutation,
                {"employeeId": gid("Employee", employee.id), "weekStart": "2026-02-24"},
                token=admin.token,
            )
        )
        assert (error["field"], error["reason"]) == ("weekStart", "NOT_A_MONDAY")


# --- reach ------------------------------------------------------------------------------------


async def test_an_employee_cannot_see_or_change_a_colleagues_time(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    arb = await code_id(database, company, "ARB")
    theirs = await api(REPORT, report(timeCodeId=arb), token=colleague.token)
    their_id = theirs["data"]["reportTime"]["timeEntry"]["id"]
    await api(
        ATTEST,
        {"employeeId": gid("Employee", colleague.employee_id or 0), "weekStart": "2026-03-02"},
        token=admin.token,
    )

    assert (await api(LIST, {}, token=me.token))["data"]["timeEntries"]["totalCount"] == 0
    filtered = only_error(
        await api(LIST, {"employeeId": gid("Employee", colleague.employee_id or 0)}, token=me.token)
    )
    assert (filtered["code"], filtered["field"]) == ("NOT_FOUND", "employeeId")
    assert (await api(ATTESTED, {}, token=me.token))["data"]["attestedWeeks"] == []
    assert error_codes(await api(NODE, {"id": their_id}, token=me.token)) == ["NOT_FOUND"]
    assert error_codes(
        await api(UPDATE, {"id": their_id, "input": {"hours": "1"}}, token=me.token)
    ) == ["NOT_FOUND"]
    assert error_codes(await api(DELETE, {"id": their_id}, token=me.token)) == ["NOT_FOUND"]
    for_them = only_error(
        await api(
            REPORT,
            report(employeeId=gid("Employee", colleague.employee_id or 0), timeCodeId=arb),
            token=me.token,
        )
    )
    assert (for_them["code"], for_them["field"]) == ("NOT_FOUND", "employeeId")
    # Attesting is admin work: not in an employee's schema at all.
    attest = await api(
        ATTEST,
        {"employeeId": gid("Employee", me.employee_id or 0), "weekStart": "2026-02-23"},
        token=me.token,
    )
    assert set(error_codes(attest)) == {"GRAPHQL_VALIDATION_FAILED"}
    assert (await api(LIST, {}, token=colleague.token))["data"]["timeEntries"]["totalCount"] == 1


async def test_another_companys_time_does_not_exist(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    other_admin = await factory.admin(other)
    stranger = await factory.employee(other)
    arb = await code_id(database, other, "ARB")
    theirs = await api(
        REPORT,
        report(employeeId=gid("Employee", stranger.id), timeCodeId=arb),
        token=other_admin.token,
    )
    their_id = theirs["data"]["reportTime"]["timeEntry"]["id"]
    assert error_codes(await api(NODE, {"id": their_id}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(NODE, {"id": arb}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(DELETE, {"id": their_id}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(
        await api(
            ATTEST,
            {"employeeId": gid("Employee", stranger.id), "weekStart": "2026-02-23"},
            token=admin.token,
        )
    ) == ["NOT_FOUND"]
    my_arb = await code_id(database, mine, "ARB")
    assert error_codes(
        await api(
            REPORT,
            report(employeeId=gid("Employee", stranger.id), timeCodeId=my_arb),
            token=admin.token,
        )
    ) == ["NOT_FOUND"]
    assert (await api(LIST, {}, token=admin.token))["data"]["timeEntries"]["totalCount"] == 0


def test_the_partner_portal_has_no_time_absence_or_schedules() -> None:
    schema = graphql_schema(role_schema(SchemaRole.PARTNER_PORTAL))
    for type_name in ("TimeEntry", "TimeCode", "WeekAttestation", "Absence", "Schedule"):
        assert type_name not in schema.type_map
    employee_fields = set(schema.type_map["Employee"].fields)  # type: ignore[attr-defined]
    assert not {"timeEntries", "absences", "schedule"} & employee_fields
    employee_schema = graphql_schema(role_schema(SchemaRole.EMPLOYEE))
    mutations = set(employee_schema.type_map["Mutation"].fields)  # type: ignore[attr-defined]
    assert {"reportTime", "updateTimeEntry", "deleteTimeEntry"} <= mutations
    assert not {"attestWeek", "unattestWeek"} & mutations


# --- no N+1 -----------------------------------------------------------------------------------


async def _many_employees(factory: Factory, database: Database, count: int) -> Actor:
    """`count` employees with three days of time each (half on a project), an absence and a
    schedule; returns their admin."""
    company = await factory.company()
    admin = await factory.admin(company)
    employees = [await factory.employee(company) for _ in range(count)]
    async with database.session() as session:
        arb = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == "ARB")
        )
    assert arb is not None
    project_id = (await add_project(database, company)).id
    async with database.transaction() as session:
        for employee in employees:
            session.add_all(
                TimeEntry(
                    company_id=company.id,
                    employee_id=employee.id,
                    date=MONDAY + timedelta(days=day),
                    hours=Decimal("8"),
                    time_code_id=arb,
                    project_id=project_id if day % 2 == 0 else None,
                    created_at=START,
                    updated_at=START,
                )
                for day in range(3)
            )
            session.add(
                Absence(
                    company_id=company.id,
                    employee_id=employee.id,
                    kind=AbsenceKind.SICK,
                    start_date=MONDAY + timedelta(days=3),
                    end_date=MONDAY + timedelta(days=4),
                    extent_percent=Decimal(100),
                    status=AbsenceStatus.APPROVED,
                    created_at=START,
                )
            )
            session.add(
                Schedule(
                    company_id=company.id,
                    employee_id=employee.id,
                    monday=Decimal(8),
                    updated_at=START,
                )
            )
    return admin


# The session; the employees; their entries; and one each for projects (, attestation, time
# codes, the entries' employees, absences, schedules): never one per employee.
NESTED_TIME = """{ employees { edges { node {
  timeEntries(from: "2026-02-23", to: "2026-03-01") { hours project { name } } } } } }"""
NESTED_EVERYTHING = """{ employees { edges { node {
  timeEntries(from: "2026-02-23", to: "2026-03-01") {
    hours attested timeCode { code } project { name } employee { id } }
  absences(from: "2026-02-23", to: "2026-03-01") { kind employee { id } }
  schedule { weeklyHours } } } } }"""


@pytest.mark.parametrize("count", [5, 50])
@pytest.mark.parametrize(("query", "statements"), [(NESTED_TIME, 4), (NESTED_EVERYTHING, 9)])
async def test_nested_lists_take_the_same_statements_for_5_and_50_employees(
    api: Api,
    factory: Factory,
    database: Database,
    sql_statements: Any,
    count: int,
    query: str,
    statements: int,
) -> None:
    admin = await _many_employees(factory, database, count)
    sql_statements.count = 0
    body = await api(query, token=admin.token)
    assert "errors" not in body, body
    edges = body["data"]["employees"]["edges"]
    assert len(edges) == count
    assert all(len(edge["node"]["timeEntries"]) == 3 for edge in edges)
    assert edges[0]["node"]["timeEntries"][0]["project"] == {"name": "Ombyggnad Storgatan"}
    assert edges[0]["node"]["timeEntries"][1]["project"] is None
    assert sql_statements.count == statements


# --- rules ------------------------------------------------------------------------------------


@given(st.decimals(allow_nan=True, allow_infinity=True, places=None))
def test_hours_are_above_0_at_most_24_with_two_decimals(hours: Decimal) -> None:
    problem = hours_problem(hours)
    valid = hours.is_finite() and 0 < hours <= 24 and hours == hours.quantize(Decimal("0.01"))
    assert (problem is None) == valid


@given(st.dates())
def test_a_week_starts_on_the_monday_before(day: date) -> None:
    monday = week_start(day)
    assert monday.weekday() == 0
    assert 0 <= (day - monday).days < 7


async def test_concurrent_reports_cannot_exceed_a_day_together(
    api: Api, factory: Factory, database: Database
) -> None:
    """The checks read before they write: one employee's writes are serialised."""
    company = await factory.company()
    me = await factory.staff(company)
    arb = await code_id(database, company, "ARB")
    answers = await asyncio.gather(
        *(api(REPORT, report(timeCodeId=arb, hours="5"), token=me.token) for _ in range(8))
    )
    refused = [only_error(answer)["reason"] for answer in answers if "errors" in answer]
    assert refused == ["DAY_OVER_24_HOURS"] * 4
    async with database.session() as session:
        total = await session.scalar(select(func.sum(TimeEntry.hours)))
    assert total == Decimal("20.00")
