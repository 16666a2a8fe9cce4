"""The load test (bench/loadtest.py, issue 7), short: 10 clients for 5 seconds against the
served product (`gql-portal serve` as a subprocess on loopback) on the suite's database, the
demo loaded into it: no errors, no "database is locked", the stored rows exactly the
acknowledged writes. SQLite: one worker; PostgreSQL (GQL_PORTAL_TEST_DATABASE_URL): two.
About 15-25 s. The full run is `python -m bench.loadtest` (50 clients × 60 s)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench import loadtest
from gql_portal.clock import Clock
from gql_portal.db.engine import Database
from gql_portal.demo import load_demo
from gql_portal.security import Passwords
from gql_portal.storage import Storage

CLIENTS = 10
SECONDS = 5.0


async def test_concurrent_clients_lose_nothing_and_never_see_a_locked_database(
    database: Database, database_url: str, passwords: Passwords, tmp_path: Path
) -> None:
    size = loadtest.size_for(CLIENTS)
    storage = tmp_path / "storage"
    await load_demo(
        database,
        Clock(),
        Storage(storage),
        clients=size.clients,
        employees=size.employees,
        passwords=passwords,  # cheap hashes: quick log-ins
    )
    options = loadtest.Options(
        clients=CLIENTS,
        seconds=SECONDS,
        workers=2 if database_url.startswith("postgresql") else 1,
        prepared_url=database_url,
        storage_dir=str(storage),
    )
    results = await asyncio.to_thread(loadtest.run, options)

    summary = loadtest.markdown(results)
    assert results["errors"] == 0, summary
    assert results["locked"] == 0, summary
    assert results["unexpected_errors_logged"] == 0, summary
    assert results["acknowledged"] > 0, summary
    assert results["stored"] == results["acknowledged"], summary
    assert results["lost"] == results["extra"] == results["wrong_marker"] == 0, summary
    assert results["unaudited"] == 0, summary
    assert results["ok"], summary
