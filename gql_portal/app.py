"""The ASGI application: authentication, per-role schema selection, and the GraphQL endpoint."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import orjson
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql_portal import files, graphiql, origin, pages, uploads
from gql_portal.auth import SESSION_COOKIE, access_for_token
from gql_portal.budgets import Refusal
from gql_portal.context import RequestContext
from gql_portal.db.migrate import pending_revisions
from gql_portal.errors import TOKEN_LIMIT_MESSAGE, Code, client_message, coded_extensions
from gql_portal.http_errors import CodedErrors
from gql_portal.observability import exception_summary, metrics, observe_request
from gql_portal.resolvers.audit import flush_partner_reads
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.schema.limits import COST_KEY, MAX_COST, MAX_TOKENS, REFUSAL_KEY

log = logging.getLogger("gql_portal.http")

MAX_BODY_BYTES = 1_000_000
MAX_VARIABLES_BYTES = 100_000
BODY_SECONDS = 10.0  # a client that sends its body slower than this cannot hold a worker


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


# What a configured frontend may send cross-origin: JSON, a bearer token, and the headers that
# make multipart uploads preflighted (uploads.py).
CORS_REQUEST_HEADERS = [
    "content-type",
    "authorization",
    "graphql-preflight",
    "apollo-require-preflight",
    "x-request-id",
]

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(payload), status_code=status, media_type="application/json", headers=headers
    )


def request_error(status: int, code: Code, message: str, request_id: str) -> Response:
    body = {
        "errors": [
            {"message": message, "extensions": {"code": code.value, "requestId": request_id}}
        ]
    }
    return json_response(body, status, {"x-request-id": request_id})


def session_ended(request: Request, token: str, request_id: str) -> Response:
    """A request that presents a dead session (logged out, expired, revoked, or a user removed)
    is told so with 401, never run as anonymous: a client would otherwise see its fields vanish
    ("Cannot query field ...") instead of "log in again". A dead cookie is deleted with the
    answer, so a browser's next request is anonymous on purpose."""
    response = request_error(
        401,
        Code.UNAUTHENTICATED,
        "Your session has ended (logged out, expired or revoked): log in again.",
        request_id,
    )
    response.headers["www-authenticate"] = 'Bearer error="invalid_token"'
    if request.cookies.get(SESSION_COOKIE) == token:  # not a live cookie beside a dead bearer
        runtime: Runtime = request.app.state.runtime
        secure = runtime.settings.production or runtime.settings.public_url.startswith("https")
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure)
    return response


def session_token(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(SESSION_COOKIE)


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


async def graphql_endpoint(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = files.request_id_of(request)
    if request.method == "GET":
        if "text/html" in request.headers.get("accept", ""):
            return await graphiql.graphiql_page(request)
        return request_error(405, Code.BAD_USER_INPUT, "Send operations with POST.", request_id)
    # A second fence behind SameSite and the CORS preflight (before the body is even read).
    if (cross_site := origin.cross_site_refusal(request, runtime.settings)) is not None:
        return request_error(403, Code.FORBIDDEN, cross_site, request_id)

    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        # File uploads (GraphQL multipart request spec, up to 11 MB); a plain HTML form cannot
        # send one: read_multipart requires a preflight-forcing header.
        try:
            payload = await uploads.read_multipart(request)
            body_size = uploads.MAX_OPERATIONS_BYTES  # at most; checked below if it matters
        except uploads.MultipartError as error:
            return request_error(error.status, Code.BAD_USER_INPUT, error.message, request_id)
    elif content_type == "application/json":
        try:
            async with asyncio.timeout(BODY_SECONDS):
                body = await read_body(request, MAX_BODY_BYTES)
        except TimeoutError:
            return request_error(
                408, Code.BAD_USER_INPUT, "The request body came too slowly.", request_id
            )
        if body is None:
            return request_error(
                413, Code.BAD_USER_INPUT, "The request body is too large.", request_id
            )
        if b"\\u0000" in body or b"\x00" in body:
            # PostgreSQL cannot store NUL in text, and no field of ours has a use for it.
            return request_error(
                400, Code.BAD_USER_INPUT, "Text must not contain NUL (U+0000).", request_id
            )
        body_size = len(body)
        try:
            payload = orjson.loads(body)
        except orjson.JSONDecodeError:
            return request_error(
                400, Code.BAD_USER_INPUT, "The body is not valid JSON.", request_id
            )
    else:
        # Only JSON bodies (and multipart uploads with a preflight header): a plain HTML form
        # (no preflight) cannot run an operation.
        return request_error(
            415,
            Code.BAD_USER_INPUT,
            "Content-Type must be application/json (multipart/form-data for file uploads).",
            request_id,
        )
    if not isinstance(payload, dict):
        return request_error(
            400,
            Code.BAD_USER_INPUT,
            "Send one operation as a JSON object (no batching).",
            request_id,
        )
    query = payload.get("query")
    variables = payload.get("variables")
    operation_name = payload.get("operationName")
    if not isinstance(query, str) or not query.strip():
        return request_error(400, Code.BAD_USER_INPUT, "The body needs a query string.", request_id)
    if variables is not None and not isinstance(variables, dict):
        return request_error(400, Code.BAD_USER_INPUT, "variables must be an object.", request_id)
    # No input of ours is anywhere near this (files come as multipart uploads); the size is
    # only measured when the body could hold that much.
    if (
        variables
        and body_size > MAX_VARIABLES_BYTES
        and len(orjson.dumps(variables, default=lambda upload: None)) > MAX_VARIABLES_BYTES
    ):
        return request_error(413, Code.BAD_USER_INPUT, "The variables are too large.", request_id)
    if operation_name is not None and not isinstance(operation_name, str):
        return request_error(
            400, Code.BAD_USER_INPUT, "operationName must be a string.", request_id
        )

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
    schema = role_schema(access.role, suggestions=runtime.settings.mode == "development")
    try:
        # A request that runs too long is cut off (its transaction rolls back) rather than
        # holding the worker.
        async with asyncio.timeout(runtime.settings.request_timeout_seconds):
            result = await schema.execute(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
            )
    except TimeoutError:
        log.warning("request %s timed out", request_id)
        return request_error(
            503, Code.TIMEOUT, "The request took too long and was stopped.", request_id
        )
    await flush_partner_reads(context)
    response_body: dict[str, Any] = {"data": result.data}
    if result.errors:
        response_body["errors"] = [format_error(error, request_id) for error in result.errors]
    response_body["extensions"] = {"requestId": request_id}
    cost = context.cache.get(COST_KEY)
    if cost is not None:
        response_body["extensions"]["cost"] = {"requested": cost, "limit": MAX_COST}
    observe_request(
        request_id=request_id,
        access=access,
        operation_name=operation_name,
        document=query,
        seconds=time.perf_counter() - started,
        cost=cost,
        error_codes=[e["extensions"]["code"] for e in response_body.get("errors", [])],
    )
    headers = {"x-request-id": request_id}
    status = 200
    refusal: Refusal | None = context.cache.get(REFUSAL_KEY)
    if refusal is not None:
        status = 429
        headers["retry-after"] = str(refusal.retry_after_seconds)
    response = json_response(response_body, status, headers)
    if context.cookie is not None:
        secure = runtime.settings.production or runtime.settings.public_url.startswith("https")
        if context.cookie.value is None:
            response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=secure)
        else:
            response.set_cookie(
                SESSION_COOKIE,
                context.cookie.value,
                max_age=context.cookie.max_age,
                httponly=True,
                samesite="lax",
                secure=secure,
            )
    return response


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


def _not_ready(request: Request, status: str) -> Response:
    """503 with the status a probe reads, and the coded error every other answer has."""
    request_id = files.request_id_of(request)
    error = {
        "message": f"Not ready: {status}.",
        "extensions": {"code": Code.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    }
    return json_response({"status": status, "errors": [error]}, 503, {"x-request-id": request_id})


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        if await pending_revisions(runtime.database):
            return _not_ready(request, "migrations pending")
    except Exception:
        log.exception("readiness check failed")
        return _not_ready(request, "database unreachable")
    return json_response({"status": "ready"})


class SecurityHeaders:
    """Adds the security headers to every response."""

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


def cors_middleware(runtime: Runtime) -> list[Middleware]:
    """Only the configured frontends may call us from a browser, with the session cookie."""
    if not runtime.settings.cors_origins:
        return []
    return [
        Middleware(
            CORSMiddleware,
            allow_origins=list(runtime.settings.cors_origins),
            allow_credentials=True,
            allow_methods=["GET", "POST"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=["x-request-id", "retry-after"],
            max_age=600,
        )
    ]


def routes() -> list[BaseRoute]:
    return [
        Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
        *graphiql.routes(),
        *pages.routes(),
        *files.routes(),
    ]


def create_app(runtime: Runtime) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        from gql_portal.jobs.exports import recover_interrupted_exports

        worker = None
        # Exports cut short by a stopped worker: now, and every minute (another worker may die).
        await recover_interrupted_exports(runtime)
        # Upload temp files a killed worker left (a walk of the storage folder, off the loop).
        runtime.jobs.spawn(anyio.to_thread.run_sync(runtime.storage.sweep_partials), "sweep")
        sweeper = runtime.jobs.every(60.0, lambda: recover_interrupted_exports(runtime), "sweep")
        # What this worker charged to the cost budgets, shared with the other workers.
        budget_flusher = runtime.jobs.every(1.0, runtime.budgets.flush, "budgets")
        if runtime.settings.smtp_url:
            from gql_portal.mailer import DeliveryWorker

            worker = DeliveryWorker(runtime.database, runtime.settings, runtime.clock)
            runtime.wake_mailer = worker.wake
            worker.start()
        try:
            yield
        finally:
            sweeper.cancel()
            budget_flusher.cancel()
            try:
                await runtime.budgets.flush()
            except Exception:
                log.exception("could not add the last cost charges to the shared budgets")
            await runtime.jobs.stop()
            if worker is not None:
                await worker.stop()
            await runtime.database.dispose()
            await tracing.shutdown()  # flushes this worker's last spans (when tracing is on)

    from gql_portal import tracing

    # tracing.middleware(): the /graphql span when OTel is configured (set up here, once per
    # process), nothing otherwise.
    # CodedErrors: a request id on every answer, coded JSON for the framework's own errors.
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(CodedErrors),
        *cors_middleware(runtime),
        *tracing.middleware(),
    ]
    app = Starlette(routes=routes(), middleware=middleware, lifespan=lifespan)
    app.state.runtime = runtime
    return app
