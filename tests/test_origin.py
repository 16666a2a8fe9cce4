"""The Origin fence: a request authenticated by the session cookie that could change state (a POST
to /graphql, an upload too) is refused with 403 FORBIDDEN when the browser says it comes from an
origin that is neither PUBLIC_URL's nor a configured frontend's, or is `Sec-Fetch-Site:
cross-site` without such an Origin. Bearer tokens and requests without the cookie are not
affected, and neither are clients that send no Origin (curl, servers)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from gql_portal.auth import SESSION_COOKIE, access_for_token
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Receipt
from gql_portal.http.app import create_app
from gql_portal.http.origin import allowed_origins, normalized_origin
from gql_portal.runtime import Runtime
from gql_portal.storage import Storage
from tests.accounts import LOG_OUT
from tests.conftest import PUBLIC_URL, Api
from tests.factories import Actor, Factory
from tests.test_expenses import submit, tiny_jpeg, upload

FRONTEND = "https://app.tidrapport.example"
VIEWER = "{ viewer { context } }"
REFUSED_ORIGINS = [
    "https://evil.example",
    "null",  # sandboxed frames, some redirects: never ours
    "https://portal.test",  # our host, another scheme
    "http://portal.test:8080",  # our host, another port
    "http://portal.test.evil.example",
    "http://app.tidrapport.example",  # the frontend's host over plain http
    "not an origin",
]


@pytest.fixture
async def http(runtime: Runtime, tmp_path: Path) -> Any:
    """A client on an app with one configured frontend (CORS and the fence read the same list)."""
    runtime.settings = dataclasses.replace(runtime.settings, cors_origins=(FRONTEND,))
    runtime.storage = Storage(tmp_path / "storage")
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as client:
        yield client


async def post(
    http: httpx.AsyncClient, query: str, headers: dict[str, str], *, cookie: str | None = None
) -> httpx.Response:
    sent = {**headers, "cookie": f"{SESSION_COOKIE}={cookie}"} if cookie else headers
    return await http.post("/graphql", json={"query": query}, headers=sent)


async def signed_in(runtime: Runtime, actor: Actor) -> bool:
    """Whether the actor's session still works (a logOut that ran revoked it)."""
    return (await access_for_token(runtime, actor.token)).signed_in


@pytest.mark.parametrize("origin", REFUSED_ORIGINS)
async def test_a_cookie_mutation_from_another_origin_is_refused_and_does_not_run(
    http: httpx.AsyncClient, runtime: Runtime, factory: Factory, origin: str
) -> None:
    admin = await factory.admin(await factory.company())
    refused = await post(http, LOG_OUT, {"origin": origin}, cookie=admin.token)
    assert refused.status_code == 403, refused.text
    [error] = refused.json()["errors"]
    assert error["extensions"] == {
        "code": "FORBIDDEN",
        "requestId": refused.headers["x-request-id"],
    }
    assert "Origin" in error["message"] and PUBLIC_URL in error["message"]
    assert "set-cookie" not in refused.headers
    # The logOut did not run: the session still works.
    assert await signed_in(runtime, admin)


async def test_a_cross_site_fetch_with_the_cookie_and_no_origin_is_refused(
    http: httpx.AsyncClient, runtime: Runtime, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    refused = await post(http, LOG_OUT, {"sec-fetch-site": "cross-site"}, cookie=admin.token)
    assert refused.status_code == 403, refused.text
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "cross-site" in error["message"]
    assert await signed_in(runtime, admin)
    # A cross-site frontend that is configured sends its Origin along: it may.
    allowed = await post(
        http, VIEWER, {"sec-fetch-site": "cross-site", "origin": FRONTEND}, cookie=admin.token
    )
    assert allowed.json()["data"]["viewer"]["context"] == "COMPANY", allowed.text


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": PUBLIC_URL},  # our own pages and GraphiQL
        {"origin": "HTTP://Portal.Test:80"},  # the same origin, spelled otherwise
        {"origin": FRONTEND},
        {"origin": FRONTEND + ":443", "sec-fetch-site": "cross-site"},
        {},  # no browser: curl, a server
        {"sec-fetch-site": "same-origin"},
        {"sec-fetch-site": "none"},  # typed by the user
    ],
)
async def test_our_own_origin_a_configured_frontend_and_non_browsers_may_use_the_cookie(
    http: httpx.AsyncClient, runtime: Runtime, factory: Factory, headers: dict[str, str]
) -> None:
    admin = await factory.admin(await factory.company())
    answer = await post(http, VIEWER, headers, cookie=admin.token)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["viewer"]["context"] == "COMPANY"
    logged_out = await post(http, LOG_OUT, headers, cookie=admin.token)
    assert logged_out.json()["data"] == {"logOut": True}, logged_out.text
    assert not await signed_in(runtime, admin)


async def test_a_bearer_token_or_no_cookie_is_not_fenced(
    http: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    """Another site's page cannot send an Authorization header without a preflight (which CORS
    refuses), and without the cookie there is no session to ride on."""
    admin = await factory.admin(await factory.company())
    evil = {"origin": "https://evil.example", "sec-fetch-site": "cross-site"}
    anonymous = await post(http, VIEWER, evil)
    assert anonymous.json()["data"]["viewer"]["context"] == "PUBLIC", anonymous.text
    # Bearer wins over a cookie beside it (it is what authenticates the request).
    with_bearer = await post(
        http, VIEWER, {**evil, "authorization": f"Bearer {admin.token}"}, cookie="stale"
    )
    assert with_bearer.json()["data"]["viewer"]["context"] == "COMPANY", with_bearer.text


async def test_an_upload_with_the_cookie_from_another_origin_is_refused_before_it_is_read(
    http: httpx.AsyncClient, api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    cookie = {"graphql-preflight": "1", "cookie": f"{SESSION_COOKIE}={me.token}"}

    refused = await upload(
        http, None, expense["id"], tiny_jpeg(), headers={**cookie, "origin": "https://evil.example"}
    )
    assert refused.status_code == 403, refused.text
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Receipt)) == 0
    assert not list(runtime.storage.root.rglob("*.jpg"))

    same_origin = await upload(
        http, None, expense["id"], tiny_jpeg(), headers={**cookie, "origin": PUBLIC_URL}
    )
    assert same_origin.status_code == 200, same_origin.text
    assert "errors" not in same_origin.json(), same_origin.text
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(Receipt)) == 1


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://App.Example.se", "https://app.example.se"),
        ("https://app.example.se:443", "https://app.example.se"),
        ("http://app.example.se:80/", "http://app.example.se"),
        ("http://127.0.0.1:8000/graphql", "http://127.0.0.1:8000"),
        ("https://app.example.se:8443", "https://app.example.se:8443"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("", None),
        ("file:///etc/passwd", None),
        ("https://", None),
        ("http://host:99999", None),
        ("javascript:alert(1)", None),
    ],
)
def test_origins_are_compared_normalized(given: str, expected: str | None) -> None:
    assert normalized_origin(given) == expected


def test_the_allowed_origins_are_public_urls_and_the_cors_list() -> None:
    settings = Settings(
        mode="test",
        public_url="https://tidrapport.example.se/api",
        cors_origins=(FRONTEND, "http://localhost:5173"),
    )
    assert allowed_origins(settings) == {
        "https://tidrapport.example.se",
        FRONTEND,
        "http://localhost:5173",
    }
