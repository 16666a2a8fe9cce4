"""Storage benchmark: each storage backend (the local folder; PostgreSQL when a database URL is
given; S3 on moto's S3-compatible server, started here) through the product's own code.

    .venv/bin/python -m bench.storage [--employees 1000] [--receipts 50] [--big-mb 100]
        [--database-url postgresql+asyncpg://...]   # an EMPTY database: it gets the schema

Per backend, on a fresh database (SQLite unless --database-url):

1. **Export throughput**: the PAXML payroll basis of `--employees` employees for a month
   (`bench/exports.py`'s data), from the mutation until DONE (written, then put in the backend):
   median of 3, and MB/s of the file.
2. **Receipt upload**: `FileStore.put` of `--receipts` new 200 KB receipts, one at a time
   (what `attachReceipt` does after its checks): p50/p90 ms.
3. **Receipt download**: `GET /files/receipts/{id}` through the app for each (rights check,
   SHA-256 check, audit, stream): p50/p90 ms.
4. **Memory for a big file**: a `--big-mb` file put from disk (as an export's file is), then
   downloaded through the app as a receipt's route streams it (the ASGI app called directly, its
   body chunks hashed and dropped): the Python heap's peak (tracemalloc, a separate run) and the
   resident set's peak growth over both (VmHWM, reset first through /proc/self/clear_refs).

moto's server runs in its own process, so its memory is not ours. A bench, not a test: nothing
is asserted but that every answer was right (status 200, the bytes' SHA-256).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from bench.exports import EXPORT, export_once, peak_rss_mb, reset_peak_rss, rss_mb, seed
from gql_portal.config import Settings
from gql_portal.db.expenses import Receipt
from gql_portal.db.migrate import upgrade
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from gql_portal.storage import DatabaseStore, FileStore, FolderStore, S3Store
from tests import s3server

RECEIPT_BYTES = 200_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def millis(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} / {percentile(values, 0.9) * 1000:.1f}"


async def timed(work: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


async def asgi_download(app: Any, path: str, token: str) -> tuple[int, str, int]:
    """GET `path` from the ASGI app, hashing the body as it streams and keeping none of it
    (httpx's ASGI transport would gather the whole body): status, SHA-256, length."""
    digest = hashlib.sha256()
    length = 0
    status = 0
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench.local"), (b"authorization", f"Bearer {token}".encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("bench.local", 80),
    }

    requested = False
    sent = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await sent.wait()  # the client stays until the whole body came
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, length
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            digest.update(message.get("body", b""))
            length += len(message.get("body", b""))
            if not message.get("more_body", False):
                sent.set()

    await app(scope, receive, send)
    return status, digest.hexdigest(), length


def big_file(folder: Path, megabytes: int) -> tuple[Path, str]:
    path = folder / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(megabytes):
            block = os.urandom(1 << 20)
            digest.update(block)
            handle.write(block)
    return path, digest.hexdigest()


async def empty_public_schema(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def backend_for(name: str, runtime: Runtime, s3_url: str | None) -> FileStore:
    if name == "folder":
        return FolderStore(runtime.storage)
    if name == "postgresql":
        return DatabaseStore(runtime.database)
    assert s3_url is not None
    return S3Store.from_url(s3_url)


async def bench_backend(
    name: str, args: argparse.Namespace, s3_url: str | None, folder: Path
) -> dict[str, Any]:
    url = args.database_url if name == "postgresql" else f"sqlite+aiosqlite:///{folder}/bench.db"
    if name == "postgresql":
        await empty_public_schema(url)
    settings = Settings(database_url=url, storage_dir=folder / "storage", export_wait_seconds=0.0)
    runtime = Runtime.from_settings(settings)
    store = backend_for(name, runtime, s3_url)
    runtime.file_store = store
    await upgrade(runtime.database)
    seeded = await seed(runtime, args.employees, args.receipts, settings.storage_dir)
    async with runtime.database.session() as session:
        receipts = (await session.scalars(select(Receipt).order_by(Receipt.id))).all()
    if not isinstance(store, FolderStore):  # seeded into the folder: into the backend too
        for receipt in receipts:
            folder_name, suffix = receipt.storage_key.rsplit("/", 2)[0], Path(receipt.file_name)
            await store.put(folder_name, runtime.storage.read(receipt.storage_key), suffix.suffix)
    app = create_app(runtime)
    result: dict[str, Any] = {"backend": name}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://bench.local", timeout=600
    ) as client:
        variables = {
            "input": {"periodId": seeded.period_gid, "format": "PAXML", "exportDate": "2026-11-02"}
        }
        times = []
        for _ in range(3):
            started = time.perf_counter()
            export = await export_once(client, seeded.token, EXPORT, variables)
            times.append(time.perf_counter() - started)
    seconds = statistics.median(times)
    result["export_seconds"] = round(seconds, 2)
    result["export_mb"] = round(export["sizeBytes"] / 1e6, 2)
    result["export_mb_per_s"] = round(export["sizeBytes"] / 1e6 / seconds, 1)

    company_folder = receipts[0].storage_key.rsplit("/", 2)[0]
    uploads = [
        await timed(lambda: store.put(company_folder, os.urandom(RECEIPT_BYTES), ".jpg"))
        for _ in range(args.receipts)
    ]
    result["receipt_put_ms"] = millis(uploads)

    downloads = []
    for receipt in receipts:
        started = time.perf_counter()
        status, sha256, _ = await asgi_download(app, f"/files/receipts/{receipt.id}", seeded.token)
        downloads.append(time.perf_counter() - started)
        assert (status, sha256) == (200, receipt.sha256), (status, receipt.id)
    result["receipt_get_ms"] = millis(downloads)

    path, digest = big_file(folder, args.big_mb)
    template = receipts[0]

    async def put_and_download(run: int) -> float:
        """A new folder each run: the same bytes in the same folder would not be written."""
        started = time.perf_counter()
        stored = await store.put(f"exports/{template.company_id}/big-{run}", path, ".bin")
        async with runtime.database.transaction() as session:
            receipt_id = await session.scalar(
                insert(Receipt)
                .values(
                    company_id=template.company_id,
                    expense_id=receipts[run].expense_id,  # one file per expense and hash
                    employee_id=template.employee_id,
                    file_name="big.bin",
                    content_type="application/octet-stream",
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                    uploaded_at=template.uploaded_at,
                )
                .returning(Receipt.id)
            )
        status, sha256, length = await asgi_download(
            app, f"/files/receipts/{receipt_id}", seeded.token
        )
        assert (status, sha256, length) == (200, digest, args.big_mb << 20)
        return time.perf_counter() - started

    before = rss_mb()
    reset_peak_rss()
    big_seconds = await put_and_download(1)
    result["big_rss_growth_mb"] = round(peak_rss_mb() - before, 1)
    result["big_put_and_get_s"] = round(big_seconds, 1)
    tracemalloc.start()
    await put_and_download(2)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["big_heap_peak_mb"] = round(heap_peak / 1e6, 1)
    path.unlink()
    await runtime.jobs.stop()
    await runtime.database.dispose()
    print(json.dumps(result), flush=True)
    return result


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    backends = ["folder", *(["postgresql"] if args.database_url else []), "s3"]
    results = []
    s3server.set_credentials()
    with s3server.s3_server() as endpoint:
        s3_url = s3server.storage_url(endpoint, s3server.new_bucket(endpoint), "bench")
        for name in backends:
            with tempfile.TemporaryDirectory(prefix=f"bench-storage-{name}-") as folder:
                results.append(await bench_backend(name, args, s3_url, Path(folder)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--receipts", type=int, default=50)
    parser.add_argument("--big-mb", type=int, default=100)
    parser.add_argument("--database-url", help="PostgreSQL (an EMPTY database) for its backend")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    if (reason := s3server.why_no_s3_server()) is not None:
        raise SystemExit(reason)
    rows = asyncio.run(run(args))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    header = (
        f"| backend | PAXML export s (median of 3) | export MB | MB/s | receipt put p50 / p90 ms "
        f"| receipt GET p50 / p90 ms | {args.big_mb} MB put + GET s | RSS peak growth MB "
        "| Python heap peak MB |\n|---|---|---|---|---|---|---|---|---|"
    )
    columns = (
        "backend",
        "export_seconds",
        "export_mb",
        "export_mb_per_s",
        "receipt_put_ms",
        "receipt_get_ms",
        "big_put_and_get_s",
        "big_rss_growth_mb",
        "big_heap_peak_mb",
    )
    table = "\n".join("| " + " | ".join(str(row[c]) for c in columns) + " |" for row in rows)
    command = (
        f".venv/bin/python -m bench.storage --employees {args.employees} --receipts "
        f"{args.receipts} --big-mb {args.big_mb}"
        + (" --database-url postgresql+asyncpg://..." if args.database_url else "")
    )
    report = (
        f"# Storage benchmark\n\ncommit {commit}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores\n\n`{command}`\n\n{header}\n{table}\n"
    )
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    (args.out / f"{stamp}-storage.md").write_text(report)
    (args.out / f"{stamp}-storage.json").write_text(json.dumps(rows, indent=2))
    print(f"written {args.out}/{stamp}-storage.md")


if __name__ == "__main__":
    main()
