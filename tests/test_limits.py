"""Abuse is refused before execution with a clear code (QUERY_TOO_COMPLEX or BAD_USER_INPUT),
without touching the data, while other clients' normal queries keep succeeding."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
from graphql import get_introspection_query

from gql_portal.schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_TOKENS
from tests.conftest import Api, error_codes
from tests.factories import Factory

EMPLOYEES_600 = (
    "employees(first: 100) { nodes { company { name } } edges { node { company { name } } } }"
)


def nested(depth: int) -> str:
    return "{ " + "viewer { company { " * (depth // 2) + "name" + " } }" * (depth // 2) + " }"


def catalogue() -> list[tuple[str, dict[str, Any], int, str]]:
    """(what, request, expected HTTP status, expected code)."""
    # A fragment of 60 aliases spread 10 times: 600 aliases in a small document.
    aliases_by_fragment = (
        "query { " + " ".join(f"x{i}: viewer {{ ...A }}" for i in range(10)) + " } "
        "fragment A on Viewer { " + " ".join(f"a{i}: context" for i in range(60)) + " }"
    )
    fanned = (
        "query { ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Query { viewer { context } }"
    )
    return [
        ("depth 100", {"query": nested(100)}, 200, "QUERY_TOO_COMPLEX"),
        (
            "10,000 aliases",
            {"query": "{ " + " ".join(f"a{i}: viewer {{ context }}" for i in range(10_000)) + " }"},
            200,
            "QUERY_TOO_COMPLEX",
        ),
        ("600 aliases through fragments", {"query": aliases_by_fragment}, 200, "QUERY_TOO_COMPLEX"),
        ("2^30 spreads of fragments", {"query": fanned}, 200, "QUERY_TOO_COMPLEX"),
        (
            "recursive fragments",
            {
                "query": "query { ...A } fragment A on Query { viewer { context } ...B } "
                "fragment B on Query { ...A }"
            },
            200,
            "QUERY_TOO_COMPLEX",
        ),
        (
            f"cost over {MAX_COST}",
            {"query": "{ " + " ".join(f"e{i}: {EMPLOYEES_600}" for i in range(90)) + " }"},
            200,
            "QUERY_TOO_COMPLEX",
        ),
        (
            "first: 1000000000",
            {"query": "{ employees(first: 1000000000) { nodes { id } } }"},
            200,
            "BAD_USER_INPUT",
        ),
        (
            "first: 0 in a variable",
            {
                "query": "query($n: Int) { employees(first: $n) { nodes { id } } }",
                "variables": {"n": 0},
            },
            200,
            "BAD_USER_INPUT",
        ),
        (
            "a 1 MB document",
            {"query": "{ viewer { context } }" + " " * 1_100_000},
            413,
            "BAD_USER_INPUT",
        ),
        (
            "more tokens than allowed",
            {
                "query": "{ viewer { context } }"
                + " query Q { viewer { context } }" * (MAX_TOKENS // 6)
            },
            200,
            "QUERY_TOO_COMPLEX",
        ),
    ]


async def test_a_catalogue_of_abusive_requests_is_refused_before_execution(
    api: Api, client: httpx.AsyncClient, factory: Factory, sql_statements: Any
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    headers = {"authorization": f"Bearer {admin.token}"}
    slowest = 0.0
    for what, payload, status, code in catalogue():
        before = sql_statements.count
        started = time.perf_counter()
        response = await client.post(
            "/graphql",
            content=orjson.dumps(payload),
            headers={**headers, "content-type": "application/json"},
        )
        slowest = max(slowest, time.perf_counter() - started)
        assert response.status_code == status, (what, response.text[:300])
        body = response.json()
        codes = error_codes(body) if "errors" in body else []
        assert code in codes, (what, body)
        assert body.get("data") is None, what
        # Refused before execution: at most the session lookup ran.
        assert sql_statements.count - before <= 1, what
    print(f"\nslowest refusal: {slowest * 1000:.0f} ms")

    # Transport-level abuse.
    raw: list[tuple[str, bytes, str, int]] = [
        (
            "1,000 operations in one batch",
            orjson.dumps([{"query": "{ viewer { context } }"}] * 1000),
            "application/json",
            400,
        ),
        ("malformed JSON", b'{"query": "{ viewer { id } }"', "application/json", 400),
        (
            "a form post",
            b"query=%7B+viewer+%7B+id+%7D+%7D",
            "application/x-www-form-urlencoded",
            415,
        ),
        ("plain text", b"{ viewer { context } }", "text/plain", 415),
        (
            "a 900 kB variable",
            orjson.dumps(
                {
                    "query": "query($s: String) { viewer { context } }",
                    "variables": {"s": "x" * 900_000},
                }
            ),
            "application/json",
            413,
        ),
        (
            "variables nested 5,000 deep",
            b'{"query": "{ viewer { context } }", "variables": {"v": '
            + b"[" * 5000
            + b"]" * 5000
            + b"}}",
            "application/json",
            400,
        ),
    ]
    for what, content, content_type, status in raw:
        response = await client.post(
            "/graphql", content=content, headers={**headers, "content-type": content_type}
        )
        assert response.status_code == status, (what, response.text[:300])
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", what


async def test_normal_queries_keep_succeeding_while_abuse_is_refused(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    abuser = await factory.admin(await factory.company("Busig AB"))
    abusive = [payload for _, payload, status, _ in catalogue() if status == 200]

    async def abuse() -> None:
        for _ in range(3):
            for payload in abusive:
                await api(payload["query"], payload.get("variables"), token=abuser.token)

    async def normal() -> list[dict[str, Any]]:
        return [await api("{ viewer { company { name } } }", token=admin.token) for _ in range(20)]

    _, answers = await asyncio.gather(abuse(), normal())
    assert all(a["data"]["viewer"]["company"]["name"] == "Kund AB" for a in answers)


async def test_within_the_limits_answers_carry_their_cost(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    body = await api(
        "{ viewer { context } employees(first: 10) { nodes { id } edges { node { id } } } }",
        token=admin.token,
    )
    assert "errors" not in body, body
    # viewer (1) + employees (10) + its nodes (10) + edges (10) + their node (10)
    assert body["extensions"]["cost"] == {"requested": 41, "limit": MAX_COST}
    # GraphiQL's introspection query and MAX_DEPTH-deep documents are fine.
    introspection = await api(get_introspection_query(descriptions=True), token=admin.token)
    assert "errors" not in introspection
    # (Not a valid document at any depth: it is only measured, then validated.)
    within_depth = await api(nested(MAX_DEPTH - 1), token=admin.token)
    assert error_codes(within_depth) == ["GRAPHQL_VALIDATION_FAILED"]
    assert error_codes(await api(nested(MAX_DEPTH + 2), token=admin.token)) == ["QUERY_TOO_COMPLEX"]
    within = "{ " + " ".join(f"a{i}: viewer {{ context }}" for i in range(MAX_ALIASES)) + " }"
    assert error_codes(await api(within, token=admin.token)) == []
