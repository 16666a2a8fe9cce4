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
    formatted = JsonFormatter().format(record)
    assert "\n" not in formatted
    line: dict[str, Any] = orjson.loads(formatted)
    # The type and where it was raised; not the message (it can quote the input).
    assert line["message"] == "failed here" and "builtins.ValueError" in line["exception"]
    assert 'raise ValueError("boom")' in line["exception"] and "boom\n" not in line["exception"]


async def test_client_chosen_text_never_becomes_a_label_or_a_long_log_field(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gql_portal.requests")
    names = ["x" * 300, "drop table; --", "Staff"]
    for name in names:
        await client.post(
            "/graphql", json={"query": "query Staff { viewer { context } }", "operationName": name}
        )
    records = [r for r in caplog.records if r.name == "gql_portal.requests"]
    operations = [orjson.loads(JsonFormatter().format(r))["operation"] for r in records]
    assert operations == ["x" * 64 + "...", "(not a name)", "Staff"]
    scraped = (await client.get("/metrics")).text
    assert "drop table" not in scraped and "x" * 64 not in scraped


def test_metric_labels_come_from_fixed_sets() -> None:
    from gql_portal.observability import code_label

    assert code_label("NOT_FOUND") == "NOT_FOUND"
    assert code_label("GRAPHQL_VALIDATION_FAILED") == "GRAPHQL_VALIDATION_FAILED"
    assert code_label("anything a client could make up") == "OTHER"
