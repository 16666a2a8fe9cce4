"""Recording audit events, below the resolvers: GraphQL mutations, file downloads over HTTP, the
background export jobs and the operator's CLI all write their events here.

An event is added to the caller's session, so it commits (or rolls back) with the change it
describes. Who acted is an `AuditActor`, a plain value: a request builds it from its context
(`AuditActor.of(ctx)`), an export job from the request it was given (`ExportRequest.actor`),
the CLI has no user (`NO_USER`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.audit import AuditEvent
from gql_portal.domain.audit import AuditAction

if TYPE_CHECKING:
    from gql_portal.context import RequestContext
    from gql_portal.permissions.access import Access


@dataclass(frozen=True)
class AuditActor:
    """Who did it, and from where: what an event records about its actor."""

    user_id: int | None = None
    # The company the actor works in (the client's, for a partner logged in to it): the event's
    # company unless the caller names another.
    company_id: int | None = None
    # The partner firm a user acted for, if any.
    firm_id: int | None = None
    client_address: str | None = None
    request_id: str | None = None

    @classmethod
    def acting(cls, access: Access, *, client_address: str, request_id: str) -> AuditActor:
        return cls(
            user_id=access.user_id,
            company_id=access.company_id,
            firm_id=access.partner_firm_id,
            client_address=client_address,
            request_id=request_id,
        )

    @classmethod
    def of(cls, ctx: RequestContext) -> AuditActor:
        """The viewer of a request (as it is now: logging in or out changes it)."""
        return cls.acting(ctx.access, client_address=ctx.client_address, request_id=ctx.request_id)


# Support staff at the operator's terminal: no user, no firm, no request.
NO_USER = AuditActor()


def record(
    session: AsyncSession,
    who: AuditActor,
    action: AuditAction,
    *,
    at: datetime,
    company_id: int | None = None,
    user_id: int | None = None,
    email: str | None = None,
    **details: Any,
) -> None:
    """Add an event to `session`. `company_id` and `user_id` default to the actor's (an
    anonymous caller, e.g. one logging in, names the account it concerns); `email` is the
    address the event is about, when there is one."""
    session.add(
        AuditEvent(
            **event_values(
                who, action, at=at, company_id=company_id, user_id=user_id, email=email, **details
            )
        )
    )


def event_values(
    who: AuditActor,
    action: AuditAction,
    *,
    at: datetime,
    company_id: int | None = None,
    user_id: int | None = None,
    email: str | None = None,
    **details: Any,
) -> dict[str, Any]:
    """The columns of the event `record` adds, for `record_all`."""
    return {
        "at": at,
        "action": action.value,
        "area": area.value if (area := action.area) is not None else None,
        "company_id": company_id if company_id is not None else who.company_id,
        "actor_user_id": user_id if user_id is not None else who.user_id,
        "actor_firm_id": who.firm_id,
        "subject_email": email,
        "client_address": who.client_address,
        "request_id": who.request_id,
        "details": details,
    }


async def record_all(session: AsyncSession, events: list[dict[str, Any]]) -> None:
    """Write many events (`event_values`) in one statement: a change of many rows at once
    writes its events without a round trip each."""
    if events:
        await session.execute(insert(AuditEvent), events)
