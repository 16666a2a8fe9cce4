"""The shapes every HTTP answer shares: the request id, JSON bodies, coded errors, and the security
headers.

A request has one id (the caller's `x-request-id` when it is a plain token, else a new one), kept
in the scope's state, so that an endpoint's errors, the `CodedErrors` middleware (errors.py) and
the answer's `x-request-id` header agree. An HTTP-level error (anything that is not GraphQL's own
`errors` of an executed operation) has one shape, `error_body`.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_portal.errors import TOKEN_LIMIT_MESSAGE, Code, client_message, coded_extensions
from gql_portal.observability import exception_summary
from gql_portal.schema.limits import MAX_TOKENS

log = logging.getLogger("gql_portal.http")

# A caller's request id is kept only when it is a plain token (it goes into logs and headers).
_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
_STATE_KEY = "request_id"

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


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


def request_id_of(request: Request) -> str:
    """The request's id, as `request_id` gives it for the request's scope."""
    return request_id(request.scope)


def error_body(code: Code, message: str, request_id: str, **extra: Any) -> bytes:
    """The one shape of an HTTP-level error (`extra`: more extensions, such as a `reason`)."""
    extensions = {"code": code.value, **extra, "requestId": request_id}
    return orjson.dumps({"errors": [{"message": message, "extensions": extensions}]})


def json_response(
    payload: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    media_type: str = "application/json",
) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type=media_type, headers=headers
    )


def request_error(
    status: int,
    code: Code,
    message: str,
    request_id: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An HTTP-level error answer (`error_body`), with the request id in its header too."""
    return Response(
        error_body(code, message, request_id, **extra),
        status_code=status,
        media_type="application/json",
        headers={"x-request-id": request_id, **(headers or {})},
    )


class SecurityHeaders:
    """Adds the security headers to every response (an endpoint's own values win)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in SECURITY_HEADERS if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """Coded errors pass through; anything unexpected is masked (no stack, SQL or paths)."""
    extensions = coded_extensions(error)
    if extensions is not None:
        if error.message.startswith(TOKEN_LIMIT_MESSAGE):
            extensions["limit"] = MAX_TOKENS
        formatted = error.formatted
        formatted["message"] = client_message(error)  # never quoting a refused value
        formatted["extensions"] = {**extensions, "requestId": request_id}
        return dict(formatted)
    # The exception's types and frames only: its message can quote the input (SQL parameters,
    # values sent), and nothing a client sends may reach the log.
    log.error(
        "unexpected error in %s (request %s)\n%s",
        error.path,
        request_id,
        exception_summary(error.original_error),
    )
    masked: dict[str, Any] = {
        "message": "Internal server error",
        "extensions": {"code": Code.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    }
    if error.path:
        masked["path"] = error.path
    return masked
