"""The async engine and short-lived sessions.

An AsyncSession must never be shared between concurrent tasks, and Strawberry resolves sibling
fields concurrently: so nothing holds a session for the whole request. Each unit of work (a
loader batch, a mutation) opens its own with `database.session()`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from gql_portal.db.scope import ACCESS_KEY, OP_KEY
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Op


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 5})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    if pool_size <= 0:
        return create_async_engine(url, echo=echo, poolclass=NullPool)
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )


class Database:
    """Owns the engine; hands out sessions that each serve one unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(make_engine(url, **kwargs))

    @property
    def sync_engine(self) -> Engine:
        return self.engine.sync_engine

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing is committed."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed at the end, rolled back on any error."""
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def scoped(self, access: Access, op: Op = Op.READ) -> AsyncIterator[AsyncSession]:
        """A session whose every statement sees only the rows `access` reaches for `op`.

        Reads need no commit; for writes (op WRITE, MANAGE or EXPORT) it is one transaction.
        """
        async with self._sessions() as session:
            session.info[ACCESS_KEY] = access
            session.info[OP_KEY] = op
            if op is Op.READ:
                yield session
            else:
                async with session.begin():
                    yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
