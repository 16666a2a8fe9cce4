"""What operators see: a JSON log line per GraphQL request (ids and codes, never personal
data or secrets) and Prometheus metrics at /metrics."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson
import pytest

from gql_portal.observability import JsonFormatter
from tests.conftest import Api
from tests.factories import Factory


def metric(text: str, series: str) -> float:
    """The value of one series (name and labels exactly), 0 when it is not there yet."""
    for line in text.splitlines():
        if line.split(" ")[0] == series:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_metrics_count_requests_errors_and_the_outbox(
    api: Api, client: httpx.AsyncClient, factory: Factory
) -> None:
    before = (await client.get("/metrics")).text
    await api("{ viewer { context } }")
    await api("{ viewer { nosuchfield } }")
    after = await client.get("/metrics")
    assert after.status_code == 200
    assert after.headers["content-type"].startswith("text/plain")
    requests = 'gql_portal_graphql_requests_total{operation_type="query"}'
    errors = 'gql_portal_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}'
    assert metric(after.text, requests) - metric(before, requests) == 2
    assert metric(after.text, errors) - metric(before, errors) == 1
    assert "gql_portal_graphql_request_seconds_bucket" in after.text
    assert "gql_portal_email_outbox_backlog" in after.text
    assert "gql_portal_db_connections_in_use" in after.text


async def test_each_request_logs_one_json_line_without_personal_data(
    api: Api, factory: Factory, caplog: pytest.LogCaptureFixture
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    await factory.employee(company, personal_identity_number="198503123385")
    caplog.set_level(logging.INFO, logger="gql_portal.requests")
    body = await api(
        "query Staff { employees { nodes { personalIdentityNumber email } } nosuch }",
        token=admin.token,
    )
    assert "errors" in body
    body = await api(
        "query Staff { employees { nodes { personalIdentityNumber } } }", token=admin.token
    )
    assert body["data"]["employees"]["nodes"][0]["personalIdentityNumber"] == "198503123385"
    records = [r for r in caplog.records if r.name == "gql_portal.requests"]
    assert len(records) == 2
    lines = [orjson.loads(JsonFormatter().format(record)) for record in records]
    first, second = lines
    assert first["errors"] == ["GRAPHQL_VALIDATION_FAILED"] and second["errors"] == []
    assert second["operation"] == "Staff" and second["role"] == "COMPANY_ADMIN"
    assert second["user_id"] == admin.user_id and second["cost"] > 0
    assert second["request_id"] and second["duration_ms"] >= 0
    text = "\n".join(JsonFormatter().format(record) for record in records)
    for secret in ("198503123385", admin.token):
        assert secret not in text


def test_the_json_formatter_keeps_exceptions_on_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info()
        )
    line: dict[str, Any] = orjson.loads(JsonFormatter().format(record))
    assert line["message"] == "failed here" and "ValueError: boom" in line["exception"]
