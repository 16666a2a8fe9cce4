"""GraphQL types of exports: the export record, its signed download link, and the inputs of the
three export mutations."""

import datetime
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql_portal.db import exports as db
from gql_portal.db.payroll import PayrollPeriod as PeriodRow
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.permissions.rules import ExportRule, Structural
from gql_portal.resolvers.loading import by_id

# The expenses domain registers the ExpenseStatus enum that the expenses export filters by: one
# definition, whichever module is imported first.
from gql_portal.schema import expenses as _expenses_schema  # noqa: F401
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.payroll import PayrollPeriod
from gql_portal.schema.plugs import Plug

if TYPE_CHECKING:
    from gql_portal.context import RequestContext

    LinkOf = Callable[[RequestContext, "Export"], tuple[str, datetime.datetime] | None]

EXPORTS = ExportRule()
STRUCTURAL = Structural()
# Signed by the exports' resolvers (the download route checks it): schema/root.py plugs it in.
DOWNLOAD_LINK: "Plug[LinkOf]" = Plug("Export.downloadUrl")

ExportKind = strawberry.enum(
    db.ExportKind,
    description="What an export holds: a company's payroll basis, its expenses with their "
    "receipts, or a firm's batch of its clients' payroll bases or expenses.",
)
ExportFormat = strawberry.enum(
    db.ExportFormat,
    description="PAXML (PAXml 2.0, for payroll programs), CSV (UTF-8 with BOM, for Excel), "
    "ZIP (receipts with a summary; a batch's per-client files with a manifest), or SIE4I (a ZIP "
    "with expense vouchers as SIE 4i for the bookkeeping program, receipts and summary).",
)
ExportState = strawberry.enum(
    db.ExportState,
    description="QUEUED and RUNNING while the file is written; DONE when it can be downloaded; "
    "FAILED with an `error`.",
)
describe_values(
    db.ExportKind,
    {
        "PAYROLL_BASIS": "One company's payroll basis of one period (PAXML or CSV).",
        "EXPENSES": "One company's expenses with their receipts (ZIP or SIE4I).",
        "PAYROLL_BATCH": "A firm's batch: one month's payroll basis of many clients, in a ZIP.",
        "EXPENSES_BATCH": "A firm's batch: many clients' expenses and receipts, in a ZIP.",
    },
)
describe_values(
    db.ExportFormat,
    {
        "PAXML": "PAXml 2.0 XML, which most Swedish payroll programs import.",
        "CSV": "CSV, UTF-8 with BOM (Excel opens it), decimal comma and `;` by default.",
        "ZIP": "A ZIP: receipts with a summary CSV, or a batch's per-client files and manifest.",
        "SIE4I": "A ZIP with the approved utlägg as SIE 4i vouchers (a .SI file), the receipts "
        "and the summary.",
    },
)
describe_values(
    db.ExportState,
    {
        "QUEUED": "Waiting for a worker to write the file.",
        "RUNNING": "Being written; `progress` tells how far.",
        "DONE": "Written: `downloadUrl` gives the file.",
        "FAILED": "Not written: `error` says why.",
    },
)


@strawberry.type(description="One client of a batch export: exported, or skipped and why.")
class ExportManifestEntry:
    company_id: strawberry.Private[int]
    firm_id: strawberry.Private[int | None]
    organisation_number: str = field(
        EXPORTS,
        description="NNNNNN-NNNN; a sole trader's (its owner's personnummer) YYMMDD-**** unless "
        "the firm's user who made the batch may see it in full.",
    )
    company_name: str = field(EXPORTS)
    status: str = field(EXPORTS, description="EXPORTED or SKIPPED.")
    reason: str | None = field(
        EXPORTS,
        description="Why a client was skipped: NO_PERIOD, PERIOD_NOT_LOCKED, NO_LINES or "
        "MISSING_PERSONAL_IDENTITY_NUMBER; in an expenses batch NO_EXPENSES.",
    )
    file_name: str | None = field(
        EXPORTS,
        description="The client's file inside the ZIP (an expenses batch: its .SI file, or its "
        "summary).",
    )


@strawberry.type(
    description="An export: a file made from payroll basis or expenses, written in the "
    "background; download it through `downloadUrl` while the session's rights last."
)
class Export(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    firm_id: strawberry.Private[int | None]
    summary: strawberry.Private[dict[str, Any]]
    period_id: strawberry.Private[int | None]
    kind: db.ExportKind = field(EXPORTS)
    format: db.ExportFormat = field(EXPORTS)
    state: db.ExportState = field(EXPORTS)
    progress: int = field(EXPORTS, description="Percent written, 0-100.")
    file_name: str | None = field(EXPORTS, description="The file's name, once written.")
    size_bytes: int | None = field(EXPORTS, description="The file's size, once written.")
    sha256: str | None = field(EXPORTS, description="The file's SHA-256 (hex), once written.")
    date_from: datetime.date | None = field(EXPORTS, description="First day of the data.")
    date_to: datetime.date | None = field(EXPORTS, description="Last day of the data.")
    error: str | None = field(EXPORTS, description="Why the export FAILED.")
    created_at: datetime.datetime = field(EXPORTS)
    finished_at: datetime.datetime | None = field(EXPORTS)
    file_deleted_at: datetime.datetime | None = field(
        EXPORTS,
        description="When the file was deleted, `GQL_PORTAL_EXPORT_RETENTION_DAYS` (30) days "
        "after it was written: `downloadUrl` is null from then on (an older link answers 410 "
        "EXPORT_FILE_EXPIRED); the export, its summary and its periods' EXPORTED state stay.",
    )
    created_by_name: str | None = field(EXPORTS, description="Who asked for the export.")
    firm_name: str | None = field(
        EXPORTS, description="The partner firm that made the export, if a firm did."
    )

    @resolver_field(EXPORTS, description="Lines written (payroll basis), or expenses (ZIP).")
    def line_count(self) -> int | None:
        value = self.summary.get("lines")
        return int(value) if value is not None else None

    @resolver_field(
        EXPORTS,
        description="The total amount of the exported lines or expenses (it reconciles with the "
        "payroll basis, or with the expenses' VAT split).",
    )
    def total_amount(self) -> Decimal | None:
        value = self.summary.get("total_amount")
        return Decimal(value) if value is not None else None

    @resolver_field(
        EXPORTS, description="A batch's clients: exported, or skipped and why.", bound=1000
    )
    def manifest(self) -> list[ExportManifestEntry] | None:
        entries = self.summary.get("clients")
        if entries is None:
            return None
        return [
            ExportManifestEntry(
                company_id=self.company_id,
                firm_id=self.firm_id,
                organisation_number=entry["organisation_number"],
                company_name=entry["company_name"],
                status=entry["status"],
                reason=entry.get("reason"),
                file_name=entry.get("file_name"),
            )
            for entry in entries
        ]

    @resolver_field(EXPORTS, description="The payroll period exported, if one was.")
    async def payroll_period(
        self, info: strawberry.Info
    ) -> Annotated["PayrollPeriod", strawberry.lazy("gql_portal.schema.payroll")] | None:
        if self.period_id is None:
            return None
        row = await by_id(info.context, PeriodRow).load(self.period_id)
        return PayrollPeriod.from_row(row) if row else None

    @resolver_field(
        EXPORTS,
        description="A link that downloads the file (DONE, until `fileDeletedAt`): it works until "
        "`downloadUrlExpiresAt` (then 410 LINK_EXPIRED) and only when the session that asked for "
        "it presents itself with the download (its cookie or `Authorization: Bearer`): without a "
        "session 401 UNAUTHENTICATED, with any other session (even the same user's) 404 "
        "NOT_FOUND. That session's rights are checked again when it is used.",
    )
    def download_url(self, info: strawberry.Info) -> str | None:
        link = DOWNLOAD_LINK.resolver(info.context, self)
        return link[0] if link else None

    @resolver_field(EXPORTS, description="When `downloadUrl` stops working.")
    def download_url_expires_at(self, info: strawberry.Info) -> datetime.datetime | None:
        link = DOWNLOAD_LINK.resolver(info.context, self)
        return link[1] if link else None

    @classmethod
    def from_row(
        cls, row: db.Export, *, created_by_name: str | None, firm_name: str | None
    ) -> "Export":
        return cls(
            id=row.id,
            company_id=row.company_id,
            firm_id=row.firm_id,
            summary=row.summary or {},
            period_id=row.period_id,
            kind=row.kind,
            format=row.format,
            state=row.state,
            progress=row.progress,
            file_name=row.file_name,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            date_from=row.date_from,
            date_to=row.date_to,
            error=row.error,
            created_at=row.created_at,
            finished_at=row.finished_at,
            file_deleted_at=row.file_deleted_at,
            created_by_name=created_by_name,
            firm_name=firm_name,
        )


@strawberry.input(description="Export a LOCKED (or already EXPORTED) period's payroll basis.")
class PayrollExportInput:
    period_id: relay.GlobalID = strawberry.field(
        description="The LOCKED or EXPORTED period to export (a `PayrollPeriod` id)."
    )
    format: db.ExportFormat = strawberry.field(description="PAXML or CSV.")
    employee_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="Only these employees (default: all in the period)."
    )
    decimal_comma: bool = strawberry.field(
        default=True, description="CSV: decimal comma and `;` (Swedish Excel), else point and `,`."
    )
    export_date: datetime.date | None = strawberry.field(
        default=None,
        description="The date written in the PAXml header (default: today). Fixing it makes a "
        "re-export of unchanged data byte-identical.",
    )


@strawberry.input(
    description="Export expenses with their receipts as a ZIP: of a payroll period, or of a date "
    "range (at most a year)."
)
class ExpenseExportInput:
    company_id: relay.GlobalID | None = strawberry.field(
        default=None, description="In the partner portal: the client (elsewhere, your company)."
    )
    period_id: relay.GlobalID | None = strawberry.field(
        default=None, description="The period's dates (instead of `from`/`to`)."
    )
    from_: datetime.date | None = strawberry.field(
        default=None, name="from", description="The first day of the range (with `to`)."
    )
    to: datetime.date | None = strawberry.field(
        default=None, description="The last day of the range, at most a year after `from`."
    )
    statuses: list[ExpenseStatus] | None = strawberry.field(
        default=None, description="Which expenses (default: APPROVED; SIE4I: only APPROVED)."
    )
    decimal_comma: bool = strawberry.field(
        default=True, description="The summary CSV: decimal comma and `;`, else point and `,`."
    )
    format: db.ExportFormat = strawberry.field(
        default=db.ExportFormat.ZIP,
        description="ZIP: the receipts and the summary CSV. SIE4I: besides them, the approved "
        "utlägg as SIE 4i vouchers (a .SI file, one voucher per expense, series U, numbered by "
        "the voucher number given at approval); mileage is left out (payroll books it).",
    )
    export_date: datetime.date | None = strawberry.field(
        default=None,
        description="SIE4I: the file's date (#GEN; default: today). Fixing it makes a re-export "
        "of unchanged data byte-identical.",
    )


@strawberry.input(
    description="Export the expenses of many or all clients (partner portal): a month, or a date "
    "range of at most a year; one folder per client with expenses, the rest listed as skipped."
)
class ExpensesBatchExportInput:
    month: str | None = strawberry.field(
        default=None, description="The month, YYYY-MM (instead of `from`/`to`)."
    )
    from_: datetime.date | None = strawberry.field(
        default=None, name="from", description="The first day (with `to`, instead of `month`)."
    )
    to: datetime.date | None = strawberry.field(default=None, description="The last day.")
    client_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="The clients (companies); default: every client."
    )
    format: db.ExportFormat = strawberry.field(
        default=db.ExportFormat.SIE4I,
        description="Each client's folder: SIE4I (its .SI file, receipts and summary) or ZIP "
        "(its receipts and summary).",
    )
    statuses: list[ExpenseStatus] | None = strawberry.field(
        default=None, description="Which expenses (default: APPROVED; SIE4I: only APPROVED)."
    )
    decimal_comma: bool = strawberry.field(
        default=True, description="The CSV files: decimal comma and `;`, else point and `,`."
    )
    export_date: datetime.date | None = strawberry.field(
        default=None, description="SIE4I: the files' date (#GEN; default: today)."
    )


@strawberry.input(
    description="Export one month's payroll basis of many or all clients in one ZIP: clients "
    "without a locked period are skipped and listed in the manifest."
)
class PayrollBatchExportInput:
    month: str = strawberry.field(description="The month, YYYY-MM.")
    client_ids: list[relay.GlobalID] | None = strawberry.field(
        default=None, description="The clients (companies); default: every client."
    )
    format: db.ExportFormat = strawberry.field(
        default=db.ExportFormat.PAXML, description="Each client's file: PAXML or CSV."
    )
    decimal_comma: bool = strawberry.field(
        default=True, description="CSV: decimal comma and `;` (Swedish Excel), else point and `,`."
    )
    export_date: datetime.date | None = strawberry.field(
        default=None, description="The date written in each PAXml header (default: today)."
    )


@strawberry.type(description="The export the mutation started (DONE if it finished at once).")
class ExportPayload:
    export: Export = field(STRUCTURAL)


@strawberry.enum(description="What `exports` can be ordered by.")
class ExportOrderField(Enum):
    CREATED = strawberry.enum_value("CREATED", description="When the export was started.")
    STATE = strawberry.enum_value(
        "STATE",
        description="The state, by its name (DONE, FAILED, QUEUED, RUNNING).",
    )
    KIND = strawberry.enum_value(
        "KIND", description="The kind, by its name (one kind after another)."
    )


@strawberry.input(description="An order for `exports`: a field and a direction.")
class ExportOrder:
    field: ExportOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
