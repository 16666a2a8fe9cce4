"""Relay connections (keyset cursors, at most 100 a page) and page info, as the Relay Cursor
Connections specification has them: `first`/`after` pages forward, `last`/`before` backward,
`after` and `before` together bound a range. `first` and `last` together are refused
(BAD_USER_INPUT): the specification strongly discourages them and no client sends both.

`hasNextPage` and `hasPreviousPage` are exact in the direction of paging (one row more is read).
Against it they say whether the row of the cursor paged from (`after` going forward, `before`
going backward) is still in the list, read with the page: true means rows exist on that side;
false, that the cursor's row is gone (rows may still exist there) or no cursor was given.

The permission of a connection is decided where it is returned (its field's rule and the row
scoping of the query that fills it); the connection's own fields are structure.
"""

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import orjson
import strawberry

from gql_portal.errors import bad_input
from gql_portal.permissions.rules import Structural
from gql_portal.schema.fields import field, resolver_field

NodeT = TypeVar("NodeT")
STRUCTURAL = Structural()
MAX_PAGE = 100
DEFAULT_PAGE = 50


First = Annotated[
    int | None,
    strawberry.argument(description="Page forward: at most this many items (1-100, default 50)."),
]
After = Annotated[
    str | None,
    strawberry.argument(description="Only items after this cursor (an edge's `cursor`)."),
]
Last = Annotated[
    int | None,
    strawberry.argument(
        description="Page backward: at most this many items, the last ones before `before` "
        "(1-100; not together with `first`)."
    ),
]
Before = Annotated[
    str | None,
    strawberry.argument(description="Only items before this cursor (an edge's `cursor`)."),
]


@strawberry.type(description="Where a page is in its list.")
class PageInfo:
    has_next_page: bool = field(
        STRUCTURAL,
        description="More items follow this page (exact when paging forward; paging backward: "
        "the `before` cursor's item is still in the list).",
    )
    has_previous_page: bool = field(
        STRUCTURAL,
        description="More items precede this page (exact when paging backward; paging forward: "
        "the `after` cursor's item is still in the list).",
    )
    start_cursor: str | None = field(STRUCTURAL, description="The first edge's cursor.")
    end_cursor: str | None = field(STRUCTURAL, description="The last edge's cursor.")


@strawberry.type(description="An item of a list, with the cursor to page on from it.")
class Edge(Generic[NodeT]):
    cursor: str = field(STRUCTURAL)
    node: NodeT = field(STRUCTURAL)


@strawberry.type(
    description="A page of a list: `first` items `after` a cursor, or the `last` items `before` "
    "one (at most 100)."
)
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


def encode_cursor(payload: Sequence[Any] | dict[str, Any]) -> str:
    """A cursor: the key values of its row (with its order's name, for an `orderBy` order)."""
    if not isinstance(payload, dict):
        payload = list(payload)
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


def decode_cursor(cursor: str, argument: str = "after") -> list[Any] | dict[str, Any]:
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, orjson.JSONDecodeError):
        raise bad_input(argument, "INVALID_CURSOR", "is not a cursor of this list") from None
    if not isinstance(payload, list | dict):
        raise bad_input(argument, "INVALID_CURSOR", "is not a cursor of this list")
    return payload


@dataclass(frozen=True)
class Window:
    """How many items a page has, and whether it is read backward (`last`)."""

    size: int
    backward: bool


def page_window(first: int | None, last: int | None = None) -> Window:
    """`first` or `last` (1-100; neither: the first DEFAULT_PAGE), never both."""
    if first is not None and last is not None:
        raise bad_input("last", "FIRST_AND_LAST", "give `first` or `last`, not both")
    if last is not None:
        return Window(_checked(last, "last"), backward=True)
    return Window(DEFAULT_PAGE if first is None else _checked(first, "first"), backward=False)


def _checked(size: int, argument: str) -> int:
    if not 1 <= size <= MAX_PAGE:
        raise bad_input(argument, "OUT_OF_RANGE", f"must be between 1 and {MAX_PAGE}")
    return size
