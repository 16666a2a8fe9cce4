"""When a user leaves the firm, and changes to many clients at once (issue 20, point 4): the
leaver report (for a user in the firm and for a removed one), reassigning their clients in bulk,
and asking many clients for another level or ending many collaborations, with a dry run that
changes nothing. Over HTTP, on a real database; statements do not grow with the clients."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_firm_assignments import (
    ASSIGN,
    CREATE_TEAM,
    Firm,
    board,
    firm_with_clients,
    ok,
)

REPORT = """query($u: ID!) { firmLeaverReport(userId: $u) { name removedAt
  clients { clientName byName teams otherAssignees onlyAssignee } } }"""
REMOVE = "mutation($u: ID!) { removeUser(userId: $u) { removedUserId } }"
REASSIGN = """mutation($from: ID!, $to: ID!, $c: [ID!]) {
  reassignClients(fromUserId: $from, toUserId: $to, clientIds: $c) {
    assignments { userName clientName }
    report { clients { clientName onlyAssignee otherAssignees } } } }"""
BULK_LEVEL = """mutation($c: [ID!]!, $l: AccessLevel!, $dry: Boolean!) {
  bulkRequestLevel(clientIds: $c, level: $l, dryRun: $dry) { dryRun results {
    clientId changes state requestedLevel errorCode message
    collaboration { clientName level requestedLevel state } } } }"""
BULK_END = """mutation($c: [ID!]!, $dry: Boolean!) {
  bulkEndCollaborations(clientIds: $c, dryRun: $dry) { dryRun results {
    clientId changes state errorCode collaboration { state } } } }"""
ACCEPT = "mutation($id: ID!) { acceptCollaboration(id: $id) { collaboration { level } } }"
CLIENT_COLLABORATION = "{ collaborations { id level requestedLevel } }"


async def _counts(database: Database) -> dict[str, Any]:
    """What a dry run must leave as it was: the events, the mails, the collaborations."""
    async with database.session() as session:
        return {
            "events": await session.scalar(text("SELECT count(*) FROM audit_events")),
            "mails": await session.scalar(text("SELECT count(*) FROM email_outbox")),
            "collaborations": list(
                await session.execute(
                    text(
                        "SELECT id, state, level, requested_level, updated_at FROM"
                        " collaborations ORDER BY id"
                    )
                )
            ),
        }


async def _leaver_setting(api: Api, factory: Factory, database: Database) -> tuple[Firm, str]:
    """Kalle: Kund 0 by name and through the team Lön; Kund 1 through Lön only, where Berit is
    assigned too; Kund 2 is nobody's. Answers the firm and Berit's `User` id."""
    f = await firm_with_clients(factory, database, 3)
    berit = await factory.user(f.firm, Role.EMPLOYEE, name="Berit Bokförare")
    kalle = gid("User", f.consultant_id)
    first, second, _ = (gid("Company", client.id) for client in f.clients)
    await ok(api, ASSIGN, {"u": kalle, "c": [first]}, f.admin)
    await ok(api, CREATE_TEAM, {"n": "Lön", "m": [kalle], "c": [first, second]}, f.admin)
    await ok(api, ASSIGN, {"u": gid("User", berit.id), "c": [second]}, f.admin)
    return f, gid("User", berit.id)


EXPECTED = [
    {
        "clientName": "Kund 0 AB",
        "byName": True,
        "teams": ["Lön"],
        "otherAssignees": 0,
        "onlyAssignee": True,
    },
    {
        "clientName": "Kund 1 AB",
        "byName": False,
        "teams": ["Lön"],
        "otherAssignees": 1,
        "onlyAssignee": False,
    },
]


async def test_the_leaver_report_of_a_user_in_the_firm_and_after_their_removal(
    api: Api, factory: Factory, database: Database
) -> None:
    f, _ = await _leaver_setting(api, factory, database)
    kalle = gid("User", f.consultant_id)
    report = (await ok(api, REPORT, {"u": kalle}, f.admin))["firmLeaverReport"]
    assert (report["name"], report["removedAt"]) == ("Kalle Konsult", None)
    assert report["clients"] == EXPECTED

    # Removed: the assignments are gone, the report is what they were (from the removal's event).
    await ok(api, REMOVE, {"u": kalle}, f.admin)
    removed = (await ok(api, REPORT, {"u": kalle}, f.admin))["firmLeaverReport"]
    assert removed["removedAt"] is not None
    assert removed["clients"] == EXPECTED


async def test_the_leaver_report_is_the_firms_admins_and_about_the_firms_users(
    api: Api, factory: Factory, database: Database
) -> None:
    f, _ = await _leaver_setting(api, factory, database)
    kalle = gid("User", f.consultant_id)
    assert error_codes(await api(REPORT, {"u": kalle}, token=f.consultant)) == ["FORBIDDEN"]
    # Never in the firm: a client's user, another firm's user, nobody.
    client_user = await factory.user(f.clients[0])
    other_firm = await factory.user(await factory.company("Annan Byrå AB", firm=True))
    for user_id in (client_user.id, other_firm.id, 10**6):
        refused = only_error(await api(REPORT, {"u": gid("User", user_id)}, token=f.admin))
        assert (refused["code"], refused["field"]) == ("NOT_FOUND", "userId"), refused


async def test_a_removed_users_clients_are_reassigned_in_bulk_and_audited_per_client(
    api: Api, factory: Factory, database: Database
) -> None:
    f, berit = await _leaver_setting(api, factory, database)
    kalle = gid("User", f.consultant_id)
    await ok(api, REMOVE, {"u": kalle}, f.admin)

    moved = (await ok(api, REASSIGN, {"from": kalle, "to": berit}, f.admin))["reassignClients"]
    assert moved["assignments"] == [
        {"userName": "Berit Bokförare", "clientName": "Kund 0 AB"},
        {"userName": "Berit Bokförare", "clientName": "Kund 1 AB"},
    ]
    assert moved["report"]["clients"] == [
        {"clientName": "Kund 0 AB", "onlyAssignee": False, "otherAssignees": 1},
        {"clientName": "Kund 1 AB", "onlyAssignee": False, "otherAssignees": 1},
    ]
    async with database.session() as session:
        events = list(
            await session.execute(
                text(
                    "SELECT company_id, details FROM audit_events"
                    " WHERE action = 'FIRM_CLIENTS_REASSIGNED' ORDER BY id"
                )
            )
        )
    assert [company for company, _ in events] == [f.firm.id, f.firm.id]
    assert len(events) == 2  # one per client


async def test_reassigning_some_clients_of_a_user_in_the_firm(
    api: Api, factory: Factory, database: Database
) -> None:
    f, berit = await _leaver_setting(api, factory, database)
    kalle = gid("User", f.consultant_id)
    first, second, third = (gid("Company", client.id) for client in f.clients)

    not_theirs = only_error(
        await api(REASSIGN, {"from": kalle, "to": berit, "c": [third]}, token=f.admin)
    )
    assert (not_theirs["code"], not_theirs["field"]) == ("BAD_USER_INPUT", "clientIds")
    same = only_error(await api(REASSIGN, {"from": kalle, "to": kalle}, token=f.admin))
    assert same["field"] == "toUserId"

    moved = await ok(api, REASSIGN, {"from": kalle, "to": berit, "c": [first]}, f.admin)
    # Kalle's own assignment of Kund 0 ended; his team still has it (teams are left as they are).
    report = (await ok(api, REPORT, {"u": kalle}, f.admin))["firmLeaverReport"]["clients"]
    assert [(c["clientName"], c["byName"], c["otherAssignees"]) for c in report] == [
        ("Kund 0 AB", False, 1),
        ("Kund 1 AB", False, 1),
    ]
    assert {a["clientName"] for a in moved["reassignClients"]["assignments"]} == {
        "Kund 0 AB",
        "Kund 1 AB",
    }
    assert second


async def test_bulk_level_request_dry_run_changes_nothing_then_each_client_decides(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database, 3)
    stranger = await factory.company("Främling AB")
    client_admin = await factory.admin(f.clients[0])
    clients = [gid("Company", client.id) for client in f.clients]
    asked = [*clients, gid("Company", stranger.id)]

    before = await _counts(database)
    dry = await ok(api, BULK_LEVEL, {"c": asked, "l": "LIMITED", "dry": True}, f.admin)
    answer = dry["bulkRequestLevel"]
    assert answer["dryRun"] is True
    assert [(r["changes"], r["requestedLevel"], r["errorCode"]) for r in answer["results"]] == [
        (True, "LIMITED", None),
        (True, "LIMITED", None),
        (True, "LIMITED", None),
        (False, None, "NOT_FOUND"),
    ]
    # As it is: nothing asked yet.
    assert answer["results"][0]["collaboration"]["requestedLevel"] is None
    assert await _counts(database) == before  # no row, no event, no mail

    done = await ok(api, BULK_LEVEL, {"c": clients[:2], "l": "LIMITED", "dry": False}, f.admin)
    results = done["bulkRequestLevel"]["results"]
    assert [r["collaboration"]["requestedLevel"] for r in results] == ["LIMITED", "LIMITED"]
    assert [r["collaboration"]["level"] for r in results] == ["FULL", "FULL"]
    # Asked again, and for the level a client already has: why not, per client.
    again = await ok(api, BULK_LEVEL, {"c": clients[:1], "l": "LIMITED", "dry": True}, f.admin)
    assert again["bulkRequestLevel"]["results"][0]["errorCode"] == "ALREADY_REQUESTED"
    full = await ok(api, BULK_LEVEL, {"c": clients[:1], "l": "FULL", "dry": True}, f.admin)
    assert full["bulkRequestLevel"]["results"][0]["errorCode"] == "UNCHANGED"

    # The client still decides its side: its admin accepts the request.
    (collaboration,) = (await ok(api, CLIENT_COLLABORATION, {}, client_admin.token))[
        "collaborations"
    ]
    assert collaboration["requestedLevel"] == "LIMITED"
    accepted = await ok(api, ACCEPT, {"id": collaboration["id"]}, client_admin.token)
    assert accepted["acceptCollaboration"]["collaboration"]["level"] == "LIMITED"
    async with database.session() as session:
        mails = await session.scalar(
            text("SELECT count(*) FROM email_outbox WHERE kind = 'COLLABORATION_LEVEL_REQUESTED'")
        )
    assert mails == 1  # to the one client with an admin


async def test_bulk_end_dry_run_then_for_real(
    api: Api, factory: Factory, database: Database
) -> None:
    f = await firm_with_clients(factory, database, 2)
    clients = [gid("Company", client.id) for client in f.clients]
    before = await _counts(database)
    dry = (await ok(api, BULK_END, {"c": clients, "dry": True}, f.admin))["bulkEndCollaborations"]
    assert [(r["changes"], r["state"], r["collaboration"]["state"]) for r in dry["results"]] == [
        (True, "ENDED", "ACTIVE"),
        (True, "ENDED", "ACTIVE"),
    ]
    assert await _counts(database) == before
    assert await board(api, f.consultant) == ["Kund 0 AB", "Kund 1 AB"]

    ended = await ok(api, BULK_END, {"c": clients[:1], "dry": False}, f.admin)
    assert ended["bulkEndCollaborations"]["results"][0]["collaboration"]["state"] == "ENDED"
    assert await board(api, f.consultant) == ["Kund 1 AB"]
    again = await ok(api, BULK_END, {"c": clients[:1], "dry": False}, f.admin)
    assert again["bulkEndCollaborations"]["results"][0]["errorCode"] == "NOT_FOUND"
    # Only the firm's admins.
    refused = await api(BULK_END, {"c": clients, "dry": True}, token=f.consultant)
    assert error_codes(refused) == ["FORBIDDEN"]


async def test_bulk_changes_and_reassigning_cost_the_same_statements_for_1_and_20_clients(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    counts: dict[str, list[int]] = {"level": [], "end": [], "reassign": [], "report": []}
    for size in (1, 20):
        f = await firm_with_clients(factory, database, size)
        for client in f.clients:
            await factory.admin(client)  # every client's admin is mailed
        clients = [gid("Company", client.id) for client in f.clients]
        berit = await factory.user(f.firm, Role.EMPLOYEE, name="Berit Bokförare")
        await ok(api, ASSIGN, {"u": gid("User", f.consultant_id), "c": clients}, f.admin)

        async def counted(query: str, variables: dict[str, Any], token: str) -> int:
            sql_statements.count = 0
            await ok(api, query, variables, token)
            return int(sql_statements.count)

        counts["level"].append(
            await counted(BULK_LEVEL, {"c": clients, "l": "LIMITED", "dry": False}, f.admin)
        )
        counts["report"].append(await counted(REPORT, {"u": gid("User", f.consultant_id)}, f.admin))
        reassign = {"from": gid("User", f.consultant_id), "to": gid("User", berit.id)}
        counts["reassign"].append(await counted(REASSIGN, reassign, f.admin))
        counts["end"].append(await counted(BULK_END, {"c": clients, "dry": False}, f.admin))
    assert all(one == twenty for one, twenty in counts.values()), counts
