"""Id-typed filter arguments (`employees(companyId:)`, `expenses(employeeId:)`,
`PayrollPeriod.basis(employeeIds:)`, `auditEvents(firmId:)`, ...): an id the viewer cannot reach
(another tenant's, a colleague's for an employee, a client whose collaboration ended) answers
NOT_FOUND naming the argument, exactly as `node(id:)` answers it, and so does an id that does not
exist; a reachable id answers the list, for at most one statement more than the unfiltered list.

One table of every such argument, checked against the schema so that a new one cannot be missed,
run as the company admin, an employee, a LIMITED partner and a partner whose collaboration ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type

from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import full_schema, role_schema
from gql_portal.schema.internals import graphql_schema
from tests.conftest import Api, StatementCounter, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_absence import REQUEST as REQUEST_ABSENCE
from tests.test_absence import absence
from tests.test_expenses import submit
from tests.test_schedules import FULL_TIME
from tests.test_schedules import SET as SET_SCHEDULE
from tests.test_time import ATTEST, REPORT, code_id, report

UNKNOWN = 999_999  # a row id nothing has


class Kind(Enum):
    """What an argument names, and so which of the world's ids are tried with it."""

    COMPANY = "COMPANY"
    EMPLOYEE = "EMPLOYEE"
    FIRM = "FIRM"  # a partner firm, in the company's collaborations

    @property
    def type_name(self) -> str:
        return "Employee" if self is Kind.EMPLOYEE else "Company"


Rows = Callable[[dict[str, Any]], list[Any]]


@dataclass(frozen=True)
class Filter:
    type_name: str  # the GraphQL type the field is on
    field: str
    argument: str
    kind: Kind
    operation: str  # takes the id (or ids) as $id
    rows: Rows  # the answered list, from `data`
    many: bool = False  # a list of ids
    always_empty: bool = False  # nothing in the world fills it (still a list, not an error)
    # For a field's argument below the root: the objects that carry the field (none: the
    # argument is never read, as for a partner without clients).
    parents: Rows | None = None


def _nodes(name: str) -> Rows:
    return lambda data: list(data[name]["nodes"])


def _period(name: str) -> Rows:
    def rows(data: dict[str, Any]) -> list[Any]:
        [period] = data["payrollPeriods"]["nodes"]
        return list(period[name])

    return rows


FILTERS = [
    Filter(
        "Query",
        "employees",
        "companyId",
        Kind.COMPANY,
        "query($id: ID) { employees(companyId: $id, active: null) { nodes { id } } }",
        _nodes("employees"),
    ),
    Filter(
        "Query",
        "expenses",
        "companyId",
        Kind.COMPANY,
        "query($id: ID) { expenses(companyId: $id) { nodes { id } } }",
        _nodes("expenses"),
    ),
    Filter(
        "Query",
        "payrollPeriods",
        "companyId",
        Kind.COMPANY,
        "query($id: ID) { payrollPeriods(companyId: $id) { nodes { id } } }",
        _nodes("payrollPeriods"),
    ),
    Filter(
        "Query",
        "exports",
        "companyId",
        Kind.COMPANY,
        "query($id: ID) { exports(companyId: $id) { nodes { id } } }",
        _nodes("exports"),
        always_empty=True,
    ),
    Filter(
        "Query",
        "expenses",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { expenses(employeeId: $id) { nodes { id } } }",
        _nodes("expenses"),
    ),
    Filter(
        "Query",
        "timeEntries",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { timeEntries(employeeId: $id) { nodes { id } } }",
        _nodes("timeEntries"),
    ),
    Filter(
        "Query",
        "attestedWeeks",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { attestedWeeks(employeeId: $id) { weekStart } }",
        lambda data: list(data["attestedWeeks"]),
    ),
    Filter(
        "Query",
        "absences",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { absences(employeeId: $id) { nodes { id } } }",
        _nodes("absences"),
    ),
    Filter(
        "Query",
        "schedule",
        "employeeId",
        Kind.EMPLOYEE,
        "query($id: ID) { schedule(employeeId: $id) { monday } }",
        lambda data: [data["schedule"]] if data["schedule"] else [],
    ),
    Filter(
        "PayrollPeriod",
        "basis",
        "employeeIds",
        Kind.EMPLOYEE,
        "query($id: [ID!]) { payrollPeriods(first: 1) { nodes { basis(employeeIds: $id) {"
        " employee { id } } } } }",
        _period("basis"),
        many=True,
        parents=_nodes("payrollPeriods"),
    ),
    Filter(
        "PayrollPeriod",
        "differences",
        "employeeIds",
        Kind.EMPLOYEE,
        "query($id: [ID!]) { payrollPeriods(first: 1) { nodes { differences(employeeIds: $id)"
        " { added { amount } } } } }",
        _period("differences"),
        many=True,
        parents=_nodes("payrollPeriods"),
        always_empty=True,  # the period is OPEN
    ),
    Filter(
        "Query",
        "auditEvents",
        "firmId",
        Kind.FIRM,
        "query($id: ID) { auditEvents(firmId: $id) { edges { node { action } } } }",
        lambda data: list(data["auditEvents"]["edges"]),
    ),
]

# ID arguments that are not filters: `node(id:)` and `project(id:)` fetch one object, and
# `firmAssignments(userId:)` one firm user's assignments and `firmLeaverReport(userId:)` one
# user's report (NOT_FOUND outside the firm:
# tests/test_firm_assignments.py).
NOT_FILTERS = {
    ("Query", "node", "id"),
    ("Query", "project", "id"),
    ("Query", "firmAssignments", "userId"),
    ("Query", "firmLeaverReport", "userId"),
}


def test_the_table_has_every_id_argument_of_the_schema() -> None:
    schema = graphql_schema(full_schema())
    found = {
        (type_.name, name, argument_name)
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        and not type_.name.startswith("__")
        and type_ is not schema.mutation_type
        # Subscriptions' companyId/id: NOT_FOUND out of reach, in tests/test_subscriptions.py.
        and type_ is not schema.subscription_type
        for name, field_ in type_.fields.items()
        for argument_name, argument in field_.args.items()
        if get_named_type(argument.type).name == "ID"
    }
    assert found - NOT_FILTERS == {(f.type_name, f.field, f.argument) for f in FILTERS}


# --- the world ------------------------------------------------------------------------------


@dataclass
class Viewer:
    role: SchemaRole
    token: str
    # By kind: the ids that answer a list (with whether the world gave that list rows), and
    # the ids that must answer NOT_FOUND.
    reachable: dict[Kind, list[tuple[int, bool]]] = field(default_factory=dict)
    unreachable: dict[Kind, list[int]] = field(default_factory=dict)


async def _collaboration(
    database: Database, factory: Factory, firm: int, client: int, state: CollaborationState
) -> None:
    now = factory.clock.now()
    async with database.transaction() as session:
        session.add(
            Collaboration(
                company_id=client,
                firm_id=firm,
                level=AccessLevel.LIMITED,
                state=state,
                initiated_by=Initiator.CLIENT,
                created_at=now - timedelta(days=10),
                activated_at=now - timedelta(days=9),
                ended_at=now - timedelta(days=1) if state is CollaborationState.ENDED else None,
                updated_at=now,
            )
        )


async def world(api: Api, factory: Factory, database: Database) -> dict[str, Viewer]:
    """Company A (an admin, an employee `me`, a colleague) with time, attested weeks,
    expenses, absences, schedules and an open payroll period; company B, another tenant; firm F
    with an ACTIVE LIMITED collaboration with A (and an audit trail there); firm G whose
    collaboration with A ENDED."""
    a = await factory.company("Kund AB")
    admin = await factory.admin(a)
    me = await factory.staff(a)
    colleague = await factory.staff(a)
    b = await factory.company("Annan AB")
    stranger = await factory.employee(b)
    f = await factory.company("Byrå F AB", firm=True)
    g = await factory.company("Byrå G AB", firm=True)
    await _collaboration(database, factory, f.id, a.id, CollaborationState.ACTIVE)
    await _collaboration(database, factory, g.id, a.id, CollaborationState.ENDED)
    f_token = await factory.log_in(await factory.user(f, Role.ADMIN), f, SessionContext.PORTAL)
    g_token = await factory.log_in(await factory.user(g, Role.ADMIN), g, SessionContext.PORTAL)

    arb = await code_id(database, a, "ARB")
    for person in (me, colleague):
        employee = gid("Employee", person.employee_id or 0)
        writes = [
            (REPORT, report(timeCodeId=arb), person.token),
            (REQUEST_ABSENCE, absence(), person.token),
            (ATTEST, {"employeeId": employee, "weekStart": "2026-03-02"}, admin.token),
            (SET_SCHEDULE, {"employeeId": employee, "input": FULL_TIME}, admin.token),
        ]
        for operation, variables, token in writes:
            body = await api(operation, variables, token=token)
            assert "errors" not in body, body
        await submit(api, person.token)
    opened = await api(
        'mutation { openPayrollPeriod(month: "2026-03") { payrollPeriod { id } } }',
        token=admin.token,
    )
    assert "errors" not in opened, opened
    # F's reads of salary details are audited for A, as F's.
    read = await api("{ employees { nodes { salaryAmount } } }", token=f_token)
    assert len(read["data"]["employees"]["nodes"]) == 2, read

    mine, theirs = me.employee_id or 0, colleague.employee_id or 0
    return {
        "company admin": Viewer(
            SchemaRole.COMPANY_ADMIN,
            admin.token,
            reachable={
                Kind.COMPANY: [(a.id, True)],
                Kind.EMPLOYEE: [(theirs, True), (mine, True)],
                Kind.FIRM: [(f.id, True), (g.id, False)],  # an ended one's trail stays
            },
            unreachable={
                Kind.COMPANY: [UNKNOWN, b.id],
                Kind.EMPLOYEE: [UNKNOWN, stranger.id],
                Kind.FIRM: [UNKNOWN, b.id],  # never collaborated
            },
        ),
        "employee": Viewer(
            SchemaRole.EMPLOYEE,
            me.token,
            reachable={Kind.COMPANY: [(a.id, True)], Kind.EMPLOYEE: [(mine, True)]},
            unreachable={
                Kind.COMPANY: [UNKNOWN, b.id],
                Kind.EMPLOYEE: [UNKNOWN, stranger.id, theirs],  # a colleague's
            },
        ),
        "LIMITED partner": Viewer(
            SchemaRole.PARTNER_PORTAL,
            f_token,
            reachable={
                Kind.COMPANY: [(a.id, True), (f.id, False)],  # the client, the firm itself
                Kind.EMPLOYEE: [(theirs, True), (mine, True)],
            },
            unreachable={
                Kind.COMPANY: [UNKNOWN, b.id, g.id],
                Kind.EMPLOYEE: [UNKNOWN, stranger.id],
            },
        ),
        "partner of an ENDED collaboration": Viewer(
            SchemaRole.PARTNER_PORTAL,
            g_token,
            reachable={Kind.COMPANY: [(g.id, False)], Kind.EMPLOYEE: []},
            unreachable={
                Kind.COMPANY: [UNKNOWN, a.id, b.id],
                Kind.EMPLOYEE: [UNKNOWN, theirs, mine, stranger.id],
            },
        ),
    }


def _in_schema(role: SchemaRole, filter_: Filter) -> bool:
    type_ = graphql_schema(role_schema(role)).get_type(filter_.type_name)
    return (
        isinstance(type_, GraphQLObjectType)
        and filter_.field in type_.fields
        and filter_.argument in type_.fields[filter_.field].args
    )


def _value(filter_: Filter, row_id: int) -> Any:
    global_id = gid(filter_.kind.type_name, row_id)
    return [global_id] if filter_.many else global_id


@pytest.mark.parametrize(
    "viewer_name",
    ["company admin", "employee", "LIMITED partner", "partner of an ENDED collaboration"],
)
async def test_an_id_filter_answers_not_found_beyond_reach_and_the_list_within(
    viewer_name: str,
    api: Api,
    factory: Factory,
    database: Database,
    sql_statements: StatementCounter,
) -> None:
    viewer = (await world(api, factory, database))[viewer_name]
    tried = 0
    for filter_ in FILTERS:
        if not _in_schema(viewer.role, filter_):
            continue
        if filter_.parents is not None:
            everyone = await api(filter_.operation, {"id": None}, token=viewer.token)
            if not filter_.parents(everyone["data"]):
                assert (
                    viewer.role is SchemaRole.PARTNER_PORTAL and not viewer.reachable[filter_.kind]
                )
                continue
        for row_id in viewer.unreachable.get(filter_.kind, []):
            body = await api(filter_.operation, {"id": _value(filter_, row_id)}, token=viewer.token)
            refusal = only_error(body)
            node = await api(
                "query($id: ID!) { node(id: $id) { id } }",
                {"id": gid(filter_.kind.type_name, row_id)},
                token=viewer.token,
            )
            # The same answer as node(id:), naming the argument instead of `id`.
            assert body["errors"][0]["message"] == node["errors"][0]["message"], filter_
            assert (refusal["code"], refusal["field"]) == ("NOT_FOUND", filter_.argument), (
                filter_,
                row_id,
                body,
            )
            tried += 1
        for row_id, has_rows in viewer.reachable.get(filter_.kind, []):
            before = sql_statements.count
            unfiltered = await api(filter_.operation, {"id": None}, token=viewer.token)
            between = sql_statements.count
            body = await api(filter_.operation, {"id": _value(filter_, row_id)}, token=viewer.token)
            after = sql_statements.count
            assert "errors" not in body, (filter_, row_id, body)
            rows = filter_.rows(body["data"])
            assert bool(rows) == (has_rows and not filter_.always_empty), (filter_, row_id, rows)
            if not error_codes(unfiltered):  # schedule(employeeId: null) is the admin's own
                assert after - between <= between - before + 1, (filter_, row_id)
            tried += 1
    assert tried >= {"company admin": 35, "employee": 25}.get(viewer_name, 15), tried


async def test_a_list_of_ids_with_one_out_of_reach_is_not_found(
    api: Api, factory: Factory, database: Database
) -> None:
    viewers = await world(api, factory, database)
    partner = viewers["LIMITED partner"]
    (theirs, _), (mine, _) = partner.reachable[Kind.EMPLOYEE]
    basis = FILTERS[[f.field for f in FILTERS].index("basis")]
    both = await api(
        basis.operation,
        {"id": [gid("Employee", theirs), gid("Employee", mine)]},
        token=partner.token,
    )
    assert len(basis.rows(both["data"])) == 2
    stranger = partner.unreachable[Kind.EMPLOYEE][1]
    refusal = only_error(
        await api(
            basis.operation,
            {"id": [gid("Employee", theirs), gid("Employee", stranger)]},
            token=partner.token,
        )
    )
    assert (refusal["code"], refusal["field"]) == ("NOT_FOUND", "employeeIds")
    wrong_type = only_error(
        await api(basis.operation, {"id": [gid("Company", theirs)]}, token=partner.token)
    )
    assert (wrong_type["code"], wrong_type["reason"]) == ("BAD_USER_INPUT", "WRONG_TYPE")
