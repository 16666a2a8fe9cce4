"""The payroll basis of one LOCKED (or EXPORTED) period as PAXml or CSV: its frozen lines
streamed into the file; the period becomes EXPORTED with the export."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from gql_portal.db.exports import ExportFormat
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain.exports import ExportLine
from gql_portal.jobs.exports.basis import (
    basis_file_name,
    basis_writer,
    load_material,
    refuse_long_project_codes,
    stream_lines,
)
from gql_portal.jobs.exports.common import ExportFailed, ExportWork, Written
from gql_portal.jobs.exports.request import BasisOptions
from gql_portal.jobs.exports.streaming import write_streamed
from gql_portal.permissions.matrix import Area


async def write_payroll_basis(work: ExportWork) -> Written:
    options = work.request.options
    assert isinstance(options, BasisOptions)
    async with work.reading(as_area=Area.PAYROLL_BASIS) as session:
        period = await session.scalar(
            select(PayrollPeriod).where(PayrollPeriod.id == work.request.period_id)
        )
        if period is None:
            raise ExportFailed("NOT_FOUND", "the period is out of reach")
        material = await load_material(session, period, options.employee_ids)
        if options.file_format is ExportFormat.PAXML:
            await refuse_long_project_codes(session, period.id, options.employee_ids)
    progress = work.progress(material.line_count)
    writer = basis_writer(material, options)

    def write(lines: Iterator[ExportLine]) -> dict[str, Any]:
        with work.tmp.open("wb") as out:
            return writer(out, lines)

    totals = await write_streamed(write, stream_lines(work, material, progress))
    return Written(
        basis_file_name(material, options, work.request.access),
        totals,
        periods=((period.company_id, period.id),),
    )
