"""SQL functions that differ between SQLite and PostgreSQL, compiled per dialect."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, String
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


# Å, Ä and Ö are letters of their own after Z in Swedish. Neither database's plain comparison
# agrees (SQLite's byte order puts ä before å, PostgreSQL's locale sorts å with a), nor do they
# agree with each other: a name's sort key maps them to the three characters after "z" and
# folds ASCII case, and both databases compare the keys byte by byte (PostgreSQL: COLLATE "C").
# Other letters beyond a-z (é, ü) sort after ö by code point; their case may fold differently
# in the two databases (SQLite's lower() folds only ASCII).
SWEDISH_LETTERS = (("Å", "{"), ("å", "{"), ("Ä", "|"), ("ä", "|"), ("Ö", "}"), ("ö", "}"))
_SWEDISH_TABLE = str.maketrans(dict(SWEDISH_LETTERS))


def swedish_sort_text(text: str) -> str:
    """What `swedish_sort_key` makes of `text` in SQL, for names within a-z, å, ä, ö (the
    tests' in-memory order)."""
    return "".join(c.lower() if c.isascii() else c for c in text.translate(_SWEDISH_TABLE))


class swedish_sort_key(GenericFunction[str]):
    """A name's sort key, the same in SQLite and PostgreSQL (see SWEDISH_LETTERS)."""

    type = String()
    inherit_cache = True


def _swedish_key(element: swedish_sort_key, compiler: Any, **kw: Any) -> str:
    text = compiler.process(next(iter(element.clauses)), **kw)
    for letter, after_z in SWEDISH_LETTERS:
        text = f"replace({text}, '{letter}', '{after_z}')"
    return f"lower({text})"


@compiles(swedish_sort_key, "sqlite")
def _swedish_sort_key_sqlite(element: swedish_sort_key, compiler: Any, **kw: Any) -> str:
    return _swedish_key(element, compiler, **kw)  # compared as bytes (BINARY) already


@compiles(swedish_sort_key, "postgresql")
def _swedish_sort_key_postgresql(element: swedish_sort_key, compiler: Any, **kw: Any) -> str:
    return f'({_swedish_key(element, compiler, **kw)}) COLLATE "C"'


class in_byte_order(GenericFunction[str]):
    """Text compared character by character (code point order), as SQLite compares all text
    and PostgreSQL only with COLLATE "C" (its locale's order skips punctuation, folds case)."""

    type = String()
    inherit_cache = True


@compiles(in_byte_order, "sqlite")
def _in_byte_order_sqlite(element: in_byte_order, compiler: Any, **kw: Any) -> str:
    return compiler.process(next(iter(element.clauses)), **kw)


@compiles(in_byte_order, "postgresql")
def _in_byte_order_postgresql(element: in_byte_order, compiler: Any, **kw: Any) -> str:
    return f'({compiler.process(next(iter(element.clauses)), **kw)}) COLLATE "C"'
