"""Nothing a client sends reaches a log line: the suite-wide guard (tests/conftest.py
`no_secrets_in_logs`) can fail a test, and the service's own logging keeps exception messages,
query strings and free-form client text out."""

from __future__ import annotations

import logging
import sys
from typing import Any

import httpx
import orjson
import pytest
from graphql import GraphQLError
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from gql_portal.db.engine import Database
from gql_portal.http.responses import format_error
from gql_portal.observability import JsonFormatter, exception_summary
from tests.accounts import SIGN_UP, signup_input
from tests.conftest import (
    CANARY_COOKIE,
    CANARY_HEADER,
    CANARY_PARAMETER,
    CANARY_VARIABLE,
    REPO,
    Api,
    LogLines,
    SecretWatch,
)


def watched(watch: SecretWatch) -> logging.Logger:
    """A logger that writes only to `watch` (as the guard's handler does on the root)."""
    logger = logging.getLogger(f"gql_portal.test_guard.{id(watch)}")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(LogLines(watch))
    return logger


def test_the_guard_finds_a_secret_in_a_message_arguments_exception_or_extra() -> None:
    watch = SecretWatch()
    watch.remember({"input": {"newPassword": "hunter2-hunter2", "name": "Åsa"}})
    assert "hunter2-hunter2" in watch.secrets and "Åsa" not in watch.secrets
    logger = watched(watch)
    logger.info("nothing to see")
    assert watch.leaks() == []
    logger.info("got %s", {"password": "hunter2-hunter2"})
    try:
        raise ValueError(f"bad cookie {watch.cookie}")
    except ValueError:
        logger.exception("failed")  # only the exception's message holds it
    logger.warning("request", extra={"fields": {"header": watch.header}})
    leaks = watch.leaks()
    assert len(leaks) == 3
    assert "hunter2-hunter2" in leaks[0] and watch.cookie in leaks[1] and watch.header in leaks[2]


async def test_every_request_carries_the_canaries(
    client: httpx.AsyncClient, no_secrets_in_logs: SecretWatch
) -> None:
    """What an in-process app receives: the header, cookie, query parameter, unused variable."""
    seen: dict[str, Any] = {}

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        seen["headers"] = dict(scope["headers"])
        seen["query"] = scope["query_string"]
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        seen["body"] = orjson.loads(body)
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    client._transport.app = recording  # type: ignore[attr-defined]
    response = await client.post(
        "/graphql",
        json={"query": SIGN_UP, "variables": {"input": signup_input(password="hemligt-lösen")}},
    )
    assert response.status_code == 204
    watch = no_secrets_in_logs
    assert seen["headers"][CANARY_HEADER.encode()] == watch.header.encode()
    assert f"{CANARY_COOKIE}={watch.cookie}".encode() in seen["headers"][b"cookie"]
    assert f"{CANARY_PARAMETER}={watch.parameter}".encode() in seen["query"]
    assert seen["body"]["variables"][CANARY_VARIABLE] == watch.variable
    assert seen["body"]["variables"]["input"]["password"] == "hemligt-lösen"
    assert "hemligt-lösen" in watch.secrets  # remembered: the test fails if it is ever logged


INNER_SUITE = """
import logging

import pytest

from gql_portal.http import graphql as graphql_route
from tests.accounts import SIGN_UP, signup_input


async def test_logs_a_password_it_sent(api):
    await api(SIGN_UP, {"input": signup_input(password="inner-secret-pw-1")})
    logging.getLogger("gql_portal.auth").info("signing up with %s", "inner-secret-pw-1")


async def test_the_service_logs_its_request_headers(api, monkeypatch):
    real = graphql_route.session_token

    def leaky(request):
        logging.getLogger("gql_portal.http").info("headers: %s", dict(request.headers))
        return real(request)

    monkeypatch.setattr(graphql_route, "session_token", leaky)
    await api("{ viewer { context } }")


async def test_a_clean_request(api):
    body = await api(SIGN_UP, {"input": signup_input(password="inner-secret-pw-2")})
    assert body["data"]["signUp"]["email"] == "asa@byra.example"
"""


def test_a_suite_that_logs_a_planted_value_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard run on a small suite of its own (in a subprocess: its logs are its own)."""
    pytester.makeconftest("from tests.conftest import *  # noqa: F403\n")
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = session\n"
        "asyncio_default_test_loop_scope = session\n"
    )
    pytester.makepyfile(test_inner=INNER_SUITE)
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # the subprocess imports tests.conftest
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("errors")) == (3, 2), result.stdout.str()
    output = result.stdout.str()
    assert "ERROR at teardown of test_logs_a_password_it_sent" in output
    assert "ERROR at teardown of test_the_service_logs_its_request_headers" in output
    assert "teardown of test_a_clean_request" not in output
    assert "inner-secret-pw-1" in output and "canary-header-" in output  # what was found


# -- the service's own logging ------------------------------------------------------------------


async def test_an_unexpected_error_is_logged_without_its_message(
    database: Database, caplog: pytest.LogCaptureFixture, no_secrets_in_logs: SecretWatch
) -> None:
    # A real database error: SQLAlchemy's message carries the statement's bound parameters.
    secret = "19850312-3385-in-a-parameter"
    no_secrets_in_logs.secrets.add(secret)
    try:
        async with database.session() as session:
            await session.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": secret})
    except Exception as caught:
        failure: Exception = caught
    assert secret in str(failure)
    error = GraphQLError("x", path=["employees"], original_error=failure)
    answer = format_error(error, "req-1")
    assert answer["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and secret not in str(answer)
    (record,) = [r for r in caplog.records if r.name == "gql_portal.http"]
    line = orjson.loads(JsonFormatter().format(record))
    # OperationalError on SQLite, ProgrammingError on PostgreSQL: the type, never the message.
    assert f"sqlalchemy.exc.{type(failure).__name__} (message not logged)" in line["message"]
    assert "req-1" in line["message"] and "File " in line["message"]
    assert secret not in line["message"]


PIN = "19850312-3385"


def test_an_exception_summary_has_types_and_frames_only() -> None:
    def store(value: str) -> None:
        raise IntegrityError("INSERT INTO employees", {"pin": value}, Exception(value))

    try:
        try:
            store(PIN)
        except IntegrityError as error:
            raise RuntimeError(f"could not store {error.params}") from error
    except RuntimeError as error:
        summary = exception_summary(error)
    assert PIN not in summary and summary.count("(message not logged)") == 2
    assert summary.index("sqlalchemy.exc.IntegrityError") < summary.index("builtins.RuntimeError")
    assert "in store" in summary  # the frames are there


def test_the_json_formatter_keeps_exception_messages_out() -> None:
    password = "".join(["hun", "ter2"])
    try:
        raise ValueError(f"password={password}")
    except ValueError:
        record = logging.LogRecord(
            "gql_portal.jobs", logging.ERROR, __file__, 1, "failed", (), sys.exc_info()
        )
    line = orjson.loads(JsonFormatter().format(record))
    assert "hunter2" not in line["exception"] and "builtins.ValueError" in line["exception"]


async def test_variables_that_fail_coercion_never_reach_the_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    values = signup_input(password="pw-that-must-not-leak", industry=17)
    body = await api(SIGN_UP, {"input": values})
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert all("pw-that-must-not-leak" not in r.getMessage() for r in caplog.records)
