"""Expenses, mileage and receipt files (EXPENSES_RECEIPTS). Files live in the storage folder."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, String
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
from gql_portal.domain.expenses import (
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    RepresentationKind,
    VehicleKind,
)
from gql_portal.permissions.matrix import Area


def _all_of_the_vat(context: Any) -> Any:
    """A row written without its deductible VAT (demo, seeds): all of its VAT."""
    return context.get_current_parameters()["vat_amount"]


class Expense(IdMixin, CompanyOwned, Base):
    __tablename__ = "expenses"
    __area__: ClassVar[Area] = Area.EXPENSES_RECEIPTS
    __table_args__ = (
        Index("ix_expenses_employee_id_date", "employee_id", "date"),
        Index("ix_expenses_company_id_status_date", "company_id", "status", "date"),
        Index("uq_expenses_company_id_voucher_number", "company_id", "voucher_number", unique=True),
    )

    company_id: Mapped[int] = company_fk()
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    kind: Mapped[ExpenseKind] = enum_column(ExpenseKind)
    date: Mapped[date]
    description: Mapped[str] = mapped_column(String(500))
    category: Mapped[ExpenseCategory] = enum_column(ExpenseCategory)
    # The receipt's currency (ISO 4217). In another currency than SEK the receipt's own gross
    # amount and the rate (SEK per unit) are kept; `amount` is always the SEK paid out.
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    original_amount: Mapped[Decimal | None] = mapped_column(Money())
    exchange_rate: Mapped[Decimal | None] = mapped_column(ScaledDecimal(6))
    amount: Mapped[Decimal] = mapped_column(Money())  # gross in SEK, VAT included
    # The sum of the VAT lines' VAT (ExpenseVatLine), and their one rate (None: several rates).
    vat_amount: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    # The VAT the company may deduct: all of it, but for representation (capped per person).
    deductible_vat: Mapped[Decimal] = mapped_column(Money(), default=_all_of_the_vat)
    # Representation only: internal or external, who took part ([{"name", "company"}], the
    # employee included) and why.
    representation_kind: Mapped[RepresentationKind | None] = enum_column(RepresentationKind)
    participants: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    purpose: Mapped[str | None] = mapped_column(String(500))
    # Mileage only
    distance_km: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))
    vehicle: Mapped[VehicleKind | None] = enum_column(VehicleKind)
    rate_per_mil: Mapped[Decimal | None] = mapped_column(Money())
    # Voucher data (Bokföringslagen 5 kap. 7 §): the counterparty, where to book it, and the
    # number in the company's gap-free expense voucher series, given when the expense is approved.
    supplier_name: Mapped[str | None] = mapped_column(String(200))
    supplier_org_number: Mapped[str | None] = mapped_column(String(20))
    cost_centre: Mapped[str | None] = mapped_column(String(20))
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="SET NULL"), index=True
    )
    voucher_number: Mapped[int | None]
    status: Mapped[ExpenseStatus] = enum_column(ExpenseStatus)
    decided_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    decided_at: Mapped[datetime | None]
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ExpenseVatLine(IdMixin, CompanyOwned, Base):
    """One VAT rate of an expense's receipt: net at that rate and its VAT. An expense's lines
    add up to its amount (gross = sum of net + VAT), to the öre; mileage has one 0 % line."""

    __tablename__ = "expense_vat_lines"
    __area__: ClassVar[Area] = Area.EXPENSES_RECEIPTS
    __table_args__ = (
        Index("uq_expense_vat_lines_expense_id_position", "expense_id", "position", unique=True),
    )

    company_id: Mapped[int] = company_fk()
    expense_id: Mapped[int] = mapped_column(ForeignKey("expenses.id", ondelete="CASCADE"))
    employee_id: Mapped[int] = mapped_column(ForeignKey("employees.id", ondelete="CASCADE"))
    position: Mapped[int]  # from 0, as entered
    rate: Mapped[Decimal] = mapped_column(ScaledDecimal(2))
    net: Mapped[Decimal] = mapped_column(Money())
    vat: Mapped[Decimal] = mapped_column(Money())


class ExpenseVoucherSeries(IdMixin, CompanyOwned, Base):
    """The last voucher number given in a company's expense series. Raised in the transaction
    that approves an expense, so a number is used exactly when an approval commits: no gaps."""

    __tablename__ = "expense_voucher_series"
    __area__: ClassVar[Area] = Area.EXPENSES_RECEIPTS
    __table_args__ = (Index("uq_expense_voucher_series_company_id", "company_id", unique=True),)

    company_id: Mapped[int] = company_fk()
    last_number: Mapped[int] = mapped_column(default=0)


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
