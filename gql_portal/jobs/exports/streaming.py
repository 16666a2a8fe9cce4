"""Feeding a blocking file writer (in a worker thread) from the database, chunk by chunk: memory
holds one chunk of lines, whatever the size of the export."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterator
from decimal import Decimal
from typing import TypeVar

import anyio.from_thread
import anyio.to_thread

from gql_portal.domain.exports import ExportLine

T = TypeVar("T")
R = TypeVar("R")


async def _pull(chunks: AsyncIterator[list[T]]) -> list[T] | None:
    try:
        return await anext(chunks)
    except StopAsyncIteration:
        return None


def _bridged(chunks: AsyncIterator[list[T]]) -> Iterator[T]:
    """In a worker thread: the items of an async stream, fetched chunk by chunk on the loop."""
    while (chunk := anyio.from_thread.run(_pull, chunks)) is not None:
        yield from chunk


async def write_streamed(
    write: Callable[[Iterator[T]], R], chunks: AsyncGenerator[list[T], None]
) -> R:
    """Run a blocking file writer in a thread, fed from the database: memory holds one chunk."""
    try:
        return await anyio.to_thread.run_sync(lambda: write(_bridged(chunks)))
    finally:
        await chunks.aclose()  # the reading session ends even when the writer failed


class Counted(Iterator[ExportLine]):
    """Lines passing through to a writer, counted and summed on the way."""

    def __init__(self, lines: Iterator[ExportLine]) -> None:
        self._lines = lines
        self.count = 0
        self.amount = Decimal("0.00")

    def __iter__(self) -> Counted:
        return self

    def __next__(self) -> ExportLine:
        line = next(self._lines)
        self.count += 1
        if line.amount is not None:
            self.amount += line.amount
        return line
