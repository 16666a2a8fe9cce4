"""A worker process's background tasks: started by a request or taken from the database's job
queue, kept until done, and awaited (or cancelled) when the service stops. What a job has done
lives in the database (gql_portal/jobs/queue.py: a job is leased to one worker, `owner` here),
so a job cut short by a crash is taken over or marked by another worker. Below the runtime,
which holds the keeper; the jobs themselves (gql_portal/jobs/) sit above it."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger("gql_portal.jobs")


class Jobs:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        # The lease owner this process writes on the jobs it claims: new for every process, so
        # a restarted worker never mistakes a dead predecessor's lease for its own.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        # The queued jobs (by job id) this process runs now: at most `job_concurrency`.
        self.leased: dict[int, asyncio.Task[Any]] = {}
        self.stopping = False  # no new job is claimed once the service stops

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("job %s failed", task.get_name(), exc_info=task.exception())

    def every(
        self, seconds: float, work: Callable[[], Awaitable[Any]], name: str
    ) -> asyncio.Task[None]:
        """Repeat `work` every `seconds` until cancelled; a failing round is logged, not fatal."""

        async def repeat() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await work()
                except Exception:
                    log.exception("periodic job %s failed", name)

        return asyncio.get_running_loop().create_task(repeat(), name=name)

    @property
    def running(self) -> int:
        return len(self._tasks)

    async def stop(self, grace_seconds: float = 30.0) -> None:
        """Let running jobs finish within the grace period, then cancel the rest."""
        self.stopping = True
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
