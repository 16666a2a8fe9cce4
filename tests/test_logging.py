"""What the logs must never hold."""

from __future__ import annotations

import logging

import orjson

from gql_portal.asgi import RedactTokens
from gql_portal.observability import JsonFormatter


def test_link_tokens_are_redacted_from_access_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/login?token=gqpl_secret123&x=1", "1.1", 200),
        None,
    )
    assert RedactTokens().filter(record)
    assert record.getMessage() == '127.0.0.1:5000 - "GET /login?token=[redacted]&x=1 HTTP/1.1" 200'


def test_export_link_signatures_are_redacted_from_access_logs() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        (
            "127.0.0.1:5000",
            "GET",
            "/files/exports/7?session=3&expires=99&signature=abc123",
            "1.1",
            200,
        ),
        None,
    )
    assert RedactTokens().filter(record)
    assert "abc123" not in record.getMessage()
    assert "/files/exports/7?session=3&expires=99&signature=[redacted]" in record.getMessage()


def test_access_log_lines_lose_their_whole_query_string() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/graphql?query={x}&variables=%7B%22pw%22%7D&a=b", "1.1", 400),
        None,
    )
    line = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == '127.0.0.1:5000 - "GET /graphql?[redacted] HTTP/1.1" 400'
    assert record.getMessage().endswith("400")  # the record itself is left to other handlers
