"""`GET /graphql/schema.graphql` serves tools the SDL of the caller's role schema (issue 15.7):
anonymous callers the PUBLIC one, a session (bearer token or cookie) its role's, byte for byte
the golden file of that role (the schema the endpoint validates the caller's documents with);
a dead session 401 as everywhere; the full schema with `?full` in development mode only. An ETag
answers a tool that asks again 304 while the schema is unchanged."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from graphql import build_schema
from sqlalchemy import update

from gql_portal.auth import SESSION_COOKIE
from gql_portal.config import Settings
from gql_portal.db.accounts import AuthSession
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from tests.conftest import PUBLIC_URL, REPO, error_codes
from tests.factories import Factory

PATH = "/graphql/schema.graphql"


def golden(role: str) -> str:
    return (REPO / "tests" / "golden" / f"schema.{role}.graphql").read_text(encoding="utf-8")


async def test_anonymous_callers_get_the_public_schema_as_sdl(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == golden("PUBLIC")
    assert build_schema(response.text).query_type is not None  # SDL a tool can build
    assert "logIn" in response.text and "employees" not in response.text
    assert response.headers["cache-control"] == "private, no-cache"
    assert response.headers["vary"] == "Authorization, Cookie"


async def test_a_session_gets_its_roles_schema_by_bearer_token_or_cookie(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    firm = await factory.company("Byrån AB", firm=True)
    firm_user = await factory.user(firm, Role.ADMIN)
    portal = await factory.log_in(firm_user, firm, SessionContext.PORTAL)
    for token, role in ((admin.token, "COMPANY_ADMIN"), (portal, "PARTNER_PORTAL")):
        response = await client.get(PATH, headers={"authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        assert response.text == golden(role), role
    client.cookies.set(SESSION_COOKIE, staff.token)
    try:
        by_cookie = await client.get(PATH)
    finally:
        client.cookies.clear()
    assert by_cookie.text == golden("EMPLOYEE")
    assert golden("EMPLOYEE") != golden("COMPANY_ADMIN")  # the roles' schemas differ


async def test_asked_again_with_its_etag_the_unchanged_schema_is_304(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    bearer = {"authorization": f"Bearer {admin.token}"}
    first = await client.get(PATH, headers=bearer)
    etag = first.headers["etag"]
    again = await client.get(PATH, headers={**bearer, "if-none-match": f'"other", {etag}'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    # Another role's schema has another tag: the admin's is no match for an anonymous caller.
    anonymous = await client.get(PATH, headers={"if-none-match": etag})
    assert anonymous.status_code == 200
    assert anonymous.headers["etag"] != etag


async def test_a_dead_session_is_401_not_the_public_schema(
    client: httpx.AsyncClient, factory: Factory, database: Database
) -> None:
    unknown = await client.get(PATH, headers={"authorization": "Bearer gps_not-a-session"})
    assert unknown.status_code == 401
    assert error_codes(unknown.json()) == ["UNAUTHENTICATED"]
    admin = await factory.admin(await factory.company())
    async with database.transaction() as session:
        await session.execute(
            update(AuthSession).values(expires_at=factory.clock.now() - timedelta(minutes=1))
        )
    client.cookies.set(SESSION_COOKIE, admin.token)
    try:
        expired = await client.get(PATH)
    finally:
        client.cookies.clear()
    assert expired.status_code == 401
    assert error_codes(expired.json()) == ["UNAUTHENTICATED"]
    assert SESSION_COOKIE in expired.headers.get("set-cookie", "")  # the dead cookie is cleared


async def test_the_full_schema_is_not_served_outside_development(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(PATH, params={"full": ""})
    assert response.status_code == 403
    assert error_codes(response.json()) == ["FORBIDDEN"]
    assert response.json()["errors"][0]["extensions"]["reason"] == (
        "FULL_SCHEMA_IN_DEVELOPMENT_ONLY"
    )


@pytest.fixture
async def development(runtime: Runtime, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    runtime.settings = dataclasses.replace(settings, mode="development")
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        yield http


async def test_in_development_anyone_gets_the_full_schema_with_the_flag(
    development: httpx.AsyncClient,
) -> None:
    response = await development.get(PATH, params={"full": "1"})
    assert response.status_code == 200
    assert response.text == (REPO / "schema.graphql").read_text(encoding="utf-8")
    assert (await development.get(PATH)).text == golden("PUBLIC")  # without it: the role's
