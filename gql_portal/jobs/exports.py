"""The export job: writes an export's file in the background and marks it DONE (or FAILED).

It reads with the rights of the viewer who asked (row scoping as in their request), streams the
payroll lines from the database into the file writer running in a worker thread (memory holds one
chunk of lines, whatever the size), writes to a temporary name and renames: an export is never
DONE without its file. While it runs, the job holds a lock on an owner file
(`exports/tmp/<id>.lock`, flock: the operating system releases it when the process dies, even by
SIGKILL). `recover_interrupted_exports` (at start-up and every minute) marks FAILED the RUNNING
exports whose owner file nobody holds, and those whose heartbeat stopped, and removes their
partial files and any other file in exports/tmp that no running export owns.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import anyio.from_thread
import anyio.to_thread
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.audit import AuditActor, record
from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.payroll import PayrollLine, PayrollPeriod
from gql_portal.domain import exports as files
from gql_portal.domain import paxml
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import PeriodState, month_label, month_period
from gql_portal.permissions.matrix import Area
from gql_portal.runtime import Runtime

log = logging.getLogger("gql_portal.exports")

CHUNK_ROWS = 2000
RECEIPT_FOLDER = "kvitton/"
SUMMARY_NAME = "utlagg.csv"
MANIFEST_NAME = "manifest.csv"
# A RUNNING export whose heartbeat is older than this was cut short (the job beats every chunk).
STALE_AFTER = timedelta(minutes=10)
# A job starts (QUEUED → RUNNING) right after its mutation commits; an export still QUEUED after
# this long lost its process in between.
QUEUED_STALE_AFTER = timedelta(minutes=2)
T = TypeVar("T")


async def employees_without_identity(
    session: AsyncSession, period_id: int, employee_ids: frozenset[int] | None
) -> list[str]:
    statement = select(Employee.first_name, Employee.last_name).where(
        Employee.id.in_(select(PayrollLine.employee_id).where(PayrollLine.period_id == period_id)),
        or_(Employee.personal_identity_number.is_(None), Employee.personal_identity_number == ""),
    )
    if employee_ids is not None:
        statement = statement.where(Employee.id.in_(employee_ids))
    return [f"{first} {last}" for first, last in (await session.execute(statement)).all()]


# --- the job-------------------------------------------------------------------------------


class ExportFailed(Exception):
    """An export that cannot be completed, with the code its record keeps."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Progress:
    """Writes the export's progress and heartbeat, at most about once a second."""

    runtime: Runtime
    export_id: int
    total: int
    done: int = 0
    last: datetime | None = None

    async def add(self, count: int) -> None:
        self.done += count
        now = self.runtime.clock.now()
        if self.last is not None and (now - self.last) < timedelta(seconds=1):
            return
        self.last = now
        percent = min(99, int(100 * self.done / self.total)) if self.total else 0
        async with self.runtime.database.transaction() as session:
            await session.execute(
                update(Export)
                .where(Export.id == self.export_id)
                .values(progress=percent, heartbeat_at=now)
            )


async def _pull(chunks: AsyncIterator[list[T]]) -> list[T] | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


def _bridged(chunks: AsyncIterator[list[T]]) -> Iterator[T]:
    """In a worker thread: the items of an async stream, fetched chunk by chunk on the loop."""
    while (chunk := anyio.from_thread.run(_pull, chunks)) is not None:
        yield from chunk


async def write_streamed(
    write: Callable[[Iterator[T]], Any], chunks: AsyncGenerator[list[T], None]
) -> Any:
    """Run a blocking file writer in a thread, fed from the database: memory holds one chunk."""
    try:
        return await anyio.to_thread.run_sync(lambda: write(_bridged(chunks)))
    finally:
        await chunks.aclose()  # the reading session ends even when the writer failed


@dataclass
class PeriodMaterial:
    """What one period's file needs besides its lines (which are streamed)."""

    period: PayrollPeriod
    company: files.ExportCompany
    employees: dict[int, files.ExportEmployee]
    line_count: int
    employee_ids: frozenset[int] | None = None


def _export_employee(row: Employee) -> files.ExportEmployee:
    return files.ExportEmployee(
        employee_number=row.employee_number,
        personnummer=row.personal_identity_number or "",
        first_name=row.first_name,
        last_name=row.last_name,
    )


LINE_COLUMNS = (
    PayrollLine.employee_id,
    PayrollLine.date,
    PayrollLine.pay_type,
    PayrollLine.description,
    PayrollLine.time_code,
    PayrollLine.quantity,
    PayrollLine.unit,
    PayrollLine.unit_price,
    PayrollLine.amount,
    PayrollLine.source,
    PayrollLine.hours,
    PayrollLine.extent_percent,
)


def _export_line(row: Any, employee_number: str) -> files.ExportLine:
    return files.ExportLine(
        employee_number=employee_number,
        date=row.date,
        pay_type=row.pay_type,
        description=row.description,
        time_code=row.time_code,
        quantity=row.quantity,
        unit=row.unit.value if row.unit is not None else None,
        unit_price=row.unit_price,
        amount=row.amount,
        source=row.source.value,
        hours=row.hours,
        extent_percent=row.extent_percent,
    )


def _export_company(row: Company) -> files.ExportCompany:
    return files.ExportCompany(
        organisation_number=format_organisation_number(row.organisation_number), name=row.name
    )


class ExportJob:
    def __init__(self, ctx: RequestContext, export_id: int) -> None:
        self.ctx = ctx
        self.runtime = ctx.runtime
        self.access = ctx.access
        self.actor = AuditActor.of(ctx)  # who asked: the export's events are theirs
        self.export_id = export_id
        self.company_id = 0  # read when the job starts
        self.ended = False  # DONE or FAILED is written

    @property
    def database(self) -> Any:
        return self.runtime.database

    def _tmp_path(self) -> Path:
        path = self.runtime.storage.path(f"{TMP_FOLDER}/{self.export_id}.part")
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    async def run(self) -> None:
        # The owner file is held from before RUNNING until DONE or FAILED is written; the
        # operating system lets go of it when the process dies (even by SIGKILL).
        path = owner_path(self.runtime, self.export_id)
        owner = (path, await anyio.to_thread.run_sync(_hold, path))
        try:
            await self._run()
        finally:
            _let_go(owner, remove=self.ended)

    async def _run(self) -> None:
        async with self.database.transaction() as session:
            export = await session.get_one(Export, self.export_id)
            export.state = ExportState.RUNNING
            export.heartbeat_at = self.runtime.clock.now()
            kind, company_id = export.kind, export.company_id
            self.company_id = company_id
        tmp = self._tmp_path()
        try:
            if kind is ExportKind.PAYROLL_BASIS:
                await self._payroll(tmp)
            elif kind is ExportKind.EXPENSES:
                await self._expenses(tmp)
            else:
                await self._batch(tmp)
        except ExportFailed as failure:
            await self._fail(failure.code, str(failure), tmp)
        except Exception:
            log.exception("export %s (company %s) failed", self.export_id, company_id)
            await self._fail("INTERNAL_ERROR", "the export failed; try again", tmp)
            raise
        except BaseException:  # cancelled at shutdown: the next start marks it FAILED
            await anyio.to_thread.run_sync(_remove, tmp)
            raise

    # --- payroll basis of one period

    async def _material(
        self, session: AsyncSession, period: PayrollPeriod, employee_ids: frozenset[int] | None
    ) -> PeriodMaterial:
        lines = select(PayrollLine.employee_id).where(PayrollLine.period_id == period.id)
        counted = select(func.count(PayrollLine.id)).where(PayrollLine.period_id == period.id)
        if employee_ids is not None:
            lines = lines.where(PayrollLine.employee_id.in_(employee_ids))
            counted = counted.where(PayrollLine.employee_id.in_(employee_ids))
        employees = (
            await session.scalars(
                select(Employee).where(Employee.id.in_(lines)).order_by(Employee.employee_number)
            )
        ).all()
        company = await session.get_one(Company, period.company_id)
        return PeriodMaterial(
            period=period,
            company=_export_company(company),
            employees={row.id: _export_employee(row) for row in employees},
            line_count=await session.scalar(counted) or 0,
            employee_ids=employee_ids,
        )

    async def _lines(
        self, material: PeriodMaterial, progress: Progress
    ) -> AsyncGenerator[list[files.ExportLine], None]:
        # Columns, not ORM objects: no identity map to fill for a hundred thousand rows (the
        # row scope applies all the same: the statement still selects from PayrollLine).
        statement = (
            select(*LINE_COLUMNS)
            .where(PayrollLine.period_id == material.period.id)
            .order_by(PayrollLine.employee_id, PayrollLine.position)
        )
        if material.employee_ids is not None:
            statement = statement.where(PayrollLine.employee_id.in_(material.employee_ids))
        numbers = {key: employee.employee_number for key, employee in material.employees.items()}
        async with self.database.scoped(self.access, as_area=Area.PAYROLL_BASIS) as session:
            result = await session.stream(statement.execution_options(yield_per=CHUNK_ROWS))
            async for rows in result.partitions():
                yield [_export_line(row, numbers[row.employee_id]) for row in rows]
                await progress.add(len(rows))

    def _writer(
        self, material: PeriodMaterial, file_format: ExportFormat, options: dict[str, Any]
    ) -> Callable[[BinaryIO, Iterator[files.ExportLine]], dict[str, Any]]:
        """A function that writes one period's file from its lines, returning its totals."""

        def write(out: BinaryIO, lines: Iterator[files.ExportLine]) -> dict[str, Any]:
            counted = _Counted(lines)
            if file_format is ExportFormat.PAXML:
                paxml.write_paxml(
                    out,
                    company=material.company,
                    export_date=date.fromisoformat(options["export_date"]),
                    employees=material.employees.values(),
                    lines=counted,
                )
            else:
                by_number = {e.employee_number: e for e in material.employees.values()}
                files.write_basis_csv(
                    out, counted, by_number, decimal_comma=bool(options["decimal_comma"])
                )
            return {
                "lines": counted.count,
                "total_amount": str(counted.amount),
                "employees": len(material.employees),
            }

        return write

    async def _payroll(self, tmp: Path) -> None:
        async with self.database.scoped(self.access, as_area=Area.PAYROLL_BASIS) as session:
            export = await session.get_one(Export, self.export_id)
            period = await session.scalar(
                select(PayrollPeriod).where(PayrollPeriod.id == export.period_id)
            )
            if period is None:
                raise ExportFailed("NOT_FOUND", "the period is out of reach")
            options = dict(export.options)
            wanted = options.get("employee_ids")
            material = await self._material(
                session, period, frozenset(wanted) if wanted is not None else None
            )
        progress = Progress(self.runtime, self.export_id, material.line_count)
        writer = self._writer(material, export.format, options)

        def write(lines: Iterator[files.ExportLine]) -> dict[str, Any]:
            with tmp.open("wb") as out:
                return writer(out, lines)

        totals = await write_streamed(write, self._lines(material, progress))
        extension = "xml" if export.format is ExportFormat.PAXML else "csv"
        name = _basis_file_name(material, extension)
        await self._finish(tmp, name, totals, periods=[(period.company_id, period.id)])

    # --- expenses

    async def _expenses(self, tmp: Path) -> None:
        async with self.database.scoped(self.access) as session:
            export = await session.get_one(Export, self.export_id)
            options = dict(export.options)
            statuses = [ExpenseStatus(s) for s in options["statuses"]]
            rows = (
                await session.execute(
                    select(Expense, Employee)
                    .join(Employee, Employee.id == Expense.employee_id)
                    .where(
                        Expense.company_id == export.company_id,
                        Expense.date >= export.date_from,
                        Expense.date <= export.date_to,
                        Expense.status.in_(statuses),
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
            company = _export_company(await session.get_one(Company, export.company_id))
            date_from, date_to = export.date_from, export.date_to
        assert date_from is not None and date_to is not None
        by_expense: dict[int, list[files.ExportReceipt]] = {}
        for receipt in receipts:
            by_expense.setdefault(receipt.expense_id, []).append(
                files.ExportReceipt(
                    file_name=receipt.file_name,
                    content_type=receipt.content_type,
                    size_bytes=receipt.size_bytes,
                    sha256=receipt.sha256,
                    path=self.runtime.storage.path(receipt.storage_key),
                )
            )
        expenses = [
            files.ExportExpense(
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
                receipts=tuple(by_expense.get(expense.id, ())),
            )
            for expense, employee in rows
        ]
        progress = Progress(self.runtime, self.export_id, max(1, len(expenses)))
        decimal_comma = bool(options["decimal_comma"])

        def write() -> dict[str, Any]:
            with files.DeterministicZip(tmp, timestamp=date_to) as archive:
                for expense in expenses:
                    for index, receipt in enumerate(expense.receipts, start=1):
                        name = files.receipt_entry_name(expense, receipt, index)
                        try:
                            archive.add_file(RECEIPT_FOLDER + name, receipt.path)
                        except FileNotFoundError:
                            raise ExportFailed(
                                "RECEIPT_MISSING",
                                f"the receipt file of expense {expense.id} is missing",
                            ) from None
                    anyio.from_thread.run(progress.add, 1)
                summary = archive.add_writer(
                    SUMMARY_NAME,
                    lambda out: files.write_expense_summary_csv(
                        out, expenses, decimal_comma=decimal_comma, receipt_folder=RECEIPT_FOLDER
                    ),
                )
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

        totals = await anyio.to_thread.run_sync(write)
        name = f"utlagg_{company.organisation_number}_{date_from}_{date_to}.zip"
        await self._finish(tmp, name, totals, periods=[])

    # --- batch over clients

    async def _batch(self, tmp: Path) -> None:
        async with self.database.session() as session:
            export = await session.get_one(Export, self.export_id)
            options = dict(export.options)
            firm = _export_company(await session.get_one(Company, export.company_id))
        assert export.date_from is not None
        month = export.date_from
        file_format = ExportFormat(options["file_format"])
        extension = "xml" if file_format is ExportFormat.PAXML else "csv"
        clients: list[int] = list(options["client_ids"])
        manifest: list[dict[str, Any]] = []
        materials: list[PeriodMaterial] = []
        async with self.database.scoped(self.access, as_area=Area.PAYROLL_BASIS) as session:
            companies = {
                row.id: row
                for row in (
                    await session.scalars(select(Company).where(Company.id.in_(clients)))
                ).all()
            }
            periods = {
                row.company_id: row
                for row in (
                    await session.scalars(
                        select(PayrollPeriod).where(
                            PayrollPeriod.company_id.in_(clients),
                            PayrollPeriod.start_date == month,
                        )
                    )
                ).all()
            }
            for client_id in sorted(
                clients, key=lambda c: companies[c].name if c in companies else ""
            ):
                company = companies.get(client_id)
                if company is None:
                    continue  # deleted meanwhile (the clients were checked when it was asked)
                entry: dict[str, Any] = {
                    "company_id": client_id,
                    "organisation_number": format_organisation_number(company.organisation_number),
                    "company_name": company.name,
                }
                manifest.append(entry)
                period = periods.get(client_id)
                reason = None
                if period is None:
                    reason = files.SkipReason.NO_PERIOD
                elif period.state is PeriodState.OPEN:
                    reason = files.SkipReason.PERIOD_NOT_LOCKED
                elif file_format is ExportFormat.PAXML and await employees_without_identity(
                    session, period.id, None
                ):
                    reason = files.SkipReason.MISSING_PERSONAL_IDENTITY_NUMBER
                if reason is None and period is not None:
                    material = await self._material(session, period, None)
                    if material.line_count == 0:
                        reason = files.SkipReason.NO_LINES
                    else:
                        materials.append(material)
                        entry["file_name"] = (
                            f"{files.client_folder_name(material.company)}/"
                            f"{_basis_file_name(material, extension)}"
                        )
                entry["status"] = "SKIPPED" if reason else "EXPORTED"
                if reason:
                    entry["reason"] = reason
        progress = Progress(self.runtime, self.export_id, sum(m.line_count for m in materials))
        stamp = month_period(month)[1]

        # One ZIP: each client's file streamed into its entry, then the manifest.
        def open_zip() -> files.DeterministicZip:
            return files.DeterministicZip(tmp, timestamp=stamp)

        archive = await anyio.to_thread.run_sync(open_zip)
        try:
            with_files = [entry for entry in manifest if entry.get("file_name")]
            for material, entry in zip(materials, with_files, strict=True):
                writer = self._writer(material, file_format, options)

                def write_entry(
                    lines: Iterator[files.ExportLine],
                    writer: Any = writer,
                    name: str = entry["file_name"],
                ) -> dict[str, Any]:
                    return archive.add_writer(name, lambda out: writer(out, lines))

                totals = await write_streamed(write_entry, self._lines(material, progress))
                entry["lines"] = totals["lines"]
                entry["total_amount"] = totals["total_amount"]

            rows = [
                files.ManifestEntry(
                    organisation_number=e["organisation_number"],
                    company_name=e["company_name"],
                    status=e["status"],
                    reason=e.get("reason"),
                    file_name=e.get("file_name"),
                    line_count=int(e.get("lines", 0)),
                    total_amount=Decimal(e.get("total_amount", "0.00")),
                )
                for e in manifest
            ]
            decimal_comma = bool(options["decimal_comma"])
            await anyio.to_thread.run_sync(
                lambda: archive.add_writer(
                    MANIFEST_NAME,
                    lambda out: files.write_manifest_csv(out, rows, decimal_comma=decimal_comma),
                )
            )
        finally:
            await anyio.to_thread.run_sync(archive.close)
        exported = [e for e in manifest if e["status"] == "EXPORTED"]
        totals = {
            "lines": sum(int(e["lines"]) for e in exported),
            "total_amount": str(
                sum((Decimal(e["total_amount"]) for e in exported), Decimal("0.00"))
            ),
            "clients": manifest,
        }
        label = f"{month_label(month)}_{len(exported)}-klienter"
        name = f"lonunderlag_{firm.organisation_number}_{label}.zip"
        await self._finish(
            tmp,
            name,
            totals,
            periods=[(m.period.company_id, m.period.id) for m in materials],
        )

    # --- the end of a job

    async def _finish(
        self,
        tmp: Path,
        file_name: str,
        summary: dict[str, Any],
        periods: list[tuple[int, int]],
    ) -> None:
        """Store the file under its final name, then mark the export DONE and its periods
        EXPORTED in one transaction: an export is never DONE without its file."""
        sha256, size = await anyio.to_thread.run_sync(_digest, tmp)
        key = f"exports/{self.company_id}/{self.export_id}/{file_name}"
        final = self.runtime.storage.path(key)
        await anyio.to_thread.run_sync(_move, tmp, final)
        now = self.runtime.clock.now()
        try:
            # System work after the scoped reads above: the viewer's rights were applied to what
            # went into the file, and every download checks them again.
            async with self.database.transaction() as session:
                export = await session.get_one(Export, self.export_id)
                for period_company, period_id in periods:
                    marked = await session.execute(
                        update(PayrollPeriod)
                        .where(
                            PayrollPeriod.id == period_id,
                            PayrollPeriod.state.in_([PeriodState.LOCKED, PeriodState.EXPORTED]),
                        )
                        .values(state=PeriodState.EXPORTED, exported_at=now)
                        .execution_options(synchronize_session=False)
                    )
                    if marked.rowcount != 1:
                        raise ExportFailed(
                            "PERIOD_NOT_LOCKED", "the period was unlocked while it was exported"
                        )
                    if export.kind is ExportKind.PAYROLL_BATCH:
                        record(
                            session,
                            self.actor,
                            AuditAction.PAYROLL_EXPORTED,
                            at=now,
                            company_id=period_company,
                            export_id=export.id,
                            batch=True,
                            payroll_period_id=period_id,
                            format=export.options.get("file_format"),
                        )
                export.state = ExportState.DONE
                export.progress = 100
                export.file_name = file_name
                export.storage_key = key
                export.size_bytes = size
                export.sha256 = sha256
                export.summary = summary
                export.finished_at = now
                export.heartbeat_at = now
                action = {
                    ExportKind.PAYROLL_BASIS: AuditAction.PAYROLL_EXPORTED,
                    ExportKind.EXPENSES: AuditAction.EXPENSES_EXPORTED,
                    ExportKind.PAYROLL_BATCH: AuditAction.PAYROLL_BATCH_EXPORTED,
                }[export.kind]
                record(
                    session,
                    self.actor,
                    action,
                    at=now,
                    company_id=export.company_id,
                    export_id=export.id,
                    format=export.format.value,
                    file_name=file_name,
                    sha256=sha256,
                    size_bytes=size,
                    payroll_period_id=export.period_id,
                    lines=summary.get("lines"),
                    total_amount=summary.get("total_amount"),
                )
        except BaseException:
            await anyio.to_thread.run_sync(_remove, final)
            raise
        self.ended = True

    async def _fail(self, code: str, message: str, tmp: Path) -> None:
        await anyio.to_thread.run_sync(_remove, tmp)
        now = self.runtime.clock.now()
        async with self.database.transaction() as session:
            export = await session.get_one(Export, self.export_id)
            export.state = ExportState.FAILED
            export.error = f"{code}: {message}"[:500]
            export.finished_at = now
            record(
                session,
                self.actor,
                AuditAction.EXPORT_FAILED
                if export.kind is not ExportKind.EXPENSES
                else AuditAction.EXPENSES_EXPORT_FAILED,
                at=now,
                company_id=export.company_id,
                export_id=export.id,
                error=export.error,
            )
        self.ended = True


class _Counted(Iterator[files.ExportLine]):
    """Lines passing through to a writer, counted and summed on the way."""

    def __init__(self, lines: Iterator[files.ExportLine]) -> None:
        self._lines = lines
        self.count = 0
        self.amount = Decimal("0.00")

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> files.ExportLine:
        line = next(self._lines)
        self.count += 1
        if line.amount is not None:
            self.amount += line.amount
        return line


def _move(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    source.replace(target)


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _digest(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _basis_file_name(material: PeriodMaterial, extension: str) -> str:
    orgnr = material.company.organisation_number
    return f"lonunderlag_{orgnr}_{month_label(material.period.start_date)}.{extension}"


# --- after a crash ----------------------------------------------------------------------------

TMP_FOLDER = "exports/tmp"  # <export id>.part: the file being written; <export id>.lock: its owner


def owner_path(runtime: Runtime, export_id: int) -> Path:
    """The file a running export's job keeps locked (flock): the lock goes with its process."""
    return runtime.storage.path(f"{TMP_FOLDER}/{export_id}.lock")


def _hold(path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def _let_go(owner: tuple[Path, int], *, remove: bool) -> None:
    """Unlock an owner file; removed once the export is DONE or FAILED, else (cancelled at
    shutdown) left for the next start, which then knows at once that nobody runs it."""
    path, descriptor = owner
    try:
        if remove:
            path.unlink(missing_ok=True)
    finally:
        os.close(descriptor)


def _abandoned(path: Path) -> int | None:
    """The owner file, opened and locked, when it exists and no process holds it any more."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its job is running
        os.close(descriptor)
        return None
    return descriptor


def _leftovers(folder: Path) -> dict[int, list[Path]]:
    """The files in exports/tmp by export id."""
    found: dict[int, list[Path]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in (".part", ".lock") and path.stem.isdigit():
                found.setdefault(int(path.stem), []).append(path)
    return found


async def recover_interrupted_exports(runtime: Runtime) -> int:
    """Mark exports cut short by a stopped process FAILED and remove their files, and whatever
    else a job that is no more left in exports/tmp.

    An export was interrupted when it is RUNNING and no process holds its owner file (its job's
    process ended, even by SIGKILL: found at once), or when its heartbeat (or its creation) is
    older than STALE_AFTER, or when it is still QUEUED after QUEUED_STALE_AFTER (its process
    died between the mutation's commit and the job's start). A starting worker thus leaves the
    running exports of other workers alone."""
    now = runtime.clock.now()
    cutoff = now - STALE_AFTER
    async with runtime.database.session() as session:
        running = (
            await session.scalars(select(Export.id).where(Export.state == ExportState.RUNNING))
        ).all()
    ownerless: dict[int, int] = {}  # export id -> its owner file, locked by us meanwhile
    for export_id in running:
        descriptor = await anyio.to_thread.run_sync(_abandoned, owner_path(runtime, export_id))
        if descriptor is not None:
            ownerless[export_id] = descriptor
    try:
        async with runtime.database.transaction() as session:
            interrupted = (
                await session.scalars(
                    select(Export).where(
                        Export.state.in_([ExportState.QUEUED, ExportState.RUNNING]),
                        or_(
                            func.coalesce(Export.heartbeat_at, Export.created_at) < cutoff,
                            Export.id.in_(list(ownerless)),
                            and_(
                                Export.state == ExportState.QUEUED,
                                Export.created_at < now - QUEUED_STALE_AFTER,
                            ),
                        ),
                    )
                )
            ).all()
            for export in interrupted:
                export.state = ExportState.FAILED
                export.error = (
                    "INTERRUPTED: the service stopped while writing the file; export again"
                )
                export.finished_at = now
                for leftover in (
                    runtime.storage.path(f"{TMP_FOLDER}/{export.id}.part"),
                    runtime.storage.path(f"exports/{export.company_id}/{export.id}"),
                    owner_path(runtime, export.id),
                ):
                    await anyio.to_thread.run_sync(_remove, leftover)
    finally:
        for descriptor in ownerless.values():
            os.close(descriptor)
    # Files of exports no job runs any more (DONE, FAILED, gone): a process that died after
    # writing its export's end, or files a failed removal left. Listed first, so that an
    # export started meanwhile is not among them.
    leftovers = await anyio.to_thread.run_sync(_leftovers, runtime.storage.path(TMP_FOLDER))
    if leftovers:
        async with runtime.database.session() as session:
            live = set(
                (
                    await session.scalars(
                        select(Export.id).where(
                            Export.id.in_(list(leftovers)),
                            Export.state.in_([ExportState.QUEUED, ExportState.RUNNING]),
                        )
                    )
                ).all()
            )
        for export_id, paths in leftovers.items():
            if export_id not in live:
                for path in paths:
                    await anyio.to_thread.run_sync(_remove, path)
    return len(interrupted)
