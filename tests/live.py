"""A real WebSocket client for the live updates' tests: graphql-transport-ws over the
`websockets` library, against a real uvicorn server started in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime

PROTOCOL = "graphql-transport-ws"
WAIT_SECONDS = 5.0


@asynccontextmanager
async def live_server(runtime: Runtime) -> AsyncIterator[str]:
    """The app on a real socket (uvicorn, this event loop): its ws:// URL of /graphql."""
    config = uvicorn.Config(
        create_app(runtime), host="127.0.0.1", port=0, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    # The test process keeps its own signal handling (a stopped test run must stop).
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
        if task.done():
            task.result()
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        await task
        await runtime.bus.stop()  # PostgreSQL: its LISTEN connection


class Live:
    """One graphql-transport-ws connection."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    async def send(self, message: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(message))

    async def receive(self, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next message, pings answered on the way."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.socket.recv(), seconds)
            )
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def init(self, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        await self.send({"type": "connection_init", "payload": payload or {}})
        return await self.receive()

    async def subscribe(
        self, operation_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload = {"query": query, "variables": variables or {}}
        await self.send({"id": operation_id, "type": "subscribe", "payload": payload})

    async def next_of(self, operation_id: str, seconds: float = WAIT_SECONDS) -> dict[str, Any]:
        """The next `next` payload of the operation (other operations' messages are skipped)."""
        while True:
            message = await self.receive(seconds)
            if message.get("id") != operation_id:
                continue
            assert message["type"] == "next", message
            payload: dict[str, Any] = message["payload"]
            return payload

    async def nothing_for(self, seconds: float) -> None:
        """No message (but pings, answered) arrives within `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                message = await self.receive(seconds + 1)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message {message}")

    async def closed(self, seconds: float = WAIT_SECONDS) -> tuple[int, str]:
        """The close code and reason once the server closes the socket."""
        try:
            while True:
                await asyncio.wait_for(self.socket.recv(), seconds)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None
            return closed.rcvd.code, closed.rcvd.reason
        raise AssertionError("not closed")


@asynccontextmanager
async def live(
    url: str,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    subprotocols: list[str] | None = None,
    init: bool = True,
) -> AsyncIterator[Live]:
    """A connection, initialised with `token` in connection_init's payload (unless `init`
    is False)."""
    protocols: Any = [PROTOCOL] if subprotocols is None else subprotocols
    async with connect(
        url, subprotocols=protocols, additional_headers=headers, ping_interval=None
    ) as socket:
        connection = Live(socket)
        if init:
            payload = {"authorization": f"Bearer {token}"} if token else {}
            ack = await connection.init(payload)
            assert ack["type"] == "connection_ack", ack
        yield connection
