"""Relay connections (`first`/`after`, at most 100 a page, keyset cursors) and page info.

The permission of a connection is decided where it is returned (its field's rule and the row
scoping of the query that fills it); the connection's own fields are structure.
"""

import base64
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
import strawberry

from gql_portal.errors import bad_input
from gql_portal.permissions.rules import Structural
from gql_portal.schema.fields import field, resolver_field

NodeT = TypeVar("NodeT")
STRUCTURAL = Structural()
MAX_PAGE = 100
DEFAULT_PAGE = 50


@strawberry.type(description="Where a page is in its list.")
class PageInfo:
    has_next_page: bool = field(STRUCTURAL)
    end_cursor: str | None = field(STRUCTURAL)


@strawberry.type(description="An item of a list, with the cursor to continue after it.")
class Edge(Generic[NodeT]):
    cursor: str = field(STRUCTURAL)
    node: NodeT = field(STRUCTURAL)


@strawberry.type(description="A page of a list: `first` items (at most 100) `after` a cursor.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = field(STRUCTURAL)
    page_info: PageInfo = field(STRUCTURAL)
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @resolver_field(
        STRUCTURAL, description="How many items the whole list has (one more query, if asked)."
    )
    async def total_count(self) -> int:
        return await self.count()

    @resolver_field(STRUCTURAL, description="The nodes of this page, without edges.")
    def nodes(self) -> list[NodeT]:
        return [edge.node for edge in self.edges]


def encode_cursor(values: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(values))).decode()


def decode_cursor(cursor: str) -> list[Any]:
    try:
        values = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise bad_input("after", "INVALID_CURSOR", "is not a cursor of this list") from None
    if not isinstance(values, list):
        raise bad_input("after", "INVALID_CURSOR", "is not a cursor of this list")
    return values


def page_size(first: int | None) -> int:
    size = DEFAULT_PAGE if first is None else first
    if not 1 <= size <= MAX_PAGE:
        raise bad_input("first", "OUT_OF_RANGE", f"must be between 1 and {MAX_PAGE}")
    return size
