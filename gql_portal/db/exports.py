"""Export records: a file made from a company's payroll basis or expenses (or, for a partner
firm, from many clients' payroll bases at once), written in the background and downloaded through
short-lived signed links.

An export belongs to the company whose data it holds (a batch: to the firm that made it). Its
row is visible where the viewer reaches that company's PAYROLL_BASIS; in the portal, a firm sees
the exports it made itself, of its current clients and its batches.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, ColumnElement, ForeignKey, Index, String, and_, false, or_
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk, enum_column
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area, Op


class ExportKind(StrEnum):
    PAYROLL_BASIS = "PAYROLL_BASIS"  # one company's period, as PAXml or CSV
    EXPENSES = "EXPENSES"  # one company's receipts and expense summary, as a ZIP
    PAYROLL_BATCH = "PAYROLL_BATCH"  # a firm's clients' periods, as a ZIP of per-client files
    EXPENSES_BATCH = "EXPENSES_BATCH"  # a firm's clients' expenses, as a ZIP of per-client folders


class ExportFormat(StrEnum):
    PAXML = "PAXML"
    CSV = "CSV"
    ZIP = "ZIP"
    SIE4I = "SIE4I"  # expenses: a ZIP with SIE 4i vouchers (.SI), the receipts and the summary


class ExportState(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"


class Export(IdMixin, CompanyOwned, Base):
    __tablename__ = "exports"
    __area__: ClassVar[Area] = Area.PAYROLL_BASIS
    __table_args__ = (Index("ix_exports_company_created", "company_id", "created_at"),)

    company_id: Mapped[int] = company_fk()
    # The partner firm that made it (in the portal, or logged in to the client's company).
    firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ExportKind] = enum_column(ExportKind)
    format: Mapped[ExportFormat] = enum_column(ExportFormat)
    # The area whose EXPORT right making (and downloading) it takes.
    area: Mapped[Area] = enum_column(Area)
    state: Mapped[ExportState] = enum_column(ExportState)
    progress: Mapped[int] = mapped_column(default=0)  # percent
    period_id: Mapped[int | None] = mapped_column(
        ForeignKey("payroll_periods.id", ondelete="SET NULL")
    )
    date_from: Mapped[date | None]
    date_to: Mapped[date | None]
    # What was asked for (employees, decimal mark, export date, clients): repeatable.
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    file_name: Mapped[str | None] = mapped_column(String(200))
    storage_key: Mapped[str | None] = mapped_column(String(300))
    size_bytes: Mapped[int | None]
    sha256: Mapped[str | None] = mapped_column(String(64))
    # Batches: per client, exported or skipped and why. Single exports: line and amount totals.
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(String(500))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    # Written as the job makes progress: a RUNNING export whose heartbeat stopped was interrupted.
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # When the retention job deleted the file (GQL_PORTAL_EXPORT_RETENTION_DAYS after it was
    # written); its storage_key is cleared then, the rest of the row stays.
    file_deleted_at: Mapped[datetime | None]

    @classmethod
    def firm_rows(cls, access: Access) -> ColumnElement[bool] | None:
        # In the portal: what the firm made, of its current clients, and its own batches; to a
        # viewer who exports (the firm's assistants see no exports).
        if not access.column_reaches(Area.PAYROLL_BASIS, Op.EXPORT):
            return false()
        made_here = cls.firm_id == access.company_id
        of_reach = or_(
            cls.company_id == access.company_id, cls.company_id.in_(sorted(access.client_ids))
        )
        return and_(made_here, of_reach)
