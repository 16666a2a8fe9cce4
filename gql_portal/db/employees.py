"""Employees: contact details (EMPLOYEE_CONTACT) and salary details (EMPLOYEE_SALARY)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from sqlalchemy import ColumnElement, ForeignKey, Index, String, false, text
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
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class Employee(IdMixin, CompanyOwned, Base):
    __tablename__ = "employees"
    __area__: ClassVar[Area] = Area.EMPLOYEE_CONTACT
    __table_args__ = (
        # Unique among the company's active employees; a former employee's number can return.
        Index(
            "uq_employees_company_id_employee_number_active",
            "company_id",
            "employee_number",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    company_id: Mapped[int] = company_fk()
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Contact (EMPLOYEE_CONTACT)
    employee_number: Mapped[str] = mapped_column(String(20))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    city: Mapped[str | None] = mapped_column(String(100))
    # Salary (EMPLOYEE_SALARY)
    personal_identity_number: Mapped[str | None] = mapped_column(String(12))
    employment_start: Mapped[date | None]
    employment_end: Mapped[date | None]
    employment_form: Mapped[EmploymentForm | None] = enum_column(EmploymentForm)
    employment_extent: Mapped[Decimal | None] = mapped_column(ScaledDecimal(2))  # percent
    salary_form: Mapped[SalaryForm | None] = enum_column(SalaryForm)
    salary_amount: Mapped[Decimal | None] = mapped_column(Money())  # per month or per hour
    tax_table: Mapped[int | None]
    tax_column: Mapped[int | None]
    bank_clearing_number: Mapped[str | None] = mapped_column(String(5))
    bank_account_number: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deactivated_at: Mapped[datetime | None]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return cls.id == access.employee_id if access.employee_id is not None else false()
