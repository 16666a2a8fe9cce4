"""Writing audit events, in the same transaction as the change they describe."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.context import RequestContext
from gql_portal.db.audit import AuditEvent


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
            company_id=company_id if company_id is not None else access.company_id,
            actor_user_id=user_id if user_id is not None else access.user_id,
            actor_firm_id=access.acting_firm_id,
            subject_email=email,
            client_address=ctx.client_address,
            request_id=ctx.request_id,
            details=details,
        )
    )
