"""Live updates across workers (issue 16, point 4): two `gql-portal serve` processes on one
PostgreSQL database; a mutation answered by one reaches a subscriber of the other through
LISTEN/NOTIFY (the event carries ids; the other worker re-reads under its subscriber's access)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from tests.factories import Factory
from tests.live import live
from tests.test_clients import free_port, gql_portal_command
from tests.test_expenses import SUBMIT, new_expense

TEST_DATABASE = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not TEST_DATABASE.startswith("postgresql"),
    reason="events between workers go through PostgreSQL's LISTEN/NOTIFY; on SQLite the bus "
    "is in-process (set GQL_PORTAL_TEST_DATABASE_URL to a PostgreSQL database)",
)
START_SECONDS = 60.0
EXPENSES = "subscription { expenseChanged { id status amount } }"


def serve(settings: Settings, folder: Path) -> Iterator[str]:
    """A `gql-portal serve` on the test database (the test's secret key: the factory's tokens
    are hashed with it): its http:// address."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("GQL_PORTAL")}
    env.update(
        GQL_PORTAL_MODE="development",
        GQL_PORTAL_DATABASE_URL=settings.database_url,
        GQL_PORTAL_SECRET_KEY=settings.secret_key,
        GQL_PORTAL_STORAGE_DIR=str(folder / f"storage-{port}"),
        GQL_PORTAL_PUBLIC_URL=url,
    )
    log = folder / f"server-{port}.log"
    command = [*gql_portal_command(), "serve", "--no-demo", "--port", str(port)]
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--log-level", "warning"], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        started = time.monotonic()
        while True:
            if process.poll() is not None:
                pytest.fail(f"the server exited:\n{log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() - started > START_SECONDS:
                pytest.fail(f"the server was not ready:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def two_workers(database: Database, settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    first, second = serve(settings, tmp_path), serve(settings, tmp_path)
    try:
        yield [next(first), next(second)]
    finally:
        for server in (first, second):
            server.close()


async def test_a_change_on_one_worker_reaches_a_subscriber_of_the_other(
    two_workers: list[str], database: Database, settings: Settings
) -> None:
    # The servers run on the real clock: sessions and dates made for it.
    factory = Factory(database, settings, Clock())
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    other_admin = await factory.admin(await factory.company("Annan AB"))
    first, second = two_workers
    second_ws = second.replace("http://", "ws://") + "/graphql"
    async with (
        live(second_ws, token=admin.token) as admins,
        live(second_ws, token=other_admin.token) as others,
    ):
        await admins.subscribe("1", EXPENSES)
        await others.subscribe("1", EXPENSES)
        await asyncio.sleep(0.3)  # subscribed (the worker LISTENs before it answers)
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                f"{first}/graphql",
                json={"query": SUBMIT, "variables": {"input": new_expense()}},
                headers={"authorization": f"Bearer {anna.token}"},
            )
        body = answer.json()
        assert "errors" not in body, json.dumps(body)
        expense = body["data"]["submitExpense"]["expense"]
        changed = await admins.next_of("1")
        assert changed == {
            "data": {
                "expenseChanged": {"id": expense["id"], "status": "SUBMITTED", "amount": "112.00"}
            }
        }
        await others.nothing_for(0.5)
