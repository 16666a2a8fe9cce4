"""The database backend (`GQL_PORTAL_STORAGE_URL=postgresql:`): files in the app's own
database, for a deployment that wants nothing but its database. A file is its `stored_files`
row and its bytes in `stored_file_chunks`, written in one transaction of its own (the row is
marked committed last: a crash leaves nothing) and read back a chunk per query, so neither side
ever holds a whole file in memory nor keeps a connection for the length of a download."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import anyio.to_thread
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gql_portal.db.engine import Database
from gql_portal.db.files import StoredFileChunk, StoredFileRow
from gql_portal.storage.interface import (
    CHUNK_BYTES,
    IntegrityFailure,
    Source,
    StoredEntry,
    StoredFile,
    content_key,
    file_digest,
)


class DatabaseStore:
    def __init__(self, database: Database, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.database = database
        self.chunk_bytes = chunk_bytes

    async def put(self, folder: str, source: Source, suffix: str = "") -> StoredFile:
        if isinstance(source, bytes):
            sha256, size = hashlib.sha256(source).hexdigest(), len(source)
        else:
            sha256, size = await anyio.to_thread.run_sync(file_digest, source)
        stored = StoredFile(content_key(folder, sha256, suffix), sha256, size)
        if await self.exists(stored.storage_key):
            await self._renew(stored.storage_key)
            return stored
        try:
            await self._write(stored, source)
        except IntegrityError:
            # Another worker stored the same bytes meanwhile (its row's key came first).
            if not await self.exists(stored.storage_key):
                raise
        return stored

    async def _write(self, stored: StoredFile, source: Source) -> None:
        key = stored.storage_key
        async with self.database.transaction() as session:
            await session.execute(
                insert(StoredFileRow).values(
                    storage_key=key,
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    committed=False,
                    created_at=datetime.now(UTC),
                )
            )
            digest = hashlib.sha256()
            length = 0
            async for seq, chunk in _numbered(self._chunks(source)):
                digest.update(chunk)
                length += len(chunk)
                await session.execute(
                    insert(StoredFileChunk).values(storage_key=key, seq=seq, bytes=chunk)
                )
            if digest.hexdigest() != stored.sha256 or length != stored.size_bytes:
                raise IntegrityFailure(f"{source!r:.80} changed while it was stored")
            await session.execute(
                update(StoredFileRow).where(StoredFileRow.storage_key == key).values(committed=True)
            )

    async def _renew(self, storage_key: str) -> None:
        """Stored again: the orphan sweep measures age from now (a new row is about to name
        it)."""
        async with self.database.transaction() as session:
            await session.execute(
                update(StoredFileRow)
                .where(StoredFileRow.storage_key == storage_key)
                .values(created_at=datetime.now(UTC))
            )

    async def _chunks(self, source: Source) -> AsyncIterator[bytes]:
        if isinstance(source, bytes):
            for start in range(0, len(source), self.chunk_bytes):
                yield source[start : start + self.chunk_bytes]
            return
        handle = await anyio.to_thread.run_sync(Path.open, source, "rb")
        try:
            while chunk := await anyio.to_thread.run_sync(handle.read, self.chunk_bytes):
                yield chunk
        finally:
            handle.close()

    async def open(self, storage_key: str) -> AsyncIterator[bytes]:
        if not await self.exists(storage_key):
            raise IntegrityFailure(f"no stored file {storage_key}")
        seq = 0
        while True:
            async with self.database.session() as session:
                chunk = await session.scalar(
                    select(StoredFileChunk.bytes).where(
                        StoredFileChunk.storage_key == storage_key, StoredFileChunk.seq == seq
                    )
                )
            if chunk is None:
                return
            yield chunk
            seq += 1

    async def delete(self, storage_key: str) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                delete(StoredFileChunk).where(StoredFileChunk.storage_key == storage_key)
            )
            await session.execute(
                delete(StoredFileRow).where(StoredFileRow.storage_key == storage_key)
            )

    async def exists(self, storage_key: str) -> bool:
        async with self.database.session() as session:
            committed = await session.scalar(
                select(StoredFileRow.committed).where(StoredFileRow.storage_key == storage_key)
            )
        return bool(committed)

    async def listing(self, folder: str) -> AsyncIterator[StoredEntry]:
        async with self.database.session() as session:
            rows = (
                await session.execute(
                    select(StoredFileRow.storage_key, StoredFileRow.created_at).where(
                        StoredFileRow.storage_key.startswith(folder + "/", autoescape=True),
                        StoredFileRow.committed,
                    )
                )
            ).all()
        for storage_key, created_at in rows:
            yield StoredEntry(storage_key, created_at or EPOCH)


# The age of a file stored before its time was kept: as old as can be.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def _numbered(chunks: AsyncIterator[bytes]) -> AsyncIterator[tuple[int, bytes]]:
    seq = 0
    async for chunk in chunks:
        yield seq, chunk
        seq += 1
