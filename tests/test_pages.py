"""The pages behind the emailed links (/login, /reset-password): strict headers, every asset
from our own origin, nothing inline, no reflected input, accessible forms, and GraphQL
operations that the API accepts."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

import httpx
import pytest
from graphql import parse, validate
from starlette.applications import Starlette

from gql_portal.pages import ASSETS_DIR, routes
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import role_schema

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
)
PAGES = ["/login", "/reset-password"]
BASE_URL = "http://portal.test"

# Query strings a link (or an attacker) might bring; none may reach the HTML.
HOSTILE_QUERIES = [
    "?token=<script>alert(1)</script>",
    '?token="><img src=x onerror=alert(1)>',
    "?token=canary-7f3a9d1e-token",
    "?token=canary-7f3a9d1e-token&email=canary-7f3a9d1e@example.com",
    "?next=javascript:alert(1)&token=%27%3Bcanary-7f3a9d1e",
]


def _make_app() -> Starlette:
    return Starlette(routes=routes())


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_make_app())
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield client


class _Page(HTMLParser):
    """What the security and accessibility checks need from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.scripts: list[str] = []
        self.inline_scripts: list[str] = []
        self.stylesheets: list[str] = []
        self.other_links: list[tuple[str, str]] = []  # (rel, href)
        self.anchors: list[str] = []
        self.style_elements = 0
        self.forbidden_attributes: list[tuple[str, str]] = []  # (tag, attribute)
        self.forms: list[dict[str, str]] = []
        self.inputs: list[dict[str, str]] = []
        self.buttons: list[dict[str, str]] = []
        self.label_for: set[str] = set()
        self.ids: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        for name, value in attributes.items():
            if name.startswith("on") or name == "style":
                self.forbidden_attributes.append((tag, name))
            if name in ("href", "src", "action") and value.strip().lower().startswith(
                "javascript:"
            ):
                self.forbidden_attributes.append((tag, name))
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "html":
            self.html_lang = attributes.get("lang")
        elif tag == "script":
            self._in_script = True
            if "src" in attributes:
                self.scripts.append(attributes["src"])
            else:
                self.inline_scripts.append("")
        elif tag == "style":
            self.style_elements += 1
        elif tag == "link":
            if attributes.get("rel") == "stylesheet":
                self.stylesheets.append(attributes.get("href", ""))
            else:
                self.other_links.append((attributes.get("rel", ""), attributes.get("href", "")))
        elif tag == "a":
            self.anchors.append(attributes.get("href", ""))
        elif tag == "form":
            self.forms.append(attributes)
        elif tag == "input":
            self.inputs.append(attributes)
        elif tag == "button":
            self.buttons.append(attributes)
        elif tag == "label" and "for" in attributes:
            self.label_for.add(attributes["for"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts.append(data)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _same_origin_path(url: str) -> str:
    """The path of a same-origin URL (no scheme, no host), or fail."""
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, f"not a same-origin path: {url!r}"
    assert parts.path.startswith("/"), f"not an absolute path: {url!r}"
    return parts.path


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("query", ["", "?token=abc123"])
async def test_pages_have_strict_headers(http: httpx.AsyncClient, path: str, query: str) -> None:
    response = await http.get(path + query)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_get_only(http: httpx.AsyncClient, path: str) -> None:
    assert (await http.head(path)).status_code == 200
    for method in ("POST", "PUT", "DELETE"):
        response = await http.request(method, path, data={"email": "a@b.example"})
        assert response.status_code == 405, method


@pytest.mark.parametrize("path", PAGES)
async def test_pages_are_swedish_without_inline_code(http: httpx.AsyncClient, path: str) -> None:
    text = (await http.get(path)).text
    page = _parse(text)
    assert page.html_lang == "sv"
    assert '<meta name="referrer" content="no-referrer">' in text
    assert page.inline_scripts == [], "inline <script>"
    assert page.style_elements == 0, "inline <style>"
    assert page.forbidden_attributes == [], "inline handler, style attribute or javascript: URL"
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    lowered = text.lower()
    assert "http://" not in lowered and "https://" not in lowered
    assert 'src="//' not in lowered and 'href="//' not in lowered


@pytest.mark.parametrize("path", PAGES)
async def test_every_asset_is_same_origin_and_served(http: httpx.AsyncClient, path: str) -> None:
    page = _parse((await http.get(path)).text)
    assert len(page.scripts) == 1 and len(page.stylesheets) == 1
    assert [rel for rel, _ in page.other_links] == ["icon"]  # no favicon.ico 404 either
    expected = [(src, "javascript") for src in page.scripts]
    expected += [(href, "text/css") for href in page.stylesheets]
    expected += [(href, "image/svg+xml") for _, href in page.other_links]
    for url, content_type in expected:
        assert _same_origin_path(url).startswith("/page-assets/"), url
        assert urlsplit(url).query.startswith("v="), "assets carry a cache-busting version"
        response = await http.get(url)
        assert response.status_code == 200, url
        assert content_type in response.headers["content-type"], url
        assert len(response.content) > 200, f"{url} is suspiciously small"


@pytest.mark.parametrize("path", PAGES)
async def test_links_stay_on_our_origin(http: httpx.AsyncClient, path: str) -> None:
    page = _parse((await http.get(path)).text)
    assert page.anchors
    for href in page.anchors:
        target = _same_origin_path(href)
        assert target in ("/graphql", "/login"), href


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_query_string_is_never_reflected(
    http: httpx.AsyncClient, path: str, query: str
) -> None:
    plain = (await http.get(path)).text
    response = await http.get(path + query)
    assert response.status_code == 200
    # The page does not depend on the query string at all...
    assert response.text == plain
    # ...so no form of the payload is in it.
    for needle in ("<script>alert", "onerror", "alert(1)", "canary-7f3a9d1e", "javascript:"):
        assert needle not in response.text
        assert quote(needle) not in response.text
    assert "canary" not in "".join(response.headers.values())


async def test_login_page_forms_are_accessible(http: httpx.AsyncClient) -> None:
    page = _parse((await http.get("/login")).text)
    form_ids = {form.get("id") for form in page.forms}
    assert form_ids == {"login-form", "resend-form", "forgot-form"}
    autocomplete = {field["id"]: field.get("autocomplete") for field in page.inputs}
    assert autocomplete == {
        "login-email": "email",
        "login-password": "current-password",
        "resend-email": "email",
        "forgot-email": "email",
    }
    _assert_labelled_and_safe(page)
    assert "Glömt lösenordet?" in (await http.get("/login")).text


async def test_reset_password_page_forms_are_accessible(http: httpx.AsyncClient) -> None:
    page = _parse((await http.get("/reset-password")).text)
    assert [form.get("id") for form in page.forms] == ["reset-form"]
    autocomplete = {field["id"]: field.get("autocomplete") for field in page.inputs}
    assert autocomplete == {
        "new-password": "new-password",
        "confirm-password": "new-password",
    }
    _assert_labelled_and_safe(page)


def _assert_labelled_and_safe(page: _Page) -> None:
    for field in page.inputs:
        assert field.get("id") in page.label_for, f"no <label for> for {field}"
        assert "required" in field
        if "password" in field["id"]:
            assert field.get("type") == "password"
        else:
            assert field.get("type") == "email"
    for form in page.forms:
        # Without the script a form must not submit by GET (it would put a password in a URL).
        assert form.get("method") == "post"
        assert "action" not in form
    assert page.buttons
    for button in page.buttons:
        assert button.get("type") == "submit"
        assert "disabled" in button, "enabled only by the script"


async def test_script_talks_to_the_api_safely(http: httpx.AsyncClient) -> None:
    page = _parse((await http.get("/login")).text)
    script = (await http.get(page.scripts[0])).text
    assert "method: 'POST'" in script
    assert "credentials: 'same-origin'" in script
    assert "'Content-Type': 'application/json'" in script
    assert "window.location.search" in script
    assert "history.replaceState" in script  # the used token leaves the address bar
    assert "preventDefault" in script
    for unsafe in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert unsafe not in script, unsafe
    for text in (
        "Din e-postadress är bekräftad.",
        "Fel e-postadress eller lösenord",
        "Inloggad som ",
        "EMAIL_NOT_VERIFIED",
        "RATE_LIMITED",
        "retryAfterSeconds",
        "'newPassword'",
        "'USED'",
        "'EXPIRED'",
        "'INVALID'",
        "INVALID_CREDENTIALS",
    ):
        assert text in script, text


def _script_operations() -> dict[str, str]:
    script = (ASSETS_DIR / "pages.js").read_text(encoding="utf-8")
    found = re.findall(r"const ([A-Z_]+) =\s*'((?:mutation|query)\b[^']*)';", script)
    return dict(found)


def test_script_operations_are_valid_in_every_role_schema() -> None:
    operations = _script_operations()
    assert set(operations) == {
        "VERIFY_EMAIL",
        "RESEND_VERIFICATION_EMAIL",
        "LOG_IN",
        "REQUEST_PASSWORD_RESET",
        "RESET_PASSWORD",
    }
    assert "verifyEmail(token: $token) { email }" in operations["VERIFY_EMAIL"]
    assert "viewer { context user { name } }" in operations["LOG_IN"]
    assert "resetPassword(token: $t, newPassword: $p)" in operations["RESET_PASSWORD"]
    # A visitor may be anonymous or already logged in (any role): the API must accept each.
    for role in SchemaRole:
        schema = role_schema(role)._schema
        for name, document in operations.items():
            errors = validate(schema, parse(document))
            assert errors == [], (role, name, errors)


async def test_favicon_ico_is_served_and_cached(http: httpx.AsyncClient) -> None:
    response = await http.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.headers["cache-control"] == "public, max-age=604800"
    assert response.content == (ASSETS_DIR / "favicon.ico").read_bytes()
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert (await http.head("/favicon.ico")).status_code == 200
    assert (await http.post("/favicon.ico")).status_code == 405


@pytest.mark.parametrize("path", PAGES)
async def test_versioned_assets_are_cached_for_good(http: httpx.AsyncClient, path: str) -> None:
    page = _parse((await http.get(path)).text)
    for url in [*page.scripts, *page.stylesheets, *(href for _, href in page.other_links)]:
        response = await http.get(url)
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable", url
        # Another (stale or made-up) version, or none, is not cached for good.
        for other in (url.split("?")[0], url.split("?")[0] + "?v=0"):
            assert "immutable" not in (await http.get(other)).headers.get("cache-control", "")


async def test_mount_serves_only_asset_files(http: httpx.AsyncClient) -> None:
    for path in (
        "/page-assets/no-such-file.js",
        "/page-assets/__init__.py",
        "/page-assets/../__init__.py",
        "/page-assets/%2e%2e/__init__.py",
        "/page-assets/..%2f__init__.py",
    ):
        response = await http.get(path)
        assert response.status_code == 404, path


async def test_pages_honour_the_root_path() -> None:
    transport = httpx.ASGITransport(app=_make_app(), root_path="/portal")
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        response = await client.get("/portal/login")
        assert response.status_code == 200
        page = _parse(response.text)
        for url in [*page.scripts, *page.stylesheets, *(href for _, href in page.other_links)]:
            assert _same_origin_path(url).startswith("/portal/page-assets/"), url
            asset = await client.get(urljoin(f"{BASE_URL}/portal/login", url))
            assert asset.status_code == 200, url
        assert 'data-graphql="/portal/graphql"' in response.text
