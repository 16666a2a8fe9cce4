"""What every storage backend offers (`FileStore`), and what holds in each: a file is stored
once under its SHA-256 (content-addressed), written under a temporary name or uncommitted and
made visible only when complete, and checked against its SHA-256 when it is read."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

# Bytes per chunk when a file is read or written in pieces: small enough that memory stays flat
# for any file size, large enough that a 100 MB file is a hundred round trips, not thousands.
CHUNK_BYTES = 1 << 20

# What `put` stores: bytes already in memory, or a file (written to a temporary file first).
Source = bytes | Path


@dataclass(frozen=True)
class StoredFile:
    storage_key: str  # `folder/ab/abcdef...suffix`, the same in every backend
    sha256: str
    size_bytes: int


@dataclass(frozen=True)
class StoredEntry:
    """A stored file as a listing sees it: its key, and when it was last written (UTC, the
    backend's own clock), which is what the orphan sweep measures its age by."""

    storage_key: str
    modified_at: datetime


class IntegrityFailure(Exception):
    """A stored file is missing or no longer what was stored."""


class FileStore(Protocol):
    """Where receipts and export files live. Keys are relative paths (`receipts/3/ab/ab12...`);
    a caller keeps the key, SHA-256 and size that `put` returned and hands them back to read."""

    async def put(self, folder: str, source: Source, suffix: str = "") -> StoredFile:
        """Store `source` under `folder/<sha256[:2]>/<sha256><suffix>` (once: the same bytes in
        the same folder are the same key), visible only once wholly written."""
        ...

    def open(self, storage_key: str) -> AsyncIterator[bytes]:
        """The file's bytes in chunks (IntegrityFailure when there is no such file)."""
        ...

    async def delete(self, storage_key: str) -> None:
        """Remove the file (nothing when it does not exist)."""
        ...

    async def exists(self, storage_key: str) -> bool: ...

    def listing(self, folder: str) -> AsyncIterator[StoredEntry]:
        """Every committed file under `folder/` (any depth), in no particular order. A `put` of
        bytes already stored renews the file's `modified_at`."""
        ...


def content_key(folder: str, sha256: str, suffix: str) -> str:
    return f"{folder}/{sha256[:2]}/{sha256}{suffix}"


def file_digest(path: Path) -> tuple[str, int]:
    """A file's SHA-256 (hex) and size, read in chunks (blocking: run it in a worker thread)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_chunks(handle: BinaryIO) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


async def verifying(chunks: AsyncIterator[bytes], sha256: str, size: int) -> AsyncIterator[bytes]:
    """The chunks, passed on as they come; IntegrityFailure after the last one when together
    they are not the expected file (a corrupted or missing chunk)."""
    digest = hashlib.sha256()
    length = 0
    async for chunk in chunks:
        digest.update(chunk)
        length += len(chunk)
        if length > size:
            raise IntegrityFailure(f"longer than {size} bytes")
        yield chunk
    if digest.hexdigest() != sha256 or length != size:
        raise IntegrityFailure(f"sha256 {digest.hexdigest()}, {length} bytes")


async def check(store: FileStore, storage_key: str, sha256: str, size: int) -> None:
    """Read the whole file once (in chunks) and raise IntegrityFailure unless it is intact."""
    async for _ in verifying(store.open(storage_key), sha256, size):
        pass
