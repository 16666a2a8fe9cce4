"""OpenTelemetry tracing, on only when an operator configures it (standard OTel environment).

Tracing is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set
(spans go there over OTLP/HTTP), or when OTEL_TRACES_EXPORTER=console (spans printed on
stdout, for local debugging); OTEL_TRACES_EXPORTER=none turns it off. OTEL_SERVICE_NAME names
the service ("gql-portal" by default); the SDK's own variables (OTEL_TRACES_SAMPLER,
OTEL_BSP_*, OTEL_EXPORTER_OTLP_HEADERS, ...) apply as usual. Each uvicorn worker process sets
up its own provider (`create_app`) and flushes it when it stops (the app's lifespan).

What a trace holds:

- a SERVER span per HTTP request to /graphql (`TracingMiddleware`): method, route, status
  code, request id; a W3C `traceparent` header from the caller is honoured;
- below it the GraphQL operation (`GraphQLTracing`): operation type and name, the viewer's
  role, the error codes of the answer; and its parse, validate and execute steps;
- below execute, one span per call of a field with an *async* resolver (the ones that read the
  database or a loader): parent type, field, path, and the *names* of the arguments given.

Never recorded: argument values, variables, the document (inline arguments are values too),
error messages (they can quote input), user names, emails, tokens, ids of people. Plain
attribute fields (schema/build.py's `_guarded_attribute`) and sync resolvers stay untraced.
When tracing is not configured nothing of this is installed: no middleware, no schema
extension, no resolver wrapper.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLError, GraphQLObjectType
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension
from strawberry.types.base import StrawberryObjectDefinition

from gql_portal.errors import AppError, Code, coded_extensions
from gql_portal.schema import internals

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = logging.getLogger("gql_portal.tracing")

SERVICE_NAME = "gql-portal"
GRAPHQL_PATH = "/graphql"
INSTRUMENTED = "_gql_portal_traced_resolvers"

_propagator = TraceContextTextMapPropagator()  # W3C traceparent/tracestate only (no baggage)
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


class TracingMiddleware:
    """A SERVER span around each request to /graphql, continuing the caller's W3C trace."""

    def __init__(self, app: ASGIApp, path: str = GRAPHQL_PATH) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracer = _tracer
        if tracer is None or scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name in (b"traceparent", b"tracestate")
        }
        parent = _propagator.extract(carrier) if carrier else None
        method = scope["method"]
        attributes = {
            "http.request.method": method,
            "http.route": self.path,
            "url.path": self.path,
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        with tracer.start_as_current_span(
            f"{method} {self.path}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:

            async def send_traced(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = message["status"]
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                        span.set_attribute("error.type", str(status))
                    for name, value in message.get("headers", ()):
                        if name == b"x-request-id":
                            span.set_attribute("gql_portal.request_id", value.decode("latin-1"))
                await send(message)

            with _marked_on_error(span):
                await self.app(scope, receive, send_traced)


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
