"""One payroll period's basis as a file (PAXml or CSV): what the file needs besides its lines,
the lines streamed from the database in chunks, and the writer. Shared by the payroll basis
export (one period) and the firm's batch (one file per client)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.clock import STOCKHOLM
from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.exports import ExportFormat
from gql_portal.db.payroll import PayrollLine, PayrollPeriod
from gql_portal.db.settings import paxml_encodings
from gql_portal.domain import exports as files
from gql_portal.domain import paxml
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import PROJECT_DIMENSION, PeriodState, month_label
from gql_portal.domain.paytypes import DEFAULT_PAXML_ENCODING
from gql_portal.jobs.exports.common import ExportFailed, ExportWork, Progress
from gql_portal.jobs.exports.request import BasisOptions
from gql_portal.jobs.exports.streaming import Counted
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import sees_owner_identity

CHUNK_ROWS = 2000  # lines per chunk: what memory holds of a basis while its file is written

# Columns, not ORM objects: no identity map to fill for a hundred thousand rows (the row scope
# applies all the same: the statement still selects from PayrollLine).
LINE_COLUMNS = (
    PayrollLine.id,
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
    PayrollLine.code,
    PayrollLine.vat,
    PayrollLine.project,
    PayrollLine.start_time,
    PayrollLine.end_time,
)


def _period_lines(period_id: int) -> ColumnElement[bool]:
    """The period's lines that go into its file (informational lines are shown, not sent)."""
    return (PayrollLine.period_id == period_id) & PayrollLine.exported()


@dataclass
class PeriodMaterial:
    """What one period's file needs besides its lines (which are streamed)."""

    period: PayrollPeriod
    company: files.ExportCompany
    employees: dict[int, files.ExportEmployee]
    line_count: int
    employee_ids: frozenset[int] | None = None
    encoding: str = DEFAULT_PAXML_ENCODING.value  # the company's setting (PAXml)
    # An EXPORTED period's file replaces the one exported before: the header says so.
    reexport: paxml.ReExport | None = None


async def employees_without_identity(
    session: AsyncSession, period_id: int, employee_ids: frozenset[int] | None
) -> list[str]:
    """The names of the employees with a line in the period but no personal identity number
    (PAXml cannot name them)."""
    statement = select(Employee.first_name, Employee.last_name).where(
        Employee.id.in_(select(PayrollLine.employee_id).where(_period_lines(period_id))),
        or_(Employee.personal_identity_number.is_(None), Employee.personal_identity_number == ""),
    )
    if employee_ids is not None:
        statement = statement.where(Employee.id.in_(employee_ids))
    return [f"{first} {last}" for first, last in (await session.execute(statement)).all()]


async def refuse_long_project_codes(
    session: AsyncSession, period_id: int, employee_ids: frozenset[int] | None
) -> None:
    """A PAXml file names a line's project by its code as a resenhet id, which holds at most
    `paxml.MAX_DIMENSION_ID` characters; project codes may be longer. Cutting one would name
    another project, so such a period is not exported: PROJECT_CODE_TOO_LONG names them (a
    shorter code, then lock the period again, fixes it)."""
    statement = select(PayrollLine.project).where(
        _period_lines(period_id), func.length(PayrollLine.project) > paxml.MAX_DIMENSION_ID
    )
    if employee_ids is not None:
        statement = statement.where(PayrollLine.employee_id.in_(employee_ids))
    codes = sorted({code for code in await session.scalars(statement.distinct()) if code})
    if codes:
        raise ExportFailed(
            "PROJECT_CODE_TOO_LONG",
            f"PAXml names a project by a code of at most {paxml.MAX_DIMENSION_ID} characters: "
            f"give {', '.join(map(repr, codes))} a shorter code, then lock the period again",
        )


def export_company(row: Company) -> files.ExportCompany:
    return files.ExportCompany(
        organisation_number=format_organisation_number(row.organisation_number), name=row.name
    )


def _export_employee(row: Employee) -> files.ExportEmployee:
    return files.ExportEmployee(
        employee_number=row.employee_number,
        personnummer=row.personal_identity_number or "",
        first_name=row.first_name,
        last_name=row.last_name,
    )


def _export_line(row: Any, employee_number: str) -> files.ExportLine:
    """A frozen line as the file writes it: its id is its postid, the same in every export of
    the period (a re-export replaces transactions by it)."""
    return files.ExportLine(
        employee_number=employee_number,
        date=row.date,
        pay_type=row.pay_type or "",
        description=row.description,
        time_code=row.time_code,
        quantity=row.quantity,
        unit=row.unit.value if row.unit is not None else None,
        unit_price=row.unit_price,
        amount=row.amount,
        source=row.source.value,
        hours=row.hours,
        extent_percent=row.extent_percent,
        code=row.code,
        vat=row.vat,
        dimensions=((PROJECT_DIMENSION, row.project),) if row.project else (),
        start=row.start_time,
        end=row.end_time,
        postid=row.id,
    )


async def load_material(
    session: AsyncSession,
    period: PayrollPeriod,
    employee_ids: frozenset[int] | None,
    *,
    line_count: int | None = None,
) -> PeriodMaterial:
    """The period's company, its employees with lines (by employee number) and line count
    (counted unless the caller already knows it)."""
    lines = select(PayrollLine.employee_id).where(_period_lines(period.id))
    counted = select(func.count(PayrollLine.id)).where(_period_lines(period.id))
    if employee_ids is not None:
        lines = lines.where(PayrollLine.employee_id.in_(employee_ids))
        counted = counted.where(PayrollLine.employee_id.in_(employee_ids))
    employees = (
        await session.scalars(
            select(Employee).where(Employee.id.in_(lines)).order_by(Employee.employee_number)
        )
    ).all()
    company = await session.get_one(Company, period.company_id)
    encodings = await paxml_encodings(session, [period.company_id])
    return PeriodMaterial(
        period=period,
        company=export_company(company),
        employees={row.id: _export_employee(row) for row in employees},
        line_count=line_count if line_count is not None else await session.scalar(counted) or 0,
        employee_ids=employee_ids,
        encoding=encodings[period.company_id],
        reexport=_reexport(period),
    )


def _reexport(period: PayrollPeriod) -> paxml.ReExport | None:
    """`nyexport` for a period exported before: the day of the last export and the period."""
    if period.state is not PeriodState.EXPORTED or period.exported_at is None:
        return None
    moment = period.exported_at
    if moment.tzinfo is None:  # stored as UTC
        moment = moment.replace(tzinfo=UTC)
    return paxml.ReExport(
        earlier_export=moment.astimezone(STOCKHOLM).date(),
        period_start=period.start_date,
        period_end=period.end_date,
    )


async def stream_lines(
    work: ExportWork, material: PeriodMaterial, progress: Progress
) -> AsyncGenerator[list[files.ExportLine], None]:
    """The period's lines in file order, a chunk at a time, read with the asker's rights."""
    async with work.reading(as_area=Area.PAYROLL_BASIS) as session:
        async for chunk in lines_in(session, material):
            yield chunk
            await progress.add(len(chunk))


async def lines_in(
    session: AsyncSession, material: PeriodMaterial
) -> AsyncGenerator[list[files.ExportLine], None]:
    """The period's lines in file order, a chunk at a time, as `session` reads them (the
    asker's rights for an export; the payroll integration's deliverer reads as the system)."""
    statement = (
        select(*LINE_COLUMNS)
        .where(_period_lines(material.period.id))
        .order_by(PayrollLine.employee_id, PayrollLine.position)
    )
    if material.employee_ids is not None:
        statement = statement.where(PayrollLine.employee_id.in_(material.employee_ids))
    numbers = {key: employee.employee_number for key, employee in material.employees.items()}
    result = await session.stream(statement.execution_options(yield_per=CHUNK_ROWS))
    async for rows in result.partitions():
        yield [_export_line(row, numbers[row.employee_id]) for row in rows]


BasisWriter = Callable[[BinaryIO, Iterator[files.ExportLine]], dict[str, Any]]


def basis_writer(material: PeriodMaterial, options: BasisOptions) -> BasisWriter:
    """A function that writes one period's file from its lines, returning its totals."""

    def write(out: BinaryIO, lines: Iterator[files.ExportLine]) -> dict[str, Any]:
        counted = Counted(lines)
        if options.file_format is ExportFormat.PAXML:
            paxml.write_paxml(
                out,
                company=material.company,
                export_date=options.export_date,
                employees=material.employees.values(),
                lines=counted,
                encoding=material.encoding,
                reexport=material.reexport,
            )
        else:
            by_number = {e.employee_number: e for e in material.employees.values()}
            files.write_basis_csv(out, counted, by_number, decimal_comma=options.decimal_comma)
        return {
            "lines": counted.count,
            "total_amount": str(counted.amount),
            "employees": len(material.employees),
        }

    return write


def basis_file_name(material: PeriodMaterial, options: BasisOptions, access: Access) -> str:
    """`lonunderlag_<organisation number>_<YYYY-MM>.xml` (or .csv); a sole trader's number
    (its owner's personnummer) masked unless the asker (`access`) may see it in full."""
    orgnr = name_number(material.company, material.period.company_id, access)
    return f"lonunderlag_{orgnr}_{month_label(material.period.start_date)}.{options.extension}"


def name_number(company: files.ExportCompany, company_id: int, access: Access) -> str:
    """The company's organisation number as file and folder names carry it for the asker."""
    in_full = sees_owner_identity(access, company_id)
    return files.organisation_number_in_names(company.organisation_number, in_full=in_full)
