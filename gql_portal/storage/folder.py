"""The local-folder backend (`file:///...`, the default): files in the storage folder.

A file is stored once under its SHA-256 (content-addressed, per company), written to a temporary
name and renamed, so a crash never leaves half a file under a real name (and the temporary names
are swept at start-up). The folder also holds what a worker keeps on its own disk whatever the
backend: running exports' temporary files and owner locks (jobs/exports/tmpfiles.py).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, BinaryIO

import anyio.to_thread

from gql_portal.storage.interface import (
    CHUNK_BYTES,
    IntegrityFailure,
    Source,
    StoredEntry,
    StoredFile,
    content_key,
    file_digest,
)

# Temporary files of `put` start with this; `sweep_partials` removes those a crash left behind.
PARTIAL_PREFIX = ".partial-"
PARTIAL_MAX_AGE_SECONDS = 3600.0


class Storage:
    """The storage folder, used from blocking code (worker threads, the demo loader)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, storage_key: str) -> Path:
        path = (self.root / storage_key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key outside the storage folder")
        return path

    def put(self, kind: str, company_id: int, data: Source, suffix: str = "") -> StoredFile:
        return self.put_in(f"{kind}/{company_id}", data, suffix)

    def put_in(self, folder: str, source: Source, suffix: str = "") -> StoredFile:
        if isinstance(source, bytes):
            digest, size = hashlib.sha256(source).hexdigest(), len(source)
        else:
            digest, size = file_digest(source)
        key = content_key(folder, digest, suffix)
        target = self.path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=PARTIAL_PREFIX, delete=False
            ) as handle:
                try:
                    _write(handle, source, digest, size)
                    handle.flush()
                    os.fsync(handle.fileno())
                except BaseException:
                    os.unlink(handle.name)
                    raise
            os.replace(handle.name, target)
        else:
            # Renewed: the orphan sweep measures age by it, and a new row is about to name it.
            os.utime(target)
        return StoredFile(key, digest, size)

    def sweep_partials(self, older_than: float = PARTIAL_MAX_AGE_SECONDS) -> int:
        """Remove the temporary files of writes a dead process left (a live write takes far
        less than `older_than` seconds); how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for directory, _, names in os.walk(self.root):
            for name in names:
                if not name.startswith(PARTIAL_PREFIX):
                    continue
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    pass  # another worker swept it first
        return removed

    def read(self, storage_key: str) -> bytes:
        return self.path(storage_key).read_bytes()

    def entries(self, folder: str) -> list[StoredEntry]:
        """The stored files under `folder` (temporary files left out), blocking."""
        top = self.path(folder)
        found: list[StoredEntry] = []
        for directory, _, names in os.walk(top):
            for name in names:
                if name.startswith(PARTIAL_PREFIX):
                    continue
                path = Path(directory) / name
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:
                    continue  # deleted meanwhile
                key = path.relative_to(self.root.resolve()).as_posix()
                found.append(StoredEntry(key, datetime.fromtimestamp(modified, UTC)))
        return found


def _write(handle: IO[bytes], source: Source, sha256: str, size: int) -> None:
    """Write the bytes, or copy the file in chunks, checking that the copy is what was hashed
    (a file changed meanwhile is refused, not stored under the wrong digest)."""
    if isinstance(source, bytes):
        handle.write(source)
        return
    digest = hashlib.sha256()
    length = 0
    with source.open("rb") as reading:
        while chunk := reading.read(CHUNK_BYTES):
            digest.update(chunk)
            length += len(chunk)
            handle.write(chunk)
    if digest.hexdigest() != sha256 or length != size:
        raise IntegrityFailure(f"{source} changed while it was stored")


class FolderStore:
    """The storage folder as a FileStore: the blocking file work runs in worker threads."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def put(self, folder: str, source: Source, suffix: str = "") -> StoredFile:
        return await anyio.to_thread.run_sync(self.storage.put_in, folder, source, suffix)

    async def open(self, storage_key: str) -> AsyncIterator[bytes]:
        try:
            handle = await anyio.to_thread.run_sync(_open, self.storage.path(storage_key))
        except (OSError, ValueError) as error:
            raise IntegrityFailure(f"cannot open {storage_key}: {error}") from None
        try:
            while chunk := await anyio.to_thread.run_sync(handle.read, CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()

    async def delete(self, storage_key: str) -> None:
        await anyio.to_thread.run_sync(_remove, self.storage.path(storage_key))

    async def exists(self, storage_key: str) -> bool:
        return await anyio.to_thread.run_sync(self.storage.path(storage_key).is_file)

    async def listing(self, folder: str) -> AsyncIterator[StoredEntry]:
        for entry in await anyio.to_thread.run_sync(self.storage.entries, folder):
            yield entry


def _open(path: Path) -> BinaryIO:
    return path.open("rb")


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
