"""Small pieces every domain's resolvers share: ids, not-found, `search` patterns."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay
from strawberry.types import Info

from gql_portal.context import RequestContext
from gql_portal.errors import AppError, Code, bad_input

Ctx = Info[RequestContext, None]


# Primary keys are `integer` columns: on PostgreSQL a larger number cannot even be a parameter.
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """The row id in a global id's node part; None when it is not a number."""
    try:
        return int(text)
    except ValueError:
        return None


def node_id(global_id: relay.GlobalID, type_name: str, field: str = "id") -> int:
    """The database id behind a Relay global id of `type_name`: BAD_USER_INPUT naming the field
    when it is not one, NOT_FOUND when no row can have it."""
    if global_id.type_name != type_name:
        raise bad_input(field, "WRONG_TYPE", f"must be the id of a {type_name}")
    key = row_id(global_id.node_id)
    if key is None:
        raise bad_input(field, "INVALID_ID", "is not a valid id")
    if not 1 <= key <= MAX_ROW_ID:
        raise not_found(type_name, field)
    return key


def not_found(type_name: str, field: str = "id") -> AppError:
    """What an unreachable row answers: it does not exist for this viewer."""
    return AppError(Code.NOT_FOUND, f"No such {type_name}.", field=field)


# `search` arguments match with LIKE: the searched text's own `%`, `_` and escape characters are
# literal, not wildcards (a search for "100%" must not match everything). The same escape
# character is given to every LIKE, so SQLite and PostgreSQL read the pattern alike.
LIKE_ESCAPE = "\\"


def like_escaped(text: str) -> str:
    """`text` as a literal inside a LIKE pattern (with `escape=LIKE_ESCAPE`)."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def search_pattern(search: str | None) -> str | None:
    """The LIKE pattern of a `search` argument: its trimmed, lower-cased text anywhere (match
    it against lower-cased columns, with `escape=LIKE_ESCAPE`); None for no search."""
    if search is None or not search.strip():
        return None
    return f"%{like_escaped(search.strip().lower())}%"


def like(
    expression: ColumnElement[str] | InstrumentedAttribute[str], pattern: str
) -> ColumnElement[bool]:
    """`expression LIKE pattern` with the escape character `like_escaped` uses."""
    return expression.like(pattern, escape=LIKE_ESCAPE)


def changed_fields(values: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if value is not None)
