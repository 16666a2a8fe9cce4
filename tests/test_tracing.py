"""OpenTelemetry tracing (gql_portal/tracing.py): on only when configured, spans for the HTTP
request, the operation, its steps and the resolvers that do real work, and never a value a
client sent (passwords, personal identity numbers, emails, tokens, any argument)."""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from graphql import GraphQLObjectType
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from sqlalchemy import text

from gql_portal import tracing
from gql_portal.cli import main
from gql_portal.config import ConfigError
from gql_portal.db.engine import Database
from gql_portal.http.app import create_app
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import _build, role_schema
from gql_portal.schema.internals import graphql_schema
from tests.accounts import LOG_IN, PASSWORD, sign_up_verified
from tests.conftest import PUBLIC_URL, Api, error_codes
from tests.factories import Factory
from tests.test_employees import CREATE, new_employee

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN_ID = "00f067aa0ba902b7"

INLINE_CREATE = """mutation Hire { createEmployee(input: {
  employeeNumber: "42", firstName: "Sigrid", lastName: "Holmqvist",
  email: "sigrid@kund.example", phone: "070-999 88 77",
  salary: { personalIdentityNumber: "19900101-0017", employmentStart: "2024-02-01",
    employmentForm: PERMANENT, employmentExtent: "80", salaryForm: MONTHLY,
    salaryAmount: "41234.00", taxTable: 32, taxColumn: 1,
    bankClearingNumber: "8327-9", bankAccountNumber: "987 654 321-0" } }) {
  employee { id firstName personalIdentityNumber salaryAmount } } }"""
STAFF = """query Staff { employees(first: 10, search: "Holmqvist") {
  nodes { firstName lastName personalIdentityNumber salaryAmount } } }"""

ON_POSTGRESQL = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Tracing on for this test only, into memory; the untraced state restored after."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    role_schema.cache_clear()  # schemas built untraced before: rebuilt with the extension
    tracing.enable(provider)
    try:
        yield exporter
    finally:
        tracing.disable()
        role_schema.cache_clear()  # the traced schemas (their wrapped resolvers) go
        provider.shutdown()


@pytest.fixture
async def client(spans: InMemorySpanExporter, runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)  # after tracing is on: with the middleware
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def children(spans: tuple[ReadableSpan, ...], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [
        span
        for span in spans
        if span.parent is not None and span.parent.span_id == parent.context.span_id
    ]


def fields_of(schema: Any, type_name: str) -> Any:
    graphql_type = graphql_schema(schema).type_map[type_name]
    assert isinstance(graphql_type, GraphQLObjectType)
    return graphql_type.fields


def recorded_text(span: ReadableSpan) -> str:
    """Everything a span records but its ids and times: name, attributes, events, links,
    status, resource (ids and times are hex and digits that could match a number by chance)."""
    parts: list[Any] = [span.name, span.status.description, span.resource.attributes]
    parts += [span.attributes, [(event.name, event.attributes) for event in span.events]]
    parts += [link.attributes for link in span.links]
    return repr(parts)


@pytest.mark.parametrize("compiled", [False, True], ids=["resolver path", "compiled path"])
async def test_a_request_is_traced_below_the_callers_trace(
    api: Api,
    client: httpx.AsyncClient,
    factory: Factory,
    runtime: Runtime,
    spans: InMemorySpanExporter,
    compiled: bool,
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, compiled=compiled)
    admin = await factory.admin(await factory.company())
    assert "errors" not in await api(INLINE_CREATE, token=admin.token)
    spans.clear()
    response = await client.post(
        "/graphql",
        json={"query": STAFF},
        headers={
            "authorization": f"Bearer {admin.token}",
            "traceparent": f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01",
            "x-request-id": "trace-test-1",
        },
    )
    assert response.status_code == 200
    assert response.json()["data"]["employees"]["nodes"][0]["lastName"] == "Holmqvist"
    finished = spans.get_finished_spans()

    (http,) = named(finished, "POST /graphql")
    assert http.context is not None and http.parent is not None
    assert format(http.context.trace_id, "032x") == TRACE_ID
    assert format(http.parent.span_id, "016x") == PARENT_SPAN_ID
    assert http.parent.is_remote
    assert http.attributes is not None
    assert http.attributes["http.request.method"] == "POST"
    assert http.attributes["http.route"] == "/graphql"
    assert http.attributes["http.response.status_code"] == 200
    assert http.attributes["gql_portal.request_id"] == "trace-test-1"
    assert {span.context.trace_id for span in finished if span.context} == {http.context.trace_id}

    # Below the request: the session's look-up (SQL), then the operation.
    (operation,) = [span for span in children(finished, http) if span.kind != SpanKind.CLIENT]
    assert operation.name == "query Staff"
    assert operation.attributes == {
        "gql_portal.viewer.role": "COMPANY_ADMIN",
        "graphql.operation.type": "query",
        "graphql.operation.name": "Staff",
    }
    steps = children(finished, operation)
    assert sorted(span.name for span in steps) == [
        "GraphQL Execute",
        "GraphQL Parse",
        "GraphQL Validate",
    ]
    (execute,) = named(finished, "GraphQL Execute")
    if compiled:
        # No resolver spans: the plan's run, and below it its one level that does real work
        # (the root list's resolver), named by its fields and counted.
        (plan,) = children(finished, execute)
        assert plan.name == "GraphQL Compiled Plan"
        assert "gql_portal.compiled.fallback" not in (plan.attributes or {})
        (employees,) = children(finished, plan)
        assert employees.name == "GraphQL Compiled Resolve"
        assert employees.attributes == {
            "graphql.compiled.fields": ("Query.employees",),
            "gql_portal.compiled.calls": 1,
        }
    else:
        (employees,) = children(finished, execute)
        assert employees.name == "GraphQL Resolve Query.employees"
        assert employees.attributes is not None
        assert employees.attributes["graphql.field.path"] == "employees"
        assert employees.attributes["graphql.field.arguments"] == ("first", "search")
    # The resolver's statements (OpenTelemetry's SQLAlchemy instrumentation), named by their
    # first word, with placeholders where the values went.
    statements = [span for span in children(finished, employees) if span.kind == SpanKind.CLIENT]
    (select,) = [span for span in statements if span.name.startswith("SELECT")]
    assert select.attributes is not None
    statement = str(select.attributes["db.statement"])
    placeholder = "$1" if ON_POSTGRESQL else "?"  # asyncpg numbers its placeholders
    assert statement.startswith("SELECT employees.") and placeholder in statement
    assert "holmqvist" not in statement.lower()
    # Plain attribute fields (the fast path) and sync resolvers have no spans; the compiled
    # path has its plan's span instead of the resolvers'.
    ours = [span for span in finished if span.kind != SpanKind.CLIENT]
    assert len(ours) == 6 + compiled, [span.name for span in ours]


async def test_a_compiled_error_is_on_its_level_and_a_fallback_says_why_before_the_resolvers(
    api: Api, factory: Factory, runtime: Runtime, spans: InMemorySpanExporter
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, compiled=True)
    company = await factory.company()
    admin = await factory.admin(company)
    await factory.employee(company)
    spans.clear()
    # A resolver's coded error: answered by the compiled path, the error on its level's span.
    body = await api(
        'query Bad { employees(after: "not a cursor") { totalCount } }', token=admin.token
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    finished = spans.get_finished_spans()
    (execute,) = named(finished, "GraphQL Execute")
    (plan,) = children(finished, execute)
    assert plan.name == "GraphQL Compiled Plan" and not plan.attributes
    (level,) = children(finished, plan)
    assert level.attributes is not None and level.attributes["error.type"] == "BAD_USER_INPUT"
    assert level.status.status_code is not StatusCode.ERROR  # an answer the service meant
    assert not named(finished, "GraphQL Resolve Query.employees")

    # An answer over the size cap leaves the fast path: the plan's span says why, then the
    # resolver path answers (and refuses it, in its own words).
    runtime.settings = dataclasses.replace(runtime.settings, max_response_bytes=10)
    spans.clear()
    body = await api("query Staff { employees { nodes { firstName } } }", token=admin.token)
    assert error_codes(body) == ["RESPONSE_TOO_LARGE"]
    finished = spans.get_finished_spans()
    (execute,) = named(finished, "GraphQL Execute")
    plan, resolved = sorted(children(finished, execute), key=lambda span: span.start_time or 0)
    assert plan.name == "GraphQL Compiled Plan"
    assert plan.attributes == {"gql_portal.compiled.fallback": "too large"}
    assert resolved.name == "GraphQL Resolve Query.employees"


async def test_no_span_holds_a_password_identity_number_email_token_or_argument(
    api: Api,
    client: httpx.AsyncClient,
    database: Database,
    factory: Factory,
    spans: InMemorySpanExporter,
) -> None:
    email = await sign_up_verified(api, database)
    session_token = (await api(LOG_IN, {"email": email, "password": PASSWORD}))["data"]["logIn"][
        "token"
    ]
    inline_token = (
        await api(
            f'mutation {{ logIn(input: {{email: "{email}", password: "{PASSWORD}"}}) {{ token }} }}'
        )
    )["data"]["logIn"]["token"]
    assert error_codes(await api(LOG_IN, {"email": email, "password": "fel lösenord 7x!"}))
    company = await factory.company()
    admin = await factory.admin(company)
    assert "errors" not in await api(CREATE, {"input": new_employee()}, token=admin.token)
    assert "errors" not in await api(INLINE_CREATE, token=admin.token)
    wrong_digit = new_employee(employeeNumber="18")
    wrong_digit["salary"]["personalIdentityNumber"] = "19850312-3386"
    assert error_codes(await api(CREATE, {"input": wrong_digit}, token=admin.token)) == [
        "BAD_USER_INPUT"
    ]
    listed = await api(STAFF, token=admin.token)
    assert listed["data"]["employees"]["nodes"][0]["personalIdentityNumber"] == "199001010017"

    finished = spans.get_finished_spans()
    assert len(named(finished, "POST /graphql")) == 9  # sign up, verify, 3 log-ins, 3 creates, list
    operations = [span for span in finished if span.name.startswith(("query", "mutation"))]
    codes = [(span.attributes or {}).get("graphql.error.codes") for span in operations]
    # the wrong password, the wrong check digit: codes only
    assert [code for code in codes if code] == [("BAD_USER_INPUT",), ("BAD_USER_INPUT",)]
    (refused,) = [
        span
        for span in named(finished, "GraphQL Resolve Mutation.createEmployee")
        if (span.attributes or {}).get("error.type")
    ]
    assert refused.attributes is not None and refused.attributes["error.type"] == "BAD_USER_INPUT"
    assert not refused.events  # no exception event (its message quotes the input)

    everything = "\n".join(recorded_text(span) for span in finished)
    secrets: list[str] = [
        PASSWORD,
        "fel lösenord",
        email,
        "asa@byra.example",
        session_token,
        inline_token,
        admin.token,
        "Åsa Öberg",
        "556677-8899",
        # the employees' identity numbers in every spelling, names, contact, salary, bank
        "19850312-3385",
        "198503123385",
        "8503123385",
        "19850312-3386",
        "19900101-0017",
        "199001010017",
        "9001010017",
        "Karin",
        "Lund",
        "Sigrid",
        "Holmqvist",
        "kund.example",
        "070-111 22 33",
        "070-999 88 77",
        "38500",
        "41234",
        "123 456 789-0",
        "987 654 321-0",
        "8327-9",
        "2024-02-01",
    ]
    assert "BAD_USER_INPUT" in everything and "createEmployee" in everything  # (it is filled)
    leaked = [secret for secret in secrets if secret.lower() in everything.lower()]
    assert leaked == []
    keys = {key for span in finished for key in (span.attributes or {})}
    assert not any("document" in key or "variable" in key or "param" in key for key in keys)
    assert not any(span.events for span in finished)
    assert not any(span.status.description for span in finished)


async def test_the_request_span_sees_no_query_string_client_or_header_of_the_caller(
    client: httpx.AsyncClient, factory: Factory, spans: InMemorySpanExporter
) -> None:
    admin = await factory.admin(await factory.company())
    document = (
        'query Staff($pnr: String) { employees(first: 5, search: "19900101-0017") { totalCount } }'
    )
    response = await client.get(
        "/graphql",
        params={"query": document, "variables": '{"pnr": "19900101-0017"}'},
        headers={
            "authorization": f"Bearer {admin.token}",
            "cookie": "gql_portal_session=cookie-secret-1234",
            "user-agent": "Agent-19900101-0017",
        },
    )
    assert response.status_code == 200, response.text
    (http,) = named(spans.get_finished_spans(), "GET /graphql")
    assert http.kind == SpanKind.SERVER
    assert http.attributes is not None
    assert http.attributes["url.path"] == "/graphql"
    assert http.attributes["http.request.method"] == "GET"
    assert http.attributes["http.response.status_code"] == 200
    everything = "\n".join(recorded_text(span) for span in spans.get_finished_spans())
    for secret in ("19900101-0017", admin.token, "cookie-secret", "Agent-", "203.0.113.7"):
        assert secret not in everything
    assert not {"url.query", "url.full", "client.address", "user_agent.original"} & set(
        http.attributes
    )


async def test_a_failed_statement_records_its_type_not_the_databases_message(
    client: httpx.AsyncClient, database: Database, spans: InMemorySpanExporter
) -> None:
    # Outside a trace (a worker's periodic job): no span of its own for every statement.
    async with database.session() as session:
        await session.execute(text("SELECT 1"))
    assert spans.get_finished_spans() == ()
    tracer = tracing._tracer
    assert tracer is not None
    with (
        tracer.start_as_current_span("a job"),
        pytest.raises(Exception, match="no_such_table_19900101"),
    ):
        async with database.session() as session:
            await session.execute(text("SELECT * FROM no_such_table_19900101"))
    (failed,) = [span for span in spans.get_finished_spans() if span.status.is_ok is False]
    assert failed.kind == SpanKind.CLIENT and failed.status.status_code == StatusCode.ERROR
    assert failed.status.description is None and not failed.events
    # The driver's class name: sqlite3's OperationalError, asyncpg's adapted ProgrammingError.
    expected = "AsyncAdapt_asyncpg_dbapi.ProgrammingError" if ON_POSTGRESQL else "OperationalError"
    assert failed.attributes is not None and failed.attributes["error.type"] == expected


async def test_an_exception_out_of_the_app_is_a_500_span_without_its_message(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, spans: InMemorySpanExporter
) -> None:
    from gql_portal.http import graphql

    async def broken(*arguments: Any) -> Any:
        raise RuntimeError("secret 19900101-0017")

    monkeypatch.setattr(graphql, "access_for_token", broken)
    response = await client.post("/graphql", json={"query": "{ __typename }"})
    assert response.status_code == 500
    (http,) = named(spans.get_finished_spans(), "POST /graphql")
    assert http.status.status_code == StatusCode.ERROR
    assert http.attributes is not None and http.attributes["http.response.status_code"] == 500
    assert "19900101" not in recorded_text(http) and not http.events


async def test_a_plain_attribute_field_keeps_its_fast_resolver_when_traced(
    api: Api, client: httpx.AsyncClient, factory: Factory, spans: InMemorySpanExporter
) -> None:
    admin = await factory.admin(await factory.company())
    await api(STAFF, token=admin.token)
    schema = role_schema(SchemaRole.COMPANY_ADMIN, suggestions=False)  # as the app asks
    employee = fields_of(schema, "Employee")
    assert "_guarded_attribute" in employee["firstName"].resolve.__qualname__
    query = fields_of(schema, "Query")
    assert query["employees"].resolve.__qualname__.startswith("_traced")


def test_without_configuration_nothing_is_installed() -> None:
    assert tracing.exporter_from_env({}) is None
    assert not tracing.active()
    schema = _build(SchemaRole.COMPANY_ADMIN)
    assert tracing.GraphQLTracing not in schema.extensions
    assert not getattr(schema, tracing.INSTRUMENTED, False)
    query = fields_of(schema, "Query")
    assert not query["employees"].resolve.__qualname__.startswith("_traced")
    assert tracing.middleware() == []


def test_the_environment_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    env = tracing.exporter_from_env
    assert env({"OTEL_SERVICE_NAME": "x"}) is None
    assert env({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}) == "otlp"
    assert env({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}) == "otlp"
    assert env({"OTEL_TRACES_EXPORTER": "console"}) == "console"
    assert env({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c"}) is None

    # configure() itself, on a fresh module state (no global provider set, nothing sent).
    installed: list[Any] = []
    monkeypatch.setattr(tracing, "_configured", False)
    monkeypatch.setattr(tracing, "_provider", None)
    monkeypatch.setattr(tracing, "_tracer", None)
    monkeypatch.setattr(tracing.trace, "set_tracer_provider", installed.append)
    assert tracing.configure({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    provider = tracing._provider
    assert provider is not None and installed == [provider]
    assert provider.resource.attributes["service.name"] == "gql-portal"
    assert tracing.configure({}) is True  # once per process: later calls only answer
    provider.shutdown()  # nothing was traced: nothing to send


def test_otlp_without_its_extra_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As if `gql-portal[otlp]` were not installed: the exporter's module cannot be imported.
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    monkeypatch.setattr(tracing, "_configured", False)
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}
    with pytest.raises(ConfigError, match=r"gql-portal\[otlp\]"):
        tracing.configure(environ)
    assert not tracing.active()
    assert tracing.exporter_problem({"OTEL_TRACES_EXPORTER": "console"}) is None
    assert tracing.exporter_problem({}) is None
    # `serve` says so in one line before starting anything.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/v1/traces")
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--no-demo"])
    assert stopped.value.code == 2
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set" in capsys.readouterr().err
