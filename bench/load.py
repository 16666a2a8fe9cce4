"""A bounded HTTP/1.1 load generator: a fixed number of keep-alive connections on loopback,
each sending one request at a time (closed loop), a warm-up, then a timed window.

Lean on purpose (the client shares the machine with the server): requests are encoded once,
responses are parsed only as far as the status line and Content-Length, on uvloop. Every
response of the window is checked for its status and for GraphQL errors (`"errors":` in the
body); the first bad one is kept for the report.
"""

from __future__ import annotations

import asyncio
import resource
import time
from dataclasses import dataclass, field
from typing import cast

import orjson

from bench.scenarios import Request

HEADER_END = b"\r\n\r\n"


def encode(host: str, port: int, request: Request) -> bytes:
    body = orjson.dumps(request.body)
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nAuthorization: Bearer {request.token}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


class _Connection(asyncio.Protocol):
    """One keep-alive connection; `send` writes a request and waits for its whole response."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.head = -1
        self.length = -1
        self.status = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self.head < 0:
            end = self.buffer.find(HEADER_END)
            if end < 0:
                return
            headers = bytes(self.buffer[:end]).lower()
            self.status = int(headers[9:12])
            at = headers.find(b"\r\ncontent-length:")
            if at < 0:
                waiter.set_exception(ConnectionError("a response without Content-Length"))
                return
            stop = headers.find(b"\r\n", at + 2)
            self.length = int(headers[at + 17 : stop if stop > 0 else None])
            self.head = end + 4
        total = self.head + self.length
        if len(self.buffer) >= total:
            body = bytes(self.buffer[self.head : total])
            del self.buffer[:total]
            self.head = self.length = -1
            waiter.set_result((self.status, body))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("the server closed the connection"))

    async def send(self, data: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


@dataclass
class LoadResult:
    connections: int
    window_seconds: float
    latencies: list[float] = field(default_factory=list)  # seconds, of the window's requests
    errors: int = 0
    first_error: str = ""
    client_cpu_seconds: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def rps(self) -> float:
        return self.requests / self.window_seconds if self.window_seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


def _error_of(status: int, body: bytes) -> str | None:
    if status != 200:
        return f"HTTP {status}: {body[:300]!r}"
    if b'"errors":' in body:
        return body[:500].decode(errors="replace")
    return None


async def run_load(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    connections: int,
    warmup: float | None,
    duration: float,
    min_requests: int = 0,
    max_duration: float | None = None,
    local_addresses: list[str] | None = None,
) -> LoadResult:
    """Closed-loop load: each connection sends its next request when the last one answered.

    With a `warmup`, the window starts once that many seconds have passed and every connection
    has had an answer (so every worker has seen the document); without (None: the server is
    warm already), at once. It ends at the first answer after `duration` seconds once at least
    `min_requests` answered in it (at most `max_duration`). Requests are spread over the
    connections (connection k sends k, k + n, k + 2n, ...). With `local_addresses`, connection
    k connects from the k-th (cycled): loopback clients the server tells apart.
    """
    loop = asyncio.get_running_loop()
    opened = [
        await loop.create_connection(
            _Connection,
            host,
            port,
            local_addr=(local_addresses[k % len(local_addresses)], 0) if local_addresses else None,
        )
        for k in range(connections)
    ]
    result = LoadResult(connections, 0.0)
    warm_until = time.perf_counter() + (warmup or 0.0)
    warmed: set[int] = set()
    window: dict[str, float] = {}  # start, planned end, latest end, stop
    usage: list[resource.struct_rusage] = []

    def open_window(at: float) -> None:
        window.update(start=at, end=at + duration, latest=at + (max_duration or duration))
        usage.append(resource.getrusage(resource.RUSAGE_SELF))

    if warmup is None:
        open_window(time.perf_counter())

    async def drive(index: int, connection: _Connection) -> None:
        position = index
        while "stop" not in window:
            data = requests[position % len(requests)]
            position += connections
            started = time.perf_counter()
            status, body = await connection.send(data)
            finished = time.perf_counter()
            if "start" not in window:
                warmed.add(index)
                if len(warmed) == connections and finished >= warm_until:
                    open_window(finished)
                continue
            if "stop" in window:
                return
            if finished > window["latest"]:
                window["stop"] = window["latest"]
                return
            result.latencies.append(finished - started)
            error = _error_of(status, body)
            if error is not None:
                result.errors += 1
                result.first_error = result.first_error or error
            if finished >= window["end"] and result.requests >= min_requests:
                window["stop"] = finished

    try:
        await asyncio.gather(*(drive(i, protocol) for i, (_, protocol) in enumerate(opened)))
    finally:
        for transport, _ in opened:
            transport.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.window_seconds = max(window["stop"] - window["start"], 1e-9)
    before = usage[0]
    result.client_cpu_seconds = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return result
