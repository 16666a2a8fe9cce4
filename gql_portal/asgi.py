"""The ASGI entry point for uvicorn: `gql_portal.asgi:create` (a factory, one per worker)."""

from __future__ import annotations

import logging

from starlette.applications import Starlette

from gql_portal.app import create_app
from gql_portal.config import Settings
from gql_portal.runtime import Runtime


def create() -> Starlette:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Runtime.from_settings(Settings.from_env()))
