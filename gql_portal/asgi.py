"""The ASGI entry point for uvicorn: `gql_portal.asgi:create` (a factory, one per worker)."""

from __future__ import annotations

import logging
import os
import re

from starlette.applications import Starlette

from gql_portal.config import Settings
from gql_portal.execution import settle_worker
from gql_portal.http.app import create_app
from gql_portal.http.trusted import load_manifest
from gql_portal.observability import JsonFormatter
from gql_portal.runtime import Runtime

# Email-link tokens, and the signatures of export download links.
_SECRET_QUERY = re.compile(r"((?:token|signature)=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Email-link tokens and download-link signatures travel in query strings; keep them out
    of access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def configure_logging() -> None:
    """JSON lines on stderr (one object per line), for log collectors; the level from
    GQL_PORTAL_LOG_LEVEL (`serve --log-level` sets it for its workers), INFO by default."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactTokens())
    level = os.environ.get("GQL_PORTAL_LOG_LEVEL", "info").upper()
    logging.basicConfig(level=getattr(logging, level, logging.INFO), handlers=[handler], force=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())


def trusted_documents(settings: Settings) -> int:
    """How many documents the trusted-documents manifest holds, checked as every worker will
    check it (`serve` asks before starting any). Raises ConfigError."""
    if settings.trusted_documents is None:
        return 0
    return len(load_manifest(settings.trusted_documents))


def create() -> Starlette:
    configure_logging()
    app = create_app(Runtime.from_settings(Settings.from_env()))
    settle_worker()  # what start-up built stays out of the garbage collector's way
    return app
