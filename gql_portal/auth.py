"""From a request's session token to the viewer's Access: one SQL statement per request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select

from gql_portal.db.accounts import AuthSession, Company, Membership
from gql_portal.db.employees import Employee
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.permissions.access import ANONYMOUS, Access, Gate
from gql_portal.permissions.matrix import Actor
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.security import token_hash

SESSION_COOKIE = "gql_portal_session"

_ROLE_OF = {Role.ADMIN: SchemaRole.COMPANY_ADMIN, Role.EMPLOYEE: SchemaRole.EMPLOYEE}
_ACTOR_OF = {Role.ADMIN: Actor.ADMIN, Role.EMPLOYEE: Actor.EMPLOYEE}


def company_gate(company: Company, context: SessionContext, now: datetime) -> Gate:
    if company.activated_at is None and now >= company.trial_ends_at:
        return Gate.TRIAL_EXPIRED
    if (
        company.is_accounting_firm
        and company.activated_at is not None
        and context is SessionContext.COMPANY
    ):
        return Gate.FEATURE_DISABLED
    return Gate.OPEN


async def access_for_token(runtime: Runtime, token: str | None) -> Access:
    """The viewer behind a session token; anonymous when it is unknown, expired or revoked."""
    if not token:
        return ANONYMOUS
    now = runtime.clock.now()
    statement = (
        select(AuthSession, Company, Membership.role, Employee.id)
        .join(Company, Company.id == AuthSession.company_id)
        .join(
            Membership,
            and_(
                Membership.user_id == AuthSession.user_id,
                Membership.company_id == AuthSession.company_id,
            ),
        )
        .outerjoin(
            Employee,
            and_(
                Employee.user_id == AuthSession.user_id,
                Employee.company_id == AuthSession.company_id,
                Employee.active,
            ),
        )
        .where(
            AuthSession.token_hash == token_hash(runtime.settings.secret_key, token),
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )
    async with runtime.database.session() as session:
        row = (await session.execute(statement)).first()
    if row is None:
        return ANONYMOUS
    auth_session, company, role, employee_id = row
    if auth_session.context is SessionContext.PORTAL:
        if not company.is_accounting_firm:
            return ANONYMOUS
        schema_role, actor = SchemaRole.PARTNER_PORTAL, None
    else:
        schema_role, actor = _ROLE_OF[role], _ACTOR_OF[role]
    return Access(
        role=schema_role,
        user_id=auth_session.user_id,
        session_id=auth_session.id,
        company_id=company.id,
        actor=actor,
        gate=company_gate(company, auth_session.context, now),
        company_is_firm=company.is_accounting_firm,
        employee_id=employee_id,
    )
