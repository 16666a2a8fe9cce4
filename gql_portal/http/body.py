"""Reading a request body within its limits, and the one GraphQL operation it carries.

A JSON body is read as it arrives, refused as soon as it passes 1 MB (never buffered past that)
or when it comes slower than `BODY_SECONDS`; a multipart upload is read by uploads.py. Either way
the outcome is one `Operation`, or a `BadRequest` that says why not (code BAD_USER_INPUT).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from gql_portal.http import uploads

MAX_BODY_BYTES = 1_000_000
MAX_VARIABLES_BYTES = 100_000
BODY_SECONDS = 10.0  # a client that sends its body slower than this cannot hold a worker


class BadRequest(Exception):
    """A body that carries no operation we run: answered with `status`, code BAD_USER_INPUT."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Operation:
    """One GraphQL operation as sent (uploads already in their places among the variables)."""

    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    # The body's size in bytes (for a multipart upload: at most the operation fields' limit).
    body_size: int


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, read as it arrives; None as soon as it is over `limit` (never buffered)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def read_operation(request: Request) -> Operation:
    """The operation of a POST to /graphql. Raises BadRequest."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        # File uploads (GraphQL multipart request spec, up to 11 MB); a plain HTML form cannot
        # send one: read_multipart requires a preflight-forcing header.
        try:
            payload = await uploads.read_multipart(request)
        except uploads.MultipartError as error:
            raise BadRequest(error.status, error.message) from None
        # At most; the variables are measured below if it matters.
        return _operation(payload, uploads.MAX_OPERATIONS_BYTES)
    if content_type == "application/json":
        body = await _read_json_body(request)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadRequest(400, "The body is not valid JSON.") from None
        return _operation(payload, len(body))
    # Only JSON bodies (and multipart uploads with a preflight header): a plain HTML form
    # (no preflight) cannot run an operation.
    raise BadRequest(
        415, "Content-Type must be application/json (multipart/form-data for file uploads)."
    )


async def _read_json_body(request: Request) -> bytes:
    try:
        async with asyncio.timeout(BODY_SECONDS):
            body = await read_body(request, MAX_BODY_BYTES)
    except TimeoutError:
        raise BadRequest(408, "The request body came too slowly.") from None
    if body is None:
        raise BadRequest(413, "The request body is too large.")
    if b"\\u0000" in body or b"\x00" in body:
        # PostgreSQL cannot store NUL in text, and no field of ours has a use for it.
        raise BadRequest(400, "Text must not contain NUL (U+0000).")
    return body


def _operation(payload: Any, body_size: int) -> Operation:
    if not isinstance(payload, dict):
        raise BadRequest(400, "Send one operation as a JSON object (no batching).")
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    if not isinstance(query, str) or not query.strip():
        raise BadRequest(400, "The body needs a query string.")
    if variables is not None and not isinstance(variables, dict):
        raise BadRequest(400, "variables must be an object.")
    # No input of ours is anywhere near this (files come as multipart uploads); the size is
    # only measured when the body could hold that much.
    if (
        variables
        and body_size > MAX_VARIABLES_BYTES
        and len(orjson.dumps(variables, default=lambda upload: None)) > MAX_VARIABLES_BYTES
    ):
        raise BadRequest(413, "The variables are too large.")
    if operation_name is not None and not isinstance(operation_name, str):
        raise BadRequest(400, "operationName must be a string.")
    return Operation(query, variables, operation_name, body_size)
