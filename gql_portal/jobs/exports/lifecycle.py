"""An export job from QUEUED to DONE or FAILED: it holds the export's owner file, marks it
RUNNING, has its kind write the file to a temporary name, then puts the file into the storage
backend and marks the export DONE (and its periods EXPORTED) in one transaction: an export is
never DONE without its file. A failure marks it FAILED and removes what was written.

Queued in the database (gql_portal/jobs/queue.py), it runs under its job's lease: the lease is
renewed with every heartbeat and checked in the transactions that mark the export RUNNING, DONE
and FAILED (which end the job too), so a worker whose job was taken over writes nothing more."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import anyio.to_thread
from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.audit import AuditActor, record
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.integrations import DeliveryEvent, PayrollIntegration, queue_payroll_delivery
from gql_portal.db.jobs import JobState
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.payroll import PeriodState
from gql_portal.jobs.exports import tmpfiles
from gql_portal.jobs.exports.batch import write_batch
from gql_portal.jobs.exports.common import ExportFailed, ExportWork, Written, export_changed
from gql_portal.jobs.exports.expenses import write_expenses
from gql_portal.jobs.exports.expenses_batch import write_expenses_batch
from gql_portal.jobs.exports.payroll import write_payroll_basis
from gql_portal.jobs.exports.request import BasisOptions, ExportRequest
from gql_portal.jobs.queue import Lease, LeaseLost
from gql_portal.live import Topic, publish_after_commit, publish_change
from gql_portal.runtime import Runtime
from gql_portal.storage import StoredFile

log = logging.getLogger("gql_portal.exports")

WRITERS: dict[ExportKind, Callable[[ExportWork], Awaitable[Written]]] = {
    ExportKind.PAYROLL_BASIS: write_payroll_basis,
    ExportKind.EXPENSES: write_expenses,
    ExportKind.PAYROLL_BATCH: write_batch,
    ExportKind.EXPENSES_BATCH: write_expenses_batch,
}
EXPENSE_KINDS = (ExportKind.EXPENSES, ExportKind.EXPENSES_BATCH)


class ExportJob:
    """Writes one export's file in the background, with the rights of the viewer who asked."""

    def __init__(
        self, runtime: Runtime, request: ExportRequest, lease: Lease | None = None
    ) -> None:
        self.runtime = runtime
        self.request = request
        self.lease = lease  # its queued job's; None: run directly (the bench)
        self.actor: AuditActor = request.actor  # the export's events are the asker's
        self.ended = False  # DONE or FAILED is written

    @property
    def export_id(self) -> int:
        return self.request.export_id

    def _publish_after_commit(self, session: AsyncSession) -> None:
        """Its subscribers hear of the new state once it is committed (resolvers/live.py)."""
        event = export_changed(self.request.company_id, self.export_id)
        publish_after_commit(session, self.runtime.bus, event)

    async def run(self) -> None:
        # The owner file is held from before RUNNING until DONE or FAILED is written; the
        # operating system lets go of it when the process dies (even by SIGKILL).
        path = tmpfiles.owner_path(self.runtime, self.export_id)
        owner = (path, await anyio.to_thread.run_sync(tmpfiles.hold, path))
        try:
            await self._run()
        finally:
            # Receipt copies (a backend other than the folder) served the writer only.
            tmpfiles.remove(tmpfiles.receipts_path(self.runtime, self.export_id))
            tmpfiles.let_go(owner, remove=self.ended)

    async def _run(self) -> None:
        async with self.runtime.database.transaction() as session:
            if self.lease is not None:
                await self.lease.renew(session)
            export = await session.get_one(Export, self.export_id)
            export.state = ExportState.RUNNING
            export.progress = 0  # a job taken over starts again from scratch
            export.heartbeat_at = self.runtime.clock.now()
            self._publish_after_commit(session)
        tmp = tmpfiles.part_path(self.runtime, self.export_id)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            if delay := self.runtime.settings.export_test_delay_ms:
                await asyncio.sleep(delay / 1000)  # tests: a job that surely runs when killed
            work = ExportWork(self.runtime, self.request, tmp, self.lease)
            written = await WRITERS[self.request.kind](work)
            await self._finish(tmp, written)
        except LeaseLost:  # taken over: the other worker writes its file and its end
            await anyio.to_thread.run_sync(tmpfiles.remove, tmp)
            raise
        except ExportFailed as failure:
            await self._fail(failure.code, str(failure), tmp)
        except Exception:
            log.exception("export %s (company %s) failed", self.export_id, self.request.company_id)
            await self._fail("INTERNAL_ERROR", "the export failed; try again", tmp)
            raise
        except BaseException:  # cancelled at shutdown: the next start marks it FAILED
            await anyio.to_thread.run_sync(tmpfiles.remove, tmp)
            raise

    async def _finish(self, tmp: Path, written: Written) -> None:
        """Store the file in the storage backend, then mark the export DONE and its periods
        EXPORTED in one transaction: an export is never DONE without its file."""
        # Streamed into the storage backend, in a folder of its own: removing it on failure
        # never takes another export's file.
        folder = f"exports/{self.request.company_id}/{self.export_id}"
        stored = await self.runtime.files.put(folder, tmp, Path(written.file_name).suffix)
        await anyio.to_thread.run_sync(tmpfiles.remove, tmp)
        key, sha256, size = stored.storage_key, stored.sha256, stored.size_bytes
        now = self.runtime.clock.now()
        try:
            # System work after the scoped reads: the viewer's rights were applied to what went
            # into the file, and every download checks them again.
            async with self.runtime.database.transaction() as session:
                if self.lease is not None:
                    await self.lease.end(session, JobState.DONE)
                export = await session.get_one(Export, self.export_id)
                # Before the period is marked: whether it was EXPORTED already (a re-export).
                delivering = await _deliver_reexport(session, self.request, stored, now)
                await _mark_periods_exported(session, self.actor, export, written.periods, now)
                for company_id, period_id in written.periods:  # EXPORTED: live updates
                    bus = self.runtime.bus
                    publish_change(session, bus, Topic.PAYROLL_PERIOD, company_id, period_id)
                _record_clients_expenses(session, self.actor, export, written.expense_clients, now)
                export.state = ExportState.DONE
                export.progress = 100
                export.file_name = written.file_name
                export.storage_key = key
                export.size_bytes = size
                export.sha256 = sha256
                export.summary = written.summary
                export.finished_at = now
                export.heartbeat_at = now
                _record_done(session, self.actor, export, now)
                self._publish_after_commit(session)
        except LeaseLost:
            raise  # the same bytes under the same key may be its successor's file: kept
        except BaseException:
            await self.runtime.files.delete(key)
            raise
        self.ended = True
        if delivering:
            self.runtime.wake_deliveries()

    async def _fail(self, code: str, message: str, tmp: Path) -> None:
        await anyio.to_thread.run_sync(tmpfiles.remove, tmp)
        now = self.runtime.clock.now()
        async with self.runtime.database.transaction() as session:
            if self.lease is not None:
                await self.lease.end(session, JobState.FAILED, f"{code}: {message}")
            export = await session.get_one(Export, self.export_id)
            export.state = ExportState.FAILED
            export.error = f"{code}: {message}"[:500]
            export.finished_at = now
            self._publish_after_commit(session)
            record(
                session,
                self.actor,
                AuditAction.EXPORT_FAILED
                if export.kind not in EXPENSE_KINDS
                else AuditAction.EXPENSES_EXPORT_FAILED,
                at=now,
                company_id=export.company_id,
                export_id=export.id,
                error=export.error,
            )
        self.ended = True


async def _mark_periods_exported(
    session: AsyncSession,
    actor: AuditActor,
    export: Export,
    periods: Sequence[tuple[int, int]],
    now: datetime,
) -> None:
    """The exported periods become EXPORTED; refused when one was unlocked meanwhile. A batch
    records each client's export in that client's audit trail."""
    for period_company, period_id in periods:
        if not await _mark_exported(session, period_id, now):
            raise ExportFailed("PERIOD_NOT_LOCKED", "the period was unlocked while it was exported")
        if export.kind is ExportKind.PAYROLL_BATCH:
            record(
                session,
                actor,
                AuditAction.PAYROLL_EXPORTED,
                at=now,
                company_id=period_company,
                export_id=export.id,
                batch=True,
                payroll_period_id=period_id,
                format=export.options.get("file_format"),
            )


def _record_clients_expenses(
    session: AsyncSession,
    actor: AuditActor,
    export: Export,
    client_ids: Sequence[int],
    now: datetime,
) -> None:
    """A firm's expenses batch is in each exported client's audit trail, as a payroll batch is."""
    for client_id in client_ids:
        record(
            session,
            actor,
            AuditAction.EXPENSES_EXPORTED,
            at=now,
            company_id=client_id,
            export_id=export.id,
            batch=True,
            format=export.format.value,
        )


async def _mark_exported(session: AsyncSession, period_id: int, now: datetime) -> bool:
    """Whether the period, still LOCKED (or EXPORTED before), is marked EXPORTED."""
    marked = await session.execute(
        update(PayrollPeriod)
        .where(
            PayrollPeriod.id == period_id,
            PayrollPeriod.state.in_([PeriodState.LOCKED, PeriodState.EXPORTED]),
        )
        .values(state=PeriodState.EXPORTED, exported_at=now)
        .execution_options(synchronize_session=False)
    )
    return cast("CursorResult[Any]", marked).rowcount == 1


async def _deliver_reexport(
    session: AsyncSession, request: ExportRequest, stored: StoredFile, now: datetime
) -> bool:
    """A re-export of a whole period's PAXml (the period was EXPORTED before) is delivered to
    the company's payroll integration: this very file, queued in the transaction that makes the
    export DONE. (A period's first export is not: its lock delivered the same lines.)"""
    options = request.options
    if (
        request.kind is not ExportKind.PAYROLL_BASIS
        or request.period_id is None
        or not isinstance(options, BasisOptions)
        or options.file_format is not ExportFormat.PAXML
        or options.employee_ids is not None
    ):
        return False
    integration = await session.scalar(
        select(PayrollIntegration).where(PayrollIntegration.company_id == request.company_id)
    )
    if integration is None or not integration.delivers:
        return False
    state = await session.scalar(
        select(PayrollPeriod.state).where(PayrollPeriod.id == request.period_id)
    )
    if state is not PeriodState.EXPORTED:
        return False
    queue_payroll_delivery(
        session,
        integration,
        DeliveryEvent.PERIOD_REEXPORTED,
        now=now,
        period_id=request.period_id,
        export_id=request.export_id,
        body=(stored.storage_key, stored.sha256, stored.size_bytes),
    )
    return True


def _done_action(kind: ExportKind) -> AuditAction:
    # A function, not a module constant: tests/test_audit_actions.py follows the functions a
    # mutation reaches to see which actions it records.
    return {
        ExportKind.PAYROLL_BASIS: AuditAction.PAYROLL_EXPORTED,
        ExportKind.EXPENSES: AuditAction.EXPENSES_EXPORTED,
        ExportKind.PAYROLL_BATCH: AuditAction.PAYROLL_BATCH_EXPORTED,
        ExportKind.EXPENSES_BATCH: AuditAction.EXPENSES_BATCH_EXPORTED,
    }[kind]


def _record_done(session: AsyncSession, actor: AuditActor, export: Export, now: datetime) -> None:
    record(
        session,
        actor,
        _done_action(export.kind),
        at=now,
        company_id=export.company_id,
        export_id=export.id,
        format=export.format.value,
        file_name=export.file_name,
        sha256=export.sha256,
        size_bytes=export.size_bytes,
        payroll_period_id=export.period_id,
        lines=export.summary.get("lines"),
        total_amount=export.summary.get("total_amount"),
    )
