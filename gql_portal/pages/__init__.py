"""The small HTML pages behind the links in our emails: ``/login`` and ``/reset-password``.

Sign-up mails ``{public_url}/login?token=…`` (opening it confirms the email address, then the
person logs in) and a password reset mails ``{public_url}/reset-password?token=…``. Both pages
are plain Swedish HTML that drive the GraphQL API (``POST /graphql``) from one external script,
``assets/pages.js``; their stylesheet is ``assets/pages.css`` and their icon
``assets/favicon.svg``. All three are served by the mount ``/page-assets`` (see :func:`routes`).
The same icon, as ``assets/favicon.ico``, answers ``GET /favicon.ico`` (browsers and other
clients ask for it by themselves); the GraphiQL page links the SVG through :func:`icon_path`.

Security:

- The HTML is the same for every request apart from the application's own paths: the link's
  token (or anything else from the query string) is never echoed into it. The script reads
  the token from ``location.search``.
- No inline script, style or event handler, so the Content-Security-Policy can be strict.
- ``Referrer-Policy: no-referrer`` (also as a ``<meta>``) keeps the token out of the Referer
  of every request the page makes; ``Cache-Control: no-store`` keeps the page out of caches.
- The submit buttons are disabled in the HTML and enabled by the script, so without JavaScript
  nothing is submitted (a form would otherwise put the password in a URL).

Wiring, in the application::

    routes = [..., *pages.routes()]
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, NoMatchFound, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gql_portal.domain.validation import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

__all__ = [
    "ASSETS_DIR",
    "ASSETS_PREFIX",
    "CONTENT_SECURITY_POLICY",
    "FAVICON_PATH",
    "icon_path",
    "routes",
]

ASSETS_DIR: Final[Path] = Path(__file__).resolve().parent / "assets"
"""The pages' script and stylesheet (committed; served as they are)."""

ASSETS_PREFIX: Final = "/page-assets"
_MOUNT_NAME: Final = "page-assets"
_STYLESHEET: Final = "pages.css"
_SCRIPT: Final = "pages.js"
_ICON: Final = "favicon.svg"
_ICO: Final = "favicon.ico"

FAVICON_PATH: Final = "/favicon.ico"
# A versioned asset (``?v=`` is its current content hash) never changes under its URL; the
# unversioned /favicon.ico is kept for a week.
_IMMUTABLE: Final = "public, max-age=31536000, immutable"
_FAVICON_CACHE: Final = "public, max-age=604800"

GRAPHQL_PATH: Final = "/graphql"  # POST: the API; GET from a browser: GraphiQL
LOGIN_PATH: Final = "/login"
RESET_PASSWORD_PATH: Final = "/reset-password"
FORGOT_PASSWORD_ANCHOR: Final = "glomt-losenord"  # id of the "Glömt lösenordet?" section

# Only our own origin, and nothing inline.
CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; "
    "script-src 'self'; "
    "style-src 'self'; "
    "img-src 'self'; "
    "connect-src 'self'; "
    "form-action 'self'; "
    "frame-ancestors 'none'; "
    "base-uri 'self'"
)

_PAGE_HEADERS: Final = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

_NOSCRIPT: Final = """\
    <noscript>
      <p class="message message--error">
        Den här sidan behöver JavaScript. Slå på JavaScript i webbläsaren och ladda om sidan.
      </p>
    </noscript>"""


@dataclass(frozen=True)
class _Paths:
    """The same-origin paths a page refers to (already HTML-escaped)."""

    stylesheet: str
    script: str
    icon: str
    graphql: str
    login: str


def _escape(value: str) -> str:
    return html.escape(value, quote=True)


def _email_field(field_id: str, indent: int) -> str:
    field = f"""\
<div class="field">
  <label for="{field_id}">E-postadress</label>
  <input id="{field_id}" name="email" type="email" autocomplete="email" required
         maxlength="254" spellcheck="false" autocapitalize="off">
</div>"""
    return textwrap.indent(field, " " * indent)


def _message(region_id: str, *, extra_class: str = "") -> str:
    """A live region the script writes the outcome of a form into (empty until then)."""
    classes = f"message {extra_class}".strip()
    return f'<p id="{region_id}" class="{classes}" role="status" aria-live="polite"></p>'


def _login_main(paths: _Paths) -> str:
    return f"""\
    <h1 id="login-heading">Logga in</h1>
{_NOSCRIPT}
    {_message("verify-status", extra_class="page-status")}

    <section id="resend" aria-labelledby="resend-heading" hidden>
      <h2 id="resend-heading">Få en ny länk</h2>
      <p>Skriv din e-postadress så mejlar vi en ny länk som bekräftar adressen.</p>
      <form id="resend-form" method="post">
{_email_field("resend-email", 8)}
        <button type="submit" disabled>Skicka en ny länk</button>
        {_message("resend-message")}
      </form>
    </section>

    <form id="login-form" method="post" aria-labelledby="login-heading">
{_email_field("login-email", 6)}
      <div class="field">
        <label for="login-password">Lösenord</label>
        <input id="login-password" name="password" type="password"
               autocomplete="current-password" required maxlength="{MAX_PASSWORD_LENGTH}">
      </div>
      <button type="submit" disabled>Logga in</button>
      {_message("login-message")}
    </form>

    <section id="logged-in" hidden>
      <p id="logged-in-text" class="message message--success" tabindex="-1"></p>
      <p><a id="graphiql-link" href="{paths.graphql}">Fortsätt till GraphiQL</a></p>
      <p>Du skickas vidare automatiskt om några sekunder.</p>
    </section>

    <section id="{FORGOT_PASSWORD_ANCHOR}" aria-labelledby="forgot-heading">
      <h2 id="forgot-heading">Glömt lösenordet?</h2>
      <p>Skriv din e-postadress så mejlar vi en länk där du kan välja ett nytt lösenord.</p>
      <form id="forgot-form" method="post">
{_email_field("forgot-email", 8)}
        <button type="submit" disabled>Skicka länk</button>
        {_message("forgot-message")}
      </form>
    </section>"""


def _reset_password_main(paths: _Paths) -> str:
    return f"""\
    <h1>Välj ett nytt lösenord</h1>
{_NOSCRIPT}
    {_message("reset-status", extra_class="page-status")}

    <form id="reset-form" method="post">
      <div class="field">
        <label for="new-password">Nytt lösenord</label>
        <input id="new-password" name="new-password" type="password"
               autocomplete="new-password" required minlength="{MIN_PASSWORD_LENGTH}"
               maxlength="{MAX_PASSWORD_LENGTH}" aria-describedby="new-password-hint">
        <p id="new-password-hint" class="hint">
          Minst {MIN_PASSWORD_LENGTH} tecken. Undvik vanliga lösenord och din e-postadress.
        </p>
      </div>
      <div class="field">
        <label for="confirm-password">Upprepa det nya lösenordet</label>
        <input id="confirm-password" name="confirm-password" type="password"
               autocomplete="new-password" required minlength="{MIN_PASSWORD_LENGTH}"
               maxlength="{MAX_PASSWORD_LENGTH}">
      </div>
      <button type="submit" disabled>Byt lösenord</button>
      {_message("reset-message")}
    </form>

    <p id="reset-new-link" hidden>
      <a href="{paths.login}#{FORGOT_PASSWORD_ANCHOR}">Be om en ny länk för att byta lösenord</a>
    </p>

    <section id="reset-done" hidden>
      <p id="reset-done-text" class="message message--success" tabindex="-1">
        Lösenordet är bytt. Alla inloggningar har loggats ut.
      </p>
      <p><a href="{paths.login}">Logga in med ditt nya lösenord</a></p>
    </section>"""


def _document(*, page: str, title: str, main: str, paths: _Paths) -> str:
    return f"""<!doctype html>
<html lang="sv">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <meta name="robots" content="noindex, nofollow">
    <title>{title} – gql-portal</title>
    <link rel="icon" type="image/svg+xml" href="{paths.icon}">
    <link rel="stylesheet" href="{paths.stylesheet}">
    <script src="{paths.script}" defer></script>
  </head>
  <body data-page="{page}" data-graphql="{paths.graphql}">
    <main>
{main}
    </main>
  </body>
</html>
"""


@functools.cache
def _version(name: str) -> str:
    """An asset's content hash, for cache-busting ``?v=`` queries (read once per process)."""
    return hashlib.sha256((ASSETS_DIR / name).read_bytes()).hexdigest()[:16]


def _asset_versions() -> dict[str, str]:
    return {name: _version(name) for name in (_STYLESHEET, _SCRIPT, _ICON)}


def _asset_path(request: Request, name: str, version: str) -> str:
    """Same-origin absolute path (no scheme or host) of a versioned asset, not escaped."""
    try:
        path = request.url_for(_MOUNT_NAME, path=name).path
    except NoMatchFound:
        root = str(request.scope.get("root_path", "")).rstrip("/")
        path = f"{root}{ASSETS_PREFIX}/{name}"
    return f"{path}?v={version}"


def icon_path(request: Request) -> str:
    """The site icon (SVG) for another page of ours to link, e.g. GraphiQL (not HTML-escaped)."""
    return _asset_path(request, _ICON, _version(_ICON))


def _paths(request: Request, versions: dict[str, str]) -> _Paths:
    """Same-origin absolute paths (no scheme or host), honouring the ASGI root path.

    Only the application's configuration goes in here, never anything the request carries.
    """
    root = str(request.scope.get("root_path", "")).rstrip("/")

    def asset(name: str) -> str:
        return _escape(_asset_path(request, name, versions[name]))

    return _Paths(
        stylesheet=asset(_STYLESHEET),
        script=asset(_SCRIPT),
        icon=asset(_ICON),
        graphql=_escape(root + GRAPHQL_PATH),
        login=_escape(root + LOGIN_PATH),
    )


class _PageAssets(StaticFiles):
    """The assets, cached for good when asked for by their current version (``?v=``)."""

    def __init__(self) -> None:
        super().__init__(directory=ASSETS_DIR, check_dir=True)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        name = Path(full_path).name
        asked = Request(scope).query_params.get("v")
        if response.status_code in (200, 304) and asked is not None and asked == _version(name):
            response.headers["Cache-Control"] = _IMMUTABLE
        return response


def routes() -> list[BaseRoute]:
    """``GET /login``, ``GET /reset-password``, ``GET /favicon.ico`` and the ``/page-assets``
    mount (top level)."""
    versions = _asset_versions()
    favicon = (ASSETS_DIR / _ICO).read_bytes()

    async def login_page(request: Request) -> Response:
        paths = _paths(request, versions)
        page = _document(page="login", title="Logga in", main=_login_main(paths), paths=paths)
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    async def reset_password_page(request: Request) -> Response:
        paths = _paths(request, versions)
        page = _document(
            page="reset-password",
            title="Välj ett nytt lösenord",
            main=_reset_password_main(paths),
            paths=paths,
        )
        return HTMLResponse(page, headers=_PAGE_HEADERS)

    async def favicon_ico(request: Request) -> Response:
        return Response(
            favicon,
            media_type="image/x-icon",
            headers={"Cache-Control": _FAVICON_CACHE, "X-Content-Type-Options": "nosniff"},
        )

    return [
        Route(LOGIN_PATH, login_page, methods=["GET"], name="login-page"),
        Route(
            RESET_PASSWORD_PATH, reset_password_page, methods=["GET"], name="reset-password-page"
        ),
        Route(FAVICON_PATH, favicon_ico, methods=["GET"], name="favicon"),
        Mount(ASSETS_PREFIX, _PageAssets(), name=_MOUNT_NAME),
    ]
