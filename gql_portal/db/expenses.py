"""Expenses, mileage and receipt files (EXPENSES_RECEIPTS). Files live in the storage folder."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String
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
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus, VehicleKind
from gql_portal.permissions.matrix import Area


class Expense(IdMixin, CompanyOwned, Base):
    __tablename__ = "expenses"
    __area__: ClassVar[Area] = Area.EXPENSES_RECEIPTS
    __table_args__ = (
        Index("ix_expenses_employee_id_date", "employee_id", "date"),
        Index("ix_expenses_company_id_status_date", "company_id", "status", "date"),
    )

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    kind: Mapped[ExpenseKind] = enum_column(ExpenseKind)
    date: Mapped[date]
    description: Mapped[str] = mapped_column(String(500))
    category: Mapped[ExpenseCategory] = enum_column(ExpenseCategory)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    amount: Mapped[Decimal] = mapped_column(Money())  # gross, VAT included
    vat_amount: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    # Mileage only
    distance_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    vehicle: Mapped[VehicleKind | None] = enum_column(VehicleKind)
    rate_per_mil: Mapped[Decimal | None] = mapped_column(Money())
    status: Mapped[ExpenseStatus] = enum_column(ExpenseStatus)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Receipt(IdMixin, CompanyOwned, Base):
    __tablename__ = "receipts"
    __area__: ClassVar[Area] = Area.EXPENSES_RECEIPTS
    __table_args__ = (
        # The same file once per expense; storage is content-addressed, so receipts on different
        # expenses (a rejected one and its resubmission) may share one stored file.
        Index("uq_receipts_expense_id_sha256", "expense_id", "sha256", unique=True),
    )

    company_id: Mapped[int] = company_fk()
    expense_id: Mapped[int] = mapped_column(
        ForeignKey("expenses.id", ondelete="CASCADE"), index=True
    )
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), index=True)
    uploaded_at: Mapped[datetime]
