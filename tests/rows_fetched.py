"""Rows the database driver hands to the process: what a request really read (issue 21's honest
cost is checked against it, tests/test_cost_honesty.py and tests/test_limits.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


class RowsFetched:
    """Counts every row the database driver hands to the process, whatever statement, session
    or cursor (buffered or streamed) asked for it."""

    def __init__(self) -> None:
        self.count = 0

    def _counting(self, fetch: Callable[..., Any], one: bool = False) -> Callable[..., Any]:
        counter = self

        async def counted(*args: Any, **kwargs: Any) -> Any:
            result = await fetch(*args, **kwargs)
            if one:
                counter.count += result is not None
            else:
                counter.count += len(result)
            return result

        return counted

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import aiosqlite

        for name in ("fetchmany", "fetchall"):
            monkeypatch.setattr(
                aiosqlite.Cursor, name, self._counting(getattr(aiosqlite.Cursor, name))
            )
        monkeypatch.setattr(
            aiosqlite.Cursor, "fetchone", self._counting(aiosqlite.Cursor.fetchone, one=True)
        )
        try:
            from asyncpg.cursor import Cursor
            from asyncpg.prepared_stmt import PreparedStatement
        except ImportError:  # pragma: no cover - asyncpg is installed with the service
            return
        monkeypatch.setattr(PreparedStatement, "fetch", self._counting(PreparedStatement.fetch))
        monkeypatch.setattr(
            PreparedStatement, "fetchrow", self._counting(PreparedStatement.fetchrow, one=True)
        )
        monkeypatch.setattr(Cursor, "fetch", self._counting(Cursor.fetch))
        monkeypatch.setattr(Cursor, "fetchrow", self._counting(Cursor.fetchrow, one=True))
