"""GraphiQL in a real browser: headless Chromium (Debian's `chromium`, driven by Playwright with
the system browser, no downloaded build) loads `/graphql` from a real server, logs in through the
cookie flow and shows a query's result, follows the session's role with its schema (docs explorer)
after `logIn` and `logOut` without a reload, and loads without a single failed request (no
/favicon.ico 404); and runs a subscription over the WebSocket of its own path (the cookie with
the handshake) that shows an event caused elsewhere. On failure the assertion names a screenshot, the page's console log and the
server's log."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from gql_portal.auth import SESSION_COOKIE
from gql_portal.graphiql import CONTENT_SECURITY_POLICY, STATIC_DIR
from tests.accounts import PASSWORD, SIGN_UP, VERIFY, signup_input, token_of

playwright_sync = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: run make install"
)


def chromium_executable() -> str | None:
    """The system Chromium: $GQL_PORTAL_TEST_CHROMIUM, else Debian's `chromium` on the PATH."""
    configured = os.environ.get("GQL_PORTAL_TEST_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


CHROMIUM = chromium_executable()

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium executable (apt-get install -y chromium, or set "
        "GQL_PORTAL_TEST_CHROMIUM); .ci/run installs it",
    ),
    pytest.mark.skipif(
        not (STATIC_DIR / "graphiql.min.js").is_file(),
        reason="GraphiQL assets not built: run make install",
    ),
]

EMAIL = "agnes@bygg.example"
COMPANY = "Bygg i Norr AB"
START_SECONDS = 30.0
UI_TIMEOUT_MS = 10_000
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESULT_PANE = ".graphiql-response"
EXECUTE = "button.graphiql-execute-button"
DOCS_BUTTON = 'button[aria-label="Show Documentation Explorer"]'
DOC_EXPLORER = ".graphiql-doc-explorer"
DOC_FIELD = f"{DOC_EXPLORER} a.graphiql-doc-explorer-field-name"
DOC_TYPE = f"{DOC_EXPLORER} a.graphiql-doc-explorer-type-name"
# A Query field of the signed-in admin's schema (COMPANY_ADMIN) that PUBLIC does not have.
ADMIN_ONLY_FIELD = "employees"

LOG_IN = (
    f'mutation {{ logIn(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) '
    "{ expiresAt viewer { context } } }"
)
VIEWER = "{ viewer { context role user { email } company { name } } }"
LOG_OUT = "mutation { logOut }"


@dataclass
class Server:
    """A `gql-portal serve` process on a loopback port, with its own database and storage."""

    url: str
    database: Path
    log: Path
    process: subprocess.Popen[bytes]

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL to the whole process group."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """Starts the real CLI (`gql-portal serve --no-demo`) and waits until /readyz answers."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path / "browser.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL_")}
    env.update(
        GQL_PORTAL_MODE="development",  # plain-http cookies on loopback
        GQL_PORTAL_DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        GQL_PORTAL_STORAGE_DIR=str(tmp_path / "storage"),
        GQL_PORTAL_PUBLIC_URL=url,
    )
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "gql_portal.cli", "serve", "--port", str(port), "--no-demo"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
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
                pytest.fail(
                    f"the server was not ready in {START_SECONDS:.0f} s:\n{running.log_tail()}"
                )
            time.sleep(0.1)
        yield running
    finally:
        stop(process)


def sign_up_admin(server: Server) -> None:
    """A company admin with a verified email: `signUp`, then the mailed link's `verifyEmail`."""

    def post(query: str, variables: dict[str, Any]) -> None:
        response = httpx.post(
            f"{server.url}/graphql", json={"query": query, "variables": variables}, timeout=10
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    post(
        SIGN_UP,
        {
            "input": signup_input(
                companyName=COMPANY, industry="CONSTRUCTION", email=EMAIL, name="Agnes Berg"
            )
        },
    )
    # No SMTP configured: the mail waits in the outbox table of the server's database.
    with sqlite3.connect(server.database) as connection:
        row = connection.execute(
            "SELECT links FROM email_outbox WHERE to_address = ? ORDER BY id DESC", (EMAIL,)
        ).fetchone()
    assert row is not None, "no verification mail in the outbox"
    post(VERIFY, {"token": token_of(json.loads(row[0])[0])})


@dataclass
class Console:
    """What the page printed (console messages, uncaught errors) and the requests that failed."""

    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def on_message(self, message: Any) -> None:
        line = f"[{message.type}] {message.text} ({message.location.get('url', '')})"
        self.lines.append(line)
        if message.type == "error":
            self.errors.append(line)

    def on_page_error(self, error: Any) -> None:
        line = f"[pageerror] {error}"
        self.lines.append(line)
        self.errors.append(line)

    def on_response(self, response: Any) -> None:
        # Every request counts, the ones the browser makes by itself (an icon) too.
        if response.status >= 400:
            line = f"[response] {response.status} {response.request.method} {response.url}"
            self.lines.append(line)
            self.failed.append(line)

    def on_request_failed(self, request: Any) -> None:
        line = f"[requestfailed] {request.method} {request.url}: {request.failure}"
        self.lines.append(line)
        self.failed.append(line)

    def watch(self, page: Any) -> None:
        page.on("console", self.on_message)
        page.on("pageerror", self.on_page_error)
        page.on("response", self.on_response)
        page.on("requestfailed", self.on_request_failed)


def set_query(page: Any, document: str) -> None:
    """Replace the query editor's text as a user would: click, select all, type (paste)."""
    page.locator(QUERY_EDITOR).click()
    page.keyboard.press("ControlOrMeta+A")
    # insert_text sends one input event (like a paste): no key-up, so no autocomplete pop-up
    # and no auto-closed brackets doubling ours.
    page.keyboard.insert_text(document)
    text = page.locator(QUERY_EDITOR).evaluate("element => element.CodeMirror.getValue()")
    assert text == document, f"the editor holds {text!r}"


def run_and_wait(page: Any, marker: str) -> dict[str, Any]:
    """Click the run button; wait until the result pane shows `marker`; return the result."""
    page.locator(EXECUTE).click()
    playwright_sync.expect(page.locator(RESULT_PANE)).to_contain_text(marker, timeout=UI_TIMEOUT_MS)
    text = page.locator(f"{RESULT_PANE} .CodeMirror").evaluate(
        "element => element.CodeMirror.getValue()"
    )
    result: dict[str, Any] = json.loads(text)
    return result


def editor_text(page: Any) -> str:
    text: str = page.locator(QUERY_EDITOR).evaluate("element => element.CodeMirror.getValue()")
    return text


def wait_for_schema_load(page: Any, count: int) -> None:
    """Wait until GraphiQL has loaded its `count`-th schema (page.js counts them on #graphiql)."""
    playwright_sync.expect(page.locator("#graphiql")).to_have_attribute(
        "data-schema-loads", str(count), timeout=UI_TIMEOUT_MS
    )


def doc_field(page: Any, name: str) -> Any:
    return page.locator(DOC_FIELD, has_text=re.compile(f"^{re.escape(name)}$"))


def assert_docs_show_public_query(page: Any) -> None:
    playwright_sync.expect(doc_field(page, "viewer")).to_be_visible(timeout=UI_TIMEOUT_MS)
    playwright_sync.expect(doc_field(page, ADMIN_ONLY_FIELD)).to_have_count(0)


@contextmanager
def graphiql_page(server: Server, tmp_path: Path) -> Iterator[tuple[Any, Console]]:
    """A headless Chromium page with what it printed watched; on failure the assertion names a
    screenshot, the page's console log and the server's log."""
    console = Console()
    screenshot = tmp_path / "graphiql-failure.png"
    console_log = tmp_path / "graphiql-console.log"
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            console.watch(page)
            try:
                yield page, console
            except Exception as error:
                console_log.write_text("\n".join(console.lines) + "\n")
                try:
                    page.screenshot(path=str(screenshot), full_page=True)
                    shot = str(screenshot)
                except Exception as failure:  # the page or browser may be gone
                    shot = f"none ({failure})"
                raise AssertionError(
                    f"{error}\n  screenshot: {shot}\n  console log: {console_log}"
                    f"\n  server log: {server.log}"
                ) from error
        finally:
            browser.close()


def test_graphiql_logs_in_with_the_cookie_and_shows_the_viewer(
    server: Server, tmp_path: Path
) -> None:
    sign_up_admin(server)
    with graphiql_page(server, tmp_path) as (page, console):
        response = page.goto(f"{server.url}/graphql", wait_until="load")
        assert response is not None and response.ok, response
        assert response.headers["content-type"].startswith("text/html")
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        playwright_sync.expect(page.locator(QUERY_EDITOR)).to_be_visible(timeout=UI_TIMEOUT_MS)
        # Signed out, GraphiQL shows the PUBLIC schema: its Query has only `viewer`.
        wait_for_schema_load(page, 1)
        page.locator(DOCS_BUTTON).click()
        page.locator(DOC_TYPE, has_text=re.compile("^Query$")).first.click()
        assert_docs_show_public_query(page)

        set_query(page, LOG_IN)
        logged_in = run_and_wait(page, '"expiresAt"')
        assert "errors" not in logged_in, logged_in
        assert logged_in["data"]["logIn"]["viewer"]["context"] == "COMPANY"
        cookies = {c["name"]: c for c in page.context.cookies(server.url)}
        assert cookies[SESSION_COOKIE]["httpOnly"], cookies

        # Without a reload, GraphiQL introspects again and the docs explorer (still on
        # Query) shows the admin's schema; the editor keeps what was typed.
        wait_for_schema_load(page, 2)
        playwright_sync.expect(doc_field(page, ADMIN_ONLY_FIELD)).to_be_visible(
            timeout=UI_TIMEOUT_MS
        )
        fields = page.locator("#graphiql").get_attribute("data-schema-query-fields")
        assert ADMIN_ONLY_FIELD in (fields or "").split(), fields
        assert editor_text(page) == LOG_IN

        # GraphiQL sends no Authorization header: only the cookie can sign this in.
        set_query(page, VIEWER)
        shown = run_and_wait(page, EMAIL)
        assert shown == {
            "data": {
                "viewer": {
                    "context": "COMPANY",
                    "role": "ADMIN",
                    "user": {"email": EMAIL},
                    "company": {"name": COMPANY},
                }
            },
            "extensions": shown.get("extensions"),
        }, shown
        pane = page.locator(RESULT_PANE).inner_text().replace("\xa0", " ")
        for expected in (EMAIL, COMPANY, '"COMPANY"'):
            assert expected in pane, f"{expected!r} not shown in the result pane:\n{pane}"

        # logOut: back to the PUBLIC schema, again without a reload.
        set_query(page, LOG_OUT)
        logged_out = run_and_wait(page, '"logOut"')
        assert logged_out["data"] == {"logOut": True}, logged_out
        wait_for_schema_load(page, 3)
        assert_docs_show_public_query(page)
        assert editor_text(page) == LOG_OUT

        # A resource blocked by the CSP, or any script error, is a console error.
        assert not console.errors, "console errors:\n" + "\n".join(console.errors)
        # Nothing failed to load: no 404 for /favicon.ico (the page links its icon).
        assert not console.failed, "failed requests:\n" + "\n".join(console.failed)


PERIODS = "subscription { payrollPeriodChanged { id state } }"
OPEN_PERIOD = 'mutation { openPayrollPeriod(month: "2026-02") { payrollPeriod { id state } } }'
TOKEN_LOG_IN = (
    f'mutation {{ logIn(input: {{email: "{EMAIL}", password: "{PASSWORD}"}}) {{ token }} }}'
)


def post_with_token(server: Server, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = httpx.post(
        f"{server.url}/graphql", json={"query": query}, headers=headers, timeout=10
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200 and "errors" not in body, response.text
    data: dict[str, Any] = body["data"]
    return data


def test_graphiql_runs_a_subscription_over_the_websocket_of_its_own_path(
    server: Server, tmp_path: Path
) -> None:
    """Signed in with the cookie, GraphiQL runs a subscription over ws://host/graphql (its
    fetcher's ws URL, from the page's location; the cookie goes with the handshake) and shows
    the event of a change made elsewhere (another client, over HTTP)."""
    sign_up_admin(server)
    token = post_with_token(server, TOKEN_LOG_IN)["logIn"]["token"]
    with graphiql_page(server, tmp_path) as (page, console):
        page.goto(f"{server.url}/graphql", wait_until="load")
        wait_for_schema_load(page, 1)
        ws_url = server.url.replace("http://", "ws://") + "/graphql"
        assert page.locator("#graphiql").get_attribute("data-subscription-url") == ws_url
        set_query(page, LOG_IN)
        assert "errors" not in run_and_wait(page, '"expiresAt"')
        wait_for_schema_load(page, 2)

        # Frames are collected from the socket's opening: the subscribe frame can be sent
        # before a wait for it would begin (a loaded machine missed it that way).
        sent: list[str] = []
        page.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(str(frame))))
        set_query(page, PERIODS)
        with page.expect_websocket(timeout=UI_TIMEOUT_MS) as opened:
            page.locator(EXECUTE).click()
        assert opened.value.url == ws_url
        deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
        while not any('"subscribe"' in frame for frame in sent):
            assert time.monotonic() < deadline, f"no subscribe frame sent: {sent}"
            page.wait_for_timeout(100)
        page.wait_for_timeout(2000)  # the server subscribes (the protocol acknowledges nothing)

        period = post_with_token(server, OPEN_PERIOD, token)["openPayrollPeriod"]["payrollPeriod"]
        playwright_sync.expect(page.locator(RESULT_PANE)).to_contain_text(
            period["id"], timeout=UI_TIMEOUT_MS
        )
        text = page.locator(f"{RESULT_PANE} .CodeMirror").evaluate(
            "element => element.CodeMirror.getValue()"
        )
        assert json.loads(text) == {"data": {"payrollPeriodChanged": period}}, text
        assert not console.errors, "console errors:\n" + "\n".join(console.errors)
        assert not console.failed, "failed requests:\n" + "\n".join(console.failed)
