"""Probes: `GET /healthz` (the process answers) and `GET /readyz` (the database is reachable and
fully migrated)."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from gql_portal.db.migrate import pending_revisions
from gql_portal.errors import Code
from gql_portal.http.responses import json_response, request_id_of
from gql_portal.runtime import Runtime

log = logging.getLogger("gql_portal.http")


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        if await pending_revisions(runtime.database):
            return _not_ready(request, "migrations pending")
    except Exception:
        log.exception("readiness check failed")
        return _not_ready(request, "database unreachable")
    return json_response({"status": "ready"})


def _not_ready(request: Request, status: str) -> Response:
    """503 with the status a probe reads, and the coded error every other answer has."""
    request_id = request_id_of(request)
    error = {
        "message": f"Not ready: {status}.",
        "extensions": {"code": Code.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    }
    return json_response({"status": status, "errors": [error]}, 503, {"x-request-id": request_id})
