"""Storage backends (gql_portal/storage): the local folder, the app's PostgreSQL database and
S3-compatible object storage (against moto's server, started here) behind one interface, each
content-addressed, SHA-256 checked and committed only when whole."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tracemalloc
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from gql_portal.clock import FrozenClock
from gql_portal.config import ConfigError, Settings
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Receipt
from gql_portal.db.files import StoredFileChunk, StoredFileRow
from gql_portal.demo import load_demo
from gql_portal.runtime import Runtime
from gql_portal.security import Passwords
from gql_portal.storage import (
    DatabaseStore,
    FileStore,
    FolderStore,
    IntegrityFailure,
    S3Store,
    Storage,
    check,
    verifying,
)
from gql_portal.storage import database as database_backend
from gql_portal.storage import folder as folder_backend
from gql_portal.storage import s3 as s3_backend
from tests import s3server
from tests.conftest import Api
from tests.factories import Factory
from tests.test_expenses import attach, submit, tiny_png
from tests.test_exports import download, exported
from tests.test_exports_files import EXPORT_EXPENSES, expense_month
from tests.test_payroll import open_period

SMALL_CHUNKS = 1024  # several chunks for a few kilobytes


def on_postgresql(database: Database) -> bool:
    return database.engine.dialect.name == "postgresql"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """One moto S3 server for the session (each test makes its own bucket)."""
    if (reason := s3server.why_no_s3_server()) is not None:
        pytest.skip(reason)
    with s3server.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["folder", "postgresql", "s3"])
async def store(
    request: pytest.FixtureRequest,
    database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> FileStore:
    if request.param == "folder":
        return FolderStore(Storage(tmp_path / "storage"))
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        s3server.set_credentials(monkeypatch)
        url = s3server.storage_url(endpoint, s3server.new_bucket(endpoint))
        settings = Settings.from_env({"GQL_PORTAL_MODE": "test", "GQL_PORTAL_STORAGE_URL": url})
        return Runtime.from_settings(settings).files  # as `serve` would choose it
    if not on_postgresql(database):
        pytest.skip("the postgresql: backend needs GQL_PORTAL_TEST_DATABASE_URL=postgresql+...")
    return DatabaseStore(database, chunk_bytes=SMALL_CHUNKS)


def is_s3(store: FileStore) -> bool:
    return isinstance(store, S3Store)


async def s3_keys(store: FileStore) -> list[str]:
    """Every object in the store's bucket under its prefix, temporary uploads included."""
    import obstore

    assert isinstance(store, S3Store)
    return sorted([meta["path"] async for batch in obstore.list(store.client) for meta in batch])


async def read_all(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def test_put_open_exists_delete(store: FileStore, tmp_path: Path) -> None:
    data = os.urandom(5000)
    stored = await store.put("receipts/7", data, ".pdf")
    digest = hashlib.sha256(data).hexdigest()
    assert stored.storage_key == f"receipts/7/{digest[:2]}/{digest}.pdf"  # today's keys
    assert (stored.sha256, stored.size_bytes) == (digest, 5000)
    assert await store.exists(stored.storage_key)
    assert await read_all(store.open(stored.storage_key)) == data
    await check(store, stored.storage_key, digest, 5000)

    # A file is stored from disk just the same, read in chunks.
    source = tmp_path / "export.zip"
    source.write_bytes(data[::-1])
    from_file = await store.put("exports/7/1", source, ".zip")
    assert await read_all(store.open(from_file.storage_key)) == data[::-1]

    await store.delete(stored.storage_key)
    assert not await store.exists(stored.storage_key)
    with pytest.raises(IntegrityFailure):
        await read_all(store.open(stored.storage_key))
    await store.delete(stored.storage_key)  # deleting what is gone is no error
    assert await store.exists(from_file.storage_key)


async def test_the_same_bytes_are_one_stored_file(
    store: FileStore, database: Database, tmp_path: Path
) -> None:
    data = b"%PDF-1.7 kvitto " * 300
    first = await store.put("receipts/1", data, ".pdf")
    source = tmp_path / "same.pdf"
    source.write_bytes(data)
    again = await store.put("receipts/1", source, ".pdf")
    assert again == first
    other_company = await store.put("receipts/2", data, ".pdf")
    assert other_company.storage_key != first.storage_key  # content-addressed per folder
    if isinstance(store, FolderStore):
        folder = store.storage.path(first.storage_key).parent
        assert [path.name for path in folder.iterdir()] == [Path(first.storage_key).name]
    elif is_s3(store):
        assert await s3_keys(store) == sorted([first.storage_key, other_company.storage_key])
    else:
        async with database.session() as session:
            files = await session.scalar(select(func.count()).select_from(StoredFileRow))
            chunks = await session.scalar(
                select(func.count()).where(StoredFileChunk.storage_key == first.storage_key)
            )
        assert files == 2
        assert chunks == -(-len(data) // SMALL_CHUNKS)


async def corrupt(store: FileStore, database: Database, storage_key: str) -> None:
    """Flip a byte of the file's second chunk, as a disk or a hand-edited row might."""
    if isinstance(store, FolderStore):
        path = store.storage.path(storage_key)
        data = bytearray(path.read_bytes())
        data[SMALL_CHUNKS + 5] ^= 0xFF
        path.write_bytes(bytes(data))
        return
    if is_s3(store):
        import obstore

        assert isinstance(store, S3Store)
        data = bytearray(await read_all(store.open(storage_key)))
        data[SMALL_CHUNKS + 5] ^= 0xFF
        await obstore.put_async(store.client, storage_key, bytes(data))
        return
    async with database.transaction() as session:
        chunk = await session.scalar(
            select(StoredFileChunk.bytes).where(
                StoredFileChunk.storage_key == storage_key, StoredFileChunk.seq == 1
            )
        )
        assert chunk is not None
        await session.execute(
            update(StoredFileChunk)
            .where(StoredFileChunk.storage_key == storage_key, StoredFileChunk.seq == 1)
            .values(bytes=bytes([chunk[0] ^ 0xFF]) + chunk[1:])
        )


async def test_a_corrupted_chunk_is_detected_on_read(store: FileStore, database: Database) -> None:
    data = os.urandom(4 * SMALL_CHUNKS)
    stored = await store.put("receipts/3", data, ".png")
    await corrupt(store, database, stored.storage_key)
    with pytest.raises(IntegrityFailure):
        await check(store, stored.storage_key, stored.sha256, stored.size_bytes)
    with pytest.raises(IntegrityFailure):
        await read_all(verifying(store.open(stored.storage_key), stored.sha256, len(data)))


async def test_a_write_that_fails_before_its_commit_leaves_nothing(
    store: FileStore, database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file changes between its digest and its copy (as if the writer died half-way): the
    put fails and nothing is visible, under any key."""
    source = tmp_path / "export.xml"
    source.write_bytes(os.urandom(3 * SMALL_CHUNKS))
    wrong = "0" * 64

    def stale_digest(path: Path) -> tuple[str, int]:
        return wrong, path.stat().st_size

    monkeypatch.setattr(folder_backend, "file_digest", stale_digest)
    monkeypatch.setattr(database_backend, "file_digest", stale_digest)
    if is_s3(store):
        monkeypatch.setattr(s3_backend, "file_digest", stale_digest)
    with pytest.raises(IntegrityFailure):
        await store.put("exports/1/9", source, ".xml")
    assert not await store.exists(f"exports/1/9/00/{wrong}.xml")
    if isinstance(store, FolderStore):
        assert [path for path in store.storage.root.rglob("*") if path.is_file()] == []
    elif is_s3(store):
        assert await s3_keys(store) == []  # nor the temporary upload
    else:
        async with database.session() as session:
            for table in (StoredFileRow, StoredFileChunk):
                assert await session.scalar(select(func.count()).select_from(table)) == 0


async def test_memory_stays_flat_for_a_big_file(store: FileStore, tmp_path: Path) -> None:
    """A 50 MB file goes in from disk and comes out in chunks: the peak of Python's memory stays
    a small fraction of its size in every backend (S3: plus the multipart parts in flight)."""
    if isinstance(store, DatabaseStore):
        store.chunk_bytes = 1 << 20
    limit = 12 * 1024 * 1024
    if is_s3(store):
        limit += s3_backend.PART_BYTES * s3_backend.PARTS_IN_FLIGHT
    size = 50 * 1024 * 1024
    source = tmp_path / "big.zip"
    digest = hashlib.sha256()
    with source.open("wb") as handle:
        for _ in range(50):
            block = os.urandom(1024 * 1024)
            digest.update(block)
            handle.write(block)
    tracemalloc.start()
    try:
        stored = await store.put("exports/1/1", source, ".zip")
        length = 0
        async for chunk in verifying(store.open(stored.storage_key), digest.hexdigest(), size):
            length += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (stored.sha256, length) == (digest.hexdigest(), size)
    assert peak < limit, f"peak {peak / 2**20:.1f} MiB for a 50 MiB file"


async def test_a_receipt_uploads_and_downloads_through_the_backend(
    store: FileStore,
    runtime: Runtime,
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    tmp_path: Path,
) -> None:
    runtime.storage = Storage(tmp_path / "scratch")  # the folder holds no stored file here
    runtime.file_store = store
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(Api(client), me.token)
    content = tiny_png() + os.urandom(3000)  # still a PNG by its signature
    receipt = (await attach(client, me.token, expense["id"], content, file_name="kvitto.png"))[
        "receipt"
    ]
    response = await client.get(receipt["url"], headers={"authorization": f"Bearer {me.token}"})
    assert response.status_code == 200, response.text
    assert response.content == content
    assert response.headers["content-length"] == str(len(content))
    async with database.session() as session:
        row = await session.scalar(select(Receipt))
    assert row is not None and await store.exists(row.storage_key)
    if not isinstance(store, FolderStore):
        assert not (tmp_path / "scratch" / "receipts").exists()

    # A corrupted file is never sent: 500, not a byte of it.
    await corrupt(store, database, row.storage_key)
    broken = await client.get(receipt["url"], headers={"authorization": f"Bearer {me.token}"})
    assert broken.status_code == 500
    assert broken.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"


async def test_an_expenses_export_is_stored_in_the_backend_with_its_receipts(
    store: FileStore, runtime: Runtime, api: Api, factory: Factory, database: Database
) -> None:
    """The export's ZIP reads its receipts from the backend and is put there itself; copies of
    receipts a job made (backends other than the folder) are gone when it ends."""
    month = await expense_month(factory, database, runtime)  # receipts put in runtime.storage
    async with database.session() as session:
        receipts = (await session.scalars(select(Receipt))).all()
    for receipt in receipts:
        moved = await store.put(
            receipt.storage_key.rsplit("/", 2)[0], runtime.storage.read(receipt.storage_key)
        )
        assert moved.storage_key == receipt.storage_key  # the same key in every backend
    if not isinstance(store, FolderStore):
        shutil.rmtree(runtime.storage.path("receipts"))
    runtime.file_store = store

    period = await open_period(api, month.admin.token)
    made = exported(
        await api(EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}, token=month.admin.token),
        "exportExpenses",
    )
    assert made["state"] == "DONE", made
    response = await download(api, made["downloadUrl"], token=month.admin.token)
    assert response.status_code == 200, response.text
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    in_zip = sorted(archive.read(name) for name in archive.namelist() if name.startswith("kvitt"))
    wanted = ("dinner", "dinner-2", "hotel", "train")
    assert in_zip == sorted(month.files[key] for key in wanted)
    tmp = runtime.storage.path("exports/tmp")
    assert not tmp.exists() or [path.name for path in tmp.iterdir()] == []
    if not isinstance(store, FolderStore):
        assert not runtime.storage.path(f"exports/{month.admin.company_id}").exists()


async def test_the_demo_puts_its_receipts_in_the_backend(
    store: FileStore, database: Database, clock: FrozenClock, passwords: Passwords
) -> None:
    await load_demo(database, clock, store, clients=1, employees=2, passwords=passwords)
    async with database.session() as session:
        receipts = (await session.scalars(select(Receipt))).all()
    assert receipts
    for receipt in receipts:
        await check(store, receipt.storage_key, receipt.sha256, receipt.size_bytes)


def test_the_backend_is_chosen_by_url(tmp_path: Path) -> None:
    base = {"GQL_PORTAL_MODE": "test"}
    default = Settings.from_env(base | {"GQL_PORTAL_STORAGE_DIR": str(tmp_path)})
    assert (default.storage_url, default.storage_dir) == (f"file://{tmp_path}", tmp_path)
    folder = Settings.from_env(base | {"GQL_PORTAL_STORAGE_URL": f"file://{tmp_path}/files"})
    assert folder.storage_dir == tmp_path / "files"
    in_database = Settings.from_env(
        base
        | {
            "GQL_PORTAL_STORAGE_URL": "postgresql:",
            "GQL_PORTAL_DATABASE_URL": "postgresql+asyncpg://u:p@db/portal",
        }
    )
    assert isinstance(Runtime.from_settings(in_database).files, DatabaseStore)
    assert isinstance(Runtime.from_settings(folder).files, FolderStore)
    with pytest.raises(ConfigError, match="must then be PostgreSQL"):
        Settings.from_env(base | {"GQL_PORTAL_STORAGE_URL": "postgresql:"})
    with pytest.raises(ConfigError, match="STORAGE_URL must be"):
        Settings.from_env(base | {"GQL_PORTAL_STORAGE_URL": "ftp://files"})
    for bad, why in [
        ("s3:///prefix", "s3://bucket"),
        ("s3://bucket?endpont=http://x", "unknown S3 URL parameter"),
        ("s3://bucket?endpoint=minio:9000", "http:// or https://"),
    ]:
        with pytest.raises(ConfigError, match=why):
            Settings.from_env(base | {"GQL_PORTAL_STORAGE_URL": bad})


def test_an_s3_url_names_bucket_prefix_endpoint_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    if (reason := s3server.why_no_s3_server()) is not None:
        pytest.skip(reason)
    s3server.set_credentials(monkeypatch)
    url = "s3://portal-files/eu/prod?endpoint=https://s3.example.se&region=eu-north-1"
    settings = Settings.from_env({"GQL_PORTAL_MODE": "test", "GQL_PORTAL_STORAGE_URL": url})
    store = Runtime.from_settings(settings).files
    assert isinstance(store, S3Store)
    assert store.client.config["bucket"] == "portal-files"
    assert str(store.client.prefix) == "eu/prod"
    assert store.client.config["endpoint"] == "https://s3.example.se"
    assert store.client.config["region"] == "eu-north-1"
