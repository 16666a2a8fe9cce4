"""What the service tells its operators: one structured (JSON) log line per GraphQL request, and
Prometheus metrics at `/metrics`.

The log line names the request id, the viewer (ids and role, never a name, email, token or
personal identity number), the operation, its duration and cost, and the error codes. Metrics:
requests and latency by operation type, errors by code, the database pool in use, the email
outbox backlog and the background jobs running.

With several workers (`gql-portal serve --workers N`) every worker writes its metrics into
PROMETHEUS_MULTIPROC_DIR (prometheus_client's multiprocess mode; `serve` creates the directory,
empty, before any worker starts) and each scrape, whichever worker answers it, adds up all of
them: counters never go back when the next scrape lands on another worker, and a restarted
worker's counts stay in the totals. Per-worker gauges (pool, jobs) are summed over the live
workers only (`livesum`, refreshed every few seconds by each worker: `sample_worker`); a
worker that stops, or is found dead at a scrape, is marked dead (`mark_process_dead`).

Nothing a client sends reaches a log line or a metric: exceptions are logged as their types and
stack frames, never their messages (SQLAlchemy's carry bound parameters, graphql-core's the
values sent); access log lines lose their query strings; the operation name is kept only as a
short GraphQL name; metric labels come from fixed sets.
"""

from __future__ import annotations

import logging
import os
import re
import traceback
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
    multiprocess,
)
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from gql_portal.db.mail import MailStatus, OutboxMessage
from gql_portal.errors import Code
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
COMPILED_FALLBACKS = Counter(
    "gql_portal_compiled_fallbacks",
    "Queries the compiled path left to the resolver path, by operation name and reason "
    "(document: it does not compile; execution: its run left the fast path; variables).",
    ["operation", "reason"],
    registry=REGISTRY,
)
# multiprocess_mode: how the workers' values add up in multiprocess mode (ignored otherwise).
POOL_IN_USE = Gauge(
    "gql_portal_db_connections_in_use",
    "Database connections checked out of the workers' pools.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
OUTBOX_BACKLOG = Gauge(
    "gql_portal_email_outbox_backlog",
    "Emails queued or being sent, not yet delivered.",
    registry=REGISTRY,
    multiprocess_mode="mostrecent",  # one count of the shared database: the latest reading
)
JOBS_RUNNING = Gauge(
    "gql_portal_jobs_running",
    "Background jobs (exports) running in the workers.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
SAMPLE_SECONDS = 5.0


_OPERATION = re.compile(r"^\s*(query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")


def operation_type(document: str | None) -> str:
    """query or mutation, by the document's first keyword (a shorthand `{` is a query)."""
    head = (document or "").lstrip()
    return "mutation" if head.startswith("mutation") else "query"


MAX_OPERATION_NAME = 64
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
INVALID_NAME = "(not a name)"
# Codes an answer can carry: anything else is counted and logged as OTHER (bounded labels).
KNOWN_CODES = frozenset(
    {code.value for code in Code}
    | {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}
    # Persisted queries and trusted documents (http/persisted.py).
    | {"PERSISTED_QUERY_NOT_FOUND", "PERSISTED_QUERY_NOT_ALLOWED"}
)


def operation_label(operation_name: str | None, document: str | None) -> str | None:
    """The operation's name: as asked for, or the name of the document's first operation.
    The client chose it: only a GraphQL name is kept, cut at MAX_OPERATION_NAME characters."""
    if not operation_name:
        found = _OPERATION.match(document or "")
        operation_name = found.group(2) if found else None
    if operation_name is None:
        return None
    if not _NAME.fullmatch(operation_name):
        return INVALID_NAME
    if len(operation_name) > MAX_OPERATION_NAME:
        return operation_name[:MAX_OPERATION_NAME] + "..."
    return operation_name


def observe_compiled_fallback(
    operation_name: str | None, document: str | None, reason: str
) -> None:
    COMPILED_FALLBACKS.labels(operation_label(operation_name, document) or "", reason).inc()


def code_label(code: str) -> str:
    return code if code in KNOWN_CODES else "OTHER"


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
    codes = [code_label(code) for code in error_codes]
    for code, count in Tally(codes).items():
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
            "errors": codes,
        }
        request_log.info("graphql request", extra={"fields": line})


def exception_summary(error: BaseException | None) -> str:
    """Where an exception came from, without what it says: the types and stack frames of the
    exception and of its causes (graphql-core's original errors too), never a message, an
    argument or a note: those can quote the input (SQL parameters, the values sent)."""
    chain: list[BaseException] = []
    current = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        following = getattr(current, "original_error", None)
        if not isinstance(following, BaseException):
            following = current.__cause__ or (
                None if current.__suppress_context__ else current.__context__
            )
        current = following
    parts: list[str] = []
    for exception in reversed(chain):  # the root cause first, as Python prints them
        if parts:
            parts.append("\nLeading to:\n")
        frames = traceback.extract_tb(exception.__traceback__)
        if frames:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(frames))
        kind = type(exception)
        parts.append(f"{kind.__module__}.{kind.__qualname__} (message not logged)\n")
    return "".join(parts).rstrip("\n")


_QUERY = re.compile(r"\?[^\s\"]*")


def without_query(target: str) -> str:
    """A request target without its query string (tokens, signatures, anything a client put
    there): `/files/exports/7?[redacted]`."""
    return _QUERY.sub("?[redacted]", target)


class JsonFormatter(logging.Formatter):
    """Every log line one JSON object: time, level, logger, message, the record's `fields`
    (request lines), and where there is an exception its types and stack frames (never its
    message). Access log lines (uvicorn's) lose their query strings."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()

    def formatException(self, ei: Any) -> str:
        return exception_summary(ei[1])


def _message(record: logging.LogRecord) -> str:
    args = record.args
    if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) >= 3:
        # uvicorn's '%s - "%s %s HTTP/%s" %d': the third is the target, query string and all.
        args = tuple(without_query(a) if isinstance(a, str) and "?" in a else a for a in args)
        return str(record.msg) % args
    return record.getMessage()


def multiprocess_dir() -> str | None:
    """The directory the workers share their metrics through; None in a single process."""
    return os.environ.get(MULTIPROCESS_DIR) or None


def sample_worker(runtime: Runtime) -> None:
    """This worker's own gauges: database connections checked out, jobs running."""
    pool = runtime.database.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    POOL_IN_USE.set(checked_out() if callable(checked_out) else 0)
    JOBS_RUNNING.set(runtime.jobs.running)


def worker_stopped() -> None:
    """This worker's live gauges leave the sums (its counters stay in the totals)."""
    if multiprocess_dir() is not None:
        multiprocess.mark_process_dead(os.getpid())


def _mark_dead_workers(directory: str) -> None:
    """Workers that died without stopping (killed): their live gauges leave the sums too."""
    pids: set[int] = set()
    for name in os.listdir(directory):
        if name.startswith("gauge_live") and name.endswith(".db"):
            digits = name.removesuffix(".db").rsplit("_", 1)[-1]
            if digits.isdigit():
                pids.add(int(digits))
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:  # alive, another user's: not ours to judge
            pass


def exposition() -> bytes:
    """The metrics in Prometheus's text format: all workers' when they share a directory."""
    directory = multiprocess_dir()
    if directory is None:
        return generate_latest(REGISTRY)
    _mark_dead_workers(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


async def metrics(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    sample_worker(runtime)
    async with runtime.database.session() as session:
        backlog = await session.scalar(
            select(func.count()).where(
                OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.SENDING])
            )
        )
    OUTBOX_BACKLOG.set(backlog or 0)
    return Response(exposition(), media_type=CONTENT_TYPE_LATEST)
