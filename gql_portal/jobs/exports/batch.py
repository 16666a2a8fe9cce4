"""An accounting firm's batch: one month's payroll basis of many clients as one ZIP, a folder
with one file per exported client and `manifest.csv` listing every client, exported or skipped
and why (the rules are `gql_portal.domain.export_rules`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import anyio.to_thread
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.exports import ExportFormat
from gql_portal.db.payroll import PayrollLine, PayrollPeriod
from gql_portal.domain import exports as files
from gql_portal.domain.export_rules import ClientMonth, batch_order, manifest_status, skip_reason
from gql_portal.domain.identity import shown_organisation_number
from gql_portal.domain.payroll import PeriodState, month_label, month_period
from gql_portal.jobs.exports.basis import (
    PeriodMaterial,
    basis_file_name,
    basis_writer,
    export_company,
    load_material,
    name_number,
    refuse_long_project_codes,
    stream_lines,
)
from gql_portal.jobs.exports.common import ExportWork, Progress, Written
from gql_portal.jobs.exports.request import BatchOptions
from gql_portal.jobs.exports.streaming import write_streamed
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import sees_owner_identity

MANIFEST_NAME = "manifest.csv"


@dataclass(frozen=True)
class Client:
    """One client of the batch: exported (with the material of its file) or skipped."""

    company_id: int
    organisation_number: str  # NNNNNN-NNNN; a sole trader's YYMMDD-**** unless the asker sees it
    company_name: str
    reason: files.SkipReason | None
    material: PeriodMaterial | None = None
    file_name: str | None = None  # its file in the archive, when exported


async def write_batch(work: ExportWork) -> Written:
    options = work.request.options
    assert isinstance(options, BatchOptions) and work.request.date_from is not None
    month = work.request.date_from
    async with work.runtime.database.session() as session:  # the firm itself: no row scope
        firm = export_company(await session.get_one(Company, work.request.company_id))
    async with work.reading(as_area=Area.PAYROLL_BASIS) as session:
        clients = await _plan(session, options, month, work.request.access)
    exported = [client for client in clients if client.material is not None]
    progress = work.progress(sum(_material(c).line_count for c in exported))
    totals = await _write_archive(work, clients, options, month_period(month)[1], progress)
    manifest = [_manifest_entry(client, totals.get(client.company_id)) for client in clients]
    summary = {
        "lines": sum(int(t["lines"]) for t in totals.values()),
        "total_amount": str(
            sum((Decimal(t["total_amount"]) for t in totals.values()), Decimal("0.00"))
        ),
        "clients": manifest,
    }
    label = f"{month_label(month)}_{len(exported)}-klienter"
    firm_number = name_number(firm, work.request.company_id, work.request.access)
    return Written(
        f"lonunderlag_{firm_number}_{label}.zip",
        summary,
        periods=tuple((c.company_id, _material(c).period.id) for c in exported),
    )


def _material(client: Client) -> PeriodMaterial:
    assert client.material is not None
    return client.material


async def _plan(
    session: AsyncSession, options: BatchOptions, month: date, access: Access
) -> list[Client]:
    """Every client still there, in the batch's order, with why it is skipped or its file. A
    sole trader's organisation number (its owner's personnummer) is masked in the folder's name
    and the manifest unless the asker (`access`) may see it in full."""
    wanted = list(options.client_ids)
    companies = {
        row.id: row
        for row in (await session.scalars(select(Company).where(Company.id.in_(wanted)))).all()
    }
    periods = {
        row.company_id: row
        for row in (
            await session.scalars(
                select(PayrollPeriod).where(
                    PayrollPeriod.company_id.in_(wanted), PayrollPeriod.start_date == month
                )
            )
        ).all()
    }
    locked = [p.id for p in periods.values() if p.state is not PeriodState.OPEN]
    paxml = options.basis.file_format is ExportFormat.PAXML
    line_counts = await _line_counts(session, locked)
    without_identity = await _without_identity(session, locked) if paxml else {}
    clients: list[Client] = []
    folders: set[str] = set()
    for client_id in batch_order(wanted, {key: row.name for key, row in companies.items()}):
        period = periods.get(client_id)
        facts = ClientMonth(
            period_state=period.state if period is not None else None,
            employees_without_identity=without_identity.get(period.id, 0) if period else 0,
            line_count=line_counts.get(period.id, 0) if period else 0,
        )
        reason = skip_reason(facts, paxml=paxml)
        company = companies[client_id]
        in_full = sees_owner_identity(access, company.id)
        shown = shown_organisation_number(company.organisation_number, in_full=in_full)
        named = (company.id, shown, company.name)
        if reason is not None or period is None:
            clients.append(Client(*named, reason))
            continue
        material = await load_material(session, period, None, line_count=facts.line_count)
        if paxml:
            await refuse_long_project_codes(session, period.id, None)
        number = name_number(material.company, company.id, access)
        folder = files.unique_name(
            files.client_folder_name(material.company, number=number), folders
        )
        file_name = basis_file_name(material, options.basis, access)
        clients.append(Client(*named, None, material, f"{folder}/{file_name}"))
    return clients


async def _line_counts(session: AsyncSession, period_ids: Sequence[int]) -> dict[int, int]:
    """The number of lines of each period's file (those without are missing)."""
    if not period_ids:
        return {}
    rows = await session.execute(
        select(PayrollLine.period_id, func.count(PayrollLine.id))
        .where(PayrollLine.period_id.in_(period_ids), PayrollLine.exported())
        .group_by(PayrollLine.period_id)
    )
    return {period_id: count for period_id, count in rows.all()}


async def _without_identity(session: AsyncSession, period_ids: Sequence[int]) -> dict[int, int]:
    """Per period, how many employees with a line in it have no personal identity number."""
    if not period_ids:
        return {}
    rows = await session.execute(
        select(PayrollLine.period_id, func.count(func.distinct(Employee.id)))
        .join(Employee, Employee.id == PayrollLine.employee_id)
        .where(
            PayrollLine.period_id.in_(period_ids),
            PayrollLine.exported(),
            or_(
                Employee.personal_identity_number.is_(None),
                Employee.personal_identity_number == "",
            ),
        )
        .group_by(PayrollLine.period_id)
    )
    return {period_id: count for period_id, count in rows.all()}


async def _write_archive(
    work: ExportWork,
    clients: Sequence[Client],
    options: BatchOptions,
    stamp: date,
    progress: Progress,
) -> dict[int, dict[str, Any]]:
    """One ZIP: each exported client's file streamed into its entry, then the manifest. The
    totals of each client's file, by company id."""
    archive = await anyio.to_thread.run_sync(
        lambda: files.DeterministicZip(work.tmp, timestamp=stamp)
    )
    totals: dict[int, dict[str, Any]] = {}
    try:
        for client in clients:
            if client.material is not None and client.file_name is not None:
                totals[client.company_id] = await _write_client(
                    work, archive, client.material, client.file_name, options, progress
                )
        rows = [_manifest_row(client, totals.get(client.company_id)) for client in clients]
        await anyio.to_thread.run_sync(
            lambda: archive.add_writer(
                MANIFEST_NAME,
                lambda out: files.write_manifest_csv(
                    out, rows, decimal_comma=options.basis.decimal_comma
                ),
            )
        )
    finally:
        await anyio.to_thread.run_sync(archive.close)
    return totals


async def _write_client(
    work: ExportWork,
    archive: files.DeterministicZip,
    material: PeriodMaterial,
    name: str,
    options: BatchOptions,
    progress: Progress,
) -> dict[str, Any]:
    writer = basis_writer(material, options.basis)

    def write_entry(lines: Iterator[files.ExportLine]) -> dict[str, Any]:
        return archive.add_writer(name, lambda out: writer(out, lines))

    return await write_streamed(write_entry, stream_lines(work, material, progress))


def _manifest_row(client: Client, totals: dict[str, Any] | None) -> files.ManifestEntry:
    """The client's row of manifest.csv."""
    return files.ManifestEntry(
        organisation_number=client.organisation_number,
        company_name=client.company_name,
        status=manifest_status(client.reason),
        reason=client.reason,
        file_name=client.file_name,
        line_count=int(totals["lines"]) if totals else 0,
        total_amount=Decimal(totals["total_amount"]) if totals else Decimal("0.00"),
    )


def _manifest_entry(client: Client, totals: dict[str, Any] | None) -> dict[str, Any]:
    """The client as the export's summary keeps it (the `manifest` field reads it)."""
    entry: dict[str, Any] = {
        "company_id": client.company_id,
        "organisation_number": client.organisation_number,
        "company_name": client.company_name,
    }
    if client.file_name is not None:
        entry["file_name"] = client.file_name
    entry["status"] = manifest_status(client.reason).value
    if client.reason is not None:
        entry["reason"] = client.reason
    if totals is not None:
        entry["lines"] = totals["lines"]
        entry["total_amount"] = totals["total_amount"]
    return entry
