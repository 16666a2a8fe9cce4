"""The email outbox: every mail is queued here first, then delivered when SMTP is configured."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, IdMixin


class MailStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Never sent: written so that a request about an address without an account does the same
    # work as one about an account (nobody learns which addresses have one). Not delivered.
    DROPPED = "DROPPED"


class OutboxMessage(IdMixin, Base):
    __tablename__ = "email_outbox"
    __table_args__ = (
        Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),
        # At most one mail of a kind to an address per few minutes (mailer.recently_mailed).
        Index("ix_email_outbox_to_address_kind_created_at", "to_address", "kind", "created_at"),
    )

    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    links: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[MailStatus] = mapped_column(
        Enum(MailStatus, native_enum=False, create_constraint=False, length=16)
    )
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
