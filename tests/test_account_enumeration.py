"""Nobody learns who has an account, and nobody floods an inbox (issue 21, point 4).

`requestPasswordReset` and `resendVerificationEmail` run the same statements whether or not the
address has an account (an unknown address gets an outbox row that is never delivered,
DROPPED), send at most one mail per address and kind per `mail_repeat_minutes`, and take the
same time (the one timing assertion of the suite, because the issue measured it). `signUp` with
a taken address answers as a fresh sign-up does and mails the owner instead.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, func, select, update

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import AccountToken, Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.mail import MailStatus
from gql_portal.demo import organisation_number
from tests.accounts import SIGN_UP, log_in, outbox, sign_up, sign_up_verified, signup_input
from tests.conftest import Api

RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }"
RESEND = "mutation($email: String!) { resendVerificationEmail(email: $email) }"


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run meanwhile (their text, without the values)."""
    seen: list[str] = []

    def listen(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        # The cost budgets' once-a-second upsert may land in either run: not this work.
        if "cost_spent" in statement:
            return
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(" ".join(statement.split()))

    event.listen(database.sync_engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(database.sync_engine, "before_cursor_execute", listen)


async def test_a_reset_for_an_unknown_address_does_the_same_work_and_sends_nothing(
    api: Api, database: Database
) -> None:
    email = await sign_up_verified(api, database)
    with statements(database) as known:
        assert (await api(RESET, {"email": email}))["data"] == {"requestPasswordReset": True}
    with statements(database) as unknown:
        assert (await api(RESET, {"email": "ingen@x.example"}))["data"] == {
            "requestPasswordReset": True
        }
    # The same SELECTs, UPDATE and INSERTs in the same order; only the account's new link
    # token is not stored for an address without an account.
    token_insert = [s for s in known if s.startswith("INSERT INTO account_tokens")]
    assert len(token_insert) == 1
    assert [s for s in known if s not in token_insert] == unknown
    assert any(s.startswith("INSERT INTO email_outbox") for s in unknown)
    assert any(s.startswith("INSERT INTO audit_events") for s in unknown)

    [mail] = [m for m in await outbox(database, email) if m.kind == "PASSWORD_RESET"]
    assert mail.status is MailStatus.QUEUED and mail.links
    [dropped] = await outbox(database, "ingen@x.example")
    assert dropped.status is MailStatus.DROPPED and dropped.links == []
    async with database.session() as session:
        actions = (
            await session.execute(
                select(AuditEvent.action, AuditEvent.subject_email, AuditEvent.details).where(
                    AuditEvent.action == "PASSWORD_RESET_REQUESTED"
                )
            )
        ).all()
    assert [(a, e, d["sent"]) for a, e, d in actions] == [
        ("PASSWORD_RESET_REQUESTED", email, True),
        ("PASSWORD_RESET_REQUESTED", "ingen@x.example", False),
    ]


async def test_thirty_reset_requests_send_one_mail_per_few_minutes(
    api: Api, database: Database, clock: FrozenClock
) -> None:
    email = await sign_up_verified(api, database)
    for _ in range(30):
        assert (await api(RESET, {"email": email}))["data"] == {"requestPasswordReset": True}
        assert (await api(RESET, {"email": "ingen@x.example"}))["data"] == {
            "requestPasswordReset": True
        }
    resets = [m for m in await outbox(database, email) if m.kind == "PASSWORD_RESET"]
    assert len(resets) == 1
    assert len(await outbox(database, "ingen@x.example")) == 1
    async with database.session() as session:
        tokens = await session.scalar(select(func.count()).select_from(AccountToken))
    assert tokens == 2  # the sign-up's link and one reset link
    # The one link sent still works: later requests did not retire it.
    clock.advance(timedelta(minutes=4, seconds=59))
    await api(RESET, {"email": email})
    assert len([m for m in await outbox(database, email) if m.kind == "PASSWORD_RESET"]) == 1
    clock.advance(timedelta(seconds=1))
    await api(RESET, {"email": email})
    assert len([m for m in await outbox(database, email) if m.kind == "PASSWORD_RESET"]) == 2


async def test_a_new_link_is_mailed_alike_for_unknown_confirmed_and_unconfirmed_addresses(
    api: Api, database: Database, clock: FrozenClock
) -> None:
    unconfirmed = (await sign_up(api))["email"]
    confirmed = await sign_up_verified(
        api, database, email="bo@byra.example", organisationNumber="556036-0793"
    )
    runs: dict[str, list[str]] = {}
    for address in (unconfirmed, confirmed, "ingen@x.example"):
        with statements(database) as seen:
            body = await api(RESEND, {"email": address})
        assert body["data"] == {"resendVerificationEmail": True}
        runs[address] = [s for s in seen if not s.startswith("INSERT INTO account_tokens")]
    assert runs[unconfirmed] == runs[confirmed] == runs["ingen@x.example"]

    def statuses(mails: list[Any]) -> list[str]:
        return [m.status.value for m in mails if m.kind == "VERIFY_AGAIN"]

    assert statuses(await outbox(database, unconfirmed)) == ["QUEUED"]
    assert statuses(await outbox(database, confirmed)) == ["DROPPED"]  # nothing to confirm
    assert statuses(await outbox(database, "ingen@x.example")) == ["DROPPED"]
    for _ in range(10):
        await api(RESEND, {"email": unconfirmed})
    assert statuses(await outbox(database, unconfirmed)) == ["QUEUED"]
    clock.advance(timedelta(minutes=5))
    await api(RESEND, {"email": unconfirmed})
    assert statuses(await outbox(database, unconfirmed)) == ["QUEUED", "QUEUED"]


async def row_counts(database: Database) -> tuple[int, int, int]:
    async with database.session() as session:
        return (
            await session.scalar(select(func.count()).select_from(Company)) or 0,
            await session.scalar(select(func.count()).select_from(User)) or 0,
            await session.scalar(select(func.count()).select_from(Membership)) or 0,
        )


def unused(n: int) -> str:
    """An organisation number no company of these tests has."""
    return organisation_number(3_900_000 + n)


async def test_sign_up_with_a_taken_address_answers_as_a_fresh_one_and_mails_the_owner(
    api: Api, database: Database, clock: FrozenClock
) -> None:
    email = await sign_up_verified(api, database)
    fresh = await api(
        SIGN_UP,
        {"input": signup_input(email="ny@byra.example", organisationNumber="556036-0793")},
    )
    taken = await api(
        SIGN_UP,
        {"input": signup_input(email="ASA@byra.example ", organisationNumber=unused(1))},
    )
    # The same shape and values but the address: nothing tells the two apart.
    assert set(taken) == set(fresh) and "errors" not in taken
    assert taken["data"]["signUp"] == {**fresh["data"]["signUp"], "email": email}
    assert await row_counts(database) == (2, 2, 2)  # the first two sign-ups only

    [notice] = [m for m in await outbox(database, email) if m.kind == "SIGN_UP_TAKEN"]
    assert notice.status is MailStatus.QUEUED
    assert "Någon försökte skapa ett konto" in notice.subject
    assert "Hej Åsa Öberg!" in notice.body_text
    assert notice.links == ["http://portal.test/login"]
    assert notice.links[0] in notice.body_text
    # A flood of attempts: one notice per few minutes.
    for n in range(2, 7):
        assert "errors" not in await api(
            SIGN_UP, {"input": signup_input(organisationNumber=unused(n))}
        )
    assert len([m for m in await outbox(database, email) if m.kind == "SIGN_UP_TAKEN"]) == 1
    clock.advance(timedelta(minutes=5))
    await api(SIGN_UP, {"input": signup_input(organisationNumber=unused(7))})
    assert len([m for m in await outbox(database, email) if m.kind == "SIGN_UP_TAKEN"]) == 2
    async with database.session() as session:
        attempts = await session.scalar(
            select(func.count()).where(AuditEvent.action == "SIGN_UP_WITH_TAKEN_EMAIL")
        )
    assert attempts == 7
    # The owner's account is as it was.
    assert (await log_in(api, email))["viewer"]["user"]["email"] == email


async def test_existing_and_unknown_addresses_take_the_same_time(
    api: Api, database: Database, factory: Any
) -> None:
    """Medians of 40 interleaved requests each, existing vs unknown addresses, within a ratio
    of 0.7-1.4. Timing is noisy on a shared machine, so the bound is generous; before the fix
    an unknown address took about half the time (11.4 vs 5.6 ms: no write, no commit).
    Every request uses a fresh address, so the once-per-few-minutes rule does not cut it short.
    """
    company = await factory.company()
    existing = [(await factory.user(company)).email for _ in range(80)]
    unverified = existing[40:]
    async with database.transaction() as session:
        await session.execute(
            update(User).where(User.email.in_(unverified)).values(email_verified_at=None)
        )

    async def timed(query: str, address: str) -> float:
        started = time.perf_counter()
        body = await api(query, {"email": address})
        elapsed = time.perf_counter() - started
        assert "errors" not in body, body
        return elapsed

    for query, accounts in ((RESET, existing[:40]), (RESEND, unverified)):
        for n in range(3):  # warm up: caches, the first document validation
            await timed(query, f"uppvarmning{n}@x.example")
        known: list[float] = []
        unknown: list[float] = []
        for n, address in enumerate(accounts):
            # Interleaved, alternating which goes first, so drift hits both alike.
            pair = [(known, address), (unknown, f"okand{n}@x.example")]
            for times, target in pair if n % 2 == 0 else reversed(pair):
                times.append(await timed(query, target))
        ratio = statistics.median(known) / statistics.median(unknown)
        print(
            f"\n{query.split('{')[1].split('(')[0].strip()}: median existing "
            f"{statistics.median(known) * 1000:.2f} ms, unknown "
            f"{statistics.median(unknown) * 1000:.2f} ms, ratio {ratio:.2f}"
        )
        assert 0.7 <= ratio <= 1.4, (ratio, known, unknown)
    sent = [m for m in await outbox(database) if m.status is MailStatus.QUEUED]
    assert len(sent) == 80  # every existing address got its mail; no unknown one did
