"""A company's approved expenses as SIE 4i vouchers (a .SI file; the writer is domain/sie.py):
the vouchers from what the expenses summary already read (voucher number, supplier, cost
centre, project, currency, BAS account), the company's own account names, and the file put
together.

Decided here:
- One voucher per approved utlägg (kind EXPENSE), in series `EXPENSE_VOUCHER_SERIES` ("U" for
  utlägg; fixed: the receiving program maps an imported series to its own), numbered by the
  company's gap-free voucher number given at approval. An expense approved before numbering
  existed has none: its voucher goes without a number, for the receiving program to number.
- Mileage (kind MILEAGE) is not in the file: it is paid with the salary, and the payroll program
  books it (7331/7332, with tax and fees on any taxable part) from the payroll basis. Booking it
  here as well would book it twice. The export's summary counts what was left out.
- The cost rows carry the cost centre (dimension 1) and the project's code (dimension 6).
- The voucher text says what was bought, from whom (supplier and its organisation number), a
  representation's kind, number of participants and purpose, whose utlägg it is, a foreign
  receipt's own amount and rate, and the receipts' file names in the ZIP.
- Accounts are named by the company's own BAS table where it names them, else by BAS; an
  account the company chose without naming it, and that the portal has no BAS name for, is
  written "Konto NNNN" (#KONTO needs a name; the receiving program keeps its own).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.bas import CompanyBasAccount
from gql_portal.domain import exports as files
from gql_portal.domain.bas import account_name
from gql_portal.domain.expenses import ExpenseKind
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


def is_voucher(expense: files.ExportExpense) -> bool:
    """Whether an expense becomes a voucher: an utlägg; mileage is booked by payroll."""
    return expense.kind == ExpenseKind.EXPENSE.value


async def read_account_names(
    session: AsyncSession, company_ids: Iterable[int]
) -> dict[int, dict[int, str]]:
    """Each company's own names of BAS accounts, where it named them (one statement for any
    number). Which account an expense books to came with the expense (`bas_account`)."""
    companies = sorted(set(company_ids))
    names: dict[int, dict[int, str]] = {company_id: {} for company_id in companies}
    named = await session.execute(
        select(CompanyBasAccount.company_id, CompanyBasAccount.account, CompanyBasAccount.name)
        .where(CompanyBasAccount.company_id.in_(companies), CompanyBasAccount.name.is_not(None))
        .order_by(CompanyBasAccount.id)
    )
    for company_id, account, name in named.all():
        if name:
            names[company_id][account] = name
    return names


REPRESENTATION_TEXT = {"INTERNAL": "intern representation", "EXTERNAL": "extern representation"}


def voucher_text(expense: files.ExportExpense) -> str:
    """What was bought, from whom, whose utlägg, and a foreign receipt's own amount:
    "Hotell två nätter, Scandic Hotels AB (556112-3456), utlägg Åsa Öberg, 120.00 EUR à 11.45".
    Representation also says what Skatteverket asks of its voucher: the kind, how many took part
    and the purpose ("extern representation, 4 deltagare, syfte: Avtal 2027"); the names are in
    the CSV beside the file, whose row carries the voucher number."""
    parts = [expense.description.strip()]
    if expense.supplier:
        supplier = expense.supplier.strip()
        if expense.supplier_org_number:  # as shown: NNNNNN-NNNN, or a foreign VAT number
            supplier += f" ({expense.supplier_org_number})"
        parts.append(supplier)
    if expense.representation in REPRESENTATION_TEXT:
        parts.append(REPRESENTATION_TEXT[expense.representation])
        parts.append(f"{len(expense.participants)} deltagare")
        if expense.purpose and expense.purpose.strip():
            parts.append(f"syfte: {expense.purpose.strip()}")
    parts.append(f"utlägg {expense.employee_name}")
    if expense.currency != HOME_CURRENCY and expense.original_amount is not None:
        foreign = f"{expense.original_amount:f} {expense.currency}"
        if expense.exchange_rate is not None:
            foreign += f" à {expense.exchange_rate.normalize():f}"
        parts.append(foreign)
    return ", ".join(part for part in parts if part)


def _voucher(expense: files.ExportExpense, receipt_names: Sequence[str]) -> SieVoucher:
    dimensions: list[tuple[int, str]] = []
    if expense.cost_centre:
        dimensions.append((COST_CENTRE_DIMENSION, expense.cost_centre))
    if expense.project_code:
        dimensions.append((PROJECT_DIMENSION, expense.project_code))
    assert expense.bas_account is not None  # an utlägg always books to its category's account
    return expense_voucher(
        series=EXPENSE_VOUCHER_SERIES,
        number=expense.voucher_number,
        day=expense.date,
        text=voucher_text(expense),
        gross=expense.amount,
        vat=expense.vat_amount,
        deductible_vat=expense.deductible_vat,
        cost_account=expense.bas_account,
        dimensions=tuple(dimensions),
        receipt_names=receipt_names,
    )


def voucher_order(expense: files.ExportExpense) -> tuple[bool, int, date, int]:
    """Vouchers by number; those without one last, by date."""
    number = expense.voucher_number
    return (number is None, number or 0, expense.date, expense.id)


def sie_file(
    company: files.ExportCompany,
    expenses: Sequence[files.ExportExpense],
    account_names: Mapping[int, str],
    generated: date,
) -> SieFile:
    """The .SI file of `expenses` (utlägg only, in voucher order), or ExportFailed naming the
    expense that cannot be a voucher."""
    vouchers: list[SieVoucher] = []
    objects: dict[tuple[int, str], str] = {}
    for expense in expenses:
        names = [
            files.receipt_entry_name(expense, receipt, index)
            for index, receipt in enumerate(expense.receipts, start=1)
        ]
        try:
            vouchers.append(_voucher(expense, names))
        except SieError as error:
            raise ExportFailed(error.code, f"expense {expense.id}: {error}") from None
        if expense.project_code and expense.project_name:
            objects[(PROJECT_DIMENSION, expense.project_code)] = expense.project_name
    used = {row.account for voucher in vouchers for row in voucher.transactions}
    accounts = {
        number: account_names.get(number) or account_name(number) or f"Konto {number}"
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
