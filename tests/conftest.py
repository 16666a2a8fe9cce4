"""Shared fixtures: a real migrated database (SQLite, or PostgreSQL when
GQL_PORTAL_TEST_DATABASE_URL is set), a frozen clock, and an HTTP client on the ASGI app."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gql_portal.app import create_app
from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.config import Settings
from gql_portal.db import Base
from gql_portal.db.engine import Database
from gql_portal.db.migrate import upgrade
from gql_portal.runtime import Runtime
from gql_portal.security import Passwords
from gql_portal.storage import Storage

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)
PUBLIC_URL = "http://portal.test"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url, pool_size=5)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def database(migrated_database: Database) -> Database:
    """The migrated database, emptied before each test."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with migrated_database.transaction() as session:
        if session.bind.dialect.name == "postgresql":
            await session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await session.execute(text(f"DELETE FROM {table}"))
    return migrated_database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords(memory_kib=1024, time_cost=1)  # argon2id, cheap enough for tests


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        mode="test",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        public_url=PUBLIC_URL,
    )


@pytest.fixture
def runtime(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    passwords: Passwords,
    tmp_path: Path,
) -> Runtime:
    return Runtime(
        settings=settings,
        database=database,
        clock=clock,
        passwords=passwords,
        storage=Storage(tmp_path / "storage"),
    )


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


class Api:
    """Posts GraphQL operations through the real HTTP endpoint."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        cookies: bool = True,
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    extensions: dict[str, Any] = errors[0]["extensions"]
    return extensions


@pytest.fixture
def factory(database: Database, settings: Settings, clock: FrozenClock) -> Any:
    from tests.factories import Factory

    return Factory(database, settings, clock)


class StatementCounter:
    """Counts the SQL statements the database runs (for N+1 tests: counts, not seconds)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (SQLite's explicit BEGIN) is not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.count += 1


@pytest.fixture
def sql_statements(database: Database) -> Any:
    from sqlalchemy import event

    counter = StatementCounter()
    event.listen(database.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(database.sync_engine, "before_cursor_execute", counter)
