"""Every HTTP answer carries a request id, and every error outside GraphQL's own is coded JSON.

`CodedErrors` (an ASGI middleware just inside `SecurityHeaders`) gives each request one id (the
caller's `x-request-id` when it is a plain token, else a new one), kept in the scope's state so
that the endpoints' errors (`request_id_of`) and the answer's `x-request-id` header agree. It
turns the framework's own plain-text 4xx answers (an unknown path, a wrong method with its
`Allow`, a static file's malformed `Range`, a refused CORS preflight) into the same JSON shape as
`app.request_error`, and answers an exception that escaped an endpoint with a masked 500, logged
with the request id. Answers an endpoint made on purpose (JSON, HTML, GraphiQL's 503 with its
set-up instructions) pass unchanged.
"""

from __future__ import annotations

import logging
import re
import uuid
from http import HTTPStatus
from typing import Any

import orjson
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_portal.errors import Code

log = logging.getLogger("gql_portal.http")

# A caller's request id is kept only when it is a plain token (it goes into logs and headers).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_STATE_KEY = "request_id"
# The framework's error texts are short; a longer body is not read into the message.
_MAX_TEXT_BYTES = 512

_CODES = {
    401: Code.UNAUTHENTICATED,
    403: Code.FORBIDDEN,
    404: Code.NOT_FOUND,
    408: Code.TIMEOUT,
    429: Code.RATE_LIMITED,
}
_MESSAGES = {
    401: "Sign in first.",
    403: "Not allowed.",
    404: "Nothing here: no such path or file.",
}


def request_id(scope: Scope) -> str:
    """This request's id: the caller's `x-request-id` if it is a plain token of at most 64
    characters, else a new one; the same for the whole request."""
    state: dict[str, Any] = scope.setdefault("state", {})
    known = state.get(_STATE_KEY)
    if isinstance(known, str):
        return known
    given = HTTPConnection(scope).headers.get("x-request-id", "")
    chosen = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    state[_STATE_KEY] = chosen
    return chosen


def code_for(status: int) -> Code:
    if status >= 500:
        return Code.INTERNAL_SERVER_ERROR
    return _CODES.get(status, Code.BAD_USER_INPUT)


def error_body(code: Code, message: str, request_id: str) -> bytes:
    """The one shape of an HTTP-level error (`app.request_error` answers it too)."""
    return orjson.dumps(
        {
            "errors": [
                {"message": message, "extensions": {"code": code.value, "requestId": request_id}}
            ]
        }
    )


def _message(status: int, method: str, allow: str | None, text: str) -> str:
    if status == 405:
        allowed = f" (allowed: {allow})" if allow else ""
        return f"This path does not answer {method}{allowed}."
    if status in _MESSAGES:
        return _MESSAGES[status]
    # The framework's own short reason (e.g. "Range header: start must be less than end").
    if text and text.isprintable():
        return text
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return "The request was refused."


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _is_rewritten(status: int, headers: list[tuple[bytes, bytes]]) -> bool:
    """A framework-made 4xx (plain text or no body) rather than an endpoint's own answer."""
    if not 400 <= status < 500:
        return False
    content_type = (_header(headers, b"content-type") or "").lower()
    return not content_type.startswith(("application/json", "text/html"))


class CodedErrors:
    """See the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id_ = request_id(scope)
        id_header = (b"x-request-id", request_id_.encode("ascii"))
        started = False
        held: Message | None = None  # a framework error's start, answered once its body is read
        held_text = b""

        async def send_coded(status: int, message: str, headers: list[tuple[bytes, bytes]]) -> None:
            body = error_body(code_for(status), message, request_id_)
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        *headers,
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode("ascii")),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})

        async def send_with_id(message: Message) -> None:
            nonlocal started, held, held_text
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                if _header(headers, b"x-request-id") is None:
                    headers.append(id_header)
                if _is_rewritten(message["status"], headers):
                    held = {**message, "headers": headers}
                    return
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and held is not None:
                held_text += message.get("body", b"")[: _MAX_TEXT_BYTES - len(held_text)]
                if message.get("more_body", False):
                    return
                status: int = held["status"]
                kept = [
                    (name, value)
                    for name, value in held["headers"]
                    if name.lower() not in (b"content-type", b"content-length")
                ]
                text = held_text.decode("utf-8", "replace").strip()
                method = str(scope.get("method", ""))
                await send_coded(
                    status, _message(status, method, _header(kept, b"allow"), text), kept
                )
                return
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception(
                "unexpected error answering %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                request_id_,
            )
            if started:
                raise  # part of an answer is out: the server can only close the connection
            await send_coded(500, "Internal server error", [id_header])
