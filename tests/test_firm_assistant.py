"""The firm's read-only assistant (issue 20, point 2): a user whose role in an accounting firm is
ASSISTANT has the partner portal only, with a schema of its own (PORTAL_ASSISTANT) that follows
the matrix's ASSISTANT column: it reads the LIMITED areas of the clients it reaches (the firm's
assignments apply exactly as for consultants), and has no mutation of client or firm data, no
export, no way into a client's company. Over HTTP, on a real database."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLSchema
from sqlalchemy import select

from gql_portal.db.accounts import Company, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.audit import AuditAction
from gql_portal.permissions.matrix import MATRIX, Actor, Reach
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import role_schema
from gql_portal.schema.internals import graphql_schema
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_exports import BASIS_TOTALS, EXPORT_BASIS, download, exported, locked_february
from tests.test_exports_access import PAXML_FEB, partner_of
from tests.test_firm_assignments import (
    ASSIGN,
    BOARD,
    ENTER,
    POLICY,
    board,
    firm_with_clients,
    ok,
)

# What a logged-in assistant may still do: its own session and password, the anonymous
# mutations every schema has, and `activate` (open to the signed in; refused to all but the
# firm's admins).
OWN_ACCOUNT_MUTATIONS = {
    "signUp",
    "verifyEmail",
    "resendVerificationEmail",
    "logIn",
    "logOut",
    "requestPasswordReset",
    "resetPassword",
    "changePassword",
    "activate",
    "enterPartnerPortal",
}
CLIENT_DATA = """query($c: ID!) {
  employees(companyId: $c, first: 20) { nodes { firstName personalIdentityNumber salaryAmount email } }
  payrollPeriods(companyId: $c, first: 5) { nodes { id state } }
  expenses(companyId: $c, first: 20) { nodes { amount } }
}"""
ROLE = "mutation($u: ID!, $r: Role!) { changeUserRole(userId: $u, role: $r) { user { role } } }"
INVITE_USER = """mutation($e: String!, $r: Role!) {
  inviteUser(input: {email: $e, name: "Anna Assistent", role: $r}) { user { role } } }"""
MUTATION = "mutation { %s }"


def schema_of(role: SchemaRole) -> GraphQLSchema:
    return graphql_schema(role_schema(role))


def mutations_of(role: SchemaRole) -> set[str]:
    mutation = schema_of(role).mutation_type
    assert mutation is not None
    return set(mutation.fields)


def test_the_assistants_column_reads_what_the_limited_column_reads_and_nothing_more() -> None:
    for area, grants in MATRIX.items():
        assistant, limited = grants[Actor.ASSISTANT], grants[Actor.LIMITED_PARTNER]
        assert assistant.read == limited.read, area
        assert (assistant.write, assistant.manage, assistant.export) == (Reach.NONE,) * 3, area


def test_the_assistants_schema_has_only_the_own_account_mutations_and_no_exports() -> None:
    assert mutations_of(SchemaRole.PORTAL_ASSISTANT) == OWN_ACCOUNT_MUTATIONS
    schema = schema_of(SchemaRole.PORTAL_ASSISTANT)
    assert schema.query_type is not None
    queries = set(schema.query_type.fields)
    assert {"clients", "employees", "payrollPeriods", "expenses", "companyUsers"} <= queries
    assert not queries & {"exports", "firmAssignments", "teams", "firmAccessPolicy"}
    assert "Export" not in schema.type_map
    # The firm's admins and consultants keep theirs.
    assert {"exportPayrollBasis", "enterClientCompany", "inviteUser"} <= mutations_of(
        SchemaRole.PARTNER_PORTAL
    )


async def firm_with_an_assistant(
    factory: Factory, database: Database, count: int = 2
) -> tuple[Any, str, int]:
    """`firm_with_clients` (FULL collaborations) whose firm lets only assigned users reach a
    client, with an assistant in the portal assigned to the first client: (firm, token, id)."""
    f = await firm_with_clients(factory, database, count)
    assistant = await factory.user(f.firm, Role.ASSISTANT, name="Anna Assistent")
    token = await factory.log_in(assistant, f.firm, SessionContext.PORTAL)
    return f, token, assistant.id


async def test_an_assistant_reads_the_limited_areas_of_its_assigned_clients_only(
    api: Api, factory: Factory, database: Database
) -> None:
    f, assistant, assistant_id = await firm_with_an_assistant(factory, database)
    await ok(api, POLICY, {"all": False}, f.admin)
    # Not assigned: the firm's clients do not exist for the assistant.
    assert await board(api, assistant) == []
    first, second = (gid("Company", client.id) for client in f.clients)
    for client in (first, second):
        refused = await api(CLIENT_DATA, {"c": client}, token=assistant)
        assert set(error_codes(refused)) == {"NOT_FOUND"}, refused
        assert not refused["data"], refused

    await ok(api, ASSIGN, {"u": gid("User", assistant_id), "c": [first]}, f.admin)
    assert await board(api, assistant) == ["Kund 0 AB"]
    data = await ok(api, CLIENT_DATA, {"c": first}, assistant)
    assert [employee["firstName"] for employee in data["employees"]["nodes"]] == ["Emp0"]
    employee = "query($id: ID!) { node(id: $id) { ... on Employee { firstName } } }"
    reached = await ok(api, employee, {"id": gid("Employee", f.employees[0])}, assistant)
    assert reached["node"] == {"firstName": "Emp0"}
    other = await api(employee, {"id": gid("Employee", f.employees[1])}, token=assistant)
    assert (other["data"]["node"], error_codes(other)) == (None, ["NOT_FOUND"])
    # Outside the LIMITED areas there is nothing, even of a FULL client it is assigned to.
    for outside in ("timeEntries", "projects", "auditEvents", "exports"):
        refused = await api(f"{{ {outside}(first: 1) {{ totalCount }} }}", token=assistant)
        assert error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"], (outside, refused)
    # The viewer: in the portal, its menu.
    viewer = await ok(api, "{ viewer { context role openMenus } }", {}, assistant)
    assert viewer["viewer"] == {"context": "PORTAL", "role": None, "openMenus": ["PARTNER_PORTAL"]}


async def test_every_mutation_but_its_own_accounts_is_absent_from_the_assistants_schema(
    api: Api, factory: Factory, database: Database
) -> None:
    f, assistant, _ = await firm_with_an_assistant(factory, database)
    absent = mutations_of(SchemaRole.PARTNER_PORTAL) - OWN_ACCOUNT_MUTATIONS
    assert {"enterClientCompany", "exportPayrollBasis", "updateEmployeeSalary"} <= absent
    for name in sorted(absent):
        body = await api(MUTATION % name, token=assistant)
        assert error_codes(body) == ["GRAPHQL_VALIDATION_FAILED"], (name, body)
        assert "data" not in body or body["data"] is None, (name, body)
    # enterClientCompany also as an operation that would be valid for a consultant.
    entered = await api(ENTER, {"id": gid("Company", f.clients[0].id)}, token=assistant)
    assert error_codes(entered) == ["GRAPHQL_VALIDATION_FAILED"]
    # What is there concerns its own account; activating the firm is its admins' business.
    assert (
        only_error(await api("mutation { activate { viewer { context } } }", token=assistant))[
            "code"
        ]
        == "FORBIDDEN"
    )
    assert (await ok(api, "mutation { logOut }", {}, assistant))["logOut"] is True
    assert only_error(await api("{ viewer { context } }", token=assistant))["code"] == (
        "UNAUTHENTICATED"
    )


async def test_an_assistant_cannot_export_nor_download_the_firms_export(
    api: Api, factory: Factory, database: Database
) -> None:
    client_admin, _, period = await locked_february(api, factory, database)
    partner = await partner_of(api, factory, client_admin.token, "LIMITED")
    async with database.session() as session:
        firm = await session.get_one(Company, partner.firm_id)
    user = await factory.user(firm, Role.ASSISTANT, name="Anna Assistent")
    assistant = await factory.log_in(user, firm, SessionContext.PORTAL)
    client = gid("Company", client_admin.company_id)

    # It reads the client's payroll basis (every user of this firm reaches every client) ...
    data = await ok(api, CLIENT_DATA, {"c": client}, assistant)
    assert [node["state"] for node in data["payrollPeriods"]["nodes"]] == ["LOCKED"]
    basis = await ok(api, BASIS_TOTALS, {"id": period["id"]}, assistant)
    as_partner = await ok(api, BASIS_TOTALS, {"id": period["id"]}, partner.token)
    assert basis == as_partner and len(basis["node"]["basis"]) == 2
    assert {node["personalIdentityNumber"] for node in data["employees"]["nodes"]} == {
        "198503123385",
        "197912249183",
    }
    # ... but exports nothing, and the firm's exports do not exist for it.
    export = {"input": {"periodId": period["id"], **PAXML_FEB}}
    refused = await api(EXPORT_BASIS, export, token=assistant)
    assert set(error_codes(refused)) == {"GRAPHQL_VALIDATION_FAILED"}  # the field, its input
    made = exported(await api(EXPORT_BASIS, export, token=partner.token))
    node = "query($id: ID!) { node(id: $id) { id } }"
    unseen = await api(node, {"id": made["id"]}, token=assistant)
    assert (unseen["data"]["node"], error_codes(unseen)) == (None, ["NOT_FOUND"])
    assert (await download(api, made["downloadUrl"], token=assistant)).status_code in (403, 404)
    assert (await download(api, made["downloadUrl"], token=partner.token)).status_code == 200


async def test_only_an_accounting_firm_has_assistants_and_the_change_is_audited(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    invited = await ok(api, INVITE_USER, {"e": "anna@byran.example", "r": "ASSISTANT"}, f.admin)
    assert invited["inviteUser"]["user"]["role"] == "ASSISTANT"
    changed = await ok(api, ROLE, {"u": gid("User", f.consultant_id), "r": "ASSISTANT"}, f.admin)
    assert changed["changeUserRole"]["user"]["role"] == "ASSISTANT"
    async with database.session() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.company_id == f.firm.id,
                    AuditEvent.action.in_(
                        [AuditAction.USER_INVITED.value, AuditAction.USER_ROLE_CHANGED.value]
                    ),
                )
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [(event.action, event.details["role"]) for event in events] == [
        (AuditAction.USER_INVITED.value, "ASSISTANT"),
        (AuditAction.USER_ROLE_CHANGED.value, "ASSISTANT"),
    ]

    # A client company (not a firm) has no assistants: refused naming the field.
    client_admin = await factory.admin(f.clients[0])
    staff = await factory.user(f.clients[0], Role.EMPLOYEE)
    for operation, variables in (
        (INVITE_USER, {"e": "x@kund.example", "r": "ASSISTANT"}),
        (ROLE, {"u": gid("User", staff.id), "r": "ASSISTANT"}),
    ):
        refused = only_error(await api(operation, variables, token=client_admin.token))
        assert (refused["code"], refused["field"]) == ("BAD_USER_INPUT", "role"), refused
        assert refused["reason"] == "NOT_A_FIRM", refused


async def test_a_consultant_made_assistant_is_one_from_the_next_request(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    # The consultant works in the portal and, in another session, inside a FULL client.
    async with database.session() as session:
        consultant = await session.get_one(User, f.consultant_id)
    inside = await factory.log_in(consultant, f.firm, SessionContext.PORTAL)
    client = gid("Company", f.clients[0].id)
    assert (await ok(api, ENTER, {"id": client}, inside))["enterClientCompany"]["viewer"] == {
        "role": "ADMIN"
    }
    assert "exportPayrollBatch" in await _mutation_names(api, f.consultant)

    await ok(api, ROLE, {"u": gid("User", f.consultant_id), "r": "ASSISTANT"}, f.admin)

    # Both sessions are the assistant's portal from their next request: the schema lacks the
    # mutations, the client's company is left.
    assert await _mutation_names(api, f.consultant) == OWN_ACCOUNT_MUTATIONS
    viewer = await ok(api, "{ viewer { context company { name } } }", {}, inside)
    assert viewer["viewer"] == {"context": "PORTAL", "company": {"name": "Byrån AB"}}
    assert error_codes(await api(ENTER, {"id": client}, token=inside)) == [
        "GRAPHQL_VALIDATION_FAILED"
    ]
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]

    # And back: a consultant again from the next request.
    await ok(api, ROLE, {"u": gid("User", f.consultant_id), "r": "EMPLOYEE"}, f.admin)
    assert "enterClientCompany" in await _mutation_names(api, f.consultant)


async def _mutation_names(api: Api, token: str) -> set[str]:
    """The mutations of the session's schema, as introspection shows them."""
    body = await api("{ __schema { mutationType { fields { name } } } }", token=token)
    assert "errors" not in body, body
    return {field["name"] for field in body["data"]["__schema"]["mutationType"]["fields"]}


CLIENT_EMPLOYEES = """{ clients(first: 100) { edges { node { company { name }
  employees { firstName salaryAmount } payrollStatus { periodState } } } } }"""


@pytest.mark.parametrize("query", [BOARD, CLIENT_EMPLOYEES], ids=["board", "employees"])
async def test_an_assistants_request_costs_the_statements_of_a_consultants(
    query: str, api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    f, assistant, assistant_id = await firm_with_an_assistant(factory, database, 3)
    await ok(api, POLICY, {"all": False}, f.admin)
    clients = [gid("Company", client.id) for client in f.clients]
    for user_id in (f.consultant_id, assistant_id):
        await ok(api, ASSIGN, {"u": gid("User", user_id), "c": clients}, f.admin)
    counts = {}
    for who, token in (("consultant", f.consultant), ("assistant", assistant)):
        await ok(api, query, {}, token)  # warm: what a first request of a process reads
        sql_statements.count = 0
        data = await ok(api, query, {}, token)
        counts[who] = sql_statements.count
        assert len(data["clients"]["edges"]) == 3
    assert counts["assistant"] == counts["consultant"], counts
