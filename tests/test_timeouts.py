"""A slow client or a slow request cannot hold a worker: bodies have a deadline and a size cap
enforced while they arrive, and a request that runs too long is stopped."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import orjson
import pytest

from gql_portal.http import body as http_body
from gql_portal.http import graphql as graphql_route
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from tests.conftest import Api


async def call(runtime: Runtime, chunks: list[bytes], pause: float = 0.0) -> tuple[int, Any, int]:
    """One POST /graphql through the ASGI app, the body sent in `chunks` with `pause` between;
    the status, the JSON answer and how many chunks the app read."""
    app = create_app(runtime)
    pending = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if not pending:
            await asyncio.sleep(3600)
        await asyncio.sleep(pause)
        chunk = pending.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"host", b"test")],
        "client": ("203.0.113.9", 1234),
        "server": ("test", 80),
    }
    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, orjson.loads(body), len(chunks) - len(pending)


async def test_a_body_that_comes_too_slowly_is_cut_off(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_body, "BODY_SECONDS", 0.2)
    status, body, _ = await call(runtime, [b'{"query": "{ viewer', b' { context } }"}'], pause=0.5)
    assert status == 408
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_oversized_body_is_refused_as_it_arrives(runtime: Runtime) -> None:
    """No content-length: the cap applies while the chunks arrive, nothing is buffered past it."""
    chunk = b" " * 300_000
    status, body, read = await call(
        runtime, [b'{"query": "{ viewer { context } }"', *[chunk] * 30, b"}"]
    )
    assert status == 413
    assert read <= 5  # stopped just past 1 MB, not after all 9 MB
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_request_that_runs_too_long_is_stopped(
    api: Api, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Slow:
        async def execute(self, *args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(5)

    monkeypatch.setattr(
        runtime, "settings", dataclasses.replace(runtime.settings, request_timeout_seconds=0.1)
    )
    monkeypatch.setattr(graphql_route, "role_schema", lambda *args, **kwargs: Slow())
    response = await api.http.post("/graphql", json={"query": "{ viewer { context } }"})
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
