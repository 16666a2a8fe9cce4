"""Failed log-ins slow down, they never lock anyone out (issue 21, point 3).

Every client here has its own loopback address (127.0.0.x through the real ASGI app): failures
are counted per (account, address) first, per account only as a gentle slow-down that never
refuses the owner's right password from an address without failures, and per address across
accounts only far above what an office behind one NAT address reaches. Waiting is the client's:
the answer says how long (RATE_LIMITED, retryAfterSeconds), and the frozen clock moves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import Company, LoginFailure, User
from gql_portal.db.engine import Database
from gql_portal.domain.login_throttle import (
    FailureCounts,
    ThrottleRules,
    growing_delay,
    seconds_to_wait,
)
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from gql_portal.security import Passwords
from gql_portal.storage import Storage
from tests.accounts import LOG_IN, PASSWORD, outbox
from tests.conftest import PUBLIC_URL, Api, only_error

WRONG = "fel lösenord!"
OWNER = "127.0.0.2"
AttemptFrom = Callable[[str], Api]


@pytest.fixture
async def at(runtime: Runtime) -> AsyncIterator[AttemptFrom]:
    """`at("127.0.0.5")`: an API client whose requests come from that address."""
    app = create_app(runtime)
    clients: dict[str, httpx.AsyncClient] = {}

    def api_at(host: str) -> Api:
        if host not in clients:
            transport = httpx.ASGITransport(app=app, client=(host, 40000))
            clients[host] = httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)
        return Api(clients[host])

    yield api_at
    for http in clients.values():
        await http.aclose()


async def account(
    factory: Any, passwords: Passwords, company: Company | None = None, name: str = "Ägare"
) -> str:
    """A confirmed account whose password is PASSWORD; returns its email address."""
    company = company or await factory.company()
    user: User = await factory.user(company, name=name)
    async with factory.database.transaction() as session:
        await session.execute(
            update(User)
            .where(User.id == user.id)
            .values(password_hash=await passwords.hash(PASSWORD))
        )
    return user.email


async def attempt(api: Api, email: str, password: str) -> dict[str, Any]:
    """The error of a refused log-in (its extensions), or {} for a log-in that worked."""
    body = await api(LOG_IN, {"email": email, "password": password})
    if "errors" not in body:
        assert body["data"]["logIn"]["token"].startswith("gqps_")
        return {}
    return only_error(body)


def outcome(error: dict[str, Any]) -> str | int:
    """INVALID (wrong password), the seconds to wait (RATE_LIMITED), or OK."""
    if not error:
        return "OK"
    if error["code"] == "RATE_LIMITED":
        assert error["field"] == "email"
        seconds: int = error["retryAfterSeconds"]
        return seconds
    assert (error["code"], error["reason"]) == ("BAD_USER_INPUT", "INVALID_CREDENTIALS"), error
    return "INVALID"


async def fail(api: Api, email: str, clock: FrozenClock, times: int) -> None:
    """`times` failed log-ins from `api`'s address, waiting (the clock) whenever told to."""
    for _ in range(times):
        result = outcome(await attempt(api, email, WRONG))
        if isinstance(result, int):
            clock.advance(timedelta(seconds=result))
            result = outcome(await attempt(api, email, WRONG))
        assert result == "INVALID"


async def test_failures_from_one_address_cost_growing_delays_capped_and_no_lock(
    at: AttemptFrom, factory: Any, passwords: Passwords, clock: FrozenClock
) -> None:
    email = await account(factory, passwords)
    guesser = at("127.0.0.9")
    # Three are free: a person mistypes.
    assert [outcome(await attempt(guesser, email, WRONG)) for _ in range(3)] == ["INVALID"] * 3
    waits: list[str | int] = []
    for _ in range(9):  # 555 s in all: within the 15-minute window
        told = outcome(await attempt(guesser, email, WRONG))
        waits.append(told)
        assert isinstance(told, int)
        # One second early is still too early, and the right password does not skip the wait
        # (the password is not even looked at).
        clock.advance(timedelta(seconds=told - 1))
        assert outcome(await attempt(guesser, email, PASSWORD)) == 1
        clock.advance(timedelta(seconds=1))
        assert outcome(await attempt(guesser, email, WRONG)) == "INVALID"
    # Past 10 failures of the account its pairs have no free ones: 2**10 s, capped at 5 min.
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 300]
    assert outcome(await attempt(guesser, email, WRONG)) == 300  # capped at 5 minutes
    # The owner from home was never held up by any of it.
    assert outcome(await attempt(at(OWNER), email, PASSWORD)) == "OK"
    # And the guesser's address, once it waited, may try the right password too.
    clock.advance(timedelta(seconds=300))
    assert outcome(await attempt(guesser, email, PASSWORD)) == "OK"


async def test_the_owner_logs_in_from_their_own_address_while_others_guess_from_many(
    at: AttemptFrom,
    factory: Any,
    passwords: Passwords,
    clock: FrozenClock,
    database: Database,
) -> None:
    email = await account(factory, passwords)
    # Five addresses guess three times each (15 failures, all of them free per pair).
    for host in range(10, 15):
        await fail(at(f"127.0.0.{host}"), email, clock, 3)
    # The owner's right password from an address without failures: never refused.
    assert outcome(await attempt(at(OWNER), email, PASSWORD)) == "OK"
    # Under attack a pair has no free failures: a new guesser waits after its first.
    newcomer = at("127.0.0.15")
    assert outcome(await attempt(newcomer, email, WRONG)) == "INVALID"
    assert outcome(await attempt(newcomer, email, WRONG)) == 1
    # A guesser with three failures waits 4 s after them, not the 1 s outside an attack.
    assert outcome(await attempt(at("127.0.0.14"), email, WRONG)) == 4
    # The owner mistypes once from home: only slowed (1 s), then in.
    home = at(OWNER)
    assert outcome(await attempt(home, email, WRONG)) == "INVALID"
    assert outcome(await attempt(home, email, PASSWORD)) == 1
    clock.advance(timedelta(seconds=1))
    assert outcome(await attempt(home, email, PASSWORD)) == "OK"
    # The owner's log-in forgave only the owner's address: the guessers still wait.
    assert outcome(await attempt(at("127.0.0.14"), email, WRONG)) == 3
    async with database.session() as session:
        left = (await session.scalars(select(LoginFailure.client_address))).all()
    assert OWNER not in left and len(left) == 16
    # After the window (15 minutes) the failures count no more.
    clock.advance(timedelta(minutes=15))
    assert outcome(await attempt(at("127.0.0.14"), email, WRONG)) == "INVALID"


async def test_the_owner_is_mailed_about_repeated_failures_once_per_window(
    at: AttemptFrom, factory: Any, passwords: Passwords, clock: FrozenClock, database: Database
) -> None:
    email = await account(factory, passwords, name="Åsa Ägare")
    for host in range(20, 23):  # 9 failures: below the account's slow-down, no mail
        await fail(at(f"127.0.0.{host}"), email, clock, 3)
    await fail(at("127.0.0.23"), email, clock, 1)
    assert await outbox(database, email) == []
    await fail(at("127.0.0.23"), email, clock, 1)  # the 11th: past 10
    [mail] = await outbox(database, email)
    assert mail.kind == "LOGIN_FAILURES"
    assert "Hej Åsa Ägare!" in mail.body_text
    assert "11 gånger" in mail.body_text and "inte spärrat" in mail.body_text
    await fail(at("127.0.0.24"), email, clock, 3)
    assert len(await outbox(database, email)) == 1  # once per window
    clock.advance(timedelta(minutes=16))
    for host in range(30, 34):
        await fail(at(f"127.0.0.{host}"), email, clock, 3)
    assert [m.kind for m in await outbox(database, email)] == ["LOGIN_FAILURES"] * 2
    # Unknown addresses are counted alike, and nobody is mailed about them.
    for host in range(40, 44):
        await fail(at(f"127.0.0.{host}"), "ingen@x.example", clock, 3)
    assert await outbox(database, "ingen@x.example") == []


async def test_an_office_behind_one_address_is_not_locked_out_by_its_own_mistakes(
    at: AttemptFrom,
    factory: Any,
    passwords: Passwords,
    clock: FrozenClock,
) -> None:
    office = at("127.0.0.50")
    company = await factory.company("Kontoret AB")
    staff = [await account(factory, passwords, company, name=f"Anställd {n}") for n in range(30)]
    # A busy morning: 30 people mistype twice each (60 failures from one address) ...
    for email in staff:
        await fail(office, email, clock, 2)
    # ... and every one of them logs in, nobody waits.
    assert [outcome(await attempt(office, email, PASSWORD)) for email in staff] == ["OK"] * 30
    # Forgiven per (account, address) on success: the address's 60 failures are gone.
    # A script in the office tries 100 addresses once each: that is what the per-address
    # limit is for (far above mistakes). Past it every log-in from there waits, briefly.
    for n in range(100):
        assert outcome(await attempt(office, f"gissning{n}@x.example", WRONG)) == "INVALID"
    assert outcome(await attempt(office, staff[0], PASSWORD)) == 1
    clock.advance(timedelta(seconds=1))
    assert outcome(await attempt(office, staff[0], PASSWORD)) == "OK"
    # Another address is not affected by the office's count.
    assert outcome(await attempt(at("127.0.0.51"), staff[1], PASSWORD)) == "OK"


async def test_the_limits_are_settings(
    settings: Any,
    database: Database,
    clock: FrozenClock,
    passwords: Passwords,
    factory: Any,
    tmp_path: Any,
) -> None:
    strict = replace(settings, login_free_failures_per_pair=1, login_max_delay_seconds=3)
    runtime = Runtime(
        settings=strict,
        database=database,
        clock=clock,
        passwords=passwords,
        storage=Storage(tmp_path / "storage"),
    )
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.60", 1))
    email = await account(factory, passwords)
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        api = Api(http)
        waits = []
        for _ in range(4):
            assert outcome(await attempt(api, email, WRONG)) == "INVALID"
            told = outcome(await attempt(api, email, WRONG))
            assert isinstance(told, int)
            waits.append(told)
            clock.advance(timedelta(seconds=told))
    assert waits == [1, 2, 3, 3]


# --- the rule itself (no I/O) -------------------------------------------------------------

RULES = ThrottleRules(
    free_per_pair=3, slowdown_per_account=10, free_per_address=100, max_delay_seconds=300
)
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def counts(pair: int = 0, account: int = 0, address: int = 0, ago: float = 0) -> FailureCounts:
    last = NOW - timedelta(seconds=ago)
    return FailureCounts(
        pair=pair,
        pair_last=last if pair else None,
        account=max(account, pair),
        address=max(address, pair),
        address_last=last if max(address, pair) else None,
    )


def test_growing_delay() -> None:
    assert [growing_delay(n, 3, 300) for n in range(12)] == [
        0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256,
    ]  # fmt: skip
    assert [growing_delay(n, 0, 300) for n in range(5)] == [0, 1, 2, 4, 8]
    assert growing_delay(10_000, 3, 300) == 300


def test_seconds_to_wait() -> None:
    assert seconds_to_wait(counts(), RULES, NOW) == 0
    assert seconds_to_wait(counts(pair=3), RULES, NOW) == 1
    assert seconds_to_wait(counts(pair=3, ago=0.2), RULES, NOW) == 1  # whole seconds, rounded up
    assert seconds_to_wait(counts(pair=5, ago=3), RULES, NOW) == 1
    assert seconds_to_wait(counts(pair=5, ago=4), RULES, NOW) == 0
    # The account under attack: a pair's failures are never free, an address without any is.
    assert seconds_to_wait(counts(pair=1, account=11), RULES, NOW) == 1
    assert seconds_to_wait(counts(pair=0, account=1_000), RULES, NOW) == 0
    # The address across accounts.
    assert seconds_to_wait(counts(address=99), RULES, NOW) == 0
    assert seconds_to_wait(counts(address=101), RULES, NOW) == 2
