"""Reads shared between subscriptions: when many subscriptions of one viewer (the same access)
follow the same object, one event is one read of it, not one per subscription.

A read is keyed by what it depends on (the caller puts the viewer's `Access` in the key, so two
different viewers never share) and stamped with the bus's count of delivered events when it
began. A subscriber whose batch was taken at count N may use a read begun at N or later: every
event of its batch was delivered, so committed, before that read looked. An older read is not
used (it may predate the change): the subscriber reads again, and its read is the one shared
from then on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

T = TypeVar("T")
# How long a read may be shared at most: the deliveries of one event follow each other within
# this (a read is only used by batches taken before it began, so this bounds memory, not
# freshness).
KEEP_SECONDS = 10.0


@dataclass
class _Read:
    began_at: int  # the bus's delivered count when the read began
    task: asyncio.Future[Any]
    made: float  # time.monotonic()


class SharedReads:
    """In-flight and recent reads by key; `read` makes one or joins one."""

    def __init__(self, keep_seconds: float = KEEP_SECONDS) -> None:
        self.keep_seconds = keep_seconds
        self._reads: dict[Hashable, _Read] = {}
        self._swept = time.monotonic()
        self.made = 0  # reads made (not joined): for tests and benches
        self.joined = 0

    def __len__(self) -> int:
        return len(self._reads)

    async def read(
        self, key: Hashable, taken_at: int, now: int, read: Callable[[], Awaitable[T]]
    ) -> T:
        """The result of `read()`, or of the same read (`key`) begun at or after `taken_at`
        (the caller's batch); `now` is the bus's delivered count at this moment."""
        shared = self._reads.get(key)
        if shared is not None and shared.began_at >= taken_at:
            try:
                result = await asyncio.shield(shared.task)
            except asyncio.CancelledError:
                raise
            except Exception:
                pass  # the sharer's read failed: this subscriber reads on its own
            else:
                self.joined += 1
                return cast("T", result)
        self._sweep()
        task: asyncio.Future[T] = asyncio.ensure_future(read())
        mine = _Read(began_at=now, task=task, made=time.monotonic())
        self._reads[key] = mine
        task.add_done_callback(lambda done: self._settled(key, mine, done))
        self.made += 1
        # Shielded: this subscription may end (be cancelled) while others wait for its read.
        return await asyncio.shield(task)

    def _settled(self, key: Hashable, read: _Read, task: asyncio.Future[Any]) -> None:
        failed = task.cancelled() or task.exception() is not None  # (retrieved: no warning)
        if failed and self._reads.get(key) is read:
            del self._reads[key]  # a failed read is not shared

    def _sweep(self) -> None:
        now = time.monotonic()
        if now - self._swept < 1.0:
            return
        self._swept = now
        stale = [key for key, read in self._reads.items() if now - read.made > self.keep_seconds]
        for key in stale:
            del self._reads[key]
