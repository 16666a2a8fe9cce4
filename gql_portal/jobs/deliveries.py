"""The deliverer: sends the outbox of `integration_deliveries` (the payroll integration's PAXml
basis, and generic webhooks) to their endpoints, signed, with retries and a log of attempts.

It lives among the jobs because it is a worker's background work like an export, and because
the body it delivers on a lock is the payroll export's own file: written by the export's writer
(jobs/exports/basis.py) from the frozen lines, so the bytes are the ones `exportPayrollBasis`
would give for the lock day.

Any number of workers, on any machine, run it against one database:

* `claim_due` takes due rows in one transaction: `SELECT ... FOR UPDATE SKIP LOCKED` (PostgreSQL:
  two workers never wait for, nor take, the same row) and a conditional UPDATE that marks them
  SENDING with a claim deadline (`next_attempt_at` = now + CLAIM_TIMEOUT) and counts the
  attempt. SQLite has no row locks; its writers take turns, and the same conditional UPDATE
  fences them. A worker that dies mid-send leaves the row SENDING: once the deadline passed,
  any worker takes it again (delivery is at least once; the delivery id lets the receiver
  recognise a repeat).
* `deliver_one` produces the body once (a lock's PAXml is stored at the first attempt and the
  row pinned to it, so every retry sends the same bytes), POSTs it with the headers below, and
  records the outcome with the attempt in the delivery log, only while it still holds the
  claim (status SENDING with the attempt count it claimed).

Outcomes: 2xx -> DELIVERED. Any other status, a timeout or no connection -> QUEUED again after
`retry_delay(attempts)` (30 s doubling, at most an hour), FAILED after MAX_ATTEMPTS. A delivery
that can never succeed (its period unlocked since, the integration switched off) -> FAILED at
once. "Send again" (`redeliver`) queues a new delivery of the same bytes.

Headers: `X-GqlPortal-Delivery` (the delivery id: the same on every retry), `X-GqlPortal-Event`,
`X-GqlPortal-Timestamp` (Unix seconds) and `X-GqlPortal-Signature`
(`sha256=` hex HMAC-SHA256 of `timestamp + "." + body` under the endpoint's secret).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final, cast

import httpx
from sqlalchemy import CursorResult, select, update
from strawberry import relay

from gql_portal.db.exports import ExportFormat
from gql_portal.db.integrations import (
    AttemptOutcome,
    DeliveryAttempt,
    DeliveryEvent,
    DeliveryStatus,
    IntegrationDelivery,
    PayrollIntegration,
    Webhook,
)
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain import deliveries as rules
from gql_portal.domain.exports import ExportLine
from gql_portal.domain.payroll import PeriodState
from gql_portal.jobs.exports.basis import (
    basis_writer,
    employees_without_identity,
    lines_in,
    load_material,
    refuse_long_project_codes,
)
from gql_portal.jobs.exports.common import ExportFailed
from gql_portal.jobs.exports.request import BasisOptions
from gql_portal.jobs.exports.streaming import write_streamed
from gql_portal.live import Event, Topic
from gql_portal.runtime import Runtime
from gql_portal.storage.interface import verifying

log = logging.getLogger("gql_portal.deliveries")

#: How long a claim (SENDING) is honoured before another worker may take the delivery over.
CLAIM_TIMEOUT: Final = timedelta(minutes=5)
#: How often the background loop looks for due deliveries when nobody wakes it.
POLL_SECONDS: Final = 5.0
BATCH_SIZE: Final = 20
MAX_ERROR_LENGTH: Final = 300
PAXML_CONTENT_TYPE: Final = "application/xml"
JSON_CONTENT_TYPE: Final = "application/json"
DUE = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING)


class Undeliverable(Exception):
    """The delivery can never succeed as it is (FAILED at once, no retry)."""


@dataclass
class RoundResult:
    """What one `deliver_due` call did."""

    delivered: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.retried + self.failed


@dataclass(frozen=True)
class Target:
    url: str
    secret: str
    content_type: str


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ERROR_LENGTH else text[: MAX_ERROR_LENGTH - 1] + "…"


# --------------------------------------------------------------------------- claiming


async def claim_due(runtime: Runtime, now: datetime, limit: int) -> list[int]:
    """Take up to `limit` due deliveries for this worker (committed before anything is sent):
    QUEUED ones whose time has come, and SENDING ones whose claim expired."""
    due = (
        select(IntegrationDelivery.id)
        .where(IntegrationDelivery.status.in_(DUE), IntegrationDelivery.next_attempt_at <= now)
        .order_by(IntegrationDelivery.next_attempt_at, IntegrationDelivery.id)
    )
    # A read first: an idle outbox costs no write transaction (SQLite's file lock) per poll.
    async with runtime.database.session() as session:
        if (await session.scalars(due.limit(1))).first() is None:
            return []
    # PostgreSQL: rows another worker is claiming are skipped; SQLite's writers take turns.
    locked = due.limit(limit).with_for_update(skip_locked=True)
    async with runtime.database.transaction() as session:
        ids = list((await session.scalars(locked)).all())
        if not ids:
            return []
        claimed = await session.execute(
            update(IntegrationDelivery)
            .where(
                IntegrationDelivery.id.in_(ids),
                IntegrationDelivery.status.in_(DUE),
                IntegrationDelivery.next_attempt_at <= now,
            )
            .values(
                status=DeliveryStatus.SENDING,
                attempts=IntegrationDelivery.attempts + 1,
                next_attempt_at=now + CLAIM_TIMEOUT,
            )
            .returning(IntegrationDelivery.id)
            .execution_options(synchronize_session=False)
        )
        return sorted(claimed.scalars().all())


async def _holding(runtime: Runtime, delivery: IntegrationDelivery, **values: Any) -> bool:
    """Write `values` if this worker still holds the claim (SENDING, its attempt count)."""
    async with runtime.database.transaction() as session:
        return await _write_held(session, delivery, values)


async def _write_held(session: Any, delivery: IntegrationDelivery, values: dict[str, Any]) -> bool:
    result = await session.execute(
        update(IntegrationDelivery)
        .where(
            IntegrationDelivery.id == delivery.id,
            IntegrationDelivery.status == DeliveryStatus.SENDING,
            IntegrationDelivery.attempts == delivery.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", result).rowcount == 1


# --------------------------------------------------------------------------- target and body


async def _target(runtime: Runtime, delivery: IntegrationDelivery) -> Target:
    """Where the delivery goes now (an endpoint changed since queuing is used from then on)."""
    async with runtime.database.session() as session:
        if delivery.webhook_id is not None:
            webhook = await session.get(Webhook, delivery.webhook_id)
            if webhook is None:
                raise Undeliverable("the webhook was removed")
            return Target(webhook.url, webhook.secret, JSON_CONTENT_TYPE)
        integration = (
            await session.get(PayrollIntegration, delivery.integration_id)
            if delivery.integration_id is not None
            else None
        )
    if integration is None or not integration.delivers:
        raise Undeliverable("the payroll integration is inactive or has no endpoint and secret")
    assert integration.endpoint_url is not None and integration.secret is not None
    return Target(integration.endpoint_url, integration.secret, PAXML_CONTENT_TYPE)


async def _stored_body(runtime: Runtime, delivery: IntegrationDelivery) -> bytes:
    assert delivery.body_key and delivery.body_sha256 and delivery.body_size is not None
    chunks = runtime.files.open(delivery.body_key)
    parts = [chunk async for chunk in verifying(chunks, delivery.body_sha256, delivery.body_size)]
    return b"".join(parts)


def webhook_body(payload: dict[str, Any]) -> bytes:
    """A webhook's body: its JSON, written the same way every time."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


async def locked_basis_file(runtime: Runtime, delivery: IntegrationDelivery) -> bytes:
    """The PAXml file of the period's basis as it was locked (the version the delivery was
    queued for), written by the payroll export's own writer with the lock day as export date:
    the bytes `exportPayrollBasis` gives for that date before any export (no `nyexport`)."""
    async with runtime.database.session() as session:
        period = (
            await session.get(PayrollPeriod, delivery.period_id)
            if delivery.period_id is not None
            else None
        )
        if (
            period is None
            or period.state not in (PeriodState.LOCKED, PeriodState.EXPORTED)
            or period.locked_at != delivery.basis_version
        ):
            raise Undeliverable(
                "the period was unlocked since: this basis is gone (locking it again delivers "
                "the new one)"
            )
        missing = await employees_without_identity(session, period.id, None)
        if missing:
            raise Undeliverable(
                f"{len(missing)} employee(s) with lines have no personal identity number: "
                "add them, then send again"
            )
        try:
            await refuse_long_project_codes(session, period.id, None)
        except ExportFailed as failure:
            raise Undeliverable(str(failure)) from None
        material = replace(await load_material(session, period, None), reexport=None)
        assert delivery.export_date is not None
        options = BasisOptions(ExportFormat.PAXML, False, delivery.export_date)
        writer = basis_writer(material, options)
        out = io.BytesIO()

        def write(lines: Iterator[ExportLine]) -> dict[str, Any]:
            return writer(out, lines)

        await write_streamed(write, lines_in(session, material))
    return out.getvalue()


async def _body(runtime: Runtime, delivery: IntegrationDelivery) -> bytes | None:
    """The bytes to send: stored, or the webhook's JSON, or (a lock's first attempt) written
    now, stored and pinned. None when the claim was lost meanwhile."""
    if delivery.body_key is not None:
        return await _stored_body(runtime, delivery)
    if delivery.payload is not None:
        return webhook_body(delivery.payload)
    if delivery.event is not DeliveryEvent.PERIOD_LOCKED:
        raise Undeliverable("the file to deliver is gone")
    body = await locked_basis_file(runtime, delivery)
    folder = f"deliveries/{delivery.company_id}/{delivery.id}"
    stored = await runtime.files.put(folder, body, ".xml")
    pinned = await _holding(
        runtime,
        delivery,
        body_key=stored.storage_key,
        body_sha256=stored.sha256,
        body_size=stored.size_bytes,
    )
    return body if pinned else None


# --------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Attempt:
    outcome: AttemptOutcome
    response_code: int | None = None
    error: str | None = None


def signed_headers(
    delivery: IntegrationDelivery, target: Target, body: bytes, at: datetime
) -> dict[str, str]:
    timestamp = str(int(at.timestamp()))
    return {
        "Content-Type": target.content_type,
        rules.DELIVERY_HEADER: str(delivery.id),
        rules.EVENT_HEADER: delivery.event.value,
        rules.TIMESTAMP_HEADER: timestamp,
        rules.SIGNATURE_HEADER: rules.signature(target.secret, timestamp, body),
        "User-Agent": "gql-portal-deliveries/1",
    }


async def _post(
    client: httpx.AsyncClient, target: Target, body: bytes, headers: dict[str, str], seconds: float
) -> Attempt:
    try:
        response = await client.post(target.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return Attempt(AttemptOutcome.TIMEOUT, error=f"no answer within {seconds:g} s")
    except httpx.HTTPError as exc:
        return Attempt(AttemptOutcome.ERROR, error=_short(f"{type(exc).__name__}: {exc}"))
    code = response.status_code
    if 200 <= code < 300:
        return Attempt(AttemptOutcome.DELIVERED, code)
    return Attempt(AttemptOutcome.REFUSED, code, f"HTTP {code}")


async def deliver_one(
    runtime: Runtime, client: httpx.AsyncClient, delivery_id: int, result: RoundResult
) -> None:
    """Send one claimed delivery and record the attempt."""
    async with runtime.database.session() as session:
        delivery = await session.get_one(IntegrationDelivery, delivery_id)
    started = runtime.clock.now()
    clock_start = time.monotonic()
    if delivery.attempts > rules.MAX_ATTEMPTS:  # reclaimed after repeated interrupted sends
        attempt = Attempt(AttemptOutcome.ERROR, error="gave up: interrupted repeatedly")
        await _record(runtime, delivery, attempt, started, 0, result, final=True)
        return
    seconds = float(runtime.settings.delivery_timeout_seconds)
    try:
        target = await _target(runtime, delivery)
        body = await _body(runtime, delivery)
    except Undeliverable as refusal:
        attempt = Attempt(AttemptOutcome.ERROR, error=_short(str(refusal)))
        await _record(runtime, delivery, attempt, started, 0, result, final=True)
        return
    except Exception:
        log.exception("delivery %s: its body could not be produced", delivery.id)
        attempt = Attempt(AttemptOutcome.ERROR, error="the body could not be produced")
        await _record(runtime, delivery, attempt, started, 0, result)
        return
    if body is None:
        return  # the claim expired and another worker took the delivery over
    headers = signed_headers(delivery, target, body, started)
    attempt = await _post(client, target, body, headers, seconds)
    duration_ms = int((time.monotonic() - clock_start) * 1000)
    await _record(runtime, delivery, attempt, started, duration_ms, result)


async def _record(
    runtime: Runtime,
    delivery: IntegrationDelivery,
    attempt: Attempt,
    started: datetime,
    duration_ms: int,
    result: RoundResult,
    *,
    final: bool = False,
) -> None:
    """The attempt in the log and the delivery's new status, in one transaction, while this
    worker holds the claim."""
    now = runtime.clock.now()
    values: dict[str, Any] = {
        "last_response_code": attempt.response_code,
        "last_error": attempt.error,
    }
    if attempt.outcome is AttemptOutcome.DELIVERED:
        values |= {"status": DeliveryStatus.DELIVERED, "delivered_at": now, "next_attempt_at": now}
    elif final or delivery.attempts >= rules.MAX_ATTEMPTS:
        values |= {"status": DeliveryStatus.FAILED, "next_attempt_at": now}
    else:
        retry_at = now + rules.retry_delay(delivery.attempts)
        values |= {"status": DeliveryStatus.QUEUED, "next_attempt_at": retry_at}
    async with runtime.database.transaction() as session:
        if not await _write_held(session, delivery, values):
            log.warning("delivery %s: the claim expired; outcome not recorded", delivery.id)
            return
        session.add(
            DeliveryAttempt(
                company_id=delivery.company_id,
                delivery_id=delivery.id,
                number=delivery.attempts,
                started_at=started,
                duration_ms=duration_ms,
                outcome=attempt.outcome,
                response_code=attempt.response_code,
                error=attempt.error,
            )
        )
    status = values["status"]
    if status is DeliveryStatus.DELIVERED:
        result.delivered += 1
    elif status is DeliveryStatus.FAILED:
        result.failed += 1
        log.error("delivery %s failed: %s", delivery.id, attempt.error)
    else:
        result.retried += 1
        log.warning(
            "delivery %s attempt %d: %s; next try at %s",
            delivery.id,
            delivery.attempts,
            attempt.error,
            values["next_attempt_at"].isoformat(timespec="seconds"),
        )


async def deliver_due(
    runtime: Runtime, client: httpx.AsyncClient, *, batch_size: int = BATCH_SIZE
) -> RoundResult:
    """Claim up to `batch_size` due deliveries and send them, one after another."""
    result = RoundResult()
    for delivery_id in await claim_due(runtime, runtime.clock.now(), batch_size):
        await deliver_one(runtime, client, delivery_id, result)
    return result


def http_client(runtime: Runtime) -> httpx.AsyncClient:
    """The deliverer's HTTP client: the configured timeout for the whole exchange, redirects
    not followed (a redirect is an answer other than 2xx: retried, and shown in the log)."""
    seconds = float(runtime.settings.delivery_timeout_seconds)
    return httpx.AsyncClient(timeout=httpx.Timeout(seconds), follow_redirects=False)


# --------------------------------------------------------------------------- the background loop


class Deliverer:
    """Delivers the outbox in the background for the app's lifespan: at start, every
    POLL_SECONDS, and at once after `wake()` (called once a transaction that queued a delivery
    has committed). A failing round is logged and the next one runs as usual."""

    def __init__(self, runtime: Runtime, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="gql-portal-deliveries")

    def wake(self) -> None:
        """Deliver now rather than at the next poll; from any thread, a no-op when stopped."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._task is None or self._task.done():
            return
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self._wakeup.set()
        else:
            loop.call_soon_threadsafe(self._wakeup.set)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the current round finish (at most `grace_seconds`, then cancel it). A delivery cut
        short stays SENDING and is taken again after CLAIM_TIMEOUT."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        done, _ = await asyncio.wait({task}, timeout=grace_seconds)
        if not done:
            task.cancel()
            await asyncio.wait({task})
        self._task = None

    async def _run(self) -> None:
        async with http_client(self.runtime) as client:
            while not self._stopping:
                self._wakeup.clear()
                more = False
                try:
                    more = (await deliver_due(self.runtime, client)).total >= BATCH_SIZE
                except Exception:
                    log.exception(
                        "delivery round failed; trying again in %.0f s", self.poll_seconds
                    )
                if self._stopping:
                    break
                if more:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.poll_seconds)


# --------------------------------------------------------------------------- generic webhooks

WEBHOOK_TOPICS: Final = {
    Topic.EXPENSE: (DeliveryEvent.EXPENSE_CHANGED, "Expense"),
    Topic.PAYROLL_PERIOD: (DeliveryEvent.PAYROLL_PERIOD_CHANGED, "PayrollPeriod"),
    Topic.COLLABORATION: (DeliveryEvent.COLLABORATION_CHANGED, "Collaboration"),
}


def webhook_payload(event: Event, kind: DeliveryEvent, type_name: str) -> dict[str, Any]:
    """A webhook's body: the event kind, the company and the objects' global ids, as the live
    bus carries them (ids only: the receiver reads the objects through the API)."""
    assert event.company_id is not None
    return {
        "event": kind.value,
        "companyId": relay.to_base64("Company", event.company_id),
        "ids": [relay.to_base64(type_name, object_id) for object_id in event.ids],
    }


class WebhookTap:
    """Queues the webhooks' deliveries of the live events this worker publishes: told of each
    event after its commit (`Bus.taps`), it writes a delivery for each company's webhook of
    that kind, in one transaction per burst, then wakes the deliverer. Only the publishing
    worker is told, so each event is queued once. Unlike the payroll integration's, this
    happens after the change's commit: a worker that dies in between loses those webhooks."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._waiting: list[Event] = []
        self._task: asyncio.Task[None] | None = None

    def attach(self) -> WebhookTap:
        self.runtime.bus.taps.append(self.offer)
        return self

    def detach(self) -> None:
        with contextlib.suppress(ValueError):
            self.runtime.bus.taps.remove(self.offer)

    def offer(self, event: Event) -> None:
        if event.topic not in WEBHOOK_TOPICS or event.company_id is None:
            return
        self._waiting.append(event)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._queue(), name="webhooks")

    async def settled(self) -> None:
        """Returns once every event offered so far is queued (tests; shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.wait({self._task})

    async def _queue(self) -> None:
        await asyncio.sleep(0)  # the rest of a burst of commits joins this transaction
        while self._waiting:
            events, self._waiting = self._waiting, []
            try:
                if await queue_webhooks(self.runtime, events):
                    self.runtime.wake_deliveries()
            except Exception:
                log.exception("could not queue the webhooks of %d events", len(events))


async def queue_webhooks(runtime: Runtime, events: list[Event]) -> int:
    """Write the deliveries of `events` to their companies' webhooks (one per webhook and
    event); how many."""
    companies = {event.company_id for event in events}
    kinds = {WEBHOOK_TOPICS[event.topic][0] for event in events}
    # Looked up outside a write transaction: most companies have no webhook, and on SQLite a
    # write transaction would take the file's write turn after every such mutation.
    async with runtime.database.session() as session:
        hooks = (
            await session.execute(
                select(Webhook.company_id, Webhook.event, Webhook.id).where(
                    Webhook.company_id.in_(companies), Webhook.event.in_(kinds)
                )
            )
        ).all()
    by_key = {(company_id, kind): hook_id for company_id, kind, hook_id in hooks}
    deliveries = []
    now = runtime.clock.now()
    for event in events:
        kind, type_name = WEBHOOK_TOPICS[event.topic]
        assert event.company_id is not None
        hook_id = by_key.get((event.company_id, kind))
        if hook_id is None:
            continue
        deliveries.append(
            IntegrationDelivery(
                company_id=event.company_id,
                webhook_id=hook_id,
                event=kind,
                payload=webhook_payload(event, kind, type_name),
                status=DeliveryStatus.QUEUED,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    if deliveries:
        async with runtime.database.transaction() as session:
            session.add_all(deliveries)
    return len(deliveries)
