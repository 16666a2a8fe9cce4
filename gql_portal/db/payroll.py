"""Payroll periods and the frozen payroll basis of locked periods (PAYROLL_BASIS)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import (
    Base,
    CompanyOwned,
    IdMixin,
    Money,
    ScaledDecimal,
    company_fk,
    enum_column,
)
from gql_portal.domain.payroll import LineSource, PeriodState
from gql_portal.domain.time import Unit
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class PayrollPeriod(IdMixin, CompanyOwned, Base):
    __tablename__ = "payroll_periods"
    __area__: ClassVar[Area] = Area.PAYROLL_BASIS
    __table_args__ = (UniqueConstraint("company_id", "start_date"),)

    company_id: Mapped[int] = company_fk()
    start_date: Mapped[date]
    end_date: Mapped[date]
    state: Mapped[PeriodState] = enum_column(PeriodState)
    locked_at: Mapped[datetime | None]
    locked_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    exported_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return true()  # periods are the company's; the lines in them are personal


class PayrollLine(IdMixin, CompanyOwned, Base):
    """A line of a locked period's frozen basis (open periods are computed live)."""

    __tablename__ = "payroll_lines"
    __area__: ClassVar[Area] = Area.PAYROLL_BASIS
    __table_args__ = (Index("ix_payroll_lines_period_id_employee_id", "period_id", "employee_id"),)

    company_id: Mapped[int] = company_fk()
    period_id: Mapped[int] = mapped_column(ForeignKey("payroll_periods.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    position: Mapped[int]
    date: Mapped[date]
    pay_type: Mapped[str | None] = mapped_column(String(20))  # the client's lonart, if any
    description: Mapped[str] = mapped_column(String(200))
    time_code: Mapped[str | None] = mapped_column(String(10))  # the PAXml time code, if any
    # Three places: mileage in mil is km / 10 (12.345); read back with at least two.
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(3))
    unit: Mapped[Unit | None] = enum_column(Unit)
    unit_price: Mapped[Decimal | None] = mapped_column(Money())
    amount: Mapped[Decimal | None] = mapped_column(Money())
    source: Mapped[LineSource] = enum_column(LineSource)
    source_id: Mapped[int]
    # Time and absence: the hours behind the line (PAXml timmar), and an absence's extent
    # (omfattning); a DAYS line's quantity is days, its hours are still known.
    hours: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    extent_percent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    # The standard PAXml code (tidkod of a time line, lonkod of a money line), the moms of an
    # expense, the project (resenhet on dimension 6: PROJECT_DIMENSION), clock times, and
    # whether the line is shown only (a monthly employee's scheduled hours, TID).
    code: Mapped[str | None] = mapped_column(String(20))
    vat: Mapped[Decimal | None] = mapped_column(Money())
    project: Mapped[str | None] = mapped_column(String(20))
    start_time: Mapped[datetime | None] = mapped_column(DateTime())  # local wall-clock time
    end_time: Mapped[datetime | None] = mapped_column(DateTime())
    informational: Mapped[bool] = mapped_column(default=False)

    @classmethod
    def exported(cls) -> ColumnElement[bool]:
        """The lines a file carries: all but the informational ones."""
        return cls.informational.is_(False)


class PayrollEmployee(IdMixin, CompanyOwned, Base):
    """An employee in a locked period's frozen basis (also one without lines), with the weeks
    that were unattested when it was frozen (the employee was preliminary then)."""

    __tablename__ = "payroll_employees"
    __area__: ClassVar[Area] = Area.PAYROLL_BASIS
    __table_args__ = (UniqueConstraint("period_id", "employee_id"),)

    company_id: Mapped[int] = company_fk()
    period_id: Mapped[int] = mapped_column(ForeignKey("payroll_periods.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    unattested_weeks: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO Mondays
