"""Reported time and attested weeks (TIME)."""

from __future__ import annotations

import datetime as _dt
from datetime import date, datetime
from datetime import time as ClockTime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from gql_portal.db.base import Base, CompanyOwned, IdMixin, ScaledDecimal, company_fk
from gql_portal.domain.time import week_start as monday_of
from gql_portal.permissions.matrix import Area


def _week_start_of_date(context: Any) -> date:
    """An INSERT without `week_start` (SQLAlchemy Core): the Monday of the row's `date`."""
    return monday_of(context.get_current_parameters()["date"])


class TimeEntry(IdMixin, CompanyOwned, Base):
    __tablename__ = "time_entries"
    __area__: ClassVar[Area] = Area.TIME
    __table_args__ = (
        Index("ix_time_entries_employee_id_date", "employee_id", "date"),
        # A company's entries of a date range (the payroll basis, the portal board), covering
        # what the board's "employees with unattested weeks" needs (migration 0005).
        Index("ix_time_entries_company_id_date", "company_id", "date", "employee_id", "week_start"),
    )

    # Indexed by ix_time_entries_company_id_date (its first column).
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    date: Mapped[date]
    # The Monday of `date`'s ISO week, stored: the week is matched against week_attestations
    # without computing it per row. Kept by the ORM (`_date_set`) and, for Core inserts, by
    # the column default; a Core UPDATE of `date` must set it too.
    week_start: Mapped[_dt.date] = mapped_column(default=_week_start_of_date)
    hours: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    time_code_id: Mapped[int] = mapped_column(ForeignKey("time_codes.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id"), index=True)
    activity_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))
    comment: Mapped[str | None] = mapped_column(String(500))
    # When the work was done, if the employee said (local wall-clock times; an end at or before
    # the start is the next day): then `hours` is end - start - break (domain.time).
    start_time: Mapped[ClockTime | None]
    end_time: Mapped[ClockTime | None]
    break_minutes: Mapped[int | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @validates("date")
    def _date_set(self, _key: str, value: _dt.date) -> _dt.date:
        self.week_start = monday_of(value)
        return value


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
