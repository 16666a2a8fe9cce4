"""Live updates (issue 16): GraphQL subscriptions over graphql-transport-ws on /graphql, per
role, delivered only to viewers who may read the object at that moment; through a real
WebSocket client against a real uvicorn server (tests/live.py)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gql_portal.auth import SESSION_COOKIE
from gql_portal.db.accounts import User
from gql_portal.domain.accounts import SessionContext
from gql_portal.http.live import SESSION_ENDED
from gql_portal.live import Event, Topic
from gql_portal.live.bus import merged
from gql_portal.live.shared import SharedReads
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Actor
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from tests.accounts import PASSWORD
from tests.conftest import PUBLIC_URL, Api
from tests.factories import Factory, gid
from tests.live import Live, live, live_server
from tests.test_absence import APPROVE as ABSENCE_APPROVE
from tests.test_absence import CANCEL as ABSENCE_CANCEL
from tests.test_absence import REJECT as ABSENCE_REJECT
from tests.test_absence import REQUEST as ABSENCE_REQUEST
from tests.test_expenses import APPROVE, submit
from tests.test_exports_access import partner_of
from tests.test_time import ATTEST, REPORT, UNATTEST, code_id, report
from tests.test_time import DELETE as DELETE_ENTRY
from tests.test_time import UPDATE as UPDATE_ENTRY

EXPENSES = "subscription { expenseChanged { id status amount employee { id } } }"
EXPENSES_OF = "subscription($c: ID) { expenseChanged(companyId: $c) { id status } }"
EXPORTS = "subscription { exportsUpdated { id kind state progress downloadUrl } }"
EXPORT = "subscription($id: ID!) { exportUpdated(id: $id) { id state downloadUrl } }"
EXPORT_EXPENSES = """mutation($input: ExpenseExportInput!) {
  exportExpenses(input: $input) { export { id state } } }"""


@pytest.fixture
async def url(runtime: Runtime) -> Any:
    async with live_server(runtime) as address:
        yield address


def subscription_fields(role: SchemaRole) -> set[str]:
    schema = role_schema(role)
    root = schema._schema.subscription_type
    return set(root.fields) if root is not None else set()


def test_each_role_has_the_subscriptions_of_what_it_may_read() -> None:
    assert subscription_fields(SchemaRole.PUBLIC) == set()
    # An employee: their own expenses and the periods (as the `payrollPeriods` query).
    assert subscription_fields(SchemaRole.EMPLOYEE) == {"expenseChanged", "payrollPeriodChanged"}
    company = {
        "collaborationChanged",
        "expenseChanged",
        "exportUpdated",
        "exportsUpdated",
        "payrollPeriodChanged",
    }
    assert subscription_fields(SchemaRole.COMPANY_ADMIN) == company
    assert subscription_fields(SchemaRole.PARTNER_PORTAL) == company | {"clientBoardChanged"}


async def test_an_expense_reaches_the_viewers_who_may_read_it_as_it_is_then(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    bertil = await factory.staff(company)
    other_admin = await factory.admin(await factory.company("Annan AB"))
    async with (
        live(url, token=admin.token) as admins,
        live(url, token=anna.token) as annas,
        live(url, token=bertil.token) as bertils,
        live(url, token=other_admin.token) as others,
    ):
        for connection in (admins, annas, bertils, others):
            await connection.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)  # every subscription listening

        expense = await submit(api, anna.token)
        submitted = {
            "expenseChanged": {
                "id": expense["id"],
                "status": "SUBMITTED",
                "amount": "112.00",
                "employee": {"id": gid("Employee", anna.employee_id or 0)},
            }
        }
        assert await admins.next_of("1") == {"data": submitted}
        assert await annas.next_of("1") == {"data": submitted}

        body = await api(APPROVE, {"id": expense["id"]}, token=admin.token)
        assert "errors" not in body, body
        approved = (await admins.next_of("1"))["data"]["expenseChanged"]
        assert (approved["id"], approved["status"]) == (expense["id"], "APPROVED")
        assert (await annas.next_of("1"))["data"]["expenseChanged"]["status"] == "APPROVED"

        # Another employee (own expenses only) and another company never hear of it.
        await bertils.nothing_for(0.5)
        await others.nothing_for(0.1)


async def test_a_burst_of_changes_to_one_object_is_one_event(
    url: str, api: Api, factory: Factory, runtime: Runtime
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    expense = await submit(api, anna.token)
    expense_id = int(expense["id"] and _row_id(expense["id"]))
    async with live(url, token=admin.token) as admins:
        await admins.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        for _ in range(1000):  # through the bus (on PostgreSQL: 1,000 NOTIFYs)
            await runtime.bus.publish(Event(Topic.EXPENSE, company.id, (expense_id,)))
        burst = time.monotonic() - started
        events = [await admins.next_of("1")]
        with contextlib.suppress(TimeoutError):
            while True:
                events.append(await admins.next_of("1", seconds=0.6))
        # At most one delivery per coalescing window while the burst lasted (one on SQLite,
        # where the burst takes no time), each the expense as it is.
        assert len(events) <= 1 + int(burst / runtime.bus.window) + 1, (len(events), burst)
        assert {event["data"]["expenseChanged"]["id"] for event in events} == {expense["id"]}


async def test_after_commit_hooks_of_a_burst_are_sent_together_and_merged(
    url: str, api: Api, factory: Factory, runtime: Runtime
) -> None:
    """300 after-commit publications (`publish_soon`, as SQLAlchemy's hook calls it) of three
    expenses: on PostgreSQL a few NOTIFY statements, their events merged per company; each
    subscriber gets each expense about once."""
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    expenses = [await submit(api, anna.token) for _ in range(3)]
    ids = [_row_id(expense["id"]) for expense in expenses]
    assert merged(
        [Event(Topic.EXPENSE, company.id, (i,)) for i in ids * 2]
        + [Event(Topic.EXPORT, company.id, (ids[0],))]
    ) == [Event(Topic.EXPENSE, company.id, tuple(ids)), Event(Topic.EXPORT, company.id, (ids[0],))]
    async with live(url, token=admin.token) as admins:
        await admins.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)
        for _ in range(100):
            for expense_id in ids:
                runtime.bus.publish_soon(Event(Topic.EXPENSE, company.id, (expense_id,)))
        events = [await admins.next_of("1")]
        with contextlib.suppress(TimeoutError):
            while True:
                events.append(await admins.next_of("1", seconds=0.6))
        delivered = [event["data"]["expenseChanged"]["id"] for event in events]
        assert set(delivered) == {expense["id"] for expense in expenses}
        assert len(delivered) <= 6, delivered


async def test_an_export_is_followed_from_queued_to_done_with_its_download_link(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    await submit(api, anna.token)
    async with live(url, token=admin.token) as admins:
        await admins.subscribe("all", EXPORTS)
        await asyncio.sleep(0.1)
        body = await api(
            EXPORT_EXPENSES,
            {"input": {"from": "2026-02-01", "to": "2026-02-28", "statuses": ["SUBMITTED"]}},
            token=admin.token,
        )
        assert "errors" not in body, body
        export_id = body["data"]["exportExpenses"]["export"]["id"]
        states = []
        while not states or states[-1]["state"] != "DONE":
            states.append((await admins.next_of("all"))["data"]["exportsUpdated"])
        assert {state["id"] for state in states} == {export_id}
        assert states[-1]["progress"] == 100
        assert states[-1]["downloadUrl"].startswith(f"{PUBLIC_URL}/files/exports/")

        # One export: its state now, and DONE completes the subscription.
        await admins.subscribe("one", EXPORT, {"id": export_id})
        done = (await admins.next_of("one"))["data"]["exportUpdated"]
        assert (done["id"], done["state"]) == (export_id, "DONE")
        assert await admins.receive() == {"id": "one", "type": "complete"}


def _row_id(global_id: str) -> int:
    import base64

    return int(base64.b64decode(global_id).decode().split(":")[1])


# --- the connection: protocol and viewer ----------------------------------------------------


async def test_a_token_in_connection_init_or_the_cookie_of_our_own_site_names_the_viewer(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    cookie = {"cookie": f"{SESSION_COOKIE}={admin.token}", "origin": PUBLIC_URL}
    async with live(url, headers=cookie) as admins, live(url, token=anna.token) as annas:
        await admins.subscribe("1", EXPORTS)  # an administrator's subscription
        await annas.subscribe("1", EXPORTS)  # not in an employee's schema
        refused = await annas.receive()
        assert refused["type"] == "error"
        assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        await admins.nothing_for(0.2)


async def test_the_cookie_from_another_site_is_refused_at_the_handshake(
    url: str, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    cookie = {"cookie": f"{SESSION_COOKIE}={admin.token}", "origin": "https://evil.example"}
    with pytest.raises(InvalidStatus) as refused:
        async with live(url, headers=cookie, init=False):
            pass
    assert refused.value.response.status_code == 403


async def test_a_dead_session_is_closed_4401(url: str, api: Api, factory: Factory) -> None:
    admin = await factory.admin(await factory.company())
    for token in ("gqlp_s_not-a-session", admin.token):
        if token == admin.token:
            body = await api("mutation { logOut }", token=admin.token)
            assert "errors" not in body, body
        async with live(url, init=False) as connection:
            payload = {"authorization": f"Bearer {token}"}
            await connection.send({"type": "connection_init", "payload": payload})
            assert await connection.closed() == (4401, SESSION_ENDED)


async def test_the_legacy_graphql_ws_protocol_is_refused_4406(url: str) -> None:
    async with live(url, subprotocols=["graphql-ws"], init=False) as connection:
        assert await connection.closed() == (4406, "Subprotocol not acceptable")


async def test_queries_and_mutations_go_over_http(url: str, factory: Factory) -> None:
    admin = await factory.admin(await factory.company())
    async with live(url, token=admin.token) as connection:
        await connection.subscribe("1", "{ viewer { id } }")
        refused = await connection.receive()
        assert (refused["id"], refused["type"]) == ("1", "error")


async def test_an_anonymous_viewer_has_nothing_to_follow(url: str) -> None:
    async with live(url) as connection:
        await connection.subscribe("1", EXPENSES)
        refused = await connection.receive()
        assert (refused["id"], refused["type"]) == ("1", "error")
        assert refused["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_an_unknown_export_is_not_found(url: str, factory: Factory) -> None:
    admin = await factory.admin(await factory.company())
    async with live(url, token=admin.token) as connection:
        await connection.subscribe("1", EXPORT, {"id": gid("Export", 999)})
        refused = await connection.receive()
        assert refused["type"] == "error", refused
        assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"


# --- limits ---------------------------------------------------------------------------------


async def test_subscriptions_per_connection_are_limited(runtime: Runtime, factory: Factory) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, live_max_per_connection=2)
    admin = await factory.admin(await factory.company())
    async with live_server(runtime) as url, live(url, token=admin.token) as connection:
        for operation_id in ("1", "2", "3"):
            await connection.subscribe(operation_id, EXPENSES)
        refused = await connection.receive()
        assert (refused["id"], refused["type"]) == ("3", "error")
        extensions = refused["payload"][0]["extensions"]
        assert (extensions["code"], extensions["reason"], extensions["limit"]) == (
            "RATE_LIMITED",
            "TOO_MANY_SUBSCRIPTIONS",
            2,
        )
        await connection.send({"id": "1", "type": "complete"})
        await asyncio.sleep(0.1)
        await connection.subscribe("3", EXPENSES)
        await connection.nothing_for(0.2)


# --- revocation: access changes end streams at once -------------------------------------------

ENTER = "mutation($id: ID!) { enterClientCompany(clientId: $id) { viewer { context } } }"
CHANGE_LEVEL = """mutation($id: ID!, $l: AccessLevel!) {
  changeCollaborationLevel(id: $id, level: $l) { collaboration { level } } }"""
END = "mutation($id: ID!) { endCollaboration(id: $id) { collaboration { state } } }"
NEW_PASSWORD = "ett alldeles nytt lösenord 2026"
PORTAL = SessionContext.PORTAL


def test_an_access_depends_on_its_company_the_firm_it_acts_for_and_its_clients() -> None:
    """Which companies' collaboration or member changes make a connection read its viewer's
    access again (http/live.py; the decision is the Access's)."""
    admin = Access(role=SchemaRole.COMPANY_ADMIN, user_id=1, company_id=10, actor=Actor.ADMIN)
    portal = Access(
        role=SchemaRole.PARTNER_PORTAL,
        user_id=2,
        company_id=20,
        company_is_firm=True,
        client_ids=frozenset({10, 11}),
    )
    inside = Access(
        role=SchemaRole.COMPANY_ADMIN,
        user_id=2,
        company_id=10,
        actor=Actor.FULL_PARTNER,
        acting_firm_id=20,
    )
    assert [c for c in (10, 11, 20, 30) if admin.depends_on_company(c)] == [10]
    assert [c for c in (10, 11, 20, 30) if portal.depends_on_company(c)] == [10, 11, 20]
    assert [c for c in (10, 11, 20, 30) if inside.depends_on_company(c)] == [10, 20]


async def test_logging_out_closes_the_sessions_sockets_4401(
    url: str, api: Api, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    async with live(url, token=admin.token) as connection:
        await connection.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)
        assert "errors" not in await api("mutation { logOut }", token=admin.token)
        assert await connection.closed() == (4401, SESSION_ENDED)


async def test_a_password_change_closes_the_other_sessions_sockets_4401(
    url: str, api: Api, factory: Factory, runtime: Runtime
) -> None:
    company = await factory.company()
    user = await factory.user(company)
    async with runtime.database.transaction() as session:
        stored = await session.get_one(User, user.id)
        stored.password_hash = await runtime.passwords.hash(PASSWORD)
    phone, laptop = await factory.log_in(user, company), await factory.log_in(user, company)
    async with live(url, token=phone) as on_phone, live(url, token=laptop) as on_laptop:
        for connection in (on_phone, on_laptop):
            await connection.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)
        body = await api(
            "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, "
            "newPassword: $n) }",
            {"c": PASSWORD, "n": NEW_PASSWORD},
            token=laptop,
        )
        assert "errors" not in body, body
        assert await on_phone.closed() == (4401, SESSION_ENDED)
        await on_laptop.nothing_for(0.3)  # the session that changed it keeps its stream


async def test_a_downgrade_to_limited_completes_the_partners_subscriptions_inside_the_client(
    url: str, api: Api, factory: Factory
) -> None:
    client = await factory.company()
    admin = await factory.admin(client)
    partner = await partner_of(api, factory, admin.token, "FULL")
    body = await api(ENTER, {"id": gid("Company", client.id)}, token=partner.token)
    assert body["data"]["enterClientCompany"]["viewer"]["context"] == "COMPANY", body
    async with live(url, token=partner.token) as inside:
        await inside.subscribe("expenses", EXPENSES)
        await inside.subscribe("exports", EXPORTS)
        await asyncio.sleep(0.1)
        body = await api(
            CHANGE_LEVEL, {"id": partner.collaboration_id, "l": "LIMITED"}, token=admin.token
        )
        assert "errors" not in body, body
        completed = {(await inside.receive())["id"] for _ in range(2)}
        assert completed == {"expenses", "exports"}
        # The session continues in the firm's portal: subscribing there works.
        await inside.subscribe("again", EXPENSES_OF, {"c": gid("Company", client.id)})
        await inside.nothing_for(0.2)


async def test_an_ended_collaboration_completes_the_firms_subscriptions_to_the_client(
    url: str, api: Api, factory: Factory
) -> None:
    client = await factory.company()
    admin = await factory.admin(client)
    anna = await factory.staff(client)
    partner = await partner_of(api, factory, admin.token, "LIMITED")
    async with live(url, token=partner.token) as portal:
        await portal.subscribe("client", EXPENSES_OF, {"c": gid("Company", client.id)})
        await portal.subscribe("all", EXPENSES_OF)
        await asyncio.sleep(0.1)
        expense = await submit(api, anna.token)
        seen = [await portal.receive() for _ in range(2)]
        assert {(m["id"], m["payload"]["data"]["expenseChanged"]["id"]) for m in seen} == {
            ("client", expense["id"]),
            ("all", expense["id"]),
        }
        body = await api(END, {"id": partner.collaboration_id}, token=admin.token)
        assert "errors" not in body, body
        assert await portal.receive() == {"id": "client", "type": "complete"}
        # Every client's expenses: the subscription goes on, without this client's.
        await submit(api, anna.token)
        await portal.nothing_for(0.6)


# --- payroll periods, collaborations, the client board ----------------------------------------

PERIODS = "subscription { payrollPeriodChanged { id state } }"
OPEN_PERIOD = 'mutation { openPayrollPeriod(month: "2026-02") { payrollPeriod { id state } } }'
LOCK = "mutation($id: ID!) { lockPayrollPeriod(id: $id) { payrollPeriod { state } } }"
UNLOCK = "mutation($id: ID!) { unlockPayrollPeriod(id: $id) { payrollPeriod { state } } }"
COLLABORATIONS = "subscription { collaborationChanged { id state level } }"
BOARD = """subscription { clientBoardChanged { id company { name } collaboration { level }
  payrollStatus { expensesAwaitingApproval } } }"""


async def test_a_period_is_followed_as_it_is_opened_locked_and_unlocked(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    other_admin = await factory.admin(await factory.company("Annan AB"))
    async with live(url, token=admin.token) as admins, live(url, token=other_admin.token) as others:
        await admins.subscribe("1", PERIODS)
        await others.subscribe("1", PERIODS)
        await asyncio.sleep(0.1)
        body = await api(OPEN_PERIOD, token=admin.token)
        period = body["data"]["openPayrollPeriod"]["payrollPeriod"]
        states = [(await admins.next_of("1"))["data"]["payrollPeriodChanged"]]
        for mutation in (LOCK, UNLOCK):
            assert "errors" not in await api(mutation, {"id": period["id"]}, token=admin.token)
            states.append((await admins.next_of("1"))["data"]["payrollPeriodChanged"])
        assert states == [
            {"id": period["id"], "state": "OPEN"},
            {"id": period["id"], "state": "LOCKED"},
            {"id": period["id"], "state": "OPEN"},
        ]
        await others.nothing_for(0.3)


async def states_until(
    connection: Live, state: str, operation_id: str = "1"
) -> list[dict[str, Any]]:
    """The collaborationChanged events up to the first in `state`."""
    seen = [(await connection.next_of(operation_id))["data"]["collaborationChanged"]]
    while seen[-1]["state"] != state:
        seen.append((await connection.next_of(operation_id))["data"]["collaborationChanged"])
    return seen


async def test_both_sides_follow_a_collaboration_and_the_firm_its_client_board(
    url: str, api: Api, factory: Factory
) -> None:
    client = await factory.company("Kund AB")
    admin = await factory.admin(client)
    anna = await factory.staff(client)
    other_firm = await factory.company("Annan byrå AB", firm=True)
    stranger = await factory.log_in(await factory.user(other_firm), other_firm, PORTAL)
    async with live(url, token=admin.token) as clients, live(url, token=stranger) as others:
        await clients.subscribe("1", COLLABORATIONS)
        await others.subscribe("1", COLLABORATIONS)
        await others.subscribe("2", BOARD)
        await asyncio.sleep(0.1)
        partner = await partner_of(api, factory, admin.token, "LIMITED")  # invited, accepted
        # The invitation (PENDING) and the answer (ACTIVE): in one window or two, each event
        # read as the collaboration is when it is delivered.
        seen = await states_until(clients, "ACTIVE")
        assert seen[-1] == {"id": partner.collaboration_id, "state": "ACTIVE", "level": "LIMITED"}
        assert {state["state"] for state in seen} <= {"PENDING", "ACTIVE"}

        async with live(url, token=partner.token) as firm:
            await firm.subscribe("collaborations", COLLABORATIONS)
            await firm.subscribe("board", BOARD)
            await asyncio.sleep(0.1)
            for _ in range(20):  # a burst: one board row per window, not 20
                await submit(api, anna.token)
            rows = [(await firm.next_of("board"))["data"]["clientBoardChanged"]]
            while rows[-1]["payrollStatus"]["expensesAwaitingApproval"] < 20:
                rows.append((await firm.next_of("board"))["data"]["clientBoardChanged"])
            assert len(rows) < 20
            assert rows[-1] == {
                "id": rows[-1]["id"],
                "company": {"name": "Kund AB"},
                "collaboration": {"level": "LIMITED"},
                "payrollStatus": {"expensesAwaitingApproval": 20},
            }

            body = await api(END, {"id": partner.collaboration_id}, token=admin.token)
            assert "errors" not in body, body
            ended = {"id": partner.collaboration_id, "state": "ENDED", "level": "LIMITED"}
            assert (await states_until(clients, "ENDED"))[-1] == ended
            assert (await states_until(firm, "ENDED", "collaborations"))[-1] == ended
        await others.nothing_for(0.3)


async def test_subscriptions_per_session_are_limited_over_its_connections(
    runtime: Runtime, factory: Factory
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, live_max_per_session=2)
    admin = await factory.admin(await factory.company())
    async with (
        live_server(runtime) as url,
        live(url, token=admin.token) as first,
        live(url, token=admin.token) as second,
    ):
        await first.subscribe("1", EXPENSES)
        await second.subscribe("1", EXPENSES)
        await asyncio.sleep(0.1)
        await first.subscribe("2", EXPENSES)
        refused = await first.receive()
        assert (refused["id"], refused["type"]) == ("2", "error")
        assert (
            refused["payload"][0]["message"]
            == "At most 2 subscriptions per session: complete one first."
        )


async def test_a_socket_that_answers_no_ping_is_closed(runtime: Runtime, factory: Factory) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, live_ping_seconds=1)
    admin = await factory.admin(await factory.company())
    async with live_server(runtime) as url:
        async with live(url, token=admin.token) as answering:
            await answering.subscribe("1", EXPENSES)
            await answering.nothing_for(3.5)  # pings answered (tests/live.py): still open
        async with live(url, token=admin.token) as silent:
            started = time.monotonic()
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # reads, never answers
                    await asyncio.wait_for(silent.socket.recv(), 10)
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
                1001,
                "No answer to pings",
            )
            assert time.monotonic() - started < 5


async def test_a_limited_partner_never_hears_of_what_is_outside_its_clients(
    url: str, api: Api, factory: Factory
) -> None:
    """Issue 16, point 8: a company that is not a client, or an export of one, is NOT_FOUND
    at subscribe time; no event of it ever arrives."""
    client = await factory.company("Kund AB")
    partner = await partner_of(api, factory, (await factory.admin(client)).token, "LIMITED")
    outsider = await factory.company("Annan AB")
    outsider_admin = await factory.admin(outsider)
    outsider_staff = await factory.staff(outsider)
    outside = {"c": gid("Company", outsider.id)}
    async with live(url, token=partner.token) as portal:
        for operation_id, query in (
            ("expenses", EXPENSES_OF),
            ("exports", "subscription($c: ID) { exportsUpdated(companyId: $c) { id } }"),
            ("periods", "subscription($c: ID) { payrollPeriodChanged(companyId: $c) { id } }"),
        ):
            await portal.subscribe(operation_id, query, outside)
            refused = await portal.receive()
            assert (refused["id"], refused["type"]) == (operation_id, "error"), refused
            assert refused["payload"][0]["extensions"]["code"] == "NOT_FOUND"
        await portal.subscribe("all", EXPENSES_OF)
        await portal.subscribe("board", BOARD)
        await asyncio.sleep(0.1)
        await submit(api, outsider_staff.token)
        body = await api(OPEN_PERIOD, token=outsider_admin.token)
        assert "errors" not in body, body
        await portal.nothing_for(0.6)


async def test_the_firm_hears_of_each_time_report_change_on_its_client_board(
    url: str, api: Api, factory: Factory
) -> None:
    client = await factory.company("Kund AB")
    admin = await factory.admin(client)
    anna = await factory.staff(client)
    partner = await partner_of(api, factory, admin.token, "FULL")
    arb = await code_id(factory.database, client, "ARB")
    async with live(url, token=partner.token) as firm:
        await firm.subscribe("board", BOARD)
        await asyncio.sleep(0.1)
        body = await api(REPORT, report(timeCodeId=arb), token=anna.token)
        entry = body["data"]["reportTime"]["timeEntry"]["id"]
        row = (await firm.next_of("board"))["data"]["clientBoardChanged"]
        assert row["company"] == {"name": "Kund AB"}
        body = await api(UPDATE_ENTRY, {"id": entry, "input": {"hours": "6"}}, token=anna.token)
        assert "errors" not in body, body
        assert (await firm.next_of("board"))["data"]["clientBoardChanged"] == row
        body = await api(DELETE_ENTRY, {"id": entry}, token=anna.token)
        assert "errors" not in body, body
        assert (await firm.next_of("board"))["data"]["clientBoardChanged"] == row
        await firm.nothing_for(0.3)


async def test_attesting_time_in_a_locked_period_is_a_late_difference_of_the_period(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    other_admin = await factory.admin(await factory.company("Annan AB"))
    body = await api(OPEN_PERIOD, token=admin.token)
    period = body["data"]["openPayrollPeriod"]["payrollPeriod"]
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    arb = await code_id(factory.database, company, "ARB")
    week = {"employeeId": gid("Employee", anna.employee_id), "weekStart": "2026-02-23"}
    async with live(url, token=admin.token) as admins, live(url, token=other_admin.token) as others:
        await admins.subscribe("1", PERIODS)
        await others.subscribe("1", PERIODS)
        await asyncio.sleep(0.1)
        # Unattested time does not count in the basis: no difference yet.
        assert "errors" not in await api(REPORT, report(timeCodeId=arb), token=anna.token)
        await admins.nothing_for(0.5)
        for mutation in (ATTEST, UNATTEST):
            body = await api(mutation, week, token=admin.token)
            assert "errors" not in body, body
            changed = (await admins.next_of("1"))["data"]["payrollPeriodChanged"]
            assert changed == {"id": period["id"], "state": "LOCKED"}
        # A week no locked period holds (2026-03): nothing.
        body = await api(ATTEST, {**week, "weekStart": "2026-03-09"}, token=admin.token)
        assert "errors" not in body, body
        await admins.nothing_for(0.5)
        await others.nothing_for(0.1)


async def test_approving_an_expense_in_a_locked_period_is_a_late_difference_of_the_period(
    url: str, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    body = await api(OPEN_PERIOD, token=admin.token)
    period = body["data"]["openPayrollPeriod"]["payrollPeriod"]
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    in_period = await submit(api, anna.token, date="2026-02-10")
    after = await submit(api, anna.token, date="2026-03-01")
    async with live(url, token=admin.token) as admins:
        await admins.subscribe("1", PERIODS)
        await asyncio.sleep(0.1)
        assert "errors" not in await api(APPROVE, {"id": in_period["id"]}, token=admin.token)
        changed = (await admins.next_of("1"))["data"]["payrollPeriodChanged"]
        assert changed == {"id": period["id"], "state": "LOCKED"}
        assert "errors" not in await api(APPROVE, {"id": after["id"]}, token=admin.token)
        await admins.nothing_for(0.5)


async def test_an_absence_approved_or_withdrawn_in_a_locked_period_is_a_late_difference(
    url: str, api: Api, factory: Factory
) -> None:
    """The basis counts approved absence: approving, registering approved or cancelling an
    approved absence on a day of a LOCKED period tells the period; a request, a rejection and
    an absence outside every locked period tell nothing."""
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    other_admin = await factory.admin(await factory.company("Annan AB"))
    body = await api(OPEN_PERIOD, token=admin.token)
    period = body["data"]["openPayrollPeriod"]["payrollPeriod"]
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    locked = {"id": period["id"], "state": "LOCKED"}
    employee = gid("Employee", anna.employee_id or 0)

    async def absence(token: str, start: str, end: str, **more: Any) -> str:
        values = {"kind": "SICK", "startDate": start, "endDate": end, **more}
        body = await api(ABSENCE_REQUEST, {"input": values}, token=token)
        assert "errors" not in body, body
        absence_id: str = body["data"]["requestAbsence"]["absence"]["id"]
        return absence_id

    async with live(url, token=admin.token) as admins, live(url, token=other_admin.token) as others:
        await admins.subscribe("1", PERIODS)
        await others.subscribe("1", PERIODS)
        await asyncio.sleep(0.1)
        requested = await absence(anna.token, "2026-02-09", "2026-02-10")
        rejected = await absence(anna.token, "2026-02-16", "2026-02-16")
        body = await api(ABSENCE_REJECT, {"id": rejected, "reason": "Nej"}, token=admin.token)
        assert "errors" not in body, body
        await admins.nothing_for(0.5)  # not approved: not in the basis

        body = await api(ABSENCE_APPROVE, {"id": requested}, token=admin.token)
        assert "errors" not in body, body
        assert (await admins.next_of("1"))["data"]["payrollPeriodChanged"] == locked
        assert "errors" not in await api(ABSENCE_CANCEL, {"id": requested}, token=admin.token)
        assert (await admins.next_of("1"))["data"]["payrollPeriodChanged"] == locked
        # Registered approved from January to March: neither end is in the period, its days are.
        spanning = await absence(
            admin.token, "2026-01-26", "2026-03-06", employeeId=employee, approved=True
        )
        assert (await admins.next_of("1"))["data"]["payrollPeriodChanged"] == locked
        assert "errors" not in await api(ABSENCE_CANCEL, {"id": spanning}, token=admin.token)
        assert (await admins.next_of("1"))["data"]["payrollPeriodChanged"] == locked

        # Days no locked period holds: nothing.
        await absence(admin.token, "2026-03-16", "2026-03-17", employeeId=employee, approved=True)
        await admins.nothing_for(0.5)
        await others.nothing_for(0.1)


# --- one read per viewer and object: shared between a viewer's subscriptions -----------------

SHARED = "subscription { expenseChanged { id status amount } }"


async def test_the_subscriptions_of_one_viewer_share_a_read_other_viewers_read_their_own(
    url: str, api: Api, factory: Factory, runtime: Runtime, sql_statements: Any
) -> None:
    """One event, twelve subscriptions: ten of one session (on two connections) are one read;
    another session of the same admin, the employee who owns the expense and a colleague who
    may not see it each read under their own access (a read is never shared across
    viewers: the colleague hears nothing)."""
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    bertil = await factory.staff(company)
    expense = await submit(api, anna.token)
    async with runtime.database.transaction() as session:
        admin_user = await session.get_one(User, admin.user_id)
    admin_elsewhere = await factory.log_in(admin_user, company)
    async with (
        live(url, token=admin.token) as first,
        live(url, token=admin.token) as second,
        live(url, token=admin_elsewhere) as elsewhere,
        live(url, token=anna.token) as annas,
        live(url, token=bertil.token) as bertils,
    ):
        for number in range(5):
            await first.subscribe(f"{number}", SHARED)
            await second.subscribe(f"{number}", SHARED)
        for connection in (elsewhere, annas, bertils):
            await connection.subscribe("1", SHARED)
        await asyncio.sleep(0.2)
        reads = runtime.bus.reads.made
        before = sql_statements.count
        await runtime.bus.publish(Event(Topic.EXPENSE, company.id, (_row_id(expense["id"]),)))
        seen = {"id": expense["id"], "status": "SUBMITTED", "amount": "112.00"}
        for connection in (first, second):
            messages = [await connection.receive() for _ in range(5)]
            assert {message["id"] for message in messages} == {f"{n}" for n in range(5)}
            for message in messages:
                assert message["payload"] == {"data": {"expenseChanged": seen}}, message
        for connection in (elsewhere, annas):
            assert await connection.next_of("1") == {"data": {"expenseChanged": seen}}
        await bertils.nothing_for(0.5)
        # One read (one statement) per viewer: the session of ten, the other session, Anna,
        # Bertil (who may not see it).
        assert (runtime.bus.reads.made - reads, sql_statements.count - before) == (4, 4)


async def test_a_shared_read_is_used_only_by_batches_taken_before_it_began() -> None:
    """SharedReads (gql_portal/live/shared.py): a read begun at delivered count N serves the
    batches taken at N or before (their events were committed before it looked); a batch taken
    after a newer event reads again, and a failed read is never shared."""
    reads = SharedReads()
    made: list[str] = []

    def reading(value: str) -> Any:
        async def read() -> str:
            made.append(value)
            await asyncio.sleep(0)
            return value

        return read

    assert await reads.read("k", taken_at=3, now=3, read=reading("first")) == "first"
    assert await reads.read("k", taken_at=3, now=4, read=reading("unused")) == "first"
    assert await reads.read("k", taken_at=2, now=4, read=reading("unused")) == "first"
    # A batch with an event delivered after the read began (4 > 3): its own read, then shared.
    assert await reads.read("k", taken_at=4, now=4, read=reading("second")) == "second"
    assert await reads.read("k", taken_at=3, now=5, read=reading("unused")) == "second"
    assert await reads.read("other", taken_at=3, now=5, read=reading("other")) == "other"
    assert made == ["first", "second", "other"]

    # In flight: the second subscriber waits for the first's read, even when the first ends.
    started = asyncio.Event()
    release = asyncio.Event()

    async def slow() -> str:
        started.set()
        await release.wait()
        return "slow"

    owner = asyncio.create_task(reads.read("late", taken_at=6, now=6, read=slow))
    await started.wait()
    joiner = asyncio.create_task(reads.read("late", taken_at=6, now=6, read=reading("unused")))
    await asyncio.sleep(0)
    owner.cancel()
    release.set()
    assert await joiner == "slow"
    assert made == ["first", "second", "other"]

    async def failing() -> str:
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        await reads.read("broken", taken_at=7, now=7, read=failing)
    assert await reads.read("broken", taken_at=7, now=7, read=reading("again")) == "again"
