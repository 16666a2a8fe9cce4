"""Absence requests and registrations (ABSENCE)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, ScaledDecimal, company_fk, enum_column
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.permissions.matrix import Area


class Absence(IdMixin, CompanyOwned, Base):
    __tablename__ = "absences"
    __area__: ClassVar[Area] = Area.ABSENCE
    __table_args__ = (Index("ix_absences_employee_id_start_date", "employee_id", "start_date"),)

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    kind: Mapped[AbsenceKind] = enum_column(AbsenceKind)
    start_date: Mapped[date]
    end_date: Mapped[date]
    extent_percent: Mapped[Decimal] = mapped_column(ScaledDecimal(2), default=Decimal("100"))
    status: Mapped[AbsenceStatus] = enum_column(AbsenceStatus)
    comment: Mapped[str | None] = mapped_column(String(500))
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
