"""Retention: stored files are not kept for ever. A periodic job (every worker runs it; each step
is idempotent, so any number of workers on any number of machines may run it at once):

- An export's file is deleted `GQL_PORTAL_EXPORT_RETENTION_DAYS` (30) after it was written. The
  export row stays, with its state and summary (and its payroll periods stay EXPORTED); its
  `storage_key` is cleared and `file_deleted_at` set, so `downloadUrl` is null from then on and
  an older link answers 410 EXPORT_FILE_EXPIRED. One audit event per file, in the export's
  company trail.
- A stored file no receipt or export names (a receipt whose expense was deleted, a file a job
  stored before it failed to commit) is deleted once it was last stored more than
  `GQL_PORTAL_ORPHAN_RETENTION_HOURS` (24) ago: long enough that a file just stored is never
  taken before the row naming it commits (storing the same bytes again renews the age). One
  summary audit event per sweep that deleted anything.

A worker that claims an export's file clears its key in the same transaction as the audit event
and deletes the file after the commit: when two workers race, only one claims it; when a worker
dies between the two, the file is an orphan the next sweep takes.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from gql_portal.audit import NO_USER, record
from gql_portal.db.expenses import Receipt
from gql_portal.db.exports import Export, ExportKind
from gql_portal.domain.audit import AuditAction
from gql_portal.jobs.exports.tmpfiles import TMP_FOLDER
from gql_portal.runtime import Runtime
from gql_portal.storage import S3Store, StoredEntry

log = logging.getLogger("gql_portal.retention")

# How often a worker runs it: the settings count in days and hours, an hour late is nothing.
RETENTION_INTERVAL_SECONDS = 3600.0
# Rows or keys handled per statement.
BATCH = 500
# Where stored files live (receipts/<company>/..., exports/<company>/<export id>/...); a
# machine's running exports' temporary files are not stored files.
STORED_FOLDERS = ("receipts", "exports")
EXPENSE_KINDS = (ExportKind.EXPENSES, ExportKind.EXPENSES_BATCH)


@dataclass(frozen=True)
class RetentionRound:
    export_files_deleted: int
    orphans_deleted: int


async def run_retention(runtime: Runtime) -> RetentionRound:
    """One round: expired export files, then orphans."""
    expired = await delete_expired_export_files(runtime)
    orphans = await delete_orphans(runtime)
    if expired or orphans:
        log.info("retention deleted %s export files and %s orphaned files", expired, orphans)
    return RetentionRound(expired, orphans)


async def delete_expired_export_files(runtime: Runtime) -> int:
    now = runtime.clock.now()
    cutoff = now - timedelta(days=runtime.settings.export_retention_days)
    deleted = 0
    while True:
        async with runtime.database.session() as session:
            expired = (
                await session.scalars(
                    select(Export)
                    .where(
                        Export.storage_key.is_not(None),
                        Export.finished_at < cutoff,
                    )
                    .order_by(Export.id)
                    .limit(BATCH)
                )
            ).all()
        for export in expired:
            if await _claim_export_file(runtime, export, now):
                assert export.storage_key is not None
                await runtime.files.delete(export.storage_key)
                deleted += 1
        if len(expired) < BATCH:
            return deleted


async def _claim_export_file(runtime: Runtime, export: Export, now: datetime) -> bool:
    """Clear the export's key and audit its deletion, unless another worker did first."""
    async with runtime.database.transaction() as session:
        claimed = await session.execute(
            update(Export)
            .where(Export.id == export.id, Export.storage_key == export.storage_key)
            .values(storage_key=None, file_deleted_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        record(
            session,
            NO_USER,
            (
                AuditAction.EXPENSES_EXPORT_FILE_DELETED
                if export.kind in EXPENSE_KINDS
                else AuditAction.PAYROLL_EXPORT_FILE_DELETED
            ),
            at=now,
            company_id=export.company_id,
            export_id=export.id,
            file_name=export.file_name,
            size_bytes=export.size_bytes,
            finished_at=export.finished_at.isoformat() if export.finished_at else None,
            retention_days=runtime.settings.export_retention_days,
        )
    return True


async def delete_orphans(runtime: Runtime) -> int:
    """Delete the stored files no row names that were last stored before the cut-off."""
    now = runtime.clock.now()
    cutoff = now - timedelta(hours=runtime.settings.orphan_retention_hours)
    deleted = 0
    async for keys in _old_files(runtime, cutoff):
        named = await _named(runtime, keys)
        for key in keys:
            if key not in named:
                await runtime.files.delete(key)
                deleted += 1
    if isinstance(runtime.files, S3Store):
        await runtime.files.sweep_partials(now)  # uploads a dead process left half-way
    if deleted:
        async with runtime.database.transaction() as session:
            record(
                session,
                NO_USER,
                AuditAction.ORPHANED_FILES_DELETED,
                at=now,
                files=deleted,
                older_than_hours=runtime.settings.orphan_retention_hours,
            )
    return deleted


async def _old_files(runtime: Runtime, cutoff: datetime) -> AsyncIterator[list[str]]:
    """The keys of stored files last stored before `cutoff`, a batch at a time."""
    batch: list[str] = []
    for folder in STORED_FOLDERS:
        async for entry in runtime.files.listing(folder):
            if _is_stored_file(entry) and entry.modified_at < cutoff:
                batch.append(entry.storage_key)
                if len(batch) == BATCH:
                    yield batch
                    batch = []
    if batch:
        yield batch


def _is_stored_file(entry: StoredEntry) -> bool:
    return not entry.storage_key.startswith(TMP_FOLDER + "/")


async def _named(runtime: Runtime, keys: list[str]) -> set[str]:
    """Those of `keys` a receipt or an export names."""
    async with runtime.database.session() as session:
        receipts = await session.scalars(
            select(Receipt.storage_key).where(Receipt.storage_key.in_(keys))
        )
        exports = await session.scalars(
            select(Export.storage_key).where(Export.storage_key.in_(keys))
        )
        return {*receipts, *(key for key in exports if key is not None)}
