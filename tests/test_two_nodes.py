"""Two machines (issue 18, point 4): two `gql-portal serve` processes, each with a storage folder
of its own, on one PostgreSQL database that also stores the files (`GQL_PORTAL_STORAGE_URL=
postgresql:`), as two machines behind a load balancer without sticky sessions:

- a receipt uploaded on node A downloads byte for byte from node B;
- a session made on A works on B (and logging out on A ends it on B); failed log-ins counted
  on A hold the next one up on B;
- an export started on A, whose node is killed (SIGKILL) while the job runs, is taken over by B
  once its lease ran out (a short lease here) and finished there: its file downloads from B,
  byte-identical to a clean export of the same data;
- the load test (bench.loadtest) across both nodes through a round-robin HTTP proxy written
  here (every request to the next node, so one session's requests alternate between them):
  no errors, no lost writes;
- machines starting at once on a new database (each `serve` upgrades first) migrate one after
  the other instead of colliding.

The first two run twice: with the files in the database, and in S3-compatible object storage (a
moto server this test starts; skipped with the reason where none can be installed).

PostgreSQL only: the nodes share the database's LISTEN/NOTIFY (and its file tables)."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bench import loadtest
from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.accounts import User
from gql_portal.db.engine import Database
from gql_portal.db.jobs import Job, JobState
from gql_portal.db.migrate import pending_revisions, upgrade
from gql_portal.demo import load_demo
from gql_portal.security import Passwords
from gql_portal.storage import DatabaseStore
from tests import s3server
from tests.conftest import Api, error_codes
from tests.factories import Factory
from tests.test_clients import free_port, gql_portal_command
from tests.test_expenses import attach, submit, tiny_pdf
from tests.test_exports import EXPORT_BASIS, exported, locked_february
from tests.test_exports_files import NODE
from tests.test_payroll import row_id

TEST_DATABASE = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not TEST_DATABASE.startswith("postgresql"),
    reason="two nodes share a PostgreSQL database (and its file tables); SQLite is one machine's "
    "(set GQL_PORTAL_TEST_DATABASE_URL to a PostgreSQL database)",
)

START_SECONDS = 60.0
WAIT_SECONDS = 90.0  # an export taken over: the lease, a poll, the test delay, the file
LEASE_SECONDS = 2
# Each export job waits this long after it starts: A is surely killed while it runs.
EXPORT_DELAY_MS = 6000
LOAD_CLIENTS = 10
LOAD_SECONDS = 5.0
LOG_IN = "mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { token } }"
LOG_OUT = "mutation { logOut }"
VIEWER = "{ viewer { user { email } } }"


@dataclass
class Node:
    """One `gql-portal serve` (a machine): its own port and storage folder."""

    name: str
    settings: Settings
    folder: Path
    storage_url: str = "postgresql:"
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / f"node-{self.name}.log"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL")}
        env.update(
            GQL_PORTAL_MODE="development",
            GQL_PORTAL_DATABASE_URL=self.settings.database_url,
            GQL_PORTAL_SECRET_KEY=self.settings.secret_key,  # the factory's tokens' key
            GQL_PORTAL_STORAGE_URL=self.storage_url,
            **s3server.TEST_CREDENTIALS,  # read by the S3 backend only
            GQL_PORTAL_STORAGE_DIR=str(self.folder / f"storage-{self.name}"),
            GQL_PORTAL_PUBLIC_URL=self.url,
            GQL_PORTAL_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
            GQL_PORTAL_JOB_POLL_SECONDS="1",
            GQL_PORTAL_EXPORT_TEST_DELAY_MS=str(EXPORT_DELAY_MS),
            # All clients come from one address (the proxy's): the budgets count, never refuse.
            GQL_PORTAL_COST_BUDGET_PER_SESSION="1000000000",
            GQL_PORTAL_COST_BUDGET_PER_ADDRESS="1000000000",
        )
        command = [*gql_portal_command(), "serve", "--no-demo", "--port", str(self.port)]
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [*command, "--log-level", "warning"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killed whole
            )
        started = time.monotonic()
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"node {self.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() - started > START_SECONDS:
                pytest.fail(f"node {self.name} was not ready:\n{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    reason = s3server.why_no_s3_server()
    if reason is not None:
        pytest.skip(reason)
    with s3server.s3_server() as endpoint:
        yield endpoint


@pytest.fixture(params=["postgresql", "s3"])
def storage_url(request: pytest.FixtureRequest) -> str:
    """The storage both nodes share: the database's file tables, or an S3 bucket of its own."""
    if request.param == "postgresql":
        return "postgresql:"
    endpoint: str = request.getfixturevalue("s3_endpoint")
    return s3server.storage_url(endpoint, s3server.new_bucket(endpoint))


@pytest.fixture
def nodes(
    database: Database, settings: Settings, tmp_path: Path, storage_url: str
) -> Iterator[tuple[Node, Node]]:
    a, b = Node("a", settings, tmp_path, storage_url), Node("b", settings, tmp_path, storage_url)
    try:
        with ThreadPoolExecutor(2) as starting:  # side by side: a start takes seconds
            for started in [starting.submit(a.start), starting.submit(b.start)]:
                started.result()
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
async def apis(nodes: tuple[Node, Node]) -> AsyncIterator[tuple[Api, Api]]:
    a, b = nodes
    async with (
        httpx.AsyncClient(base_url=a.url, timeout=60) as on_a,
        httpx.AsyncClient(base_url=b.url, timeout=60) as on_b,
    ):
        yield Api(on_a), Api(on_b)


def real_clock_factory(database: Database, settings: Settings) -> Factory:
    """The nodes run on the real clock: sessions and dates made for it."""
    return Factory(database, settings, Clock())


async def test_a_receipt_a_session_and_failed_log_ins_are_the_same_on_both_nodes(
    apis: tuple[Api, Api], database: Database, settings: Settings, passwords: Passwords
) -> None:
    on_a, on_b = apis
    factory = real_clock_factory(database, settings)
    company = await factory.company()
    staff = await factory.staff(company)

    # A receipt uploaded on A downloads from B, byte for byte.
    expense = await submit(on_a, staff.token)
    content = tiny_pdf()
    receipt = (await attach(on_a.http, staff.token, expense["id"], content))["receipt"]
    headers = {"authorization": f"Bearer {staff.token}"}
    downloaded = await on_b.http.get(receipt["url"], headers=headers)
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    assert hashlib.sha256(downloaded.content).hexdigest() == receipt["sha256"]

    # A session made on A works on B; logged out on A, it is over on B.
    email = (await data(on_b, VIEWER, token=staff.token))["viewer"]["user"]["email"]
    await set_password(factory, passwords, email)
    token = (await data(on_a, LOG_IN, {"e": email, "p": PASSWORD}))["logIn"]["token"]
    assert (await data(on_b, VIEWER, token=token))["viewer"]["user"]["email"] == email
    assert "errors" not in await on_a(LOG_OUT, token=token)
    assert error_codes(await on_b(VIEWER, token=token)) == ["UNAUTHENTICATED"]

    # Failed log-ins counted on A hold the next try up on B (waiting when A says so, until the
    # wait is long enough that B surely answers within it on a loaded machine).
    for _ in range(20):
        told = await log_in_outcome(on_a, email, "wrong password")
        if isinstance(told, int):
            if told >= 4:
                break
            await asyncio.sleep(told)
    assert isinstance(told, int) and told >= 4
    on_b_told = await log_in_outcome(on_b, email, PASSWORD)  # even the right password waits
    assert isinstance(on_b_told, int) and 0 < on_b_told <= told


PASSWORD = "two nodes, one database"


async def data(
    api: Api, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
) -> dict[str, Any]:
    body = await api(query, variables, token=token)
    assert "errors" not in body, body
    answer: dict[str, Any] = body["data"]
    return answer


async def set_password(factory: Factory, passwords: Passwords, email: str) -> None:
    async with factory.database.transaction() as session:
        await session.execute(
            update(User)
            .where(User.email == email)
            .values(password_hash=await passwords.hash(PASSWORD))
        )


async def log_in_outcome(api: Api, email: str, password: str) -> str | int:
    """OK, INVALID, or the seconds to wait (RATE_LIMITED)."""
    body = await api(LOG_IN, {"e": email, "p": password})
    if "errors" not in body:
        return "OK"
    extensions = body["errors"][0]["extensions"]
    if extensions["code"] == "RATE_LIMITED":
        seconds: int = extensions["retryAfterSeconds"]
        return seconds
    assert extensions.get("reason") == "INVALID_CREDENTIALS", body
    return "INVALID"


async def until_export_ends(api: Api, token: str, export_id: str, node: Node) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        found: dict[str, Any] = (await data(api, NODE, {"id": export_id}, token=token))["node"]
        if found["state"] in ("DONE", "FAILED"):
            return found
        assert time.monotonic() < deadline, f"export still {found['state']}\n{node.log_tail()}"
        await asyncio.sleep(0.2)


async def download_export(api: Api, url: str, token: str) -> bytes:
    parsed = urlparse(url)
    response = await api.http.get(
        f"{parsed.path}?{parsed.query}", headers={"authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    return response.content


async def test_an_export_whose_node_is_killed_is_finished_by_the_other(
    nodes: tuple[Node, Node], apis: tuple[Api, Api], database: Database, settings: Settings
) -> None:
    a, b = nodes
    on_a, on_b = apis
    factory = real_clock_factory(database, settings)
    admin, _, period = await locked_february(on_a, factory, database)
    # CSV: the same data gives the same bytes (a PAXml re-export names the earlier export).
    asked = {"input": {"periodId": period["id"], "format": "CSV", "exportDate": "2026-03-02"}}

    # Asked on A, whose own worker starts the job; it answers (after its short wait) while the
    # job still runs (the test delay), and A dies.
    started = exported(await on_a(EXPORT_BASIS, asked, token=admin.token))
    assert started["state"] == "RUNNING", started
    async with database.session() as session:
        (job,) = (await session.scalars(select(Job))).all()
    assert (job.state, job.attempts) == (JobState.RUNNING, 1)
    a.kill()

    # B takes the job over once A's lease ran out, from scratch, and finishes it.
    done = await until_export_ends(on_b, admin.token, started["id"], b)
    assert (done["state"], done["error"]) == ("DONE", None), b.log_tail()
    async with database.session() as session:
        (job,) = (await session.scalars(select(Job))).all()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    body = await download_export(on_b, done["downloadUrl"], admin.token)
    assert hashlib.sha256(body).hexdigest() == done["sha256"]
    assert len(body) == done["sizeBytes"]

    # Byte-identical to a clean export of the same data (on B alone).
    clean = exported(await on_b(EXPORT_BASIS, asked, token=admin.token))
    clean = await until_export_ends(on_b, admin.token, clean["id"], b)
    assert clean["state"] == "DONE", b.log_tail()
    assert await download_export(on_b, clean["downloadUrl"], admin.token) == body
    assert row_id(clean["id"]) != row_id(done["id"])


# --- the load test through a round-robin proxy --------------------------------------------------


@dataclass
class RoundRobinProxy:
    """A tiny HTTP/1.1 load balancer: every request to the next node in turn (no stickiness,
    so one client's keep-alive connection reaches both), bodies by Content-Length."""

    backends: list[str]
    served: Counter[str] = field(default_factory=Counter)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> RoundRobinProxy:
        self._turns = itertools.cycle(self.backends)
        self._http = httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=200))
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        self._server.close()
        await self._server.wait_closed()
        await self._http.aclose()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                request_line, *lines = head.decode("latin-1").rstrip("\r\n").split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines]
                length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
                body = await reader.readexactly(length)
                backend = next(self._turns)
                self.served[backend] += 1
                forwarded = [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS]
                answer = await self._http.request(
                    method, backend + target, headers=forwarded, content=body
                )
                kept = [
                    f"{k}: {v}\r\n"
                    for k, v in answer.headers.multi_items()
                    if k.lower() not in HOP_HEADERS | {"content-encoding"}
                ]
                writer.write(
                    f"HTTP/1.1 {answer.status_code} {answer.reason_phrase}\r\n".encode("latin-1")
                    + "".join(kept).encode("latin-1")
                    + f"content-length: {len(answer.content)}\r\n\r\n".encode("latin-1")
                    + answer.content
                )
                await writer.drain()
        finally:
            writer.close()


HOP_HEADERS = {"host", "connection", "keep-alive", "content-length", "transfer-encoding"}


@pytest.mark.parametrize("storage_url", ["postgresql:"])  # the demo is loaded into that store
async def test_the_load_test_across_both_nodes_loses_nothing(
    nodes: tuple[Node, Node], database: Database, database_url: str, passwords: Passwords
) -> None:
    size = loadtest.size_for(LOAD_CLIENTS)
    await load_demo(
        database,
        Clock(),
        DatabaseStore(database),  # the nodes' storage: the database
        clients=size.clients,
        employees=size.employees,
        passwords=passwords,  # cheap hashes: quick log-ins
    )
    a, b = nodes
    async with RoundRobinProxy([a.url, b.url]) as proxy:
        options = loadtest.Options(
            clients=LOAD_CLIENTS,
            seconds=LOAD_SECONDS,
            workers=2,
            prepared_url=database_url,
            target_url=proxy.url,
        )
        results = await asyncio.to_thread(loadtest.run, options)
    summary = loadtest.markdown(results)
    assert results["errors"] == 0, summary
    assert results["acknowledged"] > 0, summary
    assert results["stored"] == results["acknowledged"], summary
    assert results["lost"] == results["extra"] == results["wrong_marker"] == 0, summary
    assert results["unaudited"] == 0, summary
    assert results["ok"], summary
    # Both nodes served a fair share of the requests, and logged no unexpected error.
    assert min(proxy.served[a.url], proxy.served[b.url]) >= results["requests"] // 3
    for node in nodes:
        assert "unexpected error" not in node.log.read_text(errors="replace"), node.log_tail()


async def test_machines_migrating_at_once_take_turns(database_url: str) -> None:
    """Three upgrades of a new database at the same moment (three machines starting): without
    the advisory lock two of them failed creating the same tables; with it they take turns and
    the later ones find the database at head. A new schema of the test database stands in for
    the new database (the test's role may not create databases)."""
    schema = "migrating_at_once"
    admin = create_async_engine(database_url)
    async with admin.begin() as connection:
        await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        await connection.execute(text(f"CREATE SCHEMA {schema}"))
    machines = [
        Database(
            create_async_engine(
                database_url, connect_args={"server_settings": {"search_path": schema}}
            )
        )
        for _ in range(3)
    ]
    try:
        # Without the lock they failed, or waited on each other for good: bounded here.
        await asyncio.wait_for(asyncio.gather(*(upgrade(m) for m in machines)), timeout=120)
        assert not await pending_revisions(machines[0])
    finally:
        for machine in machines:
            await machine.dispose()
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        await admin.dispose()
