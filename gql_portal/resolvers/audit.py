"""The audit trail: events written in the same transaction as the change they describe, partner
reads of salary details collected during a request and written once at its end, and the
`auditEvents` query for a client's admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.common import Ctx
from gql_portal.resolvers.loading import paginate, reachable_values
from gql_portal.schema import audit as gql
from gql_portal.schema.fields import field
from gql_portal.schema.id_filters import FirmIdFilter
from gql_portal.schema.relay import Connection

# The area of an action, by the prefix of its name (account events have none).
_AREA_OF_PREFIX = (
    ("EMPLOYEE_SALARY", Area.EMPLOYEE_SALARY),
    ("EMPLOYEE_ASSIGNED", Area.PROJECTS),
    ("EMPLOYEE_UNASSIGNED", Area.PROJECTS),
    ("EMPLOYEE", Area.EMPLOYEE_CONTACT),
    ("TIME_CODE", Area.SETTINGS),
    ("TIME", Area.TIME),
    ("WEEK", Area.TIME),
    ("ABSENCE", Area.ABSENCE),
    ("SCHEDULE", Area.SCHEDULES),
    ("EXPENSE", Area.EXPENSES_RECEIPTS),
    ("MILEAGE", Area.EXPENSES_RECEIPTS),
    ("RECEIPT", Area.EXPENSES_RECEIPTS),
    ("PAYROLL_INTEGRATION", Area.INTEGRATIONS),
    ("PAYROLL", Area.PAYROLL_BASIS),
    ("EXPORT", Area.PAYROLL_BASIS),
    ("PROJECT", Area.PROJECTS),
    ("CUSTOMER", Area.PROJECTS),
    ("ACTIVITY", Area.PROJECTS),
    ("COMPANY_SETTINGS", Area.SETTINGS),
    ("USER", Area.USERS),
    ("COLLABORATION", Area.COLLABORATIONS),
    ("PARTNER", Area.COLLABORATIONS),
)


def area_of(action: str) -> str | None:
    for prefix, area in _AREA_OF_PREFIX:
        if action.startswith(prefix):
            return area.value
    return None


def record(
    session: AsyncSession,
    ctx: RequestContext,
    action: str,
    *,
    company_id: int | None = None,
    user_id: int | None = None,
    email: str | None = None,
    **details: Any,
) -> None:
    access = ctx.access
    session.add(
        AuditEvent(
            at=ctx.clock.now(),
            action=action,
            area=area_of(action),
            company_id=company_id if company_id is not None else access.company_id,
            actor_user_id=user_id if user_id is not None else access.user_id,
            actor_firm_id=access.partner_firm_id,
            subject_email=email,
            client_address=ctx.client_address,
            request_id=ctx.request_id,
            details=details,
        )
    )


# --- partner reads of salary details ----------------------------------------------------------


async def flush_partner_reads(ctx: RequestContext) -> None:
    """One INSERT for all of the request's partner reads (no round trip per row)."""
    reads = ctx.partner_reads
    if not reads:
        return
    access = ctx.access
    now = ctx.clock.now()
    rows = [
        {
            "at": now,
            "action": "PARTNER_READ",
            "area": area,
            "company_id": company_id,
            "actor_user_id": access.user_id,
            "actor_firm_id": access.partner_firm_id,
            "client_address": ctx.client_address,
            "request_id": ctx.request_id,
            "details": {"object_type": object_type, "object_id": object_id},
        }
        for company_id, area, object_type, object_id in sorted(reads)
    ]
    async with ctx.database.transaction() as session:
        await session.execute(insert(AuditEvent), rows)


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


async def audit_events(
    info: Ctx,
    first: int | None = None,
    after: str | None = None,
    firm_id: FirmIdFilter = None,
    area: Area | None = None,
    since: datetime | None = None,
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
    page: Connection[Any] = await paginate(
        ctx, statement, [AuditEvent.id], lambda row: row, first=first, after=after, descending=True
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
