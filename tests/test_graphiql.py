"""Self-hosted GraphiQL page: strict CSP, and every asset served from our own origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from gql_portal import graphiql, pages
from gql_portal.graphiql import STATIC_DIR, graphiql_page, routes

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _assets_built() -> bool:
    return STATIC_DIR.is_dir() and any(STATIC_DIR.iterdir())


needs_assets = pytest.mark.skipif(
    not _assets_built(), reason="run make install: GraphiQL assets not built"
)


def _make_app() -> Starlette:
    # pages.routes(): the page links the site icon from the pages' assets.
    return Starlette(
        routes=[*routes(), *pages.routes(), Route("/graphql", graphiql_page, methods=["GET"])]
    )


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=_make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


class _AssetRefs(HTMLParser):
    """Collects <script src> and <link href> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[tuple[str, str]] = []  # (rel, href)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if tag == "script":
            # No inline scripts: the CSP (script-src 'self') would block them anyway.
            assert "src" in attributes, "inline <script> found"
            self.scripts.append(attributes["src"])
        elif tag == "link" and "href" in attributes:
            self.links.append((attributes.get("rel", ""), attributes["href"]))


def _assert_same_origin_path(url: str, prefix: str = "/graphiql-assets/") -> None:
    parts = urlsplit(url)
    assert not parts.scheme and not parts.netloc, f"not a same-origin path: {url!r}"
    assert parts.path.startswith(prefix), url


@needs_assets
async def test_page_has_strict_security_headers(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == EXPECTED_CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


@needs_assets
async def test_page_references_no_external_url(client: httpx.AsyncClient) -> None:
    body = (await client.get("/graphql")).text.lower()
    assert "http://" not in body
    assert "https://" not in body
    assert 'src="//' not in body and 'href="//' not in body  # protocol-relative URLs


@needs_assets
async def test_every_asset_is_same_origin_and_served(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql")).text
    refs = _AssetRefs()
    refs.feed(page)
    refs.close()

    assert len(refs.scripts) >= 4  # react, react-dom, graphiql, page.js
    assert any("graphiql.min.js" in src for src in refs.scripts)
    assert refs.scripts[-1].split("?")[0].endswith("/page.js")  # bootstrap runs last
    assert any("graphiql.min.css" in href for _, href in refs.links)

    expected: list[tuple[str, str]] = [(src, "javascript") for src in refs.scripts]
    icons = [href for rel, href in refs.links if rel == "icon"]
    for rel, href in refs.links:
        assert rel in ("stylesheet", "icon"), f"unexpected <link rel={rel!r}>"
        if rel == "stylesheet":
            expected.append((href, "text/css"))

    for url, content_type in expected:
        _assert_same_origin_path(url)
        response = await client.get(url)
        assert response.status_code == 200, url
        assert content_type in response.headers["content-type"], (
            url,
            response.headers["content-type"],
        )
        assert len(response.content) > 200, f"{url} is suspiciously small"

    # The site icon (the /login page's): named, so the browser asks for no /favicon.ico.
    assert len(icons) == 1, icons
    _assert_same_origin_path(icons[0], "/page-assets/")
    assert urlsplit(icons[0]).query.startswith("v="), "the icon carries a cache-busting version"
    response = await client.get(icons[0])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")


async def test_bootstrap_script_posts_json_with_same_origin_credentials(
    client: httpx.AsyncClient,
) -> None:
    # page.js is committed (assets/), so it is served even before `make install`.
    response = await client.get("/graphiql-assets/page.js")
    assert response.status_code == 200
    script = response.text
    assert "method: 'POST'" in script
    assert "credentials: 'same-origin'" in script
    assert "'Content-Type': 'application/json'" in script
    assert "logIn" in script  # the default query explains how to log in
    # After a session change GraphiQL is rendered with a new fetcher: it introspects again.
    for name in ("logIn", "logOut", "enterClientCompany", "enterPartnerPortal", "activate"):
        assert f"{name}: true" in script, name
    assert "onSchemaChange" in script


async def test_page_is_503_with_instructions_when_assets_missing(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(graphiql, "_SCRIPTS", ((tmp_path, "graphiql.min.js"),))
    response = await client.get("/graphql")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("text/plain")
    assert "make install" in response.text


async def test_mount_serves_only_asset_files(client: httpx.AsyncClient) -> None:
    for path in (
        "/graphiql-assets/no-such-file.js",
        "/graphiql-assets/__init__.py",
        "/graphiql-assets/%2e%2e/__init__.py",
        "/graphiql-assets/..%2f__init__.py",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
