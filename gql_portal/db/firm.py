"""Inside an accounting firm: which of its users work on which client (issue 20).

A firm's admins assign users to clients, directly or through teams (a named group of the firm's
users, assigned to clients). The firm's setting `CompanySettings.unassigned_users_see_all_clients`
(default true: every user of the firm reaches every ACTIVE client, as before) decides whether
a user without an assignment still reaches all; when false, a user who is not the firm's admin
reaches only the clients assigned to them or to one of their teams.

These are the firm's own rows, not a client's data: they are not `CompanyOwned` (no client's
row scope applies); only the firm's admins read or change them, decided in
`gql_portal.permissions.rules.managed_firm`, and every function here takes that firm's id.
`reached_by_firm_user` is the condition the session lookup (gql_portal/auth.py) puts in its one
query of the viewer's clients, so the reach costs no statement per assignment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, IdMixin
from gql_portal.db.settings import CompanySettings

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


def reached_by_firm_user(
    firm_id: SqlInt,
    user_id: SqlInt,
    client_id: SqlInt,
) -> ColumnElement[bool]:
    """Whether a user of the firm who is not its admin reaches the client (of an ACTIVE
    collaboration): when the firm lets unassigned users see all clients, or when it is assigned
    to them. (The firm's admins reach every client: the caller leaves them out.) One condition
    inside the caller's statement, whatever the number of assignments."""
    return or_(unassigned_users_see_all(firm_id), assigned_to(firm_id, user_id, client_id))
