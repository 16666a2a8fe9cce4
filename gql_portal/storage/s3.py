"""The S3 backend (`GQL_PORTAL_STORAGE_URL=s3://bucket/prefix?endpoint=...&region=...`): files
in an S3-compatible object store (AWS S3, MinIO, Ceph, Garage...), shared by every machine.

The client is obstore (the `s3` extra, imported where it is used so that this module loads
without it): async, streaming both ways, one small compiled wheel, custom endpoints.
Credentials come from the standard variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN...), never from the URL.

A file is streamed (a multipart upload in parts of `PART_BYTES`) under a temporary key in
`.partial/`, hashed on the way; only when its SHA-256 and size are those expected is it copied
(on the server) to its content key, so no reader ever sees half a file or a wrong one. Temporary
keys a dead process left are swept by the retention job (`sweep_partials`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import anyio.to_thread

from gql_portal.config import S3Location, parse_s3_url
from gql_portal.storage.interface import (
    CHUNK_BYTES,
    IntegrityFailure,
    Source,
    StoredEntry,
    StoredFile,
    content_key,
    file_digest,
)

if TYPE_CHECKING:
    from obstore.store import S3Store as ObstoreS3

PARTIAL_FOLDER = ".partial"
PARTIAL_MAX_AGE = timedelta(hours=1)
# Multipart parts: S3's smallest (5 MiB; at most 10,000 parts, so files up to 50 GB). An upload
# holds the parts in flight in memory: about 10 MiB whatever the file's size.
PART_BYTES = 5 << 20
PARTS_IN_FLIGHT = 2


def client_for(location: S3Location) -> ObstoreS3:
    """An obstore client for the location; credentials from the AWS_* environment variables."""
    from obstore.store import S3Store as ObstoreS3  # the optional `s3` extra, checked by config

    return ObstoreS3(
        location.bucket,
        prefix=location.prefix or None,
        endpoint=location.endpoint,
        region=location.region,
        # A local or in-house endpoint (MinIO in the same network) may be plain http.
        client_options={"allow_http": (location.endpoint or "").startswith("http://")},
    )


class S3Store:
    def __init__(self, client: ObstoreS3) -> None:
        self.client = client

    @classmethod
    def from_url(cls, url: str) -> S3Store:
        return cls(client_for(parse_s3_url(url)))

    async def put(self, folder: str, source: Source, suffix: str = "") -> StoredFile:
        import obstore

        if isinstance(source, bytes):
            sha256, size = hashlib.sha256(source).hexdigest(), len(source)
        else:
            sha256, size = await anyio.to_thread.run_sync(file_digest, source)
        stored = StoredFile(content_key(folder, sha256, suffix), sha256, size)
        # Uploaded even when the key exists: the copy refreshes the object's age, so the orphan
        # sweep never takes a file that a new row is about to name.
        partial = f"{PARTIAL_FOLDER}/{uuid.uuid4().hex}"
        try:
            hashed = _Hashed()
            await obstore.put_async(
                self.client,
                partial,
                source if isinstance(source, bytes) else hashed.passing(_chunks(source)),
                chunk_size=PART_BYTES,
                max_concurrency=PARTS_IN_FLIGHT,
            )
            written = (sha256, size) if isinstance(source, bytes) else hashed.result()
            if written != (sha256, size):
                raise IntegrityFailure(f"{source!r:.80} changed while it was stored")
            await obstore.copy_async(self.client, partial, stored.storage_key, overwrite=True)
        finally:
            await obstore.delete_async(self.client, partial)
        return stored

    async def open(self, storage_key: str) -> AsyncIterator[bytes]:
        import obstore

        try:
            result = await obstore.get_async(self.client, storage_key)
        except FileNotFoundError:
            raise IntegrityFailure(f"no stored file {storage_key}") from None
        async for chunk in result.stream(min_chunk_size=CHUNK_BYTES):
            yield bytes(chunk)

    async def delete(self, storage_key: str) -> None:
        import obstore

        await obstore.delete_async(self.client, storage_key)

    async def exists(self, storage_key: str) -> bool:
        import obstore

        try:
            await obstore.head_async(self.client, storage_key)
        except FileNotFoundError:
            return False
        return True

    async def listing(self, folder: str) -> AsyncIterator[StoredEntry]:
        import obstore

        async for batch in obstore.list(self.client, prefix=folder + "/"):
            for meta in batch:
                yield StoredEntry(meta["path"], meta["last_modified"])

    async def sweep_partials(self, now: datetime) -> int:
        """Remove the temporary uploads of writers that died (a live one takes far less than
        an hour); how many were removed."""
        removed = 0
        async for entry in self.listing(PARTIAL_FOLDER):
            if entry.modified_at < now - PARTIAL_MAX_AGE:
                await self.delete(entry.storage_key)
                removed += 1
        return removed


class _Hashed:
    """The SHA-256 and length of the chunks passed through `passing`."""

    def __init__(self) -> None:
        self.digest = hashlib.sha256()
        self.length = 0

    def result(self) -> tuple[str, int]:
        return self.digest.hexdigest(), self.length

    async def passing(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        async for chunk in chunks:
            self.digest.update(chunk)
            self.length += len(chunk)
            yield chunk


async def _chunks(source: Path) -> AsyncIterator[bytes]:
    handle = await anyio.to_thread.run_sync(Path.open, source, "rb")
    try:
        while chunk := await anyio.to_thread.run_sync(handle.read, CHUNK_BYTES):
            yield chunk
    finally:
        handle.close()
