"""The data layer: migrations match the models, apply idempotently, and SQLite is configured."""

from __future__ import annotations

from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection

from gql_portal.db import Base
from gql_portal.db.base import Money
from gql_portal.db.engine import Database
from gql_portal.db.migrate import pending_revisions, upgrade


async def test_migrations_create_exactly_the_models(database: Database) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with database.engine.connect() as connection:
        assert await connection.run_sync(diff) == []


async def test_upgrade_is_idempotent(database: Database) -> None:
    await upgrade(database)
    await upgrade(database)
    assert not await pending_revisions(database)


async def test_a_new_database_is_created_and_migrated(tmp_path) -> None:  # type: ignore[no-untyped-def]
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/new.db")
    try:
        assert await pending_revisions(database)
        await upgrade(database)
        assert not await pending_revisions(database)
    finally:
        await database.dispose()


async def test_sqlite_runs_with_foreign_keys_wal_and_a_busy_timeout(database: Database) -> None:
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas only apply to SQLite")
    async with database.session() as session:
        assert (await session.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 5000


def test_money_is_stored_as_exact_ore() -> None:
    money = Money()
    assert money.process_bind_param(Decimal("1234.50"), None) == 123450  # type: ignore[arg-type]
    assert money.process_result_value(123451, None) == Decimal("1234.51")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        money.process_bind_param(Decimal("0.001"), None)  # type: ignore[arg-type]
