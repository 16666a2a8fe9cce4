"""An export's queued job (gql_portal/jobs/queue.py), as any worker on any machine runs it: the
export is written from scratch with the rights of the viewer who asked (kept in the job), also
when the job is taken over from a worker that died (exports are deterministic: the same data
gives the same bytes). A job claimed `job_max_attempts` times is not tried again: its export
is FAILED, INTERRUPTED, as the recovery marks one whose worker died."""

from __future__ import annotations

import anyio.to_thread

from gql_portal.db.exports import Export, ExportState
from gql_portal.db.jobs import JobState
from gql_portal.jobs.exports import tmpfiles
from gql_portal.jobs.exports.common import export_changed
from gql_portal.jobs.exports.lifecycle import ExportJob
from gql_portal.jobs.exports.recovery import INTERRUPTED
from gql_portal.jobs.exports.request import request_of
from gql_portal.jobs.queue import Claimed
from gql_portal.live import publish_after_commit
from gql_portal.runtime import Runtime


async def run_queued_export(runtime: Runtime, claimed: Claimed) -> None:
    assert claimed.export_id is not None
    async with runtime.database.session() as session:
        export = await session.get(Export, claimed.export_id)
    if export is None or export.state in (ExportState.DONE, ExportState.FAILED):
        # Ended meanwhile (the recovery failed it): the job has nothing left to do.
        ended = JobState.DONE if export and export.state is ExportState.DONE else JobState.FAILED
        async with runtime.database.transaction() as session:
            await claimed.lease.end(session, ended)
        return
    if claimed.exhausted:
        await _give_up(runtime, claimed, export)
        return
    await ExportJob(runtime, request_of(export, claimed.payload), claimed.lease).run()


async def _give_up(runtime: Runtime, claimed: Claimed, export: Export) -> None:
    """Fail the export of a job whose workers kept dying (claimed too often)."""
    async with runtime.database.transaction() as session:
        await claimed.lease.end(session, JobState.FAILED, INTERRUPTED)
        row = await session.get_one(Export, export.id)
        row.state = ExportState.FAILED
        row.error = INTERRUPTED
        row.finished_at = runtime.clock.now()
        publish_after_commit(session, runtime.bus, export_changed(row.company_id, row.id))
    for leftover in (
        tmpfiles.part_path(runtime, export.id),
        tmpfiles.receipts_path(runtime, export.id),
        tmpfiles.owner_path(runtime, export.id),
    ):
        await anyio.to_thread.run_sync(tmpfiles.remove, leftover)
