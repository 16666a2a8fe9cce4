"""Loading the demo: firms, then clients in batches of `CLIENTS_PER_TRANSACTION`, the oldest
month of the first clients locked, and the big company when asked for."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import func, select, text

from gql_portal.clock import Clock
from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.demo.builder import Batch, Builder
from gql_portal.demo.calendar import Calendar
from gql_portal.demo.clients import add_client
from gql_portal.demo.logins import (
    BIG_COMPANY_INDEX,
    CLIENT_ADMIN,
    DEMO_PASSWORD,
    EMPLOYEE,
    FIRM_USER,
    DemoLogins,
)
from gql_portal.demo.people import add_firms
from gql_portal.demo.writing import finish, next_ids, write
from gql_portal.domain.payroll import PeriodState
from gql_portal.security import Passwords
from gql_portal.storage import FileStore, FolderStore, Storage

CLIENTS_PER_TRANSACTION = 25
PROGRESS_EVERY = 100  # clients
# Clients whose oldest demo month is LOCKED with its frozen basis (the rest stay OPEN, so that
# the large benchmark sizes still load in minutes).
LOCKED_CLIENTS = 25


async def database_is_empty(database: Database) -> bool:
    async with database.session() as session:
        return not await session.scalar(select(func.count()).select_from(Company))


async def load_demo(
    database: Database,
    clock: Clock,
    storage: Storage | FileStore,
    *,
    clients: int = 3,
    employees: int = 5,
    seed: int = 2026,
    big_company: int = 0,
    passwords: Passwords | None = None,
    progress: Callable[[str], None] | None = None,
) -> DemoLogins:
    """Load the demo: firms, `clients` client companies with `employees` employees each and
    three months of their data up to the clock's today; with `big_company`, one more client
    of that many employees (`BIG_COMPANY_ADMIN`). Receipt files go to `storage` (a storage
    folder, or any storage backend)."""
    store = FolderStore(storage) if isinstance(storage, Storage) else storage
    if clients < 1 or employees < 1:
        raise ValueError("the demo needs at least one client and one employee per client")
    if big_company < 0:
        raise ValueError("the big company's employees cannot be negative")
    started = time.monotonic()

    def report(line: str) -> None:
        if progress:
            progress(f"{line} ({time.monotonic() - started:.1f} s)")

    password_hash = await (passwords or Passwords()).hash(DEMO_PASSWORD)
    builder = Builder(Calendar.of(clock), await next_ids(database), password_hash, seed)
    batch = Batch()
    add_firms(builder, batch, min(8, 3 + clients // 250))
    for index in range(1, clients + 1):
        add_client(builder, batch, index, employees)
        if index % CLIENTS_PER_TRANSACTION == 0 or index == clients:
            await write(database, store, batch)
            batch = Batch()
            if index % PROGRESS_EVERY == 0 or index == clients:
                report(f"{index}/{clients} clients")
    await _lock_oldest_months(database, clock, LOCKED_CLIENTS)
    if big_company:
        # Added after the locks: all its periods stay OPEN (a live basis of every month).
        await _add_big_company(database, store, builder, big_company)
        report(f"a company of {big_company} employees")
    await _number_approved_expenses(database)
    rows = await finish(database)
    return DemoLogins(FIRM_USER, CLIENT_ADMIN, EMPLOYEE, DEMO_PASSWORD, rows)


async def _add_big_company(
    database: Database, storage: FileStore, builder: Builder, employees: int
) -> None:
    """One more client with `employees` employees and the demo's three months of data,
    collaborating with a firm other than the first (the firm user's board stays the same)."""
    firms = builder.demo_firms
    builder.demo_firms = firms[1:] or firms
    try:
        batch = Batch()
        add_client(builder, batch, BIG_COMPANY_INDEX, employees)
        await write(database, storage, batch)
    finally:
        builder.demo_firms = firms


async def _lock_oldest_months(database: Database, clock: Clock, limit: int) -> None:
    """Lock the oldest period of the first `limit` client companies, as an admin would."""
    # Imported when needed: importing the demo (the command line does) need not load the
    # GraphQL resolvers.
    from gql_portal.resolvers.payroll import freeze_basis

    async with database.transaction() as session:
        oldest = (
            select(PayrollPeriod.company_id, func.min(PayrollPeriod.start_date).label("start"))
            .group_by(PayrollPeriod.company_id)
            .subquery()
        )
        periods = (
            await session.scalars(
                select(PayrollPeriod)
                .join(
                    oldest,
                    (oldest.c.company_id == PayrollPeriod.company_id)
                    & (oldest.c.start == PayrollPeriod.start_date),
                )
                .order_by(PayrollPeriod.company_id)
                .limit(limit)
            )
        ).all()
        for period in periods:
            period.state = PeriodState.LOCKED
            period.locked_at = clock.now()
            await freeze_basis(session, period)


async def _number_approved_expenses(database: Database) -> None:
    """Give the approved expenses the voucher numbers their approvals would have taken: each
    company's series in the order they were decided, after any number already given."""
    async with database.transaction() as session:
        await session.execute(
            text(
                "UPDATE expenses SET voucher_number = numbered.number FROM ("
                " SELECT e.id, COALESCE(s.last_number, 0) + ROW_NUMBER() OVER ("
                "  PARTITION BY e.company_id ORDER BY e.decided_at, e.id) AS number"
                " FROM expenses e LEFT JOIN expense_voucher_series s"
                "  ON s.company_id = e.company_id"
                " WHERE e.status = 'APPROVED' AND e.voucher_number IS NULL) AS numbered"
                " WHERE expenses.id = numbered.id"
            )
        )
        await session.execute(
            text(
                "INSERT INTO expense_voucher_series (company_id, last_number)"
                " SELECT company_id, MAX(voucher_number) FROM expenses"
                " WHERE voucher_number IS NOT NULL GROUP BY company_id"
                # In company order, so that the rows' ids are the same on every database
                # (PostgreSQL's grouping by hash gives the companies in another order).
                " ORDER BY company_id"
                " ON CONFLICT (company_id) DO UPDATE SET last_number = excluded.last_number"
            )
        )


def describe(rows: Mapping[str, int]) -> Iterable[str]:
    """The row counts, for the command line."""
    width = max(len(name) for name in rows)
    return (f"  {name:<{width}} {count:>10,}".replace(",", " ") for name, count in rows.items())
