"""Collaborations: which accounting firm reaches which client, at which level (COLLABORATIONS)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, ForeignKey, Index, and_, false, or_, text
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, enum_column
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class Collaboration(IdMixin, CompanyOwned, Base):
    """Owned by the client (`company_id`); the firm sees it through its own id."""

    __tablename__ = "collaborations"
    __area__: ClassVar[Area] = Area.COLLABORATIONS
    __table_args__ = (
        # At most one ACTIVE (or PENDING) collaboration per firm and client.
        Index(
            "uq_collaborations_firm_id_company_id_open",
            "firm_id",
            "company_id",
            unique=True,
            sqlite_where=text("state IN ('PENDING', 'ACTIVE')"),
            postgresql_where=text("state IN ('PENDING', 'ACTIVE')"),
        ),
    )

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    firm_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    level: Mapped[AccessLevel] = enum_column(AccessLevel)
    state: Mapped[CollaborationState] = enum_column(CollaborationState)
    initiated_by: Mapped[Initiator] = enum_column(Initiator)
    # A level change the firm asked for, waiting for the client's answer.
    requested_level: Mapped[AccessLevel | None] = enum_column(AccessLevel)
    created_at: Mapped[datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    activated_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        # A FULL partner inside the client's company: only its own firm's collaboration.
        return cls.firm_id == access.acting_firm_id if access.acting_firm_id else false()

    @classmethod
    def firm_rows(cls, access: Access) -> ColumnElement[bool] | None:
        # In the portal: every collaboration of the viewer's firm, in any state; an ACTIVE one
        # only when the viewer reaches its client (inside the firm, the client may be assigned
        # to others: gql_portal/db/firm.py).
        return and_(
            cls.firm_id == access.company_id,
            or_(
                cls.state != CollaborationState.ACTIVE,
                cls.company_id.in_(sorted(access.client_ids)),
            ),
        )
