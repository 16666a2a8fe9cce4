"""Exports: a mutation makes an export record (QUEUED) and its job in the database's queue, a
background job (gql_portal.jobs.exports; started at once by this worker when it has a free slot,
else by any other worker on any machine) writes its file (RUNNING, with progress) and marks it
DONE, and a short-lived signed link downloads it.

- Payroll basis (PAXml 2.0 or CSV) of a LOCKED or EXPORTED period: read from the frozen lines,
  so exporting unchanged data again gives the same bytes (the header's date can be fixed).
  Success marks the period EXPORTED in the same transaction that marks the export DONE.
- Expenses (ZIP): every receipt named after its expense, and a summary with the VAT split; as
  SIE4I also the approved utlägg as SIE 4i vouchers for the bookkeeping program.
- Batch (portal): one month of many clients' payroll bases, or a range of their expenses, a ZIP
  of per-client files and a manifest.

The job reads with the rights of the viewer who asked (row scoping as in the request); the
download checks the session's rights again. Files are written to a temporary name and renamed:
an export is never DONE without its file, and one cut short by a crash is taken over by another
worker once its job's lease ran out, or (one machine, local-folder storage) marked FAILED and its
files removed by the next start (`recover_interrupted_exports`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, User
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.functions import in_byte_order
from gql_portal.db.jobs import Job, JobKind
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.domain.payroll import PeriodState, month_period, parse_month
from gql_portal.errors import Problems, bad_input
from gql_portal.jobs.exports import employees_without_identity, job_payload
from gql_portal.jobs.exports.common import export_changed
from gql_portal.jobs.queue import enqueue
from gql_portal.jobs.runner import start_now
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import (
    AreaRule,
    ExportRule,
    PartnerPortal,
    may_download_export,
    require_export_reach,
)
from gql_portal.permissions.rules import batch_clients as firm_batch_clients
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import by_id, company_filter, paginate
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import exports as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import CompanyIdFilter
from gql_portal.schema.relay import After, Before, Connection, Edge, First, Last
from gql_portal.security import link_signature

log = logging.getLogger("gql_portal.exports")

TYPE_NAME = "Export"
EXPENSE_FORMATS = (ExportFormat.ZIP, ExportFormat.SIE4I)
DOWNLOAD_PATH = "/files/exports"


# --- reading --------------------------------------------------------------------------------


async def to_nodes(session: AsyncSession, rows: Iterable[Export]) -> list[gql.Export]:
    """Export records as GraphQL objects, with who made them: two statements for any number."""
    rows = list(rows)
    user_ids = {row.created_by_user_id for row in rows if row.created_by_user_id}
    firm_ids = {row.firm_id for row in rows if row.firm_id}
    users: dict[int, str] = {}
    firms: dict[int, str] = {}
    if user_ids:
        found = await session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        users = {user_id: name for user_id, name in found}
    if firm_ids:
        found = await session.execute(
            select(Company.id, Company.name).where(Company.id.in_(firm_ids))
        )
        firms = {firm_id: name for firm_id, name in found}
    return [
        gql.Export.from_row(
            row,
            created_by_name=users.get(row.created_by_user_id or 0),
            firm_name=firms.get(row.firm_id or 0),
        )
        for row in rows
    ]


async def export_by_id(ctx: RequestContext, export_id: int) -> gql.Export | None:
    row = await by_id(ctx, Export).load(export_id)
    if row is None:
        return None
    async with ctx.database.session() as session:
        (node,) = await to_nodes(session, [row])
    return node


EXPORTS_NEWEST = default_order([Export.id], descending=True)
EXPORT_ORDERS = {
    gql.ExportOrderField.CREATED: OrderChoice([SortKey(Export.created_at)]),
    gql.ExportOrderField.STATE: OrderChoice([SortKey(Export.state, in_byte_order)]),
    gql.ExportOrderField.KIND: OrderChoice([SortKey(Export.kind, in_byte_order)]),
}


async def exports(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    kind: Annotated[
        ExportKind | None,
        strawberry.argument(description="Only exports of this kind (default: all)."),
    ] = None,
    company_id: CompanyIdFilter = None,
    order_by: Annotated[
        gql.ExportOrder | None,
        strawberry.argument(description="The order (default: newest first, by id)."),
    ] = None,
) -> Connection[gql.Export]:
    """The exports the viewer reaches, newest first."""
    ctx = info.context
    statement = select(Export).where(*company_filter(ctx, Export.company_id, company_id))
    if kind is not None:
        statement = statement.where(Export.kind == kind)
    order = chosen_order(
        ctx, order_by, EXPORT_ORDERS, Export.id, EXPORTS_NEWEST, listed=Area.PAYROLL_BASIS
    )
    rows = await paginate(
        ctx, statement, order, _row, first=first, after=after, last=last, before=before
    )
    async with ctx.database.session() as session:
        nodes = await to_nodes(session, [edge.node for edge in rows.edges])
    return Connection(
        edges=[Edge(cursor=e.cursor, node=n) for e, n in zip(rows.edges, nodes, strict=True)],
        page_info=rows.page_info,
        count=rows.count,
    )


def _row(row: Export) -> Export:
    return row


def a_year_after(day: date) -> date:
    """The first day past a year that starts on `day` (a range of expenses ends before it):
    1 March 2025 gives 1 March 2026, 29 February 2024 gives 1 March 2025."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February, and no such day next year
        return date(day.year + 1, 3, 1)


# --- download links ---------------------------------------------------------------------------


def download_link(ctx: RequestContext, export: gql.Export) -> tuple[str, datetime] | None:
    """A signed link for this session to download a DONE export; one per request and export."""
    session_id = ctx.access.session_id
    if export.state is not ExportState.DONE or export.file_deleted_at or session_id is None:
        return None
    links: dict[int, tuple[str, datetime]] = ctx.cache.setdefault("export_links", {})
    if export.id not in links:
        expires_at = ctx.clock.now().replace(microsecond=0) + timedelta(
            minutes=ctx.settings.export_link_minutes
        )
        expires = int(expires_at.timestamp())
        signature = link_signature(
            ctx.settings.secret_key, "export", export.id, session_id, expires
        )
        query = urlencode({"session": session_id, "expires": expires, "signature": signature})
        links[export.id] = (
            f"{ctx.settings.public_url}{DOWNLOAD_PATH}/{export.id}?{query}",
            expires_at,
        )
    return links[export.id]


def batch_clients(export: Export) -> list[int]:
    """The clients whose files a batch holds (none for a single company's export)."""
    return [
        entry["company_id"] for entry in export.summary.get("clients", []) if entry.get("file_name")
    ]


def downloadable(access: Access, export: Export) -> bool:
    clients = batch_clients(export)
    return may_download_export(access, export.area, export.company_id, export.firm_id, clients)


# --- creating ---------------------------------------------------------------------------------


def _new_export(ctx: RequestContext, **values: Any) -> Export:
    return Export(
        firm_id=ctx.access.partner_firm_id,
        state=ExportState.QUEUED,
        progress=0,
        created_by_user_id=ctx.access.user_id,
        created_at=ctx.clock.now(),
        summary={},
        **values,
    )


async def export_payroll_basis(
    info: Ctx,
    input: Annotated[
        gql.PayrollExportInput,
        strawberry.argument(description="The period, the format and the options of the file."),
    ],
) -> gql.ExportPayload:
    ctx = info.context
    problems = Problems()
    if input.format not in (ExportFormat.PAXML, ExportFormat.CSV):
        problems.add("format", "UNSUPPORTED", "a payroll basis is exported as PAXML or CSV")
    period_id = node_id(input.period_id, "PayrollPeriod", "periodId")
    employee_ids = (
        None
        if input.employee_ids is None
        else frozenset(node_id(i, "Employee", "employeeIds") for i in input.employee_ids)
    )
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.EXPORT, as_area=Area.PAYROLL_BASIS) as session:
        period = await session.scalar(select(PayrollPeriod).where(PayrollPeriod.id == period_id))
        if period is None:
            raise not_found("PayrollPeriod", "periodId")
        if period.state is PeriodState.OPEN:
            raise bad_input(
                "periodId", "NOT_LOCKED", "lock the period first: its frozen basis is exported"
            )
        if input.format is ExportFormat.PAXML:
            missing = await employees_without_identity(session, period.id, employee_ids)
            if missing:
                raise bad_input(
                    "periodId",
                    "MISSING_PERSONAL_IDENTITY_NUMBER",
                    "PAXml needs every employee's personal identity number; missing for "
                    + ", ".join(sorted(missing)),
                )
        export = _new_export(
            ctx,
            company_id=period.company_id,
            kind=ExportKind.PAYROLL_BASIS,
            format=input.format,
            area=Area.PAYROLL_BASIS,
            period_id=period.id,
            date_from=period.start_date,
            date_to=period.end_date,
            options={
                "employee_ids": sorted(employee_ids) if employee_ids is not None else None,
                "decimal_comma": input.decimal_comma,
                "export_date": (input.export_date or ctx.clock.today()).isoformat(),
            },
        )
        job = await _queue(ctx, session, export)
    return await _start(ctx, export, job)


def _check_range(problems: Problems, start: date | None, end: date | None) -> None:
    """`to` on or after `from`, at most a year."""
    if start is not None and end is not None:
        if end < start:
            problems.add("to", "BEFORE_FROM", "must be on or after `from`")
        elif end >= a_year_after(start):
            problems.add("to", "TOO_LONG", "at most a year per export")


def _check_expense_format(
    problems: Problems, file_format: ExportFormat, asked: list[ExpenseStatus] | None
) -> None:
    """ZIP or SIE4I, and the statuses they take (default APPROVED). A SIE file is the books':
    only approved expenses have a voucher, so SIE4I takes nothing else (APPROVED_ONLY)."""
    if file_format not in EXPENSE_FORMATS:
        problems.add("format", "UNSUPPORTED", "expenses are exported as ZIP or SIE4I")
    statuses = sorted(set(asked or [ExpenseStatus.APPROVED]))
    if file_format is ExportFormat.SIE4I and statuses != [ExpenseStatus.APPROVED]:
        problems.add(
            "statuses",
            "APPROVED_ONLY",
            "a SIE file holds vouchers, and only approved expenses have one: leave out "
            "`statuses` or give only APPROVED",
        )


def _expense_options(
    ctx: RequestContext, input: gql.ExpenseExportInput | gql.ExpensesBatchExportInput
) -> dict[str, Any]:
    statuses = sorted(set(input.statuses or [ExpenseStatus.APPROVED]))
    return {
        "statuses": [s.value for s in statuses],
        "decimal_comma": input.decimal_comma,
        "export_date": (input.export_date or ctx.clock.today()).isoformat(),
    }


async def export_expenses(
    info: Ctx,
    input: Annotated[
        gql.ExpenseExportInput,
        strawberry.argument(
            description="The company (in the portal), the period or date range, which "
            "expenses, and the format."
        ),
    ],
) -> gql.ExportPayload:
    ctx = info.context
    problems = Problems()
    company_id = ctx.access.company_id
    if input.company_id is not None:
        company_id = node_id(input.company_id, "Company", "companyId")
    period_id = node_id(input.period_id, "PayrollPeriod", "periodId") if input.period_id else None
    if (period_id is None) == (input.from_ is None or input.to is None):
        problems.add("periodId", "REQUIRED", "give either a period or both `from` and `to`")
    else:
        _check_range(problems, input.from_, input.to)
    _check_expense_format(problems, input.format, input.statuses)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.EXPORT) as session:
        start, end = input.from_, input.to
        if period_id is not None:
            period = await session.scalar(
                select(PayrollPeriod).where(PayrollPeriod.id == period_id)
            )
            if period is None:
                raise not_found("PayrollPeriod", "periodId")
            company_id, start, end = period.company_id, period.start_date, period.end_date
        company_id = require_export_reach(
            ctx.access, Area.EXPENSES_RECEIPTS, company_id, "companyId"
        )
        assert start is not None and end is not None
        export = _new_export(
            ctx,
            company_id=company_id,
            kind=ExportKind.EXPENSES,
            format=input.format,
            area=Area.EXPENSES_RECEIPTS,
            period_id=period_id,
            date_from=start,
            date_to=end,
            options=_expense_options(ctx, input),
        )
        job = await _queue(ctx, session, export)
    return await _start(ctx, export, job)


async def export_payroll_batch(
    info: Ctx,
    input: Annotated[
        gql.PayrollBatchExportInput,
        strawberry.argument(
            description="The month, the clients and the format of each client's file."
        ),
    ],
) -> gql.ExportPayload:
    ctx = info.context
    access = ctx.access
    problems = Problems()
    try:
        month_start = parse_month(input.month)
    except ValueError:
        problems.add("month", "INVALID", "must be a month, YYYY-MM")
        month_start = date.min
    if input.format not in (ExportFormat.PAXML, ExportFormat.CSV):
        problems.add("format", "UNSUPPORTED", "each client's file is PAXML or CSV")
    wanted = (
        None
        if input.client_ids is None
        else {node_id(client, "Company", "clientIds") for client in input.client_ids}
    )
    problems.raise_if_any()
    clients = firm_batch_clients(access, wanted)
    if not clients:
        raise bad_input("clientIds", "NO_CLIENTS", "the firm has no client to export")
    assert access.company_id is not None
    _, month_end = month_period(month_start)
    async with ctx.database.transaction() as session:
        export = _new_export(
            ctx,
            company_id=access.company_id,
            kind=ExportKind.PAYROLL_BATCH,
            format=ExportFormat.ZIP,
            area=Area.PAYROLL_BASIS,
            date_from=month_start,
            date_to=month_end,
            options={
                "client_ids": clients,
                "file_format": input.format.value,
                "decimal_comma": input.decimal_comma,
                "export_date": (input.export_date or ctx.clock.today()).isoformat(),
            },
        )
        job = await _queue(ctx, session, export)
    return await _start(ctx, export, job)


async def export_expenses_batch(
    info: Ctx,
    input: Annotated[
        gql.ExpensesBatchExportInput,
        strawberry.argument(
            description="The clients, the period or date range, and the format of each "
            "client's files."
        ),
    ],
) -> gql.ExportPayload:
    ctx = info.context
    access = ctx.access
    problems = Problems()
    start, end = input.from_, input.to
    # a month, or both days: never a month with a day, nor one day alone
    one_way = start is None and end is None if input.month else None not in (start, end)
    if not one_way:
        problems.add("month", "REQUIRED", "give either a month or both `from` and `to`")
    elif input.month is not None:
        try:
            start, end = month_period(parse_month(input.month))
        except ValueError:
            problems.add("month", "INVALID", "must be a month, YYYY-MM")
    else:
        _check_range(problems, start, end)
    _check_expense_format(problems, input.format, input.statuses)
    wanted = (
        None
        if input.client_ids is None
        else {node_id(client, "Company", "clientIds") for client in input.client_ids}
    )
    problems.raise_if_any()
    clients = firm_batch_clients(access, wanted, Area.EXPENSES_RECEIPTS)
    if not clients:
        raise bad_input("clientIds", "NO_CLIENTS", "the firm has no client to export")
    assert access.company_id is not None and start is not None and end is not None
    async with ctx.database.transaction() as session:
        export = _new_export(
            ctx,
            company_id=access.company_id,
            kind=ExportKind.EXPENSES_BATCH,
            format=input.format,
            area=Area.EXPENSES_RECEIPTS,
            date_from=start,
            date_to=end,
            options={"client_ids": clients, **_expense_options(ctx, input)},
        )
        job = await _queue(ctx, session, export)
    return await _start(ctx, export, job)


async def _queue(ctx: RequestContext, session: AsyncSession, export: Export) -> Job:
    """Add the export's record and its job in the mutation's transaction: any worker on any
    machine may run it (gql_portal/jobs/queue.py). The job keeps who asked, with their rights
    as they were, and nothing else of the request."""
    session.add(export)
    await session.flush()  # the export's id, for its job
    payload = job_payload(ctx.access, client_address=ctx.client_address, request_id=ctx.request_id)
    return enqueue(session, ctx.runtime, JobKind.EXPORT, payload, export_id=export.id)


async def _start(ctx: RequestContext, export: Export, job: Job) -> gql.ExportPayload:
    """Start the export's job here when this worker has a free slot (else another worker
    takes it); answer once it is done, or after a short wait with its progress so far."""
    export_id = export.id
    ctx.runtime.bus.publish_soon(export_changed(export.company_id, export_id))  # QUEUED
    task = start_now(ctx.runtime, job.id)
    await asyncio.wait({task}, timeout=ctx.settings.export_wait_seconds)
    async with ctx.database.scoped(ctx.access) as session:
        row = await session.scalar(select(Export).where(Export.id == export_id))
        if row is None:  # the viewer lost the right meanwhile
            raise not_found(TYPE_NAME)
        (node,) = await to_nodes(session, [row])
    return gql.ExportPayload(export=node)


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    exports = field(
        ExportRule(),
        exports,
        description="Exports, newest first; filter by `kind`, and in the portal by client "
        "(`companyId`).",
    )


@strawberry.type
class Mutations:
    export_payroll_basis = mutation(
        AreaRule(Area.PAYROLL_BASIS, Op.EXPORT),
        export_payroll_basis,
        description="Export a LOCKED (or EXPORTED) period's payroll basis as PAXml 2.0 or CSV; "
        "the period becomes EXPORTED. Exporting again is allowed and gives the same file for "
        "unchanged data and the same `exportDate`.",
    )
    export_expenses = mutation(
        AreaRule(Area.EXPENSES_RECEIPTS, Op.EXPORT),
        export_expenses,
        description="Export expenses with their receipt files as a ZIP, with a summary CSV "
        "whose VAT split reconciles with its total; as SIE4I the ZIP also holds the approved "
        "utlägg as SIE 4i vouchers (a .SI file for the bookkeeping program), each naming its "
        "receipts in `kvitton/`.",
    )
    export_expenses_batch = mutation(
        PartnerPortal(Area.EXPENSES_RECEIPTS, Op.EXPORT),
        export_expenses_batch,
        description="Export the approved expenses of many or all clients in a month or date "
        "range as one ZIP: a folder per client with its SIE 4i file (or, as ZIP, its summary), "
        "receipts and summary; clients without expenses are skipped and listed in the manifest "
        "(`manifest.csv` and the export's `manifest`).",
    )
    export_payroll_batch = mutation(
        PartnerPortal(Area.PAYROLL_BASIS, Op.EXPORT),
        export_payroll_batch,
        description="Export one month's payroll basis of many or all clients as one ZIP of "
        "per-client files; clients without a locked period are skipped and listed in the "
        "manifest (`manifest.csv` and the export's `manifest`).",
    )
