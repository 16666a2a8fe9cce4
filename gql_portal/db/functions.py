"""SQL functions that differ between SQLite and PostgreSQL, compiled per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class week_start(GenericFunction[Any]):
    """The Monday of the ISO week a date is in."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(next(iter(element.clauses)), **kw)
    # strftime('%w'): 0 = Sunday; step back to Monday.
    return f"date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7) || ' days')"


@compiles(week_start, "postgresql")
def _week_start_postgresql(element: week_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(date_trunc('week', {day}) AS DATE)"
