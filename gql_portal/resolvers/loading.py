"""How resolvers read: scoped sessions, per-request DataLoaders batched by parent ids, keyset
pagination, and id arguments (the rows they name, or NOT_FOUND). Every read goes through the
viewer's row scope (gql_portal.db.scope)."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Collection,
    Hashable,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay
from strawberry.dataloader import Batch, DataLoader, WrongNumberOfResultsReturned

from gql_portal.auth import own_employee
from gql_portal.context import RequestContext
from gql_portal.db.base import Base
from gql_portal.db.employees import Employee
from gql_portal.execution import TURNS_KEY, next_turn
from gql_portal.permissions.matrix import Area, Op
from gql_portal.resolvers.common import node_id, not_found
from gql_portal.resolvers.ordering import (
    Keyset,
    ahead_of,
    at_cursor,
    cursor_payload,
    cursor_values,
    default_order,
    order_by_clauses,
)
from gql_portal.schema.limits import RowsOverAllowance, allowances_of
from gql_portal.schema.relay import (
    Connection,
    Edge,
    PageInfo,
    decode_cursor,
    encode_cursor,
    page_window,
)

ModelT = TypeVar("ModelT", bound=Base)
FETCH_PART_ROWS = 500  # rows made into objects between two turns of the event loop
# Connections one request's loaders and pages read with at once. Without a share, a document
# with 60 aliased pages (or a dozen loaders) took every connection of the pool, and another
# client's one statement (its session lookup) queued behind all of them: 400-500 ms.
REQUEST_READS = 3
NodeT = TypeVar("NodeT")
# A batch's results go to its waiters a slice per turn of the event loop, sized so that what the
# waiters do next (their resolvers make objects of the rows) takes about this long per turn.
# Handed over at once, the 6,000 waiters of a three-level document ran for tens of milliseconds
# without a break, and another client's statement waited behind each such batch.
DELIVERY_SECONDS = 0.002
FIRST_DELIVERY = 16


@asynccontextmanager
async def reading(
    ctx: RequestContext, op: Op = Op.READ, *, as_area: Area | None = None
) -> AsyncIterator[AsyncSession]:
    """A scoped session within the request's share of connections (`REQUEST_READS`; the rest
    wait their turn here, first come first served, not in the pool's queue where other
    requests wait). Only for reads that await nothing else while they hold it (a loader's
    batch, a page): one that waited for another loader could wait for its own share. Other
    ops than READ (a transaction, with SQLite's write turn) take no share."""
    if op is not Op.READ:
        async with ctx.database.scoped(ctx.access, op, as_area=as_area) as session:
            yield session
        return
    share: asyncio.Semaphore | None = ctx.cache.get("reads")
    if share is None:
        share = ctx.cache["reads"] = asyncio.Semaphore(REQUEST_READS)
    async with share, ctx.database.scoped(ctx.access, as_area=as_area) as session:
        yield session


# Set inside a loader's batch: a load function that loads through another loader is never
# held behind the batches in flight (its own among them).
_IN_BATCH: ContextVar[bool] = ContextVar("gql_portal_in_batch", default=False)


class LoaderTraffic:
    """A request's loader batches in flight, and the batches held until none is."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.held: list[Callable[[], None]] = []


class QuietLoader(DataLoader[Any, Any]):
    """Strawberry's DataLoader, sending each batch once the request is quiet: no completion
    waiting for a turn (execution.py `when_quiet`) and no other batch of the request loading
    (its rows may ask this loader for more keys). Strawberry sends a batch at the loop's next
    turn; the executor completes a big list over several turns, and lists that arrive from
    different batches complete at different times, so their items' keys would go in several
    batches, a statement each, and how many would depend on timing. Same cache, same results."""

    def __init__(self, ctx: RequestContext, made: DataLoader[Any, Any]) -> None:
        super().__init__(load_fn=made.load_fn, cache=made.cache)
        self.turns = ctx.cache.get(TURNS_KEY)
        self.traffic: LoaderTraffic = ctx.cache.setdefault("loader_traffic", LoaderTraffic())
        self.delivery = FIRST_DELIVERY  # results handed over per turn (`deliver_in_turns`)

    def load(self, key: Any) -> Any:
        future = self.cache_map.get(key) if self.cache else None
        if future is not None and not future.cancelled():
            return future
        future = self.loop.create_future()
        if self.cache:
            self.cache_map.set(key, future)
        batch = self.batch
        if batch is None or batch.dispatched or not batch.tasks:
            batch = self.batch = Batch()
            self._send_when_quiet(batch)
        batch.add_task(key, future)
        return future

    def _send_when_quiet(self, batch: Batch[Any, Any]) -> None:
        traffic = self.traffic

        async def load() -> None:
            _IN_BATCH.set(True)
            try:
                await self._dispatch(batch)
            finally:
                traffic.in_flight -= 1
                if not traffic.in_flight and traffic.held:
                    held, traffic.held = traffic.held, []
                    for later in held:
                        self._when_turns_quiet(later)

        def send() -> None:
            traffic.in_flight += 1
            batch._dispatch_task = asyncio.create_task(load())

        def send_unless_loading() -> None:
            if traffic.in_flight:
                traffic.held.append(send)
            else:
                send()

        if _IN_BATCH.get():  # asked by a load function: at the next turn, as Strawberry does
            self.loop.call_soon(send)
        else:
            self._when_turns_quiet(send_unless_loading)

    async def _dispatch(self, batch: Batch[Any, Any]) -> None:
        """Strawberry's `dispatch_batch` (one load, each key's future settled), handing the
        results over a slice per turn of the loop (`DELIVERY_SECONDS`)."""
        batch.dispatched = True
        tasks = list(batch.tasks)
        if not tasks or all(task.future.cancelled() for task in tasks):
            return
        try:
            values = list(await self.load_fn([task.key for task in tasks]))
            if len(values) != len(tasks):
                raise WrongNumberOfResultsReturned(expected=len(tasks), received=len(values))
        except Exception as error:  # every waiter gets the load's error, as in Strawberry
            for task in tasks:
                if not task.future.cancelled():
                    task.future.set_exception(error)
            return
        self.delivery = await deliver_in_turns(
            [task.future for task in tasks], values, self.delivery
        )

    def _when_turns_quiet(self, callback: Callable[[], None]) -> None:
        if self.turns is None:  # outside an execution: at the next turn
            self.loop.call_soon(callback)
        else:
            self.turns.when_quiet(callback)


async def deliver_in_turns(
    futures: Sequence[asyncio.Future[Any]], values: Sequence[Any], size: int = FIRST_DELIVERY
) -> int:
    """Settle each future with its value (an exception value as its exception), a slice per turn
    of the event loop: each slice sized by what the last one's waiters took, to about
    `DELIVERY_SECONDS`, with `execution.next_turn`'s pause in between while other requests are
    in flight. Returns the last slice size (the loader starts its next batch with it)."""
    start = 0
    while start < len(futures):
        for future, value in zip(
            futures[start : start + size], values[start : start + size], strict=True
        ):
            if future.cancelled():
                continue
            if isinstance(value, BaseException):
                future.set_exception(value)
            else:
                future.set_result(value)
        start += size
        # The slice's waiters run now, before this goes on (after the last slice too: what they
        # ask of other loaders then joins the batches held while this one delivers).
        began = time.perf_counter()
        await asyncio.sleep(0)
        spent = time.perf_counter() - began
        size = max(1, min(size * 2, int(size * DELIVERY_SECONDS / max(spent, 1e-6))))
        if start < len(futures):
            await next_turn()
    return size


def request_loader(
    ctx: RequestContext, key: Hashable, make: Callable[[], DataLoader[Any, Any]]
) -> DataLoader[Any, Any]:
    """One DataLoader per request and purpose: created on first use, shared by every resolver;
    `make`'s loader (its load function) sends its batches as a `QuietLoader`."""
    loaders: dict[Hashable, DataLoader[Any, Any]] = ctx.cache.setdefault("loaders", {})
    loader = loaders.get(key)
    if loader is None:
        made = make()
        loader = loaders[key] = QuietLoader(ctx, made) if type(made) is DataLoader else made
    return loader


def by_id(ctx: RequestContext, model: type[ModelT]) -> DataLoader[int, ModelT | None]:
    """Rows by primary key, within the viewer's scope (None where out of reach)."""

    async def load(ids: Sequence[int]) -> list[ModelT | None]:
        async with reading(ctx) as session:
            rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()  # type: ignore[attr-defined]
        found = {row.id: row for row in rows}  # type: ignore[attr-defined]
        return [found.get(key) for key in ids]

    return request_loader(ctx, ("by_id", model), lambda: DataLoader(load_fn=load))


def child_statement(
    model: type[Base],
    parent: InstrumentedAttribute[Any],
    parent_ids: Sequence[int],
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    where: Sequence[ColumnElement[bool]],
    columns: Sequence[Any] = (),
) -> Select[Any]:
    """The child rows of `parent_ids` in list order (whole rows, or only `columns`): what
    `children` loads and the compiled path (gql_portal/compiled) reads, one statement."""
    ordering = [*order_by, model.id]  # type: ignore[attr-defined]
    selected = select(*columns) if columns else select(model)
    return selected.where(parent.in_(parent_ids), *where).order_by(*ordering)


@dataclass(frozen=True)
class ChildRows:
    """A list field whose items are child rows of its parent object, declared once for both
    paths: the resolver path loads whole rows through `children` (a DataLoader by parent), the
    compiled path reads only the asked columns with the same `child_statement`. `narrowing`
    turns the field's arguments into WHERE conditions; `parent_key` is the parent object's
    attribute holding the parent id; `limit` the list field's bound."""

    model: type[Base]
    parent: InstrumentedAttribute[int]
    parent_key: str
    order_by: tuple[ColumnElement[Any] | InstrumentedAttribute[Any], ...]
    narrowing: Callable[..., list[ColumnElement[bool]]]
    limit: int

    def loader(self, ctx: RequestContext, **arguments: Any) -> DataLoader[int, list[Any]]:
        return children(
            ctx,
            self.model,
            self.parent,
            order_by=self.order_by,
            where=self.narrowing(**arguments),
            variant=tuple(sorted(arguments.items())),
            limit=self.limit,
        )


@dataclass(frozen=True)
class PerParent:
    """A field whose value for each parent object is its share of one read for all the
    parents of a level, declared once for both paths: `load(ctx, variant, keys)` answers a
    mapping of each key to its value. The resolver path loads a parent's value through a
    request's DataLoader (`one`), the compiled path calls `load` itself once per level and
    variant with every parent's key (`of_parents`), without a future per parent. `key` and
    `variant` read the parent object (its id, and what else the read depends on)."""

    name: str
    key: Callable[[Any], Hashable]
    variant: Callable[[Any], Hashable]
    load: Callable[[RequestContext, Any, list[Any]], Awaitable[Mapping[Any, Any]]]

    async def one(self, ctx: RequestContext, key: Any, variant: Any) -> Any:
        async def load(keys: Sequence[Any]) -> list[Any]:
            values = await self.load(ctx, variant, list(keys))
            return [values[each] for each in keys]

        loader = request_loader(ctx, (self.name, variant), lambda: DataLoader(load_fn=load))
        return await loader.load(key)

    async def of_parents(self, ctx: RequestContext, parents: Sequence[Any]) -> list[Any]:
        """Each parent's value, one `load` per variant among them."""
        keys_by_variant: dict[Any, dict[Any, None]] = {}
        for parent in parents:
            keys_by_variant.setdefault(self.variant(parent), {})[self.key(parent)] = None
        values = {
            variant: await self.load(ctx, variant, list(keys))
            for variant, keys in keys_by_variant.items()
        }
        return [values[self.variant(parent)][self.key(parent)] for parent in parents]


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
    that loaders with different filters are not shared. With `limit` (a list field's bound),
    one parent may have more than the bound, but the statement reads at most the rows the
    request's lists have left of their allowances (schema/limits.py; limit × parents when the
    request was not measured) + 1, with a total LIMIT: one more row than that refuses the batch
    (QUERY_TOO_COMPLEX), never the whole of a huge list read.
    """

    async def load(parent_ids: Sequence[int]) -> list[list[ModelT]]:
        statement = child_statement(model, parent, parent_ids, order_by, where)
        allowances = allowances_of(ctx) if limit is not None else None
        most: int | None = None
        if limit is not None:
            most = allowances.rows_left if allowances is not None else limit * len(parent_ids)
            statement = statement.limit(most + 1)
        rows: list[ModelT] = []
        async with reading(ctx) as session:
            # In parts: making ORM objects of thousands of rows would hold the event loop;
            # each part's fetch lets other requests (and the deadline) in.
            streamed = await session.stream_scalars(statement)
            async for part in streamed.partitions(FETCH_PART_ROWS):
                rows.extend(part)
        if most is not None:
            if len(rows) > most:
                raise RowsOverAllowance(most)
            if allowances is not None:
                allowances.rows_left -= len(rows)
        grouped: dict[int, list[ModelT]] = defaultdict(list)
        for row in rows:
            grouped[getattr(row, parent.key)].append(row)
        return [grouped.get(parent_id, []) for parent_id in parent_ids]

    key = ("children", model, parent.key, variant)
    return request_loader(ctx, key, lambda: DataLoader(load_fn=load))


async def paginate(
    ctx: RequestContext,
    statement: Select[Any],
    order: Sequence[InstrumentedAttribute[Any]] | Keyset,
    to_node: Callable[[ModelT], NodeT],
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    descending: bool = False,
    op: Op = Op.READ,
) -> Connection[NodeT]:
    """One page of `statement` in keyset order (`order`: columns ending in a unique one, read
    `descending` or not, or a Keyset, resolvers/ordering.py): the `first` items after `after`,
    or the `last` before `before` (read in reverse, then turned); the other cursor bounds the
    range. The page info's rules: schema/relay.py."""
    keyset = order if isinstance(order, Keyset) else default_order(order, descending=descending)
    window = page_window(first, last)
    # Rows are read in the direction of paging, from the cursor paged from (`start`), which is
    # read with them: its row, still in the list, tells that rows exist on that side.
    start, end = (before, after) if window.backward else (after, before)
    start_values = _cursor_keys(keyset, start, "before" if window.backward else "after")
    end_values = _cursor_keys(keyset, end, "after" if window.backward else "before")
    page = statement
    # Key values that are not attributes of the row (a client's name) are read with it.
    entity = statement.column_descriptions[0]["entity"]
    attributes = [key.attribute_of(entity) for key in keyset.keys]
    selected = [key.value for key, name in zip(keyset.keys, attributes, strict=True) if not name]
    if selected:
        page = page.add_columns(*selected)
    if start_values is not None:
        page = page.where(ahead_of(keyset, start_values, backward=window.backward, or_at=True))
        page = page.add_columns(at_cursor(keyset, start_values).label("at_cursor"))
    if end_values is not None:
        page = page.where(ahead_of(keyset, end_values, backward=not window.backward))
    page = page.order_by(*order_by_clauses(keyset, backward=window.backward))
    limit = window.size + 1 + (start_values is not None)
    async with reading(ctx, op) as session:
        read = list((await session.execute(page.limit(limit))).all())
    past_cursor = start_values is not None and bool(read and read[0][-1])
    if past_cursor:
        read = read[1:]
    more = len(read) > window.size
    read = read[: window.size]
    if window.backward:
        read.reverse()
    edges = []
    for row in read:
        extra = iter(row[1:])
        values = [getattr(row[0], name) if name else next(extra) for name in attributes]
        edges.append(
            Edge(cursor=encode_cursor(cursor_payload(keyset, values)), node=to_node(row[0]))
        )

    async def count() -> int:
        async with reading(ctx, op) as session:
            total = await session.scalar(
                select(func.count()).select_from(statement.order_by(None).subquery())
            )
        return int(total or 0)

    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=past_cursor if window.backward else more,
            has_previous_page=more if window.backward else past_cursor,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        count=count,
    )


def _cursor_keys(keyset: Keyset, cursor: str | None, argument: str) -> list[Any] | None:
    """The key values a cursor names (None without a cursor)."""
    if cursor is None:
        return None
    return cursor_values(keyset, decode_cursor(cursor, argument), argument)


# --- id arguments: the rows they name, or NOT_FOUND -------------------------------------------
# A filter such as `expenses(employeeId:)` with an id the viewer cannot reach answers NOT_FOUND,
# as `node(id:)` does, rather than an empty list that would tell "exists, but not yours" from
# "no rows". Reach is the row scope's, never a company filter written here.


async def reachable_rows(
    ctx: RequestContext,
    model: type[ModelT],
    type_name: str,
    global_ids: Sequence[relay.GlobalID],
    field: str,
) -> list[ModelT]:
    """The rows these global ids name, as the viewer's row scope reaches them (the by-id loader
    `node(id:)` reads through: one statement for every id of the request, none for an id
    already loaded); NOT_FOUND naming `field` when any one does not exist for this viewer."""
    keys = [node_id(global_id, type_name, field) for global_id in global_ids]
    rows = await by_id(ctx, model).load_many(keys)
    found = [row for row in rows if row is not None]
    if len(found) != len(rows):
        raise not_found(type_name, field)
    return found


async def reachable_values(
    ctx: RequestContext,
    column: InstrumentedAttribute[int],
    type_name: str,
    global_ids: Collection[relay.GlobalID],
    field: str,
) -> frozenset[int]:
    """Ids of something that is not a row of its own here, reachable through `column` of
    scoped rows (a partner firm through the company's collaborations): the ids, or NOT_FOUND
    naming `field` unless a row in the viewer's scope has each. One small statement."""
    keys = frozenset(node_id(global_id, type_name, field) for global_id in global_ids)
    if keys:
        async with reading(ctx) as session:
            found = set((await session.scalars(select(column).where(column.in_(keys)))).all())
        if found != keys:
            raise not_found(type_name, field)
    return keys


def reachable_company(ctx: RequestContext, global_id: relay.GlobalID, field: str) -> int:
    """A company id argument: the session's company or one whose identity the viewer's row
    scope reaches (a client with an ACTIVE collaboration, in the portal), as for `node(id:)`;
    NOT_FOUND otherwise. Decided from the request's Access: no statement."""
    key = node_id(global_id, "Company", field)
    if not ctx.access.reaches_company(key):
        raise not_found("Company", field)
    return key


async def reachable_employees(
    ctx: RequestContext, global_ids: Sequence[relay.GlobalID], field: str
) -> list[Employee]:
    """`reachable_rows` of employees; the viewer's own row costs no statement (the session
    lookup read it, and it is given only when the read scope reaches it)."""
    own = own_employee(ctx.access)
    if own is not None:
        by_id(ctx, Employee).prime(own.id, own)
    return await reachable_rows(ctx, Employee, "Employee", global_ids, field)


def company_filter(
    ctx: RequestContext, column: InstrumentedAttribute[int], company_id: relay.GlobalID | None
) -> list[ColumnElement[bool]]:
    """`companyId`: narrow a list to one reachable company (a client, in the portal); rows out
    of reach are already gone below the resolvers."""
    if company_id is None:
        return []
    return [column == reachable_company(ctx, company_id, "companyId")]


async def employee_filter(
    ctx: RequestContext, column: InstrumentedAttribute[int], employee_id: relay.GlobalID | None
) -> list[ColumnElement[bool]]:
    """`employeeId`: narrow a list to one reachable employee's rows."""
    if employee_id is None:
        return []
    (employee,) = await reachable_employees(ctx, [employee_id], "employeeId")
    return [column == employee.id]


async def reachable_employee_ids(
    ctx: RequestContext, global_ids: Sequence[relay.GlobalID] | None
) -> frozenset[int] | None:
    """`employeeIds`: the reachable employees' ids (None: everyone's)."""
    if global_ids is None:
        return None
    return frozenset(row.id for row in await reachable_employees(ctx, global_ids, "employeeIds"))
