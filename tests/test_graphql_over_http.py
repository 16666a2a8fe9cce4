"""GraphQL over HTTP for every client (issue 15, points 3-5): queries by GET (never mutations:
405 with `Allow: POST`), the `application/graphql-response+json` media type with the
specification's status codes when the client prefers it (`application/json` as before
otherwise), Apollo's automatic persisted queries as its PersistedQueryLink speaks them, and
batches (a JSON array, each operation limited, costed and budgeted as if sent alone).
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import httpx
import orjson
import pytest

from gql_portal.auth import SESSION_COOKIE
from gql_portal.budgets import CostBudgets
from gql_portal.config import Settings
from gql_portal.http.negotiation import GRAPHQL_RESPONSE_JSON, JSON, response_media_type
from gql_portal.http.persisted import PersistedQueries
from gql_portal.runtime import Runtime
from tests.conftest import error_codes
from tests.factories import Actor, Factory

SPEC_ACCEPT = "application/graphql-response+json, application/json;q=0.9"
EMPLOYEES = "{ employees(first: 10) { edges { node { id } } } }"  # costs 30
COUNT = "query Count { employees(first: 1) { totalCount } }"
CREATE = """mutation Create($number: String!) {
  createEmployee(input: {employeeNumber: $number, firstName: "Karin", lastName: "Lund"}) {
    employee { employeeNumber } } }"""


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def bearer(actor: Actor, **more: str) -> dict[str, str]:
    return {"authorization": f"Bearer {actor.token}", **more}


def persisted(document: str | None, sha: str, **more: Any) -> dict[str, Any]:
    """A body as Apollo's PersistedQueryLink sends it (the document only when asked to)."""
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}}
    if document is not None:
        body["query"] = document
    return {**body, **more}


async def employee_count(client: httpx.AsyncClient, admin: Actor) -> int:
    response = await client.post("/graphql", json={"query": COUNT}, headers=bearer(admin))
    count: int = response.json()["data"]["employees"]["totalCount"]
    return count


@pytest.fixture
async def admin(factory: Factory) -> Actor:
    return await factory.admin(await factory.company())


# --- GET --------------------------------------------------------------------------------------


async def test_a_query_runs_by_get_with_variables_and_operation_name(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    document = "query Other { viewer { context } } query Page($n: Int!) { employees(first: $n) { totalCount } }"
    response = await client.get(
        "/graphql",
        params={"query": document, "variables": '{"n": 5}', "operationName": "Page"},
        headers=bearer(admin),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json()["data"] == {"employees": {"totalCount": 0}}
    assert response.json()["extensions"]["cost"]["requested"] >= 1
    # An answer that depends on who asks and how: caches keep them apart.
    assert {"accept", "authorization", "cookie"} <= {
        name.strip().lower() for name in response.headers["vary"].split(",")
    }


async def test_empty_optional_parameters_count_as_absent(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.get(
        "/graphql",
        params={"query": COUNT, "variables": "", "operationName": "", "extensions": ""},
        headers=bearer(admin),
    )
    assert response.json()["data"] == {"employees": {"totalCount": 0}}


@pytest.mark.parametrize(
    ("params", "operation_name"),
    [
        ({"query": CREATE, "variables": '{"number": "1"}'}, None),
        (
            {
                "query": f"{COUNT} {CREATE}",
                "variables": '{"number": "1"}',
                "operationName": "Create",
            },
            "Create",
        ),
    ],
)
async def test_a_mutation_by_get_is_405_with_allow_post_and_runs_nothing(
    client: httpx.AsyncClient, admin: Actor, params: dict[str, str], operation_name: str | None
) -> None:
    response = await client.get("/graphql", params=params, headers=bearer(admin))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    error = response.json()["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "BAD_USER_INPUT",
        "MUTATION_BY_GET",
    )
    assert "data" not in response.json()
    assert await employee_count(client, admin) == 0


async def test_head_is_a_get_without_a_body_and_runs_no_mutation(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    query = await client.head("/graphql", params={"query": COUNT}, headers=bearer(admin))
    assert query.status_code == 200 and query.content == b""
    mutation = await client.request(
        "HEAD",
        "/graphql",
        content=orjson.dumps({"query": CREATE, "variables": {"number": "1"}}),
        headers=bearer(admin, **{"content-type": "application/json"}),
    )
    assert mutation.status_code == 400  # its body is not read: no operation in the URL
    by_url = await client.head(
        "/graphql", params={"query": CREATE, "variables": '{"number": "1"}'}, headers=bearer(admin)
    )
    assert by_url.status_code == 405 and by_url.headers["allow"] == "POST"
    assert await employee_count(client, admin) == 0


async def test_every_405_of_the_endpoint_names_what_is_allowed(client: httpx.AsyncClient) -> None:
    for method in ("PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/graphql")
        assert response.status_code == 405, method
        assert "POST" in response.headers["allow"] and "GET" in response.headers["allow"]
        assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_get_without_an_operation_is_bad_input(client: httpx.AsyncClient) -> None:
    response = await client.get("/graphql", headers={"accept": "application/json"})
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]
    bad_json = await client.get("/graphql", params={"query": COUNT, "variables": "{nope"})
    assert bad_json.status_code == 400


async def test_a_get_with_the_session_cookie_runs_queries_but_not_from_another_site(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    cookie = {"cookie": f"{SESSION_COOKIE}={admin.token}"}
    own = await client.get("/graphql", params={"query": COUNT}, headers=cookie)
    assert own.json()["data"] == {"employees": {"totalCount": 0}}
    for headers in ({"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}):
        cross_site = await client.get(
            "/graphql",
            params={"query": COUNT},
            headers={**headers, **cookie},
        )
        assert cross_site.status_code == 403, headers
        assert error_codes(cross_site.json()) == ["FORBIDDEN"]


async def test_a_dead_session_by_get_is_401_as_by_post(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/graphql", params={"query": COUNT}, headers={"authorization": "Bearer no-such-token"}
    )
    assert response.status_code == 401
    assert error_codes(response.json()) == ["UNAUTHENTICATED"]


# --- the response's media type ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("text/html, application/xhtml+xml, */*;q=0.8", JSON),  # a browser's address bar
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (SPEC_ACCEPT, GRAPHQL_RESPONSE_JSON),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json, */*", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", JSON),
        ("application/json;q=0.5, */*", GRAPHQL_RESPONSE_JSON),
        ("APPLICATION/GRAPHQL-RESPONSE+JSON; charset=utf-8", GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=nonsense, application/json;q=0.1", JSON),
        ("text/html", None),
        ("application/xml", None),
        ("application/json;q=0, application/graphql-response+json;q=0", None),
    ],
)
def test_the_media_type_follows_accept_and_its_q_values(accept: str | None, chosen: str) -> None:
    assert response_media_type(accept) == chosen


async def test_a_client_that_prefers_the_graphql_response_type_gets_it_with_the_specs_codes(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    async def ask(query: str) -> httpx.Response:
        return await client.post(
            "/graphql", json={"query": query}, headers=bearer(admin, accept=SPEC_ACCEPT)
        )

    ran = await ask(COUNT)
    assert ran.status_code == 200
    assert ran.headers["content-type"] == "application/graphql-response+json; charset=utf-8"
    assert ran.json()["data"] == {"employees": {"totalCount": 0}}

    for document in (
        "{",
        "{ noSuchField }",
        "query($n: Int!) { employees(first: $n) { totalCount } }",
    ):
        refused = await ask(document)  # does not parse; does not validate; variable missing
        assert refused.status_code == 400, (document, refused.text)
        assert refused.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
        assert "data" not in refused.json() and refused.json()["errors"], document

    # Execution started: 200, with data (null where a field failed) beside the errors.
    failed_field = await ask('{ node(id: "RW1wbG95ZWU6OTk5OTk=") { id } }')
    assert failed_field.status_code == 200
    assert "data" in failed_field.json()


async def test_legacy_clients_get_application_json_exactly_as_before(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    for accept in (None, "application/json", "*/*"):
        headers = bearer(admin) if accept is None else bearer(admin, accept=accept)
        refused = await client.post("/graphql", json={"query": "{ noSuchField }"}, headers=headers)
        assert refused.status_code == 200, accept
        assert refused.headers["content-type"] == "application/json"
        assert refused.json()["data"] is None and refused.json()["errors"]


async def test_nothing_acceptable_is_406_before_anything_runs(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"number": "1"}},
        headers=bearer(admin, accept="application/xml"),
    )
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["reason"] == "NOT_ACCEPTABLE"
    assert await employee_count(client, admin) == 0


async def test_a_spent_budget_stays_429_under_either_media_type(
    client: httpx.AsyncClient, runtime: Runtime, admin: Actor
) -> None:
    spend_at_most(runtime, 40)
    assert (
        await client.post("/graphql", json={"query": EMPLOYEES}, headers=bearer(admin))
    ).status_code == 200
    refused = await client.post(
        "/graphql", json={"query": EMPLOYEES}, headers=bearer(admin, accept=GRAPHQL_RESPONSE_JSON)
    )
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert error_codes(refused.json()) == ["RATE_LIMITED"]


# --- automatic persisted queries ------------------------------------------------------------------


async def test_apollos_persisted_query_round_trip(client: httpx.AsyncClient, admin: Actor) -> None:
    digest = sha256(COUNT)
    # 1. The hash alone: unknown, told the way Apollo's link expects (HTTP 200).
    unknown = await client.post("/graphql", json=persisted(None, digest), headers=bearer(admin))
    assert unknown.status_code == 200
    error = unknown.json()["errors"][0]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
    # 2. The link sends the document with its hash: it runs and is remembered.
    registered = await client.post("/graphql", json=persisted(COUNT, digest), headers=bearer(admin))
    assert registered.json()["data"] == {"employees": {"totalCount": 0}}
    # 3. From now on the hash alone runs it, by POST and by a cacheable GET.
    by_hash = await client.post("/graphql", json=persisted(None, digest), headers=bearer(admin))
    assert by_hash.json()["data"] == {"employees": {"totalCount": 0}}
    extensions = orjson.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}}).decode()
    by_get = await client.get(
        "/graphql",
        params={"extensions": extensions, "operationName": "Count"},
        headers=bearer(admin),
    )
    assert by_get.status_code == 200 and by_get.json()["data"] == {"employees": {"totalCount": 0}}


async def test_a_persisted_mutation_still_needs_post(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    digest = sha256(CREATE)
    created = await client.post(
        "/graphql", json=persisted(CREATE, digest, variables={"number": "1"}), headers=bearer(admin)
    )
    assert created.json()["data"]["createEmployee"]["employee"]["employeeNumber"] == "1"
    extensions = orjson.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}}).decode()
    by_get = await client.get(
        "/graphql",
        params={"extensions": extensions, "variables": '{"number": "2"}'},
        headers=bearer(admin),
    )
    assert by_get.status_code == 405 and by_get.headers["allow"] == "POST"
    assert await employee_count(client, admin) == 1


@pytest.mark.parametrize(
    ("persisted_query", "reason", "field"),
    [
        (
            {"version": 1, "sha256Hash": sha256("{ viewer { context } }")},
            "PERSISTED_QUERY_HASH_MISMATCH",
            "extensions.persistedQuery.sha256Hash",
        ),
        (
            {"version": 1, "sha256Hash": "XYZ"},
            "INVALID_HASH",
            "extensions.persistedQuery.sha256Hash",
        ),
        (
            {"version": 2, "sha256Hash": sha256(COUNT)},
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "extensions.persistedQuery.version",
        ),
    ],
)
async def test_a_wrong_hash_is_bad_input_and_remembers_nothing(
    client: httpx.AsyncClient,
    admin: Actor,
    persisted_query: dict[str, Any],
    reason: str,
    field: str,
) -> None:
    body = {"query": COUNT, "extensions": {"persistedQuery": persisted_query}}
    response = await client.post("/graphql", json=body, headers=bearer(admin))
    assert response.status_code == 400
    extensions = response.json()["errors"][0]["extensions"]
    assert (extensions["code"], extensions["reason"], extensions["field"]) == (
        "BAD_USER_INPUT",
        reason,
        field,
    )
    again = await client.post(
        "/graphql", json=persisted(None, str(persisted_query["sha256Hash"])), headers=bearer(admin)
    )
    assert error_codes(again.json()) in (["PERSISTED_QUERY_NOT_FOUND"], ["BAD_USER_INPUT"])


async def test_a_hash_names_a_document_not_a_permission(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    digest = sha256(COUNT)
    await client.post("/graphql", json=persisted(COUNT, digest), headers=bearer(admin))
    anonymous = await client.post("/graphql", json=persisted(None, digest))
    assert error_codes(anonymous.json()) == ["GRAPHQL_VALIDATION_FAILED"]
    assert anonymous.json()["data"] is None


async def test_a_document_that_fails_validation_is_not_remembered(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    invalid = "{ noSuchField }"
    await client.post("/graphql", json=persisted(invalid, sha256(invalid)), headers=bearer(admin))
    again = await client.post(
        "/graphql", json=persisted(None, sha256(invalid)), headers=bearer(admin)
    )
    assert error_codes(again.json()) == ["PERSISTED_QUERY_NOT_FOUND"]


def test_the_store_is_bounded_by_count_and_by_size_least_recently_used_first() -> None:
    store = PersistedQueries(max_entries=3, max_total_bytes=1_000)
    for name in "abc":
        store.put(name, f"{{ {name} }}")
    store.get("a")  # used: "b" is now the oldest
    store.put("d", "{ d }")
    assert (store.get("a"), store.get("b"), len(store)) == ("{ a }", None, 3)
    store.put("big", "x" * 1_000)  # the others make room
    assert len(store) == 1 and store.total_bytes == 1_000
    assert store.get("big") is not None


# --- batching ---------------------------------------------------------------------------------


async def test_a_batch_runs_in_order_and_answers_in_order(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    batch = [
        {"query": COUNT},
        {"query": CREATE, "variables": {"number": "1"}},
        {"query": CREATE, "variables": {"number": "2"}},
        {"query": COUNT, "operationName": "Count"},
        {"query": "{ noSuchField }"},
    ]
    response = await client.post("/graphql", json=batch, headers=bearer(admin))
    assert response.status_code == 200
    answers = response.json()
    assert [answer.get("data") for answer in answers] == [
        {"employees": {"totalCount": 0}},
        {"createEmployee": {"employee": {"employeeNumber": "1"}}},
        {"createEmployee": {"employee": {"employeeNumber": "2"}}},
        {"employees": {"totalCount": 2}},
        None,
    ]
    assert error_codes(answers[4]) == ["GRAPHQL_VALIDATION_FAILED"]
    # Each operation is costed on its own.
    assert all(answer["extensions"]["cost"]["requested"] >= 1 for answer in answers[:4])


async def test_a_batch_as_apollos_batch_link_sends_it_with_persisted_queries(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    digest = sha256(COUNT)
    first = await client.post(
        "/graphql",
        json=[persisted(None, digest), {"query": "{ viewer { context } }"}],
        headers=bearer(admin),
    )
    assert error_codes(first.json()[0]) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert first.json()[1]["data"] == {"viewer": {"context": "COMPANY"}}
    second = await client.post(
        "/graphql", json=[persisted(COUNT, digest), persisted(None, digest)], headers=bearer(admin)
    )
    assert [answer["data"] for answer in second.json()] == [{"employees": {"totalCount": 0}}] * 2


async def test_a_batch_over_the_limit_is_refused_whole_before_any_work(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    batch = [{"query": CREATE, "variables": {"number": str(n)}} for n in range(11)]
    response = await client.post("/graphql", json=batch, headers=bearer(admin))
    assert response.status_code == 400
    extensions = response.json()["errors"][0]["extensions"]
    assert (extensions["code"], extensions["reason"], extensions["limit"]) == (
        "BAD_USER_INPUT",
        "BATCH_TOO_LARGE",
        10,
    )
    assert await employee_count(client, admin) == 0


@pytest.mark.parametrize(
    ("batch", "status"),
    [
        ([], 400),
        ([{"query": COUNT}, {"variables": {}}], 400),  # one malformed: none runs
        ([{"query": COUNT}, "{ viewer { id } }"], 400),
    ],
)
async def test_a_malformed_batch_is_refused_whole(
    client: httpx.AsyncClient, admin: Actor, batch: list[Any], status: int
) -> None:
    response = await client.post("/graphql", json=batch, headers=bearer(admin))
    assert response.status_code == status
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


def test_the_batch_limit_is_configured() -> None:
    assert Settings().max_batch == 10
    assert Settings.from_env({"GQL_PORTAL_MAX_BATCH": "25"}).max_batch == 25


async def test_a_smaller_configured_limit_applies(
    client: httpx.AsyncClient, runtime: Runtime, admin: Actor
) -> None:
    runtime.settings = dataclasses.replace(runtime.settings, max_batch=2)
    response = await client.post("/graphql", json=[{"query": COUNT}] * 3, headers=bearer(admin))
    assert response.json()["errors"][0]["extensions"]["limit"] == 2
    allowed = await client.post("/graphql", json=[{"query": COUNT}] * 2, headers=bearer(admin))
    assert allowed.status_code == 200 and len(allowed.json()) == 2


def spend_at_most(runtime: Runtime, points: int) -> None:
    settings = dataclasses.replace(
        runtime.settings, cost_budget_per_session=points, cost_budget_per_address=10_000
    )
    runtime.settings = settings
    runtime.budgets = CostBudgets(runtime.database, runtime.clock, settings)


async def test_each_operation_of_a_batch_is_charged_to_the_budget_as_if_sent_alone(
    client: httpx.AsyncClient, runtime: Runtime, admin: Actor
) -> None:
    spend_at_most(runtime, 70)
    response = await client.post("/graphql", json=[{"query": EMPLOYEES}] * 3, headers=bearer(admin))
    answers = response.json()
    assert response.status_code == 200  # some ran
    assert [error_codes(answer) for answer in answers] == [[], [], ["RATE_LIMITED"]]
    assert response.headers["retry-after"] == str(
        answers[2]["errors"][0]["extensions"]["retryAfterSeconds"]
    )
    everything_refused = await client.post(
        "/graphql", json=[{"query": EMPLOYEES}] * 2, headers=bearer(admin)
    )
    assert everything_refused.status_code == 429
    assert [error_codes(answer) for answer in everything_refused.json()] == [["RATE_LIMITED"]] * 2


async def test_the_abuse_catalogues_thousand_operation_batch_stays_refused(
    client: httpx.AsyncClient, admin: Actor, sql_statements: Any
) -> None:
    before = sql_statements.count
    response = await client.post(
        "/graphql",
        content=orjson.dumps([{"query": "{ viewer { context } }"}] * 1000),
        headers=bearer(admin, **{"content-type": "application/json"}),
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["reason"] == "BATCH_TOO_LARGE"
    assert sql_statements.count == before  # refused before the session was even looked up


async def test_a_multipart_upload_is_still_one_operation(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.post(
        "/graphql",
        data={"operations": orjson.dumps([{"query": COUNT}]).decode(), "map": "{}"},
        files={"0": ("a.txt", b"x", "text/plain")},
        headers=bearer(admin, **{"graphql-preflight": "1"}),
    )
    assert response.status_code == 400
    assert "no batching" in response.json()["errors"][0]["message"]


async def test_a_batch_is_answered_in_the_preferred_media_type(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.post(
        "/graphql", json=[{"query": COUNT}], headers=bearer(admin, accept=SPEC_ACCEPT)
    )
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE_JSON)
    assert response.json()[0]["data"] == {"employees": {"totalCount": 0}}


# --- which operation runs ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_a_document_of_several_operations_without_a_name_runs_none(
    client: httpx.AsyncClient, admin: Actor, method: str
) -> None:
    """The GraphQL specification's GetOperation: without `operationName` a document must hold
    exactly one operation; with several, which one to run is the client's to say."""
    document = "query Count { employees(first: 1) { totalCount } } query Who { viewer { role } }"
    headers = bearer(admin, accept=SPEC_ACCEPT)
    if method == "GET":
        response = await client.get("/graphql", params={"query": document}, headers=headers)
    else:
        response = await client.post("/graphql", json={"query": document}, headers=headers)
    assert response.status_code == 400, response.text
    assert "data" not in response.json()
    error = response.json()["errors"][0]["extensions"]
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", "operationName"), error


# --- subscriptions over HTTP ------------------------------------------------------------------

SUBSCRIPTION = "subscription { expenseChanged { id } }"


@pytest.mark.parametrize("accept", [SPEC_ACCEPT, "application/json"])
async def test_a_subscription_by_post_is_told_to_use_the_websocket(
    client: httpx.AsyncClient, admin: Actor, accept: str
) -> None:
    """A subscription sent over HTTP (an Apollo HttpLink without its WebSocket split) runs
    nothing and names where subscriptions go, under either media type: never an internal
    error."""
    response = await client.post(
        "/graphql", json={"query": SUBSCRIPTION}, headers=bearer(admin, accept=accept)
    )
    assert response.status_code == 400, response.text
    assert "data" not in response.json()
    error = response.json()["errors"][0]
    assert (error["extensions"]["code"], error["extensions"]["reason"]) == (
        "BAD_USER_INPUT",
        "SUBSCRIPTION_OVER_HTTP",
    ), error
    assert "WebSocket" in error["message"]


async def test_a_subscription_by_get_is_405_and_says_where_subscriptions_go(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.get("/graphql", params={"query": SUBSCRIPTION}, headers=bearer(admin))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    error = response.json()["errors"][0]
    assert error["extensions"]["reason"] == "SUBSCRIPTION_OVER_HTTP", error
    assert "WebSocket" in error["message"] and "Mutations" not in error["message"]


async def test_a_subscription_in_a_batch_is_refused_alone(
    client: httpx.AsyncClient, admin: Actor
) -> None:
    response = await client.post(
        "/graphql",
        json=[{"query": COUNT}, {"query": SUBSCRIPTION}, {"query": COUNT}],
        headers=bearer(admin),
    )
    assert response.status_code == 200
    first, refused, last = response.json()
    assert first["data"] == last["data"] == {"employees": {"totalCount": 0}}
    assert "data" not in refused
    assert refused["errors"][0]["extensions"]["reason"] == "SUBSCRIPTION_OVER_HTTP"
