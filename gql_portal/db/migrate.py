"""Apply Alembic migrations programmatically (idempotent: `upgrade head` twice is a no-op)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from gql_portal.db.engine import Database

MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL: an upgrade holds this advisory lock for its transaction, so that machines starting
# at once (each `serve` upgrades first) migrate one after the other: the later ones find the
# database at head and do nothing.
MIGRATION_LOCK = 1_804_180_018


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


async def upgrade(database: Database) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))
        await connection.run_sync(run)


async def pending_revisions(database: Database) -> bool:
    """True when the database is not at the newest migration (for readiness checks)."""

    def check(connection: Connection) -> bool:
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        current = MigrationContext.configure(connection).get_current_revision()
        return current != head

    async with database.engine.connect() as connection:
        return await connection.run_sync(check)
