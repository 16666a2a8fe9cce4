"""From a request's session token to the viewer's Access: one SQL statement per request.

The lookup writes nothing (no last-seen stamp): a request's session costs one read. What it
read on the way (the user, the company, the viewer's employee row) rides along on the Access
(`Access.rows`, a `SessionRows`), so the viewer and an employee's own writes need not read
them again. Everything is read per request: a revoked or expired session, a removed membership
or an ended collaboration counts from the next request.

It runs on every request, so it reads plain columns on a Core connection (no ORM session, no
row scoping: it decides the scope) and makes the three rows it hands on into detached ORM
objects itself, as a closed session would have left them: about half the CPU of an ORM
session's read of the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.orm import InstrumentedAttribute, make_transient_to_detached

from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.base import Base
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.firm import client_facts, read_client_facts
from gql_portal.db.scope import reaches
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState
from gql_portal.permissions.access import ANONYMOUS, Access, Gate
from gql_portal.permissions.firm_reach import enters_clients, reaches_client, reaches_every_client
from gql_portal.permissions.matrix import Actor, Op
from gql_portal.permissions.roles import SchemaRole, portal_role
from gql_portal.runtime import Runtime
from gql_portal.security import token_hash

SESSION_COOKIE = "gql_portal_session"

_ROLE_OF = {Role.ADMIN: SchemaRole.COMPANY_ADMIN, Role.EMPLOYEE: SchemaRole.EMPLOYEE}
_ACTOR_OF = {
    Role.ADMIN: Actor.ADMIN,
    Role.EMPLOYEE: Actor.EMPLOYEE,
    Role.ASSISTANT: Actor.ASSISTANT,
}


@dataclass(frozen=True)
class SessionRows:
    """The rows the session lookup read, as of this request (detached: read-only use)."""

    user: User
    company: Company  # the Access's company (in the portal: the viewer's firm)
    employee: Employee | None  # the viewer's active employee row in it (Access.employee_id)


def session_rows(access: Access) -> SessionRows | None:
    """The rows the lookup behind `access` read (None for an Access made otherwise)."""
    rows = access.rows
    if not isinstance(rows, SessionRows) or rows.user.id != access.user_id:
        return None
    if rows.company.id != access.company_id:
        return None
    return rows


def own_employee(access: Access, op: Op = Op.READ) -> Employee | None:
    """The viewer's own employee row as the lookup read it, when `op`'s row scope reaches it
    (as a scoped read of it would): else None, and the caller reads it."""
    rows = session_rows(access)
    if rows is None or rows.employee is None or rows.employee.id != access.employee_id:
        return None
    if not reaches(access, Employee, op, rows.employee.company_id, own=True):
        return None
    return rows.employee


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
    return await _access_where(
        runtime,
        _SESSION_BY_TOKEN_HASH,
        {"which": token_hash(runtime.settings.secret_key, token)},
    )


async def access_for_session_id(runtime: Runtime, session_id: int) -> Access:
    """The viewer of a session named by a signed link: its rights as of now."""
    return await _access_where(runtime, _SESSION_BY_ID, {"which": session_id})


class _Loaded:
    """A model's mapped columns, selected in order and made into a detached object from the
    row's slice (as an ORM session's read then close would leave it: every column loaded,
    relationships not)."""

    def __init__(self, model: type[Base]) -> None:
        self.model = model
        self.keys = tuple(prop.key for prop in inspect(model).column_attrs)
        self.columns: tuple[InstrumentedAttribute[Any], ...] = tuple(
            getattr(model, key) for key in self.keys
        )
        self.new_instance = inspect(model).class_manager.new_instance

    def detached(self, values: tuple[Any, ...]) -> Any:
        """The object, or None for an outer join's missing row (its id is NULL)."""
        fields = dict(zip(self.keys, values, strict=True))
        if fields["id"] is None:
            return None
        instance = self.new_instance()
        instance.__dict__.update(fields)
        make_transient_to_detached(instance)  # its identity, its history reset as if loaded
        return instance


_COMPANY = _Loaded(Company)
_USER = _Loaded(User)
_EMPLOYEE = _Loaded(Employee)
_SESSION_COLUMNS = (
    AuthSession.id,
    AuthSession.user_id,
    AuthSession.company_id,
    AuthSession.acting_firm_id,
    AuthSession.context,
)


@dataclass(frozen=True)
class _Found:
    """The lookup's row, cut into its parts."""

    session_id: int
    user_id: int
    acting_firm_id: int | None
    context: SessionContext
    company: Company
    user: User
    role: Role
    employee: Employee | None
    full_collaboration: int | None
    facts: tuple[Any, ...]

    @classmethod
    def of(cls, row: tuple[Any, ...]) -> _Found:
        at = len(_SESSION_COLUMNS)  # id, user_id, company_id, acting_firm_id, context
        company = _COMPANY.detached(row[at : (at := at + len(_COMPANY.keys))])
        user = _USER.detached(row[at : (at := at + len(_USER.keys))])
        role = row[at]
        employee = _EMPLOYEE.detached(row[at + 1 : (at := at + 1 + len(_EMPLOYEE.keys))])
        return cls(
            session_id=row[0],
            user_id=row[1],
            acting_firm_id=row[3],
            context=row[4],
            company=company,
            user=user,
            role=role,
            employee=employee,
            full_collaboration=row[at],
            facts=tuple(row[at + 1 :]),
        )


def _live_session(which: ColumnElement[bool], now: ColumnElement[datetime]) -> Select[Any]:
    """The session `which` names, if live, with all that decides its access in one row: the
    company, the user, their role, their employee record, and (for a firm's user acting in a
    client's company) the ACTIVE FULL collaboration that lets them, with the facts that decide
    whether the user reaches that client inside the firm (permissions/firm_reach.py)."""
    # The membership that lets the user in: the firm's while acting in a client's company.
    member_of = func.coalesce(AuthSession.acting_firm_id, AuthSession.company_id)
    return (
        select(
            *_SESSION_COLUMNS,
            *_COMPANY.columns,
            *_USER.columns,
            Membership.role,
            *_EMPLOYEE.columns,
            Collaboration.id,
            *client_facts(AuthSession.acting_firm_id, AuthSession.user_id, AuthSession.company_id),
        )
        .select_from(AuthSession)
        .join(Company, Company.id == AuthSession.company_id)
        .join(User, User.id == AuthSession.user_id)
        .join(
            Membership,
            and_(Membership.user_id == AuthSession.user_id, Membership.company_id == member_of),
        )
        .outerjoin(
            Employee,
            and_(
                Employee.user_id == AuthSession.user_id,
                Employee.company_id == AuthSession.company_id,
                Employee.active,
            ),
        )
        .outerjoin(
            # Checked on every request: an ended or downgraded collaboration stops at once.
            Collaboration,
            and_(
                Collaboration.firm_id == AuthSession.acting_firm_id,
                Collaboration.company_id == AuthSession.company_id,
                Collaboration.state == CollaborationState.ACTIVE,
                Collaboration.level == AccessLevel.FULL,
            ),
        )
        .where(
            which,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
    )


# The lookups, built once (with their firm-reach subqueries, building one took longer than
# running it): the session and the time are parameters.
_NOW: ColumnElement[datetime] = bindparam("now")
_SESSION_BY_TOKEN_HASH = _live_session(AuthSession.token_hash == bindparam("which"), _NOW)
_SESSION_BY_ID = _live_session(AuthSession.id == bindparam("which"), _NOW)
_COMPANY_BY_ID = select(*_COMPANY.columns).where(Company.id == bindparam("which"))


async def _access_where(
    runtime: Runtime, lookup: Select[Any], parameters: dict[str, Any]
) -> Access:
    now = runtime.clock.now()
    async with runtime.database.engine.connect() as connection:
        row = (await connection.execute(lookup, {**parameters, "now": now})).first()
        if row is None:
            return ANONYMOUS
        found = _Found.of(tuple(row))
        role, company, user = found.role, found.company, found.user
        if found.acting_firm_id is not None:
            # Inside the firm, the client may be another user's: an unassignment (or a change
            # of the firm's policy) counts from the next request.
            if (
                found.full_collaboration is not None
                and enters_clients(_ACTOR_OF[role])
                and reaches_client(_ACTOR_OF[role], read_client_facts(found.facts))
            ):
                return Access(
                    role=SchemaRole.COMPANY_ADMIN,
                    user_id=found.user_id,
                    session_id=found.session_id,
                    company_id=company.id,
                    actor=Actor.FULL_PARTNER,
                    acting_firm_id=found.acting_firm_id,
                    gate=company_gate(company, SessionContext.COMPANY, now),
                    rows=SessionRows(user, company, None),
                )
            # The collaboration ended or is no longer FULL: back in the firm's portal.
            firm_row = (
                await connection.execute(_COMPANY_BY_ID, {"which": found.acting_firm_id})
            ).one()
            firm: Company = _COMPANY.detached(tuple(firm_row))
            return await _portal_access(connection, found, firm, user, _ACTOR_OF[role], now)
        # A firm's assistant has only the portal, whatever the session's context.
        if found.context is SessionContext.PORTAL or role is Role.ASSISTANT:
            if not company.is_accounting_firm:
                return ANONYMOUS
            return await _portal_access(connection, found, company, user, _ACTOR_OF[role], now)
    employee = found.employee
    return Access(
        role=_ROLE_OF[role],
        user_id=found.user_id,
        session_id=found.session_id,
        company_id=company.id,
        actor=_ACTOR_OF[role],
        gate=company_gate(company, found.context, now),
        company_is_firm=company.is_accounting_firm,
        employee_id=employee.id if employee is not None else None,
        rows=SessionRows(user, company, employee),
    )


async def _portal_access(
    connection: AsyncConnection,
    found: _Found,
    firm: Company,
    user: User,
    firm_actor: Actor,
    now: datetime,
) -> Access:
    """A partner in the portal: the firm's clients with an ACTIVE collaboration that the user
    reaches inside the firm (permissions/firm_reach.py: its admins all; others by the firm's
    setting or their assignments), read per request in one statement (nothing cached: a change
    of level, an end or an unassignment counts from the next request)."""
    statement = select(Collaboration.company_id, Collaboration.level).where(
        Collaboration.firm_id == firm.id, Collaboration.state == CollaborationState.ACTIVE
    )
    every_client = reaches_every_client(firm_actor)
    if not every_client:
        statement = statement.add_columns(*client_facts(firm.id, user.id, Collaboration.company_id))
    levels: dict[int, AccessLevel] = {}
    for row in await connection.execute(statement):
        if every_client or reaches_client(firm_actor, read_client_facts(row[2:])):
            levels[row[0]] = row[1]
    return Access(
        role=portal_role(firm_actor),
        user_id=found.user_id,
        session_id=found.session_id,
        company_id=firm.id,
        gate=company_gate(firm, SessionContext.PORTAL, now),
        company_is_firm=True,
        client_ids=frozenset(levels),
        full_client_ids=frozenset(c for c, level in levels.items() if level is AccessLevel.FULL),
        firm_actor=firm_actor,
        rows=SessionRows(user, firm, None),
    )
