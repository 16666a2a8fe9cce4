"""The audit trail in requests: `audit` records an action as the viewer (in the same transaction
as the change it describes; `gql_portal.audit.record` below it serves jobs and the CLI too),
partner reads of salary details collected during a request and written once at its end, and the
`auditEvents` query for a client's admins."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.audit import AuditActor, event_values, record
from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.functions import in_byte_order
from gql_portal.domain.audit import AuditAction
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.common import Ctx
from gql_portal.resolvers.loading import by_id, paginate, reachable_values
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import audit as gql
from gql_portal.schema.fields import field
from gql_portal.schema.id_filters import FirmIdFilter
from gql_portal.schema.relay import After, Before, Connection, First, Last


def audit(
    session: AsyncSession,
    ctx: RequestContext,
    action: AuditAction,
    *,
    company_id: int | None = None,
    user_id: int | None = None,
    email: str | None = None,
    **details: Any,
) -> None:
    """Record `action` as the request's viewer, in `session` (the change's own transaction)."""
    record(
        session,
        AuditActor.of(ctx),
        action,
        at=ctx.clock.now(),
        company_id=company_id,
        user_id=user_id,
        email=email,
        **details,
    )


def audit_values(
    ctx: RequestContext,
    action: AuditAction,
    *,
    company_id: int | None = None,
    **details: Any,
) -> dict[str, Any]:
    """What `audit` records, as columns for `record_all` (many events in one statement)."""
    return event_values(
        AuditActor.of(ctx), action, at=ctx.clock.now(), company_id=company_id, **details
    )


# --- partner reads of salary details ----------------------------------------------------------


async def flush_partner_reads(ctx: RequestContext) -> None:
    """One INSERT for all of the request's partner reads (no round trip per row)."""
    reads = ctx.partner_reads
    if not reads:
        return
    who = AuditActor.of(ctx)
    now = ctx.clock.now()
    rows = [
        {
            "at": now,
            "action": AuditAction.PARTNER_READ.value,
            "area": area,  # the area read (the action's own area names the usual one)
            "company_id": company_id,
            "actor_user_id": who.user_id,
            "actor_firm_id": who.firm_id,
            "client_address": who.client_address,
            "request_id": who.request_id,
            "details": {"object_type": object_type, "object_id": object_id},
        }
        for company_id, area, object_type, object_id in sorted(reads)
    ]
    async with ctx.database.transaction() as session:
        # The table, not the model: a plain executemany, without the ORM's bulk bookkeeping
        # per row (thousands of rows when a partner reads a page of clients' salaries).
        await session.execute(insert(AuditEvent.__table__), rows)  # type: ignore[arg-type]


# --- reading the trail ------------------------------------------------------------------------


async def _event_nodes(ctx: RequestContext, rows: list[AuditEvent]) -> list[gql.AuditEvent]:
    user_ids = {row.actor_user_id for row in rows if row.actor_user_id}
    firm_ids = {row.actor_firm_id for row in rows if row.actor_firm_id}
    users: dict[int, str] = {}
    firms: dict[int, str] = {}
    async with ctx.database.session() as session:  # names of the actors: outside the scope
        if user_ids:
            statement = select(User.id, User.name).where(User.id.in_(user_ids))
            users = {user_id: name for user_id, name in await session.execute(statement)}
        if firm_ids:
            statement = select(Company.id, Company.name).where(Company.id.in_(firm_ids))
            firms = {firm_id: name for firm_id, name in await session.execute(statement)}
    return [
        gql.AuditEvent.from_row(
            row, users.get(row.actor_user_id or 0), firms.get(row.actor_firm_id or 0)
        )
        for row in rows
    ]


async def audit_event_by_id(ctx: RequestContext, event_id: int) -> gql.AuditEvent | None:
    row = await by_id(ctx, AuditEvent).load(event_id)
    return (await _event_nodes(ctx, [row]))[0] if row else None


NEWEST = default_order([AuditEvent.id], descending=True)
AUDIT_ORDERS = {
    gql.AuditEventOrderField.TIME: OrderChoice([SortKey(AuditEvent.at)]),
    gql.AuditEventOrderField.ACTION: OrderChoice([SortKey(AuditEvent.action, in_byte_order)]),
}


async def audit_events(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    firm_id: FirmIdFilter = None,
    area: Annotated[
        Area | None,
        strawberry.argument(description="Only events of this area of the matrix (default: all)."),
    ] = None,
    since: Annotated[
        datetime | None,
        strawberry.argument(
            description="Only events at or after this moment (ISO 8601 with a time zone)."
        ),
    ] = None,
    order_by: Annotated[
        gql.AuditEventOrder | None,
        strawberry.argument(description="The order (default: newest first, by id)."),
    ] = None,
) -> Connection[gql.AuditEvent]:
    """The company's audit trail, newest first; filter by partner firm and area."""
    ctx = info.context
    statement = select(AuditEvent)
    if firm_id is not None:
        # A firm the company collaborates or collaborated with (its trail outlives the
        # collaboration), as far as the viewer reaches the collaborations.
        (firm,) = await reachable_values(ctx, Collaboration.firm_id, "Company", [firm_id], "firmId")
        statement = statement.where(AuditEvent.actor_firm_id == firm)
    if area is not None:
        statement = statement.where(AuditEvent.area == area.value)
    if since is not None:
        statement = statement.where(AuditEvent.at >= since)
    order = chosen_order(ctx, order_by, AUDIT_ORDERS, AuditEvent.id, NEWEST, listed=Area.AUDIT)
    page: Connection[Any] = await paginate(
        ctx, statement, order, lambda row: row, first=first, after=after, last=last, before=before
    )
    nodes = await _event_nodes(ctx, [edge.node for edge in page.edges])
    for edge, node in zip(page.edges, nodes, strict=True):
        edge.node = node
    return page


@strawberry.type
class Queries:
    audit_events = field(
        AreaRule(Area.AUDIT),
        audit_events,
        description="Who read or changed what in the company, partner access in particular.",
    )
