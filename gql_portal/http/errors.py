"""Every HTTP answer carries a request id, and every error outside GraphQL's own is coded JSON.

`CodedErrors` (an ASGI middleware just inside `SecurityHeaders`) gives each request its id
(`responses.request_id`) and puts it in the answer's `x-request-id` header. It turns the
framework's own plain-text 4xx answers (an unknown path, a wrong method with its `Allow`, a
static file's malformed `Range`, a refused CORS preflight) into the same JSON shape as
`responses.request_error`, and answers an exception that escaped an endpoint with a masked 500,
logged with the request id. Answers an endpoint made on purpose (JSON, HTML, GraphiQL's 503 with
its set-up instructions) pass unchanged.
"""

from __future__ import annotations

import logging
from http import HTTPStatus

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_portal.errors import Code
from gql_portal.http.responses import error_body, request_id

log = logging.getLogger("gql_portal.http")

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


def code_for(status: int) -> Code:
    if status >= 500:
        return Code.INTERNAL_SERVER_ERROR
    return _CODES.get(status, Code.BAD_USER_INPUT)


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
    return not content_type.startswith(
        ("application/json", "application/graphql-response+json", "text/html")
    )


class CodedErrors:
    """See the module's docstring."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer = _Answer(scope, send)
        try:
            await self.app(scope, receive, answer.send_with_id)
        except Exception:
            log.exception(
                "unexpected error answering %s %s (request %s)",
                scope.get("method"),
                scope.get("path"),
                answer.request_id,
            )
            if answer.started:
                raise  # part of an answer is out: the server can only close the connection
            await answer.send_coded(500, "Internal server error", [answer.id_header])


class _Answer:
    """One request's answer on its way out: every start carries the request id; a framework
    error's start is held until its body is read, then answered as a coded error."""

    def __init__(self, scope: Scope, send: Send) -> None:
        self.scope = scope
        self.send = send
        self.request_id = request_id(scope)
        self.id_header = (b"x-request-id", self.request_id.encode("ascii"))
        self.started = False
        self.held: Message | None = (
            None  # a framework error's start, answered once its body is read
        )
        self.held_text = b""

    async def send_coded(
        self, status: int, message: str, headers: list[tuple[bytes, bytes]]
    ) -> None:
        body = error_body(code_for(status), message, self.request_id)
        await self.send(
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
        await self.send({"type": "http.response.body", "body": body})

    async def send_with_id(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            headers = list(message.get("headers", []))
            if _header(headers, b"x-request-id") is None:
                headers.append(self.id_header)
            if _is_rewritten(message["status"], headers):
                self.held = {**message, "headers": headers}
                return
            message = {**message, "headers": headers}
        elif message["type"] == "http.response.body" and self.held is not None:
            await self._answer_held(self.held, message)
            return
        await self.send(message)

    async def _answer_held(self, held: Message, message: Message) -> None:
        """Read the held error's body (its text, up to a limit); at its end, answer it coded."""
        self.held_text += message.get("body", b"")[: _MAX_TEXT_BYTES - len(self.held_text)]
        if message.get("more_body", False):
            return
        status: int = held["status"]
        kept = [
            (name, value)
            for name, value in held["headers"]
            if name.lower() not in (b"content-type", b"content-length")
        ]
        text = self.held_text.decode("utf-8", "replace").strip()
        method = str(self.scope.get("method", ""))
        await self.send_coded(status, _message(status, method, _header(kept, b"allow"), text), kept)
