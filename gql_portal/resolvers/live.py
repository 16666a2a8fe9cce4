"""The `Subscription` root: live updates, each a stream of the objects that changed.

An event names ids only (gql_portal/live); each subscription re-reads what it names under its
own viewer's access, through the same loaders, types and field permissions as a query, and
yields nothing for an object it can no longer see. Subscriptions of the same access share that
read (`Changes.shared`: one read per viewer and object per event, however many of its
subscriptions follow the object). Every delivery is charged to the cost
budgets like a query of the subscription's cost. When the viewer's access changes (the
connection reads it again, gql_portal/http/live.py) a subscription whose field or argument is
no longer allowed completes.
"""

from __future__ import annotations

import asyncio
from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Hashable,
    Iterable,
    Sequence,
)
from contextlib import suppress
from datetime import date
from typing import Annotated, TypeVar

import strawberry
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.exports import ExportState
from gql_portal.errors import AppError, Code
from gql_portal.execution import TURNS_KEY
from gql_portal.live import Inbox, Topic
from gql_portal.live.bus import Key
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import CollaborationRule, ExportRule, Rule
from gql_portal.resolvers.audit import flush_partner_reads
from gql_portal.resolvers.collaborations import collaborations_by_id
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.expenses import READ as EXPENSES
from gql_portal.resolvers.expenses import expense_by_id
from gql_portal.resolvers.exports import export_by_id
from gql_portal.resolvers.loading import reachable_company
from gql_portal.resolvers.payroll import BASIS_READ as PERIODS
from gql_portal.resolvers.payroll import locked_periods_holding, payroll_period_by_id
from gql_portal.resolvers.portal import CLIENT_BOARD, board_collaborations, portal_client_by_id
from gql_portal.schema import collaborations as collaboration_types
from gql_portal.schema import expenses as expense_types
from gql_portal.schema import exports as export_types
from gql_portal.schema import payroll as payroll_types
from gql_portal.schema import portal as portal_types
from gql_portal.schema.fields import subscription
from gql_portal.schema.id_filters import CompanyIdFilter
from gql_portal.schema.limits import ALLOWANCES_KEY, COST_KEY, ListAllowances, Measure

EXPORTS = ExportRule()
COLLABORATIONS = CollaborationRule()
# Kept from one delivery to the next: the subscription's cost, the executor's turns, its inbox.
INBOX_KEY = "gql_portal.live.inbox"
_KEPT = (COST_KEY, TURNS_KEY, INBOX_KEY)
FINISHED = (ExportState.DONE, ExportState.FAILED)
T = TypeVar("T")
A = TypeVar("A")


def inbox_of(ctx: RequestContext) -> Inbox | None:
    """The subscription's inbox (the connection nudges it when the viewer's access changed)."""
    inbox: Inbox | None = ctx.cache.get(INBOX_KEY)
    return inbox


def rule_allows(rule: Rule, access: Access) -> bool:
    """Whether `access` may still use a root field of `rule`: it is in the viewer's role's
    schema and its check passes (as when the subscription began)."""
    if not rule.visible_in(access.role):
        return False
    try:
        rule.check(access, None)
    except AppError:
        return False
    return True


class Changes:
    """One subscription's changes: listening from its start (nothing between the first read and
    the first event is missed), each batch read under the viewer's access as it is then."""

    def __init__(
        self, ctx: RequestContext, topics: Iterable[Topic], allowed: Callable[[Access], bool]
    ) -> None:
        self.ctx = ctx
        self.allowed = allowed
        self.inbox = ctx.runtime.bus.inbox(topics)
        ctx.cache[INBOX_KEY] = self.inbox
        measured = ctx.cache.get(ALLOWANCES_KEY)
        self.measure = (
            Measure(
                allowances=measured.allowances,
                by_field=measured.by_field,
                reads=measured.reads.limit,
            )
            if isinstance(measured, ListAllowances)
            else None
        )

    async def ready(self) -> None:
        """Returns once a change made on any worker reaches this subscription."""
        try:
            await self.ctx.runtime.bus.ready()
        except BaseException:
            self.inbox.close()
            raise

    async def batches(self) -> AsyncIterator[set[Key]]:
        """The keys changed, a batch per coalescing window; ends when the field is no longer
        allowed to the viewer."""
        try:
            while True:
                keys = await self.inbox.batch()
                if not self.allowed(self.ctx.access):
                    return
                if keys:
                    self._renew()
                    yield keys
        finally:
            self.inbox.close()
            with suppress(Exception):
                await flush_partner_reads(self.ctx)

    async def shared(
        self, read: Callable[[RequestContext, A], Awaitable[T]], argument: A, key: Hashable
    ) -> T:
        """`read(ctx, argument)` under this subscription's context, or the same read (`key`
        names the argument) that another subscription of the same access began since this
        batch was taken (gql_portal/live/shared.py): the viewer's access is part of the key, so
        different viewers never share."""
        ctx = self.ctx
        bus = ctx.runtime.bus
        return await bus.reads.read(
            (ctx.access, read, key), self.inbox.taken_at, bus.delivered, lambda: read(ctx, argument)
        )

    def _renew(self) -> None:
        """A fresh request context for this batch: loaders read again, permissions decided again."""
        ctx = self.ctx
        ctx.cache = {key: ctx.cache[key] for key in _KEPT if key in ctx.cache}
        ctx.granted = set()

    async def delivered(self) -> None:
        """After an object's event was sent: its audited reads written, a fresh allowance."""
        await flush_partner_reads(self.ctx)
        self.ctx.partner_reads = set()
        self.ctx.granted = set()
        if self.measure is not None:
            self.ctx.cache[ALLOWANCES_KEY] = ListAllowances(self.measure)

    def charge(self) -> None:
        """Charge one delivery of the subscription's cost to the session's and the address's
        budgets; RATE_LIMITED ends the subscription when one is spent."""
        ctx = self.ctx
        cost = ctx.cache.get(COST_KEY)
        if cost is None:
            return
        refusal = ctx.runtime.budgets.charge(ctx.access.session_id, ctx.client_address, cost)
        if refusal is not None:
            raise AppError(
                Code.RATE_LIMITED,
                f"The {refusal.budget}'s query budget of {refusal.limit} cost points a minute "
                "is spent: the subscription ended; subscribe again later.",
                budget=refusal.budget,
                limit=refusal.limit,
                retryAfterSeconds=refusal.retry_after_seconds,
            )


def ids_of(keys: Iterable[Key], companies: Callable[[int | None], bool] | None = None) -> list[int]:
    return sorted({key[2] for key in keys if companies is None or companies(key[1])})


async def read_all(
    changes: Changes,
    read: Callable[[RequestContext, int], Awaitable[T | None]],
    ids: Sequence[int],
) -> list[T]:
    """The objects still visible, in id order (one loader batch for all of them), each read
    once per viewer however many of its subscriptions follow it (`Changes.shared`)."""

    found = await asyncio.gather(*(changes.shared(read, i, key=i) for i in ids))
    return [item for item in found if item is not None]


# --- exports ---------------------------------------------------------------------------------


async def export_updated(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The export to follow (an `Export` id): its state and progress "
            "until DONE or FAILED."
        ),
    ],
) -> AsyncIterator[export_types.Export]:
    ctx = info.context
    export_id = node_id(id, "Export", "id")
    changes = Changes(ctx, [Topic.EXPORT], lambda access: rule_allows(EXPORTS, access))
    await changes.ready()
    current = await export_by_id(ctx, export_id)
    if current is None:
        changes.inbox.close()
        raise not_found("Export", "id")
    return _export_states(changes, export_id, current)


async def _export_states(
    changes: Changes, export_id: int, current: export_types.Export
) -> AsyncGenerator[export_types.Export, None]:
    ctx = changes.ctx
    try:
        yield current
        if current.state in FINISHED:
            return
        await changes.delivered()
        async for keys in changes.batches():
            if export_id not in ids_of(keys):
                continue
            changes.charge()
            node = await export_by_id(ctx, export_id)
            if node is None:  # out of the viewer's reach now: nothing more to tell
                return
            yield node
            if node.state in FINISHED:
                return
            await changes.delivered()
    finally:
        changes.inbox.close()


async def exports_updated(
    info: Ctx, company_id: CompanyIdFilter = None
) -> AsyncIterator[export_types.Export]:
    ctx = info.context
    company = reachable_company(ctx, company_id, "companyId") if company_id else None

    def allowed(access: Access) -> bool:
        return rule_allows(EXPORTS, access) and (company is None or access.reaches_company(company))

    changes = Changes(ctx, [Topic.EXPORT], allowed)
    await changes.ready()
    return _changed_exports(changes, company)


async def _changed_exports(
    changes: Changes, company: int | None
) -> AsyncGenerator[export_types.Export, None]:
    async for keys in changes.batches():
        ids = ids_of(keys, None if company is None else lambda c: c == company)
        for node in await read_all(changes, export_by_id, ids):
            changes.charge()
            yield node
            await changes.delivered()


# --- a company's objects: expenses, payroll periods -------------------------------------------


def company_changes(
    ctx: RequestContext,
    topics: Sequence[Topic],
    rule: Rule,
    area: Area,
    company_id: relay.GlobalID | None,
) -> tuple[Changes, Callable[[int | None], bool]]:
    """Changes of `topics` in one reachable company (`companyId`) or every company the viewer
    reaches in `area`; and which events' companies are wanted (as the access is then)."""
    company = reachable_company(ctx, company_id, "companyId") if company_id else None

    def allowed(access: Access) -> bool:
        return rule_allows(rule, access) and (company is None or access.reaches_company(company))

    def wanted(company_of_event: int | None) -> bool:
        if company is not None:
            return company_of_event == company
        return ctx.access.reaches_rows_in(area, company_of_event)

    return Changes(ctx, topics, allowed), wanted


async def changed_objects(
    changes: Changes,
    wanted: Callable[[int | None], bool],
    read: Callable[[RequestContext, int], Awaitable[T | None]],
) -> AsyncGenerator[T, None]:
    """Each changed object of a wanted company, read again under the viewer's access."""
    async for keys in changes.batches():
        for node in await read_all(changes, read, ids_of(keys, wanted)):
            changes.charge()
            yield node
            await changes.delivered()


async def expense_changed(
    info: Ctx, company_id: CompanyIdFilter = None
) -> AsyncIterator[expense_types.Expense]:
    area = Area.EXPENSES_RECEIPTS
    changes, wanted = company_changes(info.context, [Topic.EXPENSE], EXPENSES, area, company_id)
    await changes.ready()
    return changed_objects(changes, wanted, expense_by_id)


async def payroll_period_changed(
    info: Ctx, company_id: CompanyIdFilter = None
) -> AsyncIterator[payroll_types.PayrollPeriod]:
    area = Area.PAYROLL_BASIS
    topics = [Topic.PAYROLL_PERIOD, Topic.PAYROLL_SOURCE]
    changes, wanted = company_changes(info.context, topics, PERIODS, area, company_id)
    await changes.ready()
    return _changed_periods(changes, wanted)


async def _changed_periods(
    changes: Changes, wanted: Callable[[int | None], bool]
) -> AsyncGenerator[payroll_types.PayrollPeriod, None]:
    """Each changed period of a wanted company, and each LOCKED one whose sources changed (a
    late difference: found here, once per batch, so the mutation reads no period)."""
    async for keys in changes.batches():
        periods = {i for topic, c, i in keys if topic is Topic.PAYROLL_PERIOD and wanted(c)}
        days: dict[int, set[date]] = {}
        for topic, company, ordinal in keys:
            if topic is Topic.PAYROLL_SOURCE and company is not None and wanted(company):
                days.setdefault(company, set()).add(date.fromordinal(ordinal))
        if days:
            held = frozenset((company, frozenset(on)) for company, on in days.items())
            periods |= await changes.shared(locked_periods_holding, days, key=held)
        for node in await read_all(changes, payroll_period_by_id, sorted(periods)):
            changes.charge()
            yield node
            await changes.delivered()


# --- collaborations and the client board ------------------------------------------------------


async def collaboration_changed(info: Ctx) -> AsyncIterator[collaboration_types.Collaboration]:
    changes = Changes(
        info.context, [Topic.COLLABORATION], lambda access: rule_allows(COLLABORATIONS, access)
    )
    await changes.ready()
    return changed_objects(changes, lambda _company: True, collaborations_by_id)


BOARD_TOPICS = (Topic.COLLABORATION, Topic.PAYROLL_PERIOD, Topic.EXPENSE, Topic.TIME)


async def client_board_changed(info: Ctx) -> AsyncIterator[portal_types.PortalClient]:
    changes = Changes(info.context, BOARD_TOPICS, lambda access: rule_allows(CLIENT_BOARD, access))
    await changes.ready()
    return _changed_clients(changes)


async def _changed_clients(changes: Changes) -> AsyncGenerator[portal_types.PortalClient, None]:
    """A client's board row each time something on it may have changed: its collaboration, a
    period, expenses or time of the client; one row per client per coalescing window, however
    many changes (a burst of 1,000 time reports is one row)."""
    ctx = changes.ctx
    async for keys in changes.batches():
        collaborations = {i for topic, _, i in keys if topic is Topic.COLLABORATION}
        clients = {c for topic, c, _ in keys if topic is not Topic.COLLABORATION and c}
        board_clients = frozenset(clients & ctx.access.client_ids)
        if board_clients:
            collaborations |= await changes.shared(
                board_collaborations, set(board_clients), key=board_clients
            )
        rows = await read_all(changes, portal_client_by_id, sorted(collaborations))
        for row in rows:
            changes.charge()
            yield row
            await changes.delivered()


@strawberry.type
class Subscriptions:
    export_updated = subscription(
        EXPORTS,
        export_updated,
        description="One export as it is written: its state now, then every change of state or "
        "progress; DONE with its `downloadUrl` (for this session), and the subscription "
        "completes when the export is DONE or FAILED.",
    )
    exports_updated = subscription(
        EXPORTS,
        exports_updated,
        description="Every export the viewer reaches as it changes (queued, progress, done, "
        "failed); in the portal `companyId` narrows it to one client.",
    )
    payroll_period_changed = subscription(
        PERIODS,
        payroll_period_changed,
        description="Payroll periods as they change: opened, locked, unlocked, exported, and a "
        "LOCKED one when a week in it is attested or opened again, an expense dated in it "
        "is approved, or an absence on its days is approved or an approved one withdrawn (a "
        "late difference); "
        "`companyId` narrows it to one company (in the portal: one client).",
    )
    collaboration_changed = subscription(
        COLLABORATIONS,
        collaboration_changed,
        description="The viewer's company's collaborations as they change, as client or as firm: "
        "proposed, accepted, declined, level changed or requested, ended.",
    )
    client_board_changed = subscription(
        CLIENT_BOARD,
        client_board_changed,
        description="For a firm: a client's row of the board (`clients`) whenever something on "
        "it may have changed (its collaboration's level, the period shown, counts awaiting), at "
        "most once per client per short window. A client whose collaboration ended leaves the "
        "board: `collaborationChanged` tells it.",
    )
    expense_changed = subscription(
        EXPENSES,
        expense_changed,
        description="Expenses as they change (submitted, updated, approved, rejected, receipt "
        "attached or removed), each as the viewer may read it now (employees: their own); "
        "`companyId` narrows it to one company (in the portal: one client).",
    )
