"""Jobs in the database (issue 18, point 2): an export and its job are queued in one transaction,
any worker claims a free job (each job once, however many claim at the same time), a job whose
lease ran out is taken over and finished by another worker (the file the same bytes as a clean
export's), a worker that lost its lease writes nothing more, and a job claimed too often fails
its export INTERRUPTED. Real database (SQLite, or PostgreSQL with GQL_PORTAL_TEST_DATABASE_URL),
real files; "another worker" is a second Runtime on the same database with its own lease owner.
The same across processes and machines, killed by SIGKILL: tests/test_two_nodes.py."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from gql_portal.clock import FrozenClock
from gql_portal.config import ConfigError, Settings
from gql_portal.db.engine import Database
from gql_portal.db.exports import Export, ExportState
from gql_portal.db.jobs import Job, JobKind, JobState
from gql_portal.jobs.exports import run_queued_export
from gql_portal.jobs.exports.request import access_of, access_payload
from gql_portal.jobs.queue import LeaseLost, claim
from gql_portal.jobs.runner import claim_free_jobs
from gql_portal.permissions.access import Access, Gate
from gql_portal.permissions.matrix import Actor
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from tests.conftest import Api
from tests.factories import Factory, gid
from tests.test_exports import EXPORT_BASIS, exported, locked_february
from tests.test_exports_files import NODE, until_finished
from tests.test_payroll import row_id

EXPORT_DATE = "2026-03-02"


@pytest.fixture
async def workers(runtime: Runtime) -> AsyncIterator[Callable[[], Runtime]]:
    """Makes other workers on the same database and storage folder (each its own lease owner)."""
    made: list[Runtime] = []

    def another() -> Runtime:
        worker = Runtime(
            settings=runtime.settings,
            database=runtime.database,
            clock=runtime.clock,
            passwords=runtime.passwords,
            storage=runtime.storage,
        )
        made.append(worker)
        return worker

    yield another
    for worker in made:
        await worker.jobs.stop(grace_seconds=10)
        await worker.bus.stop()


async def jobs(database: Database) -> list[Job]:
    async with database.session() as session:
        return list((await session.scalars(select(Job).order_by(Job.id))).all())


async def export_row(database: Database, export_id: int) -> Export:
    async with database.session() as session:
        return await session.get_one(Export, export_id)


async def queue_without_running(
    api: Api, runtime: Runtime, token: str, period: str, file_format: str = "PAXML"
) -> int:
    """Ask for an export on a worker with no free slot: the job stays QUEUED for another."""
    runtime.jobs.stopping = True  # claims nothing more, as a worker whose slots are all taken
    try:
        body = await api(
            EXPORT_BASIS,
            {"input": {"periodId": period, "format": file_format, "exportDate": EXPORT_DATE}},
            token=token,
        )
    finally:
        runtime.jobs.stopping = False
    export = exported(body)
    assert export["state"] == "QUEUED"
    return row_id(export["id"])


async def until_ended(database: Database, export_id: int) -> Export:
    for _ in range(1000):  # 10 s and more: the machine is loaded
        row = await export_row(database, export_id)
        if row.state in (ExportState.DONE, ExportState.FAILED):
            return row
        await asyncio.sleep(0.01)
    raise AssertionError(f"export {export_id} still {row.state}")


def test_the_asker_rights_survive_the_job_payload_whole() -> None:
    """Every field of `Access` (but the session's rows) goes into the job and comes back: a
    field added to Access and forgotten here would make a taken-over job read with other rights."""
    asker = Access(
        role=SchemaRole.PARTNER_PORTAL,
        user_id=7,
        session_id=8,
        company_id=9,
        actor=Actor.LIMITED_PARTNER,
        acting_firm_id=10,
        gate=Gate.TRIAL_EXPIRED,
        company_is_firm=True,
        employee_id=11,
        client_ids=frozenset({12, 13}),
        full_client_ids=frozenset({13}),
        firm_actor=Actor.EMPLOYEE,
    )
    fields = {field.name for field in dataclasses.fields(Access)} - {"rows"}
    defaults = Access()
    assert all(getattr(asker, name) != getattr(defaults, name) for name in fields)
    stored = json.loads(json.dumps(access_payload(asker)))  # what the JSON column holds
    assert set(stored) == fields
    assert access_of(stored) == asker


async def test_an_export_and_its_job_are_queued_together_and_end_together(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    body = await api(
        EXPORT_BASIS,
        {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": EXPORT_DATE}},
        token=admin.token,
    )
    done = await until_finished(api, admin.token, exported(body))
    assert done["state"] == "DONE"
    (job,) = await jobs(database)
    assert (job.kind, job.export_id, job.state, job.attempts) == (
        JobKind.EXPORT,
        row_id(done["id"]),
        JobState.DONE,
        1,
    )
    # Started by the worker that took the mutation, at once; the lease ended with the job.
    assert job.lease_owner == runtime.jobs.owner
    assert job.lease_expires_at is None and job.finished_at is not None
    asker = access_of(job.payload["access"])
    assert (asker.user_id, asker.company_id, asker.role) == (
        admin.user_id,
        admin.company_id,
        SchemaRole.COMPANY_ADMIN,
    )


async def test_a_worker_without_a_free_slot_leaves_the_job_to_another(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    workers: Callable[[], Runtime],
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    export_id = await queue_without_running(api, runtime, admin.token, period["id"])
    (job,) = await jobs(database)
    assert (job.state, job.attempts, job.lease_owner) == (JobState.QUEUED, 0, None)

    other = workers()
    assert await claim_free_jobs(other) == 1
    row = await until_ended(database, export_id)
    assert row.state is ExportState.DONE, row.error
    (job,) = await jobs(database)
    assert (job.state, job.attempts, job.lease_owner) == (JobState.DONE, 1, other.jobs.owner)
    assert await claim_free_jobs(other) == 0  # nothing left


async def test_a_job_whose_lease_ran_out_is_taken_over_and_gives_the_clean_export_s_file(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    workers: Callable[[], Runtime],
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    # CSV: the same data gives the same bytes (a PAXml re-export names the earlier export).
    export_id = await queue_without_running(api, runtime, admin.token, period["id"], "CSV")
    dying, taking_over = workers(), workers()
    first = await claim(dying)  # ...and its worker dies before it writes anything
    assert first is not None and (first.lease.attempt, first.taken_over) == (1, False)

    # While the lease runs nobody else may take the job.
    assert await claim(taking_over) is None
    clock.advance(timedelta(seconds=runtime.settings.job_lease_seconds - 1))
    assert await claim(taking_over) is None
    clock.advance(timedelta(seconds=2))
    assert await claim_free_jobs(taking_over) == 1
    row = await until_ended(database, export_id)
    assert row.state is ExportState.DONE, row.error
    (job,) = await jobs(database)
    assert (job.state, job.attempts, job.lease_owner) == (JobState.DONE, 2, taking_over.jobs.owner)

    # The first worker, were it still alive, can no longer renew or end what it claimed.
    with pytest.raises(LeaseLost):
        await first.lease.renew_now()
    async with database.transaction() as session:
        with pytest.raises(LeaseLost):
            await first.lease.end(session, JobState.FAILED, "late")

    # The same bytes as a clean export of the same data.
    clean = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "CSV", "exportDate": EXPORT_DATE}},
            token=admin.token,
        )
    )
    clean = await until_finished(api, admin.token, clean)
    assert (clean["state"], clean["sha256"], clean["sizeBytes"]) == (
        "DONE",
        row.sha256,
        row.size_bytes,
    )


async def test_a_worker_that_lost_its_lease_writes_nothing(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    workers: Callable[[], Runtime],
) -> None:
    """A worker that was only slow (its lease ran out, another took the job over) stops at its
    next transaction: the export is its successor's alone."""
    admin, _, period = await locked_february(api, factory, database)
    export_id = await queue_without_running(api, runtime, admin.token, period["id"])
    slow, successor = workers(), workers()
    late = await claim(slow)
    clock.advance(timedelta(seconds=runtime.settings.job_lease_seconds + 1))
    taken = await claim(successor)
    assert late is not None and taken is not None and taken.taken_over

    with pytest.raises(LeaseLost):
        await run_queued_export(slow, late)
    row = await export_row(database, export_id)
    assert (row.state, row.heartbeat_at, row.error) == (ExportState.QUEUED, None, None)

    await run_queued_export(successor, taken)
    row = await export_row(database, export_id)
    assert row.state is ExportState.DONE, row.error
    assert not runtime.storage.path(f"exports/tmp/{export_id}.part").exists()


async def test_a_job_claimed_too_often_fails_its_export_interrupted(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    clock: FrozenClock,
    workers: Callable[[], Runtime],
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    export_id = await queue_without_running(api, runtime, admin.token, period["id"])
    lease = timedelta(seconds=runtime.settings.job_lease_seconds + 1)
    for attempt in range(1, runtime.settings.job_max_attempts + 1):  # each worker dies
        claimed = await claim(workers())
        assert claimed is not None and (claimed.lease.attempt, claimed.exhausted) == (
            attempt,
            False,
        )
        clock.advance(lease)
    assert await claim_free_jobs(workers()) == 1
    row = await until_ended(database, export_id)
    assert row.state is ExportState.FAILED
    assert (row.error or "").startswith("INTERRUPTED")
    (job,) = await jobs(database)
    assert job.state is JobState.FAILED and (job.error or "").startswith("INTERRUPTED")
    assert job.attempts == runtime.settings.job_max_attempts + 1
    # The user sees why, as after a crash.
    body = await api(NODE, {"id": gid("Export", export_id)}, token=admin.token)
    node = body["data"]["node"]
    assert node["state"] == "FAILED" and node["error"].startswith("INTERRUPTED")


async def test_each_job_is_claimed_once_however_many_claim_at_the_same_time(
    api: Api,
    factory: Factory,
    database: Database,
    runtime: Runtime,
    workers: Callable[[], Runtime],
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    for _ in range(4):
        await queue_without_running(api, runtime, admin.token, period["id"])
    claimers = [workers() for _ in range(3)]
    claims: list[Any] = await asyncio.gather(*(claim(claimers[index % 3]) for index in range(10)))
    taken = [claimed.job_id for claimed in claims if claimed is not None]
    assert sorted(taken) == [job.id for job in await jobs(database)]  # each once, all of them
    owners = {job.id: job.lease_owner for job in await jobs(database)}
    for claimed in claims:
        if claimed is not None:
            assert owners[claimed.job_id] == claimed.lease.owner


def test_the_job_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "GQL_PORTAL_JOB_LEASE_SECONDS": "2",
            "GQL_PORTAL_JOB_POLL_SECONDS": "1",
            "GQL_PORTAL_JOB_MAX_ATTEMPTS": "5",
            "GQL_PORTAL_JOB_CONCURRENCY": "8",
            "GQL_PORTAL_EXPORT_TEST_DELAY_MS": "6000",
        }
    )
    assert (
        settings.job_lease_seconds,
        settings.job_poll_seconds,
        settings.job_max_attempts,
        settings.job_concurrency,
        settings.export_test_delay_ms,
    ) == (2, 1, 5, 8, 6000)
    with pytest.raises(ConfigError, match="GQL_PORTAL_JOB_LEASE_SECONDS"):
        Settings.from_env({"GQL_PORTAL_JOB_LEASE_SECONDS": "0"})
    with pytest.raises(ConfigError, match="GQL_PORTAL_EXPORT_TEST_DELAY_MS"):
        Settings.from_env({"GQL_PORTAL_EXPORT_TEST_DELAY_MS": "soon"})
    # The test's delay never slows a production export.
    production = Settings.from_env(
        {
            "GQL_PORTAL_MODE": "production",
            "GQL_PORTAL_SECRET_KEY": "x" * 40,
            "GQL_PORTAL_PUBLIC_URL": "https://portal.example.se",
            "GQL_PORTAL_EXPORT_TEST_DELAY_MS": "6000",
        }
    )
    assert production.export_test_delay_ms == 0
