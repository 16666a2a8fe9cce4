"""The benchmark's database: the product's demo data of a given size, plus one big company.

SQLite: built once per size into `bench/.data/` and copied for every run (the write mix then
never changes the cache). PostgreSQL (`--database-url`): loaded into the given database when it
is empty, reused when it holds the same sizes (checked from its rows), refused otherwise
(`--fresh` empties it first).

The big company (scenario 4: a payroll basis of 500 employees) is the demo's own
`--big-company N` (`load_demo(big_company=N)`): one more client company with N employees.

A cached file is named by its size and `DATA_VERSION`: bump it when the demo's data or the
schema it is built with changes (or run with `--fresh`), so that no run reuses an old file.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from gql_portal.clock import Clock
from gql_portal.db.accounts import Company
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.migrate import upgrade
from gql_portal.demo import BIG_COMPANY_ADMIN, BIG_COMPANY_INDEX
from gql_portal.domain.accounts import Industry
from gql_portal.security import Passwords
from gql_portal.storage import Storage

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
BIG_INDEX = BIG_COMPANY_INDEX  # the big company's client index (gql-portal demo --big-company)
SEED = 2026
# Part of the cache key: 2 = time entries with week_start (migration 0005), the big company
# built by `gql-portal demo --big-company`; 3 = time codes of kind OVERTIME/ADDED_TIME and the
# frozen basis' codes (migration 0009); 4 = expenses' VAT lines and deductible VAT (0010).
DATA_VERSION = 7


@dataclass(frozen=True)
class Size:
    clients: int
    employees: int
    big_company: int  # employees of the one big company (0: none)
    seed: int = SEED

    @property
    def key(self) -> str:
        return (
            f"demo-{self.clients}x{self.employees}-big{self.big_company}-s{self.seed}"
            f"-v{DATA_VERSION}"
        )


@dataclass
class Built:
    """How the database came to be (kept next to a cached SQLite file, and in the results)."""

    url: str
    size: Size
    built_on: str  # the demo's data runs up to the day before this
    load_seconds: float  # the demo (gql-portal demo's load_demo), the big company included
    big_company_seconds: float  # 0 since the demo builds it (DATA_VERSION 2)
    cached: bool = False
    storage_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def big_admin_email() -> str:
    return BIG_COMPANY_ADMIN


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


async def load(
    url: str,
    storage_dir: Path,
    size: Size,
    progress: Callable[[str], None],
    passwords: Passwords | None = None,
) -> tuple[float, float]:
    """Migrate, load the demo, add the big company: seconds for the demo and the company."""
    from gql_portal.demo import load_demo

    database = Database.from_url(url)
    clock = Clock()
    storage = Storage(storage_dir)
    try:
        await upgrade(database)
        started = time.monotonic()
        await load_demo(
            database,
            clock,
            storage,
            clients=size.clients,
            employees=size.employees,
            seed=size.seed,
            big_company=size.big_company,
            passwords=passwords,
            progress=lambda line: progress(f"  demo: {line}"),
        )
        return time.monotonic() - started, 0.0
    finally:
        await database.dispose()


def sqlite_cache(size: Size, fresh: bool, progress: Callable[[str], None]) -> Built:
    """The cached SQLite file of this size (built when missing or `fresh`)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{size.key}.db"
    storage_dir = DATA / f"{size.key}.storage"
    meta = DATA / f"{size.key}.json"
    if fresh or not (path.exists() and meta.exists()):
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), meta):
            stale.unlink(missing_ok=True)
        shutil.rmtree(storage_dir, ignore_errors=True)
        building = DATA / f"{size.key}.building.db"
        for stale in (building, Path(f"{building}-wal"), Path(f"{building}-shm")):
            stale.unlink(missing_ok=True)
        progress(f"Building the demo database {path.name} (cold cache) ...")
        loaded, big = asyncio.run(load(sqlite_url(building), storage_dir, size, progress))
        asyncio.run(_checkpoint(sqlite_url(building)))
        building.rename(path)
        built = Built(
            sqlite_url(path), size, date.today().isoformat(), loaded, big, False, str(storage_dir)
        )
        meta.write_text(json.dumps(built.to_json(), indent=2) + "\n")
        progress(f"  built in {loaded + big:.0f} s (demo {loaded:.0f} s, big company {big:.0f} s)")
        return built
    data = json.loads(meta.read_text())
    return Built(
        sqlite_url(path),
        size,
        data["built_on"],
        data["load_seconds"],
        data["big_company_seconds"],
        True,
        str(storage_dir),
    )


async def _checkpoint(url: str) -> None:
    """Fold the WAL into the file, so that one file is the whole database."""
    database = Database.from_url(url)
    try:
        async with database.engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        await database.dispose()


def working_copy(built: Built, name: str) -> str:
    """A copy of the cached file for one run (the write mix writes into it)."""
    source = Path(built.url.removeprefix("sqlite+aiosqlite:///"))
    target = DATA / f"{name}.db"
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return sqlite_url(target)


def remove_working_copy(url: str) -> None:
    path = Path(url.removeprefix("sqlite+aiosqlite:///"))
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)


async def _found_size(url: str) -> Size | None:
    """The sizes a demo database holds (None when it is empty)."""
    from gql_portal.demo import CLIENT_ADMIN, organisation_number

    database = Database.from_url(url, pool_size=0)
    try:
        await upgrade(database)
        async with database.session() as session:
            companies = await session.scalar(
                select(func.count())
                .select_from(Company)
                .where(Company.industry != Industry.ACCOUNTING_PARTNER)
            )
            if not companies:
                return None
            big_id = await session.scalar(
                select(Company.id).where(
                    Company.organisation_number == organisation_number(BIG_INDEX)
                )
            )
            big = 0
            if big_id is not None:
                big = (
                    await session.scalar(
                        select(func.count()).where(
                            Employee.company_id == big_id, Employee.user_id.is_not(None)
                        )
                    )
                    or 0
                )
            first_client = await session.scalar(
                text(
                    "SELECT m.company_id FROM memberships m JOIN users u ON u.id = m.user_id "
                    "WHERE u.email = :email"
                ),
                {"email": CLIENT_ADMIN},
            )
            employees = await session.scalar(
                select(func.count()).where(
                    Employee.company_id == first_client, Employee.user_id.is_not(None)
                )
            )
            return Size(int(companies) - (1 if big_id else 0), int(employees or 0), int(big))
    finally:
        await database.dispose()


async def _empty_postgresql(url: str) -> None:
    database = Database.from_url(url, pool_size=0)
    try:
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            await connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        await database.dispose()


def postgresql(url: str, size: Size, fresh: bool, progress: Callable[[str], None]) -> Built:
    """The demo in the given PostgreSQL database: loaded when empty, reused when the same."""
    storage_dir = DATA / "postgresql.storage"
    if fresh:
        progress("Emptying the PostgreSQL database (--fresh) ...")
        asyncio.run(_empty_postgresql(url))
    found = asyncio.run(_found_size(url))
    if found is not None:
        if (found.clients, found.employees, found.big_company) != (
            size.clients,
            size.employees,
            size.big_company,
        ):
            raise SystemExit(
                f"bench: the database holds {found.clients} clients × {found.employees} employees "
                f"and a company of {found.big_company}, not {size.clients} × {size.employees} "
                f"and {size.big_company}: use another database, or --fresh to empty this one"
            )
        progress("Reusing the demo data in the PostgreSQL database.")
        return Built(url, size, "", 0.0, 0.0, True, str(storage_dir))
    progress("Loading the demo data into PostgreSQL ...")
    loaded, big = asyncio.run(load(url, storage_dir, size, progress))
    progress(f"  loaded in {loaded + big:.0f} s (demo {loaded:.0f} s, big company {big:.0f} s)")
    return Built(url, size, date.today().isoformat(), loaded, big, False, str(storage_dir))
