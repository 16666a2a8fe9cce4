"""Reported time and attested weeks (TIME)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, ScaledDecimal, company_fk
from gql_portal.permissions.matrix import Area


class TimeEntry(IdMixin, CompanyOwned, Base):
    __tablename__ = "time_entries"
    __area__: ClassVar[Area] = Area.TIME
    __table_args__ = (Index("ix_time_entries_employee_id_date", "employee_id", "date"),)

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    time_code_id: Mapped[int] = mapped_column(ForeignKey("time_codes.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    comment: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WeekAttestation(IdMixin, CompanyOwned, Base):
    """An admin's attestation of one employee's ISO week; attested weeks are locked."""

    __tablename__ = "week_attestations"
    __area__: ClassVar[Area] = Area.TIME
    __table_args__ = (UniqueConstraint("employee_id", "week_start"),)

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    week_start: Mapped[date]  # the Monday
    attested_at: Mapped[datetime]
    attested_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
