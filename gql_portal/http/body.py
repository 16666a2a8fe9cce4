"""Reading a request within its limits, and the GraphQL operations it carries.

A JSON body is read as it arrives, refused as soon as it passes 1 MB (never buffered past that)
or when it comes slower than `BODY_SECONDS`; a multipart upload is read by uploads.py; a GET
carries its operation in the URL's query string. The outcome is `Operations` (one, or a batch:
a JSON array of at most `max_batch`, refused as a whole before any work when longer), or a
`BadRequest` that says why not (code BAD_USER_INPUT).
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
    """A body that carries no operation we run: answered with `status`, code BAD_USER_INPUT
    (`extra`: more extensions, such as the `reason` and `limit` of a batch too large)."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass(frozen=True)
class Operation:
    """One GraphQL operation as sent (uploads already in their places among the variables)."""

    # None when only a persisted query's hash was sent (persisted.py fills it in).
    query: str | None
    variables: dict[str, Any] | None
    operation_name: str | None
    # The body's size in bytes (for a multipart upload: at most the operation fields' limit).
    body_size: int
    extensions: dict[str, Any] | None = None
    # A trusted document named instead of sent (http/trusted.py): `documentId` (GraphQL over
    # HTTP), or Relay's `doc_id` / `id`.
    document_id: str | None = None


@dataclass(frozen=True)
class Operations:
    """What one request carries: its operations, and whether they came as a batch (a JSON
    array, answered with an array in the same order)."""

    items: list[Operation]
    batched: bool = False


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


async def read_operations(request: Request, max_batch: int) -> Operations:
    """The operations of a POST to /graphql. Raises BadRequest."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        # File uploads (GraphQL multipart request spec, up to 11 MB); a plain HTML form cannot
        # send one: read_multipart requires a preflight-forcing header.
        try:
            payload = await uploads.read_multipart(request)
        except uploads.MultipartError as error:
            raise BadRequest(error.status, error.message) from None
        # At most; the variables are measured below if it matters.
        return Operations([_operation(payload, uploads.MAX_OPERATIONS_BYTES)])
    if content_type == "application/json":
        body = await _read_json_body(request)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise BadRequest(400, "The body is not valid JSON.") from None
        if isinstance(payload, list):
            return _batch(payload, len(body), max_batch)
        return Operations([_operation(payload, len(body))])
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


def _batch(payload: list[Any], body_size: int, max_batch: int) -> Operations:
    """A JSON array of operations, refused as a whole (before any runs) when it is empty, longer
    than `max_batch`, or when one of them is malformed."""
    if not payload:
        raise BadRequest(400, "A batch needs at least one operation.", reason="EMPTY_BATCH")
    if len(payload) > max_batch:
        raise BadRequest(
            400,
            f"A batch may hold at most {max_batch} operations.",
            reason="BATCH_TOO_LARGE",
            limit=max_batch,
        )
    items = []
    for index, item in enumerate(payload):
        try:
            items.append(_operation(item, body_size))
        except BadRequest as refused:
            raise BadRequest(
                refused.status, f"Operation {index} of the batch: {refused.message}", index=index
            ) from None
    return Operations(items, batched=True)


def operation_from_url(request: Request) -> Operation:
    """The operation of a GET to /graphql: `query`, `operationName`, and `variables` and
    `extensions` as JSON, in the URL's query string (an empty value counts as absent)."""
    params = request.query_params
    payload: dict[str, Any] = {
        name: params.get(name) or None for name in ("query", "operationName", *DOCUMENT_ID_NAMES)
    }
    for name in ("variables", "extensions"):
        if text := params.get(name):
            try:
                payload[name] = orjson.loads(text)
            except orjson.JSONDecodeError:
                raise BadRequest(400, f"{name} must be JSON.") from None
    return _operation(payload, len(request.url.query))


def _operation(payload: Any, body_size: int) -> Operation:
    if not isinstance(payload, dict):
        raise BadRequest(400, "Send an operation as a JSON object (or a batch as an array).")
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise BadRequest(400, "extensions must be an object.")
    # A query sent as text wins: ids are read only without one (some clients send an `id` along).
    document_id = _document_id(payload) if query is None else None
    persisted = (extensions is not None and "persistedQuery" in extensions) or document_id
    if not (isinstance(query, str) and query.strip()) and not (persisted and query is None):
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
    return Operation(query, variables, operation_name, body_size, extensions, document_id)


# Where clients put a document's id: the GraphQL-over-HTTP persisted-documents appendix, then
# Relay's two spellings (its network layer examples send `doc_id`; some send `id`).
DOCUMENT_ID_NAMES = ("documentId", "doc_id", "id")
MAX_DOCUMENT_ID = 200


def _document_id(payload: dict[str, Any]) -> str | None:
    for name in DOCUMENT_ID_NAMES:
        value = payload.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value or len(value) > MAX_DOCUMENT_ID:
            raise BadRequest(
                400, f"{name} must be a document id of 1 to {MAX_DOCUMENT_ID} characters."
            )
        return value
    return None
