"""Self-hosted GraphiQL, served at ``GET /graphql`` with every asset from our own origin.

No CDN is used: firms' networks often block them. The browser bundles (React 18 UMD,
GraphiQL 3 and its explorer plugin) come from the npm registry at set-up time:
``web/graphiql/install.sh`` (run by ``make install``) copies them into :data:`STATIC_DIR`,
which is build output and not committed. The page's own bootstrap script and stylesheet
are committed in ``assets/`` beside this file. Both folders are served by one mount,
``/graphiql-assets`` (see :func:`routes`).

Wiring, in the application::

    routes = [
        *graphiql.routes(),
        Route("/graphql", graphiql.graphiql_page, methods=["GET"]),
        ...  # POST /graphql: the GraphQL endpoint itself
    ]
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Final

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, NoMatchFound
from starlette.staticfiles import StaticFiles

from gql_portal import pages

__all__ = [
    "ASSETS_DIR",
    "ASSETS_PREFIX",
    "CONTENT_SECURITY_POLICY",
    "STATIC_DIR",
    "graphiql_page",
    "routes",
]

_HERE: Final = Path(__file__).resolve().parent

STATIC_DIR: Final[Path] = _HERE / "static"
"""Bundles copied from npm by ``web/graphiql/install.sh`` (build output, not committed)."""

ASSETS_DIR: Final[Path] = _HERE / "assets"
"""Committed assets of the page itself (bootstrap script, layout CSS)."""

ASSETS_PREFIX: Final = "/graphiql-assets"
_MOUNT_NAME: Final = "graphiql-assets"

# (folder, file name) in load order. The names in STATIC_DIR must match FILES in
# web/graphiql/install.sh.
_STYLES: Final[tuple[tuple[Path, str], ...]] = (
    (STATIC_DIR, "graphiql.min.css"),
    (STATIC_DIR, "plugin-explorer.css"),
    (ASSETS_DIR, "page.css"),
)
_SCRIPTS: Final[tuple[tuple[Path, str], ...]] = (
    (STATIC_DIR, "react.production.min.js"),
    (STATIC_DIR, "react-dom.production.min.js"),
    (STATIC_DIR, "graphiql.min.js"),  # needs window.React and window.ReactDOM
    (STATIC_DIR, "plugin-explorer.umd.js"),  # needs window.React and window.GraphiQL
    (ASSETS_DIR, "page.js"),  # renders GraphiQL into #graphiql
)

# Only our own origin. Everything GraphiQL 3 needs is covered by this; the
# allowances beyond 'self' and why:
# - style-src 'unsafe-inline': GraphiQL's components (CodeMirror 5, Radix UI,
#   framer-motion) inject <style> elements and style attributes at run time.
#   Scripts stay strict: no inline script and no eval ('unsafe-eval' is not needed).
# - font-src data: graphiql.min.css embeds its Roboto / Fira Code fonts as data: URIs.
# - img-src data: small inline images/icons in the CSS.
# GraphiQL 3 starts no web workers, so worker-src falls back to default-src 'self'.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; "
    "font-src 'self' data:; "
    "connect-src 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'self'; "
    "form-action 'self'"
)

_PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The HTML names the assets with a version query (?v=...), so revalidate it.
    "Cache-Control": "no-cache",
}

_NOT_BUILT_MESSAGE: Final = (
    "GraphiQL is not available: its browser assets have not been built "
    "(gql_portal/graphiql/static/ is missing files).\n"
    "Run `make install` (it runs web/graphiql/install.sh), then reload this page.\n"
)


class _GraphiQLFiles(StaticFiles):
    """Serves ``assets/`` and ``static/`` under one mount.

    Unlike a plain ``StaticFiles(directory=STATIC_DIR, check_dir=False)``, a missing
    ``static/`` (set-up not run) gives 404s rather than a RuntimeError (500) on each
    request, and the committed ``assets/`` cannot be shadowed by built files.
    """

    def __init__(self) -> None:
        super().__init__(directory=ASSETS_DIR, check_dir=False)
        self.all_directories = [ASSETS_DIR, STATIC_DIR]


def routes() -> list[BaseRoute]:
    """The routes that serve the GraphiQL assets (mount at the application's top level)."""
    return [Mount(ASSETS_PREFIX, _GraphiQLFiles(), name=_MOUNT_NAME)]


def _asset_path(request: Request, name: str) -> str:
    """Same-origin absolute path (no scheme or host) of an asset under the mount."""
    try:
        return request.url_for(_MOUNT_NAME, path=name).path
    except NoMatchFound:
        return f"{request.scope.get('root_path', '')}{ASSETS_PREFIX}/{name}"


def _version(stat: os.stat_result) -> str:
    """Cache-busting token that changes whenever the file is replaced."""
    return f"{stat.st_size:x}-{stat.st_mtime_ns:x}"


def _render_page(request: Request) -> Response:
    """Build the page, or the 503 answer when the assets are missing (blocking file I/O)."""
    versions: dict[str, str] = {}
    for folder, name in (*_STYLES, *_SCRIPTS):
        try:
            stat = (folder / name).stat()
        except OSError:
            return PlainTextResponse(
                _NOT_BUILT_MESSAGE,
                status_code=503,
                headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
            )
        versions[name] = _version(stat)

    def url(name: str) -> str:
        return html.escape(f"{_asset_path(request, name)}?v={versions[name]}", quote=True)

    styles = "\n".join(f'    <link rel="stylesheet" href="{url(name)}">' for _, name in _STYLES)
    # The site's icon, from the pages' assets (without it the browser asks for /favicon.ico).
    icon = html.escape(pages.icon_path(request), quote=True)
    scripts = "\n".join(f'    <script src="{url(name)}"></script>' for _, name in _SCRIPTS)
    # The page posts its queries to its own path (GET /graphql shows GraphiQL,
    # POST /graphql is the API).
    endpoint = html.escape(request.url.path, quote=True)
    page = f"""<!doctype html>
<html lang="sv">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>GraphiQL – gql-portal</title>
    <link rel="icon" type="image/svg+xml" href="{icon}">
{styles}
  </head>
  <body>
    <div id="graphiql" data-endpoint="{endpoint}">
      <noscript>
        <p class="graphiql-portal-noscript">
          GraphiQL kräver JavaScript. / GraphiQL requires JavaScript.
        </p>
      </noscript>
    </div>
{scripts}
  </body>
</html>
"""
    return HTMLResponse(page, headers=_PAGE_HEADERS)


async def graphiql_page(request: Request) -> Response:
    """``GET /graphql``: the GraphiQL page, or 503 (plain text) if the assets are not built."""
    return await anyio.to_thread.run_sync(_render_page, request)
