"""`python -m bench.live`: what live updates (GraphQL subscriptions) cost, see bench/README.md.

One run, side by side on the real `gql-portal serve` (a subprocess, loopback, a fresh small
demo): memory per open connection and per idle subscription (RSS before/after, 1,000
subscriptions in one worker), the delay from a mutation's answer (its commit is before it) to
the event's delivery (p50/p99), and server CPU per delivered event (the same mutations with and
without the subscribers: the difference over the deliveries). On PostgreSQL (`--database-url`,
the database is EMPTIED) two `gql-portal serve` processes: subscribers on one, mutations on the
other, so every event crosses LISTEN/NOTIFY.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bench import data
from bench.discover import log_in, post
from bench.loadtest import prepare
from bench.scenarios import SUBMIT_EXPENSE
from bench.server import Server, product_server

SUBSCRIPTION = "subscription { expenseChanged { id status } }"
PER_CONNECTION = 20  # the product's default live_max_per_connection


def log(line: str) -> None:
    print(line, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _open(url: str, token: str) -> ClientConnection:
    socket = await connect(url, subprotocols=["graphql-transport-ws"], ping_interval=None)  # type: ignore[list-item]
    await socket.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await socket.recv())
    assert ack["type"] == "connection_ack", ack
    return socket


async def _subscribe(socket: ClientConnection, first: int, count: int) -> None:
    for number in range(first, first + count):
        message = {"id": str(number), "type": "subscribe", "payload": {"query": SUBSCRIPTION}}
        await socket.send(json.dumps(message))


async def _next_events(socket: ClientConnection, wanted: int, arrivals: list[float]) -> None:
    """Reads `wanted` events (pings answered), noting each arrival's time."""
    got = 0
    while got < wanted:
        message = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if message["type"] == "ping":
            await socket.send(json.dumps({"type": "pong"}))
        elif message["type"] == "next":
            assert "errors" not in message["payload"], message
            arrivals.append(time.monotonic())
            got += 1
        elif message["type"] in ("error", "complete"):
            raise RuntimeError(f"subscription refused or ended: {message}")


def _expense(number: int) -> dict[str, Any]:
    day = datetime.now(UTC).date() - timedelta(days=1 + number % 14)
    return {
        "input": {
            "date": day.isoformat(),
            "amount": f"{100 + number}.00",
            "vatRate": "25",
            "category": "OFFICE_SUPPLIES",
            "description": f"bench.live {number}",
        }
    }


async def _mutate(http: httpx.AsyncClient, token: str, number: int) -> float:
    await post(http, SUBMIT_EXPENSE, _expense(number), token)
    return time.monotonic()


async def measure(
    subscribe_on: Server, mutate_on: Server, servers: list[Server], options: argparse.Namespace
) -> dict[str, Any]:
    from gql_portal.demo import DEMO_PASSWORD, EMPLOYEE

    ws_url = subscribe_on.url.replace("http://", "ws://") + "/graphql"
    connections = options.subscriptions // PER_CONNECTION
    results: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=mutate_on.url, timeout=60) as http:
        token = await log_in(http, EMPLOYEE, DEMO_PASSWORD)
        for number in range(3):  # warm-up: the first requests import and prepare
            await _mutate(http, token, number)
        await asyncio.sleep(1)
        rss = {"start": subscribe_on.rss_mib()}

        # Mutations with nobody listening: the baseline CPU.
        cpu_before = sum(server.cpu_seconds() for server in servers)
        for number in range(options.events):
            await _mutate(http, token, 1000 + number)
        await asyncio.sleep(1)
        cpu_alone = sum(server.cpu_seconds() for server in servers) - cpu_before

        sockets = [await _open(ws_url, token) for _ in range(connections)]
        await asyncio.sleep(1)
        rss["connections"] = subscribe_on.rss_mib()
        for index, socket in enumerate(sockets):
            await _subscribe(socket, index * PER_CONNECTION, PER_CONNECTION)
        await asyncio.sleep(3)
        rss["subscriptions"] = subscribe_on.rss_mib()

        # The same mutations, each delivered to every subscription; one at a time, so each
        # delay is its own.
        delays: list[float] = []
        firsts: list[float] = []
        cpu_before = sum(server.cpu_seconds() for server in servers)
        for number in range(options.events):
            arrivals: list[float] = []
            readers = [
                asyncio.create_task(_next_events(socket, PER_CONNECTION, arrivals))
                for socket in sockets
            ]
            answered = await _mutate(http, token, 2000 + number)
            await asyncio.gather(*readers)
            delays.extend(arrival - answered for arrival in arrivals)
            firsts.append(min(arrivals) - answered)
        await asyncio.sleep(1)
        cpu_with = sum(server.cpu_seconds() for server in servers) - cpu_before
        for socket in sockets:
            await socket.close()

    delivered = options.events * connections * PER_CONNECTION
    results["connections"] = connections
    results["subscriptions"] = connections * PER_CONNECTION
    results["rss_mib"] = rss
    results["kib_per_connection"] = (rss["connections"] - rss["start"]) * 1024 / connections
    results["kib_per_subscription"] = (
        (rss["subscriptions"] - rss["connections"]) * 1024 / (connections * PER_CONNECTION)
    )
    results["events"] = options.events
    results["delivered"] = delivered
    results["delay_ms"] = {
        "p50": percentile(delays, 0.5) * 1000,
        "p99": percentile(delays, 0.99) * 1000,
        "median_of_first": statistics.median(firsts) * 1000,
    }
    results["cpu_seconds"] = {"mutations_alone": cpu_alone, "mutations_delivered": cpu_with}
    results["cpu_ms_per_delivered_event"] = (cpu_with - cpu_alone) * 1000 / delivered
    results["cpu_ms_per_mutation_alone"] = cpu_alone * 1000 / options.events
    return results


def markdown(results: dict[str, Any]) -> str:
    rss = results["rss_mib"]
    delay = results["delay_ms"]
    lines = [
        f"# bench.live {results['started']}",
        "",
        f"{results['how']}; servers: {results['servers']}; coalescing window "
        f"{results['coalesce_ms']} ms.",
        "",
        "| measure | value |",
        "|---|---|",
        f"| RSS at start / {results['connections']} connections / "
        f"{results['subscriptions']} subscriptions | {rss['start']:.1f} / "
        f"{rss['connections']:.1f} / {rss['subscriptions']:.1f} MiB |",
        f"| per open connection | {results['kib_per_connection']:.1f} KiB |",
        f"| per idle subscription | {results['kib_per_subscription']:.1f} KiB |",
        f"| delay answer → delivery, p50 / p99 ({results['delivered']} deliveries) | "
        f"{delay['p50']:.0f} / {delay['p99']:.0f} ms |",
        f"| first delivery of each event, median | {delay['median_of_first']:.0f} ms |",
        f"| server CPU per mutation, nobody listening | "
        f"{results['cpu_ms_per_mutation_alone']:.1f} ms |",
        f"| server CPU per delivered event (difference / deliveries) | "
        f"{results['cpu_ms_per_delivered_event']:.2f} ms |",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.live", description=__doc__)
    parser.add_argument("--database-url", help="PostgreSQL (EMPTIED): two servers")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--out", type=Path, default=data.BENCH / "results")
    options = parser.parse_args(argv)
    postgresql = bool(options.database_url) and not options.database_url.startswith("sqlite")
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    prepared = prepare(options.database_url, data.Size(1, 2, 0))
    os.environ["GQL_PORTAL_LIVE_MAX_PER_SESSION"] = str(options.subscriptions)
    coalesce_ms = os.environ.get("GQL_PORTAL_LIVE_COALESCE_MS", "200")
    logs = data.DATA / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    servers = [
        product_server(prepared.url, prepared.storage_dir, 1, logs)
        for _ in range(2 if postgresql else 1)
    ]
    try:
        for server in servers:
            server.start()
        results = asyncio.run(measure(servers[0], servers[-1], servers, options))
    finally:
        for server in servers:
            server.stop()
        prepared.cleanup()
    results.update(
        started=started,
        how=prepared.how,
        servers=(
            "two `gql-portal serve` (1 worker each): subscribers on one, mutations on the other"
            if postgresql
            else "one `gql-portal serve` (1 worker)"
        ),
        coalesce_ms=coalesce_ms,
    )
    options.out.mkdir(parents=True, exist_ok=True)
    name = f"{started}-live-{'postgresql' if postgresql else 'sqlite'}"
    (options.out / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    (options.out / f"{name}.md").write_text(markdown(results))
    log(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
