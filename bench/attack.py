"""`python -m bench attack`: what one abusive client does to everyone else.

One client (the attacker: the big company's admin, its own session and its own address) sends
the worst documents it can, in turn, as fast as they are answered: the ones the cost limit
refuses today (nested lists three levels deep, 60 aliased payroll-basis lookups with their
lines) and the heaviest ones it takes (a 500-employee payroll basis, 60 aliased basis totals,
time entries with each one's employee's time entries). Meanwhile N normal clients (employees,
each with its own session and address) send the usual small queries. Every repeat measures the
normal clients twice, side by side: alone and with the attacker (which goes first alternates by
repeat); the report gives their p50/p99 and req/s per window, the medians, and the median of
the per-repeat ratios (with ÷ without: how much slower the attacker makes everyone else).

The server runs with the product's own cost budgets (per session and per address, per minute:
a refused attacker is answered RATE_LIMITED cheaply); `--no-budgets` gives it budgets it cannot
spend, to see what the documents themselves cost the others. Whatever the server answers the
attacker (data, QUERY_TOO_COMPLEX, RATE_LIMITED) is counted per document, never treated as a
failure: the scenario measures the effect on the others. Normal clients must get answers
without errors; any error is reported.

Addresses: every client connects from its own loopback address (127.0.0.0/8 is all loopback on
Linux; the server sees each as a different client address, as budgets need).
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import orjson

from bench import data, report
from bench.load import _Connection, encode, run_load
from bench.scenarios import VIEWER, Fixture, Request, global_id, payroll_basis_body

NORMAL_ADDRESS = "127.0.0.{}"  # normal client k connects from 127.0.0.(10 + k)
ATTACKER_ADDRESS = "127.0.0.9"

# The normal clients' small queries: who am I, and my latest time entries.
MY_TIME = """query MyTime { timeEntries(first: 10) { nodes { id date hours comment } } }"""

BASIS_LINES = """fragment Basis on PayrollPeriod {
  basis { employee { id } totalAmount lines { date quantity amount } }
}"""


def _aliased(count: int, selection: str, fragment: str = "") -> str:
    lookups = " ".join(f"b{index}: node(id: $period) {{ {selection} }}" for index in range(count))
    return f"query Aliased($period: ID!) {{ {lookups} }} {fragment}".strip()


# The attacker's documents, sent in turn (name: document). Costs as measured today: the first
# two are over the cost limit (refused before they run), the others within it.
ATTACK_DOCUMENTS: dict[str, str] = {
    "nested_3": "query Nested3 { timeEntries(first: 100) { nodes { employee { timeEntries { "
    "employee { timeEntries { hours } } } } } } }",
    "aliased_basis_lines": _aliased(60, "...Basis", BASIS_LINES),
    "aliased_basis_totals": _aliased(60, "... on PayrollPeriod { basis { totalAmount } }"),
    "payroll_basis": "",  # the big company's whole basis: scenario 4's document
    "nested_2": "query Nested2 { timeEntries(first: 100) { nodes { id employee { timeEntries "
    "{ id date hours } } } } }",
}


def attack_requests(fixture: Fixture) -> list[tuple[str, Request]]:
    """The attacker's requests, one of each document, as the big company's admin."""
    period = global_id("PayrollPeriod", fixture.period_id)
    requests = []
    for name, document in ATTACK_DOCUMENTS.items():
        if name == "payroll_basis":
            body = payroll_basis_body(fixture.period_id)
        else:
            body = {
                "query": document,
                "variables": {"period": period} if "$period" in document else {},
            }
        requests.append((name, Request(fixture.big_admin_token, body)))
    return requests


def normal_requests(fixture: Fixture, clients: int) -> list[Request]:
    """Requests in the order `run_load` spreads them: connection k sends k, k + n, ... so
    client k (the k-th writer's session, cycled) sends its own Viewer, MyTime, Viewer, ..."""
    if not fixture.writers:
        raise SystemExit("bench attack: the data has no employees who can log in")
    requests = []
    for round_ in range(2):
        for client in range(clients):
            token = fixture.writers[client % len(fixture.writers)].token
            query, name = (VIEWER, "Viewer") if round_ == 0 else (MY_TIME, "MyTime")
            requests.append(Request(token, {"query": query, "operationName": name}))
    return requests


@dataclass
class AttackerTally:
    """What the attacker got, per document: answers by outcome, and their latencies."""

    outcomes: dict[str, Counter[str]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    transport_errors: int = 0

    def add(self, name: str, status: int, body: bytes, seconds: float) -> None:
        self.outcomes.setdefault(name, Counter())[outcome_of(status, body)] += 1
        self.latencies.setdefault(name, []).append(seconds)

    def to_json(self) -> dict[str, Any]:
        return {
            name: {
                "requests": len(self.latencies[name]),
                "outcomes": dict(self.outcomes[name]),
                "p50_ms": _percentile(self.latencies[name], 0.5),
                "max_ms": max(self.latencies[name]) * 1000,
            }
            for name in self.latencies
        }


def outcome_of(status: int, body: bytes) -> str:
    """`OK`, the first error's code, or the HTTP status when the body says nothing."""
    try:
        errors = orjson.loads(body).get("errors")
    except (orjson.JSONDecodeError, AttributeError):
        return f"HTTP {status}"
    if errors:
        code = (errors[0].get("extensions") or {}).get("code")
        return str(code) if code else f"HTTP {status}"
    return "OK" if status == 200 else f"HTTP {status}"


def _percentile(latencies: list[float], fraction: float) -> float:
    ordered = sorted(latencies)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


async def attacker(
    port: int, requests: list[tuple[str, bytes]], tally: AttackerTally, stop: asyncio.Event
) -> None:
    """One connection, closed loop, the documents in turn until `stop` (reconnecting if the
    server closes the connection, as a client that wants to do harm would)."""
    loop = asyncio.get_running_loop()
    position = 0
    while not stop.is_set():
        transport, connection = await loop.create_connection(
            _Connection, "127.0.0.1", port, local_addr=(ATTACKER_ADDRESS, 0)
        )
        try:
            while not stop.is_set():
                name, data_ = requests[position % len(requests)]
                position += 1
                started = time.perf_counter()
                sending = asyncio.ensure_future(connection.send(data_))
                stopping = asyncio.ensure_future(stop.wait())
                done, _ = await asyncio.wait(
                    {sending, stopping}, return_when=asyncio.FIRST_COMPLETED
                )
                if sending not in done:
                    sending.cancel()
                    return
                stopping.cancel()
                try:
                    status, body = sending.result()
                except ConnectionError:
                    tally.transport_errors += 1
                    break
                tally.add(name, status, body, time.perf_counter() - started)
        finally:
            transport.close()


async def window(
    port: int,
    normal: list[bytes],
    clients: int,
    attack: list[tuple[str, bytes]] | None,
    *,
    warmup: float | None,
    duration: float,
) -> dict[str, Any]:
    """One measured window of the normal clients, with the attacker running throughout when
    `attack` is given (it starts first and stops after the window)."""
    tally = AttackerTally()
    stop = asyncio.Event()
    attacking = (
        asyncio.ensure_future(attacker(port, attack, tally, stop)) if attack is not None else None
    )
    try:
        if attacking is not None:
            await asyncio.sleep(0.2)  # the attacker's first document is in the server
        result = await run_load(
            "127.0.0.1",
            port,
            normal,
            connections=clients,
            warmup=warmup,
            duration=duration,
            min_requests=clients * 4,
            max_duration=3 * duration,
            local_addresses=[NORMAL_ADDRESS.format(10 + k) for k in range(clients)],
        )
    finally:
        stop.set()
        if attacking is not None:
            await attacking
    return {
        "rps": result.rps,
        "p50_ms": result.percentile(0.50),
        "p99_ms": result.percentile(0.99),
        "requests": result.requests,
        "window_seconds": result.window_seconds,
        "errors": result.errors,
        "first_error": result.first_error,
        "attacker": tally.to_json() if attack is not None else None,
        "attacker_transport_errors": tally.transport_errors,
    }


def summarize(windows: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians per phase, and the median over repeats of (with ÷ without) per measure."""
    by_phase: dict[str, list[dict[str, Any]]] = {"alone": [], "attacked": []}
    for measured in windows:
        by_phase[measured["phase"]].append(measured)
    summary: dict[str, Any] = {}
    for phase, rows in by_phase.items():
        summary[phase] = {
            key: report.median([row[key] for row in rows]) for key in ("rps", "p50_ms", "p99_ms")
        }
    ratios: dict[str, float] = {}
    for key in ("rps", "p50_ms", "p99_ms"):
        pairs = [
            attacked[key] / alone[key]
            for alone, attacked in zip(by_phase["alone"], by_phase["attacked"], strict=False)
            if alone[key]
        ]
        ratios[key] = report.median(pairs)
    summary["ratio_attacked_to_alone"] = ratios
    return summary


def markdown(results: dict[str, Any]) -> str:
    number = report._number
    lines = [
        f"# bench attack, {results['started']} ({results['database']['dialect']})",
        "",
        f"`{results['command']}`",
        "",
        f"{results['normal_clients']} normal clients (Viewer, MyTime in turn; each its own "
        f"session and address) on {results['workers']} worker(s), "
        f"{results['duration']:g} s windows × {results['repeat']}; "
        f"budgets: {results['budgets']}.",
        "",
        "| repeat | phase | normal req/s | p50 ms | p99 ms | errors | attacker answers |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in results["windows"]:
        attacker_answers = ""
        if row["attacker"]:
            totals: Counter[str] = Counter()
            for document in row["attacker"].values():
                totals.update(document["outcomes"])
            attacker_answers = ", ".join(f"{code} {n}" for code, n in totals.most_common())
        lines.append(
            f"| {row['repeat'] + 1} | {row['phase']} | {number(row['rps'])} | "
            f"{number(row['p50_ms'])} | {number(row['p99_ms'])} | {row['errors']} | "
            f"{attacker_answers} |"
        )
    summary = results["summary"]
    ratio = summary["ratio_attacked_to_alone"]
    lines += [
        "",
        "| normal clients (medians) | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
        *(
            f"| {phase} | {number(summary[phase]['rps'])} | {number(summary[phase]['p50_ms'])} "
            f"| {number(summary[phase]['p99_ms'])} |"
            for phase in ("alone", "attacked")
        ),
        f"| attacked ÷ alone (median of pairs) | {ratio['rps']:.2f} | {ratio['p50_ms']:.2f} "
        f"| {ratio['p99_ms']:.2f} |",
        "",
        "| attacker's document | requests | answers | p50 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    documents: dict[str, dict[str, Any]] = {}
    for row in results["windows"]:
        for name, document in (row["attacker"] or {}).items():
            kept = documents.setdefault(name, {"requests": 0, "outcomes": Counter(), "p50": []})
            kept["requests"] += document["requests"]
            kept["outcomes"].update(document["outcomes"])
            kept["p50"].append(document["p50_ms"])
            kept["max"] = max(kept.get("max", 0.0), document["max_ms"])
    for name, kept in documents.items():
        answers = ", ".join(f"{code} {n}" for code, n in kept["outcomes"].most_common())
        lines.append(
            f"| {name} | {kept['requests']} | {answers} | {number(report.median(kept['p50']))} "
            f"| {number(kept['max'])} |"
        )
    lines += [
        "",
        f"Run took {results['seconds']:.0f} s; load average at the end "
        f"{', '.join(f'{v:.2f}' for v in results['load_average_end'])}.",
    ]
    return "\n".join(lines) + "\n"


def run_attack(args: argparse.Namespace) -> int:
    import os

    from bench.run import fixture_from, log, prepare, run_async
    from bench.server import product_server

    started = time.monotonic()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    built, url = prepare(args)
    dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
    log_dir = data.DATA / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    workers = int(str(args.workers).split(",")[0])
    server = product_server(
        url, built.storage_dir, workers, log_dir, refusing_budgets=not args.no_budgets
    )
    windows: list[dict[str, Any]] = []
    try:
        server.start()
        log(
            f"Product on :{server.port} ({workers} worker(s), "
            f"ready in {server.start_seconds:.1f} s)"
        )
        fixture = run_async(partial(fixture_from, server.url, args.clients))
        normal = [
            encode("127.0.0.1", server.port, request)
            for request in normal_requests(fixture, args.normal)
        ]
        attack = [
            (name, encode("127.0.0.1", server.port, request))
            for name, request in attack_requests(fixture)
        ]
        for repeat in range(args.repeat):
            phases = ("alone", "attacked") if repeat % 2 == 0 else ("attacked", "alone")
            for phase in phases:
                measured = run_async(
                    partial(
                        window,
                        server.port,
                        normal,
                        args.normal,
                        attack if phase == "attacked" else None,
                        warmup=args.warmup if not windows else None,
                        duration=args.duration,
                    )
                )
                measured.update(phase=phase, repeat=repeat)
                windows.append(measured)
                attacked = ""
                if measured["attacker"]:
                    totals: Counter[str] = Counter()
                    for document in measured["attacker"].values():
                        totals.update(document["outcomes"])
                    attacked = "  attacker: " + ", ".join(
                        f"{code} {n}" for code, n in totals.most_common()
                    )
                log(
                    f"  #{repeat + 1} {phase:<8} {measured['rps']:8.1f} req/s  "
                    f"p50 {measured['p50_ms']:7.1f} ms  p99 {measured['p99_ms']:7.1f} ms  "
                    f"errors {measured['errors']}{attacked}"
                )
                if measured["errors"]:
                    log(f"  ! normal clients: first error: {measured['first_error']}")
    finally:
        server.stop()
        if dialect == "sqlite":
            data.remove_working_copy(url)
    results: dict[str, Any] = {
        "started": stamp,
        "command": shlex.join([Path(sys.executable).name, "-m", "bench", *sys.argv[1:]]),
        "machine": report.machine(),
        "versions": report.versions(),
        "git": report.git(),
        "database": {"dialect": dialect, "size": vars(built.size)},
        "workers": workers,
        "normal_clients": args.normal,
        "duration": args.duration,
        "repeat": args.repeat,
        "budgets": "off (never refusing)" if args.no_budgets else "the product's defaults",
        "attack_documents": {name: request.body for name, request in attack_requests(fixture)},
        "windows": windows,
        "summary": summarize(windows),
        "load_average_end": list(os.getloadavg()),
        "seconds": time.monotonic() - started,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"{stamp}-attack-{dialect}"
    (args.out / f"{stem}.json").write_bytes(
        orjson.dumps(results, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n"
    )
    text = markdown(results)
    (args.out / f"{stem}.md").write_text(text)
    print()
    print(text)
    log(f"Wrote {args.out / stem}.json and .md ({results['seconds']:.0f} s)")
    return 0
