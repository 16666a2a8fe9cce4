"""A company's approved expenses as SIE 4i vouchers (a .SI file; the writer is domain/sie.py):
what a voucher needs beyond the expenses summary (voucher number, supplier, cost centre,
project, currency, the company's BAS accounts) read in one go, and the file put together.

Decided here:
- One voucher per approved utlägg (kind EXPENSE), in series `EXPENSE_VOUCHER_SERIES` ("U" for
  utlägg; fixed: the receiving program maps an imported series to its own), numbered by the
  company's gap-free voucher number given at approval. An expense approved before numbering
  existed has none: its voucher goes without a number, for the receiving program to number.
- Mileage (kind MILEAGE) is not in the file: it is paid with the salary, and the payroll program
  books it (7331/7332, with tax and fees on any taxable part) from the payroll basis. Booking it
  here as well would book it twice. The export's summary counts what was left out.
- The cost rows carry the cost centre (dimension 1) and the project's code (dimension 6).
- The voucher text says what was bought, from whom (supplier and its organisation number), whose
  utlägg it is, a foreign receipt's own amount and rate, and the receipts' file names in the ZIP.
- Accounts are named by the company's own BAS table where it names them, else by BAS; an
  account the company chose without naming it, and that the portal has no BAS name for, is
  written "Konto NNNN" (#KONTO needs a name; the receiving program keeps its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.bas import CompanyBasAccount, bas_account_table
from gql_portal.db.expenses import Expense
from gql_portal.db.projects import Project
from gql_portal.domain import exports as files
from gql_portal.domain.bas import account_name
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.sie import (
    COST_CENTRE_DIMENSION,
    PROJECT_DIMENSION,
    SieError,
    SieFile,
    SieVoucher,
    expense_voucher,
)
from gql_portal.jobs.exports.common import ExportFailed

EXPENSE_VOUCHER_SERIES = "U"  # utlägg
HOME_CURRENCY = "SEK"


@dataclass(frozen=True, slots=True)
class VoucherFacts:
    """What an expense's voucher needs beyond the summary's columns."""

    category: ExpenseCategory
    voucher_number: int | None
    supplier_name: str | None
    supplier_org_number: str | None
    cost_centre: str | None
    project_code: str | None
    project_name: str | None
    currency: str
    original_amount: Decimal | None
    exchange_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class Bookkeeping:
    """The company's BAS account per category and its own names of accounts."""

    accounts: Mapping[ExpenseCategory, int]
    names: Mapping[int, str]


def is_voucher(expense: files.ExportExpense) -> bool:
    """Whether an expense becomes a voucher: an utlägg; mileage is booked by payroll."""
    return expense.kind == ExpenseKind.EXPENSE.value


async def read_voucher_facts(
    session: AsyncSession, expense_ids: Sequence[int]
) -> dict[int, VoucherFacts]:
    """The voucher data of the expenses, with their projects' codes (one statement). Read as the
    expenses are (a session scoped as EXPENSES_RECEIPTS): a project on an expense is part of it."""
    rows = await session.execute(
        select(
            Expense.id,
            Expense.category,
            Expense.voucher_number,
            Expense.supplier_name,
            Expense.supplier_org_number,
            Expense.cost_centre,
            Project.code,
            Project.name,
            Expense.currency,
            Expense.original_amount,
            Expense.exchange_rate,
        )
        .outerjoin(Project, Project.id == Expense.project_id)
        .where(Expense.id.in_(expense_ids))
    )
    return {row[0]: VoucherFacts(*row[1:]) for row in rows.all()}


async def read_bookkeeping(
    session: AsyncSession, company_ids: Iterable[int]
) -> dict[int, Bookkeeping]:
    """Each company's BAS account per category and its names (two statements for any number)."""
    companies = sorted(set(company_ids))
    tables = await bas_account_table(session, companies)
    names: dict[int, dict[int, str]] = {company_id: {} for company_id in companies}
    named = await session.execute(
        select(CompanyBasAccount.company_id, CompanyBasAccount.account, CompanyBasAccount.name)
        .where(CompanyBasAccount.company_id.in_(companies), CompanyBasAccount.name.is_not(None))
        .order_by(CompanyBasAccount.id)
    )
    for company_id, account, name in named.all():
        if name:
            names[company_id][account] = name
    return {key: Bookkeeping(tables[key], names[key]) for key in companies}


def voucher_text(expense: files.ExportExpense, facts: VoucherFacts) -> str:
    """What was bought, from whom, whose utlägg, and a foreign receipt's own amount:
    "Hotell två nätter, Scandic Hotels AB (556112-3456), utlägg Åsa Öberg, 120.00 EUR à 11.45"."""
    parts = [expense.description.strip()]
    if facts.supplier_name:
        supplier = facts.supplier_name.strip()
        number = facts.supplier_org_number
        if number:  # a Swedish one as receipts print it; a foreign VAT number as kept
            supplier += f" ({format_organisation_number(number) if number.isdigit() else number})"
        parts.append(supplier)
    parts.append(f"utlägg {expense.employee_name}")
    if facts.currency != HOME_CURRENCY and facts.original_amount is not None:
        foreign = f"{facts.original_amount:f} {facts.currency}"
        if facts.exchange_rate is not None:
            foreign += f" à {facts.exchange_rate.normalize():f}"
        parts.append(foreign)
    return ", ".join(part for part in parts if part)


def _voucher(
    expense: files.ExportExpense,
    facts: VoucherFacts,
    bookkeeping: Bookkeeping,
    receipt_names: Sequence[str],
) -> SieVoucher:
    dimensions: list[tuple[int, str]] = []
    if facts.cost_centre:
        dimensions.append((COST_CENTRE_DIMENSION, facts.cost_centre))
    if facts.project_code:
        dimensions.append((PROJECT_DIMENSION, facts.project_code))
    return expense_voucher(
        series=EXPENSE_VOUCHER_SERIES,
        number=facts.voucher_number,
        day=expense.date,
        text=voucher_text(expense, facts),
        gross=expense.amount,
        vat=expense.vat_amount,
        deductible_vat=expense.deductible_vat,
        cost_account=bookkeeping.accounts[facts.category],
        dimensions=tuple(dimensions),
        receipt_names=receipt_names,
    )


def voucher_order(expense: files.ExportExpense, facts: VoucherFacts) -> tuple[bool, int, date, int]:
    """Vouchers by number; those without one last, by date."""
    number = facts.voucher_number
    return (number is None, number or 0, expense.date, expense.id)


def sie_file(
    company: files.ExportCompany,
    expenses: Sequence[files.ExportExpense],
    facts: Mapping[int, VoucherFacts],
    bookkeeping: Bookkeeping,
    generated: date,
) -> SieFile:
    """The .SI file of `expenses` (utlägg only, in voucher order), or ExportFailed naming the
    expense that cannot be a voucher."""
    vouchers: list[SieVoucher] = []
    objects: dict[tuple[int, str], str] = {}
    for expense in expenses:
        fact = facts[expense.id]
        names = [
            files.receipt_entry_name(expense, receipt, index)
            for index, receipt in enumerate(expense.receipts, start=1)
        ]
        try:
            vouchers.append(_voucher(expense, fact, bookkeeping, names))
        except SieError as error:
            raise ExportFailed(error.code, f"expense {expense.id}: {error}") from None
        if fact.project_code and fact.project_name:
            objects[(PROJECT_DIMENSION, fact.project_code)] = fact.project_name
    used = {row.account for voucher in vouchers for row in voucher.transactions}
    accounts = {
        number: bookkeeping.names.get(number) or account_name(number) or f"Konto {number}"
        for number in used
    }
    return SieFile(
        company_name=company.name,
        organisation_number=company.organisation_number,
        generated=generated,
        vouchers=tuple(vouchers),
        accounts=accounts,
        objects=objects,
    )
