"""Crash safety with real processes and real files: the service (`gql-portal serve`) is killed
with SIGKILL in the middle of an export and in the middle of a payroll-period lock, at several
moments, and started again on the same database file and storage folder. After every restart:
no export is DONE without its file (the interrupted one is FAILED, INTERRUPTED), no temporary
file is left, a period is EXPORTED only by a DONE export and is never half locked (OPEN with no
frozen basis, or LOCKED with exactly the basis a clean lock freezes); and the operation then
succeeds when repeated.

The data: the demo with one big company of `EMPLOYEES` employees and three months of time
(one month's basis is about 11 000 lines), seeded once per module in a few seconds; one server
on it for both tests (an export of the first month, a lock of the second). When a kill lands is decided by watching the server from outside: the export's
row (RUNNING) and its partial file; for the lock, SQLite's write lock, which the lock's single
transaction holds from its first statement to its commit.

The two process tests are SQLite only: the server runs on a database file of its own (see the
skip below). At the end, the start-up clean-up itself, in process, on the test database.
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import io
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gql_portal.clock import Clock, FrozenClock
from gql_portal.db.accounts import Membership, User
from gql_portal.db.engine import Database
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.migrate import upgrade
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.demo import BIG_COMPANY_ADMIN, DEMO_PASSWORD, load_demo
from gql_portal.domain.paxml import read_paxml, validate_paxml
from gql_portal.domain.payroll import PeriodState
from gql_portal.jobs.exports import owner_path, recover_interrupted_exports
from gql_portal.permissions.matrix import Area
from gql_portal.resolvers.payroll import freeze_basis
from gql_portal.runtime import Runtime
from gql_portal.storage import PARTIAL_PREFIX, Storage
from tests.factories import Factory, gid

sqlite_only = pytest.mark.skipif(
    not os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "sqlite").startswith("sqlite"),
    reason="the crash test runs its own server on its own SQLite file and watches SQLite's "
    "write lock; under PostgreSQL it would need a database of its own (run it without "
    "GQL_PORTAL_TEST_DATABASE_URL)",
)

EMPLOYEES = 400
START_SECONDS = 60.0
REQUEST_SECONDS = 60.0
EXPORT_DATE = "2026-01-15"
PAXML_XSD = Path(__file__).resolve().parents[2] / "shared" / "paxml" / "paxml-2.0.xsd"
# When the export is killed: as soon as its row is RUNNING, as soon as its partial file has
# bytes (the file half written), right after the mutation answered (DONE).
EXPORT_MOMENTS = ("RUNNING", "WRITING", "ANSWERED")
# Seconds after the lock's transaction is seen open before the kill (the middle of a lock of
# several seconds); None: right after the mutation answered (LOCKED).
LOCK_DELAYS = (0.0, 1.0, None)

LOG_IN = "mutation($e: String!, $p: String!) { logIn(input: {email: $e, password: $p}) { token } }"
LOCK = "mutation($id: ID!) { lockPayrollPeriod(id: $id) { payrollPeriod { state } } }"
UNLOCK = "mutation($id: ID!) { unlockPayrollPeriod(id: $id) { payrollPeriod { state } } }"
EXPORT = """
mutation($id: ID!, $date: Date!) {
  exportPayrollBasis(input: {periodId: $id, format: PAXML, exportDate: $date}) {
    export { id state }
  }
}"""
EXPORTS = """
{ exports(first: 50) { nodes {
    id state error fileName sizeBytes sha256 lineCount downloadUrl payrollPeriod { id state }
} } }"""


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


# --- the data, once per module ------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    folder: Path  # crash.db (+ WAL files) and storage/
    locked_period: int  # the first month: LOCKED with its frozen basis, to export
    open_period: int  # the second month: OPEN, to lock
    seconds: float


async def _seed(folder: Path) -> tuple[int, int]:
    database = Database.from_url(f"sqlite+aiosqlite:///{folder / 'crash.db'}")
    clock, storage = Clock(), Storage(folder / "storage")
    try:
        await upgrade(database)
        # The smallest demo, and one big company (`gql-portal demo --big-company N`).
        await load_demo(database, clock, storage, clients=1, employees=1, big_company=EMPLOYEES)
        async with database.transaction() as session:
            company_id = await session.scalar(
                select(Membership.company_id)
                .join(User, User.id == Membership.user_id)
                .where(User.email == BIG_COMPANY_ADMIN)
            )
            first, second, *_ = (
                await session.scalars(
                    select(PayrollPeriod)
                    .where(PayrollPeriod.company_id == company_id)
                    .order_by(PayrollPeriod.start_date)
                )
            ).all()
            # Locked as the demo locks its oldest months: the product's own freeze.
            first.state = PeriodState.LOCKED
            first.locked_at = clock.now()
            await freeze_basis(session, first)
        return first.id, second.id
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    folder = tmp_path_factory.mktemp("crash-seed")
    started = time.monotonic()
    locked, opened = asyncio.run(_seed(folder))
    return Seeded(folder, locked, opened, time.monotonic() - started)


# --- a server that can be killed ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def serve_command() -> list[str]:
    script = Path(sys.executable).with_name("gql-portal")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "gql_portal.cli"]


@dataclass
class Site:
    """One database file and storage folder, and the `gql-portal serve` process on them (the
    same port across restarts, so download links keep their address)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)  # seconds until ready, per start

    @property
    def database(self) -> Path:
        return self.folder / "crash.db"

    @property
    def storage(self) -> Path:
        return self.folder / "storage"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None
        env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL")}
        env.update(
            GQL_PORTAL_MODE="development",
            GQL_PORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{self.database}",
            GQL_PORTAL_STORAGE_DIR=str(self.storage),
            GQL_PORTAL_PUBLIC_URL=self.url,
        )
        command = [*serve_command(), "serve", "--no-demo", "--port", str(self.port)]
        command += ["--log-level", "warning"]
        started = time.monotonic()
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"the server exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > START_SECONDS:
                pytest.fail(
                    f"the server was not ready in {START_SECONDS:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)
        self.starts.append(time.monotonic() - started)

    def kill(self) -> None:
        """SIGKILL to the server's process group (uvicorn's workers with it, if any)."""
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

    def post(self, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=REQUEST_SECONDS,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, token: str, **variables: Any) -> dict[str, Any]:
        body = self.post(query, variables, token)
        assert "errors" not in body, f"{body}\n{self.log_tail()}"
        result: dict[str, Any] = body["data"]
        return result

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the server's database from outside (WAL: a reader never waits)."""
        with sqlite3.connect(self.database, timeout=10) as connection:
            return connection.execute(sql, params).fetchall()

    def writing(self) -> bool:
        """Whether a write transaction is open: SQLite refuses a second BEGIN IMMEDIATE."""
        probe = sqlite3.connect(self.database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return True
        finally:
            if probe.in_transaction:
                probe.execute("ROLLBACK")
            probe.close()
        return False


@pytest.fixture(scope="module")
def site(seeded: Seeded) -> Iterator[Site]:
    """One server for the module's tests, on the seeded files (each test kills and restarts
    it; the tests use different periods)."""
    running = Site(seeded.folder)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def server(site: Site) -> Site:
    if site.process is None or site.process.poll() is not None:
        site.start()
    site.starts.clear()
    return site


def log_in(site: Site) -> str:
    data = site.data(LOG_IN, "", e=BIG_COMPANY_ADMIN, p=DEMO_PASSWORD)
    token: str = data["logIn"]["token"]
    return token


class InFlight:
    """A request sent from a thread: the kill cuts it off (or it answers first)."""

    def __init__(self, call: Callable[[], dict[str, Any]]) -> None:
        self.answer: dict[str, Any] | None = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.answer = call()
            except BaseException as error:  # the connection dies with the server
                self.error = error

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    @property
    def done(self) -> bool:
        return not self.thread.is_alive()

    def join(self) -> None:
        self.thread.join(timeout=REQUEST_SECONDS)


def temporary_files(storage: Path) -> list[Path]:
    """Files that only a job in progress may own: partial exports, job locks, temp names."""
    return sorted(
        path
        for path in storage.rglob("*")
        if path.is_file()
        and (
            path.suffix in (".part", ".lock", ".tmp")
            or path.name.startswith("tmp")
            or path.parent.name == "tmp"
        )
    )


# --- export ---------------------------------------------------------------------------------


@dataclass
class ExportKill:
    moment: str
    export_id: int
    state_at_kill: str  # the row's state once the server was dead
    partial_bytes: int | None  # the .part file left by the kill (None: none)
    answered: bool  # the mutation answered before the kill
    answered_state: str | None  # the export's state in that answer
    state_after_restart: str = ""
    error_after_restart: str | None = None

    @property
    def mid_export(self) -> bool:
        return self.state_at_kill == "RUNNING" and not self.answered

    def describe(self) -> str:
        partial = "no partial file" if self.partial_bytes is None else f"{self.partial_bytes} B"
        return (
            f"kill at {self.moment}: at kill {self.state_at_kill} ({partial}), "
            f"after restart {self.state_after_restart} {self.error_after_restart or ''}".strip()
        )


def kill_during_export(site: Site, token: str, period: int, moment: str) -> ExportKill:
    (newest,) = site.rows("SELECT coalesce(max(id), 0) FROM exports")[0]
    variables = {"id": gid("PayrollPeriod", period), "date": EXPORT_DATE}
    request = InFlight(lambda: site.post(EXPORT, variables, token))
    deadline = time.monotonic() + 30
    while True:
        found = site.rows("SELECT id, state FROM exports WHERE id > ? ORDER BY id", newest)
        if found and found[0][1] != "QUEUED":
            break
        assert time.monotonic() < deadline, f"the export did not start\n{site.log_tail()}"
        time.sleep(0.002)
    export_id = found[0][0]
    part = site.storage / "exports" / "tmp" / f"{export_id}.part"
    if moment == "ANSWERED":
        request.join()
    elif moment == "WRITING":
        while not request.done and not (part.exists() and part.stat().st_size > 0):
            time.sleep(0.001)
    answered = request.done
    site.kill()
    request.join()
    (state_at_kill,) = site.rows("SELECT state FROM exports WHERE id = ?", export_id)[0]
    partial = part.stat().st_size if part.exists() else None
    answer = (request.answer or {}).get("data") or {}
    answered_state = answer.get("exportPayrollBasis", {}).get("export", {}).get("state")
    return ExportKill(moment, export_id, state_at_kill, partial, answered, answered_state)


def assert_exports_consistent(site: Site, token: str, period: int) -> list[dict[str, Any]]:
    """Every export is FAILED or DONE with its file; the period is EXPORTED only by a DONE one;
    nothing is left in the storage folder that a job in progress would own."""
    rows = site.rows(
        "SELECT id, company_id, state, storage_key, sha256, size_bytes FROM exports ORDER BY id"
    )
    for export_id, company_id, state, key, sha256, size in rows:
        assert state in ("DONE", "FAILED"), f"export {export_id} still {state} after restart"
        folder = site.storage / "exports" / str(company_id) / str(export_id)
        if state == "DONE":
            stored = (site.storage / key).read_bytes()
            assert (hashlib.sha256(stored).hexdigest(), len(stored)) == (sha256, size)
        else:
            assert (key, sha256) == (None, None)
            assert not folder.exists(), f"files of FAILED export {export_id}: {folder}"
    assert temporary_files(site.storage) == []
    done = [export_id for export_id, _, state, *_ in rows if state == "DONE"]
    (period_state,) = site.rows("SELECT state FROM payroll_periods WHERE id = ?", period)[0]
    assert period_state == ("EXPORTED" if done else "LOCKED")
    # What a user sees: the same, through the API.
    nodes: list[dict[str, Any]] = site.data(EXPORTS, token)["exports"]["nodes"]
    for node in nodes:
        assert (node["downloadUrl"] is not None) == (node["state"] == "DONE")
        assert node["payrollPeriod"]["state"] == period_state
    return nodes


def download_and_validate(site: Site, node: dict[str, Any], token: str) -> bytes:
    # A download link works only for the session that asked for it.
    headers = {"Authorization": f"Bearer {token}"}
    response = httpx.get(node["downloadUrl"], headers=headers, timeout=REQUEST_SECONDS)
    assert response.status_code == 200, response.text
    body = response.content
    assert hashlib.sha256(body).hexdigest() == node["sha256"]
    assert len(body) == node["sizeBytes"]
    document = read_paxml(io.BytesIO(body))
    # A big file: several transactions per employee (a monthly employee's scheduled hours are
    # not in it, only deviations; hourly employees' every day is).
    assert len(document.lonetrans) + len(document.tidtrans) == node["lineCount"] > 5 * EMPLOYEES
    # Every employee with a transaction, and only those (a monthly employee without deviations
    # has none: the payroll program pays the salary as it is).
    with_lines = {trans.anstid for trans in (*document.lonetrans, *document.tidtrans)}
    assert {person.anstid for person in document.persons} == with_lines
    assert len(with_lines) > EMPLOYEES * 9 // 10
    if PAXML_XSD.is_file():  # ../shared/paxml beside the checkout, as tests/test_paxml.py
        assert validate_paxml(body, PAXML_XSD) == []
    return body


@sqlite_only
def test_an_export_killed_midway_is_failed_cleaned_up_and_can_be_repeated(
    server: Site, seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    site = server
    token = log_in(site)
    period = seeded.locked_period
    kills: list[ExportKill] = []
    for moment in EXPORT_MOMENTS:
        kill = kill_during_export(site, token, period, moment)
        site.start()
        (state, error) = site.rows("SELECT state, error FROM exports WHERE id = ?", kill.export_id)[
            0
        ]
        kill.state_after_restart, kill.error_after_restart = state, error
        kills.append(kill)
        assert_exports_consistent(site, token, period)
        if kill.answered_state == "DONE":  # what was answered DONE stays DONE
            assert state == "DONE", kill.describe()
        if kill.state_at_kill in ("QUEUED", "RUNNING"):
            assert state == "FAILED" and (error or "").startswith("INTERRUPTED"), kill.describe()
    report = "\n".join(kill.describe() for kill in kills)
    assert any(kill.mid_export and kill.partial_bytes for kill in kills), (
        f"no kill landed while the file was being written:\n{report}"
    )

    # Exporting again works: DONE, downloadable, the whole basis, valid PAXml.
    started = time.monotonic()
    answer = site.data(EXPORT, token, id=gid("PayrollPeriod", period), date=EXPORT_DATE)
    again = row_id(answer["exportPayrollBasis"]["export"]["id"])
    deadline = time.monotonic() + REQUEST_SECONDS
    while site.rows("SELECT state FROM exports WHERE id = ?", again)[0][0] != "DONE":
        assert time.monotonic() < deadline, site.log_tail()
        time.sleep(0.05)
    clean_seconds = time.monotonic() - started
    nodes = assert_exports_consistent(site, token, period)
    node = next(n for n in nodes if row_id(n["id"]) == again)
    body = download_and_validate(site, node, token)
    # An export that finished before its kill holds the same transactions, with the same
    # postids (the file itself differs: a later one is a re-export, marked nyexport).
    later = read_paxml(io.BytesIO(body))
    for kill in kills:
        if kill.state_after_restart == "DONE":
            same = next(n for n in nodes if row_id(n["id"]) == kill.export_id)
            earlier = read_paxml(io.BytesIO(download_and_validate(site, same, token)))
            assert (earlier.lonetrans, earlier.tidtrans) == (later.lonetrans, later.tidtrans)
    with capsys.disabled():
        print(
            f"\n[crash/export] seed {seeded.seconds:.1f} s, clean export {clean_seconds:.2f} s "
            f"({node['lineCount']} lines, {node['sizeBytes']} B), server starts "
            f"{', '.join(f'{s:.1f}' for s in site.starts)} s\n{report}"
        )


# --- payroll-period lock --------------------------------------------------------------------


@dataclass(frozen=True)
class Frozen:
    """A period's state and its frozen basis, as rows without their ids."""

    state: str
    locked: bool
    lines: int
    employees: int
    fingerprint: str


def frozen(site: Site, period: int) -> Frozen:
    (state, locked_at) = site.rows(
        "SELECT state, locked_at FROM payroll_periods WHERE id = ?", period
    )[0]
    lines = site.rows(
        "SELECT employee_id, position, date, pay_type, description, time_code, quantity, unit, "
        "unit_price, amount, source, source_id, hours, extent_percent FROM payroll_lines "
        "WHERE period_id = ? ORDER BY employee_id, position",
        period,
    )
    employees = site.rows(
        "SELECT employee_id, unattested_weeks FROM payroll_employees "
        "WHERE period_id = ? ORDER BY employee_id",
        period,
    )
    digest = hashlib.sha256(repr((lines, employees)).encode()).hexdigest()
    return Frozen(state, locked_at is not None, len(lines), len(employees), digest)


@dataclass
class LockKill:
    delay: float | None
    writing_at_kill: bool  # the lock's transaction was open when the kill came
    answered: bool
    answer: str = ""
    after: Frozen | None = None

    @property
    def mid_lock(self) -> bool:
        return self.writing_at_kill and not self.answered

    def describe(self) -> str:
        assert self.after is not None
        moment = "answered" if self.answered else "no answer yet"
        if not self.answered:
            moment += ", transaction open" if self.writing_at_kill else ", no transaction open"
        when = "after the answer" if self.delay is None else f"{self.delay:.2f} s into the lock"
        return (
            f"kill {when} ({moment}): "
            f"after restart {self.after.state}, {self.after.lines} lines, "
            f"{self.after.employees} employees {self.answer}"
        )


def kill_during_lock(site: Site, token: str, period: int, delay: float | None) -> LockKill:
    request = InFlight(lambda: site.post(LOCK, {"id": gid("PayrollPeriod", period)}, token))
    deadline = time.monotonic() + 30
    # The lock is one transaction: wait until it holds the write lock (seen three times in a
    # row, so that a short write, such as the cost budgets' flush, does not count), or until
    # the mutation answered.
    seen = 0
    while seen < 3 and not request.done:
        seen = seen + 1 if site.writing() else 0
        assert time.monotonic() < deadline, f"the lock did not start\n{site.log_tail()}"
        time.sleep(0.01)
    if delay is None:
        request.join()
    else:
        time.sleep(delay)
    answered = request.done
    writing = site.writing()
    site.kill()
    request.join()
    return LockKill(delay, writing, answered, repr(request.answer or request.error)[:300])


@sqlite_only
def test_a_lock_killed_midway_is_all_or_nothing_and_can_be_repeated(
    server: Site, seeded: Seeded, capsys: pytest.CaptureFixture[str]
) -> None:
    site = server
    token = log_in(site)
    period = seeded.open_period
    assert frozen(site, period) == Frozen("OPEN", False, 0, 0, frozen(site, period).fingerprint)
    kills: list[LockKill] = []
    for delay in LOCK_DELAYS:
        kill = kill_during_lock(site, token, period, delay)
        site.start()
        kill.after = after = frozen(site, period)
        kills.append(kill)
        if kill.answered:  # the lock finished before the kill: it answered LOCKED, and is
            assert kill.answer.startswith("{'data': {'lockPayrollPeriod'"), kill.describe()
            assert after.state == "LOCKED", kill.describe()
        assert after.state in ("OPEN", "LOCKED"), kill.describe()
        if after.state == "OPEN":  # nothing of the lock stayed
            assert (after.locked, after.lines, after.employees) == (False, 0, 0), kill.describe()
        else:  # the whole basis (compared with the clean lock below), and open again
            assert after.locked and after.lines > 0, kill.describe()
            site.data(UNLOCK, token, id=gid("PayrollPeriod", period))
            assert frozen(site, period).lines == 0
        assert temporary_files(site.storage) == []
    report = "\n".join(kill.describe() for kill in kills)
    assert any(kill.mid_lock and kill.after.state == "OPEN" for kill in kills if kill.after), (
        f"no kill landed while the lock's transaction was open:\n{report}"
    )

    # Locking again works, and freezes what every completed lock froze.
    started = time.monotonic()
    answer = site.data(LOCK, token, id=gid("PayrollPeriod", period))
    clean_seconds = time.monotonic() - started
    assert answer["lockPayrollPeriod"]["payrollPeriod"]["state"] == "LOCKED"
    clean = frozen(site, period)
    assert clean.state == "LOCKED" and clean.lines > 20 * EMPLOYEES and clean.employees == EMPLOYEES
    for kill in kills:
        if kill.after is not None and kill.after.state == "LOCKED":
            assert kill.after == clean, kill.describe()
    # One audit event per completed lock, each naming the full basis.
    audited = site.rows(
        "SELECT json_extract(details, '$.lines') FROM audit_events "
        "WHERE action = 'PAYROLL_PERIOD_LOCKED' AND json_extract(details, '$.payroll_period_id') = ?",
        period,
    )
    completed = sum(1 for kill in kills if kill.after and kill.after.state == "LOCKED") + 1
    assert audited == [(clean.lines,)] * completed
    with capsys.disabled():
        print(
            f"\n[crash/lock] seed {seeded.seconds:.1f} s, clean lock {clean_seconds:.2f} s "
            f"({clean.lines} lines, {clean.employees} employees), server starts "
            f"{', '.join(f'{s:.1f}' for s in site.starts)} s\n{report}"
        )


# --- the clean-up at start-up, in process -----------------------------------------------------


async def test_recovery_fails_running_exports_nobody_owns_and_clears_what_no_job_owns(
    factory: Factory, database: Database, runtime: Runtime
) -> None:
    """A RUNNING export whose owner file no process holds is FAILED at once, however fresh its
    heartbeat; one whose owner file is held (a live job, here or in another worker) is left
    alone; files in exports/tmp of exports no job runs any more are removed."""
    company = await factory.company()
    now = runtime.clock.now()

    def export(state: ExportState) -> Export:
        return Export(
            company_id=company.id,
            kind=ExportKind.PAYROLL_BASIS,
            format=ExportFormat.PAXML,
            area=Area.PAYROLL_BASIS,
            state=state,
            progress=40,
            options={},
            summary={},
            created_at=now,
            heartbeat_at=now,  # fresh: the heartbeat alone says nothing yet
        )

    dead, alive, queued, done = rows = [
        export(ExportState.RUNNING),
        export(ExportState.RUNNING),
        export(ExportState.QUEUED),
        export(ExportState.DONE),
    ]
    async with database.transaction() as session:
        session.add_all(rows)
    tmp = runtime.storage.path("exports/tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (tmp / f"{row.id}.part").write_bytes(b"<?xml version='1.0'?><paxml>")
        owner_path(runtime, row.id).touch()  # for `dead` and `done`: nobody holds it
    final = runtime.storage.path(f"exports/{company.id}/{dead.id}/lonunderlag.xml")
    final.parent.mkdir(parents=True)
    final.write_bytes(b"<?xml")  # moved into place, DONE not written yet: the process died
    gone = tmp / "999999999.part"  # an export that no longer exists
    gone.write_bytes(b"x")
    stranger = tmp / "notes.txt"  # not an export's file: left alone
    stranger.write_bytes(b"x")
    owner = os.open(owner_path(runtime, alive.id), os.O_RDWR)
    fcntl.flock(owner, fcntl.LOCK_EX)  # as the live job holds its owner file
    try:
        assert await recover_interrupted_exports(runtime) == 1
        async with database.session() as session:
            states = {
                row.id: (row.state, row.error) for row in await session.scalars(select(Export))
            }
        assert states[dead.id][0] is ExportState.FAILED
        assert (states[dead.id][1] or "").startswith("INTERRUPTED")
        assert states[alive.id] == (ExportState.RUNNING, None)
        assert states[queued.id] == (ExportState.QUEUED, None)  # its job is about to start
        assert states[done.id] == (ExportState.DONE, None)
        assert {path.name for path in tmp.iterdir()} == {
            f"{alive.id}.part",
            f"{alive.id}.lock",
            f"{queued.id}.part",
            f"{queued.id}.lock",
            "notes.txt",
        }
        assert not final.parent.exists()
        assert await recover_interrupted_exports(runtime) == 0
    finally:
        os.close(owner)  # the job's process ended without writing DONE or FAILED
    # E.g. cancelled at shutdown, or killed: FAILED at the next start, not ten minutes later.
    assert await recover_interrupted_exports(runtime) == 1
    assert {path.name for path in tmp.iterdir()} == {
        f"{queued.id}.part",
        f"{queued.id}.lock",
        "notes.txt",
    }


async def test_an_export_still_queued_minutes_after_its_mutation_is_failed(
    factory: Factory, database: Database, runtime: Runtime, clock: FrozenClock
) -> None:
    """An export without a job in the queue (made before jobs were queued in the database,
    whose process died before its job started): nothing will ever run it, and the client should
    be told to export again. (An export's queued job is taken over instead: tests/test_jobs.py.)"""
    company = await factory.company()
    async with database.transaction() as session:
        stuck = Export(
            company_id=company.id,
            kind=ExportKind.PAYROLL_BASIS,
            format=ExportFormat.PAXML,
            area=Area.PAYROLL_BASIS,
            state=ExportState.QUEUED,
            progress=0,
            options={},
            summary={},
            created_at=clock.now(),
        )
        session.add(stuck)
    clock.advance(timedelta(seconds=90))
    assert await recover_interrupted_exports(runtime) == 0  # its job may still be starting
    clock.advance(timedelta(seconds=60))
    assert await recover_interrupted_exports(runtime) == 1
    async with database.session() as session:
        state, error = (
            await session.execute(select(Export.state, Export.error).where(Export.id == stuck.id))
        ).one()
    assert state is ExportState.FAILED and (error or "").startswith("INTERRUPTED")


def test_upload_temp_files_a_dead_process_left_are_swept(tmp_path: Path) -> None:
    """Receipts are written to a temporary name and renamed: a worker killed in between leaves
    the temporary file, which the next start removes once it is clearly nobody's (an hour)."""
    storage = Storage(tmp_path)
    stored = storage.put("receipts", 7, b"%PDF-1.7 kvitto", ".pdf")
    folder = storage.path(stored.storage_key).parent
    assert [path.name for path in folder.iterdir()] == [Path(stored.storage_key).name]
    stale = folder / f"{PARTIAL_PREFIX}abc123"
    stale.write_bytes(b"%PDF-1.7 half")
    hour_ago = time.time() - 3700
    os.utime(stale, (hour_ago, hour_ago))
    fresh = folder / f"{PARTIAL_PREFIX}def456"  # a write in progress in another worker
    fresh.write_bytes(b"%PDF")
    assert storage.sweep_partials() == 1
    assert sorted(path.name for path in folder.iterdir()) == sorted(
        [Path(stored.storage_key).name, fresh.name]
    )
    assert storage.read(stored.storage_key) == b"%PDF-1.7 kvitto"
