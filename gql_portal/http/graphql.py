"""`POST /graphql`: one operation, run in the schema of the viewer's role.

The endpoint reads top to bottom: the Origin fence (before the body is even read), the operation
(body.py), the viewer (session.py), the operation run under the request deadline, then the
answer: errors coded or masked, the cost, 429 when a budget refused, the session cookie.
A GET is GraphiQL for a browser and 405 for anything else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import ExecutionResult

from gql_portal import graphiql
from gql_portal.auth import access_for_token
from gql_portal.budgets import Refusal
from gql_portal.context import RequestContext
from gql_portal.errors import TOKEN_LIMIT_MESSAGE, Code, client_message, coded_extensions
from gql_portal.http import origin
from gql_portal.http.body import BadRequest, Operation, read_operation
from gql_portal.http.responses import json_response, request_error, request_id_of
from gql_portal.http.session import apply_cookie_change, session_ended, session_token
from gql_portal.observability import exception_summary, observe_request
from gql_portal.resolvers.audit import flush_partner_reads
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.schema.limits import COST_KEY, MAX_COST, MAX_TOKENS, REFUSAL_KEY

log = logging.getLogger("gql_portal.http")


async def graphql_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = request_id_of(request)
    if request.method == "GET":
        if "text/html" in request.headers.get("accept", ""):
            return await graphiql.graphiql_page(request)
        return request_error(405, Code.BAD_USER_INPUT, "Send operations with POST.", request_id)
    # A second fence behind SameSite and the CORS preflight (before the body is even read).
    if (cross_site := origin.cross_site_refusal(request, runtime.settings)) is not None:
        return request_error(403, Code.FORBIDDEN, cross_site, request_id)
    try:
        operation = await read_operation(request)
    except BadRequest as refused:
        return request_error(refused.status, Code.BAD_USER_INPUT, refused.message, request_id)

    started = time.perf_counter()
    token = session_token(request)
    access = await access_for_token(runtime, token)
    if token and not access.signed_in:
        return session_ended(request, token, request_id)
    context = RequestContext(
        runtime=runtime,
        access=access,
        request_id=request_id,
        client_address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
        session_token=token if access.signed_in else None,
    )
    try:
        result = await execute(operation, context)
    except TimeoutError:
        log.warning("request %s timed out", request_id)
        return request_error(
            503, Code.TIMEOUT, "The request took too long and was stopped.", request_id
        )
    await flush_partner_reads(context)
    return answer(result, operation, context, seconds=time.perf_counter() - started)


async def execute(operation: Operation, context: RequestContext) -> ExecutionResult:
    """The operation, run in the schema of the viewer's role. A request that runs too long is
    cut off with TimeoutError (its transaction rolls back) rather than holding the worker."""
    settings = context.settings
    schema = role_schema(context.access.role, suggestions=settings.mode == "development")
    async with asyncio.timeout(settings.request_timeout_seconds):
        return await schema.execute(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.operation_name,
        )


def answer(
    result: ExecutionResult, operation: Operation, context: RequestContext, seconds: float
) -> Response:
    """The JSON answer (errors formatted, the cost), observed; 429 with `retry-after` when a
    cost budget refused; the session cookie an operation set or ended."""
    request_id = context.request_id
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [format_error(error, request_id) for error in result.errors]
    body["extensions"] = {"requestId": request_id}
    cost = context.cache.get(COST_KEY)
    if cost is not None:
        body["extensions"]["cost"] = {"requested": cost, "limit": MAX_COST}
    observe_request(
        request_id=request_id,
        access=context.access,
        operation_name=operation.operation_name,
        document=operation.query,
        seconds=seconds,
        cost=cost,
        error_codes=[e["extensions"]["code"] for e in body.get("errors", [])],
    )
    headers = {"x-request-id": request_id}
    status = 200
    refusal: Refusal | None = context.cache.get(REFUSAL_KEY)
    if refusal is not None:
        status = 429
        headers["retry-after"] = str(refusal.retry_after_seconds)
    response = json_response(body, status, headers)
    if context.cookie is not None:
        apply_cookie_change(response, context.settings, context.cookie)
    return response


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
