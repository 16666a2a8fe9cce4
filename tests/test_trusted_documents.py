"""Trusted documents (issue 15, point 4): with GQL_PORTAL_TRUSTED_DOCUMENTS naming a manifest
of the clients' builds, /graphql runs those documents and no other, asked for by
`documentId`, Relay's `doc_id`/`id` or Apollo's hash; the manifest is checked whole at start.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gql_portal.config import ConfigError, Settings
from gql_portal.http.app import create_app
from gql_portal.http.trusted import load_manifest
from gql_portal.runtime import Runtime
from tests.conftest import PUBLIC_URL, REPO, Api, error_codes
from tests.factories import Actor, Factory
from tests.live import live, live_server
from tests.test_expenses import SUBMIT, submit

COUNT = "query Count { employees(first: 1) { totalCount } }"
CREATE = """mutation Create($number: String!) {
  createEmployee(input: {employeeNumber: $number, firstName: "Karin", lastName: "Lund"}) {
    employee { employeeNumber } } }"""
VIEWER = "query Viewer { viewer { context } }"
NOT_IN_MANIFEST = "query Other { employees(first: 2) { totalCount } }"


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def md5(document: str) -> str:
    return hashlib.md5(document.encode()).hexdigest()


def bearer(actor: Actor) -> dict[str, str]:
    return {"authorization": f"Bearer {actor.token}"}


def apollo_hash(digest: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def write(path: Path, payload: Any) -> Path:
    path.write_bytes(orjson.dumps(payload))
    return path


@pytest.fixture
def codegen_manifest(tmp_path: Path) -> Path:
    """graphql-codegen client preset's persisted-documents.json: {sha256: document}."""
    return write(
        tmp_path / "persisted-documents.json",
        {sha256(document): document for document in (COUNT, CREATE, VIEWER)},
    )


@pytest.fixture
def settings(settings: Settings, codegen_manifest: Path) -> Settings:
    return dataclasses.replace(settings, trusted_documents=codegen_manifest)


@pytest.fixture
async def admin(factory: Factory) -> Actor:
    return await factory.admin(await factory.company())


def app_client(runtime: Runtime) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.7", 50000))
    return httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL)


# --- asking for a document ------------------------------------------------------------------


async def test_a_document_runs_by_its_document_id(client: httpx.AsyncClient, admin: Actor) -> None:
    for document_id in (f"sha256:{sha256(COUNT)}", sha256(COUNT)):
        response = await client.post(
            "/graphql", json={"documentId": document_id}, headers=bearer(admin)
        )
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"employees": {"totalCount": 0}}


async def test_relays_doc_id_and_id_with_variables(
    admin: Actor, tmp_path: Path, runtime: Runtime
) -> None:
    # Relay's persisted_queries.json is keyed by the MD5 of the text (relay-compiler's default).
    relay = write(tmp_path / "persisted_queries.json", {md5(CREATE): CREATE, md5(COUNT): COUNT})
    runtime.settings = dataclasses.replace(runtime.settings, trusted_documents=relay)
    async with app_client(runtime) as relay_client:
        for number, key in (("1", "doc_id"), ("2", "id")):
            created = await relay_client.post(
                "/graphql",
                json={key: md5(CREATE), "variables": {"number": number}},
                headers=bearer(admin),
            )
            assert created.json()["data"]["createEmployee"]["employee"]["employeeNumber"] == number
        count = await relay_client.post(
            "/graphql", json={"doc_id": md5(COUNT)}, headers=bearer(admin)
        )
        assert count.json()["data"] == {"employees": {"totalCount": 2}}
        # The same documents by Apollo's SHA-256, whatever the manifest keys them by.
        by_apollo = await relay_client.post(
            "/graphql", json={"extensions": apollo_hash(sha256(COUNT))}, headers=bearer(admin)
        )
        assert by_apollo.json()["data"] == {"employees": {"totalCount": 2}}


async def test_a_free_text_query_runs_only_when_it_is_in_the_manifest(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    known = await client.post("/graphql", json={"query": COUNT}, headers=bearer(admin))
    assert known.json()["data"] == {"employees": {"totalCount": 0}}
    for body in (
        {"query": NOT_IN_MANIFEST},
        {"query": COUNT + " "},  # one character off is another document
        # A query sent with an id is a free-text query: the id does not vouch for it.
        {"query": NOT_IN_MANIFEST, "documentId": f"sha256:{sha256(COUNT)}"},
    ):
        refused = await client.post("/graphql", json=body, headers=bearer(admin))
        assert refused.status_code == 400, body
        assert error_codes(refused.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
        assert "data" not in refused.json()


async def test_apollos_persisted_query_link_in_trusted_mode(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    known = await client.post(
        "/graphql", json={"extensions": apollo_hash(sha256(COUNT))}, headers=bearer(admin)
    )
    assert known.json()["data"] == {"employees": {"totalCount": 0}}
    # An unknown hash: not found (200, as the link expects), then its registration is refused
    # and nothing is remembered.
    digest = sha256(NOT_IN_MANIFEST)
    unknown = await client.post(
        "/graphql", json={"extensions": apollo_hash(digest)}, headers=bearer(admin)
    )
    assert unknown.status_code == 200
    assert error_codes(unknown.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
    registering = await client.post(
        "/graphql",
        json={"query": NOT_IN_MANIFEST, "extensions": apollo_hash(digest)},
        headers=bearer(admin),
    )
    assert registering.status_code == 400
    assert error_codes(registering.json()) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    again = await client.post(
        "/graphql", json={"extensions": apollo_hash(digest)}, headers=bearer(admin)
    )
    assert error_codes(again.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


@pytest.mark.parametrize(
    "body",
    [
        {"documentId": f"sha256:{sha256(NOT_IN_MANIFEST)}"},
        {"documentId": "x-build-42:Count"},
        {"doc_id": md5(COUNT)},  # a key the manifest does not have
    ],
)
async def test_an_unknown_document_id_is_not_found(
    client: httpx.AsyncClient, admin: Actor, body: dict[str, str]
) -> None:
    response = await client.post("/graphql", json=body, headers=bearer(admin))
    assert response.status_code == 400
    assert error_codes(response.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_document_id_names_a_document_not_a_permission(
    client: httpx.AsyncClient, factory: Factory, admin: Actor
) -> None:
    employee = await factory.staff(await factory.company())
    for headers in ({}, bearer(employee)):
        response = await client.post(
            "/graphql", json={"documentId": f"sha256:{sha256(CREATE)}"}, headers=headers
        )
        assert error_codes(response.json()) == ["GRAPHQL_VALIDATION_FAILED"], headers


async def test_a_batch_of_document_ids_answers_each_in_order(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    batch = [
        {"documentId": f"sha256:{sha256(CREATE)}", "variables": {"number": "7"}},
        {"query": NOT_IN_MANIFEST},
        {"documentId": f"sha256:{sha256(COUNT)}"},
    ]
    answers = (await client.post("/graphql", json=batch, headers=bearer(admin))).json()
    assert answers[0]["data"]["createEmployee"]["employee"]["employeeNumber"] == "7"
    assert error_codes(answers[1]) == ["PERSISTED_QUERY_NOT_ALLOWED"]
    assert answers[2]["data"] == {"employees": {"totalCount": 1}}


# --- GET --------------------------------------------------------------------------------------


async def test_a_get_by_document_id_is_cacheable_by_the_caller_only(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    url = "/graphql"
    params = {"documentId": f"sha256:{sha256(COUNT)}"}
    first = await client.get(url, params=params, headers=bearer(admin))
    assert first.status_code == 200, first.text
    assert first.json()["data"] == {"employees": {"totalCount": 0}}
    assert first.headers["cache-control"] == "private, no-cache"
    assert "authorization" in first.headers["vary"].lower()
    etag = first.headers["etag"]
    unchanged = await client.get(
        url, params=params, headers={**bearer(admin), "if-none-match": etag}
    )
    assert unchanged.status_code == 304 and unchanged.content == b""
    await client.post(
        "/graphql",
        json={"documentId": f"sha256:{sha256(CREATE)}", "variables": {"number": "1"}},
        headers=bearer(admin),
    )
    changed = await client.get(url, params=params, headers={**bearer(admin), "if-none-match": etag})
    assert changed.status_code == 200
    assert changed.json()["data"] == {"employees": {"totalCount": 1}}
    assert changed.headers["etag"] != etag
    # Apollo's GET by hash, and Relay's doc_id, the same way.
    by_hash = await client.get(
        url,
        params={"extensions": orjson.dumps(apollo_hash(sha256(COUNT))).decode()},
        headers=bearer(admin),
    )
    assert by_hash.headers["etag"] == changed.headers["etag"]


async def test_a_get_that_fails_is_not_stored_and_a_mutation_needs_post(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    refused = await client.get("/graphql", params={"query": NOT_IN_MANIFEST}, headers=bearer(admin))
    assert refused.status_code == 400
    assert refused.headers["cache-control"] == "no-store"
    mutation = await client.get(
        "/graphql",
        params={"documentId": f"sha256:{sha256(CREATE)}", "variables": '{"number": "1"}'},
        headers=bearer(admin),
    )
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"


async def test_without_a_manifest_document_ids_are_not_found_and_free_text_runs(
    runtime: Runtime, admin: Actor
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, trusted_documents=None)
    async with app_client(runtime) as open_client:
        by_id = await open_client.post(
            "/graphql", json={"documentId": f"sha256:{sha256(COUNT)}"}, headers=bearer(admin)
        )
        assert by_id.status_code == 400
        assert error_codes(by_id.json()) == ["PERSISTED_QUERY_NOT_FOUND"]
        free = await open_client.post(
            "/graphql", json={"query": NOT_IN_MANIFEST, "id": 5}, headers=bearer(admin)
        )
        assert free.json()["data"] == {"employees": {"totalCount": 0}}


# --- the manifest, checked at start -------------------------------------------------------------


def test_apollos_manifest_format_loads(tmp_path: Path) -> None:
    manifest = write(
        tmp_path / "persisted-query-manifest.json",
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [{"id": sha256(COUNT), "name": "Count", "type": "query", "body": COUNT}],
        },
    )
    documents = load_manifest(manifest)
    assert documents.find(f"sha256:{sha256(COUNT)}") == COUNT
    assert documents.allows(COUNT) and not documents.allows(VIEWER)


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        ({sha256(COUNT): VIEWER}, "is not the SHA256 of its document"),
        ({f"sha256:{sha256(COUNT)}": VIEWER}, "is not the SHA256 of its document"),  # codegen's
        ({md5(COUNT): COUNT + "\n"}, "is not the MD5 of its document"),
        ({"opaque-1": "query Broken { employees( }"}, "does not parse"),
        ({"opaque-1": 42}, "is not a string"),
        ({}, "holds no documents"),
        (["not", "an", "object"], "must be a JSON object"),
        ({"format": "apollo-persisted-query-manifest", "version": 2}, "only version 1"),
    ],
)
def test_a_bad_manifest_is_refused_naming_what_is_wrong(
    tmp_path: Path, payload: Any, complaint: str
) -> None:
    manifest = write(tmp_path / "manifest.json", payload)
    with pytest.raises(ConfigError, match=complaint):
        load_manifest(manifest)


def test_serve_stops_at_start_on_a_bad_manifest(tmp_path: Path) -> None:
    manifest = write(tmp_path / "persisted-documents.json", {sha256(COUNT): VIEWER})
    missing = tmp_path / "missing.json"
    (tmp_path / "not-json.json").write_text("{ nope")
    for path, complaint in (
        (manifest, "is not the SHA256 of its document"),
        (missing, "cannot read"),
        (tmp_path / "not-json.json", "is not JSON"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "gql_portal.cli", "serve", "--no-demo"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env={**os.environ, "GQL_PORTAL_TRUSTED_DOCUMENTS": str(path), "PYTHONPATH": str(REPO)},
            timeout=60,
        )
        assert result.returncode == 2, result.stderr
        assert "GQL_PORTAL_TRUSTED_DOCUMENTS" in result.stderr and complaint in result.stderr


# --- subscriptions over WebSocket -------------------------------------------------------------

EXPENSES = "subscription Expenses { expenseChanged { id status } }"
OTHER_SUBSCRIPTION = "subscription { expenseChanged { id } }"


async def test_a_subscription_runs_only_a_manifest_document(
    runtime: Runtime, tmp_path: Path, factory: Factory
) -> None:
    company = await factory.company()
    admin, anna = await factory.admin(company), await factory.staff(company)
    manifest = write(
        tmp_path / "with-subscription.json", {sha256(EXPENSES): EXPENSES, sha256(SUBMIT): SUBMIT}
    )
    runtime.settings = dataclasses.replace(runtime.settings, trusted_documents=manifest)
    async with (
        app_client(runtime) as http,
        live_server(runtime) as url,
        live(url, token=admin.token) as connection,
    ):
        await connection.subscribe("free", OTHER_SUBSCRIPTION)
        refused = await connection.receive()
        assert (refused["id"], refused["type"]) == ("free", "error")
        assert refused["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
        await connection.send(
            {"id": "unknown", "type": "subscribe", "payload": {"documentId": "sha256:" + "0" * 64}}
        )
        unknown = await connection.receive()
        assert unknown["id"] == "unknown" and unknown["type"] == "error", unknown
        assert unknown["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        named = ("by-id", "by-hash", "by-text")
        for operation_id, payload in zip(
            named,
            (
                {"documentId": f"sha256:{sha256(EXPENSES)}"},
                {"extensions": apollo_hash(sha256(EXPENSES))},
                {"query": EXPENSES},
            ),
            strict=True,
        ):
            await connection.send({"id": operation_id, "type": "subscribe", "payload": payload})
        await asyncio.sleep(0.1)  # every subscription listening
        expense = await submit(Api(http), anna.token)
        delivered = {}
        for _ in named:  # in any order
            message = await connection.receive()
            assert message["type"] == "next", message
            delivered[message["id"]] = message["payload"]["data"]["expenseChanged"]
        assert delivered == {key: {"id": expense["id"], "status": "SUBMITTED"} for key in named}
