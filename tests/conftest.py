"""Shared fixtures: a real migrated database (SQLite, or PostgreSQL when
GQL_PORTAL_TEST_DATABASE_URL is set), a frozen clock, and an HTTP client on the ASGI app.

Every test is also watched for secrets in the logs (`no_secrets_in_logs`, autouse): each request
any test sends through an in-process app carries planted canaries, and a test fails when a log
line holds one of them or a secret-looking value the test sent."""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.config import Settings
from gql_portal.db import Base
from gql_portal.db.engine import Database
from gql_portal.db.migrate import upgrade
from gql_portal.http.app import create_app
from gql_portal.observability import JsonFormatter
from gql_portal.runtime import Runtime
from gql_portal.security import Passwords
from gql_portal.storage import Storage

pytest_plugins = ["pytester"]  # tests/test_no_secrets_in_logs.py runs a failing suite

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
START = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)
PUBLIC_URL = "http://portal.test"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
async def migrated_database(database_url: str) -> AsyncIterator[Database]:
    database = Database.from_url(database_url, pool_size=5)
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def database(migrated_database: Database) -> Database:
    """The migrated database, emptied before each test."""
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with migrated_database.transaction() as session:
        if session.bind.dialect.name == "postgresql":
            await session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                await session.execute(text(f"DELETE FROM {table}"))
    return migrated_database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture(scope="session")
def passwords() -> Passwords:
    return Passwords(memory_kib=1024, time_cost=1)  # argon2id, cheap enough for tests


def compiled_in_tests() -> bool:
    """Whether the suite's requests take the compiled path: GQL_PORTAL_TEST_COMPILED=on|off,
    the product's default when unset (the product's own variables do not reach the tests'
    settings), so that the whole suite runs either way."""
    value = os.environ.get("GQL_PORTAL_TEST_COMPILED", "").lower()
    if value not in ("", "on", "off"):
        raise pytest.UsageError(f"GQL_PORTAL_TEST_COMPILED is on or off, not {value!r}")
    return Settings().compiled if value == "" else value == "on"


def pytest_configure(config: pytest.Config) -> None:
    """The servers the tests start as processes (`gql-portal serve`) follow the switch too."""
    if os.environ.get("GQL_PORTAL_TEST_COMPILED"):
        os.environ["GQL_PORTAL_COMPILED"] = "on" if compiled_in_tests() else "off"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        mode="test",
        database_url=database_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",
        public_url=PUBLIC_URL,
        compiled=compiled_in_tests(),
    )


@pytest.fixture
async def runtime(
    settings: Settings,
    database: Database,
    clock: FrozenClock,
    passwords: Passwords,
    tmp_path: Path,
) -> AsyncIterator[Runtime]:
    runtime = Runtime(
        settings=settings,
        database=database,
        clock=clock,
        passwords=passwords,
        storage=Storage(tmp_path / "storage"),
    )
    yield runtime
    # The app's lifespan stops the bus; httpx's ASGI transport runs none, so a test's
    # PostgreSQL LISTEN connection would stay open for the rest of the suite.
    await runtime.bus.stop()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(runtime)
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


class Api:
    """Posts GraphQL operations through the real HTTP endpoint."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        cookies: bool = True,
    ) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        # A dead session is refused by HTTP status (401) with the usual coded error body.
        expected = 401 if error_codes(body) == ["UNAUTHENTICATED"] and "data" not in body else 200
        assert response.status_code == expected, response.text
        return body

    async def ok(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        path: str,
    ) -> dict[str, Any]:
        """The answer at `path` ("submitExpense.expense") of an operation that must succeed."""
        body = await self(query, variables, token=token)
        assert "errors" not in body, body
        answer: dict[str, Any] = body["data"]
        for key in path.split("."):
            answer = answer[key]
        return answer


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    return Api(client)


def error_codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    errors = body.get("errors") or []
    assert len(errors) == 1, body
    extensions: dict[str, Any] = errors[0]["extensions"]
    return extensions


@pytest.fixture
def factory(database: Database, settings: Settings, clock: FrozenClock) -> Any:
    from tests.factories import Factory

    return Factory(database, settings, clock)


class StatementCounter:
    """Counts the SQL statements the database runs (for N+1 tests: counts, not seconds)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        # Transaction control (SQLite's explicit BEGIN) is not a query.
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.count += 1


@pytest.fixture
def sql_statements(database: Database) -> Any:
    from sqlalchemy import event

    counter = StatementCounter()
    event.listen(database.sync_engine, "before_cursor_execute", counter)
    yield counter
    event.remove(database.sync_engine, "before_cursor_execute", counter)


# -- no secrets in logs -------------------------------------------------------------------------

# Keys whose values are secrets wherever a test sends them (variables, inline arguments, query
# strings): their values must never reach a log line either.
SECRET_KEY = re.compile(
    r"password|token|secret|signature|personalIdentityNumber|bankAccount|bankClearing", re.I
)
MIN_SECRET_LENGTH = 6  # shorter values ("x", "1") could turn up in any log line by chance
INLINE_SECRET = re.compile(
    r"(\w*(?:password|token|secret|personalIdentityNumber|bankAccount|bankClearing)\w*)"
    r"\s*:\s*\"((?:[^\"\\]|\\.)*)\"",
    re.I,
)
FILE_NAME = re.compile(rb'filename="([^"]+)"')
CANARY_HEADER = "x-canary"
CANARY_COOKIE = "canary"
CANARY_PARAMETER = "canary"
CANARY_VARIABLE = "canary"
# The test client's own request lines (httpx logs every URL it calls): not the service's logs.
CLIENT_LOGGERS = ("httpx", "httpcore")
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}
_PLAIN = logging.Formatter("%(name)s %(levelname)s %(message)s")  # messages of exceptions too
_JSON = JsonFormatter()


class SecretWatch:
    """The canaries planted in a test's requests, the secret-looking values the test sent, and
    every log line written while it ran."""

    def __init__(self) -> None:
        tag = secrets.token_hex(8)
        self.header = f"canary-header-{tag}"
        self.cookie = f"canary-cookie-{tag}"
        self.parameter = f"canary-query-{tag}"
        self.variable = f"canary-variable-{tag}"
        self.secrets: set[str] = {self.header, self.cookie, self.parameter, self.variable}
        self.lines: list[tuple[str, str]] = []  # (logger, everything the record holds)

    def remember(self, value: Any, secret: bool = False) -> None:
        """Strings under secret-looking keys, at any depth."""
        if isinstance(value, dict):
            for key, item in value.items():
                self.remember(item, secret or bool(SECRET_KEY.search(str(key))))
        elif isinstance(value, list):
            for item in value:
                self.remember(item, secret)
        elif secret and isinstance(value, str) and len(value.strip()) >= MIN_SECRET_LENGTH:
            self.secrets.add(value)

    def remember_document(self, document: Any) -> None:
        if isinstance(document, str):
            for _key, value in INLINE_SECRET.findall(document):
                self.remember({"secret": value}, True)

    def plant(self, request: httpx.Request) -> httpx.Request:
        """The request with a canary in a header, a cookie and the query string, and (a JSON
        GraphQL body) an unused variable; what it sends under secret-looking keys remembered."""
        for key, value in request.url.params.multi_items():
            self.remember({key: value})
        headers = httpx.Headers(request.headers)
        headers[CANARY_HEADER] = self.header
        cookie = headers.get("cookie")
        canary_cookie = f"{CANARY_COOKIE}={self.cookie}"
        headers["cookie"] = f"{cookie}; {canary_cookie}" if cookie else canary_cookie
        url = request.url.copy_merge_params({CANARY_PARAMETER: self.parameter})
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:  # a streamed body (the slow-client tests): sent as it is
            body = None
        if body is None:
            return httpx.Request(
                request.method,
                url,
                headers=headers,
                stream=request.stream,
                extensions=request.extensions,
            )
        content_type = headers.get("content-type", "")
        declared = headers.get("content-length")
        if content_type.startswith("multipart/"):
            for name in FILE_NAME.findall(body):
                self.remember({"secretFileName": name.decode("utf-8", "replace")})
        elif content_type.startswith("application/json") and declared in (None, str(len(body))):
            body = self._planted_body(body)
            headers.pop("content-length", None)
        return httpx.Request(
            request.method, url, headers=headers, content=body, extensions=request.extensions
        )

    def _planted_body(self, body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError):
            return body  # the tests of broken (or absurdly nested) bodies send them as they are
        if not isinstance(payload, dict):
            return body
        self.remember_document(payload.get("query"))
        variables = payload.get("variables")
        self.remember(variables)
        if variables is not None and not isinstance(variables, dict):
            return body
        payload["variables"] = {**(variables or {}), CANARY_VARIABLE: self.variable}
        return json.dumps(payload).encode()

    def leaks(self) -> list[str]:
        """One description per log line that holds a secret (which secret, which logger)."""
        found = []
        for logger, line in self.lines:
            if logger.startswith(CLIENT_LOGGERS):
                continue
            for secret in self.secrets:
                if secret in line:
                    found.append(f"{logger}: {secret!r} in {line[:500]!r}")
        return found


def everything_in(record: logging.LogRecord) -> str:
    """The record as any handler could write it: the message with its arguments, the
    exception with its message, the stack, every extra field; and our JSON line."""
    parts = [repr(record.msg), repr(record.args)]
    for formatter in (_PLAIN, _JSON):
        try:
            parts.append(formatter.format(record))
        except Exception as error:  # a broken record still shows its raw parts above
            parts.append(f"(unformattable: {type(error).__name__})")
    extras = {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES}
    parts.append(repr(extras))
    return "\n".join(parts)


class LogLines(logging.Handler):
    """Keeps every record as text, when it is written (its arguments may change later)."""

    def __init__(self, watch: SecretWatch) -> None:
        super().__init__(logging.NOTSET)
        self.watch = watch

    def emit(self, record: logging.LogRecord) -> None:
        self.watch.lines.append((record.name, everything_in(record)))


def _logger_roots() -> list[logging.Logger]:
    """The root logger and every logger that does not pass its records up to it."""
    found = [logging.getLogger()]
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and not logger.propagate:
            found.append(logger)
    return found


@pytest.fixture(autouse=True)
def no_secrets_in_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretWatch]:
    """Fails the test when any log line (INFO and up, as the service logs in production) holds
    a canary planted in its requests or a secret-looking value it sent. Every in-process client
    is covered (httpx's ASGI transport plants the canaries); servers started as subprocesses
    write their own logs."""
    watch = SecretWatch()
    handler = LogLines(watch)
    roots = _logger_roots()
    for logger in roots:
        logger.addHandler(handler)
    root = logging.getLogger()
    level = root.level
    if root.getEffectiveLevel() > logging.INFO:
        root.setLevel(logging.INFO)
    send = httpx.ASGITransport.handle_async_request

    async def planted(self: httpx.ASGITransport, request: httpx.Request) -> httpx.Response:
        return await send(self, watch.plant(request))

    monkeypatch.setattr(httpx.ASGITransport, "handle_async_request", planted)
    try:
        yield watch
    finally:
        root.setLevel(level)
        for logger in roots:
            logger.removeHandler(handler)
    leaks = watch.leaks()
    if leaks:
        pytest.fail("Secrets in the logs:\n" + "\n".join(leaks), pytrace=False)
