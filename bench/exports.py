"""Export benchmark: PAXml (and CSV) of one month's payroll basis for N employees, and the
expenses ZIP of N receipts, through the product's own API (in process, on a fresh database).

    .venv/bin/python -m bench.exports [--employees 1000] [--receipts 1000] [--database-url URL]

For each export it reports the wall time from the mutation until the file is DONE, the file's
size, and the peak memory of the process while exporting: the Python heap's peak (tracemalloc)
and the resident set's peak growth (VmHWM, reset before each run through /proc/self/clear_refs).
Run it at two sizes to see that memory stays flat while time grows with the data.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import insert

from gql_portal.config import Settings
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.migrate import upgrade
from gql_portal.db.payroll import PayrollEmployee, PayrollLine, PayrollPeriod
from gql_portal.domain.accounts import Industry, Role, SessionContext
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus
from gql_portal.domain.payroll import LineSource, PeriodState
from gql_portal.domain.time import Unit
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from gql_portal.security import SESSION_TOKEN_PREFIX, new_token, token_hash

MONTH = (date(2026, 10, 1), date(2026, 10, 31))
WORKDAYS = [
    MONTH[0] + timedelta(days=offset)
    for offset in range(31)
    if (MONTH[0] + timedelta(days=offset)).weekday() < 5
]
EXPORT = """mutation($input: PayrollExportInput!) { exportPayrollBasis(input: $input) {
  export { id state fileName sizeBytes lineCount } } }"""
EXPENSES = """mutation($input: ExpenseExportInput!) { exportExpenses(input: $input) {
  export { id state fileName sizeBytes lineCount } } }"""
STATE = """query($id: ID!) { node(id: $id) { ... on Export { state progress fileName sizeBytes
  lineCount error } } }"""


@dataclass
class Seeded:
    token: str
    period_gid: str
    lines: int
    receipts: int


def personnummer(index: int) -> str:
    """A valid 12-digit personnummer (Luhn over the last ten digits)."""
    born = date(1960, 1, 1) + timedelta(days=index % 14000)
    base = f"{born:%y%m%d}{index % 1000:03d}"
    total = 0
    for position, digit in enumerate(base):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{born:%Y%m%d}{index % 1000:03d}{(10 - total % 10) % 10}"


async def seed(runtime: Runtime, employees: int, receipts: int, storage: Path) -> Seeded:
    """A company with `employees` employees, one LOCKED month of payroll lines (work every
    workday, some overtime, a week of vacation or a sick day, an expense and a mileage claim
    each), and `receipts` approved expenses with a receipt file each."""
    now = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    rng = random.Random(7)
    async with runtime.database.transaction() as session:
        company = Company(
            name="Benchbolaget AB",
            organisation_number="5561234567",
            industry=Industry.CONSTRUCTION,
            created_at=now,
            trial_ends_at=now + timedelta(days=14),
            activated_at=now,
        )
        session.add(company)
        await session.flush()
        user = User(
            email="bench@bench.example",
            name="Bench Admin",
            password_hash="-",
            email_verified_at=now,
            password_changed_at=now,
            created_at=now,
        )
        session.add(user)
        await session.flush()
        session.add(
            Membership(user_id=user.id, company_id=company.id, role=Role.ADMIN, created_at=now)
        )
        token = new_token(SESSION_TOKEN_PREFIX)
        session.add(
            AuthSession(
                token_hash=token_hash(runtime.settings.secret_key, token),
                user_id=user.id,
                context=SessionContext.COMPANY,
                company_id=company.id,
                created_at=now,
                expires_at=now + timedelta(days=365 * 5),
            )
        )
        period = PayrollPeriod(
            company_id=company.id,
            start_date=MONTH[0],
            end_date=MONTH[1],
            state=PeriodState.LOCKED,
            locked_at=now,
            created_at=now,
        )
        session.add(period)
        await session.flush()
        employee_rows = [
            {
                "company_id": company.id,
                "employee_number": str(1000 + index),
                "first_name": rng.choice(["Anna", "Björn", "Åsa", "Örjan", "Märta", "Ali"]),
                "last_name": f"Testsson {index}",
                "personal_identity_number": personnummer(index),
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for index in range(employees)
        ]
        ids = list(
            (await session.scalars(insert(Employee).returning(Employee.id), employee_rows)).all()
        )
        lines: list[dict[str, Any]] = []
        heads: list[dict[str, Any]] = []
        for employee_id in ids:
            heads.append(
                {
                    "company_id": company.id,
                    "period_id": period.id,
                    "employee_id": employee_id,
                    "unattested_weeks": [],
                }
            )
            position = 0

            def line(employee_id: int = employee_id, **values: Any) -> None:
                nonlocal position
                lines.append(
                    {
                        "company_id": company.id,
                        "period_id": period.id,
                        "employee_id": employee_id,
                        "position": position,
                        "source_id": position + 1,
                        "unit_price": None,
                        "amount": None,
                        "hours": None,
                        "extent_percent": None,
                        **values,
                    }
                )
                position += 1

            hourly = employee_id % 3 == 0
            absent = set(rng.sample(WORKDAYS, 5 if employee_id % 2 else 1))
            for day in WORKDAYS:
                kind = "SEM" if len(absent) == 5 else "SJK"
                if day in absent:
                    line(
                        date=day,
                        pay_type="510" if kind == "SJK" else "710",
                        description=kind,
                        time_code=kind,
                        quantity=Decimal("8.00"),
                        unit=Unit.HOURS,
                        source=LineSource.ABSENCE,
                        hours=Decimal("8.00"),
                        extent_percent=Decimal("100.00"),
                    )
                    continue
                price = Decimal("185.50") if hourly else None
                line(
                    date=day,
                    pay_type="011" if hourly else "010",
                    description="Arbetad tid",
                    time_code="ARB",
                    quantity=Decimal("8.00"),
                    unit=Unit.HOURS,
                    source=LineSource.TIME,
                    hours=Decimal("8.00"),
                    unit_price=price,
                    amount=(price * 8).quantize(Decimal("0.01")) if price else None,
                )
            line(
                date=WORKDAYS[3],
                pay_type="310",
                description="Övertid",
                time_code="ÖT1",
                quantity=Decimal("1.50"),
                unit=Unit.HOURS,
                source=LineSource.TIME,
                hours=Decimal("1.50"),
            )
            line(
                date=WORKDAYS[5],
                pay_type="810",
                description="Tågbiljett",
                time_code=None,
                quantity=Decimal("1.00"),
                unit=Unit.PIECES,
                source=LineSource.EXPENSE,
                unit_price=Decimal("349.00"),
                amount=Decimal("349.00"),
            )
            line(
                date=WORKDAYS[6],
                pay_type="820",
                description="Kundbesök",
                time_code=None,
                quantity=Decimal("42.00"),
                unit=Unit.KILOMETRES,
                source=LineSource.MILEAGE,
                unit_price=Decimal("2.50"),
                amount=Decimal("105.00"),
            )
        await session.execute(insert(PayrollEmployee), heads)
        for start in range(0, len(lines), 5000):
            await session.execute(insert(PayrollLine), lines[start : start + 5000])

        # Receipts: one small JPEG-like file each, stored as the product stores them.
        expense_rows = [
            {
                "company_id": company.id,
                "employee_id": ids[index % len(ids)],
                "kind": ExpenseKind.EXPENSE,
                "date": WORKDAYS[index % len(WORKDAYS)],
                "description": f"Kvitto {index}",
                "category": ExpenseCategory.TRAVEL,
                "currency": "SEK",
                "amount": Decimal(100 + index % 900) + Decimal("0.50"),
                "vat_amount": Decimal("0.00"),
                "vat_rate": Decimal(rng.choice(["25", "12", "6", "0"])),
                "status": ExpenseStatus.APPROVED,
                "created_at": now,
                "updated_at": now,
            }
            for index in range(receipts)
        ]
        expense_ids = (
            list((await session.scalars(insert(Expense).returning(Expense.id), expense_rows)).all())
            if expense_rows
            else []
        )
        receipt_rows = []
        for index, expense_id in enumerate(expense_ids):
            data = b"\xff\xd8\xff\xe0" + secrets.token_bytes(40_000) + b"\xff\xd9"
            stored = runtime.storage.put("receipts", company.id, data, ".jpg")
            receipt_rows.append(
                {
                    "company_id": company.id,
                    "expense_id": expense_id,
                    "employee_id": ids[index % len(ids)],
                    "file_name": f"kvitto-{index}.jpg",
                    "content_type": "image/jpeg",
                    "size_bytes": stored.size_bytes,
                    "sha256": stored.sha256,
                    "storage_key": stored.storage_key,
                    "uploaded_at": now,
                }
            )
        if receipt_rows:
            await session.execute(insert(Receipt), receipt_rows)
    from strawberry import relay

    return Seeded(token, str(relay.GlobalID("PayrollPeriod", str(period.id))), len(lines), receipts)


def reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def export_once(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """Start an export and poll it until it is DONE."""
    headers = {"authorization": f"Bearer {token}"}
    payload = {"query": document, "variables": variables}
    body = (await client.post("/graphql", json=payload, headers=headers)).json()
    assert "errors" not in body, body
    export: dict[str, Any] = next(iter(body["data"].values()))["export"]
    while export["state"] not in ("DONE", "FAILED"):
        await asyncio.sleep(0.02)
        polled = await client.post(
            "/graphql", json={"query": STATE, "variables": {"id": export["id"]}}, headers=headers
        )
        export = {**export, **polled.json()["data"]["node"]}
    assert export["state"] == "DONE", export
    return export


async def measure(
    client: httpx.AsyncClient, token: str, document: str, variables: dict[str, Any], name: str
) -> dict[str, Any]:
    """Three timed runs (median; resident-set peak growth of the first), then one under
    tracemalloc for the Python heap's peak (tracemalloc slows it, so it is not timed)."""
    before = rss_mb()
    reset_peak_rss()
    times = []
    for _ in range(3):
        started = time.perf_counter()
        export = await export_once(client, token, document, variables)
        times.append(time.perf_counter() - started)
    rss_growth = peak_rss_mb() - before
    tracemalloc.start()
    await export_once(client, token, document, variables)
    _, heap_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "export": name,
        "seconds": round(statistics.median(times), 2),
        "lines_or_expenses": export["lineCount"],
        "file_mb": round(export["sizeBytes"] / 1e6, 2),
        "heap_peak_mb": round(heap_peak / 1e6, 1),
        "rss_before_mb": round(before, 1),
        "rss_peak_growth_mb": round(rss_growth, 1),
    }


async def run(employees: int, receipts: int, database_url: str | None) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        url = database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        settings = Settings(
            database_url=url, storage_dir=Path(folder) / "storage", export_wait_seconds=0.0
        )
        runtime = Runtime.from_settings(settings)
        await upgrade(runtime.database)
        seeding = time.perf_counter()
        seeded = await seed(runtime, employees, receipts, settings.storage_dir)
        seed_seconds = time.perf_counter() - seeding
        print(
            f"seeded {employees} employees, {seeded.lines} lines, {receipts} receipts "
            f"in {seed_seconds:.1f} s",
            flush=True,
        )
        app = create_app(runtime)
        transport = httpx.ASGITransport(app=app)
        results = []
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench.local", timeout=600
        ) as client:
            for file_format in ("PAXML", "CSV"):
                results.append(
                    await measure(
                        client,
                        seeded.token,
                        EXPORT,
                        {
                            "input": {
                                "periodId": seeded.period_gid,
                                "format": file_format,
                                "exportDate": "2026-11-02",
                            }
                        },
                        f"{file_format} {employees} employees x 1 month",
                    )
                )
            if receipts:
                results.append(
                    await measure(
                        client,
                        seeded.token,
                        EXPENSES,
                        {"input": {"from": MONTH[0].isoformat(), "to": MONTH[1].isoformat()}},
                        f"ZIP {receipts} receipts",
                    )
                )
        await runtime.jobs.stop()
        await runtime.database.dispose()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--employees", type=int, nargs="+", default=[1000])
    parser.add_argument("--receipts", type=int, default=1000)
    parser.add_argument("--database-url", help="PostgreSQL (an empty database); default SQLite")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for count in args.employees:
        rows += asyncio.run(run(count, args.receipts, args.database_url))
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    header = (
        "| export | seconds (median of 3) | lines / expenses | file MB | Python heap peak MB "
        "| RSS peak growth MB |\n|---|---|---|---|---|---|"
    )
    columns = ("export", "seconds", "lines_or_expenses", "file_mb", "heap_peak_mb")
    table = "\n".join(
        "| " + " | ".join(str(r[c]) for c in (*columns, "rss_peak_growth_mb")) + " |" for r in rows
    )
    sizes = " ".join(map(str, args.employees))
    database = "PostgreSQL" if args.database_url else "SQLite"
    command = f".venv/bin/python -m bench.exports --employees {sizes} --receipts {args.receipts}"
    report = (
        f"# Export benchmark\n\ncommit {commit}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, database {database}\n\n`{command}`\n\n{header}\n{table}\n"
    )
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kind = "postgresql" if args.database_url else "sqlite"
    (args.out / f"{stamp}-exports-{kind}.md").write_text(report)
    (args.out / f"{stamp}-exports-{kind}.json").write_text(json.dumps(rows, indent=2))
    digest = hashlib.sha256(report.encode()).hexdigest()[:8]
    print(f"written {args.out}/{stamp}-exports-{kind}.md ({digest})")


if __name__ == "__main__":
    main()
