"""No bare errors outside GraphQL: every route (files, assets, pages, health, unknown paths, wrong
methods) answers a coded JSON error with `extensions.requestId` and the same `x-request-id`
header, whatever the path segments, query string or headers; never a 5xx for a client's input.
Ids outside the integer columns' range are NOT_FOUND before any SQL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode, urlparse

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gql_portal.auth import SESSION_COOKIE
from gql_portal.db.engine import Database
from gql_portal.http import health
from gql_portal.runtime import Runtime
from tests.accounts import LOG_OUT
from tests.conftest import Api, StatementCounter
from tests.factories import Factory
from tests.test_expenses import attach, submit, tiny_pdf
from tests.test_exports import EXPORT_BASIS, exported, locked_february

EXAMPLES = 150
INT32_MAX = 2**31 - 1
FILE_PREFIXES = [
    "/files/receipts/",
    "/files/exports/",
    "/files/",
    "/graphiql-assets/",
    "/page-assets/",
]


def assert_coded(response: httpx.Response, status: int | None = None) -> dict[str, Any]:
    """The one error shape: JSON, one error with a code, the request id in body and header."""
    where = f"{response.request.method} {response.request.url}"
    if status is not None:
        assert response.status_code == status, (where, response.status_code, response.text)
    assert response.status_code < 500, (where, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), where
    [error] = response.json()["errors"]
    extensions: dict[str, Any] = error["extensions"]
    assert isinstance(extensions["code"], str) and extensions["code"].isupper(), where
    assert extensions["requestId"] == response.headers["x-request-id"], where
    assert isinstance(error["message"], str) and error["message"], where
    return error


@dataclass
class Files:
    """A real receipt and a real export, the session that may fetch them, and the export's
    link (its query string is the only one that downloads)."""

    token: str
    receipt_id: int
    export_id: int
    export_query: str


async def seeded(
    api: Api, factory: Factory, database: Database, client: httpx.AsyncClient
) -> Files:
    admin, month, period = await locked_february(api, factory, database)
    made = exported(
        await api(
            EXPORT_BASIS, {"input": {"periodId": period["id"], "format": "CSV"}}, token=admin.token
        )
    )
    # An employee's receipt, which the admin reaches too.
    expense = await submit(api, month.karin.token)
    receipt = (await attach(client, month.karin.token, expense["id"], tiny_pdf()))["receipt"]
    link = urlparse(made["downloadUrl"])
    return Files(
        token=admin.token,
        receipt_id=int(urlparse(receipt["url"]).path.rsplit("/", 1)[1]),
        export_id=int(link.path.rsplit("/", 1)[1]),
        export_query=link.query,
    )


# --- the property ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """One request, sent twice: at an arbitrary path, and at a real file (the receipt, or the
    export with its real link and the probe's changes to it)."""

    method: str
    path: str
    query: str
    link_changes: str
    headers: dict[str, bytes]
    credential: str  # "none", "bearer", "cookie", "junk"

    def __str__(self) -> str:
        return (
            f"{self.method} {self.path}?{self.query} (link &{self.link_changes}) "
            f"{self.headers} ({self.credential})"
        )


LATIN1 = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)
NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, 1, INT32_MAX, INT32_MAX + 1, 2**63 - 1, 2**63, 2**64, 10**30]),
).map(str)
SEGMENTS = st.one_of(
    NUMBERS,
    st.sampled_from(["", ".", "..", "%2F", "a%2Fb", "%00", "%", "%zz", "1%2F2", "١٢", "1e3"]),
    st.sampled_from(["page.css", "pages.css", "favicon.svg", "__init__.py", "%2e%2e/__init__.py"]),
    st.text(max_size=40),  # any unicode, control characters included
)
LINK_KEYS = st.sampled_from(["session", "expires", "signature"])
QUERY_VALUES = st.one_of(NUMBERS, st.text(max_size=30), st.sampled_from(["", "ab", "0" * 64]))
QUERIES = st.one_of(
    st.lists(st.tuples(LINK_KEYS | st.text(max_size=8), QUERY_VALUES), max_size=4).map(urlencode),
    # Raw: `%` left as it is (malformed escapes, invalid UTF-8), the rest escaped as a URL must be.
    LATIN1.map(lambda raw: quote(raw, safe="=&%;+")),
)
HEADERS = st.dictionaries(
    st.sampled_from(["x-request-id", "range", "if-none-match", "origin", "accept", "cookie"]),
    LATIN1.map(lambda text: text.encode("latin-1")),
    max_size=3,
)


@st.composite
def probes(draw: st.DrawFn) -> Probe:
    segments = draw(st.lists(SEGMENTS, min_size=1, max_size=3))
    # Mostly percent-encoded as a client would; sometimes with `/` and `%` left raw.
    safe = draw(st.sampled_from(["", "/%"]))
    return Probe(
        method=draw(st.sampled_from(["GET"] * 6 + ["HEAD", "POST", "DELETE", "OPTIONS"])),
        path=draw(st.sampled_from(FILE_PREFIXES))
        + "/".join(quote(segment, safe=safe) for segment in segments),
        query=draw(QUERIES),
        link_changes=draw(st.lists(st.tuples(LINK_KEYS, QUERY_VALUES), max_size=2).map(urlencode)),
        headers=draw(HEADERS),
        credential=draw(st.sampled_from(["none", "bearer", "bearer", "cookie", "junk"])),
    )


def drawn_probes(count: int) -> list[Probe]:
    """`count` probes, the same on every run (then sent on the test's own event loop)."""
    drawn: list[Probe] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(probes())
    def collect(probe: Probe) -> None:
        drawn.append(probe)

    collect()
    return drawn


def requests_of(probe: Probe, files: Files) -> list[tuple[str, dict[str, bytes]]]:
    """The probe's three requests (URL and headers): at its own path, at the real receipt, and
    at the real export with its link and the probe's changes to it; with the session (or not)
    its credential names."""
    headers = dict(probe.headers)
    if probe.credential == "bearer":
        headers["authorization"] = f"Bearer {files.token}".encode()
    elif probe.credential == "cookie":
        headers["cookie"] = f"{SESSION_COOKIE}={files.token}".encode()
    elif probe.credential == "junk":
        headers["authorization"] = b"Bearer not-a-session"
    link = "&".join(part for part in (files.export_query, probe.link_changes) if part)
    return [
        (f"{probe.path}?{probe.query}", headers),
        (f"/files/receipts/{files.receipt_id}?{probe.query}", headers),
        (f"/files/exports/{files.export_id}?{link}", headers),
    ]


async def test_file_routes_answer_any_path_query_and_header_with_a_coded_error_or_the_file(
    api: Api, factory: Factory, database: Database, client: httpx.AsyncClient
) -> None:
    files = await seeded(api, factory, database, client)
    statuses: dict[int, int] = {}
    for probe in drawn_probes(EXAMPLES):
        for url, headers in requests_of(probe, files):
            response = await client.request(probe.method, url, headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            where = f"{probe} as {url}"
            assert response.status_code < 500, (where, response.status_code, response.text)
            assert response.headers.get("x-request-id"), where
            assert response.headers["x-content-type-options"] == "nosniff", where
            if response.status_code < 400 or probe.method == "HEAD":
                continue  # a file (or an asset) itself, or a HEAD answer without a body
            assert_coded(response)
    # The probes reached the interesting answers, not only 404s.
    assert {200, 401, 404, 405} <= set(statuses), statuses


# --- the cases behind it, one by one ---------------------------------------------------------


@pytest.mark.parametrize(
    "segment",
    [
        "9223372036854775808",  # was a bare 500 (OverflowError)
        str(2**64),
        str(INT32_MAX + 1),  # int32 on PostgreSQL: no row can have it
        "0",
        "-1",
        "1" + "0" * 5000,  # more digits than int() takes
        "١٢",  # digits, but not ASCII
        "+1",
        " 1",
        "1e3",
        "0x10",
        "%00",
    ],
)
@pytest.mark.parametrize("route", ["/files/receipts/", "/files/exports/"])
async def test_ids_outside_the_id_range_are_not_found_before_any_sql(
    client: httpx.AsyncClient,
    factory: Factory,
    sql_statements: StatementCounter,
    route: str,
    segment: str,
) -> None:
    admin = await factory.admin(await factory.company())
    sql_statements.count = 0
    response = await client.get(
        route + quote(segment, safe="%"),
        params={"session": "1", "expires": "9999999999", "signature": "ab"},
        headers={"authorization": f"Bearer {admin.token}"},
    )
    error = assert_coded(response, 404)
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert sql_statements.count == 0


async def test_the_largest_id_still_asks_the_database_and_is_not_found(
    client: httpx.AsyncClient, factory: Factory, sql_statements: StatementCounter
) -> None:
    admin = await factory.admin(await factory.company())
    response = await client.get(
        f"/files/receipts/{INT32_MAX}", headers={"authorization": f"Bearer {admin.token}"}
    )
    assert assert_coded(response, 404)["message"] == "No such receipt."
    assert sql_statements.count > 0


@pytest.mark.parametrize(
    "query",
    [
        {"session": str(2**63), "expires": "1", "signature": "ab"},
        {"session": "1", "expires": "9" * 40, "signature": "ab"},
        {"session": "1", "expires": "1", "signature": "åäö"},  # compare_digest refuses non-ASCII
        {"session": "1", "expires": "1", "signature": "\x00"},
        {"session": "-1", "expires": "1", "signature": "ab"},
        {"session": "1", "expires": "١", "signature": "ab"},
        {"session": "1"},
        {},
    ],
)
async def test_a_malformed_export_link_is_not_found(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.get("/files/exports/1", params=query)
    assert assert_coded(response, 404)["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path", "status", "code", "allow"),
    [
        ("GET", "/no/such/page", 404, "NOT_FOUND", None),
        ("GET", "/files", 404, "NOT_FOUND", None),
        ("GET", "/files/receipts/", 404, "NOT_FOUND", None),
        ("GET", "/files/receipts/1/extra", 404, "NOT_FOUND", None),
        ("GET", "/graphiql-assets/no-such-file.js", 404, "NOT_FOUND", None),
        ("GET", "/page-assets/%2e%2e/__init__.py", 404, "NOT_FOUND", None),
        ("GET", "/page-assets/" + "x" * 5000, 404, "NOT_FOUND", None),
        ("POST", "/healthz", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("DELETE", "/metrics", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("PUT", "/files/receipts/1", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("POST", "/files/exports/1", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("POST", "/page-assets/pages.css", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("POST", "/login", 405, "BAD_USER_INPUT", "GET, HEAD"),
        ("PATCH", "/graphql", 405, "BAD_USER_INPUT", "GET, HEAD, POST"),
    ],
)
async def test_unknown_paths_and_wrong_methods_answer_coded_json(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    status: int,
    code: str,
    allow: str | None,
) -> None:
    response = await client.request(method, path)
    error = assert_coded(response, status)
    assert error["extensions"]["code"] == code
    if allow is not None:
        # Starlette keeps a route's methods in a set: their order varies between processes.
        allowed = set(allow.split(", "))
        assert set(response.headers["allow"].split(", ")) == allowed
        assert method in error["message"]
        assert all(name in error["message"] for name in allowed)
    assert response.headers["x-frame-options"] == "DENY"  # still every security header


async def test_a_bad_range_on_an_asset_is_a_coded_error(client: httpx.AsyncClient) -> None:
    whole = await client.get("/page-assets/pages.css")
    assert whole.status_code == 200
    part = await client.get("/page-assets/pages.css", headers={"range": "bytes=0-9"})
    assert (part.status_code, part.content) == (206, whole.content[:10])

    malformed = await client.get("/page-assets/pages.css", headers={"range": "bytes=9-0"})
    error = assert_coded(malformed, 400)
    assert (error["extensions"]["code"], error["message"]) == (
        "BAD_USER_INPUT",
        "Range header: start must be less than end",
    )
    beyond = await client.get("/page-assets/pages.css", headers={"range": "bytes=999999-"})
    assert_coded(beyond, 416)
    assert beyond.headers["content-range"] == f"bytes */{len(whole.content)}"


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("trace-1234.abc:5", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("has space", False),
        ("åäö", False),
        ("-leading-dash", False),
        ("line\tbreak", False),
        ("", False),
    ],
)
@pytest.mark.parametrize("path", ["/files/receipts/1", "/no/such/page", "/graphql"])
async def test_a_request_id_is_the_callers_only_when_it_is_a_plain_token(
    client: httpx.AsyncClient, given: str, kept: bool, path: str
) -> None:
    response = await client.get(
        path, headers={"x-request-id": given.encode("utf-8"), "accept": "application/json"}
    )
    error = assert_coded(response)
    request_id = error["extensions"]["requestId"]
    if kept:
        assert request_id == given
    else:
        assert request_id != given and len(request_id) == 32 and request_id.isalnum()


async def test_the_request_id_header_is_on_successful_answers_too(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/healthz", "/page-assets/pages.css", "/login"):
        response = await client.get(path, headers={"x-request-id": "probe-7"})
        assert response.status_code == 200, path
        assert response.headers["x-request-id"] == "probe-7", path


async def test_an_unexpected_exception_is_a_masked_500_with_the_request_id(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The safety net behind the endpoints: whatever escapes one is answered, not dropped."""

    async def broken(*args: Any) -> Any:
        raise RuntimeError("secret detail: connection to 10.0.0.5 refused")

    monkeypatch.setattr("gql_portal.http.files.access_for_token", broken)
    with caplog.at_level(logging.ERROR, logger="gql_portal.http"):
        response = await client.get(
            "/files/receipts/1",
            headers={"authorization": "Bearer x", "x-request-id": "crash-1"},
        )
    assert response.status_code == 500
    [error] = response.json()["errors"]
    assert error == {
        "message": "Internal server error",
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": "crash-1"},
    }
    assert "10.0.0.5" not in response.text
    assert response.headers["x-request-id"] == "crash-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    [record] = [r for r in caplog.records if "crash-1" in r.getMessage()]
    assert record.exc_info is not None and "/files/receipts/1" in record.getMessage()


async def test_readiness_failures_are_coded_too(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def pending(database: Database) -> list[str]:
        return ["0099"]

    monkeypatch.setattr(health, "pending_revisions", pending)
    response = await client.get("/readyz", headers={"x-request-id": "probe-ready"})
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "migrations pending"
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "probe-ready",
    }


async def test_a_refused_cors_preflight_is_coded_json(runtime: Runtime) -> None:
    import dataclasses

    from gql_portal.http.app import create_app
    from tests.conftest import PUBLIC_URL

    runtime.settings = dataclasses.replace(
        runtime.settings, cors_origins=("https://app.tidrapport.example",)
    )
    transport = httpx.ASGITransport(app=create_app(runtime), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
        refused = await http.options(
            "/graphql",
            headers={
                "origin": "https://evil.example",
                "access-control-request-method": "POST",
                "access-control-request-headers": "content-type",
            },
        )
    error = assert_coded(refused, 400)
    assert error["message"] == "Disallowed CORS origin"
    assert "access-control-allow-origin" not in refused.headers


async def test_a_dead_session_cookie_is_told_so_and_deleted_by_the_file_routes(
    api: Api, factory: Factory, database: Database
) -> None:
    """As /graphql answers a dead session (http/session.py): 401 UNAUTHENTICATED with
    `WWW-Authenticate`, and the dead cookie deleted, so that a browser following a receipt's
    url or an export's link after logging out elsewhere is told to log in again."""
    admin, _, period = await locked_february(api, factory, database)
    made = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}},
            token=admin.token,
        )
    )
    assert "errors" not in await api(LOG_OUT, token=admin.token)
    link = urlparse(made["downloadUrl"])
    for url in ("/files/receipts/1", f"{link.path}?{link.query}"):
        api.http.cookies.set(SESSION_COOKIE, admin.token)
        try:
            response = await api.http.get(url)
        finally:
            api.http.cookies.clear()
        assert assert_coded(response, 401)["extensions"]["code"] == "UNAUTHENTICATED", url
        assert response.headers["www-authenticate"].startswith("Bearer"), url
        deleted = response.headers.get("set-cookie", "")
        assert deleted.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in deleted, url
