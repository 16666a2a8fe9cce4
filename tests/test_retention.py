"""Retention (jobs/retention.py), in every storage backend: export files go after
GQL_PORTAL_EXPORT_RETENTION_DAYS (the export and its period's EXPORTED state stay, a download
answers EXPORT_FILE_EXPIRED), stored files no row names after GQL_PORTAL_ORPHAN_RETENTION_HOURS;
audited, and safe when several workers run it at once."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import Company, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.exports import Export
from gql_portal.jobs.retention import RetentionRound, run_retention
from gql_portal.runtime import Runtime
from gql_portal.storage import FileStore, S3Store, Storage
from tests import test_storage_backends as backends
from tests.conftest import Api
from tests.factories import Actor, Factory
from tests.test_expenses import attach, submit, tiny_png
from tests.test_exports import EXPORT_BASIS, download, exported, locked_february

# Every test taking `store` runs over each backend (folder, PostgreSQL, S3 on moto's server).
store = backends.store
s3_endpoint = backends.s3_endpoint

EXPORT_NODE = """query($id: ID!) { node(id: $id) { ... on Export {
  state fileName sizeBytes fileDeletedAt downloadUrl payrollPeriod { state } } } }"""


async def audited(database: Database, action: str) -> list[dict[str, Any]]:
    async with database.session() as session:
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ).all()
    return [
        {"company_id": event.company_id, "user_id": event.actor_user_id, **event.details}
        for event in events
    ]


async def fresh_session(factory: Factory, database: Database, actor: Actor) -> str:
    """A new log-in for the actor (their first session has expired after a month)."""
    async with database.session() as session:
        user = await session.get_one(User, actor.user_id)
        company = await session.get_one(Company, actor.company_id)
    return await factory.log_in(user, company)


async def test_an_export_file_goes_after_the_retention_days_and_the_export_stays(
    store: FileStore, runtime: Runtime, api: Api, factory: Factory, database: Database
) -> None:
    runtime.file_store = store
    admin, _, period = await locked_february(api, factory, database)
    variables = {"input": {"periodId": period["id"], "format": "PAXML"}}
    export = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert export["state"] == "DONE"
    async with database.session() as session:
        row = await session.scalar(select(Export))
    assert row is not None and row.storage_key is not None
    key = row.storage_key
    assert await store.exists(key)

    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(timedelta(days=29, hours=23))
    assert await run_retention(runtime) == RetentionRound(0, 0)
    assert await store.exists(key)

    clock.advance(timedelta(days=1, hours=2))  # 31 days after it was written
    token = await fresh_session(factory, database, admin)
    link = (await api(EXPORT_NODE, {"id": export["id"]}, token=token))["data"]["node"]
    assert link["downloadUrl"] is not None  # asked for just before the job runs
    assert await run_retention(runtime) == RetentionRound(1, 0)
    assert not await store.exists(key)
    assert await run_retention(runtime) == RetentionRound(0, 0)  # idempotent

    after = (await api(EXPORT_NODE, {"id": export["id"]}, token=token))["data"]["node"]
    assert after["state"] == "DONE" and after["payrollPeriod"] == {"state": "EXPORTED"}
    assert (after["fileName"], after["sizeBytes"]) == (export["fileName"], export["sizeBytes"])
    assert after["downloadUrl"] is None
    assert datetime.fromisoformat(after["fileDeletedAt"]) == clock.now()

    response = await download(api, link["downloadUrl"], token=token)
    assert response.status_code == 410
    assert response.json()["errors"][0]["extensions"]["code"] == "EXPORT_FILE_EXPIRED"

    (event,) = await audited(database, "PAYROLL_EXPORT_FILE_DELETED")
    assert event["company_id"] == admin.company_id and event["user_id"] is None
    assert (event["file_name"], event["retention_days"]) == (export["fileName"], 30)


async def test_workers_running_it_at_once_delete_each_file_once(
    runtime: Runtime, api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    for export_format in ("PAXML", "CSV"):
        variables = {"input": {"periodId": period["id"], "format": export_format}}
        assert exported(await api(EXPORT_BASIS, variables, token=admin.token))["state"] == "DONE"
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.advance(timedelta(days=31))
    rounds = await asyncio.gather(*(run_retention(runtime) for _ in range(3)))
    assert sum(done.export_files_deleted for done in rounds) == 2
    assert len(await audited(database, "PAYROLL_EXPORT_FILE_DELETED")) == 2
    async with database.session() as session:
        exports = (await session.scalars(select(Export))).all()
    assert [(row.storage_key, row.file_deleted_at) for row in exports] == [
        (None, runtime.clock.now())
    ] * 2


async def test_stored_files_no_row_names_go_after_a_day(
    store: FileStore,
    runtime: Runtime,
    client: httpx.AsyncClient,
    factory: Factory,
    database: Database,
    tmp_path: Path,
) -> None:
    """Age is the backend's own (a file's mtime, an object's LastModified, the row's time): the
    clock is set a day past the real now."""
    runtime.storage = Storage(tmp_path / "storage")
    runtime.file_store = store
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(Api(client), me.token)
    content = tiny_png() + os.urandom(2000)
    receipt = (await attach(client, me.token, expense["id"], content))["receipt"]
    orphans = [
        await store.put(f"receipts/{company.id}", os.urandom(3000), ".png"),
        await store.put(f"exports/{company.id}/77", os.urandom(5000), ".xml"),
    ]
    # A running export's temporary file on this machine is no stored file.
    running = runtime.storage.path("exports/tmp/78.part")
    running.parent.mkdir(parents=True)
    running.write_bytes(b"half an export")

    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(datetime.now(UTC) + timedelta(hours=23))
    assert await run_retention(runtime) == RetentionRound(0, 0)
    runtime.clock.set(datetime.now(UTC) + timedelta(hours=25))
    assert await run_retention(runtime) == RetentionRound(0, 2)
    assert await run_retention(runtime) == RetentionRound(0, 0)

    for orphan in orphans:
        assert not await store.exists(orphan.storage_key)
    assert running.read_bytes() == b"half an export"
    token = await fresh_session(factory, database, me)
    response = await client.get(receipt["url"], headers={"authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.content == content
    (event,) = await audited(database, "ORPHANED_FILES_DELETED")
    assert (event["company_id"], event["files"], event["older_than_hours"]) == (None, 2, 24)


async def test_an_s3_upload_a_dead_process_left_is_swept(
    store: FileStore, runtime: Runtime
) -> None:
    if not isinstance(store, S3Store):
        pytest.skip("the folder sweeps its .partial-* files at start-up; PostgreSQL rolls back")
    import obstore

    runtime.file_store = store
    await obstore.put_async(store.client, ".partial/left-by-a-killed-worker", b"half")
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(datetime.now(UTC) + timedelta(minutes=50))
    await run_retention(runtime)
    assert [meta["path"] async for batch in obstore.list(store.client) for meta in batch] == [
        ".partial/left-by-a-killed-worker"
    ]
    runtime.clock.set(datetime.now(UTC) + timedelta(minutes=70))
    await run_retention(runtime)
    assert [meta async for batch in obstore.list(store.client) for meta in batch] == []
