"""A company's expenses with their receipt files as one ZIP: each receipt named after its
expense (in `kvitton/`), and a summary CSV whose VAT split reconciles with its total."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import anyio.from_thread
import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, ExpenseVatLine, Receipt
from gql_portal.domain import exports as files
from gql_portal.jobs.exports.basis import export_company
from gql_portal.jobs.exports.common import ExportFailed, ExportWork, Progress, Written
from gql_portal.jobs.exports.request import ExpenseOptions
from gql_portal.runtime import Runtime

RECEIPT_FOLDER = "kvitton/"
SUMMARY_NAME = "utlagg.csv"


async def write_expenses(work: ExportWork) -> Written:
    request = work.request
    options = request.options
    assert isinstance(options, ExpenseOptions)
    assert request.date_from is not None and request.date_to is not None
    async with work.reading() as session:
        expenses = await _read_expenses(
            session, work.runtime, request.company_id, options, request.date_from, request.date_to
        )
        company = export_company(await session.get_one(Company, request.company_id))
    progress = work.progress(max(1, len(expenses)))
    stamp = request.date_to

    def write() -> dict[str, Any]:
        with files.DeterministicZip(work.tmp, timestamp=stamp) as archive:
            _add_receipts(archive, expenses, progress)
            summary = archive.add_writer(
                SUMMARY_NAME,
                lambda out: files.write_expense_summary_csv(
                    out,
                    expenses,
                    decimal_comma=options.decimal_comma,
                    receipt_folder=RECEIPT_FOLDER,
                ),
            )
        return _totals(expenses, summary)

    totals = await anyio.to_thread.run_sync(write)
    name = f"utlagg_{company.organisation_number}_{request.date_from}_{request.date_to}.zip"
    return Written(name, totals)


async def _read_expenses(
    session: AsyncSession,
    runtime: Runtime,
    company_id: int,
    options: ExpenseOptions,
    date_from: date,
    date_to: date,
) -> list[files.ExportExpense]:
    """The company's expenses of the range in the asked statuses, in the summary's order (date,
    employee number, id), each with its receipts."""
    rows = (
        await session.execute(
            select(Expense, Employee)
            .join(Employee, Employee.id == Expense.employee_id)
            .where(
                Expense.company_id == company_id,
                Expense.date >= date_from,
                Expense.date <= date_to,
                Expense.status.in_(options.statuses),
            )
            .order_by(Expense.date, Employee.employee_number, Expense.id)
        )
    ).all()
    receipts = (
        await session.scalars(
            select(Receipt)
            .where(Receipt.expense_id.in_([expense.id for expense, _ in rows]))
            .order_by(Receipt.expense_id, Receipt.id)
        )
    ).all()
    lines = await _read_vat_lines(session, [expense.id for expense, _ in rows])
    by_expense: dict[int, list[files.ExportReceipt]] = {}
    for receipt in receipts:
        by_expense.setdefault(receipt.expense_id, []).append(
            files.ExportReceipt(
                file_name=receipt.file_name,
                content_type=receipt.content_type,
                size_bytes=receipt.size_bytes,
                sha256=receipt.sha256,
                path=runtime.storage.path(receipt.storage_key),
            )
        )
    return [
        _export_expense(
            expense,
            employee,
            tuple(by_expense.get(expense.id, ())),
            tuple(lines.get(expense.id, ())),
        )
        for expense, employee in rows
    ]


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
    )


def _add_receipts(
    archive: files.DeterministicZip, expenses: Sequence[files.ExportExpense], progress: Progress
) -> None:
    """In the worker thread: every expense's receipt files, progress reported per expense."""
    for expense in expenses:
        for index, receipt in enumerate(expense.receipts, start=1):
            name = files.receipt_entry_name(expense, receipt, index)
            try:
                archive.add_file(RECEIPT_FOLDER + name, receipt.path)
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
