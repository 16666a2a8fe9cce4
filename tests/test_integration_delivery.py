"""The payroll integration delivers (issue 16, point 9): every lock of a period, and every
re-export of its basis, POSTs the period's PAXml to the company's endpoint, signed with its
secret, retried with back-off from the outbox, with a delivery log the admin and FULL partners
read, and "send again".

The endpoint is a real HTTP server in a thread on 127.0.0.1, scripted per test: it answers 500,
200, or only after a delay beyond the deliverer's timeout. The deliverer's rounds are run by the
test (the app's lifespan runs one in the background in a served app); back-off is waited out by
moving the frozen clock, never by sleeping."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select, update

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.integrations import IntegrationDelivery
from gql_portal.domain.accounts import PayrollProgram
from gql_portal.jobs.deliveries import RoundResult, WebhookTap, deliver_due, http_client
from gql_portal.runtime import Runtime
from tests.conftest import Api, error_codes, only_error
from tests.factories import Actor, Factory, gid
from tests.test_expenses import submit
from tests.test_exports import EXPORT_BASIS, download, exported
from tests.test_integrations import (
    ACTIVATE,
    ENTER,
    client_company,
    collaborate,
    data,
    firm_in_portal,
)
from tests.test_payroll import LOCK, UNLOCK, February, open_period

SECRET = "whsec-0123456789abcdef0123456789abcdef"
SET_ENDPOINT = """mutation($input: PayrollIntegrationEndpointInput!) {
  setPayrollIntegrationEndpoint(input: $input) { payrollIntegration {
    endpointUrl secretSetAt secretFingerprint } } }"""
LOG = """{ payrollIntegration { deliveries(first: 10) { edges { node {
  id event status attemptCount lastResponseCode lastError payrollPeriodId redeliveryOfId
  bodySha256 nextAttemptAt deliveredAt
  attempts { number outcome responseCode durationMs error } } } } } }"""
REDELIVER = """mutation($id: ID!) { redeliver(deliveryId: $id) { delivery {
  id event status redeliveryOfId } } }"""
NOT_IN_SCHEMA = {"GRAPHQL_VALIDATION_FAILED"}


# --- the receiving end -----------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP endpoint: answers each POST with the next scripted (status, delay in seconds),
    200 once the script is spent, and keeps what it received."""

    url: str
    script: list[tuple[int, float]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                state.received.append(Received(dict(self.headers.items()), body))
                status, delay = state.script.pop(0) if state.script else (200, 0.0)
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except OSError:
                pass  # the deliverer gave up waiting and hung up

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/paxml"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def verified(received: Received, secret: str = SECRET) -> bool:
    """The receiver's check, written from the documentation (not the service's code)."""
    timestamp = received.headers["X-GqlPortal-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    given = received.headers["X-GqlPortal-Signature"]
    return hmac.compare_digest(given, f"sha256={expected}")


# --- helpers ---------------------------------------------------------------------------------


async def deliver(runtime: Runtime) -> RoundResult:
    """One round of the deliverer, as a worker's background loop runs it."""
    async with http_client(runtime) as http:
        return await deliver_due(runtime, http)


async def delivering_company(
    api: Api, factory: Factory, database: Database, receiver: Receiver
) -> tuple[Actor, February]:
    """A company with February's sources (and personal identity numbers), its integration
    active and pointed at the receiver."""
    company, admin = await client_company(factory, database, PayrollProgram.VISMA_LON_SMART)
    month = await February.seed(database, factory, company)
    async with database.transaction() as session:
        for actor, number in ((month.karin, "198503123385"), (month.olle, "197912249183")):
            await session.execute(
                update(Employee)
                .where(Employee.id == actor.employee_id)
                .values(personal_identity_number=number)
            )
    data(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    endpoint = {"input": {"endpointUrl": receiver.url, "secret": SECRET}}
    data(await api(SET_ENDPOINT, endpoint, token=admin.token), "setPayrollIntegrationEndpoint")
    return admin, month


async def lock_february(api: Api, admin: Actor) -> dict[str, Any]:
    period = await open_period(api, admin.token)
    locked = await api(LOCK, {"id": period["id"]}, token=admin.token)
    assert "errors" not in locked, locked
    return period


async def delivery_log(api: Api, token: str) -> list[dict[str, Any]]:
    body = data(await api(LOG, token=token), "payrollIntegration")
    return [edge["node"] for edge in body["deliveries"]["edges"]]


async def stored_deliveries(database: Database) -> list[IntegrationDelivery]:
    async with database.session() as session:
        rows = await session.scalars(select(IntegrationDelivery).order_by(IntegrationDelivery.id))
        return list(rows)


async def export_paxml(api: Api, admin: Actor, period: dict[str, Any], day: str) -> bytes:
    variables = {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": day}}
    export = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    response = await download(api, export["downloadUrl"], token=admin.token)
    assert response.status_code == 200, response.text
    content: bytes = response.content
    return content


# --- delivery, retry, the log ----------------------------------------------------------------


async def test_a_lock_delivers_the_paxml_signed_and_a_500_is_retried_after_back_off(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    period = await lock_february(api, admin)
    # Queued in the lock's own transaction: there before anything was sent.
    [queued] = await delivery_log(api, admin.token)
    assert (queued["event"], queued["status"], queued["attemptCount"]) == (
        "PERIOD_LOCKED",
        "QUEUED",
        0,
    )
    assert queued["payrollPeriodId"] == period["id"] and queued["attempts"] == []

    receiver.script = [(500, 0.0), (200, 0.0)]
    assert (await deliver(runtime)).retried == 1
    [failed_once] = await delivery_log(api, admin.token)
    assert (failed_once["status"], failed_once["lastResponseCode"]) == ("QUEUED", 500)
    assert [(a["number"], a["outcome"], a["responseCode"]) for a in failed_once["attempts"]] == [
        (1, "REFUSED", 500)
    ]
    # The back-off: nothing is due before 30 s have passed.
    assert (await deliver(runtime)).total == 0
    clock.advance(timedelta(seconds=29))
    assert (await deliver(runtime)).total == 0
    clock.advance(timedelta(seconds=1))
    assert (await deliver(runtime)).delivered == 1

    [delivered] = await delivery_log(api, admin.token)
    assert (delivered["status"], delivered["attemptCount"], delivered["lastError"]) == (
        "DELIVERED",
        2,
        None,
    )
    assert [(a["number"], a["outcome"], a["responseCode"]) for a in delivered["attempts"]] == [
        (1, "REFUSED", 500),
        (2, "DELIVERED", 200),
    ]
    assert all(attempt["durationMs"] >= 0 for attempt in delivered["attempts"])

    # Both attempts: the same delivery id (the receiver's idempotency key), the same bytes,
    # each signed over its timestamp and body with the company's secret.
    first, second = receiver.received
    [row] = await stored_deliveries(database)
    assert first.headers["X-GqlPortal-Delivery"] == second.headers["X-GqlPortal-Delivery"]
    assert first.headers["X-GqlPortal-Delivery"] == str(row.id)
    assert delivered["id"] == gid("IntegrationDelivery", row.id)
    assert first.body == second.body and verified(first) and verified(second)
    assert first.headers["X-GqlPortal-Event"] == "PERIOD_LOCKED"
    assert first.headers["Content-Type"] == "application/xml"
    assert first.headers["X-GqlPortal-Timestamp"] == str(int(clock.now().timestamp()) - 30)
    assert not verified(first, secret="another-secret-0123456789abcdef")
    tampered = replace(first, body=first.body.replace(b"<antal>", b"<antal>9"))
    assert tampered.body != first.body and not verified(tampered)
    assert delivered["bodySha256"] == hashlib.sha256(first.body).hexdigest()

    # The body is the period's PAXml export of the lock day, byte for byte.
    assert first.body == await export_paxml(api, admin, period, clock.today().isoformat())
    assert b"<nyexport" not in first.body


async def test_a_re_export_delivers_that_export_file(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    period = await lock_february(api, admin)
    await deliver(runtime)
    # The first export is not delivered again (the lock delivered these lines); a re-export is,
    # as that very file (it replaces the earlier one: nyexport).
    await export_paxml(api, admin, period, "2026-03-02")
    assert len(await stored_deliveries(database)) == 1
    clock.advance(timedelta(hours=1))
    again = await export_paxml(api, admin, period, "2026-03-02")
    log = await delivery_log(api, admin.token)
    assert [(d["event"], d["status"]) for d in log] == [
        ("PERIOD_REEXPORTED", "QUEUED"),
        ("PERIOD_LOCKED", "DELIVERED"),
    ]
    assert (await deliver(runtime)).delivered == 1
    assert receiver.received[-1].body == again and b"<nyexport" in again
    assert receiver.received[-1].headers["X-GqlPortal-Event"] == "PERIOD_REEXPORTED"
    assert verified(receiver.received[-1])

    # A CSV or part of the employees is not the period's basis for the payroll program.
    csv = {"input": {"periodId": period["id"], "format": "CSV"}}
    exported(await api(EXPORT_BASIS, csv, token=admin.token))
    assert len(await stored_deliveries(database)) == 2


async def test_a_slow_endpoint_times_out_and_the_attempt_is_logged_and_retried(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    runtime.settings = replace(runtime.settings, delivery_timeout_seconds=1)
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    receiver.script = [(200, 4.0)]  # answers only after the deliverer stopped waiting
    assert (await deliver(runtime)).retried == 1
    [timed_out] = await delivery_log(api, admin.token)
    [attempt] = timed_out["attempts"]
    assert (attempt["outcome"], attempt["responseCode"]) == ("TIMEOUT", None)
    assert attempt["error"] == "no answer within 1 s" and attempt["durationMs"] >= 900
    assert timed_out["status"] == "QUEUED"

    clock.advance(timedelta(seconds=30))
    assert (await deliver(runtime)).delivered == 1
    [delivered] = await delivery_log(api, admin.token)
    assert [a["outcome"] for a in delivered["attempts"]] == ["TIMEOUT", "DELIVERED"]
    first, second = receiver.received
    assert first.headers["X-GqlPortal-Delivery"] == second.headers["X-GqlPortal-Delivery"]
    assert first.body == second.body


async def test_each_failure_doubles_the_wait_and_the_eighth_gives_up(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    receiver.script = [(503, 0.0)] * 8
    waits = []
    for _ in range(8):
        assert (await deliver(runtime)).total == 1
        [row] = await stored_deliveries(database)
        waits.append(row.next_attempt_at - clock.now())
        clock.set(row.next_attempt_at)
    assert waits[:7] == [timedelta(seconds=30 * 2**n) for n in range(7)]
    [given_up] = await delivery_log(api, admin.token)
    assert (given_up["status"], given_up["attemptCount"]) == ("FAILED", 8)
    assert len(given_up["attempts"]) == 8 and given_up["nextAttemptAt"] is None
    assert len(receiver.received) == 8
    clock.advance(timedelta(days=1))
    assert (await deliver(runtime)).total == 0


async def test_two_workers_never_send_one_delivery_twice(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    results = await asyncio.gather(*(deliver(runtime) for _ in range(4)))
    assert sum(result.delivered for result in results) == 1
    assert len(receiver.received) == 1


async def test_a_delivery_whose_period_was_unlocked_fails_and_the_new_lock_delivers(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    period = await lock_february(api, admin)
    assert "errors" not in await api(UNLOCK, {"id": period["id"]}, token=admin.token)
    clock.advance(timedelta(minutes=1))
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    result = await deliver(runtime)
    assert (result.delivered, result.failed) == (1, 1)
    newest, oldest = await delivery_log(api, admin.token)
    assert (newest["status"], oldest["status"]) == ("DELIVERED", "FAILED")
    assert oldest["lastError"].startswith("the period was unlocked since")
    assert [a["outcome"] for a in oldest["attempts"]] == ["ERROR"]
    assert len(receiver.received) == 1


# --- send again ------------------------------------------------------------------------------


async def test_send_again_is_a_new_delivery_of_the_same_bytes(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    await deliver(runtime)
    [original] = await delivery_log(api, admin.token)
    again = data(await api(REDELIVER, {"id": original["id"]}, token=admin.token), "redeliver")
    assert again["delivery"]["id"] != original["id"]
    assert (again["delivery"]["status"], again["delivery"]["redeliveryOfId"]) == (
        "QUEUED",
        original["id"],
    )
    assert (await deliver(runtime)).delivered == 1
    first, second = receiver.received
    assert first.body == second.body and verified(second)
    assert first.headers["X-GqlPortal-Delivery"] != second.headers["X-GqlPortal-Delivery"]
    unknown = await api(REDELIVER, {"id": gid("IntegrationDelivery", 999)}, token=admin.token)
    assert error_codes(unknown) == ["NOT_FOUND"]


# --- the endpoint and its secret -------------------------------------------------------------


async def test_the_secret_is_write_only_and_shown_by_fingerprint(
    api: Api, factory: Factory, database: Database, receiver: Receiver
) -> None:
    _, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    data(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    endpoint = {"input": {"endpointUrl": receiver.url, "secret": SECRET}}
    response = await api.http.post(
        "/graphql",
        json={"query": SET_ENDPOINT, "variables": endpoint},
        headers={"authorization": f"Bearer {admin.token}"},
    )
    assert SECRET not in response.text
    shown = response.json()["data"]["setPayrollIntegrationEndpoint"]["payrollIntegration"]
    assert shown["endpointUrl"] == receiver.url and shown["secretSetAt"] is not None
    assert shown["secretFingerprint"] == hashlib.sha256(SECRET.encode()).hexdigest()[:8]
    # No field reads it back.
    asked = await api("{ payrollIntegration { secret } }", token=admin.token)
    assert set(error_codes(asked)) == NOT_IN_SCHEMA
    introspected = await api(
        '{ __type(name: "PayrollIntegration") { fields { name } } }', token=admin.token
    )
    names = {f["name"] for f in introspected["data"]["__type"]["fields"]}
    assert "secret" not in names and {"endpointUrl", "secretFingerprint", "deliveries"} <= names

    # A new URL keeps the secret; a new secret changes the fingerprint.
    moved = {"input": {"endpointUrl": "https://lon.example.se/import"}}
    kept = data(await api(SET_ENDPOINT, moved, token=admin.token), "setPayrollIntegrationEndpoint")
    assert kept["payrollIntegration"]["secretFingerprint"] == shown["secretFingerprint"]
    assert kept["payrollIntegration"]["endpointUrl"] == "https://lon.example.se/import"


@pytest.mark.parametrize(
    ("url", "secret", "field", "reason"),
    [
        ("http://lon.example.se/import", SECRET, "input.endpointUrl", "HTTPS_REQUIRED"),
        ("https://user:pw@lon.example.se/", SECRET, "input.endpointUrl", "CREDENTIALS_IN_URL"),
        ("ftp://lon.example.se/", SECRET, "input.endpointUrl", "INVALID_URL"),
        ("not a url", SECRET, "input.endpointUrl", "INVALID_URL"),
        ("https://lon.example.se/", "short", "input.secret", "SECRET_LENGTH"),
        ("https://lon.example.se/", None, "input.secret", "REQUIRED"),
    ],
)
async def test_a_bad_endpoint_or_secret_is_refused_naming_the_field(
    api: Api,
    factory: Factory,
    database: Database,
    url: str,
    secret: str | None,
    field: str,
    reason: str,
) -> None:
    _, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    data(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    refused = only_error(
        await api(
            SET_ENDPOINT, {"input": {"endpointUrl": url, "secret": secret}}, token=admin.token
        )
    )
    assert (refused["code"], refused["field"], refused["reason"]) == (
        "BAD_USER_INPUT",
        field,
        reason,
    )


async def test_plain_http_to_this_machine_only_outside_production(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    _, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    data(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    local = {"input": {"endpointUrl": "http://localhost:9000/in", "secret": SECRET}}
    assert "errors" not in await api(SET_ENDPOINT, local, token=admin.token)
    runtime.settings = replace(runtime.settings, mode="production")
    refused = only_error(await api(SET_ENDPOINT, local, token=admin.token))
    assert (refused["field"], refused["reason"]) == ("input.endpointUrl", "HTTPS_REQUIRED")


async def test_nothing_is_queued_without_an_endpoint(
    api: Api, factory: Factory, database: Database
) -> None:
    company, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    await February.seed(database, factory, company)
    data(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    await lock_february(api, admin)
    assert await stored_deliveries(database) == []
    refused = only_error(
        await api(SET_ENDPOINT, {"input": {"endpointUrl": "x"}}, token=admin.token)
    )
    assert refused["field"] == "input.endpointUrl"


# --- who reads the log and sends again -------------------------------------------------------


async def test_a_full_partner_inside_reads_the_log_and_sends_again_a_limited_one_cannot(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    await deliver(runtime)
    [delivery] = await delivery_log(api, admin.token)

    # An employee of the company: no such fields in its schema.
    staff = await factory.staff(await _company(database, admin))
    for operation, variables in ((LOG, {}), (REDELIVER, {"id": delivery["id"]})):
        assert set(error_codes(await api(operation, variables, token=staff.token))) == NOT_IN_SCHEMA

    # A LIMITED partner: neither in the portal nor by entering the company.
    client = await _company(database, admin)
    limited_firm, limited_token = await firm_in_portal(factory, "Begränsade Byrån AB")
    await collaborate(api, admin.token, limited_firm, limited_token, "LIMITED")
    for operation, variables in ((LOG, {}), (REDELIVER, {"id": delivery["id"]})):
        answer = await api(operation, variables, token=limited_token)
        assert set(error_codes(answer)) == NOT_IN_SCHEMA
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert error_codes(await api(node, {"id": delivery["id"]}, token=limited_token)) == [
        "NOT_FOUND"
    ]
    refused = only_error(await api(ENTER, {"id": gid("Company", client.id)}, token=limited_token))
    assert refused["code"] == "FORBIDDEN"


async def test_a_full_partner_inside_the_company_reads_the_log_and_sends_again(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    admin, _ = await delivering_company(api, factory, database, receiver)
    await lock_february(api, admin)
    await deliver(runtime)
    client = await _company(database, admin)
    firm, firm_token = await firm_in_portal(factory)
    await collaborate(api, admin.token, firm, firm_token, "FULL")
    # In the portal: not there; inside the company: the log and "send again".
    assert set(error_codes(await api(LOG, token=firm_token))) == NOT_IN_SCHEMA
    data(
        await api(ENTER, {"id": gid("Company", client.id)}, token=firm_token), "enterClientCompany"
    )
    [delivery] = await delivery_log(api, firm_token)
    assert delivery["status"] == "DELIVERED"
    data(await api(REDELIVER, {"id": delivery["id"]}, token=firm_token), "redeliver")
    assert (await deliver(runtime)).delivered == 1
    assert len(receiver.received) == 2

    # Another company's admin reaches none of it.
    _, other = await client_company(factory, database, PayrollProgram.HOGIA, "Annan AB")
    assert error_codes(await api(REDELIVER, {"id": delivery["id"]}, token=other.token)) == [
        "NOT_FOUND"
    ]


async def _company(database: Database, actor: Actor) -> Company:
    async with database.session() as session:
        return await session.get_one(Company, actor.company_id)


# --- generic webhooks ------------------------------------------------------------------------

SET_WEBHOOK = """mutation($input: WebhookInput!) { setWebhook(input: $input) { webhook {
  event url secretSetAt secretFingerprint } } }"""
WEBHOOKS = "{ webhooks { event url secretFingerprint } }"
REMOVE_WEBHOOK = "mutation($e: DeliveryEvent!) { removeWebhook(event: $e) { webhook { url } } }"
HOOK_SECRET = "hook-secret-abcdefghijklmnopqrstuvwxyz"


async def test_a_webhook_gets_each_expense_change_signed_with_its_own_secret(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    receiver: Receiver,
) -> None:
    company, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    hook = {"input": {"event": "EXPENSE_CHANGED", "url": receiver.url, "secret": HOOK_SECRET}}
    set_hook = data(await api(SET_WEBHOOK, hook, token=admin.token), "setWebhook")["webhook"]
    assert HOOK_SECRET not in str(set_hook)
    assert set_hook["secretFingerprint"] == hashlib.sha256(HOOK_SECRET.encode()).hexdigest()[:8]
    assert data(await api(WEBHOOKS, token=admin.token), "webhooks") == [
        {
            "event": "EXPENSE_CHANGED",
            "url": receiver.url,
            "secretFingerprint": set_hook["secretFingerprint"],
        }
    ]
    tap = WebhookTap(runtime).attach()
    try:
        staff = await factory.staff(company)
        expense = await submit(api, staff.token)
        # A period opened: no webhook of that kind, nothing queued for it.
        await open_period(api, admin.token)
        await tap.settled()
    finally:
        tap.detach()
    assert (await deliver(runtime)).delivered == 1
    [received] = receiver.received
    assert verified(received, HOOK_SECRET) and not verified(received, SECRET)
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["X-GqlPortal-Event"] == "EXPENSE_CHANGED"
    assert json.loads(received.body) == {
        "event": "EXPENSE_CHANGED",
        "companyId": gid("Company", company.id),
        "ids": [expense["id"]],
    }
    # Removed: no more deliveries of that kind.
    data(await api(REMOVE_WEBHOOK, {"e": "EXPENSE_CHANGED"}, token=admin.token), "removeWebhook")
    assert data(await api(WEBHOOKS, token=admin.token), "webhooks") == []


async def test_a_webhook_takes_live_event_kinds_only_and_needs_a_secret(
    api: Api, factory: Factory, database: Database, receiver: Receiver
) -> None:
    _, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    wrong = {"input": {"event": "PERIOD_LOCKED", "url": receiver.url, "secret": HOOK_SECRET}}
    refused = only_error(await api(SET_WEBHOOK, wrong, token=admin.token))
    assert (refused["field"], refused["reason"]) == ("input.event", "NOT_A_WEBHOOK_EVENT")
    bare = {"input": {"event": "EXPENSE_CHANGED", "url": receiver.url}}
    refused = only_error(await api(SET_WEBHOOK, bare, token=admin.token))
    assert (refused["field"], refused["reason"]) == ("input.secret", "REQUIRED")
    staff = await factory.staff(await _company(database, admin))
    hook = {"input": {"event": "EXPENSE_CHANGED", "url": receiver.url, "secret": HOOK_SECRET}}
    assert set(error_codes(await api(SET_WEBHOOK, hook, token=staff.token))) == NOT_IN_SCHEMA
