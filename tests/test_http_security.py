"""The HTTP surface against cross-site use: CORS only for configured frontends, Secure session
cookies outside local development, security headers on every response, and no operation run
by a GET or a form post."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from sqlalchemy import func, select

from gql_portal.config import ConfigError, Settings
from gql_portal.db.accounts import User
from gql_portal.db.engine import Database
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from tests.accounts import LOG_IN, PASSWORD, SIGN_UP, signup_input
from tests.conftest import PUBLIC_URL

FRONTEND = "https://app.tidrapport.example"


def client_for(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)


def preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }


async def test_a_configured_frontend_may_call_the_api_with_its_cookie(runtime: Runtime) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, cors_origins=(FRONTEND,))
    async with client_for(runtime) as http:
        allowed = await http.options("/graphql", headers=preflight(FRONTEND))
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == FRONTEND
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert allowed.headers["x-content-type-options"] == "nosniff"

        answer = await http.post(
            "/graphql", json={"query": "{ viewer { context } }"}, headers={"origin": FRONTEND}
        )
        assert answer.headers["access-control-allow-origin"] == FRONTEND
        assert "x-request-id" in answer.headers["access-control-expose-headers"]


@pytest.mark.parametrize(
    "headers",
    [
        "authorization, content-type",  # a bearer token
        "apollo-require-preflight, content-type",  # an upload (uploads.py)
        # Apollo Client's `clientAwareness` (name, version), the W3C trace context a browser's
        # OpenTelemetry instrumentation adds to its fetches, a request id of the frontend's.
        "apollographql-client-name, apollographql-client-version, content-type",
        "traceparent, tracestate, x-request-id",
    ],
)
async def test_a_configured_frontend_may_send_the_headers_its_clients_send(
    runtime: Runtime, headers: str
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, cors_origins=(FRONTEND,))
    async with client_for(runtime) as http:
        for method in ("POST", "GET"):
            asked = {**preflight(FRONTEND), "access-control-request-method": method}
            allowed = await http.options(
                "/graphql", headers={**asked, "access-control-request-headers": headers}
            )
            assert allowed.status_code == 200, (method, headers, allowed.text)


@pytest.mark.parametrize("origin", ["https://evil.example", "http://app.tidrapport.example"])
async def test_any_other_origin_gets_no_cors_grant(runtime: Runtime, origin: str) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, cors_origins=(FRONTEND,))
    async with client_for(runtime) as http:
        refused = await http.options("/graphql", headers=preflight(origin))
        assert refused.status_code == 400
        assert "access-control-allow-origin" not in refused.headers
        answer = await http.post(
            "/graphql", json={"query": "{ viewer { context } }"}, headers={"origin": origin}
        )
        assert "access-control-allow-origin" not in answer.headers


async def test_without_configured_origins_there_is_no_cors_at_all(runtime: Runtime) -> None:
    async with client_for(runtime) as http:
        answer = await http.options("/graphql", headers=preflight(FRONTEND))
        assert answer.status_code == 405
        assert not any(name.startswith("access-control-") for name in answer.headers)


def test_cors_origins_are_exact_origins() -> None:
    settings = Settings.from_env({"GQL_PORTAL_CORS_ORIGINS": f"{FRONTEND}/, http://localhost:5173"})
    assert settings.cors_origins == (FRONTEND, "http://localhost:5173")
    for bad in ("*", "https://app.example/path", "app.example", "https://*.example"):
        with pytest.raises(ConfigError, match="CORS_ORIGINS"):
            Settings.from_env({"GQL_PORTAL_CORS_ORIGINS": bad})
    production = {
        "GQL_PORTAL_MODE": "production",
        "GQL_PORTAL_SECRET_KEY": "x" * 40,
        "GQL_PORTAL_PUBLIC_URL": "https://api.tidrapport.example",
    }
    with pytest.raises(ConfigError, match="must use https"):
        Settings.from_env({**production, "GQL_PORTAL_CORS_ORIGINS": "http://app.example"})
    local = Settings.from_env({**production, "GQL_PORTAL_CORS_ORIGINS": "http://localhost:3000"})
    assert local.cors_origins == ("http://localhost:3000",)


def test_production_needs_an_https_public_url() -> None:
    with pytest.raises(ConfigError, match="PUBLIC_URL must be an https"):
        Settings.from_env(
            {
                "GQL_PORTAL_MODE": "production",
                "GQL_PORTAL_SECRET_KEY": "x" * 40,
                "GQL_PORTAL_PUBLIC_URL": "http://api.example",
            }
        )


async def _log_in_cookie(runtime: Runtime, database: Database) -> str:
    """Signs up, verifies and logs in through the API; the Set-Cookie header of the log-in."""
    async with client_for(runtime) as http:
        signed_up = await http.post(
            "/graphql", json={"query": SIGN_UP, "variables": {"input": signup_input()}}
        )
        assert "errors" not in signed_up.json(), signed_up.text
        async with database.transaction() as session:
            user = await session.scalar(select(User))
            assert user is not None
            user.email_verified_at = runtime.clock.now()
            email = user.email
        logged_in = await http.post(
            "/graphql",
            json={"query": LOG_IN, "variables": {"email": email, "password": PASSWORD}},
        )
        assert "errors" not in logged_in.json(), logged_in.text
        return logged_in.headers["set-cookie"].lower()


async def test_session_cookies_are_secure_httponly_and_samesite_in_production(
    runtime: Runtime, database: Database
) -> None:
    runtime.settings = dataclasses.replace(
        runtime.settings, mode="production", public_url="https://api.tidrapport.example"
    )
    cookie = await _log_in_cookie(runtime, database)
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie


async def test_local_development_over_http_gets_a_cookie_without_secure(
    runtime: Runtime, database: Database
) -> None:
    cookie = await _log_in_cookie(runtime, database)  # http://portal.test, test mode
    assert "secure" not in cookie and "httponly" in cookie


async def test_a_get_or_a_form_post_never_runs_an_operation(
    runtime: Runtime, database: Database
) -> None:
    signup = f'mutation {{ signUp(input: {{email: "{signup_input()["email"]}"}}) {{ email }} }}'
    async with client_for(runtime) as http:
        by_get = await http.get("/graphql", params={"query": signup})
        assert by_get.status_code == 405
        by_form = await http.post("/graphql", data={"query": signup})
        assert by_form.status_code == 415
        as_text = await http.post(
            "/graphql", content=signup, headers={"content-type": "text/plain"}
        )
        assert as_text.status_code == 415
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/no/such/page"),
        ("POST", "/graphql"),
        ("GET", "/files/receipts/1"),
        ("GET", "/metrics"),
    ],
)
async def test_security_headers_are_on_every_response(
    runtime: Runtime, method: str, path: str
) -> None:
    async with client_for(runtime) as http:
        answer = await http.request(method, path, json={"query": "{ viewer { context } }"})
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
