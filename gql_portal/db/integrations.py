"""The integration between the time service and the company's payroll program (INTEGRATIONS):
its state, where it delivers (an endpoint URL and a signing secret), and the delivery outbox with
its log of attempts (gql_portal/jobs/deliveries.py sends them)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk, enum_column
from gql_portal.domain.accounts import PayrollProgram
from gql_portal.permissions.matrix import Area


class IntegrationState(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"  # deactivated; activating again reuses the row


class PayrollIntegration(IdMixin, CompanyOwned, Base):
    """At most one per company. Activated by the company's admin, or by a FULL partner logged in
    to the company (then `activated_by_firm_id` names the firm)."""

    __tablename__ = "payroll_integrations"
    __area__: ClassVar[Area] = Area.INTEGRATIONS

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # The company's payroll program when the integration was (last) activated.
    program: Mapped[PayrollProgram] = enum_column(PayrollProgram)
    state: Mapped[IntegrationState] = enum_column(IntegrationState)
    activated_at: Mapped[datetime]
    activated_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    activated_by_firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL")
    )
    deactivated_at: Mapped[datetime | None]
    # Where the payroll basis is delivered (POST), and the HMAC key of its signature. The secret
    # is write-only over the API: only when it was set and a short fingerprint are shown.
    endpoint_url: Mapped[str | None] = mapped_column(String(2000))
    secret: Mapped[str | None] = mapped_column(String(200))
    secret_set_at: Mapped[datetime | None]

    @property
    def delivers(self) -> bool:
        """Whether a lock or re-export is to be delivered: active, with somewhere to send it."""
        return (
            self.state is IntegrationState.ACTIVE
            and self.endpoint_url is not None
            and self.secret is not None
        )


class DeliveryEvent(StrEnum):
    # The payroll integration: the period's PAXml basis.
    PERIOD_LOCKED = "PERIOD_LOCKED"  # the frozen basis, written as the export would on lock day
    PERIOD_REEXPORTED = "PERIOD_REEXPORTED"  # the re-export's own file (nyexport)
    # Generic webhooks: a live event's kind and ids (JSON), as the bus carries it.
    EXPENSE_CHANGED = "EXPENSE_CHANGED"
    PAYROLL_PERIOD_CHANGED = "PAYROLL_PERIOD_CHANGED"
    COLLABORATION_CHANGED = "COLLABORATION_CHANGED"


WEBHOOK_EVENTS = (
    DeliveryEvent.EXPENSE_CHANGED,
    DeliveryEvent.PAYROLL_PERIOD_CHANGED,
    DeliveryEvent.COLLABORATION_CHANGED,
)


class DeliveryStatus(StrEnum):
    QUEUED = "QUEUED"  # due at next_attempt_at (the first try, or a retry after back-off)
    SENDING = "SENDING"  # claimed by a worker until next_attempt_at (then any worker retakes it)
    DELIVERED = "DELIVERED"  # the endpoint answered 2xx
    FAILED = "FAILED"  # given up: too many attempts, or the basis it was for is gone


class AttemptOutcome(StrEnum):
    DELIVERED = "DELIVERED"  # 2xx
    REFUSED = "REFUSED"  # any other HTTP status
    TIMEOUT = "TIMEOUT"  # no answer within the timeout
    ERROR = "ERROR"  # no connection, or the body could not be produced


class Webhook(IdMixin, CompanyOwned, Base):
    """A company's generic webhook: one endpoint per event kind, signed as the payroll
    integration's deliveries are, with its own write-only secret."""

    __tablename__ = "webhooks"
    __area__: ClassVar[Area] = Area.INTEGRATIONS
    __table_args__ = (UniqueConstraint("company_id", "event"),)

    company_id: Mapped[int] = company_fk()
    event: Mapped[DeliveryEvent] = enum_column(DeliveryEvent)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    secret_set_at: Mapped[datetime]
    created_at: Mapped[datetime]


class IntegrationDelivery(IdMixin, CompanyOwned, Base):
    """One delivery of a period's PAXml basis to the integration's endpoint: queued in the
    transaction that locked the period (or finished its re-export), so it exists exactly when
    that committed. What it sends is pinned: the period's basis version (`locked_at` when
    queued) and export date, or the re-export's stored file; the bytes are stored at the first
    attempt (`body_*`), so every retry sends the same bytes under the same delivery id."""

    __tablename__ = "integration_deliveries"
    __area__: ClassVar[Area] = Area.INTEGRATIONS
    __table_args__ = (
        Index("ix_integration_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )

    company_id: Mapped[int] = company_fk()
    # The payroll integration's delivery, or a webhook's (exactly one of the two).
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("payroll_integrations.id", ondelete="CASCADE"), index=True
    )
    webhook_id: Mapped[int | None] = mapped_column(
        ForeignKey("webhooks.id", ondelete="CASCADE"), index=True
    )
    event: Mapped[DeliveryEvent] = enum_column(DeliveryEvent)
    # A webhook's body: the event's kind and ids (never data), as JSON.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("payroll_periods.id", ondelete="SET NULL"), index=True
    )
    basis_version: Mapped[datetime | None]  # the period's locked_at when queued
    export_date: Mapped[date | None]  # PERIOD_LOCKED: the file's header date (lock day)
    export_id: Mapped[int | None] = mapped_column(ForeignKey("exports.id", ondelete="SET NULL"))
    # "Send again": the delivery whose bytes this one sends under a new delivery id.
    redelivery_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("integration_deliveries.id", ondelete="SET NULL")
    )
    body_key: Mapped[str | None] = mapped_column(String(300))
    body_sha256: Mapped[str | None] = mapped_column(String(64))
    body_size: Mapped[int | None]
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_response_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(String(300))


class DeliveryAttempt(IdMixin, CompanyOwned, Base):
    """One POST of a delivery (the delivery log): when, how it ended, how long it took."""

    __tablename__ = "integration_delivery_attempts"
    __area__: ClassVar[Area] = Area.INTEGRATIONS

    company_id: Mapped[int] = company_fk()
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("integration_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]  # 1 for the first attempt of its delivery
    started_at: Mapped[datetime]
    duration_ms: Mapped[int]
    outcome: Mapped[AttemptOutcome] = enum_column(AttemptOutcome)
    response_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(String(300))


def queue_payroll_delivery(
    session: AsyncSession,
    integration: PayrollIntegration,
    event: DeliveryEvent,
    *,
    now: datetime,
    period_id: int | None,
    basis_version: datetime | None = None,
    export_date: date | None = None,
    export_id: int | None = None,
    body: tuple[str, str, int] | None = None,
) -> IntegrationDelivery:
    """Add a delivery to the outbox in the caller's transaction (the lock's, the re-export's):
    it is sent only if that commits. `body`: a file already stored (key, SHA-256, size)."""
    key, sha256, size = body if body is not None else (None, None, None)
    delivery = IntegrationDelivery(
        company_id=integration.company_id,
        integration_id=integration.id,
        event=event,
        period_id=period_id,
        basis_version=basis_version,
        export_date=export_date,
        export_id=export_id,
        body_key=key,
        body_sha256=sha256,
        body_size=size,
        status=DeliveryStatus.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(delivery)
    return delivery
