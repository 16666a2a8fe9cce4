"""What an export job is given: who asked for which export, as a frozen value.

A job outlives the request that started it, so it keeps nothing of the request (no context, no
session, no ORM rows): the asking viewer's `Access` as it was (a value; its rows read with the
session dropped) and the export's description and options, read once from the new record.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from gql_portal.audit import AuditActor
from gql_portal.db.exports import Export, ExportFormat, ExportKind
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.permissions.access import Access, Gate
from gql_portal.permissions.matrix import Actor
from gql_portal.permissions.roles import SchemaRole


@dataclass(frozen=True, slots=True)
class BasisOptions:
    """How one period's payroll basis is written (alone, or as one client's file of a batch)."""

    file_format: ExportFormat  # PAXML or CSV
    decimal_comma: bool  # CSV: Swedish Excel's decimal comma and `;`
    export_date: date  # PAXml: the header's date (fixed, so an export repeats byte for byte)
    employee_ids: frozenset[int] | None = None  # None: every employee with a line

    @property
    def extension(self) -> str:
        return "xml" if self.file_format is ExportFormat.PAXML else "csv"


@dataclass(frozen=True, slots=True)
class ExpenseOptions:
    statuses: tuple[ExpenseStatus, ...]
    decimal_comma: bool
    # ZIP: receipts and the summary CSV; SIE4I: besides them, the approved expenses as SIE 4i
    # vouchers (a .SI file) whose `#GEN` is `export_date`.
    file_format: ExportFormat = ExportFormat.ZIP
    export_date: date | None = None

    @property
    def sie(self) -> bool:
        return self.file_format is ExportFormat.SIE4I


@dataclass(frozen=True, slots=True)
class ExpenseBatchOptions:
    """A firm's batch of its clients' expenses: each client's folder as `expenses` says."""

    client_ids: tuple[int, ...]  # as asked (checked against the firm's clients then)
    expenses: ExpenseOptions


@dataclass(frozen=True, slots=True)
class BatchOptions:
    client_ids: tuple[int, ...]  # as asked (checked against the firm's clients then)
    basis: BasisOptions  # each client's file


ExportOptions = BasisOptions | ExpenseOptions | BatchOptions | ExpenseBatchOptions


@dataclass(frozen=True, slots=True)
class ExportRequest:
    export_id: int
    kind: ExportKind
    company_id: int  # whose data; a batch: the firm that made it
    period_id: int | None
    date_from: date | None
    date_to: date | None
    options: ExportOptions
    # Who asked: the job reads with these rights (row scoping as in their request).
    access: Access
    client_address: str
    request_id: str

    @classmethod
    def of(
        cls, export: Export, access: Access, *, client_address: str, request_id: str
    ) -> ExportRequest:
        """The request for a new export record, asked by the viewer with `access`."""
        return cls(
            export_id=export.id,
            kind=export.kind,
            company_id=export.company_id,
            period_id=export.period_id,
            date_from=export.date_from,
            date_to=export.date_to,
            options=_options(export.kind, export.format, export.options),
            access=replace(access, rows=None),  # the session's rows stay with the request
            client_address=client_address,
            request_id=request_id,
        )

    @property
    def user_id(self) -> int | None:
        return self.access.user_id

    @property
    def session_id(self) -> int | None:
        return self.access.session_id

    @property
    def firm_id(self) -> int | None:
        return self.access.partner_firm_id

    @property
    def actor(self) -> AuditActor:
        """Who the export's audit events name: the viewer who asked."""
        return AuditActor.acting(
            self.access, client_address=self.client_address, request_id=self.request_id
        )


def job_payload(access: Access, *, client_address: str, request_id: str) -> dict[str, Any]:
    """What an export's queued job keeps of the request (db/jobs.py): who asked, with their
    rights as they were, so that any worker on any machine runs it as they would have seen it."""
    return {
        "access": access_payload(access),
        "client_address": client_address,
        "request_id": request_id,
    }


def request_of(export: Export, payload: dict[str, Any]) -> ExportRequest:
    """The request of a queued export job, from its export's record and the job's payload."""
    return ExportRequest.of(
        export,
        access_of(payload["access"]),
        client_address=payload["client_address"],
        request_id=payload["request_id"],
    )


def access_payload(access: Access) -> dict[str, Any]:
    """A viewer's `Access` as JSON (every field but the session's rows)."""
    return {
        "role": access.role.value,
        "user_id": access.user_id,
        "session_id": access.session_id,
        "company_id": access.company_id,
        "actor": access.actor.value if access.actor else None,
        "acting_firm_id": access.acting_firm_id,
        "gate": access.gate.value,
        "company_is_firm": access.company_is_firm,
        "employee_id": access.employee_id,
        "client_ids": sorted(access.client_ids),
        "full_client_ids": sorted(access.full_client_ids),
        "firm_actor": access.firm_actor.value if access.firm_actor else None,
    }


def access_of(stored: dict[str, Any]) -> Access:
    """The `Access` that `access_payload` wrote."""
    return Access(
        role=SchemaRole(stored["role"]),
        user_id=stored["user_id"],
        session_id=stored["session_id"],
        company_id=stored["company_id"],
        actor=Actor(stored["actor"]) if stored["actor"] else None,
        acting_firm_id=stored["acting_firm_id"],
        gate=Gate(stored["gate"]),
        company_is_firm=bool(stored["company_is_firm"]),
        employee_id=stored["employee_id"],
        client_ids=frozenset(stored["client_ids"]),
        full_client_ids=frozenset(stored["full_client_ids"]),
        firm_actor=Actor(stored["firm_actor"]) if stored["firm_actor"] else None,
    )


def _options(kind: ExportKind, file_format: ExportFormat, stored: dict[str, Any]) -> ExportOptions:
    """The typed options of a record's JSON `options` (as the export mutations write them)."""
    if kind is ExportKind.EXPENSES:
        return _expenses(file_format, stored)
    if kind is ExportKind.EXPENSES_BATCH:
        return ExpenseBatchOptions(
            client_ids=tuple(stored["client_ids"]), expenses=_expenses(file_format, stored)
        )
    if kind is ExportKind.PAYROLL_BATCH:
        return BatchOptions(
            client_ids=tuple(stored["client_ids"]),
            basis=_basis(ExportFormat(stored["file_format"]), stored),
        )
    return _basis(file_format, stored)


def _basis(file_format: ExportFormat, stored: dict[str, Any]) -> BasisOptions:
    wanted = stored.get("employee_ids")
    return BasisOptions(
        file_format=file_format,
        decimal_comma=bool(stored["decimal_comma"]),
        export_date=date.fromisoformat(stored["export_date"]),
        employee_ids=frozenset(wanted) if wanted is not None else None,
    )


def _expenses(file_format: ExportFormat, stored: dict[str, Any]) -> ExpenseOptions:
    export_date = stored.get("export_date")  # absent in exports made before SIE
    return ExpenseOptions(
        statuses=tuple(ExpenseStatus(s) for s in stored["statuses"]),
        decimal_comma=bool(stored["decimal_comma"]),
        file_format=file_format,
        export_date=date.fromisoformat(export_date) if export_date else None,
    )
