"""`python -m bench run`: data, servers, load, statement counts, profile, report."""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import httpx

from bench import data, report
from bench.discover import discover
from bench.inprocess import (
    client_for,
    count_statements,
    limit_app,
    product_app,
    profile,
    send,
)
from bench.load import encode, run_load
from bench.scenarios import SCENARIOS, Fixture, Scenario
from bench.server import Server, limit_server, product_server

T = TypeVar("T")
PROFILED = "client_employees"


def log(line: str) -> None:
    print(line, flush=True)


def run_async(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """On uvloop when it is installed (the product's loop, and a leaner client)."""
    try:
        import uvloop

        loop_factory: Callable[[], asyncio.AbstractEventLoop] | None = uvloop.new_event_loop
    except ImportError:
        loop_factory = None
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(make())


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description="Benchmark gql-portal against the raw limit."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (
        ("run", "measure the scenarios over HTTP and write the report"),
        ("profile", "profile one scenario in-process (cProfile) and print the top entries"),
        ("attack", "normal clients' latency with and without one abusive client (bench/attack.py)"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--quick", action="store_true", help="small data, short windows")
        command.add_argument("--clients", type=int, help="client companies (default 1000)")
        command.add_argument("--employees", type=int, help="employees per client (default 25)")
        command.add_argument(
            "--big-company", type=int, help="employees of the big company (default 500)"
        )
        command.add_argument(
            "--database-url", help="a PostgreSQL database (default: a cached SQLite file)"
        )
        command.add_argument(
            "--fresh", action="store_true", help="rebuild the data (PostgreSQL: empties it)"
        )
        command.add_argument(
            "--scenarios",
            default=",".join(SCENARIOS),
            help=f"comma-separated, of: {', '.join(SCENARIOS)}",
        )
    run = commands.choices["run"]
    run.add_argument("--workers", default=None, help="worker counts to measure (default 1,2)")
    run.add_argument("--duration", type=float, help="seconds per measured window (default 5)")
    run.add_argument("--warmup", type=float, help="seconds of warm-up per window (default 1)")
    run.add_argument("--repeat", type=int, help="windows per scenario and target (default 3)")
    run.add_argument(
        "--connections",
        type=int,
        help="connections per worker (default 2; 1 where a request takes 0.25 s or more)",
    )
    run.add_argument("--min-requests", type=int, default=8, help="per window, within 3× duration")
    run.add_argument("--no-profile", action="store_true", help="skip the cProfile of scenario 3")
    run.add_argument("--out", type=Path, default=data.BENCH / "results")
    attack = commands.choices["attack"]
    attack.add_argument("--workers", default="1", help="the product's workers (default 1)")
    attack.add_argument("--normal", type=int, help="normal clients (default 8; --quick 4)")
    attack.add_argument("--duration", type=float, help="seconds per measured window (default 5)")
    attack.add_argument("--warmup", type=float, help="seconds of warm-up, first window (default 1)")
    attack.add_argument(
        "--repeat", type=int, help="pairs of windows, alone and attacked (default 3)"
    )
    attack.add_argument(
        "--no-budgets", action="store_true", help="cost budgets that never refuse (the raw cost)"
    )
    attack.add_argument("--out", type=Path, default=data.BENCH / "results")
    prof = commands.choices["profile"]
    prof.add_argument("--scenario", default=PROFILED, choices=list(SCENARIOS))
    prof.add_argument("--requests", type=int, default=3)
    args = parser.parse_args(argv)
    quick = args.quick
    defaults: dict[str, Any] = {
        "clients": 20 if quick else 1000,
        "employees": 10 if quick else 25,
        "big_company": 100 if quick else 500,
        "workers": "1" if quick else "1,2",
        "duration": 3.0 if quick else 5.0,
        "warmup": 0.5 if quick else 1.0,
        "repeat": 1 if quick else 3,
        "connections": 2,
        "normal": 4 if quick else 8,
    }
    for name, value in defaults.items():
        if getattr(args, name, value) is None:
            setattr(args, name, value)
    args.scenario_names = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(args.scenario_names) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.command == "run":
        args.worker_counts = [int(value) for value in str(args.workers).split(",")]
    return args


def prepare(args: argparse.Namespace) -> tuple[data.Built, str]:
    """The database of this size, and the URL the run uses (a copy, for SQLite)."""
    size = data.Size(args.clients, args.employees, args.big_company)
    if args.database_url:
        if not args.database_url.startswith("postgresql"):
            raise SystemExit("bench: --database-url takes a postgresql+asyncpg:// URL")
        built = data.postgresql(args.database_url, size, args.fresh, log)
        return built, args.database_url
    built = data.sqlite_cache(size, args.fresh, log)
    return built, data.working_copy(built, f"run-{os.getpid()}")


async def fixture_from(url: str, clients: int) -> Fixture:
    async with httpx.AsyncClient(base_url=url, timeout=120) as client:
        return await discover(client, clients)


async def same_json(
    product: Server, limit: Server, scenarios: list[Scenario], fixture: Fixture, *others: Server
) -> tuple[dict[str, bool], dict[str, dict[str, float]]]:
    """One request of each scenario to every server: is the answer the same as the product's,
    and how long does one request take alone (seconds; it sizes the load, see `plan`)."""
    found: dict[str, bool] = {}
    latency: dict[str, dict[str, float]] = {}
    servers = (product, limit, *others)
    clients = [httpx.AsyncClient(base_url=server.url, timeout=600) for server in servers]
    try:
        for scenario in scenarios:
            request = scenario.requests(fixture)[-1]
            headers = {"authorization": f"Bearer {request.token}"}
            answers = []
            latency[scenario.name] = {}
            for server, client in zip(servers, clients, strict=True):
                began = time.perf_counter()
                answers.append(
                    (await client.post("/graphql", json=request.body, headers=headers)).json()
                )
                latency[scenario.name][server.name] = time.perf_counter() - began
            first, *rest = answers
            found[scenario.name] = True
            for server, other in zip(servers[1:], rest, strict=True):
                if scenario.writes:
                    same = _keys(first.get("data")) == _keys(other.get("data"))
                else:
                    same = first.get("data") == other.get("data") and not first.get("errors")
                if not same:
                    log(f"  ! {scenario.name}: {server.name}: not the product's answer")
                found[scenario.name] &= same
    finally:
        for client in clients:
            await client.aclose()
    return found, latency


@dataclass(frozen=True)
class Plan:
    """How one scenario is loaded: sized by how long one product request takes alone."""

    connections_per_worker: int

    @classmethod
    def of(cls, product_seconds: float, connections_per_worker: int) -> Plan:
        # A request of a quarter second or more keeps a worker busy between answers on its own:
        # one connection per worker then measures the same throughput without queueing.
        return cls(1 if product_seconds >= 0.25 else connections_per_worker)


def _keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    return None


async def measure(
    server: Server,
    requests: list[bytes],
    args: argparse.Namespace,
    connections: int,
    *,
    warm_up: bool,
    alone_seconds: float,
) -> dict[str, Any]:
    server.reset_peaks()
    cpu_before = server.cpu_seconds()
    result = await run_load(
        "127.0.0.1",
        server.port,
        requests,
        connections=connections,
        warmup=args.warmup if warm_up else None,
        duration=args.duration,
        # Fast requests: enough for percentiles; slow ones: an answer on every connection.
        min_requests=args.min_requests if alone_seconds < 0.25 else connections,
        max_duration=3 * args.duration + 3 * alone_seconds,
    )
    cpu = server.cpu_seconds() - cpu_before
    served = max(result.requests, 1)
    if result.errors:
        log(f"  ! {server.name}: {result.errors} errors, first: {result.first_error}")
    return {
        "rps": result.rps,
        "p50_ms": result.percentile(0.50),
        "p99_ms": result.percentile(0.99),
        "requests": result.requests,
        "window_seconds": result.window_seconds,
        "connections": result.connections,
        "warm_up": warm_up,
        "errors": result.errors,
        "first_error": result.first_error,
        "peak_rss_mib": server.peak_rss_mib(),
        "peak_since_start": not server.peak_reset_works,
        # CPU of the whole measurement (warm-up and drain too) over the window's requests:
        # an upper bound, close when the window holds many requests.
        "server_cpu_ms_per_request": 1000 * cpu / served,
        "client_cpu_ms_per_request": 1000 * result.client_cpu_seconds / served,
    }


def http_phase(
    args: argparse.Namespace,
    built: data.Built,
    url: str,
    scenarios: list[Scenario],
    log_dir: Path,
) -> tuple[Fixture, list[dict[str, Any]], dict[str, bool], dict[str, Any]]:
    measurements: list[dict[str, Any]] = []
    checks: dict[str, bool] = {}
    alone: dict[str, dict[str, float]] = {}
    start_times: dict[str, float] = {}
    fixture: Fixture | None = None
    for workers in args.worker_counts:
        product = product_server(url, built.storage_dir, workers, log_dir)
        resolver = product_server(url, built.storage_dir, workers, log_dir, compiled=False)
        limit = limit_server(url, workers, log_dir)
        servers = (product, resolver, limit)
        try:
            for server in servers:
                server.start()
            start_times[f"product-w{workers}"] = product.start_seconds
            start_times[f"resolver-w{workers}"] = resolver.start_seconds
            start_times[f"limit-w{workers}"] = limit.start_seconds
            log(
                f"Workers {workers}: product on :{product.port} "
                f"(ready in {product.start_seconds:.1f} s), limit on :{limit.port}"
            )
            if fixture is None:
                fixture = run_async(partial(fixture_from, product.url, args.clients))
                checks, alone = run_async(
                    partial(same_json, product, limit, scenarios, fixture, resolver)
                )
            encoded = {
                scenario.name: {
                    server.name: [
                        encode("127.0.0.1", server.port, request)
                        for request in scenario.requests(fixture)
                    ]
                    for server in servers
                }
                for scenario in scenarios
            }
            for repeat in range(args.repeat):
                for scenario in scenarios:
                    plan = Plan.of(alone[scenario.name]["product"], args.connections)
                    # Rotate which goes first, so that drift in the machine's load evens out.
                    order = servers[repeat % 3 :] + servers[: repeat % 3]
                    for server in order:
                        requests = encoded[scenario.name][server.name]
                        measured = run_async(
                            partial(
                                measure,
                                server,
                                requests,
                                args,
                                plan.connections_per_worker * workers,
                                warm_up=repeat == 0,
                                alone_seconds=alone[scenario.name][server.name],
                            )
                        )
                        measured.update(
                            scenario=scenario.name,
                            workers=workers,
                            target=server.name,
                            repeat=repeat,
                        )
                        measurements.append(measured)
                        log(
                            f"  {scenario.name:<17} {server.name:<7} w{workers} #{repeat + 1}: "
                            f"{measured['rps']:8.2f} req/s  p50 {measured['p50_ms']:8.1f} ms  "
                            f"p99 {measured['p99_ms']:8.1f} ms  "
                            f"RSS {measured['peak_rss_mib']:5.0f} MB  "
                            f"({measured['requests']} in {measured['window_seconds']:.1f} s, "
                            f"{measured['connections']} conn.)"
                        )
        finally:
            for server in servers:
                server.stop()
    assert fixture is not None
    return fixture, measurements, checks, {"server_start_seconds": start_times, "alone": alone}


async def in_process(
    url: str,
    storage_dir: str,
    scenarios: list[Scenario],
    fixture: Fixture,
    profile_it: bool,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    statements: dict[str, Any] = {}
    profiled = None
    async with (
        product_app(url, storage_dir) as app,
        limit_app(url) as limit,
        client_for(app) as product_client,
        client_for(limit) as limit_client,
    ):
        await send(product_client, SCENARIOS["viewer"].requests(fixture)[0])  # first connections
        await send(limit_client, SCENARIOS["viewer"].requests(fixture)[0])
        for scenario in scenarios:
            counted = await count_statements(app, product_client, scenario, fixture)
            limit_counted = await count_statements(limit, limit_client, scenario, fixture)
            statements[scenario.name] = {
                "product": counted.statements,
                "limit": limit_counted.statements,
                "product_per_kind": counted.per_kind,
                "limit_per_kind": limit_counted.per_kind,
                "product_sql": {
                    kind: [" ".join(sql.split())[:160] for sql in statements_of_kind]
                    for kind, statements_of_kind in counted.sql.items()
                },
            }
        if profile_it and PROFILED in {scenario.name for scenario in scenarios}:
            result = await profile(product_client, SCENARIOS[PROFILED], fixture, repeat=2)
            profiled = {
                "scenario": result.scenario,
                "requests": result.requests,
                "seconds_per_request": result.seconds_per_request,
                "by_cumulative": result.by_cumulative,
                "by_tottime": result.by_tottime,
                "by_package": result.by_package,
            }
    return statements, profiled


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    machine = report.machine()
    scenarios = [SCENARIOS[name] for name in args.scenario_names]
    built, url = prepare(args)
    data_seconds = time.monotonic() - started
    log_dir = data.DATA / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    try:
        fixture, measurements, checks, timings = http_phase(args, built, url, scenarios, log_dir)
        log("In-process: statements per request" + ("" if args.no_profile else ", profile"))
        statements: dict[str, Any] = {}
        profiled: dict[str, Any] | None = None
        try:
            statements, profiled = run_async(
                lambda: in_process(url, built.storage_dir, scenarios, fixture, not args.no_profile)
            )
        except Exception as error:  # keep the HTTP measurements whatever happens here
            in_process_error = f"{type(error).__name__}: {error}"
            log(f"  ! in-process phase failed: {in_process_error}")
        else:
            in_process_error = ""
        database_version = run_async(lambda: _database_version(url))
    finally:
        if dialect == "sqlite":
            data.remove_working_copy(url)
    summary = report.summarize(measurements)
    size = built.size
    results: dict[str, Any] = {
        "started": stamp,
        "command": shlex.join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "machine": machine,
        "versions": report.versions(),
        "git": report.git(),
        "database": {
            "dialect": dialect,
            "version": database_version,
            "size": {
                "clients": size.clients,
                "employees": size.employees,
                "big_company": size.big_company,
                "seed": size.seed,
            },
            "describe": _describe(built, fixture),
            "built": built.to_json() | {"url": _redacted(built.url)},
        },
        "settings": {
            "workers": args.worker_counts,
            "duration": args.duration,
            "warmup": args.warmup,
            "repeat": args.repeat,
            "connections_per_worker": args.connections,
            "min_requests": args.min_requests,
            "load": f"closed loop on keep-alive connections, {args.connections} per worker (1 "
            "where one request alone takes 0.25 s or more), "
            f"{args.warmup:g} s warm-up, {args.duration:g} s windows × {args.repeat} "
            "(a window ends at the first answer after that, with at least "
            f"{args.min_requests} answers, or one per connection for requests of 0.25 s or more)",
        },
        "scenario_titles": {
            scenario.name: scenario.title.format(
                page=len(fixture.client_ids),
                employees=len(fixture.client_ids) * size.employees,
                big=fixture.big_company_employees,
            )
            for scenario in scenarios
        },
        "scenario_viewers": {scenario.name: scenario.viewer for scenario in scenarios},
        "server_start_seconds": timings["server_start_seconds"],
        "one_request_alone_seconds": timings["alone"],
        "same_json": checks,
        "statements": statements,
        "in_process_error": in_process_error,
        "summary": summary,
        "measurements": measurements,
        "profile": profiled,
        "load_average_end": list(os.getloadavg()),
        "data_seconds": data_seconds,
        "seconds": time.monotonic() - started,
    }
    json_path, md_path = report.write(results, args.out, f"{stamp}-{dialect}")
    print()
    print(report.markdown(results).split("## Profile")[0].rstrip())
    print()
    log(f"Wrote {json_path} and {md_path} ({results['seconds']:.0f} s)")
    return 0


def _redacted(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url


def _describe(built: data.Built, fixture: Fixture) -> str:
    where = "cached SQLite file" if built.url.startswith("sqlite") else "PostgreSQL"
    if not built.cached:
        made = f"built now in {built.load_seconds + built.big_company_seconds:.0f} s"
    else:
        made = f"reused (built {built.built_on})" if built.built_on else "reused"
    return (
        f"{where}, {made}; the firm user's first page has {len(fixture.client_ids)} clients; "
        f"the big company {fixture.big_company_employees} employees; "
        f"{len(fixture.writers)} writers"
    )


async def _database_version(url: str) -> str:
    from gql_portal.db.engine import Database

    database = Database.from_url(url, pool_size=0)
    try:
        async with database.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                found = await connection.exec_driver_sql("select sqlite_version()")
                return f"SQLite {found.scalar()}"
            found = await connection.exec_driver_sql("show server_version")
            return f"PostgreSQL {found.scalar()}"
    finally:
        await database.dispose()


def profile_command(args: argparse.Namespace) -> int:
    """Profile one scenario in-process (no servers, no load)."""
    built, url = prepare(args)

    async def go() -> None:
        async with product_app(url, built.storage_dir) as app, client_for(app) as client:
            fixture = await discover(client, args.clients)
            result = await profile(client, SCENARIOS[args.scenario], fixture, args.requests)
        print(f"{args.scenario}: {result.seconds_per_request * 1000:.0f} ms per request")
        print("\nBy cumulative time:\n" + result.by_cumulative)
        print("\nBy own time (tottime):\n" + result.by_tottime)
        print("\nOwn time by package:\n" + result.by_package)

    try:
        run_async(go)
    finally:
        if url != args.database_url:
            data.remove_working_copy(url)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.command == "profile":
        return profile_command(args)
    if args.command == "attack":
        from bench.attack import run_attack

        return run_attack(args)
    return run(args)
