"""Mail delivery from the outbox against a real SMTP server (aiosmtpd), no mocks."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update

from gql_portal.clock import FrozenClock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.mail import MailStatus, OutboxMessage
from gql_portal.db.migrate import upgrade
from gql_portal.mailer import (
    CLAIM_TIMEOUT,
    MAX_ATTEMPTS,
    DeliveryWorker,
    SmtpTarget,
    deliver_due,
    format_outbox,
    list_outbox,
    parse_smtp_url,
    queue_mail,
    retry_delay,
)

T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
SWEDISH_BODY = (
    "Hej Åsa!\n\nKlicka på länken för att bekräfta din e-post.\nHälsningar, gql-portal – åäö ÅÄÖ\n"
)


# --------------------------------------------------------------------------- a real SMTP server


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    content: bytes

    def parsed(self) -> EmailMessage:
        message = message_from_bytes(self.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        return message


class Recorder:
    """An aiosmtpd handler that keeps what it accepts; replies can be set to refuse mail."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
        self.rcpt_reply = None
        self.data_reply = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        with self.lock:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.content))
            )
        return "250 Message accepted for delivery"


class _AnyPortController(Controller):
    """A Controller bound to port 0: learn the port the OS chose before probing it."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    controller = _AnyPortController(
        recorder, hostname="127.0.0.1", port=0, server_hostname="smtp.test"
    )
    controller.start()
    try:
        yield recorder, controller.port
    finally:
        controller.stop()


@pytest.fixture
def recorder(smtp_server: tuple[Recorder, int]) -> Recorder:
    smtp_server[0].reset()
    return smtp_server[0]


@pytest.fixture
def settings(smtp_server: tuple[Recorder, int]) -> Settings:
    return Settings(
        mode="test",
        smtp_url=f"smtp://127.0.0.1:{smtp_server[1]}?starttls=0&timeout=5",
        mail_from="gql-portal <no-reply@portal.test>",
    )


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    await upgrade(database)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def queue(
    db: Database,
    clock: FrozenClock,
    *,
    to: str = "asa@example.se",
    subject: str = "Bekräfta din e-postadress",
    body: str = SWEDISH_BODY,
    links: list[str] | None = None,
) -> int:
    async with db.transaction() as session:
        message = queue_mail(
            session, clock, to=to, subject=subject, body=body, kind="verify_email", links=links
        )
        await session.flush()
        return message.id


async def load(db: Database, message_id: int) -> OutboxMessage:
    async with db.session() as session:
        message = await session.get(OutboxMessage, message_id)
        assert message is not None
        return message


# --------------------------------------------------------------------------- parse_smtp_url


def test_parse_smtp_url_variants() -> None:
    assert parse_smtp_url("smtp://localhost:1025") == SmtpTarget("localhost", 1025)
    plain = parse_smtp_url("smtp://mail.example.se")
    assert (plain.port, plain.use_tls, plain.start_tls) == (25, False, None)
    starttls = parse_smtp_url("smtp://u%40x.se:p%2Fss%3Aw@mail.example.se?starttls=1")
    assert starttls == SmtpTarget(
        "mail.example.se", 587, "u@x.se", "p/ss:w", use_tls=False, start_tls=True
    )
    assert "p/ss:w" not in repr(starttls)
    implicit = parse_smtp_url("SMTPS://user:secret@smtp.example.se")
    assert (implicit.port, implicit.use_tls, implicit.start_tls) == (465, True, False)
    assert parse_smtp_url("smtp://h?starttls=0&timeout=2.5") == SmtpTarget(
        "h", 25, start_tls=False, timeout=2.5
    )


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://user:hunter2@host", "scheme 'http'"),
        ("localhost:25", "scheme"),
        ("smtp://", "no host name"),
        ("smtp://user:hunter2@host:notaport", "port"),
        ("smtp://user:hunter2@host:0", "port"),
        ("smtp://user@host", "both a user name and a password"),
        ("smtp://host/path", "path"),
        ("smtp://host?starttls=maybe", "starttls must be"),
        ("smtp://host?tls=1", "unknown option 'tls'"),
        ("smtps://user:hunter2@host?starttls=1", "smtps://"),
        ("smtp://host?timeout=-1", "timeout"),
    ],
)
def test_parse_smtp_url_rejects_bad_urls(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match="invalid SMTP URL") as error:
        parse_smtp_url(url)
    assert problem in str(error.value)
    assert "hunter2" not in str(error.value)


def test_retry_delay_grows_and_is_capped() -> None:
    delays = [retry_delay(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:4] == [
        timedelta(seconds=30),
        timedelta(minutes=2),
        timedelta(minutes=8),
        timedelta(minutes=32),
    ]
    assert delays[4:] == [timedelta(hours=1)] * (MAX_ATTEMPTS - 4)


# --------------------------------------------------------------------------- delivery


async def test_queued_message_is_delivered_with_utf8_body(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    message_id = await queue(db, clock)
    clock.advance(timedelta(seconds=3))

    result = await deliver_due(db, settings, clock)

    assert (result.sent, result.failed, result.retried) == (1, 0, 0)
    assert len(recorder.received) == 1
    received = recorder.received[0]
    assert received.mail_from == "no-reply@portal.test"
    assert received.rcpt_tos == ["asa@example.se"]
    email = received.parsed()
    assert email["From"] == "gql-portal <no-reply@portal.test>"
    assert email["To"] == "asa@example.se"
    assert email["Subject"] == "Bekräfta din e-postadress"
    assert email["Date"].datetime == T0
    assert email["Message-ID"].endswith("@portal.test>")
    assert email.get_content_type() == "text/plain"
    assert email.get_content_charset() == "utf-8"
    assert email.get_content().replace("\r\n", "\n") == SWEDISH_BODY  # CRLF on the wire

    stored = await load(db, message_id)
    assert stored.status is MailStatus.SENT
    assert stored.sent_at == T0 + timedelta(seconds=3)
    assert stored.attempts == 1
    assert stored.last_error is None

    # Nothing is due any more: a second round sends nothing.
    assert (await deliver_due(db, settings, clock)).total == 0
    assert len(recorder.received) == 1


async def test_temporary_refusal_is_retried_with_back_off(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    message_id = await queue(db, clock)
    recorder.rcpt_reply = "451 4.3.0 Try again later"

    result = await deliver_due(db, settings, clock)

    assert (result.sent, result.failed, result.retried) == (0, 0, 1)
    stored = await load(db, message_id)
    assert stored.status is MailStatus.QUEUED
    assert stored.attempts == 1
    assert stored.next_attempt_at == T0 + timedelta(seconds=30)
    assert stored.next_attempt_at > clock.now()
    assert stored.last_error is not None and "451" in stored.last_error

    # Not due yet: nothing happens, even though the server would now accept it.
    recorder.rcpt_reply = None
    clock.advance(timedelta(seconds=29))
    assert (await deliver_due(db, settings, clock)).total == 0
    assert recorder.received == []

    clock.advance(timedelta(seconds=1))
    result = await deliver_due(db, settings, clock)
    assert result.sent == 1
    assert len(recorder.received) == 1
    stored = await load(db, message_id)
    assert stored.status is MailStatus.SENT
    assert stored.attempts == 2
    assert stored.last_error is None


async def test_temporary_refusal_of_data_is_retried(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    message_id = await queue(db, clock)
    recorder.data_reply = "452 4.3.1 Insufficient system storage"

    assert (await deliver_due(db, settings, clock)).retried == 1
    stored = await load(db, message_id)
    assert (stored.status, stored.attempts) == (MailStatus.QUEUED, 1)


async def test_gives_up_after_max_attempts(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    message_id = await queue(db, clock)
    recorder.rcpt_reply = "451 4.3.0 Try again later"

    for attempt in range(1, MAX_ATTEMPTS + 1):
        result = await deliver_due(db, settings, clock)
        stored = await load(db, message_id)
        assert stored.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert (result.retried, stored.status) == (1, MailStatus.QUEUED)
            clock.set(stored.next_attempt_at)
    assert (result.failed, stored.status) == (1, MailStatus.FAILED)
    assert stored.last_error is not None
    assert stored.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    clock.advance(timedelta(days=1))
    assert (await deliver_due(db, settings, clock)).total == 0


async def test_permanent_refusal_fails_at_once(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    refused = await queue(db, clock, to="nobody@example.se")
    recorder.rcpt_reply = "550 5.1.1 No such user"

    result = await deliver_due(db, settings, clock)

    assert (result.sent, result.failed, result.retried) == (0, 1, 0)
    stored = await load(db, refused)
    assert stored.status is MailStatus.FAILED
    assert stored.attempts == 1
    assert stored.last_error is not None and "550" in stored.last_error
    clock.advance(timedelta(days=1))
    recorder.rcpt_reply = None
    assert (await deliver_due(db, settings, clock)).total == 0
    assert recorder.received == []


async def test_permanent_refusal_of_one_message_does_not_stop_the_batch(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    first = await queue(db, clock, subject="ett")
    clock.advance(timedelta(seconds=1))
    second = await queue(db, clock, subject="två")
    recorder.data_reply = "554 5.7.1 Message rejected"

    result = await deliver_due(db, settings, clock, batch_size=1)
    assert result.failed == 1
    recorder.data_reply = None
    result = await deliver_due(db, settings, clock)
    assert result.sent == 1

    assert (await load(db, first)).status is MailStatus.FAILED
    assert (await load(db, second)).status is MailStatus.SENT
    assert [r.parsed()["Subject"] for r in recorder.received] == ["två"]


async def test_server_down_is_retried(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    first = await queue(db, clock)
    second = await queue(db, clock)
    down = replace(settings, smtp_url=f"smtp://user:hunter2@127.0.0.1:{closed_port()}?timeout=2")

    result = await deliver_due(db, down, clock)

    # The first message found the server down; the batch stops there.
    assert (result.sent, result.failed, result.retried) == (0, 0, 1)
    stored = await load(db, first)
    assert stored.status is MailStatus.QUEUED
    assert stored.attempts == 1
    assert stored.next_attempt_at == T0 + timedelta(seconds=30)
    assert stored.last_error is not None
    assert stored.last_error.startswith("cannot connect")
    assert "hunter2" not in stored.last_error
    untouched = await load(db, second)
    assert (untouched.status, untouched.attempts) == (MailStatus.QUEUED, 0)

    # The server is back: both go out (the second was due all along).
    clock.advance(timedelta(seconds=30))
    result = await deliver_due(db, settings, clock)
    assert result.sent == 2
    assert len(recorder.received) == 2


async def test_concurrent_deliveries_never_send_a_message_twice(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    count = 12
    for n in range(count):
        await queue(db, clock, subject=f"meddelande {n}")

    results = await asyncio.gather(
        deliver_due(db, settings, clock, batch_size=count),
        deliver_due(db, settings, clock, batch_size=count),
        deliver_due(db, settings, clock, batch_size=count),
    )

    assert sum(result.sent for result in results) == count
    assert sum(result.total for result in results) == count
    subjects = sorted(str(r.parsed()["Subject"]) for r in recorder.received)
    assert subjects == sorted(f"meddelande {n}" for n in range(count))
    statuses = {message.status for message in await list_outbox(db, limit=100)}
    assert statuses == {MailStatus.SENT}


async def test_a_stuck_claim_is_taken_over_after_the_claim_timeout(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    message_id = await queue(db, clock)
    # A worker claimed it and died before it could record anything.
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=MailStatus.SENDING, attempts=1, next_attempt_at=T0 + CLAIM_TIMEOUT)
        )

    clock.advance(CLAIM_TIMEOUT - timedelta(seconds=1))
    assert (await deliver_due(db, settings, clock)).total == 0
    clock.advance(timedelta(seconds=1))
    assert (await deliver_due(db, settings, clock)).sent == 1

    stored = await load(db, message_id)
    assert (stored.status, stored.attempts) == (MailStatus.SENT, 2)
    assert len(recorder.received) == 1


async def test_deliver_due_needs_smtp(db: Database, clock: FrozenClock) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        await deliver_due(db, Settings(mode="test"), clock)


# --------------------------------------------------------------------------- the worker


async def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    # Generous: the condition is polled, so a pass costs no more; a loaded CI machine once
    # needed more than a second for the first failing round.
    async with asyncio.timeout(seconds):
        while True:  # polling: the condition changes in another thread (the SMTP server)
            if condition():
                return
            await asyncio.sleep(0.01)


async def test_worker_delivers_when_woken(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    worker = DeliveryWorker(db, settings, clock, poll_interval=60)
    worker.start()
    try:
        await asyncio.sleep(0.05)  # the first round finds nothing
        await queue(db, clock, subject="väckt")
        worker.wake()
        await wait_until(lambda: len(recorder.received) == 1)
        assert recorder.received[0].parsed()["Subject"] == "väckt"
    finally:
        await worker.stop()
    assert not worker.running


async def test_worker_survives_errors(
    tmp_path: Path,
    settings: Settings,
    clock: FrozenClock,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A database without tables: every round fails until the migrations have run.
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    worker = DeliveryWorker(database, settings, clock, poll_interval=0.05)
    try:
        with caplog.at_level(logging.ERROR, logger="gql_portal.mail"):
            worker.start()
            await wait_until(lambda: any(r.name == "gql_portal.mail" for r in caplog.records))
        assert worker.running
        await upgrade(database)
        await queue(database, clock)
        worker.wake()
        await wait_until(lambda: len(recorder.received) == 1)
    finally:
        await worker.stop()
        await database.dispose()


def test_worker_is_only_for_configured_smtp(db: Database) -> None:
    with pytest.raises(ValueError, match="SMTP_URL"):
        DeliveryWorker(db, Settings(mode="test"))
    with pytest.raises(ValueError, match="invalid SMTP URL"):
        DeliveryWorker(db, Settings(mode="test", smtp_url="smtp://"))


# --------------------------------------------------------------------------- the CLI listing


async def test_format_outbox_shows_body_and_links(
    db: Database, settings: Settings, clock: FrozenClock, recorder: Recorder
) -> None:
    links = [
        "http://127.0.0.1:8000/verify?token=abc123",
        "http://127.0.0.1:8000/login",
    ]
    first = await queue(db, clock, links=links)
    clock.advance(timedelta(minutes=1))
    second = await queue(db, clock, subject="Återställ ditt lösenord", body="Hej!\nÅterställ.")
    await deliver_due(db, settings, clock, batch_size=1)  # sends the older one

    messages = await list_outbox(db)
    assert [m.id for m in messages] == [second, first]  # newest first
    assert [m.id for m in await list_outbox(db, status=MailStatus.SENT)] == [first]

    text = format_outbox(messages)
    lines = text.splitlines()
    for link in links:
        assert link in lines  # each link on its own line
    assert SWEDISH_BODY.rstrip("\n") in text
    assert "Hej!\nÅterställ." in text
    assert f"#{first}  SENT  verify_email" in text
    assert f"#{second}  QUEUED  verify_email" in text
    assert "To:       asa@example.se" in text
    assert "Subject:  Återställ ditt lösenord" in text
    assert "Created:  2025-03-14 09:30:00 UTC" in text
    assert text.index(f"#{second}") < text.index(f"#{first}")
    assert format_outbox([]) == "The outbox is empty.\n"
