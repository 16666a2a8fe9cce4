"""The job queue in the database (db/jobs.py): a job is queued in the transaction that asks for
it, claimed by one worker on any machine, held by a lease the worker renews while it runs, and
ended DONE or FAILED by the worker that still holds it.

Claiming: the oldest QUEUED job, or a RUNNING one whose lease ran out (its worker died: taken
over, from scratch). On PostgreSQL the candidate row is read `FOR UPDATE SKIP LOCKED`, so
concurrent claimers on other machines take different jobs without waiting; on SQLite a write
transaction (BEGIN IMMEDIATE) serialises the claimers. Either way the conditional UPDATE that
takes it matches only a job still free, so exactly one claimer gets it.

The lease fences a worker that lost its job (its lease ran out and another took it over): every
renewal and the end match only the owner and the attempt that claimed it, and raise LeaseLost
otherwise, so a late worker can never mark a job (or its export) its successor holds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.jobs import Job, JobKind, JobState
from gql_portal.runtime import Runtime


class LeaseLost(Exception):
    """This worker no longer holds the job: its lease ran out and another worker took it."""


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


def enqueue(
    session: AsyncSession,
    runtime: Runtime,
    kind: JobKind,
    payload: dict[str, Any],
    *,
    export_id: int | None = None,
) -> Job:
    """Queue a job in the caller's transaction: it exists exactly when what it is for does."""
    job = Job(
        kind=kind,
        payload=payload,
        export_id=export_id,
        state=JobState.QUEUED,
        attempts=0,
        created_at=runtime.clock.now(),
    )
    session.add(job)
    return job


@dataclass
class Lease:
    """This worker's hold on one claimed job (the claim's owner and attempt)."""

    runtime: Runtime
    job_id: int
    attempt: int
    owner: str
    renewed: float = field(default_factory=time.monotonic)  # when last renewed (monotonic)

    @property
    def seconds(self) -> int:
        return self.runtime.settings.job_lease_seconds

    def _held(self) -> ColumnElement[bool]:
        return and_(
            Job.id == self.job_id,
            Job.state == JobState.RUNNING,
            Job.lease_owner == self.owner,
            Job.attempts == self.attempt,
        )

    async def renew(self, session: AsyncSession) -> None:
        """Extend the lease in the caller's transaction (an export's heartbeat); LeaseLost when
        another worker holds the job now (the transaction then rolls back)."""
        expires = self.runtime.clock.now() + timedelta(seconds=self.seconds)
        renewed = await session.execute(
            update(Job)
            .where(self._held())
            .values(lease_expires_at=expires)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(renewed) != 1:
            raise LeaseLost(f"job {self.job_id} is no longer held by {self.owner}")
        self.renewed = time.monotonic()

    async def renew_now(self) -> None:
        async with self.runtime.database.transaction() as session:
            await self.renew(session)

    @property
    def due(self) -> bool:
        """Whether a third of the lease passed since it was last renewed."""
        return time.monotonic() - self.renewed >= self.seconds / 3

    async def end(self, session: AsyncSession, state: JobState, error: str | None = None) -> None:
        """Mark the job DONE or FAILED in the caller's transaction (with what it did); LeaseLost
        when another worker holds it now."""
        ended = await session.execute(
            update(Job)
            .where(self._held())
            .values(
                state=state,
                error=error[:500] if error else None,
                finished_at=self.runtime.clock.now(),
                lease_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(ended) != 1:
            raise LeaseLost(f"job {self.job_id} is no longer held by {self.owner}")


@dataclass(frozen=True)
class Claimed:
    """A job this worker claimed: what it is for, and the lease that holds it."""

    job_id: int
    kind: JobKind
    payload: dict[str, Any]
    export_id: int | None
    lease: Lease
    # Taken over from a worker whose lease ran out (the job starts again from scratch).
    taken_over: bool
    # Claimed `job_max_attempts` times already: the handler fails it instead of running it.
    exhausted: bool


async def claim(runtime: Runtime, job_id: int | None = None) -> Claimed | None:
    """Take one job for this worker (`job_id`: that one, if it is free), or None."""
    now = runtime.clock.now()
    owner = runtime.jobs.owner
    free = or_(
        Job.state == JobState.QUEUED,
        and_(Job.state == JobState.RUNNING, Job.lease_expires_at < now),
    )
    candidate = (
        select(Job.id, Job.kind, Job.payload, Job.export_id, Job.state, Job.attempts)
        .where(free)
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's BEGIN IMMEDIATE serialises
    )
    if job_id is not None:
        candidate = candidate.where(Job.id == job_id)
    async with runtime.database.transaction() as session:
        row = (await session.execute(candidate)).one_or_none()
        if row is None:
            return None
        attempt = row.attempts + 1
        taken = await session.execute(
            update(Job)
            .where(Job.id == row.id, Job.attempts == row.attempts, free)
            .values(
                state=JobState.RUNNING,
                attempts=attempt,
                lease_owner=owner,
                lease_expires_at=now + timedelta(seconds=runtime.settings.job_lease_seconds),
                started_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if _rowcount(taken) != 1:
            return None  # another worker was first
    return Claimed(
        job_id=row.id,
        kind=row.kind,
        payload=dict(row.payload or {}),
        export_id=row.export_id,
        lease=Lease(runtime, row.id, attempt, owner),
        taken_over=row.state is JobState.RUNNING,
        exhausted=row.attempts >= runtime.settings.job_max_attempts,
    )
