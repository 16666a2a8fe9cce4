"""What the service tells its operators: one structured (JSON) log line per GraphQL request, and
Prometheus metrics at `/metrics`.

The log line names the request id, the viewer (ids and role, never a name, email, token or
personal identity number), the operation, its duration and cost, and the error codes. Metrics
are per worker process (each uvicorn worker answers for itself): requests and latency by
operation type, errors by code, the database pool in use, the email outbox backlog and the
background jobs running.
"""

from __future__ import annotations

import logging
import re
from collections import Counter as Tally
from typing import Any

import orjson
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from gql_portal.db.mail import MailStatus, OutboxMessage
from gql_portal.permissions.access import Access
from gql_portal.runtime import Runtime

request_log = logging.getLogger("gql_portal.requests")

REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "gql_portal_graphql_requests",
    "GraphQL requests answered, by operation type.",
    ["operation_type"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "gql_portal_graphql_request_seconds",
    "Time to answer a GraphQL request, by operation type.",
    ["operation_type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
ERRORS = Counter(
    "gql_portal_graphql_errors",
    "Errors in GraphQL answers, by code.",
    ["code"],
    registry=REGISTRY,
)
POOL_IN_USE = Gauge(
    "gql_portal_db_connections_in_use",
    "Database connections checked out of this worker's pool.",
    registry=REGISTRY,
)
OUTBOX_BACKLOG = Gauge(
    "gql_portal_email_outbox_backlog",
    "Emails queued or being sent, not yet delivered.",
    registry=REGISTRY,
)
JOBS_RUNNING = Gauge(
    "gql_portal_jobs_running",
    "Background jobs (exports) running in this worker.",
    registry=REGISTRY,
)


_OPERATION = re.compile(r"^\s*(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def operation_type(document: str | None) -> str:
    """query or mutation, by the document's first keyword (a shorthand `{` is a query)."""
    head = (document or "").lstrip()
    return "mutation" if head.startswith("mutation") else "query"


def operation_label(operation_name: str | None, document: str | None) -> str | None:
    """The operation's name: as asked for, or the name of the document's first operation."""
    if operation_name:
        return operation_name
    found = _OPERATION.match(document or "")
    return found.group(2) if found else None


def observe_request(
    *,
    request_id: str,
    access: Access,
    operation_name: str | None,
    document: str | None,
    seconds: float,
    cost: int | None,
    error_codes: list[str],
) -> None:
    kind = operation_type(document)
    REQUESTS.labels(kind).inc()
    LATENCY.labels(kind).observe(seconds)
    for code, count in Tally(error_codes).items():
        ERRORS.labels(code).inc(count)
    if request_log.isEnabledFor(logging.INFO):
        line: dict[str, Any] = {
            "request_id": request_id,
            "user_id": access.user_id,
            "role": access.role.value,
            "company_id": access.company_id,
            "firm_id": access.partner_firm_id,
            "operation": operation_label(operation_name, document),
            "operation_type": kind,
            "duration_ms": round(seconds * 1000, 1),
            "cost": cost,
            "errors": error_codes,
        }
        request_log.info("graphql request", extra={"fields": line})


class JsonFormatter(logging.Formatter):
    """Every log line one JSON object: time, level, logger, message, the record's `fields`
    (request lines), and a formatted exception where there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    pool = runtime.database.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    POOL_IN_USE.set(checked_out() if callable(checked_out) else 0)
    JOBS_RUNNING.set(runtime.jobs.running)
    async with runtime.database.session() as session:
        backlog = await session.scalar(
            select(func.count()).where(
                OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
            )
        )
    OUTBOX_BACKLOG.set(backlog or 0)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
