"""`/graphql`: operations by POST (one, or a batch) and queries by GET, each run in the schema
of the viewer's role.

The endpoint reads top to bottom: the answer's media type (negotiation.py), the Origin fence
(before the body is even read), the operations (body.py: a JSON body, a batch, a multipart
upload, or a GET's URL), the viewer (session.py), the operations run in order under the request
deadline, then the answer: errors coded or masked, the cost, 429 when a budget refused, the
session cookie. Each operation of a batch is limited, costed and budgeted as if sent alone.
A GET without an operation from a browser is GraphiQL; a mutation by GET is 405 (`Allow: POST`);
a subscription runs over WebSocket only (http/live.py): by POST it is refused (400), by GET 405.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql_portal import graphiql
from gql_portal.auth import access_for_token
from gql_portal.budgets import Refusal
from gql_portal.config import Settings
from gql_portal.context import CookieToSet, RequestContext
from gql_portal.errors import Code
from gql_portal.http import origin
from gql_portal.http.body import (
    DOCUMENT_ID_NAMES,
    BadRequest,
    Operation,
    Operations,
    operation_from_url,
    read_operations,
)
from gql_portal.http.negotiation import GRAPHQL_RESPONSE_JSON, response_media_type
from gql_portal.http.persisted import (
    PersistedQueries,
    PersistedQueryProblem,
    remember,
    with_document,
)
from gql_portal.http.responses import format_error, json_response, request_error, request_id_of
from gql_portal.http.session import apply_cookie_change, session_ended, session_token
from gql_portal.http.trusted import TrustedDocuments
from gql_portal.observability import observe_request
from gql_portal.permissions.access import Access
from gql_portal.resolvers.audit import flush_partner_reads
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.schema.limits import COST_KEY, MAX_COST, REFUSAL_KEY

log = logging.getLogger("gql_portal.http")

QUERIES_ONLY = (OperationType.QUERY,)
# Subscriptions run over WebSocket (http/live.py); over HTTP they are refused, never executed.
QUERIES_AND_MUTATIONS = (OperationType.QUERY, OperationType.MUTATION)
SUBSCRIPTIONS_BY_WEBSOCKET = (
    "Subscriptions run over WebSocket (the graphql-transport-ws protocol on /graphql), not over "
    "HTTP."
)
# Starlette answers HEAD wherever GET is routed: both read the operation from the URL and may
# run queries only.
SAFE_METHODS = ("GET", "HEAD")
# A GET's answer depends on these request headers (for any cache on the way).
GET_VARY = "Accept, Authorization, Cookie"


class NotAQueryByGet(Exception):
    """A GET asked for a mutation or a subscription: answered 405 with `Allow: POST`, nothing
    run."""

    def __init__(self, operation_type: OperationType) -> None:
        super().__init__(operation_type.value)
        self.operation_type = operation_type


@dataclass
class Outcome:
    """One operation's answer, before it is put into the HTTP response (alone or in a batch)."""

    body: dict[str, Any]
    status: int = 200
    retry_after: int | None = None
    cookie: CookieToSet | None = None


async def graphql_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = request_id_of(request)
    if request.method in SAFE_METHODS and _wants_graphiql(request):
        return await graphiql.graphiql_page(request)
    media_type = response_media_type(request.headers.get("accept"))
    if media_type is None:
        return request_error(
            406,
            Code.BAD_USER_INPUT,
            "Accept application/graphql-response+json or application/json.",
            request_id,
            reason="NOT_ACCEPTABLE",
        )
    # A second fence behind SameSite and the CORS preflight (before the body is even read).
    if (cross_site := origin.cross_site_refusal(request, runtime.settings)) is not None:
        return request_error(403, Code.FORBIDDEN, cross_site, request_id)
    try:
        operations = await _operations_of(request, runtime.settings)
    except BadRequest as refused:
        return request_error(
            refused.status, Code.BAD_USER_INPUT, refused.message, request_id, **refused.extra
        )
    token = session_token(request)
    access = await access_for_token(runtime, token)
    if token and not access.signed_in:
        return session_ended(request, token, request_id)
    try:
        async with asyncio.timeout(runtime.settings.request_timeout_seconds):
            outcomes = [
                await run(operation, request, access, token, media_type)
                for operation in operations.items
            ]
    except TimeoutError:
        log.warning("request %s timed out", request_id)
        return request_error(
            503, Code.TIMEOUT, "The request took too long and was stopped.", request_id
        )
    except NotAQueryByGet as refused:
        if refused.operation_type is OperationType.SUBSCRIPTION:
            message, reason = SUBSCRIPTIONS_BY_WEBSOCKET, "SUBSCRIPTION_OVER_HTTP"
        else:
            message = "Mutations are sent with POST; GET runs queries only."
            reason = "MUTATION_BY_GET"
        return request_error(
            405, Code.BAD_USER_INPUT, message, request_id, headers={"allow": "POST"}, reason=reason
        )
    return respond(outcomes, operations.batched, media_type, request)


def _wants_graphiql(request: Request) -> bool:
    """A browser opening /graphql (no operation in the URL): the GraphiQL page."""
    params = request.query_params
    asks_operation = any(name in params for name in ("query", "extensions", *DOCUMENT_ID_NAMES))
    return not asks_operation and "text/html" in request.headers.get("accept", "")


async def _operations_of(request: Request, settings: Settings) -> Operations:
    if request.method in SAFE_METHODS:
        return Operations([operation_from_url(request)])
    return await read_operations(request, settings.max_batch)


def persisted_queries(request: Request) -> PersistedQueries:
    store: PersistedQueries = request.app.state.persisted_queries
    return store


def trusted_documents(request: Request) -> TrustedDocuments | None:
    """The trusted-documents manifest when that mode is on (http/trusted.py), else None."""
    trusted: TrustedDocuments | None = getattr(request.app.state, "trusted_documents", None)
    return trusted


async def run(
    operation: Operation, request: Request, access: Access, token: str | None, media_type: str
) -> Outcome:
    """One operation, as if it had been sent alone: its own context (cost, budget charge,
    allowances), its persisted document looked up or remembered. Raises NotAQueryByGet."""
    context = RequestContext(
        runtime=request.app.state.runtime,
        access=access,
        request_id=request_id_of(request),
        client_address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
        session_token=token if access.signed_in else None,
    )
    started = time.perf_counter()
    store = persisted_queries(request)
    trusted = trusted_documents(request)
    try:
        operation = with_document(operation, store, trusted)
    except PersistedQueryProblem as problem:
        return problem_outcome(problem, operation, context, time.perf_counter() - started)
    by_get = request.method in SAFE_METHODS
    allowed = QUERIES_ONLY if by_get else QUERIES_AND_MUTATIONS
    try:
        result = await execute(operation, context, allowed)
    except InvalidOperationTypeError as refused:
        if by_get:
            raise NotAQueryByGet(refused.operation_type) from None
        return subscription_outcome(operation, context, time.perf_counter() - started)
    await flush_partner_reads(context)
    if not is_request_error(result):
        remember(operation, store, trusted)
    return outcome(result, operation, context, time.perf_counter() - started, media_type)


async def execute(
    operation: Operation,
    context: RequestContext,
    allowed: tuple[OperationType, ...] | None = None,
) -> ExecutionResult:
    """The operation, run in the schema of the viewer's role (`allowed`: the operation types a
    GET may run). The endpoint cuts a request that runs too long off with TimeoutError (its
    transaction rolls back) rather than letting it hold the worker."""
    settings = context.settings
    schema = role_schema(context.access.role, suggestions=settings.mode == "development")
    return await schema.execute(
        operation.query,
        variable_values=operation.variables,
        context_value=context,
        operation_name=operation.operation_name,
        allowed_operation_types=allowed,
    )


def is_request_error(result: ExecutionResult) -> bool:
    """A document that did not parse, validate, fit the limits or the budget, or whose
    variables did not coerce: nothing ran (no data, and no error has a path into it)."""
    return result.data is None and all(not error.path for error in result.errors or [])


def outcome(
    result: ExecutionResult,
    operation: Operation,
    context: RequestContext,
    seconds: float,
    media_type: str,
) -> Outcome:
    """The answer of an operation run (errors formatted, the cost), observed. Under
    `application/graphql-response+json` a request error has no `data` and status 400 (500 when
    masked); a spent cost budget is 429 with its wait either way."""
    request_id = context.request_id
    request_error = is_request_error(result)
    spec_statuses = media_type == GRAPHQL_RESPONSE_JSON
    body: dict[str, Any] = {} if spec_statuses and request_error else {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(error, request_id) for error in result.errors]
    body["extensions"] = {"requestId": request_id}
    cost = context.cache.get(COST_KEY)
    if cost is not None:
        body["extensions"]["cost"] = {"requested": cost, "limit": MAX_COST}
    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
    observe_request(
        request_id=request_id,
        access=context.access,
        operation_name=operation.operation_name,
        document=operation.query,
        seconds=seconds,
        cost=cost,
        error_codes=codes,
    )
    refusal: Refusal | None = context.cache.get(REFUSAL_KEY)
    if refusal is not None:
        return Outcome(body, 429, refusal.retry_after_seconds, context.cookie)
    status = 200
    if spec_statuses and request_error:
        status = 500 if Code.INTERNAL_SERVER_ERROR.value in codes else 400
    return Outcome(body, status, None, context.cookie)


def problem_outcome(
    problem: PersistedQueryProblem, operation: Operation, context: RequestContext, seconds: float
) -> Outcome:
    """A persisted query that could not run: unknown hash (200, for Apollo's link) or a bad one."""
    return refused_outcome(
        problem.message, problem.extensions, problem.status, None, operation, context, seconds
    )


def subscription_outcome(operation: Operation, context: RequestContext, seconds: float) -> Outcome:
    """A subscription sent by POST: nothing runs; 400 under either media type (the operation
    is refused before execution, as a batch too long is), the error saying where to send it."""
    extensions = {"code": Code.BAD_USER_INPUT.value, "reason": "SUBSCRIPTION_OVER_HTTP"}
    return refused_outcome(
        SUBSCRIPTIONS_BY_WEBSOCKET, extensions, 400, operation.query, operation, context, seconds
    )


def refused_outcome(
    message: str,
    extensions: Mapping[str, Any],
    status: int,
    document: str | None,
    operation: Operation,
    context: RequestContext,
    seconds: float,
) -> Outcome:
    """An operation refused before execution: one coded error, observed like any answer."""
    request_id = context.request_id
    observe_request(
        request_id=request_id,
        access=context.access,
        operation_name=operation.operation_name,
        document=document,
        seconds=seconds,
        cost=None,
        error_codes=[str(extensions["code"])],
    )
    body = {
        "errors": [{"message": message, "extensions": {**extensions, "requestId": request_id}}],
        "extensions": {"requestId": request_id},
    }
    return Outcome(body, status)


def respond(outcomes: list[Outcome], batched: bool, media_type: str, request: Request) -> Response:
    """The HTTP response: one operation's answer, or a batch's answers in order (200, unless
    every operation was refused by a budget: 429); the session cookie the operations set or
    ended, the last change winning."""
    request_id = request_id_of(request)
    headers = {"x-request-id": request_id}
    if request.method in SAFE_METHODS:
        headers["vary"] = GET_VARY
    waits = [o.retry_after for o in outcomes if o.retry_after is not None]
    if waits:
        headers["retry-after"] = str(max(waits))
    if batched:
        payload: Any = [o.body for o in outcomes]
        status = 429 if len(waits) == len(outcomes) else 200
    else:
        payload, status = outcomes[0].body, outcomes[0].status
    content_type = f"{media_type}; charset=utf-8" if media_type == GRAPHQL_RESPONSE_JSON else None
    response: Response
    if request.method in SAFE_METHODS and (etag := _etag(payload, status, media_type)):
        # A query's answer by GET (by a persisted hash: a short, stable URL) may be kept by the
        # caller's own cache (private: it is this viewer's), asked again each time (no-cache:
        # data changes) and answered 304 while unchanged.
        headers |= {"cache-control": "private, no-cache", "etag": etag}
        if etag in _tags(request.headers.get("if-none-match")):
            response = Response(status_code=304, headers=headers)
        else:
            response = json_response(payload, status, headers, content_type or media_type)
    else:
        if request.method in SAFE_METHODS:
            headers["cache-control"] = "no-store"
        response = json_response(payload, status, headers, media_type=content_type or media_type)
    runtime: Runtime = request.app.state.runtime
    for cookie in (o.cookie for o in outcomes if o.cookie is not None):
        apply_cookie_change(response, runtime.settings, cookie)
    return response


def _etag(payload: Any, status: int, media_type: str) -> str | None:
    """A validator for a GET's answer without errors: its data and media type (the request
    id differs on every answer); None for anything else (not cached: `no-store`)."""
    if status != 200 or not isinstance(payload, dict) or "errors" in payload:
        return None
    digest = hashlib.sha256(orjson.dumps(payload.get("data")) + media_type.encode())
    return f'W/"{digest.hexdigest()[:32]}"'


def _tags(if_none_match: str | None) -> set[str]:
    return {tag.strip() for tag in (if_none_match or "").split(",") if tag.strip()}
