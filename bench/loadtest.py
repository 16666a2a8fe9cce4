"""`python -m bench.loadtest`: many concurrent clients against the served product, then a
count of what was stored against what was acknowledged. See bench/README.md ("Load test").

Every client is its own logged-in session on its own keep-alive connection, sending one
request at a time (closed loop) for the given seconds: firm users in the partner portal read
the client board and a client's employees (which also writes the partner-read audit rows);
employees report time and submit expenses. Every write carries the run's marker in its
comment or description, and the id the server returned is kept. After the servers have
stopped, the database is read directly: the rows the run created must be exactly the
acknowledged ones (same ids, same markers, none lost, none extra), each with its audit event.
Non-200s, GraphQL errors (by code), transport errors and "database is locked" in the server
log are counted; any of them, or any mismatch, fails the run (exit code 1).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import math
import os
import secrets
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import func, select

from bench import data, report
from bench.discover import ApiError, log_in, post, row_id
from bench.load import _Connection, encode
from bench.scenarios import CLIENT_BOARD, EMPLOYEE_FIELDS, REPORT_TIME, SUBMIT_EXPENSE, Request
from bench.server import product_server

EMPLOYEES_PER_COMPANY = 4  # the demo's size: ceil(employee clients / 4) client companies
PORTAL_SHARE = 5  # one client in five is a firm user in the partner portal
REQUEST_TIMEOUT = 45.0  # seconds (the server's own request deadline is 30 s)
LOCKED = "database is locked"
TIME_DAYS = 366  # time goes on the days of the year from next week's Monday, in turn
EXPENSE_DAYS = 14  # expenses on the 14 days before today (never in the future)
EXPENSE_KINDS = (  # (category, VAT rate): valid on every date
    ("OFFICE_SUPPLIES", "25"),
    ("TRAVEL", "6"),
    ("BOOKS_NEWSPAPERS", "6"),
    ("FOOD", "25"),
)

CLIENT_EMPLOYEES = f"""query ClientEmployees($company: ID!) {{
  employees(first: 50, companyId: $company) {{
    totalCount
    nodes {{ {EMPLOYEE_FIELDS} }}
  }}
}}"""

SESSION_OF_EMPLOYEE = "{ viewer { company { id } employee { id } } timeCodes { id kind code } }"


def log(line: str) -> None:
    print(line, flush=True)


def gid(type_name: str, key: int) -> str:
    return base64.b64encode(f"{type_name}:{key}".encode()).decode()


# --- sessions ---------------------------------------------------------------------------------


@dataclass
class Client:
    """One simulated user: a session, what it sends, and what came back."""

    number: int
    kind: str  # "portal" or "employee"
    token: str
    client_ids: list[int] = field(default_factory=list)  # portal: the firm's ACTIVE clients
    time_code_id: int = 0  # employee: the company's ARB (worked time) code
    sent: int = 0


def size_for(clients: int) -> data.Size:
    """The smallest demo with an employee of their own for every employee client."""
    employees = clients - portal_clients(clients)
    return data.Size(max(1, math.ceil(employees / EMPLOYEES_PER_COMPANY)), EMPLOYEES_PER_COMPANY, 0)


def portal_clients(clients: int) -> int:
    return max(1, clients // PORTAL_SHARE)


def employee_email(index: int) -> str:
    from gql_portal.demo import EMPLOYEE

    company, number = divmod(index, EMPLOYEES_PER_COMPANY)
    return EMPLOYEE if (company, number) == (0, 0) else f"e{company + 1}-{number + 1}@demo.example"


async def _firm_users(http: httpx.AsyncClient) -> list[str]:
    """The demo firms' first users whose board has clients (FIRM_USER's always has)."""
    from gql_portal.demo import DEMO_PASSWORD, FIRM_USER

    found = []
    for email in [FIRM_USER, "byra2@demo.example", "byra3@demo.example"]:
        try:
            token = await log_in(http, email, DEMO_PASSWORD)
        except ApiError:
            continue
        board = await post(http, "{ clients(first: 1) { totalCount } }", None, token)
        if board["clients"]["totalCount"]:
            found.append(email)
    if not found:
        raise ApiError("no demo firm has clients")
    return found


async def log_in_clients(url: str, clients: int) -> list[Client]:
    """Every client logs in on its own (its own session row), a few at a time."""
    from gql_portal.demo import DEMO_PASSWORD

    portal = portal_clients(clients)
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        firm_users = await _firm_users(http)

        async def portal_client(number: int) -> Client:
            async with limit:
                email = firm_users[number % len(firm_users)]
                token = await log_in(http, email, DEMO_PASSWORD)
                board = await post(
                    http, "{ clients(first: 100) { nodes { company { id } } } }", None, token
                )
            ids = [row_id(node["company"]["id"]) for node in board["clients"]["nodes"]]
            return Client(number, "portal", token, client_ids=ids)

        async def employee_client(number: int) -> Client:
            async with limit:
                token = await log_in(http, employee_email(number - portal), DEMO_PASSWORD)
                found = await post(http, SESSION_OF_EMPLOYEE, None, token)
            code = next(c for c in found["timeCodes"] if c["kind"] == "WORK" and c["code"] == "ARB")
            return Client(number, "employee", token, time_code_id=row_id(code["id"]))

        return list(
            await asyncio.gather(
                *(portal_client(n) for n in range(portal)),
                *(employee_client(n) for n in range(portal, clients)),
            )
        )


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """Where the run's writes go: the same for every client, a new day each time."""

    marker: str  # in every write's comment or description
    first_time_day: date  # a Monday after this week: no attested week, no period closed
    today: date  # Europe/Stockholm, as the server reads it


def next_request(client: Client, plan: Plan) -> tuple[str, Request, str]:
    """(kind, request, marker of a write or "") of the client's next request.

    Portal: the board, then one client's employees, in turn. Employee: two time reports (0.25
    h, on a new day each: at most a few per day, far below 24 h), then an expense.
    """
    step = client.sent
    client.sent += 1
    if client.kind == "portal":
        if step % 2 == 0:
            body = {
                "query": CLIENT_BOARD,
                "operationName": "ClientBoard",
                "variables": {"first": 100},
            }
            return "board", Request(client.token, body), ""
        company = client.client_ids[(step // 2) % len(client.client_ids)]
        body = {
            "query": CLIENT_EMPLOYEES,
            "operationName": "ClientEmployees",
            "variables": {"company": gid("Company", company)},
        }
        return "client_employees", Request(client.token, body), ""
    marker = f"{plan.marker} c{client.number} n{step}"
    if step % 3 == 2:
        category, rate = EXPENSE_KINDS[(step // 3) % len(EXPENSE_KINDS)]
        day = plan.today - timedelta(days=1 + (step // 3) % EXPENSE_DAYS)
        body = {
            "query": SUBMIT_EXPENSE,
            "operationName": "SubmitExpense",
            "variables": {
                "input": {
                    "date": day.isoformat(),
                    "amount": f"{50 + (client.number * 7 + step) % 900}.{step % 100:02d}",
                    "vatRate": rate,
                    "category": category,
                    "description": marker,
                }
            },
        }
        return "expense", Request(client.token, body), marker
    reports = step - step // 3  # time reports so far
    day = plan.first_time_day + timedelta(days=reports % TIME_DAYS)
    body = {
        "query": REPORT_TIME,
        "operationName": "ReportTime",
        "variables": {
            "input": {
                "date": day.isoformat(),
                "hours": "0.25",
                "timeCodeId": gid("TimeCode", client.time_code_id),
                "comment": marker,
            }
        },
    }
    return "time", Request(client.token, body), marker


# --- the load ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)  # seconds, by kind
    http_status: Counter[int] = field(default_factory=Counter)  # non-200 answers
    graphql_errors: Counter[str] = field(default_factory=Counter)  # by extensions.code
    transport_errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # the first few bad answers
    acknowledged: dict[str, dict[int, str]] = field(
        default_factory=lambda: {"time_entries": {}, "expenses": {}}
    )  # table -> id -> marker
    seconds: float = 0.0

    def note(self, text: str) -> None:
        if len(self.samples) < 10:
            self.samples.append(text[:600])

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.latencies.values())

    @property
    def errors(self) -> int:
        return (
            sum(self.http_status.values())
            + sum(self.graphql_errors.values())
            + sum(self.transport_errors.values())
        )


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank, in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank] * 1000


def _acknowledge(tally: Tally, kind: str, payload: dict[str, Any], marker: str) -> None:
    if kind == "time":
        table, node = "time_entries", payload["reportTime"]["timeEntry"]
        echoed = node["comment"]
    else:
        table, node = "expenses", payload["submitExpense"]["expense"]
        echoed = node["description"]
    if echoed != marker:
        tally.graphql_errors["WRONG_ECHO"] += 1
        tally.note(f"{kind}: sent {marker!r}, answered {echoed!r}")
        return
    tally.acknowledged[table][row_id(node["id"])] = marker


async def _drive(
    client: Client, host: str, port: int, plan: Plan, stop_at: float, tally: Tally
) -> None:
    loop = asyncio.get_running_loop()
    transport: asyncio.Transport | None = None
    connection: _Connection | None = None
    try:
        while time.perf_counter() < stop_at:
            if connection is None:
                transport, connection = await loop.create_connection(_Connection, host, port)
            kind, request, marker = next_request(client, plan)
            started = time.perf_counter()
            try:
                status, body = await asyncio.wait_for(
                    connection.send(encode(host, port, request)), REQUEST_TIMEOUT
                )
            except (OSError, ConnectionError, TimeoutError) as error:
                name = type(error).__name__
                tally.transport_errors[name] += 1
                tally.note(f"{kind}: {name}: {error}")
                if transport is not None:
                    transport.close()
                transport = connection = None
                continue
            tally.latencies.setdefault(kind, []).append(time.perf_counter() - started)
            if status != 200:
                tally.http_status[status] += 1
                tally.note(f"{kind}: HTTP {status}: {body[:300]!r}")
                continue
            answer = orjson.loads(body)
            errors = answer.get("errors")
            if errors:
                for problem in errors:
                    code = (problem.get("extensions") or {}).get("code", "NO_CODE")
                    tally.graphql_errors[code] += 1
                tally.note(f"{kind}: {body[:500].decode(errors='replace')}")
                continue
            if marker:
                _acknowledge(tally, kind, answer["data"], marker)
    finally:
        if transport is not None:
            transport.close()


async def run_clients(url: str, clients: list[Client], plan: Plan, seconds: float) -> Tally:
    host, port = url.removeprefix("http://").split(":")
    tally = Tally()
    started = time.perf_counter()
    stop_at = started + seconds
    await asyncio.gather(*(_drive(c, host, int(port), plan, stop_at, tally) for c in clients))
    tally.seconds = time.perf_counter() - started
    return tally


# --- the database -----------------------------------------------------------------------------


async def high_water(url: str) -> dict[str, int]:
    """The highest id of each table the run writes to (what is above was created by it)."""
    from gql_portal.db.audit import AuditEvent
    from gql_portal.db.engine import Database
    from gql_portal.db.expenses import Expense
    from gql_portal.db.time import TimeEntry

    database = Database.from_url(url, pool_size=0)
    try:
        async with database.session() as session:
            return {
                model.__tablename__: int(await session.scalar(select(func.max(model.id))) or 0)
                for model in (TimeEntry, Expense, AuditEvent)
            }
    finally:
        await database.dispose()


async def stored(url: str, before: dict[str, int]) -> dict[str, Any]:
    """The rows created since `before`: {table: {id: marker}} and the audit events' actions."""
    from gql_portal.db.audit import AuditEvent
    from gql_portal.db.engine import Database
    from gql_portal.db.expenses import Expense
    from gql_portal.db.time import TimeEntry

    database = Database.from_url(url, pool_size=0)
    try:
        async with database.session() as session:
            entries = await session.execute(
                select(TimeEntry.id, TimeEntry.comment).where(TimeEntry.id > before["time_entries"])
            )
            expenses = await session.execute(
                select(Expense.id, Expense.description).where(Expense.id > before["expenses"])
            )
            events = await session.execute(
                select(AuditEvent.action, AuditEvent.details).where(
                    AuditEvent.id > before["audit_events"]
                )
            )
            audited: dict[str, set[int]] = {"time_entries": set(), "expenses": set()}
            actions: Counter[str] = Counter()
            for action, details in events:
                actions[action] += 1
                if action == "TIME_REPORTED":
                    audited["time_entries"].add(int(details["time_entry_id"]))
                elif action == "EXPENSE_SUBMITTED":
                    audited["expenses"].add(int(details["expense_id"]))
            return {
                "rows": {
                    "time_entries": {key: marker or "" for key, marker in entries},
                    "expenses": {key: marker or "" for key, marker in expenses},
                },
                "audited": audited,
                "actions": dict(actions),
            }
    finally:
        await database.dispose()


def compare(acknowledged: dict[str, dict[int, str]], found: dict[str, Any]) -> dict[str, Any]:
    """Per table: acknowledged, stored, lost (acknowledged, not stored), extra (stored, not
    acknowledged), wrong marker, and acknowledged writes without their audit event."""
    tables: dict[str, Any] = {}
    for table, acked in acknowledged.items():
        rows: dict[int, str] = found["rows"][table]
        lost = sorted(set(acked) - set(rows))
        extra = sorted(set(rows) - set(acked))
        wrong = sorted(key for key in set(acked) & set(rows) if rows[key] != acked[key])
        unaudited = sorted(set(acked) - found["audited"][table])
        tables[table] = {
            "acknowledged": len(acked),
            "stored": len(rows),
            "lost": len(lost),
            "extra": len(extra),
            "wrong_marker": len(wrong),
            "unaudited": len(unaudited),
            "examples": {"lost": lost[:10], "extra": extra[:10], "wrong": wrong[:10]},
        }
    return tables


# --- the database of a run --------------------------------------------------------------------


@dataclass
class Prepared:
    url: str
    storage_dir: str
    how: str
    seconds: float
    cleanup: Callable[[], None] = lambda: None


def prepare(database_url: str | None, size: data.Size) -> Prepared:
    """A fresh database of the demo at `size` (a few seconds): SQLite, a new file in
    bench/.data/ (removed afterwards); PostgreSQL, the given database emptied (schema public
    dropped) and loaded. The demo's password hashes are cheap (argon2id, 1 MiB, one pass): the
    clients' log-ins are set-up, not load, and at the default cost 50 of them take half a
    minute on two cores."""
    from gql_portal.security import Passwords

    started = time.monotonic()
    name = f"loadtest-{os.getpid()}"
    storage = data.DATA / f"{name}.storage"
    shutil.rmtree(storage, ignore_errors=True)
    cheap = Passwords(memory_kib=1024, time_cost=1)
    demo = f"the demo {size.clients} clients × {size.employees} employees"
    if database_url is None or database_url.startswith("sqlite"):
        data.DATA.mkdir(parents=True, exist_ok=True)
        url = data.sqlite_url(data.DATA / f"{name}.db")
        data.remove_working_copy(url)
        log(f"Loading {demo} into a new SQLite file ...")
        how = f"SQLite, a new file with {demo}"
    else:
        url = database_url
        log(f"Emptying the PostgreSQL database (schema public) and loading {demo} ...")
        asyncio.run(data._empty_postgresql(url))
        how = f"PostgreSQL, emptied and loaded with {demo}"
    asyncio.run(data.load(url, storage, size, lambda line: None, passwords=cheap))

    def cleanup() -> None:
        shutil.rmtree(storage, ignore_errors=True)
        if url.startswith("sqlite"):
            data.remove_working_copy(url)

    return Prepared(url, str(storage), how, time.monotonic() - started, cleanup)


# --- one run ----------------------------------------------------------------------------------


@dataclass
class Options:
    clients: int = 50
    seconds: float = 60.0
    workers: int | None = None  # default: 1 on SQLite, 3 on PostgreSQL
    database_url: str | None = None
    prepared_url: str | None = None  # an already loaded demo (the test's database)
    storage_dir: str | None = None
    # Servers already running on `prepared_url`'s database, reached at this address (e.g. a
    # load balancer before several machines, tests/test_two_nodes.py): none is started, and
    # their logs are the caller's to read.
    target_url: str | None = None


@dataclass
class RunningElsewhere:
    """Servers the caller started (Options.target_url), in the place of `product_server`."""

    url: str
    log_path: Path | None = None
    start_seconds: float = 0.0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass


def _kind_table(tally: Tally) -> list[dict[str, Any]]:
    return [
        {
            "kind": kind,
            "requests": len(values),
            "p50_ms": round(percentile(values, 0.5), 1),
            "p99_ms": round(percentile(values, 0.99), 1),
        }
        for kind, values in sorted(tally.latencies.items())
    ]


def run(options: Options) -> dict[str, Any]:
    """Prepare, serve, load, stop, count: the results (`results["ok"]`: every check held)."""
    began = time.monotonic()
    given = options.prepared_url or options.database_url or ""
    postgres = given.startswith("postgresql")
    workers = options.workers or (3 if postgres else 1)
    size = size_for(options.clients)
    if options.prepared_url:
        prepared = Prepared(
            options.prepared_url, options.storage_dir or "", "prepared by the caller", 0.0
        )
    else:
        prepared = prepare(options.database_url, size)
    log_dir = data.DATA / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    server: Any
    if options.target_url:
        server = RunningElsewhere(options.target_url)
    else:
        server = product_server(prepared.url, prepared.storage_dir, workers, log_dir)
        server.log_path = log_dir / f"loadtest-{os.getpid()}-w{workers}.log"
    from gql_portal.clock import Clock

    today = Clock().today()
    plan = Plan(
        marker=f"loadtest {datetime.now():%Y%m%d%H%M%S}-{secrets.token_hex(3)}",
        first_time_day=today - timedelta(days=today.weekday()) + timedelta(days=7),
        today=today,
    )
    try:
        before = asyncio.run(high_water(prepared.url))
        server.start()
        log(f"Server up ({workers} worker(s)); logging in {options.clients} clients ...")
        logging_in = time.monotonic()
        clients = asyncio.run(log_in_clients(server.url, options.clients))
        login_seconds = time.monotonic() - logging_in
        log(f"Load: {options.clients} clients for {options.seconds:g} s ...")
        tally = _run_async(lambda: run_clients(server.url, clients, plan, options.seconds))
    finally:
        server.stop()
    try:
        found = asyncio.run(stored(prepared.url, before))
        server_log = server.log_path.read_text(errors="replace") if server.log_path else ""
    finally:
        prepared.cleanup()
    tables = compare(tally.acknowledged, found)
    locked = server_log.lower().count(LOCKED)
    unexpected = server_log.count("unexpected error")
    all_latencies = [value for values in tally.latencies.values() for value in values]
    totals = {
        key: sum(table[key] for table in tables.values())
        for key in ("acknowledged", "stored", "lost", "extra", "wrong_marker", "unaudited")
    }
    checks = {
        "no errors": tally.errors == 0,
        "no 'database is locked'": locked == 0,
        "no unexpected errors logged": unexpected == 0,
        "stored == acknowledged": totals["lost"] == 0
        and totals["extra"] == 0
        and totals["wrong_marker"] == 0,
        "every write audited": totals["unaudited"] == 0,
        "every kind of request answered": {"board", "client_employees", "time", "expense"}
        <= {kind for kind, values in tally.latencies.items() if values},
    }
    return {
        "ok": all(checks.values()),
        "checks": checks,
        "clients": options.clients,
        "portal_clients": portal_clients(options.clients),
        "seconds": options.seconds,
        "workers": workers,
        "database": "postgresql" if prepared.url.startswith("postgresql") else "sqlite",
        "database_how": prepared.how,
        "demo": {"clients": size.clients, "employees": size.employees},
        "marker": plan.marker,
        "window_seconds": round(tally.seconds, 2),
        "requests": tally.requests,
        "rps": round(tally.requests / tally.seconds, 1) if tally.seconds else 0.0,
        "p50_ms": round(percentile(all_latencies, 0.5), 1),
        "p99_ms": round(percentile(all_latencies, 0.99), 1),
        "by_kind": _kind_table(tally),
        "errors": tally.errors,
        "http_status": {str(key): value for key, value in tally.http_status.items()},
        "graphql_errors": dict(tally.graphql_errors),
        "transport_errors": dict(tally.transport_errors),
        "error_samples": tally.samples,
        "locked": locked,
        "unexpected_errors_logged": unexpected,
        "tables": tables,
        **totals,
        "audit_actions": found["actions"],
        "server_log": str(server.log_path),
        "data_seconds": round(prepared.seconds, 1),
        "server_start_seconds": round(server.start_seconds, 1),
        "login_seconds": round(login_seconds, 1),
        "run_seconds": round(time.monotonic() - began, 1),
        "machine": report.machine(),
        "versions": report.versions(),
        "git": report.git(),
        "command": " ".join(sys.argv),
    }


def _run_async(make: Callable[[], Any]) -> Any:
    from bench.run import run_async

    return run_async(make)


# --- the report -------------------------------------------------------------------------------

COLUMNS = (
    ("clients", "clients"),
    ("seconds", "seconds"),
    ("workers", "workers"),
    ("database", "database"),
    ("requests", "requests"),
    ("req/s", "rps"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("errors", "errors"),
    ("locked", "locked"),
    ("acknowledged writes", "acknowledged"),
    ("stored rows", "stored"),
    ("lost", "lost"),
    ("extra", "extra"),
)


def markdown(results: dict[str, Any]) -> str:
    def row(cells: list[str]) -> str:
        return "| " + " | ".join(cells) + " |"

    dirty = " (with uncommitted changes)" if results["git"]["dirty"] else ""

    lines = [
        f"# Load test: {results['clients']} clients × {results['seconds']:g} s, "
        f"{results['database']}, {results['workers']} worker(s)",
        "",
        row([title for title, _ in COLUMNS]),
        row(["---"] * len(COLUMNS)),
        row([str(results[key]) for _, key in COLUMNS]),
        "",
        row(["kind", "requests", "p50 ms", "p99 ms"]),
        row(["---"] * 4),
        *(
            row([k["kind"], str(k["requests"]), str(k["p50_ms"]), str(k["p99_ms"])])
            for k in results["by_kind"]
        ),
        "",
        row(["table", "acknowledged", "stored", "lost", "extra", "wrong marker", "unaudited"]),
        row(["---"] * 7),
        *(
            row(
                [name]
                + [
                    str(t[key])
                    for key in ("acknowledged", "stored", "lost", "extra", "wrong_marker")
                ]
                + [str(t["unaudited"])]
            )
            for name, t in results["tables"].items()
        ),
        "",
        "Checks: "
        + ", ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in results["checks"].items()),
        "",
        f"- {results['portal_clients']} firm sessions (partner portal: client board, a client's "
        f"employees), {results['clients'] - results['portal_clients']} employee sessions "
        "(reportTime ×2, submitExpense)",
        f"- {results['database_how']}; window {results['window_seconds']} s; "
        f"run {results['run_seconds']} s (data {results['data_seconds']} s, server start "
        f"{results['server_start_seconds']} s, log-ins {results['login_seconds']} s)",
        f"- errors: HTTP {results['http_status']}, GraphQL {results['graphql_errors']}, "
        f"transport {results['transport_errors']}; unexpected errors in the server log: "
        f"{results['unexpected_errors_logged']}",
        f"- audit events written: {results['audit_actions']}",
        f"- {results['machine']['cores']} cores, {results['machine']['cpu']}; git "
        f"{results['git']['commit'][:12]}{dirty}",
    ]
    if results["error_samples"]:
        lines += ["", "First bad answers:", ""] + [f"    {s}" for s in results["error_samples"]]
    return "\n".join(lines) + "\n"


def write(results: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now():%Y%m%d-%H%M%S}-loadtest-{results['database']}-w{results['workers']}"
    json_path, md_path = out / f"{stem}.json", out / f"{stem}.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown(results))
    return json_path, md_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.loadtest",
        description="Concurrent clients against the served product; stored rows must equal "
        "acknowledged writes.",
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--workers", type=int, default=None, help="server workers (default 1 SQLite, 3 PostgreSQL)"
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL database of its own: EMPTIED (schema public) and loaded per run "
        "(default: a fresh copy of a cached SQLite demo)",
    )
    parser.add_argument("--out", type=Path, default=data.BENCH / "results")
    args = parser.parse_args(argv)
    if args.clients < 2:
        parser.error("--clients: at least 2 (a firm session and an employee)")
    options = Options(args.clients, args.seconds, args.workers, args.database_url)
    results = run(options)
    json_path, md_path = write(results, args.out)
    print()
    print(markdown(results))
    log(f"Wrote {json_path} and {md_path}")
    if not results["ok"]:
        failed = [name for name, ok in results["checks"].items() if not ok]
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
