"""After a crash: exports whose job is no more are marked FAILED and their files removed (at
start-up and every minute), and whatever else a job that is no more left in exports/tmp.

An export queued as a job in the database is otherwise the queue's (gql_portal/jobs/queue.py):
a job whose worker died is taken over once its lease runs out. The owner file (flock) speaks
for this machine only, so its rule applies with the local-folder storage backend alone (one
machine: its running exports' workers are all here); exports without a job (made before jobs
were queued in the database) keep the heartbeat and QUEUED rules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta

import anyio.to_thread
from sqlalchemy import and_, exists, func, or_, select, update

from gql_portal.db.exports import Export, ExportState
from gql_portal.db.jobs import Job, JobState
from gql_portal.jobs.exports.tmpfiles import (
    TMP_FOLDER,
    abandoned,
    leftovers,
    owner_path,
    part_path,
    receipts_path,
    remove,
)
from gql_portal.runtime import Runtime
from gql_portal.storage import FolderStore

# A RUNNING export whose heartbeat is older than this was cut short (the job beats every chunk).
STALE_AFTER = timedelta(minutes=10)
# A job starts (QUEUED → RUNNING) right after its mutation commits; an export still QUEUED after
# this long lost its process in between.
QUEUED_STALE_AFTER = timedelta(minutes=2)
INTERRUPTED = "INTERRUPTED: the service stopped while writing the file; export again"


async def recover_interrupted_exports(runtime: Runtime) -> int:
    """Mark exports cut short by a stopped process FAILED and remove their files, and whatever
    else a job that is no more left in exports/tmp; the number of exports marked.

    An export was interrupted when it is RUNNING and no process holds its owner file (its job's
    process ended, even by SIGKILL: found at once), or when its heartbeat (or its creation) is
    older than STALE_AFTER, or when it is still QUEUED after QUEUED_STALE_AFTER (its process
    died between the mutation's commit and the job's start). A starting worker thus leaves the
    running exports of other workers alone. The owner-file rule holds with the local-folder
    backend only; the other two for exports without a queued job only."""
    now = runtime.clock.now()
    running: list[int] = []
    if isinstance(runtime.files, FolderStore):  # the owner files are all on this machine
        async with runtime.database.session() as session:
            statement = select(Export.id).where(Export.state == ExportState.RUNNING)
            running = list((await session.scalars(statement)).all())
    ownerless = await _ownerless(runtime, running)
    try:
        interrupted = await _fail_interrupted(runtime, list(ownerless), now)
    finally:
        for descriptor in ownerless.values():
            os.close(descriptor)
    await _sweep_leftovers(runtime)
    return interrupted


async def _ownerless(runtime: Runtime, running: Sequence[int]) -> dict[int, int]:
    """The running exports whose owner file nobody holds: export id -> the owner file, locked
    by us meanwhile (so that no job can take it while we mark the export)."""
    found: dict[int, int] = {}
    for export_id in running:
        descriptor = await anyio.to_thread.run_sync(abandoned, owner_path(runtime, export_id))
        if descriptor is not None:
            found[export_id] = descriptor
    return found


async def _fail_interrupted(runtime: Runtime, ownerless: list[int], now: datetime) -> int:
    async with runtime.database.transaction() as session:
        interrupted = (
            await session.scalars(
                select(Export).where(
                    Export.state.in_([ExportState.QUEUED, ExportState.RUNNING]),
                    or_(
                        Export.id.in_(ownerless),
                        and_(
                            ~exists(select(Job.id).where(Job.export_id == Export.id)),
                            or_(
                                func.coalesce(Export.heartbeat_at, Export.created_at)
                                < now - STALE_AFTER,
                                and_(
                                    Export.state == ExportState.QUEUED,
                                    Export.created_at < now - QUEUED_STALE_AFTER,
                                ),
                            ),
                        ),
                    ),
                )
            )
        ).all()
        for export in interrupted:
            export.state = ExportState.FAILED
            export.error = INTERRUPTED
            export.finished_at = now
            for leftover in (
                part_path(runtime, export.id),
                receipts_path(runtime, export.id),
                runtime.storage.path(f"exports/{export.company_id}/{export.id}"),
                owner_path(runtime, export.id),
            ):
                await anyio.to_thread.run_sync(remove, leftover)
        if interrupted:  # their jobs end with them (a live lease included: nobody runs it)
            await session.execute(
                update(Job)
                .where(
                    Job.export_id.in_([export.id for export in interrupted]),
                    Job.state.in_([JobState.QUEUED, JobState.RUNNING]),
                )
                .values(state=JobState.FAILED, error=INTERRUPTED, finished_at=now)
                .execution_options(synchronize_session=False)
            )
    return len(interrupted)


async def _sweep_leftovers(runtime: Runtime) -> None:
    """Remove the files of exports no job runs any more (DONE, FAILED, gone): a process that
    died after writing its export's end, or files a failed removal left. Listed first, so that
    an export started meanwhile is not among them."""
    found = await anyio.to_thread.run_sync(leftovers, runtime.storage.path(TMP_FOLDER))
    if not found:
        return
    async with runtime.database.session() as session:
        live = set(
            (
                await session.scalars(
                    select(Export.id).where(
                        Export.id.in_(list(found)),
                        Export.state.in_([ExportState.QUEUED, ExportState.RUNNING]),
                    )
                )
            ).all()
        )
    for export_id, paths in found.items():
        if export_id not in live:
            for path in paths:
                await anyio.to_thread.run_sync(remove, path)
