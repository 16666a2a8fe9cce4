"""What every kind of export job shares: the work it is given, the file it hands back, its
progress, and how it fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.db.exports import Export
from gql_portal.jobs.exports.request import ExportRequest
from gql_portal.jobs.queue import Lease
from gql_portal.live import Event, Topic, publish_after_commit
from gql_portal.permissions.matrix import Area
from gql_portal.runtime import Runtime


class ExportFailed(Exception):
    """An export that cannot be completed, with the code its record keeps."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ExportWork:
    """One kind's task: write the requested file to `tmp`."""

    runtime: Runtime
    request: ExportRequest
    tmp: Path
    lease: Lease | None = None  # its queued job's (None: run directly, as the bench does)

    @asynccontextmanager
    async def reading(self, as_area: Area | None = None) -> AsyncIterator[AsyncSession]:
        """A session that sees what the asking viewer saw (row scoping as in their request)."""
        async with self.runtime.database.scoped(self.request.access, as_area=as_area) as session:
            yield session

    def progress(self, total: int) -> Progress:
        return Progress(
            self.runtime, self.request.export_id, total, self.request.company_id, self.lease
        )


@dataclass(frozen=True)
class Written:
    """The file a kind wrote: its name, the summary its record keeps, the payroll periods
    (company id, period id) it exported, which become EXPORTED with it, and the clients whose
    expenses a firm's batch exported (each client's audit trail records it)."""

    file_name: str
    summary: dict[str, Any]
    periods: tuple[tuple[int, int], ...] = ()
    expense_clients: tuple[int, ...] = ()


def export_changed(company_id: int | None, export_id: int) -> Event:
    """What subscribers of `exportUpdated`/`exportsUpdated` hear (resolvers/live.py)."""
    return Event(Topic.EXPORT, company_id, (export_id,))


@dataclass
class Progress:
    """Writes the export's progress and heartbeat, at most about once a second; the heartbeat
    renews its job's lease (LeaseLost: another worker took the job over, this one stops)."""

    runtime: Runtime
    export_id: int
    total: int
    company_id: int | None = None
    lease: Lease | None = None
    done: int = 0
    last: datetime | None = None

    async def add(self, count: int) -> None:
        self.done += count
        now = self.runtime.clock.now()
        if self.last is not None and (now - self.last) < timedelta(seconds=1):
            return
        self.last = now
        percent = min(99, int(100 * self.done / self.total)) if self.total else 0
        async with self.runtime.database.transaction() as session:
            await session.execute(
                update(Export)
                .where(Export.id == self.export_id)
                .values(progress=percent, heartbeat_at=now)
            )
            if self.lease is not None:
                await self.lease.renew(session)
            event = export_changed(self.company_id, self.export_id)
            publish_after_commit(session, self.runtime.bus, event)
