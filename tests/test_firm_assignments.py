"""Inside the firm (issue 20, point 1): the firm's admins assign its users to clients, directly
or through teams; with the firm's `unassignedUsersSeeAllClients` false, a user who is not the
firm's admin reaches only their assigned clients, everywhere (the board, node(id:), a client's
employees, entering a FULL client), from their next request. Over HTTP, on a real database."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from gql_portal.db.accounts import Company
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.db.migrate import alembic_config
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_exports import EXPORT_BASIS, download, exported, locked_february
from tests.test_exports_access import PAXML_FEB, partner_of

BOARD = "{ clients(first: 100) { edges { node { company { name } } } } }"
EMPLOYEE = "query($id: ID!) { node(id: $id) { ... on Employee { firstName } } }"
ENTER = "mutation($id: ID!) { enterClientCompany(clientId: $id) { viewer { role } } }"
ASSIGN = """mutation($u: ID!, $c: [ID!]!) { assignClients(userId: $u, clientIds: $c) {
  assignments { userName clientName } } }"""
UNASSIGN = """mutation($u: ID!, $c: [ID!]!) { unassignClients(userId: $u, clientIds: $c) {
  assignments { clientName } } }"""
POLICY = """mutation($all: Boolean!) { setFirmAccessPolicy(unassignedUsersSeeAllClients: $all) {
  unassignedUsersSeeAllClients } }"""
CREATE_TEAM = """mutation($n: String!, $m: [ID!]!, $c: [ID!]!) {
  createTeam(name: $n, memberIds: $m, clientIds: $c) {
    team { id name members { name } clients { name } } } }"""
DELETE_TEAM = "mutation($id: ID!) { deleteTeam(teamId: $id) { deletedTeamId } }"


@dataclass
class Firm:
    firm: Company
    admin: str  # the firm's admin's portal session
    consultant: str  # a user of the firm who is not its admin, in the portal
    consultant_id: int
    clients: list[Company]
    employees: list[int]  # one employee per client


async def firm_with_clients(factory: Factory, database: Database, count: int = 2) -> Firm:
    firm = await factory.company("Byrån AB", firm=True)
    admin = await factory.user(firm, Role.ADMIN, name="Ada Admin")
    consultant = await factory.user(firm, Role.EMPLOYEE, name="Kalle Konsult")
    clients = [await factory.company(f"Kund {n} AB") for n in range(count)]
    employees = [
        (await factory.employee(client, first_name=f"Emp{n}")).id
        for n, client in enumerate(clients)
    ]
    now = factory.clock.now()
    async with database.transaction() as session:
        session.add_all(
            Collaboration(
                company_id=client.id,
                firm_id=firm.id,
                level=AccessLevel.FULL,
                state=CollaborationState.ACTIVE,
                initiated_by=Initiator.CLIENT,
                created_at=now,
                activated_at=now,
                updated_at=now,
            )
            for client in clients
        )
    return Firm(
        firm,
        await factory.log_in(admin, firm, SessionContext.PORTAL),
        await factory.log_in(consultant, firm, SessionContext.PORTAL),
        consultant.id,
        clients,
        employees,
    )


async def board(api: Api, token: str) -> list[str]:
    body = await api(BOARD, token=token)
    assert "errors" not in body, body
    return sorted(edge["node"]["company"]["name"] for edge in body["data"]["clients"]["edges"])


async def ok(api: Api, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    body = await api(query, variables, token=token)
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_by_default_every_user_of_the_firm_reaches_every_client(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]
    employee = await ok(api, EMPLOYEE, {"id": gid("Employee", f.employees[1])}, f.consultant)
    assert employee["node"] == {"firstName": "Emp1"}


async def test_with_the_policy_off_an_unassigned_consultant_reaches_no_client(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    await ok(api, POLICY, {"all": False}, f.admin)

    assert await board(api, f.consultant) == []
    assert (await api(EMPLOYEE, {"id": gid("Employee", f.employees[0])}, token=f.consultant))[
        "data"
    ]["node"] is None
    client = gid("Company", f.clients[0].id)
    assert only_error(await api(ENTER, {"id": client}, token=f.consultant))["code"] == "NOT_FOUND"
    # The firm's admin still reaches every client.
    assert await board(api, f.admin) == ["Kund 0 AB", "Kund 1 AB"]

    # Assigned directly: exactly that client, from the next request; unassigned: gone again.
    consultant = gid("User", f.consultant_id)
    assigned = await ok(api, ASSIGN, {"u": consultant, "c": [client]}, f.admin)
    assert assigned["assignClients"]["assignments"] == [
        {"userName": "Kalle Konsult", "clientName": "Kund 0 AB"}
    ]
    assert await board(api, f.consultant) == ["Kund 0 AB"]
    reached = await ok(api, EMPLOYEE, {"id": gid("Employee", f.employees[0])}, f.consultant)
    assert reached["node"] == {"firstName": "Emp0"}
    assert (await api(EMPLOYEE, {"id": gid("Employee", f.employees[1])}, token=f.consultant))[
        "data"
    ]["node"] is None
    entered = await ok(api, ENTER, {"id": client}, f.consultant)
    assert entered["enterClientCompany"]["viewer"]["role"] == "ADMIN"

    # The session inside the client's company loses it on its next request after unassigning.
    await ok(api, UNASSIGN, {"u": consultant, "c": [client]}, f.admin)
    inside = await api("{ viewer { context } }", token=f.consultant)
    assert inside["data"]["viewer"]["context"] == "PORTAL"
    assert await board(api, f.consultant) == []


async def test_a_team_gives_its_members_its_clients(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    await ok(api, POLICY, {"all": False}, f.admin)
    team = await ok(
        api,
        CREATE_TEAM,
        {
            "n": "Lön",
            "m": [gid("User", f.consultant_id)],
            "c": [gid("Company", f.clients[1].id)],
        },
        f.admin,
    )
    assert team["createTeam"]["team"]["members"] == [{"name": "Kalle Konsult"}]
    assert await board(api, f.consultant) == ["Kund 1 AB"]
    # The firm's teams with both their lists, within the cost limit.
    listed = await ok(api, "{ teams { name members { name } clients { name } } }", {}, f.admin)
    assert listed["teams"] == [
        {"name": "Lön", "members": [{"name": "Kalle Konsult"}], "clients": [{"name": "Kund 1 AB"}]}
    ]
    await ok(api, DELETE_TEAM, {"id": team["createTeam"]["team"]["id"]}, f.admin)
    assert await board(api, f.consultant) == []


async def test_only_the_firms_admins_manage_assignments(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    refused = await api(POLICY, {"all": False}, token=f.consultant)
    assert error_codes(refused) == ["FORBIDDEN"]
    other = await factory.company("Annan AB")
    unknown = await api(
        ASSIGN,
        {"u": gid("User", f.consultant_id), "c": [gid("Company", other.id)]},
        token=f.admin,
    )
    assert only_error(unknown)["code"] == "NOT_FOUND"


async def test_the_reach_costs_the_same_statements_for_1_and_20_assignments(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    counts = []
    for size in (1, 20):
        f = await firm_with_clients(factory, database, size)
        await ok(api, POLICY, {"all": False}, f.admin)
        clients = [gid("Company", client.id) for client in f.clients]
        await ok(api, ASSIGN, {"u": gid("User", f.consultant_id), "c": clients}, f.admin)
        sql_statements.count = 0
        assert len(await board(api, f.consultant)) == size
        counts.append(sql_statements.count)
    assert counts[0] == counts[1], counts


ASSIGNED = """{ clients(first: 100) { edges { node { company { name }
  assignedUsers { name since teams } } } } }"""


async def test_the_board_shows_the_firms_admin_who_is_assigned_to_each_client(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    f = await firm_with_clients(factory, database)
    consultant = gid("User", f.consultant_id)
    first, second = (gid("Company", client.id) for client in f.clients)
    await ok(api, ASSIGN, {"u": consultant, "c": [first]}, f.admin)
    await ok(api, CREATE_TEAM, {"n": "Lön", "m": [consultant], "c": [first, second]}, f.admin)

    sql_statements.count = 0
    data = await ok(api, ASSIGNED, {}, f.admin)
    shown = {
        edge["node"]["company"]["name"]: [
            (user["name"], user["teams"]) for user in edge["node"]["assignedUsers"]
        ]
        for edge in data["clients"]["edges"]
    }
    assert shown == {
        "Kund 0 AB": [("Kalle Konsult", ["Lön"])],
        "Kund 1 AB": [("Kalle Konsult", ["Lön"])],
    }
    # The board's page, and the assignments of all its clients in two statements.
    with_assignments = sql_statements.count
    sql_statements.count = 0
    await board(api, f.admin)
    assert with_assignments - sql_statements.count == 2

    # The firm's other users: the field alone is refused, the clients still answer.
    refused = await api(ASSIGNED, token=f.consultant)
    assert set(error_codes(refused)) == {"FORBIDDEN"}
    assert [edge["node"]["assignedUsers"] for edge in refused["data"]["clients"]["edges"]] == [
        None,
        None,
    ]


async def test_an_unassigned_consultant_cannot_export_nor_download_a_clients_payroll(
    api: Api, factory: Factory, database: Database
) -> None:
    """Exports and downloads follow the reach: a consultant exports while assigned; after the
    unassignment their own export's link answers 404 and a new export NOT_FOUND."""
    client_admin, _, period = await locked_february(api, factory, database)
    partner = await partner_of(api, factory, client_admin.token, "LIMITED")
    async with database.session() as session:
        firm = await session.get_one(Company, partner.firm_id)
    consultant = await factory.user(firm, Role.EMPLOYEE, name="Kalle Konsult")
    token = await factory.log_in(consultant, firm, SessionContext.PORTAL)
    await ok(api, POLICY, {"all": False}, partner.token)
    export = {"input": {"periodId": period["id"], **PAXML_FEB}}

    refused = await api(EXPORT_BASIS, export, token=token)
    assert only_error(refused)["code"] == "NOT_FOUND"

    assignment = {"u": gid("User", consultant.id), "c": [gid("Company", client_admin.company_id)]}
    await ok(api, ASSIGN, assignment, partner.token)
    made = exported(await api(EXPORT_BASIS, export, token=token))
    assert (await download(api, made["downloadUrl"], token=token)).status_code == 200

    await ok(api, UNASSIGN, assignment, partner.token)
    assert (await download(api, made["downloadUrl"], token=token)).status_code == 404
    assert only_error(await api(EXPORT_BASIS, export, token=token))["code"] == "NOT_FOUND"


CLIENT_SIDE = "{ collaborations { firmName assignedFirmUsers { name since } } }"


async def test_the_clients_admin_sees_who_of_the_firm_is_assigned(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    client_admin = await factory.admin(f.clients[0])
    consultant = gid("User", f.consultant_id)
    client = gid("Company", f.clients[0].id)
    await ok(api, ASSIGN, {"u": consultant, "c": [client]}, f.admin)
    await ok(api, CREATE_TEAM, {"n": "Lön", "m": [consultant], "c": [client]}, f.admin)

    data = await ok(api, CLIENT_SIDE, {}, client_admin.token)
    (collaboration,) = data["collaborations"]
    assert collaboration["firmName"] == "Byrån AB"
    (assignee,) = collaboration["assignedFirmUsers"]  # directly and through a team: once
    assert assignee["name"] == "Kalle Konsult" and assignee["since"]


async def test_the_migration_keeps_existing_firms_behaviour_and_goes_back(tmp_path: Path) -> None:
    """0013 on a database with a firm: its setting reads true (every user sees every client, as
    before); downgrading removes the tables and the column again. (SQLite here; the PostgreSQL
    leg migrates its own database to head through the same revision.)"""
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/before.db")

    def migrate(connection: Connection, to: str, down: bool = False) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(migrate, "0012_expense_currency_vouchers")
            await connection.execute(
                text(
                    "INSERT INTO companies (id, name, organisation_number, industry, created_at,"
                    " trial_ends_at) VALUES (1, 'Byrån AB', '5560000001', 'ACCOUNTING_PARTNER',"
                    " '2026-01-01 00:00:00', '2026-01-15 00:00:00')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO company_settings (company_id, period_kind, pay_day,"
                    " paxml_encoding, updated_at) VALUES (1, 'CALENDAR_MONTH', 25, 'UTF-8',"
                    " '2026-01-01 00:00:00')"
                )
            )
            await connection.run_sync(migrate, "0013_firm_assignments")
            kept = await connection.scalar(
                text("SELECT unassigned_users_see_all_clients FROM company_settings")
            )
            assert kept in (True, 1)
            await connection.run_sync(migrate, "0012_expense_currency_vouchers", True)
            tables = set(
                (
                    await connection.execute(
                        text("SELECT name FROM sqlite_master WHERE type = 'table'")
                    )
                ).scalars()
            )
            assert not {name for name in tables if name.startswith("firm_")}
    finally:
        await database.dispose()


async def test_a_users_assignments_are_read_only_for_users_of_the_admins_own_firm(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    client = gid("Company", f.clients[0].id)
    consultant = gid("User", f.consultant_id)
    await ok(api, ASSIGN, {"u": consultant, "c": [client]}, f.admin)
    read = "query($u: ID!) { firmAssignments(userId: $u) { nodes { clientName } } }"
    assert (await ok(api, read, {"u": consultant}, f.admin))["firmAssignments"]["nodes"] == [
        {"clientName": "Kund 0 AB"}
    ]
    # A user of another firm, and a client's user, do not exist for this firm's admin.
    other = await factory.user(await factory.company("Annan Byrå AB", firm=True))
    client_user = await factory.user(f.clients[0])
    for user in (other, client_user):
        answer = await api(read, {"u": gid("User", user.id)}, token=f.admin)
        assert only_error(answer)["code"] == "NOT_FOUND", answer


PAGE = """query($after: String, $u: ID) { firmAssignments(first: 2, after: $after, userId: $u) {
  edges { cursor node { userName clientName since } } pageInfo { hasNextPage endCursor }
  totalCount } }"""


async def test_the_firms_assignments_are_a_connection_by_user_then_client_name(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database, 3)
    other = await factory.user(f.firm, Role.EMPLOYEE, name="Berit Bokförare")
    clients = [gid("Company", client.id) for client in f.clients]
    await ok(api, ASSIGN, {"u": gid("User", f.consultant_id), "c": clients[:2]}, f.admin)
    await ok(api, ASSIGN, {"u": gid("User", other.id), "c": clients[2:]}, f.admin)

    first = (await ok(api, PAGE, {}, f.admin))["firmAssignments"]
    assert [(e["node"]["userName"], e["node"]["clientName"]) for e in first["edges"]] == [
        ("Berit Bokförare", "Kund 2 AB"),
        ("Kalle Konsult", "Kund 0 AB"),
    ]
    assert first["pageInfo"]["hasNextPage"] and first["totalCount"] == 3
    rest = (await ok(api, PAGE, {"after": first["pageInfo"]["endCursor"]}, f.admin))[
        "firmAssignments"
    ]
    assert [(e["node"]["userName"], e["node"]["clientName"]) for e in rest["edges"]] == [
        ("Kalle Konsult", "Kund 1 AB")
    ]
    assert not rest["pageInfo"]["hasNextPage"]
    # One user's: the same order, the same paging.
    own = await ok(api, PAGE, {"u": gid("User", other.id)}, f.admin)
    assert own["firmAssignments"]["totalCount"] == 1


REMOVE = "mutation($u: ID!) { removeUser(userId: $u) { removedUserId } }"
REMOVED_EVENTS = "SELECT details FROM audit_events WHERE action = 'USER_REMOVED'"


async def test_a_user_removed_from_the_firm_loses_assignments_and_team_memberships(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database)
    consultant = gid("User", f.consultant_id)
    first, second = (gid("Company", client.id) for client in f.clients)
    await ok(api, ASSIGN, {"u": consultant, "c": [first]}, f.admin)
    team = await ok(api, CREATE_TEAM, {"n": "Lön", "m": [consultant], "c": [second]}, f.admin)
    await ok(api, REMOVE, {"u": consultant}, f.admin)

    async with database.session() as session:
        left = {
            table: await session.scalar(
                text(f"SELECT count(*) FROM {table} WHERE user_id = :u"), {"u": f.consultant_id}
            )
            for table in ("firm_assignments", "firm_team_members")
        }
        (details,) = (await session.execute(text(REMOVED_EVENTS))).scalars()
    assert left == {"firm_assignments": 0, "firm_team_members": 0}
    # The team stays, with its clients; the removal's audit event names what ended.
    async with database.session() as session:
        team_clients = await session.scalar(text("SELECT count(*) FROM firm_team_clients"))
    assert team_clients == 1
    if isinstance(details, str):
        details = json.loads(details)
    assert details["assigned_clients"] == [f.clients[0].id]
    assert details["teams"] == {"Lön": [f.clients[1].id]}
    assert team["createTeam"]["team"]["members"] == [{"name": "Kalle Konsult"}]


REQUIRE = """mutation($r: Boolean!) { setRequireNamedAssignment(required: $r) {
  settings { requireNamedAssignment } } }"""
FIRM_SIDE = "{ collaborations { clientName namedAssignmentRequired } }"
CLIENT_TRAIL = """{ auditEvents(first: 50) { edges { node { action actorName actorFirmName
  details } } } }"""


async def test_a_client_requiring_named_assignment_is_reached_only_by_assigned_users(
    api: Api, factory: Factory, database: Database
) -> None:
    """The firm lets unassigned users see every client (the default), but a client that
    requires named assignment is reached only by the users assigned to it (and the firm's
    admins), from their next request, in the portal and inside the company alike."""
    f = await firm_with_clients(factory, database)
    client_admin = await factory.admin(f.clients[0])
    client = gid("Company", f.clients[0].id)
    consultant = gid("User", f.consultant_id)
    inside = await factory.log_in(
        await factory.user(f.firm, Role.EMPLOYEE, name="Inne Konsult"),
        f.firm,
        SessionContext.PORTAL,
    )
    await ok(api, ENTER, {"id": client}, inside)
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]

    required = await ok(api, REQUIRE, {"r": True}, client_admin.token)
    assert required["setRequireNamedAssignment"]["settings"] == {"requireNamedAssignment": True}

    assert await board(api, f.consultant) == ["Kund 1 AB"]
    assert (await api(EMPLOYEE, {"id": gid("Employee", f.employees[0])}, token=f.consultant))[
        "data"
    ]["node"] is None
    assert only_error(await api(ENTER, {"id": client}, token=f.consultant))["code"] == "NOT_FOUND"
    # The session inside the company is back in the portal on its next request.
    assert (await ok(api, "{ viewer { context } }", {}, inside))["viewer"]["context"] == "PORTAL"
    # The firm's admins still reach it, and the firm sees the client's condition.
    assert await board(api, f.admin) == ["Kund 0 AB", "Kund 1 AB"]
    shown = {
        c["clientName"]: c["namedAssignmentRequired"]
        for c in (await ok(api, FIRM_SIDE, {}, f.admin))["collaborations"]
    }
    assert shown == {"Kund 0 AB": True, "Kund 1 AB": False}

    # Assigned by name (or through a team), the consultant reaches it again.
    await ok(api, ASSIGN, {"u": consultant, "c": [client]}, f.admin)
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]
    await ok(api, UNASSIGN, {"u": consultant, "c": [client]}, f.admin)
    await ok(api, CREATE_TEAM, {"n": "Lön", "m": [consultant], "c": [client]}, f.admin)
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]

    # Lifted again: every user of the firm, by the firm's policy (the session that was inside
    # the company, and never left it, is there again).
    await ok(api, REQUIRE, {"r": False}, client_admin.token)
    assert (await ok(api, "{ viewer { context } }", {}, inside))["viewer"]["context"] == "COMPANY"
    trail = (await ok(api, CLIENT_TRAIL, {}, client_admin.token))["auditEvents"]["edges"]
    set_events = [
        json.loads(e["node"]["details"])
        for e in trail
        if e["node"]["action"] == "COLLABORATION_NAMED_ASSIGNMENT_SET"
    ]
    assert set_events == [{"require_named_assignment": False}, {"require_named_assignment": True}]


async def test_only_the_clients_admins_set_named_assignment(
    api: Api, factory: Factory, database: Database
) -> None:
    """A FULL partner inside the company writes its settings, but the condition on the firm is
    the client's: FORBIDDEN. An employee of the client, or the firm in its portal, neither."""
    f = await firm_with_clients(factory, database)
    await ok(api, ENTER, {"id": gid("Company", f.clients[0].id)}, f.admin)
    assert error_codes(await api(REQUIRE, {"r": True}, token=f.admin)) == ["FORBIDDEN"]
    # Not in an employee's schema, nor in the portal's.
    staff = await factory.staff(f.clients[0])
    for token in (staff.token, f.consultant):
        refused = await api(REQUIRE, {"r": True}, token=token)
        assert error_codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]


async def test_the_clients_trail_names_the_firms_user_who_acted(
    api: Api, factory: Factory, database: Database
) -> None:
    """Two users of the same firm act inside the client's company: the client's audit trail
    names each of them, with the firm; the client sees who is assigned, by name or team."""
    f = await firm_with_clients(factory, database)
    client_admin = await factory.admin(f.clients[0])
    client = gid("Company", f.clients[0].id)
    settings = "mutation { updateCompanySettings(input: {payDay: 20}) { settings { payDay } } }"
    for token in (f.admin, f.consultant):
        await ok(api, ENTER, {"id": client}, token)
        await ok(api, settings, {}, token)
    trail = (await ok(api, CLIENT_TRAIL, {}, client_admin.token))["auditEvents"]["edges"]
    entered = sorted(
        (e["node"]["actorName"], e["node"]["actorFirmName"])
        for e in trail
        if e["node"]["action"] == "PARTNER_ENTERED_COMPANY"
    )
    assert entered == [("Ada Admin", "Byrån AB"), ("Kalle Konsult", "Byrån AB")]
    changed = [
        (e["node"]["actorName"], e["node"]["actorFirmName"])
        for e in trail
        if e["node"]["action"] == "COMPANY_SETTINGS_UPDATED"
    ]
    assert changed == [("Ada Admin", "Byrån AB")]  # the second set the same day: no change

    consultant = gid("User", f.consultant_id)
    admin_portal = await factory.log_in(
        await factory.user(f.firm, Role.ADMIN, name="Bo Byråchef"), f.firm, SessionContext.PORTAL
    )
    await ok(api, CREATE_TEAM, {"n": "Lön", "m": [consultant], "c": [client]}, admin_portal)
    who = "{ collaborations { assignedFirmUsers { name byName } } }"
    (collaboration,) = (await ok(api, who, {}, client_admin.token))["collaborations"]
    assert collaboration["assignedFirmUsers"] == [{"name": "Kalle Konsult", "byName": False}]


async def test_migration_0017_requires_no_named_assignment_of_existing_clients(
    tmp_path: Path,
) -> None:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/before.db")

    def migrate(connection: Connection, to: str, down: bool = False) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, to)

    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(migrate, "0016_firm_assistant")
            await connection.execute(
                text(
                    "INSERT INTO companies (id, name, organisation_number, industry, created_at,"
                    " trial_ends_at) VALUES (1, 'Kund AB', '5560000001', 'OTHER',"
                    " '2026-01-01 00:00:00', '2026-01-15 00:00:00')"
                )
            )
            await connection.execute(
                text(
                    "INSERT INTO company_settings (company_id, period_kind, pay_day,"
                    " paxml_encoding, updated_at) VALUES (1, 'CALENDAR_MONTH', 25, 'UTF-8',"
                    " '2026-01-01 00:00:00')"
                )
            )
            await connection.run_sync(migrate, "0017_named_assignment")
            kept = await connection.scalar(
                text("SELECT require_named_assignment FROM company_settings")
            )
            assert kept in (False, 0)
            await connection.run_sync(migrate, "0016_firm_assistant", True)
            columns = (await connection.execute(text("PRAGMA table_info(company_settings)"))).all()
            assert "require_named_assignment" not in {column[1] for column in columns}
    finally:
        await database.dispose()
