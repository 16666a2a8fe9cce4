"""Cost budgets per minute (gql_portal/budgets.py): each session and each client address may
spend so many cost points a minute; past that, requests are refused with RATE_LIMITED, HTTP 429
and a Retry-After, until the next minute. Workers share the budgets through the database."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gql_portal.budgets import CostBudgets
from gql_portal.clock import FrozenClock
from gql_portal.config import ConfigError, Settings
from gql_portal.db.engine import Database
from gql_portal.db.limits import CostSpent
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from tests.conftest import PUBLIC_URL
from tests.factories import Factory

EMPLOYEES = "{ employees(first: 10) { edges { node { id } } } }"  # costs 30 points: 10 edges, 10 nodes, 10 ids
VIEWER = "{ viewer { context } }"  # costs 1 point


def with_budgets(runtime: Runtime, *, session: int, address: int) -> Runtime:
    settings = dataclasses.replace(
        runtime.settings, cost_budget_per_session=session, cost_budget_per_address=address
    )
    runtime.settings = settings
    runtime.budgets = CostBudgets(runtime.database, runtime.clock, settings)
    return runtime


async def post(
    runtime: Runtime, query: str, token: str | None = None, address: str = "203.0.113.7"
) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(runtime), client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        return await http.post("/graphql", json={"query": query}, headers=headers)


def code_of(response: httpx.Response) -> str | None:
    errors: list[dict[str, Any]] = response.json().get("errors", [])
    return errors[0]["extensions"]["code"] if errors else None


async def test_a_session_past_its_budget_is_refused_until_the_next_minute(
    runtime: Runtime, factory: Factory, clock: FrozenClock
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    with_budgets(runtime, session=70, address=1000)
    clock.set(clock.now().replace(second=15, microsecond=0))

    first = await post(runtime, EMPLOYEES, admin.token)
    assert first.status_code == 200 and code_of(first) is None
    assert first.json()["extensions"]["cost"]["requested"] == 30
    assert code_of(await post(runtime, EMPLOYEES, admin.token)) is None  # 60 of 70

    refused = await post(runtime, EMPLOYEES, admin.token)  # 90 would pass 70
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "45"
    error = refused.json()["errors"][0]
    assert error["extensions"] == {
        "code": "RATE_LIMITED",
        "budget": "session",
        "limit": 70,
        "retryAfterSeconds": 45,
        "requestId": refused.headers["x-request-id"],
    }
    assert refused.json()["data"] is None
    # A cheaper request still fits the rest of the minute's budget.
    assert code_of(await post(runtime, VIEWER, admin.token)) is None

    # Another session at the same address has its own budget.
    colleague = await factory.admin(company)
    assert code_of(await post(runtime, EMPLOYEES, colleague.token)) is None

    clock.advance(timedelta(seconds=45))  # the next minute
    assert code_of(await post(runtime, EMPLOYEES, admin.token)) is None


async def test_an_address_past_its_budget_is_refused_whoever_asks(
    runtime: Runtime, factory: Factory
) -> None:
    company = await factory.company()
    sessions = [await factory.admin(company) for _ in range(3)]
    with_budgets(runtime, session=1000, address=70)

    answers = [await post(runtime, EMPLOYEES, s.token) for s in sessions]
    assert [code_of(answer) for answer in answers] == [None, None, "RATE_LIMITED"]
    assert answers[2].json()["errors"][0]["extensions"]["budget"] == "address"
    assert code_of(await post(runtime, VIEWER)) is None  # anonymous: 61 of 70
    # Another address is not held back by this one.
    other = await post(runtime, EMPLOYEES, sessions[2].token, address="198.51.100.4")
    assert code_of(other) is None


async def test_documents_refused_before_execution_still_cost_a_point(runtime: Runtime) -> None:
    with_budgets(runtime, session=1000, address=3)
    assert code_of(await post(runtime, "{ nope }")) == "GRAPHQL_VALIDATION_FAILED"
    looping = "{ ...again } fragment again on Query { ...again }"
    assert code_of(await post(runtime, looping)) == "QUERY_TOO_COMPLEX"
    assert code_of(await post(runtime, VIEWER)) is None  # 3 of 3
    assert code_of(await post(runtime, VIEWER)) == "RATE_LIMITED"


async def test_workers_share_the_budgets_through_the_database(
    runtime: Runtime, factory: Factory, settings: Settings, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    with_budgets(runtime, session=100, address=1000)
    # A second worker: its own process memory, the same database and settings.
    other = Runtime(
        settings=runtime.settings,
        database=database,
        clock=runtime.clock,
        passwords=runtime.passwords,
        storage=runtime.storage,
    )

    for _ in range(3):
        assert code_of(await post(runtime, EMPLOYEES, admin.token)) is None  # 90 here
    await runtime.budgets.flush()
    await other.budgets.flush()  # learns nothing yet: it spent nothing on this key
    assert code_of(await post(other, EMPLOYEES, admin.token)) is None  # 30 there
    await other.budgets.flush()  # 120 in all, and the other worker now knows it
    assert code_of(await post(other, VIEWER, admin.token)) == "RATE_LIMITED"
    await runtime.budgets.flush()
    async with database.session() as session:
        totals = dict((await session.execute(select(CostSpent.key, CostSpent.spent))).all())
    assert sorted(totals.values()) == [120, 120]  # the session and the address
    assert not any("203.0.113.7" in key for key in totals)  # addresses are stored hashed


async def test_past_minutes_are_deleted_by_the_flush(
    runtime: Runtime, clock: FrozenClock, database: Database
) -> None:
    assert code_of(await post(runtime, VIEWER)) is None
    await runtime.budgets.flush()
    clock.advance(timedelta(minutes=3))
    assert code_of(await post(runtime, VIEWER)) is None
    await runtime.budgets.flush()
    async with database.session() as session:
        windows = list(await session.scalars(select(CostSpent.window_start)))
        count = await session.scalar(select(func.count()).select_from(CostSpent))
    assert count == 1 and windows == [clock.now().replace(second=0, microsecond=0)]


def test_budgets_are_configured_by_environment() -> None:
    settings = Settings.from_env(
        {"GQL_PORTAL_COST_BUDGET_PER_SESSION": "5000", "GQL_PORTAL_COST_BUDGET_PER_ADDRESS": "9"}
    )
    assert (settings.cost_budget_per_session, settings.cost_budget_per_address) == (5000, 9)
    with pytest.raises(ConfigError, match="COST_BUDGET_PER_SESSION"):
        Settings.from_env({"GQL_PORTAL_COST_BUDGET_PER_SESSION": "0"})
