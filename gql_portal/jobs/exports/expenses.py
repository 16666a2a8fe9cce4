"""A company's expenses with their receipt files as one ZIP: each receipt named after its
expense (in `kvitton/`), and a summary CSV whose VAT split reconciles with its total. As SIE4I,
the same ZIP also holds the approved utlägg as SIE 4i vouchers (a .SI file, see sie.py), and the
receipts and summary are those of the vouchers. A firm's batch writes one such folder per client
(expenses_batch.py) with the same functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

import anyio.from_thread
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.accounts import Company
from gql_portal.db.bas import bas_account_table
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, ExpenseVatLine, Receipt
from gql_portal.db.projects import Project
from gql_portal.domain import exports as files
from gql_portal.domain.identity import shown_organisation_number
from gql_portal.domain.sie import SieFile, sie4i_bytes, sie_text
from gql_portal.domain.vouchers import booking_account, shown_supplier_number
from gql_portal.jobs.exports import sie
from gql_portal.jobs.exports.basis import export_company
from gql_portal.jobs.exports.common import ExportFailed, ExportWork, Progress, Written
from gql_portal.jobs.exports.receipt_copies import copy_receipts, receipt_path
from gql_portal.jobs.exports.request import ExpenseOptions
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import sees_owner_identity

RECEIPT_FOLDER = "kvitton/"
SUMMARY_NAME = "utlagg.csv"


@dataclass(frozen=True)
class ClientExpenses:
    """One company's expenses of the range, as its folder needs them: `expenses` are what the
    summary and the receipts hold (as SIE4I: the vouchers' expenses, in voucher order)."""

    company_id: int
    company: files.ExportCompany  # the organisation number in full: the .SI file's #ORGNR
    name_number: str  # the organisation number as file names carry it (sole traders masked)
    shown_number: str  # as the asker may see it (a batch's manifest)
    span: str  # the range, "<from>_<to>", as file names carry it
    expenses: list[files.ExportExpense]
    sie: SieFile | None = None
    mileage_left_out: int = 0  # SIE4I: mileage is booked by payroll, not in the file


async def write_expenses(work: ExportWork) -> Written:
    request = work.request
    options = request.options
    assert isinstance(options, ExpenseOptions)
    assert request.date_from is not None and request.date_to is not None
    async with work.reading(as_area=Area.EXPENSES_RECEIPTS) as session:
        [client] = await read_clients(work, session, [request.company_id], options)
    progress = work.progress(max(1, len(client.expenses)))
    stamp = request.date_to

    def write() -> dict[str, Any]:
        with files.DeterministicZip(work.tmp, timestamp=stamp) as archive:
            return add_client(archive, "", client, options, progress)

    totals = await anyio.to_thread.run_sync(write)
    return Written(f"{file_stem(client, options)}.zip", totals)


def file_stem(client: ClientExpenses, options: ExpenseOptions) -> str:
    """`utlagg_<orgnr>_<from>_<to>` (ZIP) or `utlagg_sie_<orgnr>_<from>_<to>` (SIE4I): file
    names carry the organisation number as the asker may see it."""
    kind = "utlagg_sie" if options.sie else "utlagg"
    return f"{kind}_{client.name_number}_{client.span}"


async def read_clients(
    work: ExportWork,
    session: AsyncSession,
    company_ids: Sequence[int],
    options: ExpenseOptions,
) -> list[ClientExpenses]:
    """The companies' expenses of the export's range (in the order of `company_ids`; a company
    out of the session's reach is left out), with what a SIE file needs when asked for one.
    Statements: a few for any number of companies."""
    request = work.request
    assert request.date_from is not None and request.date_to is not None
    companies = {
        row.id: row
        for row in await session.scalars(select(Company).where(Company.id.in_(company_ids)))
    }
    found = await _read_expenses(
        session, work, list(companies), options, request.date_from, request.date_to
    )
    account_names: dict[int, dict[int, str]] = {}
    if options.sie:
        account_names = await sie.read_account_names(session, list(companies))
    clients = []
    for company_id in company_ids:
        row = companies.get(company_id)
        if row is None:
            continue
        in_full = sees_owner_identity(request.access, company_id)
        client = ClientExpenses(
            company_id=company_id,
            company=export_company(row),
            name_number=files.organisation_number_in_names(
                row.organisation_number, in_full=in_full
            ),
            shown_number=shown_organisation_number(row.organisation_number, in_full=in_full),
            span=f"{request.date_from}_{request.date_to}",
            expenses=found.get(company_id, []),
        )
        if options.sie:
            client = _with_sie(client, account_names[company_id], options, request.date_to)
        clients.append(client)
    return clients


def _with_sie(
    client: ClientExpenses,
    account_names: Mapping[int, str],
    options: ExpenseOptions,
    fallback_day: date,
) -> ClientExpenses:
    """The client with its .SI file; its summary and receipts are the vouchers'. The employee's
    name is taken as the file can hold it (Łukasz as Lukasz), so the receipts' names in the ZIP
    are the names the voucher texts give them."""
    vouchers = sorted(
        (
            replace(e, employee_name=sie_text(e.employee_name))
            for e in client.expenses
            if sie.is_voucher(e)
        ),
        key=sie.voucher_order,
    )
    generated = options.export_date or fallback_day
    return replace(
        client,
        expenses=vouchers,
        sie=sie.sie_file(client.company, vouchers, account_names, generated),
        mileage_left_out=len(client.expenses) - len(vouchers),
    )


def add_client(
    archive: files.DeterministicZip,
    folder: str,
    client: ClientExpenses,
    options: ExpenseOptions,
    progress: Progress,
) -> dict[str, Any]:
    """In the worker thread: the client's receipts, summary and (SIE4I) .SI file under `folder`
    ("" or "<folder>/"); the totals its export summary keeps."""
    _add_receipts(archive, folder, client.expenses, progress)
    summary = archive.add_writer(
        folder + SUMMARY_NAME,
        lambda out: files.write_expense_summary_csv(
            out,
            client.expenses,
            decimal_comma=options.decimal_comma,
            receipt_folder=RECEIPT_FOLDER,
        ),
    )
    totals = {**_totals(client.expenses, summary), "summary_file": folder + SUMMARY_NAME}
    if client.sie is not None:
        name = f"{file_stem(client, options)}.SI"
        archive.add_bytes(folder + name, sie4i_bytes(client.sie))
        totals.update(
            sie_file=folder + name,
            vouchers=len(client.sie.vouchers),
            mileage_left_out=client.mileage_left_out,
        )
    return totals


async def _read_expenses(
    session: AsyncSession,
    work: ExportWork,
    company_ids: list[int],
    options: ExpenseOptions,
    date_from: date,
    date_to: date,
) -> dict[int, list[files.ExportExpense]]:
    """The companies' expenses of the range in the asked statuses, by company, each company's in
    the summary's order (date, employee number, id), each with its receipts, project code and
    BAS account (`session` scoped as EXPENSES_RECEIPTS: an expense's project and account are
    part of it, though the projects and the BAS table are areas of their own)."""
    rows = (
        await session.execute(
            select(Expense, Employee, Project.code, Project.name)
            .join(Employee, Employee.id == Expense.employee_id)
            .outerjoin(Project, Project.id == Expense.project_id)
            .where(
                Expense.company_id.in_(company_ids),
                Expense.date >= date_from,
                Expense.date <= date_to,
                Expense.status.in_(options.statuses),
            )
            .order_by(Expense.company_id, Expense.date, Employee.employee_number, Expense.id)
        )
    ).all()
    receipts = (
        await session.scalars(
            select(Receipt)
            .where(Receipt.expense_id.in_([expense.id for expense, *_ in rows]))
            .order_by(Receipt.expense_id, Receipt.id)
        )
    ).all()
    lines = await _read_vat_lines(session, [expense.id for expense, *_ in rows])
    accounts = await bas_account_table(session, company_ids)
    by_expense: dict[int, list[files.ExportReceipt]] = {}
    for receipt in receipts:
        by_expense.setdefault(receipt.expense_id, []).append(
            files.ExportReceipt(
                file_name=receipt.file_name,
                content_type=receipt.content_type,
                size_bytes=receipt.size_bytes,
                sha256=receipt.sha256,
                path=receipt_path(work.runtime, work.request.export_id, receipt),
            )
        )
    await copy_receipts(work.runtime, work.request.export_id, receipts)
    by_company: dict[int, list[files.ExportExpense]] = {}
    for expense, employee, project_code, project_name in rows:
        by_company.setdefault(expense.company_id, []).append(
            replace(
                _export_expense(
                    expense,
                    employee,
                    tuple(by_expense.get(expense.id, ())),
                    tuple(lines.get(expense.id, ())),
                ),
                bas_account=booking_account(
                    expense.kind, expense.category, accounts[expense.company_id]
                ),
                project_code=project_code,
                project_name=project_name,
            )
        )
    return by_company


async def _read_vat_lines(
    session: AsyncSession, expense_ids: list[int]
) -> dict[int, list[tuple[Decimal, Decimal, Decimal]]]:
    """(rate, net, VAT) of each expense's lines, in their order."""
    rows = await session.scalars(
        select(ExpenseVatLine)
        .where(ExpenseVatLine.expense_id.in_(expense_ids))
        .order_by(ExpenseVatLine.expense_id, ExpenseVatLine.position)
    )
    by_expense: dict[int, list[tuple[Decimal, Decimal, Decimal]]] = {}
    for line in rows:
        by_expense.setdefault(line.expense_id, []).append((line.rate, line.net, line.vat))
    return by_expense


def _export_expense(
    expense: Expense,
    employee: Employee,
    receipts: tuple[files.ExportReceipt, ...],
    vat_lines: tuple[tuple[Decimal, Decimal, Decimal], ...],
) -> files.ExportExpense:
    return files.ExportExpense(
        id=expense.id,
        employee_number=employee.employee_number,
        employee_name=f"{employee.first_name} {employee.last_name}",
        date=expense.date,
        kind=expense.kind.value,
        category=expense.category.value,
        description=expense.description,
        amount=expense.amount,
        vat_rate=expense.vat_rate,
        vat_amount=expense.vat_amount,
        status=expense.status.value,
        distance_km=expense.distance_km,
        receipts=receipts,
        vat_lines=vat_lines,
        deductible_vat=expense.deductible_vat,
        representation=expense.representation_kind.value if expense.representation_kind else None,
        participants=tuple(
            f"{person.get('name', '')} ({person['company']})"
            if person.get("company")
            else str(person.get("name", ""))
            for person in expense.participants or ()
        ),
        purpose=expense.purpose,
        currency=expense.currency,
        original_amount=expense.original_amount,
        exchange_rate=expense.exchange_rate,
        voucher_number=expense.voucher_number,
        supplier=expense.supplier_name,
        supplier_org_number=shown_supplier_number(expense.supplier_org_number)
        if expense.supplier_org_number
        else None,
        cost_centre=expense.cost_centre,
    )


def _add_receipts(
    archive: files.DeterministicZip,
    folder: str,
    expenses: Sequence[files.ExportExpense],
    progress: Progress,
) -> None:
    """In the worker thread: every expense's receipt files, progress reported per expense."""
    for expense in expenses:
        for index, receipt in enumerate(expense.receipts, start=1):
            name = files.receipt_entry_name(expense, receipt, index)
            try:
                archive.add_file(folder + RECEIPT_FOLDER + name, receipt.path)
            except FileNotFoundError:
                raise ExportFailed(
                    "RECEIPT_MISSING", f"the receipt file of expense {expense.id} is missing"
                ) from None
        anyio.from_thread.run(progress.add, 1)


def _totals(
    expenses: Sequence[files.ExportExpense], summary: files.ExpenseTotals
) -> dict[str, Any]:
    return {
        "lines": len(expenses),
        "receipts": sum(len(e.receipts) for e in expenses),
        "total_amount": str(summary.total.gross),
        "vat_amount": str(summary.total.vat),
        "vat_by_rate": {
            str(rate): {"gross": str(t.gross), "vat": str(t.vat), "net": str(t.net)}
            for rate, t in summary.by_rate.items()
        },
    }
