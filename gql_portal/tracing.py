"""OpenTelemetry tracing, on only when an operator configures it (standard OTel environment).

Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
(spans go there over OTLP/HTTP: the optional extra `gql-portal[otlp]`, refused at start with a
clear message when it is missing), or when OTEL_TRACES_EXPORTER=console (spans printed on
stdout, for local debugging); OTEL_TRACES_EXPORTER=none turns it off. OTEL_SERVICE_NAME names
the service ("gql-portal" by default); the SDK's own variables (OTEL_TRACES_SAMPLER,
OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS, ...) apply as usual. Each uvicorn worker process sets
up its own provider (`create_app`) and flushes it when it stops (the app's lifespan).

What a trace holds:

- a SERVER span per HTTP request to /graphql, made by OpenTelemetry's ASGI instrumentation
  (`TracingMiddleware`): method, path, route, status code, request id; a W3C `traceparent`
  header from the caller is honoured. The instrumentation is shown the request without its
  query string (a GET's document and variables), its client address or any header but the
  trace context, host and length;
- below it the GraphQL operation (`GraphQLTracing`): operation type and name, the viewer's
  role, the error codes of the answer; and its parse, validate and execute steps;
- below execute, one span per call of a field with an *async* resolver (the ones that read the
  database or a loader): parent type, field, path, and the *names* of the arguments given;
- a query the compiled path answers (gql_portal/compiled) has no resolver spans: below
  execute, one `GraphQL Compiled Plan` span per run of its plan, and below it one span per level
  of the plan that does real work: `GraphQL Compiled Resolve` for the async resolvers of a level
  awaited together, `GraphQL Compiled Rows` for the one statement of a child list under every
  parent of its level; each names the fields (`Type.field`) and counts what it did. A run that
  leaves the fast path says so on its plan span (`gql_portal.compiled.fallback`), and the
  resolver spans of the resolver path follow;
- below those, a CLIENT span per SQL statement, made by OpenTelemetry's SQLAlchemy
  instrumentation (`instrument_database`): the statement with its placeholders, never the
  bound values.

Never recorded: argument values, variables, the document (inline arguments are values too),
SQL parameters, error messages (they can quote input: an error is recorded by its type or
code), user names, emails, tokens, ids of people, client addresses. Plain attribute fields
(schema/build.py's `_guarded_attribute`) and sync resolvers stay untraced. When tracing is not
configured nothing of this is installed: no middleware, no schema extension, no resolver
wrapper, no database listener.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from inspect import isawaitable
from typing import TYPE_CHECKING, Any, cast

from graphql import GraphQLError, GraphQLObjectType
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.base import StrawberryObjectDefinition

from gql_portal.config import ConfigError
from gql_portal.errors import AppError, Code, coded_extensions
from gql_portal.schema import internals

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.engine import Engine

log = logging.getLogger("gql_portal.tracing")

SERVICE_NAME = "gql-portal"
GRAPHQL_PATH = "/graphql"
INSTRUMENTED = "_gql_portal_traced_resolvers"
SEMCONV_OPT_IN = "OTEL_SEMCONV_STABILITY_OPT_IN"

_configured = False  # the environment is read once per process
_provider: TracerProvider | None = None
_tracer: trace.Tracer | None = None


# -- set-up -------------------------------------------------------------------------------------


def exporter_from_env(environ: Mapping[str, str]) -> str | None:
    """ "otlp", "console", or None (tracing off), from the standard OTel variables."""
    chosen = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if chosen == "none":
        return None
    if chosen == "console":
        return "console"
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if endpoint and endpoint.strip():
        if chosen not in ("", "otlp"):
            log.warning("OTEL_TRACES_EXPORTER=%s is not supported; exporting over OTLP", chosen)
        protocol = environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or environ.get(
            "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"
        )
        if protocol != "http/protobuf":
            log.warning("OTLP protocol %s is not supported; using http/protobuf", protocol)
        return "otlp"
    return None


OTLP_EXTRA_MISSING = (
    "{variable} is set, but the OTLP exporter is not installed: install the extra "
    "(pip install 'gql-portal[otlp]', or uv sync --extra otlp), or set OTEL_TRACES_EXPORTER=none"
)


def exporter_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """Why the configured exporter cannot be used (the OTLP one is the optional extra `otlp`),
    or None. `serve` asks before starting workers; configure() refuses the same way."""
    environ = os.environ if environ is None else environ
    if exporter_from_env(environ) != "otlp":
        return None
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    except ImportError:
        variable = (
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
            if environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
            else "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        return OTLP_EXTRA_MISSING.format(variable=variable)
    return None


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Sets up this process's tracer provider when the environment asks for tracing (once per
    process; later calls only answer). True when tracing is on."""
    global _configured
    if _configured:
        return _tracer is not None
    _configured = True
    environ = os.environ if environ is None else environ
    kind = exporter_from_env(environ)
    if kind is None:
        return False
    if (problem := exporter_problem(environ)) is not None:
        _configured = False  # asked again, it says so again
        raise ConfigError(problem)
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if kind == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()  # endpoint, headers, timeout from the environment
    name = environ.get("OTEL_SERVICE_NAME", "").strip() or SERVICE_NAME
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    enable(provider)
    log.info("tracing on: %s exporter, service %s", kind, name)
    return True


def enable(provider: TracerProvider) -> None:
    """Traces with `provider` (configure() does this; tests use it with an in-memory exporter).
    Apps and schemas built afterwards are traced."""
    global _provider, _tracer
    # The stable HTTP attribute names (http.request.method, url.path, ...) from OpenTelemetry's
    # ASGI middleware, unless the operator chose otherwise.
    os.environ.setdefault(SEMCONV_OPT_IN, "http")
    _provider = provider
    _tracer = provider.get_tracer("gql_portal")


def disable() -> None:
    """Stops tracing (without flushing): for tests, to restore the untraced state."""
    global _provider, _tracer
    _provider = None
    _tracer = None


def active() -> bool:
    return _tracer is not None


async def shutdown() -> None:
    """Flushes the spans not yet exported and stops the provider (at the worker's stop)."""
    provider = _provider
    if provider is None:
        return
    disable()
    await asyncio.to_thread(provider.shutdown)  # exports over the network: not on the loop


def middleware() -> list[Middleware]:
    """The HTTP span middleware for create_app's list: empty when tracing is not configured."""
    configure()
    return [Middleware(TracingMiddleware)] if active() else []


def schema_extensions() -> list[type[SchemaExtension]]:
    """The schema's tracing extension: none when tracing is not on."""
    return [GraphQLTracing] if active() else []


# -- the HTTP request ---------------------------------------------------------------------------

# The request headers OpenTelemetry's ASGI middleware is shown (the caller's trace context, the
# host, the body's size): never a token, a cookie, the user agent or any other header, even
# when an operator sets OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST.
VISIBLE_HEADERS = frozenset({b"host", b"traceparent", b"tracestate", b"content-length"})
_ORIGINAL_SCOPE = "gql_portal.tracing.original_scope"


class TracingMiddleware:
    """A SERVER span around each request to /graphql, made by OpenTelemetry's ASGI middleware
    (its span name, attributes and W3C trace context), shown only a reduced copy of the
    request: no query string (a GET's document and variables), no client address, only
    `VISIBLE_HEADERS`. The app below gets the request as it came (`_Unreduced`).

    It sits outside CodedErrors, which answers an exception with a masked 500: the ASGI
    middleware would record an exception's message (it can quote the input); one that still
    comes through (an answer already started) arrives as its type only."""

    def __init__(self, app: ASGIApp, path: str = GRAPHQL_PATH) -> None:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        self.app = app
        self.path = path
        self.traced = OpenTelemetryMiddleware(
            _Unreduced(app),
            tracer_provider=_CURRENT_PROVIDER,
            server_request_hook=self._route,
            exclude_spans=["receive", "send"],  # one span per request, not one per message
            http_capture_headers_sanitize_fields=[".*"],
        )

    def _route(self, span: trace.Span, scope: Scope) -> None:
        span.set_attribute("http.route", self.path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _tracer is None or scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        reduced = {
            **scope,
            "query_string": b"",
            "client": None,
            "headers": [
                (name, value) for name, value in scope["headers"] if name in VISIBLE_HEADERS
            ],
            _ORIGINAL_SCOPE: scope,
        }
        await self.traced(reduced, receive, send)


class ExceptionTypeOnly(Exception):
    """An exception that escaped the app, told by its type only (see TracingMiddleware)."""


class _Unreduced:
    """Below OpenTelemetry's middleware: the app gets the request as it came; the span gets the
    answer's request id, and an exception's type, never its message."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        span = trace.get_current_span()

        async def send_traced(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", ()):
                    if name == b"x-request-id":
                        span.set_attribute("gql_portal.request_id", value.decode("latin-1"))
            await send(message)

        try:
            await self.app(scope[_ORIGINAL_SCOPE], receive, send_traced)
        except Exception as error:
            # CodedErrors has logged it (types and frames); only its type goes on.
            raise ExceptionTypeOnly(type(error).__qualname__) from None


class _CurrentTracer:
    """Starts spans with the tracer tracing is on with now (`enable`), non-recording ones when
    it is off: instrumentations set up once (the database engine outlives a test's provider)
    follow enable() and disable()."""

    def __init__(self, children_only: bool = False) -> None:
        self.children_only = children_only

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        tracer = _tracer
        if tracer is None or (self.children_only and not _in_a_trace()):
            return trace.INVALID_SPAN
        return tracer.start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        tracer = _tracer
        if tracer is None:
            yield trace.INVALID_SPAN
            return
        with tracer.start_as_current_span(*args, **kwargs) as span:
            yield span


class _CurrentProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return cast(trace.Tracer, _CURRENT_TRACER)  # the two methods instrumentations call


def _in_a_trace() -> bool:
    return trace.get_current_span().get_span_context().is_valid


_CURRENT_TRACER = _CurrentTracer()
_CURRENT_PROVIDER = _CurrentProvider()
# SQL spans only within a trace (a request's): not a trace of their own for every statement
# of the workers' periodic jobs (budget flushes every second, export sweeps).
_STATEMENT_TRACER = _CurrentTracer(children_only=True)


# -- the database -------------------------------------------------------------------------------


def instrument_database(engine: Engine) -> None:
    """A CLIENT span per SQL statement run within a trace (OpenTelemetry's SQLAlchemy
    instrumentation): named by the statement's first word, with the statement as SQLAlchemy
    sends it (placeholders, never the bound parameters). A failed statement's span records the
    error's type, never its message (the database quotes values in it). Once per engine; a
    no-op while tracing is off."""
    if getattr(engine, INSTRUMENTED, False) or _tracer is None:
        return
    from opentelemetry.instrumentation.sqlalchemy import engine as sqlalchemy_tracing
    from opentelemetry.metrics import NoOpMeter
    from sqlalchemy import event

    # The engine's tracer itself: SQLAlchemyInstrumentor().instrument(engine=...) would do the
    # same, but only once per process (its instrumentor is a singleton); tests make engines.
    connections = NoOpMeter("gql_portal").create_up_down_counter("db.client.connections.usage")
    sqlalchemy_tracing.EngineTracer(_STATEMENT_TRACER, engine, connections, enable_commenter=False)
    # Its error handler puts the database's message in the span's status: ours does not.
    event.remove(engine, "handle_error", sqlalchemy_tracing._handle_error)
    event.listen(engine, "handle_error", _statement_failed)
    setattr(engine, INSTRUMENTED, True)


def _statement_failed(context: Any) -> None:
    span = getattr(context.execution_context, "_otel_span", None)
    if span is None:
        return
    if span.is_recording():
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", type(context.original_exception).__qualname__)
    span.end()


# -- the GraphQL operation ----------------------------------------------------------------------


def error_code(error: BaseException) -> str:
    """Our code for an error, as the HTTP answer names it (gql_portal.errors.coded_extensions),
    or the class of an unexpected one's cause: never its message, which can quote the input."""
    if isinstance(error, AppError):
        return error.code.value
    if isinstance(error, GraphQLError):
        extensions = coded_extensions(error)
        if extensions is not None:
            return str(extensions["code"])
    cause: BaseException = error
    while isinstance(cause, GraphQLError) and cause.original_error is not None:
        cause = cause.original_error
    return type(cause).__qualname__


# Codes of answers the service meant to give; anything else marks the span as failed.
EXPECTED_CODES = frozenset(
    {code.value for code in Code} - {Code.INTERNAL_SERVER_ERROR.value, Code.TIMEOUT.value}
    | {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}
)


def _unexpected(code: str) -> bool:
    return code not in EXPECTED_CODES


class GraphQLTracing(SchemaExtension):
    """Spans for the operation and its steps; resolver spans come from `instrument_resolvers`.

    No `resolve` hook on purpose: Strawberry would run it around every field, plain attributes
    included (and OpenTelemetryExtension's also records argument values and the document)."""

    def on_operation(self) -> Iterator[None]:
        tracer = _tracer
        if tracer is None:
            yield
            return
        schema = self.execution_context.schema
        if not getattr(schema, INSTRUMENTED, False):
            instrument_resolvers(schema)
        with tracer.start_as_current_span(
            "GraphQL Operation", record_exception=False, set_status_on_exception=False
        ) as span:
            access = getattr(self.execution_context.context, "access", None)
            role = getattr(getattr(access, "role", None), "value", None)
            if isinstance(role, str):
                span.set_attribute("gql_portal.viewer.role", role)
            with _marked_on_error(span):
                yield
            self._describe(span)

    def _describe(self, span: trace.Span) -> None:
        context = self.execution_context
        kind = name = None
        if context.graphql_document is not None:
            try:
                kind = context.operation_type.value
                name = context.operation_name
            except Exception:  # no such operation in the document: named in the errors
                kind = name = None
        if kind:
            span.set_attribute("graphql.operation.type", kind)
            if name:
                span.set_attribute("graphql.operation.name", name)
            span.update_name(f"{kind} {name}" if name else kind)
        errors = (context.result.errors if context.result is not None else None) or (
            internals.pre_execution_errors(context) or []
        )
        if errors:
            codes = [error_code(error) for error in errors]
            span.set_attribute("graphql.error.codes", codes)
            if any(_unexpected(code) for code in codes):
                span.set_status(Status(StatusCode.ERROR))

    def on_parse(self) -> Iterator[None]:
        yield from _step("GraphQL Parse")

    def on_validate(self) -> Iterator[None]:
        yield from _step("GraphQL Validate")

    def on_execute(self) -> Iterator[None]:
        yield from _step("GraphQL Execute")


def _step(name: str) -> Iterator[None]:
    tracer = _tracer
    if tracer is None:
        yield
        return
    with (
        tracer.start_as_current_span(
            name, record_exception=False, set_status_on_exception=False
        ) as span,
        _marked_on_error(span),
    ):
        yield


@contextmanager
def _marked_on_error(span: trace.Span) -> Iterator[None]:
    """An exception marks the span as failed with its type only (a message may carry input)."""
    try:
        yield
    except BaseException as error:
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", type(error).__qualname__)
        raise


# -- resolvers ----------------------------------------------------------------------------------


def instrument_resolvers(schema: Any) -> int:
    """Wraps the GraphQL resolver of every field with an async resolver of its own (the fields
    that await the database or a loader) in a span; plain attribute fields (build.py's fast
    path) and sync resolvers are left as they are. Once per schema; returns the count."""
    setattr(schema, INSTRUMENTED, True)
    count = 0
    for graphql_type in internals.graphql_schema(schema).type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        definition = schema.get_type_by_name(graphql_type.name)
        if not isinstance(definition, StrawberryObjectDefinition):
            continue
        for field in definition.fields:
            if field.base_resolver is None or not field.base_resolver.is_async:
                continue
            name = schema.config.name_converter.from_field(field)
            graphql_field = graphql_type.fields.get(name)
            if graphql_field is None or graphql_field.resolve is None:
                continue
            graphql_field.resolve = _traced(graphql_field.resolve, graphql_type.name, name)
            count += 1
    return count


def _traced(resolve: Callable[..., Any], parent_type: str, field_name: str) -> Callable[..., Any]:
    span_name = f"GraphQL Resolve {parent_type}.{field_name}"

    async def traced(source: Any, info: Any, **arguments: Any) -> Any:
        tracer = _tracer
        if tracer is None:
            result = resolve(source, info, **arguments)
            return await result if isawaitable(result) else result
        attributes: dict[str, Any] = {
            "graphql.parent_type": parent_type,
            "graphql.field.name": field_name,
            "graphql.field.path": ".".join(map(str, info.path.as_list())),
        }
        given = info.field_nodes[0].arguments
        if given:  # as the document names them (defaults not included); never their values
            attributes["graphql.field.arguments"] = [argument.name.value for argument in given]
        span = tracer.start_span(span_name, attributes=attributes)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            result = resolve(source, info, **arguments)
            if isawaitable(result):
                result = await result
        except BaseException as error:
            code = error_code(error)
            span.set_attribute("error.type", code)
            if _unexpected(code):
                span.set_status(Status(StatusCode.ERROR))
            raise
        finally:
            otel_context.detach(token)
            span.end()
        return result

    return traced


# -- compiled execution -------------------------------------------------------------------------

COMPILED_PLAN = "GraphQL Compiled Plan"
COMPILED_RESOLVE = "GraphQL Compiled Resolve"
COMPILED_ROWS = "GraphQL Compiled Rows"


@contextmanager
def compiled_span(name: str, fields: tuple[str, ...] = (), **counts: int) -> Iterator[trace.Span]:
    """A span of the compiled path (see the module's doc): the fields it resolves, as
    `Type.field`, and counts (`gql_portal.compiled.<name>`); never a value. An exception gives
    it the code of its cause, failed only when unexpected (as a resolver's span)."""
    tracer = _tracer
    if tracer is None:
        yield trace.INVALID_SPAN
        return
    attributes: dict[str, Any] = {f"gql_portal.compiled.{key}": n for key, n in counts.items()}
    if fields:
        attributes["graphql.compiled.fields"] = fields
    with tracer.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except BaseException as error:
            compiled_error(span, error.__cause__ or error)
            raise


def compiled_error(span: trace.Span, error: BaseException) -> None:
    """The error a compiled span's work met: its code; failed when the service did not mean it."""
    if not span.is_recording():
        return
    code = error_code(error)
    span.set_attribute("error.type", code)
    if _unexpected(code):
        span.set_status(Status(StatusCode.ERROR))
