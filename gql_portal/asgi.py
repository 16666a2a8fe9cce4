"""The ASGI entry point for uvicorn: `gql_portal.asgi:create` (a factory, one per worker)."""

from __future__ import annotations

import logging
import re

from starlette.applications import Starlette

from gql_portal.app import create_app
from gql_portal.config import Settings
from gql_portal.runtime import Runtime

_SECRET_QUERY = re.compile(r"(token=)[^&\s\"]+")


class RedactTokens(logging.Filter):
    """Email-link tokens travel in query strings; keep them out of access logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SECRET_QUERY.sub(r"\1[redacted]", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())


def create() -> Starlette:
    configure_logging()
    return create_app(Runtime.from_settings(Settings.from_env()))
