"""Running queued jobs in this worker: the worker that queued a job starts it at once when it has
a free slot (no added latency on one machine), every worker looks for free jobs when woken (a
NOTIFY on PostgreSQL, gql_portal/live: another node starts at once), every `job_poll_seconds`
(the fallback) and whenever one of its jobs ends. While a job runs its lease is renewed: by the
job's own heartbeat (an export's progress, jobs/exports/common.py) and, between beats, here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from gql_portal.db.jobs import JobKind
from gql_portal.jobs.exports import run_queued_export
from gql_portal.jobs.queue import Claimed, LeaseLost, claim
from gql_portal.live import Event, Topic
from gql_portal.runtime import Runtime

log = logging.getLogger("gql_portal.jobs")


def _handler(kind: JobKind) -> Callable[[Runtime, Claimed], Awaitable[None]]:
    """What runs a job of `kind`. A function, not a module constant: tests/test_audit_actions.py
    follows the functions a mutation reaches (through its job) to see which actions it records."""
    return {JobKind.EXPORT: run_queued_export}[kind]


def _free_slots(runtime: Runtime) -> int:
    if runtime.jobs.stopping:
        return 0
    return runtime.settings.job_concurrency - len(runtime.jobs.leased)


def start_now(runtime: Runtime, job_id: int) -> asyncio.Task[Any]:
    """Claim and run the job just queued by this worker's request, when a slot is free; else
    wake the other workers for it. The task ends when the job has (or when it was not ours)."""
    if _free_slots(runtime) <= 0:
        runtime.bus.publish_soon(Event(Topic.JOB, None, (job_id,)))
        return runtime.jobs.spawn(asyncio.sleep(0), name=f"job-{job_id}-elsewhere")

    async def claim_and_run() -> None:
        claimed = await claim(runtime, job_id)
        if claimed is None:  # another worker was first
            runtime.jobs.leased.pop(job_id, None)
            return
        await _run(runtime, claimed)

    task = runtime.jobs.spawn(claim_and_run(), name=f"job-{job_id}")
    runtime.jobs.leased[job_id] = task  # its slot, from now on
    return task


async def claim_free_jobs(runtime: Runtime) -> int:
    """Claim free jobs into this worker's free slots; how many were started."""
    started = 0
    while _free_slots(runtime) > 0:
        claimed = await claim(runtime)
        if claimed is None:
            break
        task = runtime.jobs.spawn(_run(runtime, claimed), name=f"job-{claimed.job_id}")
        runtime.jobs.leased[claimed.job_id] = task
        started += 1
    return started


async def _run(runtime: Runtime, claimed: Claimed) -> None:
    task = asyncio.current_task()
    assert task is not None
    keeper = asyncio.get_running_loop().create_task(
        _keep_leased(claimed, task), name=f"lease-{claimed.job_id}"
    )
    try:
        if claimed.taken_over:
            log.warning("job %s taken over (attempt %s)", claimed.job_id, claimed.lease.attempt)
        await _handler(claimed.kind)(runtime, claimed)
    except LeaseLost:
        log.warning("job %s was taken over by another worker; stopped here", claimed.job_id)
    finally:
        keeper.cancel()
        runtime.jobs.leased.pop(claimed.job_id, None)
    # A slot is free: the next job waiting, if any (also where no poll loop runs).
    if not runtime.jobs.stopping:
        await claim_free_jobs(runtime)


async def _keep_leased(claimed: Claimed, task: asyncio.Task[Any]) -> None:
    """Renew the lease between the job's own heartbeats (storing a file, planning a batch); the
    job is cancelled when another worker has taken it over."""
    lease = claimed.lease
    while True:
        await asyncio.sleep(lease.seconds / 6)
        if not lease.due:
            continue
        try:
            await lease.renew_now()
        except LeaseLost:
            log.warning("job %s lost its lease; cancelling it here", claimed.job_id)
            task.cancel()
            return
        except Exception:  # the database is away for a moment: the next round tries again
            log.exception("could not renew the lease of job %s", claimed.job_id)


async def serve_jobs(runtime: Runtime) -> None:
    """The worker's loop (the app's lifespan runs it): claim free jobs now, when woken, and at
    least every `job_poll_seconds`."""
    inbox = runtime.bus.inbox([Topic.JOB], window=0)
    try:
        with contextlib.suppress(Exception):
            await runtime.bus.ready()
        while True:
            try:
                await claim_free_jobs(runtime)
            except Exception:
                log.exception("could not claim queued jobs; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(inbox.batch(), runtime.settings.job_poll_seconds)
    finally:
        inbox.close()
