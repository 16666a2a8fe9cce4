"""In-process measurements: SQL statements per request, and a cProfile of one scenario.

The product's app (`gql_portal.http.app.create_app`) and the limit's app are driven through
`httpx.ASGITransport`, and a SQLAlchemy `before_cursor_execute` listener on the engine counts
the statements of one request (as tests/conftest.py's `sql_statements` does: transaction
control is not a statement). Send one request first (`warm`): a new engine's first
connection runs the dialect's own queries.
"""

from __future__ import annotations

import cProfile
import pstats
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event
from starlette.applications import Starlette

from bench.scenarios import Fixture, Request, Scenario

BASE_URL = "http://bench.local"


@dataclass
class Counter:
    statements: list[str] = field(default_factory=list)

    def __call__(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.statements.append(statement)


@dataclass
class App:
    """An ASGI app with the engine its statements run on."""

    app: Starlette
    engine: Any  # the sync Engine behind the app's AsyncEngine
    close: Any


@asynccontextmanager
async def product_app(url: str, storage_dir: str, *, compiled: bool = True) -> AsyncIterator[App]:
    from gql_portal.config import Settings
    from gql_portal.http.app import create_app
    from gql_portal.runtime import Runtime

    # Budgets charged but never refusing: the bench measures throughput (see bench/server.py).
    settings = Settings(
        database_url=url,
        storage_dir=Path(storage_dir),
        cost_budget_per_session=10**9,
        cost_budget_per_address=10**9,
        compiled=compiled,  # the product as served (bench/server.py); off: the resolver path
    )
    runtime = Runtime.from_settings(settings)
    try:
        yield App(create_app(runtime), runtime.database.sync_engine, runtime.database.dispose)
    finally:
        await runtime.database.dispose()


@asynccontextmanager
async def limit_app(url: str) -> AsyncIterator[App]:
    from bench.limit import LimitState, create_app

    state = LimitState.from_url(url)
    try:
        yield App(create_app(state), state.engine.sync_engine, state.engine.dispose)
    finally:
        await state.engine.dispose()


@asynccontextmanager
async def client_for(app: App) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app.app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL, timeout=600) as client:
        yield client


async def send(client: httpx.AsyncClient, request: Request) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json=request.body, headers={"authorization": f"Bearer {request.token}"}
    )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{request.body.get('operationName')}: {response.status_code} {body}")
    return body


@dataclass
class Counted:
    scenario: str
    statements: float  # per request (the write mix: the mean over its kinds of request)
    per_kind: dict[str, int]
    sql: dict[str, list[str]]  # the statements of one request of each kind


async def count_statements(
    app: App, client: httpx.AsyncClient, scenario: Scenario, fixture: Fixture
) -> Counted:
    """Statements of one request of each kind the scenario sends."""
    requests = scenario.requests(fixture)
    kinds: dict[str, Request] = {}
    for request in requests:
        kinds.setdefault(str(request.body.get("operationName")), request)
    per_kind: dict[str, int] = {}
    sql: dict[str, list[str]] = {}
    weights: dict[str, int] = {}
    for name, request in kinds.items():
        weights[name] = sum(1 for r in requests if r.body.get("operationName") == name)
        counter = Counter()
        event.listen(app.engine, "before_cursor_execute", counter)
        try:
            await send(client, request)
        finally:
            event.remove(app.engine, "before_cursor_execute", counter)
        per_kind[name] = len(counter.statements)
        sql[name] = counter.statements
    total = sum(weights.values())
    mean = sum(per_kind[name] * weights[name] for name in per_kind) / total
    return Counted(scenario.name, round(mean, 2), per_kind, sql)


@dataclass
class Profile:
    scenario: str
    requests: int
    seconds_per_request: float
    by_cumulative: str
    by_tottime: str
    by_package: str


# Left out of the cumulative table: the database layer, and the in-process client.
DATABASE_LAYER = frozenset({"sqlalchemy", "greenlet", "aiosqlite", "asyncpg", "bench", "httpx"})


def _where(path: str, line: int, function: str) -> str:
    """A short location: relative to site-packages, the repository, or the standard library."""
    for marker in ("site-packages/", "/work/main/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker.startswith("/lib/python3."):
                path = "stdlib/" + path.split("/", 1)[-1]
            break
    return f"{path}:{line}({function})" if path != "~" else function


def _package(path: str) -> str:
    if path.startswith("<sqlalchemy"):  # SQLAlchemy's generated wrappers
        return "sqlalchemy"
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/gql_portal/" in path:
        return "gql_portal"
    if "/bench/" in path:
        return "bench"
    if path == "~":
        return "builtins"
    return "stdlib"


def _tables(profiler: cProfile.Profile, wall: float, limit: int = 25) -> tuple[str, str, str]:
    stats: dict[Any, Any] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    rows = [
        (calls, total_calls, own, cumulative, _where(path, line, function), path)
        for (path, line, function), (calls, total_calls, own, cumulative, _) in stats.items()
    ]
    header = f"{'ncalls':>16} {'tottime':>9} {'cumtime':>9}  function"

    def table(selected: list[Any]) -> str:
        lines = [header]
        for calls, total_calls, own, cumulative, where, _ in selected[:limit]:
            count = f"{total_calls}/{calls}" if total_calls != calls else str(calls)
            lines.append(f"{count:>16} {own:9.3f} {cumulative:9.3f}  {where}")
        return "\n".join(lines)

    # SQLAlchemy's async layer switches greenlets, which cProfile cannot follow: cumulative
    # times of the database layer (and some callers) come out wrong, some larger than the whole
    # run. The cumulative table keeps the layers above it; their own time is in the others.
    plausible = [
        row
        for row in rows
        if row[3] <= wall * 1.01 and _package(row[5]) not in DATABASE_LAYER and row[5] != "~"
    ]
    by_cumulative = table(sorted(plausible, key=lambda row: -row[3]))
    by_own = table(sorted(rows, key=lambda row: -row[2]))
    packages: dict[str, float] = {}
    for _, _, own, _, _, path in rows:
        packages[_package(path)] = packages.get(_package(path), 0.0) + own
    total = sum(packages.values()) or 1.0
    by_package = "\n".join(
        f"{name:<20} {seconds:8.3f} s {100 * seconds / total:5.1f} %"
        for name, seconds in sorted(packages.items(), key=lambda item: -item[1])
    )
    return by_cumulative, by_own, by_package


async def profile(
    client: httpx.AsyncClient, scenario: Scenario, fixture: Fixture, repeat: int = 3
) -> Profile:
    """cProfile of `repeat` requests of the scenario (after one warm-up): the top 25 by
    cumulative and by own time, and own time by package."""
    request = scenario.requests(fixture)[0]
    await send(client, request)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(repeat):
        await send(client, request)
    profiler.disable()
    elapsed = time.perf_counter() - started
    by_cumulative, by_own, by_package = _tables(profiler, elapsed)
    return Profile(scenario.name, repeat, elapsed / repeat, by_cumulative, by_own, by_package)
