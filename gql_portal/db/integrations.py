"""The integration between the time service and the company's payroll program (INTEGRATIONS)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, enum_column
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
