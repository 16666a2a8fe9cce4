"""Background jobs queued in the database (issue 18): any worker on any machine claims a QUEUED
job, holds it by a lease it renews while it runs, and marks it DONE or FAILED; a job whose lease
ran out (its worker died) is taken over by another worker, or FAILED after MAX_ATTEMPTS.
The queue itself is gql_portal/jobs/queue.py; what a job does is decided by its kind."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, IdMixin, enum_column


class JobKind(StrEnum):
    EXPORT = "EXPORT"  # write an export's file (gql_portal/jobs/exports)


class JobState(StrEnum):
    QUEUED = "QUEUED"  # waiting for a worker
    RUNNING = "RUNNING"  # leased to `lease_owner` until `lease_expires_at`
    DONE = "DONE"
    FAILED = "FAILED"


class Job(IdMixin, Base):
    __tablename__ = "jobs"
    # The claim's query: the QUEUED jobs, and the RUNNING ones whose lease ran out.
    __table_args__ = (Index("ix_jobs_state_lease_expires_at", "state", "lease_expires_at"),)

    kind: Mapped[JobKind] = enum_column(JobKind)
    # What the job is about: ids and the asker's rights as they were (no data of its own).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # An export job's export (its row says what to write); None for other kinds.
    export_id: Mapped[int | None] = mapped_column(
        ForeignKey("exports.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[JobState] = enum_column(JobState)
    attempts: Mapped[int] = mapped_column(default=0)  # claims so far (a takeover is one more)
    # Which worker holds it: `host:pid:random`, new for every process.
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]  # the latest claim
    finished_at: Mapped[datetime | None]
