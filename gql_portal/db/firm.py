"""Inside an accounting firm: which of its users work on which client (issue 20).

A firm's admins assign users to clients, directly or through teams (a named group of the firm's
users, assigned to clients). The firm's setting `CompanySettings.unassigned_users_see_all_clients`
(default true: every user of the firm reaches every ACTIVE client, as before) decides whether
a user without an assignment still reaches all; when false, a user who is not the firm's admin
reaches only the clients assigned to them or to one of their teams.

These are the firm's own rows, not a client's data: they are not `CompanyOwned` (no client's
row scope applies); only the firm's admins read or change them, decided in
`gql_portal.permissions.rules.managed_firm`, and every function here takes that firm's id.
`client_facts` are the columns the session lookup (gql_portal/auth.py) reads with each client in
its one query of the viewer's clients; gql_portal/permissions/firm_reach.py decides from them,
so the reach costs no statement per assignment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    delete,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, IdMixin
from gql_portal.db.settings import CompanySettings
from gql_portal.permissions.firm_reach import ClientFacts

# An id, or a column or expression holding one.
SqlInt = ColumnElement[Any] | Any


class FirmAssignment(IdMixin, Base):
    """One user of the firm assigned to one of the firm's clients."""

    __tablename__ = "firm_assignments"
    __table_args__ = (UniqueConstraint("firm_id", "user_id", "client_id"),)

    firm_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class FirmTeam(IdMixin, Base):
    """A named group of the firm's users; the team's clients are reached by all its members."""

    __tablename__ = "firm_teams"
    __table_args__ = (UniqueConstraint("firm_id", "name"),)

    firm_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class FirmTeamMember(IdMixin, Base):
    __tablename__ = "firm_team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("firm_teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class FirmTeamClient(IdMixin, Base):
    __tablename__ = "firm_team_clients"
    __table_args__ = (UniqueConstraint("team_id", "client_id"),)

    team_id: Mapped[int] = mapped_column(ForeignKey("firm_teams.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


def unassigned_users_see_all(firm_id: SqlInt) -> ColumnElement[bool]:
    """The firm's setting, as SQL (a firm without a settings row keeps the default, true)."""
    setting = (
        select(CompanySettings.unassigned_users_see_all_clients)
        .where(CompanySettings.company_id == firm_id)
        .scalar_subquery()
    )
    return func.coalesce(setting, true()).is_(True)


def assigned_to(
    firm_id: SqlInt,
    user_id: SqlInt,
    client_id: SqlInt,
) -> ColumnElement[bool]:
    """Whether the client is assigned to the user, directly or through one of their teams."""
    direct = exists().where(
        FirmAssignment.firm_id == firm_id,
        FirmAssignment.user_id == user_id,
        FirmAssignment.client_id == client_id,
    )
    through_team = exists().where(
        FirmTeam.firm_id == firm_id,
        FirmTeamMember.team_id == FirmTeam.id,
        FirmTeamMember.user_id == user_id,
        FirmTeamClient.team_id == FirmTeam.id,
        FirmTeamClient.client_id == client_id,
    )
    return or_(direct, through_team)


def named_assignment_required(client_id: SqlInt) -> ColumnElement[bool]:
    """The client's condition, as SQL (a client without a settings row: not required). A term
    of the collaboration, which both sides read with it: read from the table itself, so that
    a viewer's SETTINGS row scope (the firm has none of the client's) does not hide it."""
    settings = CompanySettings.__table__.c
    setting = (
        select(settings.require_named_assignment)
        .where(settings.company_id == client_id)
        .scalar_subquery()
    )
    return func.coalesce(setting, false()).is_(True)


def client_facts(
    firm_id: SqlInt,
    user_id: SqlInt,
    client_id: SqlInt,
) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[bool]]:
    """The columns that decide whether a user of the firm reaches a client (ClientFacts, in
    its order), to select with the client's collaboration: one statement, whatever the number
    of assignments."""
    return (
        unassigned_users_see_all(firm_id).label("unassigned_users_see_all"),
        assigned_to(firm_id, user_id, client_id).label("assigned"),
        named_assignment_required(client_id).label("named_assignment_required"),
    )


def read_client_facts(values: Sequence[Any]) -> ClientFacts:
    """`client_facts`' values as read (SQLite answers 0 and 1)."""
    see_all, assigned, named = values
    return ClientFacts(
        unassigned_users_see_all=bool(see_all),
        assigned=bool(assigned),
        named_assignment_required=bool(named),
    )


@dataclass(frozen=True)
class UserAssignments:
    """What a user of the firm is (or, having left it, was) assigned to: the clients assigned to
    them directly, and the teams they are a member of, each with its clients."""

    clients: list[int]
    teams: dict[str, list[int]]

    @property
    def all_clients(self) -> set[int]:
        return set(self.clients).union(*self.teams.values())

    def as_details(self) -> dict[str, Any]:
        """For the audit event of the removal (the leaver report reads it back)."""
        return {"assigned_clients": self.clients, "teams": self.teams}

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> UserAssignments:
        return cls(
            clients=[int(client) for client in details.get("assigned_clients", [])],
            teams={
                str(team): [int(client) for client in clients]
                for team, clients in details.get("teams", {}).items()
            },
        )


async def user_assignments(session: AsyncSession, firm_id: int, user_id: int) -> UserAssignments:
    """A user's assignments in the firm, directly and through teams: two statements."""
    direct = await session.scalars(
        select(FirmAssignment.client_id)
        .where(FirmAssignment.firm_id == firm_id, FirmAssignment.user_id == user_id)
        .order_by(FirmAssignment.client_id)
    )
    clients = list(direct)
    teams: dict[str, list[int]] = {}
    for name, client in await session.execute(
        select(FirmTeam.name, FirmTeamClient.client_id)
        .join(FirmTeamMember, FirmTeamMember.team_id == FirmTeam.id)
        .outerjoin(FirmTeamClient, FirmTeamClient.team_id == FirmTeam.id)
        .where(FirmTeam.firm_id == firm_id, FirmTeamMember.user_id == user_id)
        .order_by(FirmTeam.name, FirmTeamClient.client_id)
    ):
        team = teams.setdefault(name, [])
        if client is not None:
            team.append(client)
    return UserAssignments(clients=clients, teams=teams)


async def end_assignments(session: AsyncSession, firm_id: int, user_id: int) -> UserAssignments:
    """A user left the firm: delete their assignments and team memberships (the teams stay,
    with their other members), answering what they were. Four statements."""
    former = await user_assignments(session, firm_id, user_id)
    await session.execute(
        delete(FirmTeamMember)
        .where(
            FirmTeamMember.user_id == user_id,
            FirmTeamMember.team_id.in_(select(FirmTeam.id).where(FirmTeam.firm_id == firm_id)),
        )
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        delete(FirmAssignment)
        .where(FirmAssignment.firm_id == firm_id, FirmAssignment.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return former
