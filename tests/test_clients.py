"""The GraphQL clients and tools frontend teams use, against a real server (issue 15, points 1,
3, 7, 8): a `gql-portal serve` process on its own SQLite file with the smallest demo, and the
pinned npm packages of tests/clients/ (`npm ci` through tests/clients/install.sh, skipped while
the lock is unchanged) run by node, each script printing one JSON line this module reads:

- the GraphQL-over-HTTP audit (graphql-http's `auditServer`): every item ok, no warning;
- relay-compiler: real operations with `@connection` and `@refetchable` compile against
  schema.graphql and against each role's golden schema;
- Apollo Client (HttpLink and BatchHttpLink, both behind PersistedQueryLink), urql with its
  defaults (queries by GET) and graphql-request, with a bearer token: a query and a mutation,
  and the requests they sent (GET or POST, batch, hash without document); graphql-ws (the
  graphql-transport-ws protocol on /graphql): a subscription's event;
- graphql-codegen (client preset, typescript, typescript-operations) from the live server's
  role SDL (GET /graphql/schema.graphql) with a bearer token, then `tsc --noEmit` on a typed
  usage (custom scalars as typed strings);
- @graphql-eslint's Relay rules and descriptions on everything over schema.graphql;
- in Python, `gql` over httpx with the schema fetched from the server: with a bearer token, and
  with a cookie session that logs in and refetches the schema when the role changes; and `gql`'s
  websockets transport (graphql-transport-ws, the token in connection_init): the event of a
  mutation made over HTTP, a subscription outside the role's schema refused, a dead token 4401.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql_portal.clock import Clock
from gql_portal.db.engine import Database
from gql_portal.db.migrate import upgrade
from gql_portal.demo import CLIENT_ADMIN, DEMO_PASSWORD, EMPLOYEE, FIRM_USER, load_demo
from gql_portal.http.trusted import load_manifest
from gql_portal.storage import Storage

REPO = Path(__file__).resolve().parent.parent
CLIENTS = REPO / "tests" / "clients"
NODE = shutil.which("node")
NPM = shutil.which("npm")

pytestmark = [
    pytest.mark.skipif(
        NODE is None or NPM is None,
        reason="node and npm are not on the PATH (Node.js 20+ with npm: apt-get install -y "
        "nodejs npm); CI has them",
    ),
    pytest.mark.skipif(
        not os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "sqlite").startswith("sqlite"),
        reason="the clients talk to their own server on its own SQLite file; the database "
        "behind it is not what they test, so the PostgreSQL leg does not run them again",
    ),
]

START_SECONDS = 60.0
SCRIPT_SECONDS = 120.0
LOG_IN = (
    "mutation($email: String!, $password: String!) "
    "{ logIn(input: {email: $email, password: $password}) { token viewer { context role } } }"
)
ROLES = ("PUBLIC", "COMPANY_ADMIN", "EMPLOYEE", "PARTNER_PORTAL", "PORTAL_ASSISTANT")
# Which folders of tests/clients/relay/ each schema compiles: a role's app uses only what its
# schema has; the full schema takes them all.
RELAY_SETS = {
    "schema.graphql": ("company", "admin", "portal", "public"),
    "schema.COMPANY_ADMIN.graphql": ("company", "admin", "public"),
    "schema.EMPLOYEE.graphql": ("company", "public"),
    "schema.PARTNER_PORTAL.graphql": ("portal", "public"),
    "schema.PORTAL_ASSISTANT.graphql": ("portal", "public"),  # the firm's read-only assistant
    "schema.PUBLIC.graphql": ("public",),
}
GRAPHQL_RESPONSE = "application/graphql-response+json"


@dataclass
class Server:
    """A `gql-portal serve` process on a loopback port with its own database and storage."""

    url: str
    database: Path
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def graphql(self) -> str:
        return f"{self.url}/graphql"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def post(self, query: str, token: str | None = None, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(
            self.graphql, json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def log_in(self, email: str) -> str:
        token: str = self.post(LOG_IN, email=email, password=DEMO_PASSWORD)["logIn"]["token"]
        return token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def gql_portal_command() -> list[str]:
    script = Path(sys.executable).with_name("gql-portal")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "gql_portal.cli"]


@pytest.fixture(scope="module")
def installed() -> None:
    """The pinned packages of tests/clients/ (`npm ci`, skipped while the lock is unchanged)."""
    run = subprocess.run(
        ["bash", str(CLIENTS / "install.sh")], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, f"{run.stdout}\n{run.stderr}"


async def seed(database_file: Path, storage: Path) -> None:
    """What `gql-portal demo --clients 1 --employees 2` writes, without a second process."""
    database = Database.from_url(f"sqlite+aiosqlite:///{database_file}")
    try:
        await upgrade(database)
        await load_demo(database, Clock(), Storage(storage), clients=1, employees=2)
    finally:
        await database.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The smallest demo (one client, two employees, a firm) in a new SQLite file, served by the
    real CLI; ready once /readyz answers."""
    folder = tmp_path_factory.mktemp("clients")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = folder / "clients.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL_")}
    env.update(
        GQL_PORTAL_MODE="development",  # plain-http cookies on loopback
        GQL_PORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        GQL_PORTAL_STORAGE_DIR=str(folder / "storage"),
        GQL_PORTAL_PUBLIC_URL=url,
    )
    asyncio.run(seed(database, folder / "storage"))
    log = folder / "server.log"
    command = [*gql_portal_command(), "serve", "--no-demo", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Server(url=url, database=database, log=log, process=process)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited with {process.returncode}:\n{running.log_tail()}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server was not ready in {START_SECONDS:.0f} s")
            time.sleep(0.1)
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


@pytest.fixture(scope="module")
def admin_token(server: Server) -> str:
    return server.log_in(CLIENT_ADMIN)


def node(
    script: str, *args: str, server: Server | None = None, token: str | None = None
) -> dict[str, Any]:
    """Run a script of tests/clients/ and return the JSON line it printed."""
    run = run_tool([NODE or "node", script, *args], server=server, token=token)
    lines = run.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing:\n{run.stderr}"
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_tool(
    command: list[str],
    *,
    server: Server | None = None,
    token: str | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command in tests/clients/ with the server's URL and the token (and `env`) in its
    environment; fail with its output (and the server's log) if it fails."""
    env = dict(os.environ, NO_COLOR="1", **(env or {}))
    if server is not None:
        env["GQL_PORTAL_URL"] = server.url
    if token is not None:
        env["GQL_PORTAL_TOKEN"] = token
    run = subprocess.run(
        command, cwd=CLIENTS, env=env, capture_output=True, text=True, timeout=SCRIPT_SECONDS
    )
    if run.returncode != 0:
        log = f"\n--- server log:\n{server.log_tail()}" if server else ""
        pytest.fail(
            f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout}\n{run.stderr}{log}"
        )
    return run


def bin_of(name: str) -> str:
    return str(CLIENTS / "node_modules" / ".bin" / name)


def phone_of(server: Server, token: str, employee_id: str) -> str:
    query = "query($id: ID!) { node(id: $id) { ... on Employee { phone } } }"
    phone: str = server.post(query, token, id=employee_id)["node"]["phone"]
    return phone


# --- GraphQL over HTTP ----------------------------------------------------------------------


def test_the_graphql_over_http_audit_passes_every_item_without_a_warning(
    installed: None, server: Server
) -> None:
    results = node("audit.mjs", server=server)["results"]
    not_ok = [f"{r['status']} {r['id']} {r['name']}: {r.get('reason')}" for r in results]
    not_ok = [line for line, r in zip(not_ok, results, strict=True) if r["status"] != "ok"]
    assert not_ok == [], "\n".join(not_ok)
    # The audit ran in full (graphql-http 1.23 has 61 items: the MUSTs, SHOULDs and MAYs).
    assert len(results) >= 60, results


# --- Relay ----------------------------------------------------------------------------------


@pytest.mark.parametrize("schema_file", list(RELAY_SETS), ids=list(RELAY_SETS))
def test_relay_compiler_compiles_connections_and_refetchable_fragments(
    installed: None, schema_file: str
) -> None:
    path = REPO / (
        schema_file if schema_file == "schema.graphql" else f"tests/golden/{schema_file}"
    )
    folders = RELAY_SETS[schema_file]
    result = node("relay/compile.mjs", str(path), *folders)
    assert result["ok"], result["output"]
    artifacts = set(result["artifacts"])
    expected = {"SessionQuery.graphql.ts"}
    if "company" in folders:
        expected |= {
            "EmployeeListPaginationQuery.graphql.ts",  # @connection + @refetchable on Query
            "EmployeeRowRefetchQuery.graphql.ts",  # @refetchable on a Node type: node(id:)
            "ExpenseListBackwardPaginationQuery.graphql.ts",  # last/before
            "ExpenseItemRefetchQuery.graphql.ts",
            "TimeSheetPaginationQuery.graphql.ts",
        }
    if "admin" in folders:
        expected |= {
            "UserListPaginationQuery.graphql.ts",
            "UserListUserRefetchQuery.graphql.ts",  # CompanyUser is a Node
            "AuditLogPaginationQuery.graphql.ts",  # last/before
        }
    if "portal" in folders:
        expected |= {
            "ClientBoardPaginationQuery.graphql.ts",
            "ClientBoardClientRefetchQuery.graphql.ts",  # PortalClient is a Node
            "ClientBoardCompanyRefetchQuery.graphql.ts",
            "ClientEmployeesPaginationQuery.graphql.ts",
        }
    assert expected <= artifacts, (sorted(expected - artifacts), result["output"])


def test_relays_persisted_queries_are_a_manifest_the_server_loads(
    installed: None, tmp_path: Path
) -> None:
    """relay-compiler's `persistConfig` (SHA-256) writes the manifest of trusted-documents
    mode: it loads as the server loads it at start, and each id the network layer sends as
    `doc_id` finds its operation."""
    manifest = tmp_path / "persisted_queries.json"
    run = run_tool(
        [
            NODE or "node",
            "relay/compile.mjs",
            str(REPO / "schema.graphql"),
            *RELAY_SETS["schema.graphql"],
        ],
        env={"RELAY_PERSISTED_QUERIES": str(manifest)},
    )
    assert json.loads(run.stdout.strip().splitlines()[-1])["ok"], run.stdout
    documents = load_manifest(manifest)
    names = {
        name for text in documents.documents.values() for name in re.findall(r"^query (\w+)", text)
    }
    assert {"EmployeeListPaginationQuery", "ExpenseListBackwardPaginationQuery"} <= names, names
    assert {"ClientBoardClientRefetchQuery", "SessionQuery"} <= names, names
    for doc_id, text in documents.documents.items():
        assert documents.find(doc_id) == text


# --- JavaScript clients with a bearer token -------------------------------------------------


def test_apollo_client_with_persisted_queries_by_get_and_batching(
    installed: None, server: Server, admin_token: str
) -> None:
    result = node("apollo.mjs", server=server, token=admin_token)
    http, batch = result["http"], result["batch"]
    assert http["viewer"]["role"] == "ADMIN" and http["viewer"]["context"] == "COMPANY"
    assert http["employees"]["totalCount"] == 2 and len(http["employees"]["edges"]) == 2
    assert http["sameAgain"] is True
    changed = http["mutation"]["updateEmployeeContact"]["employee"]
    assert changed["phone"] == "070-123 45 67"
    assert phone_of(server, admin_token, changed["id"]) == "070-123 45 67"

    # Automatic persisted queries: the hash alone by GET, unknown at first; the document once
    # by POST; then the hash alone by GET again, answered. A mutation's hash goes by POST.
    steps = [
        (r["method"], r["operations"][0]["hasDocument"], r["errorCodes"]) for r in http["requests"]
    ]
    assert steps == [
        ("GET", False, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("POST", True, []),
        ("GET", False, []),
        ("POST", False, ["PERSISTED_QUERY_NOT_FOUND"]),
        ("POST", True, []),
    ], http["requests"]
    assert all(r["status"] == 200 for r in http["requests"]), http["requests"]
    # Apollo's HttpLink asks for the GraphQL-over-HTTP media type first, and gets it.
    assert all(r["contentType"].startswith(GRAPHQL_RESPONSE) for r in http["requests"])

    # BatchHttpLink: both queries in one JSON array; the second round, hashes only, answered.
    assert batch["viewer"] == {"__typename": "Viewer", "context": "COMPANY", "role": "ADMIN"}
    assert len(batch["employees"]["edges"]) == 1 and batch["employees"]["pageInfo"]["hasNextPage"]
    first, *_, last = batch["requests"]
    assert first["method"] == "POST" and first["batch"] == 2, batch["requests"]
    assert last["batch"] == 2 and last["errorCodes"] == [], batch["requests"]
    assert not any(operation["hasDocument"] for operation in last["operations"]), last


def test_urql_with_its_defaults_queries_by_get_and_mutates_by_post(
    installed: None, server: Server, admin_token: str
) -> None:
    result = node("urql.mjs", server=server, token=admin_token)
    assert result["viewer"]["user"]["email"] == CLIENT_ADMIN
    assert result["employees"]["totalCount"] == 2
    changed = result["mutation"]["updateEmployeeContact"]["employee"]
    assert phone_of(server, admin_token, changed["id"]) == "070-765 43 21"
    methods = [(r["method"], r["operations"][0]["operationName"]) for r in result["requests"]]
    assert methods == [("GET", "ViewerAndEmployees"), ("POST", "UpdatePhone")]
    assert all(r["status"] == 200 and r["errorCodes"] == [] for r in result["requests"])


def test_graphql_request_queries_and_mutates(
    installed: None, server: Server, admin_token: str
) -> None:
    result = node("graphql-request.mjs", server=server, token=admin_token)
    assert result["viewer"] == {
        "context": "COMPANY",
        "role": "ADMIN",
        "user": {"email": CLIENT_ADMIN},
    }
    assert [edge["node"]["firstName"] for edge in result["employees"]["edges"]]
    changed = result["mutation"]["updateEmployeeContact"]["employee"]
    assert phone_of(server, admin_token, changed["id"]) == "070-111 22 33"
    assert [r["method"] for r in result["requests"]] == ["POST", "POST"]


def test_a_dead_token_is_a_401_that_the_clients_see(installed: None, server: Server) -> None:
    """What a client's auth handling keys on: a revoked token is UNAUTHENTICATED, not anonymous."""
    token = server.log_in(EMPLOYEE)
    server.post("mutation { logOut }", token)
    run = subprocess.run(
        [NODE or "node", "graphql-request.mjs"],
        cwd=CLIENTS,
        env=dict(os.environ, GQL_PORTAL_URL=server.url, GQL_PORTAL_TOKEN=token),
        capture_output=True,
        text=True,
        timeout=SCRIPT_SECONDS,
    )
    assert run.returncode != 0
    assert "UNAUTHENTICATED" in run.stderr and "401" in run.stderr, run.stderr


@pytest.mark.skipif(
    "type Subscription" not in (REPO / "schema.graphql").read_text(),
    reason="the schema has no Subscription type yet (subscriptions are another change)",
)
def test_graphql_ws_delivers_a_subscription_event(
    installed: None, server: Server, admin_token: str
) -> None:
    result = node("graphql-ws.mjs", server=server, token=admin_token)
    approved = result["approved"]
    assert approved["status"] == "APPROVED"
    assert {"data": {"expenseChanged": approved}} in result["events"], result


# --- graphql-codegen and tsc ----------------------------------------------------------------


def test_codegen_from_the_live_endpoint_types_check_with_tsc(
    installed: None, server: Server, admin_token: str
) -> None:
    generated = CLIENTS / "codegen" / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    run_tool(
        [bin_of("graphql-codegen"), "--config", "codegen.ts", "--silent"],
        server=server,
        token=admin_token,
    )
    operations = (generated / "operations.ts").read_text()
    # The client preset's persisted documents are a manifest the server loads (trusted mode),
    # keyed as the generated documents' `documentId`.
    persisted = load_manifest(generated / "gql" / "persisted-documents.json")
    assert len(persisted) == 1, persisted.documents
    [(document_id, document)] = persisted.documents.items()
    assert document_id.startswith("sha256:") and document.startswith("query RecentExpenses")
    assert persisted.find(document_id) == document
    assert document_id in (generated / "gql" / "graphql.ts").read_text()
    schema = (generated / "schema.ts").read_text()
    # The role's schema: a company admin's (no partner portal's client board).
    assert "export type EmployeeConnection" in schema and "PortalClient" not in schema
    # Custom scalars are typed strings, not `any`.
    assert "amount: `${number}`" in operations
    assert "date: `${number}-${number}-${number}`" in operations
    assert re.search(r"Money: \{ input: string; output: `\$\{number\}`; \}", schema), schema[:3000]
    # The usage file's @ts-expect-error lines fail the check if a scalar were `any`.
    run_tool([bin_of("tsc"), "-p", "tsconfig.json"])


# --- schema lint ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def schema_lint(installed: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The lint of schema.graphql, and of a copy with one connection's `last` taken out (to see
    that the lint fails): one node process for both, {"ours": [...], "broken": [...]}."""
    schema = (REPO / "schema.graphql").read_text()
    broken = re.sub(r'\n    """[^"]*"""\n    last: Int = null\n', "\n", schema, count=1)
    assert broken != schema
    broken_file = tmp_path_factory.mktemp("lint") / "schema.graphql"
    broken_file.write_text(broken)
    result = node("schema-lint.mjs", str(REPO / "schema.graphql"), str(broken_file))
    ours, theirs = result["files"]
    return {"ours": ours["problems"], "broken": theirs["problems"]}


def test_the_schema_passes_the_relay_and_description_lint(schema_lint: dict[str, Any]) -> None:
    problems = [f"{p['line']}: {p['rule']}: {p['message']}" for p in schema_lint["ours"]]
    assert problems == [], f"{len(problems)} problems:\n" + "\n".join(problems)


def test_the_schema_lint_finds_a_connection_without_backward_paging(
    schema_lint: dict[str, Any],
) -> None:
    assert "@graphql-eslint/relay-arguments" in {p["rule"] for p in schema_lint["broken"]}


# --- Python: gql over httpx -----------------------------------------------------------------


def test_python_gql_with_a_bearer_token_fetches_the_role_schema(
    server: Server, admin_token: str
) -> None:
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: run make install")
    from gql.transport.httpx import HTTPXTransport

    transport = HTTPXTransport(
        url=server.graphql, headers={"Authorization": f"Bearer {admin_token}"}
    )
    client = gql.Client(transport=transport, fetch_schema_from_transport=True)
    with client as session:
        assert client.schema is not None and client.schema.query_type is not None
        assert "employees" in client.schema.query_type.fields  # the admin's schema
        assert "clients" not in client.schema.query_type.fields  # not the portal's
        data = session.execute(gql.gql("{ employees(first: 5) { totalCount nodes { id } } }"))
        assert data["employees"]["totalCount"] == 2
        employee_id = data["employees"]["nodes"][0]["id"]
        city = gql.GraphQLRequest(
            'mutation($id: ID!) { updateEmployeeContact(id: $id, input: {city: "Umeå"}) '
            "{ employee { city } } }",
            variable_values={"id": employee_id},
        )
        changed = session.execute(city)
        assert changed["updateEmployeeContact"]["employee"]["city"] == "Umeå"


def test_python_gql_with_a_cookie_session_refetches_the_schema_when_the_role_changes(
    server: Server,
) -> None:
    """A cookie session starts anonymous; after `logIn` (and `logOut`) the role's schema is
    another: the client fetches it again, as our GraphiQL does, or validates against the old."""
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: run make install")
    from gql.transport.httpx import HTTPXTransport
    from graphql import GraphQLError

    employees = gql.gql("{ employees(first: 1) { totalCount } }")
    client = gql.Client(
        transport=HTTPXTransport(url=server.graphql), fetch_schema_from_transport=True
    )

    def query_fields() -> set[str]:
        assert client.schema is not None and client.schema.query_type is not None
        return set(client.schema.query_type.fields)

    with client as session:
        assert query_fields() == {"viewer"}  # anonymous: the public schema
        log_in = gql.GraphQLRequest(
            LOG_IN, variable_values={"email": FIRM_USER, "password": DEMO_PASSWORD}
        )
        logged_in = session.execute(log_in)
        assert logged_in["logIn"]["viewer"]["context"] == "PORTAL"
        # The session cookie now goes with every request, but the schema in hand is stale:
        # gql validates locally and refuses the portal's fields.
        with pytest.raises(GraphQLError, match="Cannot query field 'employees'"):
            session.execute(employees)
        session.fetch_schema()  # the role changed: fetch its schema
        assert {"clients", "employees", "node"} <= query_fields()
        assert session.execute(employees)["employees"]["totalCount"] >= 1

        session.execute(gql.gql("mutation { logOut }"))
        session.fetch_schema()
        assert query_fields() == {"viewer"}
        with pytest.raises(GraphQLError, match="Cannot query field 'employees'"):
            session.execute(employees)


# --- Python gql over WebSocket (graphql-transport-ws) -----------------------------------------

EXPENSE_CHANGED = "subscription { expenseChanged { id status description } }"
SUBMIT_EXPENSE = (
    "mutation($input: SubmitExpenseInput!) { submitExpense(input: $input) "
    "{ expense { id status description } } }"
)
EVENT_SECONDS = 10.0


def websockets_client(server: Server, token: str) -> Any:
    """gql's websockets transport on /graphql (graphql-transport-ws), the token in
    connection_init's payload, as a script or backend team would connect."""
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: run make install")
    from gql.transport.websockets import WebsocketsTransport

    transport = WebsocketsTransport(
        url=server.graphql.replace("http://", "ws://"),
        init_payload={"authorization": f"Bearer {token}"},
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
    )
    return gql.Client(transport=transport)


async def test_python_gql_over_websockets_receives_the_event_of_a_mutation_over_http(
    server: Server, admin_token: str
) -> None:
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: run make install")
    employee_token = server.log_in(EMPLOYEE)
    description = "gql websockets"
    async with websockets_client(server, admin_token) as session:
        events = session.subscribe(gql.gql(EXPENSE_CHANGED))
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.5)  # subscribed (the protocol acknowledges no subscribe)
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                server.graphql,
                json={"query": SUBMIT_EXPENSE, "variables": {"input": _expense(description)}},
                headers={"Authorization": f"Bearer {employee_token}"},
            )
        body = answer.json()
        assert "errors" not in body, body
        expense = body["data"]["submitExpense"]["expense"]
        event = await asyncio.wait_for(first, EVENT_SECONDS)
        await events.aclose()
    assert event == {"expenseChanged": expense}
    assert expense["status"] == "SUBMITTED" and expense["description"] == description


async def test_python_gql_over_websockets_is_refused_what_the_role_may_not_follow(
    server: Server,
) -> None:
    """An employee's schema has no `exportsUpdated`: the subscription is answered with an error
    (a TransportQueryError naming the field), the connection stays usable; a dead token is
    refused at connection_init (the socket closed with 4401)."""
    gql = pytest.importorskip("gql", reason="gql is a dev dependency: run make install")
    from gql.transport.exceptions import TransportConnectionFailed, TransportQueryError
    from websockets.exceptions import ConnectionClosed

    employee_token = server.log_in(EMPLOYEE)
    async with websockets_client(server, employee_token) as session:
        with pytest.raises(TransportQueryError) as refused:
            async for _ in session.subscribe(gql.gql("subscription { exportsUpdated { id } }")):
                pass
        assert refused.value.errors is not None
        error = refused.value.errors[0]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
        assert "exportsUpdated" in error["message"], error
        # Its own expenses it may follow, on the same connection.
        events = session.subscribe(gql.gql(EXPENSE_CHANGED))
        first = asyncio.ensure_future(anext(events))
        await asyncio.sleep(0.5)
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                server.graphql,
                json={"query": SUBMIT_EXPENSE, "variables": {"input": _expense("own")}},
                headers={"Authorization": f"Bearer {employee_token}"},
            )
        expense = answer.json()["data"]["submitExpense"]["expense"]
        assert await asyncio.wait_for(first, EVENT_SECONDS) == {"expenseChanged": expense}
        await events.aclose()

    with pytest.raises(TransportConnectionFailed) as failed:
        async with websockets_client(server, "gqlp_s_not-a-session"):
            pass
    closed = failed.value.__cause__
    assert isinstance(closed, ConnectionClosed) and closed.rcvd is not None, failed.value
    assert closed.rcvd.code == 4401, closed


def _expense(description: str) -> dict[str, Any]:
    return {
        "date": "2026-02-20",
        "amount": "112.00",
        "vatRate": "12",
        "category": "FOOD",
        "description": description,
    }
