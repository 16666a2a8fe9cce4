"""How resolvers read: scoped sessions, per-request DataLoaders batched by parent ids, and
keyset pagination. Every read goes through the viewer's row scope (gql_portal.db.scope)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, aliased
from strawberry.dataloader import DataLoader

from gql_portal.context import RequestContext
from gql_portal.db.base import Base
from gql_portal.errors import bad_input
from gql_portal.permissions.matrix import Op
from gql_portal.schema.relay import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_size,
)

ModelT = TypeVar("ModelT", bound=Base)
NodeT = TypeVar("NodeT")


def request_loader(
    ctx: RequestContext, key: Hashable, make: Callable[[], DataLoader[Any, Any]]
) -> DataLoader[Any, Any]:
    """One DataLoader per request and purpose: created on first use, shared by every resolver."""
    loaders: dict[Hashable, DataLoader[Any, Any]] = ctx.cache.setdefault("loaders", {})
    loader = loaders.get(key)
    if loader is None:
        loader = loaders[key] = make()
    return loader


def by_id(ctx: RequestContext, model: type[ModelT]) -> DataLoader[int, ModelT | None]:
    """Rows by primary key, within the viewer's scope (None where out of reach)."""

    async def load(ids: Sequence[int]) -> list[ModelT | None]:
        async with ctx.database.scoped(ctx.access) as session:
            rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()  # type: ignore[attr-defined]
        found = {row.id: row for row in rows}  # type: ignore[attr-defined]
        return [found.get(key) for key in ids]

    return request_loader(ctx, ("by_id", model), lambda: DataLoader(load_fn=load))


def children(
    ctx: RequestContext,
    model: type[ModelT],
    parent: InstrumentedAttribute[Any],
    *,
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]] = (),
    where: Sequence[ColumnElement[bool]] = (),
    variant: Hashable = None,
    limit: int | None = None,
) -> DataLoader[int, list[ModelT]]:
    """Child rows grouped by parent id: one statement for all parents of a request.

    `where`/`variant` narrow the rows (e.g. a date range); the variant names the narrowing so
    that loaders with different filters are not shared. `limit` (a list field's bound) reads
    at most limit + 1 rows per parent, in the same one statement: enough for the field to see
    that a list is longer than its bound and refuse it, never the whole of a huge list.
    """

    async def load(parent_ids: Sequence[int]) -> list[list[ModelT]]:
        ordering = [*order_by, model.id]  # type: ignore[attr-defined]
        statement = select(model).where(parent.in_(parent_ids), *where)
        if limit is None:
            statement = statement.order_by(*ordering)
        else:
            rank = func.row_number().over(partition_by=parent, order_by=ordering).label("rank")
            ranked = statement.add_columns(rank).subquery()
            ranked_model = aliased(model, ranked)
            statement = (
                select(ranked_model)
                .where(ranked.c.rank <= limit + 1)
                .order_by(getattr(ranked.c, parent.key), ranked.c.rank)
            )
        async with ctx.database.scoped(ctx.access) as session:
            rows = (await session.scalars(statement)).all()
        grouped: dict[int, list[ModelT]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, parent.key)].append(row)
        return [grouped.get(parent_id, []) for parent_id in parent_ids]

    key = ("children", model, parent.key, variant)
    return request_loader(ctx, key, lambda: DataLoader(load_fn=load))


def _cursor_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _typed(column: InstrumentedAttribute[Any], value: Any) -> Any:
    python_type = column.type.python_type
    try:
        if python_type is date and isinstance(value, str):
            return date.fromisoformat(value)
        if python_type is datetime and isinstance(value, str):
            return datetime.fromisoformat(value)
        if python_type is Decimal:
            return Decimal(str(value))
        if python_type is int and not isinstance(value, int):
            raise ValueError
    except ValueError:
        raise bad_input("after", "INVALID_CURSOR", "is not a cursor of this list") from None
    return value


async def paginate(
    ctx: RequestContext,
    statement: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]],
    to_node: Callable[[ModelT], NodeT],
    *,
    first: int | None,
    after: str | None,
    descending: bool = False,
    op: Op = Op.READ,
) -> Connection[NodeT]:
    """One page of `statement` in keyset order (`order` must end in a unique column)."""
    size = page_size(first)
    page = statement
    if after is not None:
        values = decode_cursor(after)
        if len(values) != len(order):
            raise bad_input("after", "INVALID_CURSOR", "is not a cursor of this list")
        typed = [_typed(column, value) for column, value in zip(order, values, strict=True)]
        boundary = tuple_(*order), tuple_(*typed)
        page = page.where(boundary[0] < boundary[1] if descending else boundary[0] > boundary[1])
    page = page.order_by(*(column.desc() if descending else column for column in order))
    async with ctx.database.scoped(ctx.access, op) as session:
        rows = list((await session.scalars(page.limit(size + 1))).all())
    more = len(rows) > size
    rows = rows[:size]
    edges = [
        Edge(
            cursor=encode_cursor([_cursor_value(getattr(row, column.key)) for column in order]),
            node=to_node(row),
        )
        for row in rows
    ]

    async def count() -> int:
        async with ctx.database.scoped(ctx.access, op) as session:
            total = await session.scalar(
                select(func.count()).select_from(statement.order_by(None).subquery())
            )
        return int(total or 0)

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=more, end_cursor=edges[-1].cursor if edges else None),
        count=count,
    )
