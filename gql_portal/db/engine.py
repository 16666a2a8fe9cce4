"""The async engine and short-lived sessions.

An AsyncSession must never be shared between concurrent tasks, and Strawberry resolves sibling
fields concurrently: so nothing holds a session for the whole request. Each unit of work (a
loader batch, a mutation) opens its own with `database.session()`.

SQLite has one writer at a time. Within a process, write transactions take their turn on an
asyncio lock (first come, first served) before they check out a connection and BEGIN IMMEDIATE:
otherwise every waiting writer polls the file lock from its own thread (SQLite's busy handler
sleeps between tries, so the lock is idle while they sleep and a newcomer can overtake), and
under load some wait past the busy timeout and fail with "database is locked" (50 clients on
one worker did). The busy timeout still covers other processes (workers, the CLI).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
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

from gql_portal.db.scope import ACCESS_KEY, AREA_KEY, OP_KEY
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area, Op

WRITE_OPTION = "gql_portal_write"

# Set while this task holds its Database's write turn (see `Database._write_turn`).
_WRITING: ContextVar[bool] = ContextVar("gql_portal_writing", default=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We emit BEGIN ourselves (below), so that writers can take the lock up front.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    """Write transactions BEGIN IMMEDIATE: SQLite's default (deferred) takes the write lock only
    at the first write, so two check-then-write mutations could both pass their checks."""
    write = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 5})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    if pool_size <= 0:
        return create_async_engine(url, echo=echo, poolclass=NullPool)
    # No pre-ping: it costs a round trip on every checkout, and a request opens several
    # sessions. Connections are recycled instead (a server restart costs one failed request).
    return create_async_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800
    )


class Database:
    """Owns the engine; hands out sessions that each serve one unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._one_writer = engine.dialect.name == "sqlite"
        self._write_lock: tuple[asyncio.AbstractEventLoop, asyncio.Lock] | None = None

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
    async def _write_turn(self) -> AsyncIterator[None]:
        """SQLite: wait for this process's write turn (FIFO) before taking the file's write
        lock. A transaction opened while the task already holds the turn does not wait for it
        (it would wait for itself); PostgreSQL: no turn, rows are locked where needed."""
        if not self._one_writer or _WRITING.get():
            yield
            return
        loop = asyncio.get_running_loop()
        if self._write_lock is None or self._write_lock[0] is not loop:
            self._write_lock = (loop, asyncio.Lock())  # one per event loop (tests run several)
        async with self._write_lock[1]:
            token = _WRITING.set(True)
            try:
                yield
            finally:
                _WRITING.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed at the end, rolled back on any error."""
        async with self._write_turn(), self._sessions() as session, session.begin():
            await session.connection(execution_options={WRITE_OPTION: True})
            yield session

    @asynccontextmanager
    async def scoped(
        self, access: Access, op: Op = Op.READ, *, as_area: Area | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A session whose every statement sees only the rows `access` reaches for `op`.

        `as_area` reads every table as the rows of that one area: the payroll basis is built
        from time, absence and expenses, which a LIMITED partner reaches only as PAYROLL_BASIS.
        Reads need no commit; for writes (op WRITE, MANAGE or EXPORT) it is one transaction.
        """
        async with self._sessions() as session:
            session.info[ACCESS_KEY] = access
            session.info[OP_KEY] = op
            session.info[AREA_KEY] = as_area
            if op is Op.READ:
                yield session
            else:
                async with self._write_turn(), session.begin():
                    await session.connection(execution_options={WRITE_OPTION: True})
                    yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
