"""The audit log: who did what, as which firm, in which company."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin
from gql_portal.permissions.matrix import Area


class AuditEvent(IdMixin, CompanyOwned, Base):
    __tablename__ = "audit_events"
    __area__: ClassVar[Area] = Area.AUDIT
    __table_args__ = (Index("ix_audit_events_company_id_at", "company_id", "at"),)

    at: Mapped[datetime]
    # An `AuditAction`'s value (gql_portal.domain.audit), stored as its name.
    action: Mapped[str] = mapped_column(String(60), index=True)
    # The matrix area the event concerns: the action's (null for account events).
    area: Mapped[str | None] = mapped_column(String(32))
    # The company whose data or account the event concerns (null for anonymous failures).
    company_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when a partner firm's user acted in a client's company.
    actor_firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    subject_email: Mapped[str | None] = mapped_column(String(254))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
