"""Queueing mail into the outbox (in the caller's transaction) and delivering it over SMTP.

Every mail is first written to the `email_outbox` table by `queue_mail`, in the same transaction
as the change that caused it, so a mail exists if and only if that change committed. Delivery is
separate and only happens when `Settings.smtp_url` is set:

* `deliver_due` sends one batch of due messages. Any number of workers (tasks or processes, even
  on different hosts sharing PostgreSQL) may call it at the same time: each message is *claimed*
  with a conditional UPDATE that only one caller can win, committed before anything is sent.
* `DeliveryWorker` calls `deliver_due` in the background for the app's lifespan: at start, every
  few seconds, and at once when `wake()` is called after mail was queued.
* `list_outbox` / `format_outbox` show the outbox (the `gql-portal mail` CLI command); this is
  also how a developer without SMTP reads verification and reset links.

Status life cycle (`MailStatus`)::

    QUEUED --claim--> SENDING --accepted---------------------------------> SENT
       ^                  |----permanent refusal (5xx) or MAX_ATTEMPTS-----> FAILED
       +--back-off--------+  (temporary error: connection, timeout, 4xx)

    DROPPED: written so, never delivered (see `queue_mail(send=False)`).

While a message is SENDING, `next_attempt_at` holds the claim's deadline (claim time +
`CLAIM_TIMEOUT`). A worker that crashed mid-send leaves the row SENDING; once the deadline has
passed any worker reclaims it. Delivery is therefore *at least once*: a crash after the SMTP
server accepted a message but before SENT was committed sends it again (with the same
Message-ID, so receivers can recognise the duplicate).

`attempts` counts delivery attempts started: it is incremented when a message is claimed, so a
message delivered at the first try has attempts == 1. It doubles as the claim's fencing token: a
worker only records its outcome if the row is still SENDING with the attempts value it claimed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any, Final
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

import aiosmtplib
from sqlalchemy import insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.mail import MailStatus, OutboxMessage

logger = logging.getLogger("gql_portal.mail")

#: After this many failed attempts a message is given up (status FAILED).
MAX_ATTEMPTS: Final = 8
#: Back-off after the n-th failed attempt: RETRY_BASE_DELAY * 4**(n-1), at most RETRY_MAX_DELAY
#: (30 s, 2 min, 8 min, 32 min, 1 h, 1 h, ...).
RETRY_BASE_DELAY: Final = timedelta(seconds=30)
RETRY_MAX_DELAY: Final = timedelta(hours=1)
#: How long a claim (status SENDING) is honoured before another worker may take the message over.
CLAIM_TIMEOUT: Final = timedelta(minutes=10)
#: How often the background worker looks for due mail when nobody wakes it.
POLL_INTERVAL_SECONDS: Final = 5.0
#: Default SMTP timeout (connect and each command), in seconds; `?timeout=` in the URL overrides.
SMTP_TIMEOUT_SECONDS: Final = 30.0
#: Stored `last_error` texts are cut to this length.
MAX_ERROR_LENGTH: Final = 500


def queue_mail(
    session: AsyncSession,
    clock: Clock,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    links: list[str] | None = None,
    company_id: int | None = None,
    send: bool = True,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction: it is sent only if that commits.

    With `send=False` the row is written as DROPPED and never delivered: a request about an
    address without an account writes it, so that it does the same work as one about an
    account, and counts for `recently_mailed` alike."""
    message = OutboxMessage(
        **mail_values(
            clock,
            to=to,
            subject=subject,
            body=body,
            kind=kind,
            links=links,
            company_id=company_id,
            send=send,
        )
    )
    session.add(message)
    return message


def mail_values(
    clock: Clock,
    *,
    to: str,
    subject: str,
    body: str,
    kind: str,
    links: list[str] | None = None,
    company_id: int | None = None,
    send: bool = True,
) -> dict[str, Any]:
    """The columns of the outbox row `queue_mail` adds, for `queue_mails`."""
    now = clock.now()
    return {
        "company_id": company_id,
        "to_address": to,
        "subject": subject,
        "body_text": body,
        "links": list(links or []),
        "kind": kind,
        "status": MailStatus.QUEUED if send else MailStatus.DROPPED,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


async def queue_mails(session: AsyncSession, mails: list[dict[str, Any]]) -> None:
    """Add many messages (`mail_values`) to the outbox in one statement, in the caller's
    transaction, as `queue_mail` does one."""
    if mails:
        await session.execute(insert(OutboxMessage), mails)


async def recently_mailed(session: AsyncSession, *, to: str, kind: str, since: datetime) -> bool:
    """Whether a mail of `kind` to `to` was written to the outbox after `since` (sent or not:
    DROPPED rows count too, so the answer does not depend on whether the address has an
    account). Mails someone else can ask for are sent at most once per few minutes this way."""
    found = await session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.to_address == to,
            OutboxMessage.kind == kind,
            OutboxMessage.created_at > since,
        )
        .limit(1)
    )
    return found is not None


# --------------------------------------------------------------------------- the SMTP target

_URL_FORMAT = (
    "expected smtp://[user:password@]host[:port][?starttls=1] or "
    "smtps://[user:password@]host[:port]"
)
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class SmtpTarget:
    """Where and how to connect, parsed from `Settings.smtp_url` by `parse_smtp_url`.

    TLS:
    * `smtps://host` -> `use_tls=True`: implicit TLS from the first byte (port 465 by default).
    * `smtp://host?starttls=1` -> `start_tls=True`: STARTTLS is required; if the server does not
      offer it the connection fails (port 587 by default).
    * `smtp://host?starttls=0` -> `start_tls=False`: never TLS (a local relay or a dev catcher).
    * `smtp://host` -> `start_tls=None`: opportunistic, decided by aiosmtplib: STARTTLS is used
      when the server advertises it (and its certificate must then validate), plain text
      otherwise. That is not protected against downgrade: give `?starttls=1` (or use smtps://)
      for any server reached over a network you do not control, and always when a password is
      set. Port 25 by default.

    The password is left out of `repr()`, so the target can be logged.
    """

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = SMTP_TIMEOUT_SECONDS

    def client(self) -> aiosmtplib.SMTP:
        """A new, not yet connected aiosmtplib client for this target."""
        return aiosmtplib.SMTP(
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


def parse_smtp_url(url: str) -> SmtpTarget:
    """Parse `smtp://[user:password@]host[:port][?starttls=0|1][&timeout=seconds]` or
    `smtps://...` (implicit TLS). The user and password are percent-decoded, so a password
    containing `@`, `:` or `/` must be written as %40, %3A, %2F.

    Raises ValueError with a message that says what is wrong; the message never repeats the
    URL, so it cannot leak the password into logs.
    """
    parts, explicit_port = _smtp_url_parts(url)
    username, password = _smtp_credentials(parts)
    options = _smtp_options(parts.query)
    use_tls = parts.scheme.lower() == "smtps"
    start_tls = _start_tls(options, use_tls)
    if explicit_port is not None:
        port = explicit_port
    elif use_tls:
        port = 465
    elif start_tls:
        port = 587
    else:
        port = 25
    assert parts.hostname is not None  # checked in _smtp_url_parts
    return SmtpTarget(
        hostname=parts.hostname,
        port=port,
        username=username,
        password=password,
        use_tls=use_tls,
        start_tls=start_tls,
        timeout=_smtp_timeout(options),
    )


def _smtp_url_parts(url: str) -> tuple[SplitResult, int | None]:
    """The URL's parts, with an smtp or smtps scheme and a host; its port if it gives one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise ValueError(f"invalid SMTP URL ({exc}); {_URL_FORMAT}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        shown = f"scheme {scheme!r}" if scheme else "no scheme"
        raise ValueError(f"invalid SMTP URL: {shown}; {_URL_FORMAT}")
    if not parts.hostname:
        raise ValueError(f"invalid SMTP URL: no host name; {_URL_FORMAT}")
    try:
        explicit_port = parts.port
    except ValueError:
        raise ValueError("invalid SMTP URL: the port must be a number from 1 to 65535") from None
    if explicit_port == 0:
        raise ValueError("invalid SMTP URL: the port must be a number from 1 to 65535")
    if parts.path not in ("", "/") or parts.fragment:
        raise ValueError(f"invalid SMTP URL: unexpected path or fragment; {_URL_FORMAT}")
    return parts, explicit_port


def _smtp_credentials(parts: SplitResult) -> tuple[str | None, str | None]:
    """The percent-decoded user name and password: both, or neither."""
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if (username is None) != (password is None):
        raise ValueError(
            "invalid SMTP URL: give both a user name and a password (user:password@host), "
            "or neither"
        )
    return username, password


def _smtp_options(query: str) -> dict[str, str]:
    """The known query options (starttls, timeout), each at most once, lower-cased."""
    options: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        key = key.lower()
        if key not in ("starttls", "timeout"):
            raise ValueError(f"invalid SMTP URL: unknown option {key!r} (known: starttls, timeout)")
        if key in options:
            raise ValueError(f"invalid SMTP URL: option {key!r} given twice")
        options[key] = value.strip().lower()
    return options


def _start_tls(options: dict[str, str], use_tls: bool) -> bool | None:
    """STARTTLS as the `starttls` option says (None: as the server offers); never inside TLS."""
    start_tls: bool | None = None
    if "starttls" in options:
        flag = options["starttls"]
        if flag in _TRUE:
            start_tls = True
        elif flag in _FALSE:
            start_tls = False
        else:
            raise ValueError("invalid SMTP URL: starttls must be 1 or 0")
    if use_tls:
        if start_tls:
            raise ValueError(
                "invalid SMTP URL: smtps:// already uses TLS from the start; "
                "starttls=1 is only for smtp://"
            )
        start_tls = False  # the connection is TLS already; never STARTTLS inside it
    return start_tls


def _smtp_timeout(options: dict[str, str]) -> float:
    """The `timeout` option in seconds (0, 600], or the default."""
    if "timeout" not in options:
        return SMTP_TIMEOUT_SECONDS
    try:
        timeout = float(options["timeout"])
    except ValueError:
        timeout = -1.0
    if not 0 < timeout <= 600:
        raise ValueError("invalid SMTP URL: timeout must be a number of seconds (0, 600]")
    return timeout


def envelope_sender(mail_from: str) -> str:
    """The bare address in `Settings.mail_from` ("Name <addr>" or "addr"), for MAIL FROM."""
    address = parseaddr(mail_from)[1]
    if "@" not in address:
        raise ValueError(
            "GQL_PORTAL_MAIL_FROM must contain an e-mail address, such as "
            "'gql-portal <no-reply@example.se>'"
        )
    return address


# --------------------------------------------------------------------------- building messages


def message_id(message: OutboxMessage, mail_from: str) -> str:
    """A Message-ID that stays the same across retries of one outbox message."""
    domain = envelope_sender(mail_from).rpartition("@")[2] or "localhost"
    stamp = message.created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"<{stamp}.{message.id}.outbox@{domain}>"


def build_email(message: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message for an outbox row: plain text, UTF-8, quoted-printable (safe for any
    server, with or without 8BITMIME). Date is when the mail was queued.

    Raises ValueError for a header that cannot be sent (e.g. a line break in the subject).
    """
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at.astimezone(UTC))
    email["Message-ID"] = message_id(message, mail_from)
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.body_text, charset="utf-8", cte="quoted-printable")
    return email


# --------------------------------------------------------------------------- delivery


@dataclass
class DeliveryResult:
    """What one `deliver_due` call did."""

    sent: int = 0
    failed: int = 0  # given up: status FAILED
    retried: int = 0  # temporary failure: back to QUEUED with a later next_attempt_at

    @property
    def total(self) -> int:
        return self.sent + self.failed + self.retried


@dataclass(frozen=True)
class _Outcome:
    permanent: bool
    error: str
    connection_broken: bool = False


def retry_delay(attempts: int) -> timedelta:
    """The back-off after the `attempts`-th failed attempt (1-based)."""
    exponent = max(attempts - 1, 0)
    if exponent >= 8:  # 30 s * 4**8 is far beyond the cap already
        return RETRY_MAX_DELAY
    return min(RETRY_BASE_DELAY * 4**exponent, RETRY_MAX_DELAY)


def _short(text: str, target: SmtpTarget) -> str:
    text = " ".join(str(text).split())
    if target.password:
        text = text.replace(target.password, "***")
    if len(text) > MAX_ERROR_LENGTH:
        text = text[: MAX_ERROR_LENGTH - 1] + "…"
    return text


def _classify(exc: Exception, target: SmtpTarget) -> _Outcome:
    """Permanent or temporary? Only what the server said about *this message* is permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [refusal.code for refusal in exc.recipients]
        detail = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
        return _Outcome(
            permanent=all(code >= 500 for code in codes),
            error=_short(f"recipient refused: {detail}", target),
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        # A refused MAIL FROM (also "530 authentication required") is a configuration problem
        # of ours, not a property of this message: retry, so fixing the settings saves it.
        return _Outcome(False, _short(f"sender refused: {exc.code} {exc.message}", target))
    if isinstance(exc, aiosmtplib.SMTPDataError):
        return _Outcome(
            exc.code >= 500, _short(f"message refused: {exc.code} {exc.message}", target)
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        # e.g. a non-ASCII address and a server without SMTPUTF8
        return _Outcome(True, _short(f"not supported by the server: {exc.message}", target))
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return _Outcome(
            False,
            _short(f"SMTP error {exc.code}: {exc.message}", target),
            connection_broken=exc.code == 421,
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError | TimeoutError):
        return _Outcome(False, _short(f"timeout: {exc}", target), connection_broken=True)
    if isinstance(exc, OSError | aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        name = type(exc).__name__
        return _Outcome(False, _short(f"connection error: {name}: {exc}", target), True)
    if isinstance(exc, ValueError):  # an address or header that cannot be sent at all
        return _Outcome(True, _short(f"cannot send: {exc}", target))
    name = type(exc).__name__
    return _Outcome(False, _short(f"unexpected error: {name}: {exc}", target), True)


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return result.rowcount


async def _due_ids(database: Database, now: datetime, limit: int) -> list[int]:
    due = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_((MailStatus.QUEUED, MailStatus.SENDING)),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    async with database.session() as session:
        return list((await session.scalars(due)).all())


async def _claim(database: Database, message_id_: int, now: datetime) -> OutboxMessage | None:
    """Take the message for this worker, or None if another worker was first.

    The UPDATE matches only a QUEUED message that is due, or a SENDING message whose claim has
    expired; it moves next_attempt_at CLAIM_TIMEOUT into the future, so of several concurrent
    claimers exactly one sees rowcount == 1. It commits before anything is sent.
    """
    claim = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id_,
            OutboxMessage.status.in_((MailStatus.QUEUED, MailStatus.SENDING)),
            OutboxMessage.next_attempt_at <= now,
        )
        .values(
            status=MailStatus.SENDING,
            attempts=OutboxMessage.attempts + 1,
            next_attempt_at=now + CLAIM_TIMEOUT,
        )
        .execution_options(synchronize_session=False)
    )
    async with database.transaction() as session:
        if _rowcount(await session.execute(claim)) != 1:
            return None
        return (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.id == message_id_))
        ).one()


async def _finish(database: Database, message: OutboxMessage, **values: Any) -> None:
    """Record the outcome, if this worker still holds the claim (status and attempts unchanged)."""
    finish = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == message.id,
            OutboxMessage.status == MailStatus.SENDING,
            OutboxMessage.attempts == message.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    async with database.transaction() as session:
        if _rowcount(await session.execute(finish)) != 1:
            logger.warning(
                "mail %s: the claim expired and another worker took the message over; "
                "outcome %s not recorded",
                message.id,
                values.get("status"),
            )


async def _record_failure(
    database: Database,
    clock: Clock,
    message: OutboxMessage,
    outcome: _Outcome,
    result: DeliveryResult,
) -> None:
    now = clock.now()
    if outcome.permanent or message.attempts >= MAX_ATTEMPTS:
        error = outcome.error
        if not outcome.permanent:
            error = f"gave up after {message.attempts} attempts: {error}"
        error = error[:MAX_ERROR_LENGTH]
        await _finish(
            database, message, status=MailStatus.FAILED, last_error=error, next_attempt_at=now
        )
        result.failed += 1
        logger.error("mail %s (%s) failed: %s", message.id, message.kind, error)
    else:
        retry_at = now + retry_delay(message.attempts)
        await _finish(
            database,
            message,
            status=MailStatus.QUEUED,
            last_error=outcome.error[:MAX_ERROR_LENGTH],
            next_attempt_at=retry_at,
        )
        result.retried += 1
        logger.warning(
            "mail %s (%s) attempt %d failed, next try at %s: %s",
            message.id,
            message.kind,
            message.attempts,
            retry_at.isoformat(timespec="seconds"),
            outcome.error,
        )


async def _close(client: aiosmtplib.SMTP | None) -> None:
    if client is None or not client.is_connected:
        return
    try:
        await client.quit()
    except Exception:  # the server may have gone already; just drop the connection
        client.close()


async def deliver_due(
    database: Database, settings: Settings, clock: Clock, *, batch_size: int = 50
) -> DeliveryResult:
    """Send up to `batch_size` due messages over one SMTP connection and record the outcomes.

    Due: QUEUED with next_attempt_at <= now, or SENDING whose claim expired (a crashed worker).
    Each message is claimed (committed) before it is sent, so concurrent callers in other tasks
    or processes never send one message twice. Per message:

    * accepted -> SENT, sent_at = now;
    * temporary failure (cannot connect, connection lost, timeout, SMTP 4xx, AUTH or MAIL FROM
      refused) -> QUEUED again, next_attempt_at = now + `retry_delay(attempts)`, or FAILED once
      `MAX_ATTEMPTS` attempts have failed;
    * permanent refusal of this message (SMTP 5xx to RCPT TO or DATA, an unsendable address or
      header) -> FAILED at once.

    `last_error` holds a short description (never the SMTP password). If the connection cannot
    be opened, the message that tried it is rescheduled and the batch ends; the other messages
    stay untouched until the next call. Raises ValueError when SMTP is not configured or the
    settings are invalid; database errors propagate (a message left SENDING is picked up again
    after CLAIM_TIMEOUT).
    """
    if not settings.smtp_url:
        raise ValueError("mail delivery needs GQL_PORTAL_SMTP_URL (Settings.smtp_url)")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    target = parse_smtp_url(settings.smtp_url)
    sender = envelope_sender(settings.mail_from)
    result = DeliveryResult()
    ids = await _due_ids(database, clock.now(), batch_size)
    if not ids:
        return result
    batch = _Batch(database, clock, settings.mail_from, sender, target, result)
    try:
        for id_ in ids:
            if not await batch.deliver(id_):
                break  # no connection: the other messages wait for the next call
    finally:
        await _close(batch.client)
    return result


@dataclass
class _Batch:
    """One `deliver_due` call's messages, sent over one SMTP connection (opened for the first
    message that is sent, and again after a connection breaks)."""

    database: Database
    clock: Clock
    mail_from: str
    sender: str  # the envelope's (MAIL FROM)
    target: SmtpTarget
    result: DeliveryResult
    client: aiosmtplib.SMTP | None = None

    async def deliver(self, id_: int) -> bool:
        """Claim, build and send one message, and record the outcome; False when no connection
        could be opened (the batch ends)."""
        message = await _claim(self.database, id_, self.clock.now())
        if message is None:
            return True  # another worker has it
        if message.attempts > MAX_ATTEMPTS:  # reclaimed after repeated interrupted sends
            interrupted = _Outcome(True, "gave up: delivery was interrupted repeatedly")
            await self._failed(message, interrupted)
            return True
        try:
            email = build_email(message, self.mail_from)
        except ValueError as exc:
            await self._failed(message, _classify(exc, self.target))
            return True
        client = await self._connection(message)
        if client is None:
            return False
        try:
            await client.send_message(email, sender=self.sender, recipients=[message.to_address])
        except Exception as exc:
            outcome = _classify(exc, self.target)
            if outcome.connection_broken:
                client.close()
                self.client = None
            await self._failed(message, outcome)
            return True
        now = self.clock.now()
        await _finish(
            self.database,
            message,
            status=MailStatus.SENT,
            sent_at=now,
            last_error=None,
            next_attempt_at=now,
        )
        self.result.sent += 1
        logger.info("mail %s (%s) sent", message.id, message.kind)
        return True

    async def _connection(self, message: OutboxMessage) -> aiosmtplib.SMTP | None:
        """The open connection, opened now if need be; None when it cannot be (recorded on
        `message`, whose turn it was)."""
        if self.client is not None and self.client.is_connected:
            return self.client
        client = self.target.client()
        try:
            await client.connect()
        except Exception as exc:
            client.close()
            self.client = None
            # Connecting (EHLO, STARTTLS, AUTH) failing is never this message's fault.
            outcome = _Outcome(False, f"cannot connect: {_classify(exc, self.target).error}", True)
            await self._failed(message, outcome)
            return None
        self.client = client
        return client

    async def _failed(self, message: OutboxMessage, outcome: _Outcome) -> None:
        await _record_failure(self.database, self.clock, message, outcome, self.result)


# --------------------------------------------------------------------------- the background worker


class DeliveryWorker:
    """Delivers the outbox in the background for the lifetime of the app.

    Create and start it only when `settings.smtp_url` is set; that decision is the caller's
    (without SMTP, mail simply stays QUEUED and is read with `gql-portal mail`). The
    constructor validates the SMTP URL and mail_from, so a bad configuration fails at start-up
    rather than in the background::

        @asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            worker = None
            if settings.smtp_url:
                worker = DeliveryWorker(database, settings, clock)
                worker.start()
                runtime.wake_mailer = worker.wake
            try:
                yield
            finally:
                if worker is not None:
                    await worker.stop()

    The worker delivers at start, then every `poll_interval` seconds, and immediately after
    `wake()` (call it after the transaction that queued mail has committed). After a full batch
    it goes on at once. An exception in a round is logged (logger "gql_portal.mail") and the
    worker carries on with the next round; it only ends through `stop()`.
    """

    def __init__(
        self,
        database: Database,
        settings: Settings,
        clock: Clock | None = None,
        *,
        poll_interval: float = POLL_INTERVAL_SECONDS,
        batch_size: int = 50,
        stop_timeout: float = 10.0,
    ) -> None:
        if not settings.smtp_url:
            raise ValueError(
                "DeliveryWorker needs GQL_PORTAL_SMTP_URL; do not start it without SMTP"
            )
        parse_smtp_url(settings.smtp_url)
        envelope_sender(settings.mail_from)
        if poll_interval <= 0 or batch_size < 1:
            raise ValueError("poll_interval must be positive and batch_size at least 1")
        self.database = database
        self.settings = settings
        self.clock = clock or Clock()
        self.poll_interval = poll_interval
        self.batch_size = batch_size
        self.stop_timeout = stop_timeout
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the background task (in the running event loop); a no-op if it runs already."""
        if self.running:
            return
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        self._task = self._loop.create_task(self._run(), name="gql-portal-mail-delivery")

    def wake(self) -> None:
        """Deliver now instead of at the next poll. Safe to call at any time, from any thread;
        a no-op when the worker is not running."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self.running:
            return
        try:
            current: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        if current is loop:
            self._wakeup.set()
        else:
            loop.call_soon_threadsafe(self._wakeup.set)

    async def stop(self) -> None:
        """Let the current round finish (at most `stop_timeout` seconds, then cancel it) and end
        the task. A message interrupted mid-send stays SENDING and is retried after
        CLAIM_TIMEOUT."""
        task = self._task
        if task is None:
            return
        self._stopping = True
        self._wakeup.set()
        done, _ = await asyncio.wait({task}, timeout=self.stop_timeout)
        if not done:
            task.cancel()
            await asyncio.wait({task})
        self._task = None

    async def run_once(self) -> DeliveryResult:
        """One delivery round, as the background task does it."""
        return await deliver_due(
            self.database, self.settings, self.clock, batch_size=self.batch_size
        )

    async def _run(self) -> None:
        logger.info("mail delivery worker started")
        try:
            while not self._stopping:
                self._wakeup.clear()
                more = False
                try:
                    result = await self.run_once()
                    more = result.total >= self.batch_size
                except Exception:
                    logger.exception(
                        "mail delivery round failed; trying again in %.0f s", self.poll_interval
                    )
                if self._stopping:
                    break
                if more:
                    await asyncio.sleep(0)
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), self.poll_interval)
        finally:
            logger.info("mail delivery worker stopped")


# --------------------------------------------------------------------------- reading the outbox


async def list_outbox(
    database: Database, *, status: MailStatus | None = None, limit: int = 50
) -> list[OutboxMessage]:
    """The newest `limit` outbox messages (optionally of one status), newest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    async with database.session() as session:
        return list((await session.scalars(query.limit(limit))).all())


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_outbox(messages: Sequence[OutboxMessage]) -> str:
    """A human-readable listing (for `gql-portal mail`): per message its id, status, times,
    recipient, subject, the whole text body, and then every link on a line of its own."""
    if not messages:
        return "The outbox is empty.\n"
    rule = "=" * 72
    blocks: list[str] = []
    for message in messages:
        lines = [
            rule,
            f"#{message.id}  {message.status.value}  {message.kind}",
            f"Created:  {_when(message.created_at)}",
            f"To:       {message.to_address}",
            f"Subject:  {message.subject}",
        ]
        if message.status is MailStatus.SENT:
            lines.append(f"Sent:     {_when(message.sent_at)}")
        elif message.status is MailStatus.QUEUED and message.attempts:
            lines.append(f"Next try: {_when(message.next_attempt_at)}")
        if message.attempts:
            lines.append(f"Attempts: {message.attempts}")
        if message.last_error:
            lines.append(f"Error:    {message.last_error}")
        lines.append("-" * 72)
        lines.append(message.body_text.rstrip("\n"))
        if message.links:
            lines.append("-" * 72)
            lines.append("Links:")
            lines.extend(message.links)
        blocks.append("\n".join(lines))
    return "\n".join(blocks) + "\n" + rule + "\n"
