"""The export files, read back through their download links, and the export's life as a job.

- Expenses as a ZIP: every receipt under `kvitton/`, named after its expense and byte-equal to
  the upload; `utlagg.csv` with one row per expense and a VAT split that reconciles with the
  total; byte-identical for the same data; the input's rules.
- A firm's batch over 50 clients: one ZIP with a file per exported client, a manifest that
  lists every client (exported, or skipped and why), the periods marked EXPORTED, an audit event
  for every client, and a download that stops when a client in it is no longer a client.
- A crash: an export cut short is marked FAILED and its files removed at the next start.
- In the background: the mutation answers before the file is written; polling shows DONE.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import Company
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.payroll import PayrollLine, PayrollPeriod
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain import paxml
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus, VehicleKind
from gql_portal.domain.identity import format_organisation_number, with_check_digit
from gql_portal.domain.payroll import PeriodState
from gql_portal.jobs.exports import recover_interrupted_exports
from gql_portal.permissions.matrix import Area
from gql_portal.resolvers.payroll import freeze_basis
from gql_portal.runtime import Runtime
from tests.conftest import Api, only_error
from tests.factories import Actor, Factory, gid
from tests.test_collaborations import AUDIT, END
from tests.test_expenses import tiny_jpeg, tiny_pdf, tiny_png
from tests.test_exports import EXPORT, EXPORT_BASIS, XSD, download, exported, locked_february
from tests.test_exports_access import partner_of
from tests.test_payroll import open_period, row_id

EXPORT_EXPENSES = f"""mutation($input: ExpenseExportInput!) {{
  exportExpenses(input: $input) {{ export {{ {EXPORT} }} }} }}"""
EXPORT_BATCH = f"""mutation($input: PayrollBatchExportInput!) {{
  exportPayrollBatch(input: $input) {{ export {{ {EXPORT}
    manifest {{ organisationNumber companyName status reason fileName }} }} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on Export {{ {EXPORT}
  manifest {{ organisationNumber companyName status reason fileName }} }} }} }}"""


def read_csv(data: bytes) -> list[list[str]]:
    """A CSV as Swedish Excel reads it: BOM, `;`, decimal comma."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


def kr(cell: str) -> Decimal:
    assert "." not in cell
    return Decimal(cell.replace(",", "."))


async def until_finished(api: Api, token: str, export: dict[str, Any]) -> dict[str, Any]:
    """Poll `node(id:)` until the export's job is through (bounded: a few seconds)."""
    for _ in range(300):
        if export["state"] in ("DONE", "FAILED"):
            return export
        await asyncio.sleep(0.02)
        body = await api(NODE, {"id": export["id"]}, token=token)
        assert "errors" not in body, body
        export = body["data"]["node"]
    raise AssertionError(f"export still {export['state']} at {export['progress']} %")


# --- expenses as a ZIP ----------------------------------------------------------------------


@dataclass
class ExpenseMonth:
    """February 2026 of two employees' expenses, with the receipt files as uploaded."""

    admin: Actor
    ids: dict[str, int]
    files: dict[str, bytes]


async def expense_month(factory: Factory, database: Database, runtime: Runtime) -> ExpenseMonth:
    company = await factory.company("Utläggsbolaget AB")
    admin = await factory.admin(company)
    asa = await factory.employee(company, employee_number="17", first_name="Åsa", last_name="Öberg")
    per = await factory.employee(company, employee_number="23", first_name="Per", last_name="Lind")
    now = factory.clock.now()

    def expense(
        employee: Employee,
        day: int,
        amount: str,
        rate: str,
        vat: str,
        category: ExpenseCategory,
        description: str,
        status: ExpenseStatus = ExpenseStatus.APPROVED,
        month: int = 2,
    ) -> Expense:
        return Expense(
            company_id=company.id,
            employee_id=employee.id,
            kind=ExpenseKind.EXPENSE,
            date=date(2026, month, day),
            description=description,
            category=category,
            currency="SEK",
            amount=Decimal(amount),
            vat_amount=Decimal(vat),
            vat_rate=Decimal(rate),
            status=status,
            created_at=now,
            updated_at=now,
        )

    rows = {
        "dinner": expense(asa, 3, "1250.00", "25", "250.00", ExpenseCategory.FOOD, "Kundmiddag"),
        "hotel": expense(per, 5, "112.00", "12", "12.00", ExpenseCategory.ACCOMMODATION, "Hotell"),
        "train": expense(asa, 10, "106.00", "6", "6.00", ExpenseCategory.TRAVEL, "Tåg Lund"),
        "fee": expense(per, 12, "300.00", "0", "0.00", ExpenseCategory.OTHER, "Avgift"),
        "mileage": Expense(
            company_id=company.id,
            employee_id=asa.id,
            kind=ExpenseKind.MILEAGE,
            date=date(2026, 2, 20),
            description="Kundbesök Malmö",
            category=ExpenseCategory.TRAVEL,
            currency="SEK",
            amount=Decimal("308.50"),  # 123.4 km at 25 kr/mil
            vat_amount=Decimal("0.00"),
            vat_rate=Decimal("0"),
            distance_km=Decimal("123.4"),
            vehicle=VehicleKind.OWN_CAR,
            rate_per_mil=Decimal("25.00"),
            status=ExpenseStatus.APPROVED,
            created_at=now,
            updated_at=now,
        ),
        # Left out by default; in with `statuses`.
        "submitted": expense(
            per,
            14,
            "62.50",
            "25",
            "12.50",
            ExpenseCategory.PARKING,
            "Parkering",
            ExpenseStatus.SUBMITTED,
        ),
        # Never in: rejected, and approved but in March.
        "rejected": expense(
            asa, 15, "999.00", "25", "199.80", ExpenseCategory.FOOD, "Nej", ExpenseStatus.REJECTED
        ),
        "march": expense(asa, 1, "75.00", "25", "15.00", ExpenseCategory.FOOD, "Mars", month=3),
    }
    async with database.transaction() as session:
        session.add_all(rows.values())
        await session.flush()
        ids = {key: row.id for key, row in rows.items()}
        files = {
            "dinner": tiny_jpeg(),
            "dinner-2": tiny_pdf(),
            "hotel": tiny_png(),
            "train": tiny_pdf() + b"%tagbiljett\n",
            "submitted": tiny_jpeg() + b"\x00parkering",
            "rejected": tiny_png() + b"\x00nej",
        }
        types = {b"\xff\xd8": "image/jpeg", b"\x89P": "image/png", b"%P": "application/pdf"}
        for key, data in files.items():
            expense_key = key.removesuffix("-2")
            stored = runtime.storage.put("receipts", company.id, data)
            session.add(
                Receipt(
                    company_id=company.id,
                    expense_id=ids[expense_key],
                    employee_id=rows[expense_key].employee_id,
                    file_name=f"{key}.upload",
                    content_type=types[data[:2]],
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                    uploaded_at=now,
                )
            )
    return ExpenseMonth(admin, ids, files)


async def test_the_expenses_zip_holds_every_receipt_and_a_summary_that_reconciles(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    month = await expense_month(factory, database, runtime)
    admin = month.admin
    period = await open_period(api, admin.token)  # expenses of a period need no lock
    made = exported(
        await api(EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}, token=admin.token),
        "exportExpenses",
    )
    assert (made["kind"], made["format"], made["state"], made["progress"]) == (
        "EXPENSES",
        "ZIP",
        "DONE",
        100,
    )
    assert (made["dateFrom"], made["dateTo"], made["lineCount"]) == ("2026-02-01", "2026-02-28", 5)
    # The four rates and the mileage: 1250 + 112 + 106 + 300 + 308.50.
    assert made["totalAmount"] == "2076.50"
    response = await download(api, made["downloadUrl"], token=admin.token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/zip"
    data = response.content
    assert hashlib.sha256(data).hexdigest() == made["sha256"] and len(data) == made["sizeBytes"]

    ids = month.ids
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    # Receipts by date, employee number and expense: date, number, name, amount, expense id.
    expected = {
        f"kvitton/2026-02-03_17_Åsa-Öberg_1250,00_e{ids['dinner']}.jpg": "dinner",
        f"kvitton/2026-02-03_17_Åsa-Öberg_1250,00_e{ids['dinner']}-2.pdf": "dinner-2",
        f"kvitton/2026-02-05_23_Per-Lind_112,00_e{ids['hotel']}.png": "hotel",
        f"kvitton/2026-02-10_17_Åsa-Öberg_106,00_e{ids['train']}.pdf": "train",
    }
    assert archive.namelist() == [*expected, "utlagg.csv"]
    for name, key in expected.items():
        assert archive.read(name) == month.files[key], name

    rows = read_csv(archive.read("utlagg.csv"))
    blank = rows.index([])
    header, expenses, split = rows[0], rows[1:blank], rows[blank + 1 :]
    assert header[:2] == ["expense_id", "date"] and header[-1] == "receipt_files"
    column = {name: index for index, name in enumerate(header)}
    assert [(row[column["expense_id"]], row[column["date"]]) for row in expenses] == [
        (str(ids["dinner"]), "2026-02-03"),
        (str(ids["hotel"]), "2026-02-05"),
        (str(ids["train"]), "2026-02-10"),
        (str(ids["fee"]), "2026-02-12"),
        (str(ids["mileage"]), "2026-02-20"),
    ]
    dinner = dict(zip(header, expenses[0], strict=True))
    assert (dinner["employee_number"], dinner["name"], dinner["gross"], dinner["vat"]) == (
        "17",
        "Åsa Öberg",
        "1250,00",
        "250,00",
    )
    assert dinner["net"] == "1000,00" and dinner["vat_rate"] == "25,00"
    assert dinner["receipt_files"].split(" | ") == list(expected)[:2]
    mileage = dict(zip(header, expenses[4], strict=True))
    assert (mileage["kind"], mileage["distance_km"], mileage["receipt_files"]) == (
        "MILEAGE",
        "123,40",
        "",
    )
    # The VAT split, highest rate first; rates add up to the total row, which is the export's.
    assert split == [
        ["vat_rate", "expenses", "gross", "vat", "net"],
        ["25,00", "1", "1250,00", "250,00", "1000,00"],
        ["12,00", "1", "112,00", "12,00", "100,00"],
        ["6,00", "1", "106,00", "6,00", "100,00"],
        ["0,00", "2", "608,50", "0,00", "608,50"],
        ["total", "5", "2076,50", "268,00", "1808,50"],
    ]
    *rates, total = split[1:]
    for index in (2, 3, 4):
        assert sum(kr(row[index]) for row in rates) == kr(total[index])
    assert sum(kr(row[column["gross"]]) for row in expenses) == kr(total[2])
    assert kr(total[2]) == Decimal(made["totalAmount"])

    # The same data again: the same bytes (also as a date range instead of the period).
    again = exported(
        await api(EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}, token=admin.token),
        "exportExpenses",
    )
    by_dates = exported(
        await api(
            EXPORT_EXPENSES,
            {"input": {"from": "2026-02-01", "to": "2026-02-28"}},
            token=admin.token,
        ),
        "exportExpenses",
    )
    assert again["id"] != made["id"]
    assert again["sha256"] == by_dates["sha256"] == made["sha256"]
    assert by_dates["payrollPeriod"] is None and again["payrollPeriod"]["id"] == period["id"]

    # Asked for, the submitted expense comes in too (with its receipt); the rejected never.
    with_submitted = exported(
        await api(
            EXPORT_EXPENSES,
            {"input": {"periodId": period["id"], "statuses": ["APPROVED", "SUBMITTED"]}},
            token=admin.token,
        ),
        "exportExpenses",
    )
    assert (with_submitted["lineCount"], with_submitted["totalAmount"]) == (6, "2139.00")
    archive = zipfile.ZipFile(
        io.BytesIO((await download(api, with_submitted["downloadUrl"], token=admin.token)).content)
    )
    parking = f"kvitton/2026-02-14_23_Per-Lind_62,50_e{ids['submitted']}.jpg"
    assert archive.namelist() == [*expected, parking, "utlagg.csv"]
    assert archive.read(parking) == month.files["submitted"]
    assert read_csv(archive.read("utlagg.csv"))[-1] == [
        "total",
        "6",
        "2139,00",
        "280,50",
        "1858,50",
    ]


async def test_the_expenses_export_asks_for_a_period_or_at_most_a_year_of_dates(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    admin = (await expense_month(factory, database, runtime)).admin

    async def problem(values: dict[str, Any], token: str = admin.token) -> tuple[str, str, str]:
        error = only_error(await api(EXPORT_EXPENSES, {"input": values}, token=token))
        reason = error["problems"][0]["reason"] if "problems" in error else ""
        return error["code"], error["field"], reason

    assert await problem({}) == ("BAD_USER_INPUT", "periodId", "REQUIRED")
    assert await problem({"from": "2026-02-01"}) == ("BAD_USER_INPUT", "periodId", "REQUIRED")
    period = await open_period(api, admin.token)
    both = {"periodId": period["id"], "from": "2026-02-01", "to": "2026-02-28"}
    assert await problem(both) == ("BAD_USER_INPUT", "periodId", "REQUIRED")  # one or the other
    assert await problem({"from": "2026-02-10", "to": "2026-02-09"}) == (
        "BAD_USER_INPUT",
        "to",
        "BEFORE_FROM",
    )
    # A year is the longest range: 1 March to the last of February, not to 1 March.
    assert await problem({"from": "2025-03-01", "to": "2026-03-01"}) == (
        "BAD_USER_INPUT",
        "to",
        "TOO_LONG",
    )
    assert await problem({"from": "2024-03-01", "to": "2025-03-01"}) == (
        "BAD_USER_INPUT",
        "to",
        "TOO_LONG",
    )
    for longest in (
        {"from": "2025-03-01", "to": "2026-02-28"},
        {"from": "2024-01-01", "to": "2024-12-31"},
    ):
        made = exported(
            await api(EXPORT_EXPENSES, {"input": longest}, token=admin.token), "exportExpenses"
        )
        assert made["state"] == "DONE"

    # In the portal the client must be named; the firm's own company has no expenses to export.
    partner = await partner_of(api, factory, admin.token, "LIMITED")
    dates = {"from": "2026-02-01", "to": "2026-02-28"}
    assert await problem(dates, partner.token) == ("NOT_FOUND", "companyId", "")
    assert await problem(
        {**dates, "companyId": gid("Company", partner.firm_id)}, partner.token
    ) == (
        "NOT_FOUND",
        "companyId",
        "",
    )
    # Named, the client's expenses export as for its admin: the same bytes.
    mine = exported(
        await api(EXPORT_EXPENSES, {"input": dates}, token=admin.token), "exportExpenses"
    )
    theirs = exported(
        await api(
            EXPORT_EXPENSES,
            {"input": {**dates, "companyId": gid("Company", admin.company_id)}},
            token=partner.token,
        ),
        "exportExpenses",
    )
    assert (theirs["firmName"], theirs["sha256"]) == ("Byrån AB", mine["sha256"])


# --- a firm's batch over its clients --------------------------------------------------------


@dataclass
class Client:
    company: Company
    admin_token: str
    collaboration_id: int
    kind: str  # LOCKED, OPEN or NONE: the state of its February
    period_id: int | None = None
    missing_identity: bool = False

    @property
    def number(self) -> str:
        return format_organisation_number(self.company.organisation_number)

    @property
    def folder(self) -> str:
        return f"{self.number}_{self.company.name.replace(' ', '-')}"


FEB_DAYS = [date(2026, 2, day) for day in (2, 3, 4, 5, 6, 9, 10, 11)]
MONDAYS = [date(2026, 2, 2), date(2026, 2, 9)]


async def firm_with_clients(
    factory: Factory, database: Database, count: int
) -> tuple[str, list[Client]]:
    """A firm in the portal with `count` clients: of every five, three have February LOCKED
    (two employees with time, overtime and attested weeks, the basis frozen as locking does),
    one has it OPEN and one has no period; one locked client lacks a personal identity number.
    Written straight into the database: the API paths have tests of their own."""
    clock = factory.clock
    now = clock.now()
    firm = await factory.company("Revisionsbyrån AB", firm=True)
    firm_user = await factory.user(firm, Role.ADMIN, name="Rut Revisor")
    token = await factory.log_in(firm_user, firm, SessionContext.PORTAL)
    clients: list[Client] = []
    for index in range(count):
        company = await factory.company(f"Klient {index + 1:02d} AB")
        admin = await factory.admin(company)
        kind = ("LOCKED", "LOCKED", "LOCKED", "OPEN", "NONE")[index % 5]
        clients.append(Client(company, admin.token, 0, kind, missing_identity=index == 7))
    async with database.transaction() as session:
        codes = {
            (row.company_id, row.code): row.id
            for row in await session.scalars(
                select(TimeCode).where(TimeCode.company_id.in_([c.company.id for c in clients]))
            )
        }
        collaborations = [
            Collaboration(
                company_id=client.company.id,
                firm_id=firm.id,
                level=AccessLevel.LIMITED,
                state=CollaborationState.ACTIVE,
                initiated_by=Initiator.CLIENT,
                created_at=now,
                activated_at=now,
                updated_at=now,
            )
            for client in clients
        ]
        session.add_all(collaborations)
        periods: dict[int, PayrollPeriod] = {}  # by client
        for serial, client in enumerate(clients):
            if client.kind == "NONE":
                continue
            period = PayrollPeriod(
                company_id=client.company.id,
                start_date=date(2026, 2, 1),
                end_date=date(2026, 2, 28),
                state=PeriodState.OPEN,
                created_at=now,
            )
            session.add(period)
            periods[client.company.id] = period
            if client.kind == "OPEN":
                continue
            monthly = Employee(
                company_id=client.company.id,
                employee_number="1",
                first_name="Maja",
                last_name=f"Månadsson {serial}",
                personal_identity_number="19" + with_check_digit(f"850312{serial:03d}"),
                salary_form=SalaryForm.MONTHLY,
                salary_amount=Decimal("36500.00"),
                employment_start=date(2024, 1, 1),
                created_at=now,
                updated_at=now,
            )
            hourly = Employee(
                company_id=client.company.id,
                employee_number="2",
                first_name="Tim",
                last_name=f"Timlön {serial}",
                personal_identity_number=(
                    None
                    if client.missing_identity
                    else "19" + with_check_digit(f"900101{serial:03d}")
                ),
                salary_form=SalaryForm.HOURLY,
                salary_amount=Decimal(f"{180 + serial}.50"),
                employment_start=date(2025, 6, 1),
                created_at=now,
                updated_at=now,
            )
            session.add_all([monthly, hourly])
            await session.flush()
            company_id = client.company.id
            for employee, hours in ((monthly, "8"), (hourly, "7.5")):
                session.add_all(
                    TimeEntry(
                        company_id=company_id,
                        employee_id=employee.id,
                        date=day,
                        hours=Decimal(hours),
                        time_code_id=codes[(company_id, "ARB")],
                        created_at=now,
                        updated_at=now,
                    )
                    for day in FEB_DAYS
                )
                session.add(
                    TimeEntry(
                        company_id=company_id,
                        employee_id=employee.id,
                        date=FEB_DAYS[1],
                        hours=Decimal("1.5"),
                        time_code_id=codes[(company_id, "OT1")],
                        created_at=now,
                        updated_at=now,
                    )
                )
                session.add_all(
                    WeekAttestation(
                        company_id=company_id,
                        employee_id=employee.id,
                        week_start=monday,
                        attested_at=now,
                    )
                    for monday in MONDAYS
                )
        await session.flush()
        for client, collaboration in zip(clients, collaborations, strict=True):
            client.collaboration_id = collaboration.id
        # Locked as `lockPayrollPeriod` does: the basis computed now and frozen.
        for client in clients:
            if client.kind == "LOCKED":
                period = periods[client.company.id]
                await freeze_basis(session, period)
                period.state = PeriodState.LOCKED
                period.locked_at = now
            if client.company.id in periods:
                client.period_id = periods[client.company.id].id
    return token, clients


def expected_manifest(clients: list[Client]) -> list[dict[str, Any]]:
    """Every client, by name: exported with its file, or skipped and why."""
    entries = []
    for client in sorted(clients, key=lambda c: c.company.name):
        reason = {"OPEN": "PERIOD_NOT_LOCKED", "NONE": "NO_PERIOD"}.get(client.kind)
        if client.missing_identity:
            reason = "MISSING_PERSONAL_IDENTITY_NUMBER"
        entries.append(
            {
                "organisationNumber": client.number,
                "companyName": client.company.name,
                "status": "SKIPPED" if reason else "EXPORTED",
                "reason": reason,
                "fileName": None
                if reason
                else f"{client.folder}/lonunderlag_{client.number}_2026-02.xml",
            }
        )
    return entries


async def test_a_batch_over_50_clients_exports_the_locked_and_lists_the_rest(
    api: Api, factory: Factory, database: Database
) -> None:
    firm_token, clients = await firm_with_clients(factory, database, 50)
    exported_clients = [c for c in clients if c.kind == "LOCKED" and not c.missing_identity]
    assert (len(exported_clients), len(clients)) == (29, 50)

    made = exported(
        await api(
            EXPORT_BATCH,
            {"input": {"month": "2026-02", "exportDate": "2026-03-02"}},
            token=firm_token,
        ),
        "exportPayrollBatch",
    )
    made = await until_finished(api, firm_token, made)
    assert (made["kind"], made["format"], made["state"], made["error"]) == (
        "PAYROLL_BATCH",
        "ZIP",
        "DONE",
        None,
    )
    manifest = expected_manifest(clients)
    assert made["manifest"] == manifest
    assert made["fileName"].endswith("_2026-02_29-klienter.zip")

    response = await download(api, made["downloadUrl"], token=firm_token)
    assert response.status_code == 200, response.text
    assert hashlib.sha256(response.content).hexdigest() == made["sha256"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = [entry["fileName"] for entry in manifest if entry["fileName"]]
    assert archive.namelist() == [*files, "manifest.csv"]

    # Each client's file is its own basis: its company, its employees, its lines, to the öre.
    async with database.session() as session:
        totals = {
            period_id: (count, amount or Decimal("0.00"))
            for period_id, count, amount in await session.execute(
                select(PayrollLine.period_id, func.count(), func.sum(PayrollLine.amount))
                .where(PayrollLine.exported())  # the monthly salary's TID lines stay home
                .group_by(PayrollLine.period_id)
            )
        }
    for client in exported_clients:
        name = f"{client.folder}/lonunderlag_{client.number}_2026-02.xml"
        document = paxml.read_paxml(io.BytesIO(archive.read(name)))
        assert document.header.foretagorgnr == client.number
        assert document.header.foretagnamn == client.company.name
        lines, amount = totals[client.period_id or 0]
        assert len(document.lonetrans) + len(document.tidtrans) == lines
        assert sum(t.belopp or Decimal(0) for t in document.lonetrans) == amount
        # hours only: the hourly wage's TIMLÖN, both employees' overtime
        assert {t.lonkod for t in document.lonetrans} == {"TIMLÖN"}
        assert {t.tidkod for t in document.tidtrans} == {"ÖT1"}
    if XSD.exists():
        for name in files[:3]:
            assert paxml.validate_paxml(archive.read(name), XSD) == []

    # manifest.csv says the same as the export's `manifest`, with each client's lines and sum.
    rows = read_csv(archive.read("manifest.csv"))
    assert rows[0] == [
        "organisation_number",
        "company_name",
        "status",
        "reason",
        "file_name",
        "line_count",
        "total_amount",
    ]
    assert [row[:5] for row in rows[1:]] == [
        [
            e["organisationNumber"],
            e["companyName"],
            e["status"],
            e["reason"] or "",
            e["fileName"] or "",
        ]
        for e in manifest
    ]
    by_number = {client.number: client for client in clients}
    for row in rows[1:]:
        client = by_number[row[0]]
        if row[2] == "EXPORTED":
            assert (int(row[5]), kr(row[6])) == totals[client.period_id or 0]
        else:
            assert (row[5], row[6]) == ("0", "0,00")
    assert sum(kr(row[6]) for row in rows[1:]) == Decimal(made["totalAmount"])

    # The exported periods are EXPORTED; the skipped ones are as they were.
    async with database.session() as session:
        states = dict(
            (await session.execute(select(PayrollPeriod.company_id, PayrollPeriod.state))).all()
        )
    for client in clients:
        expected = {
            "LOCKED": PeriodState.LOCKED if client.missing_identity else PeriodState.EXPORTED,
            "OPEN": PeriodState.OPEN,
        }.get(client.kind)
        assert states.get(client.company.id) is expected, client.company.name

    # Every exported client's admin sees, in its audit trail, that the firm exported its
    # payroll basis in a batch and downloaded it (the file holds its employees' personal
    # identity numbers: a partner read of salary details).
    for client in clients:
        trail = await api(AUDIT, {"area": "PAYROLL_BASIS"}, token=client.admin_token)
        assert "errors" not in trail, trail
        events = {
            edge["node"]["action"]: edge["node"]
            for edge in trail["data"]["auditEvents"]["edges"]
            if edge["node"]["action"].startswith("PAYROLL_EXPORT")
        }
        if client not in exported_clients:
            assert events == {}, client.company.name
            continue
        assert sorted(events) == ["PAYROLL_EXPORTED", "PAYROLL_EXPORT_DOWNLOADED"]
        for event in events.values():
            assert (event["actorFirmName"], event["actorName"]) == (
                "Revisionsbyrån AB",
                "Rut Revisor",
            )
        details = json.loads(events["PAYROLL_EXPORTED"]["details"])
        assert (details["batch"], details["export_id"], details["payroll_period_id"]) == (
            True,
            row_id(made["id"]),
            client.period_id,
        )
        details = json.loads(events["PAYROLL_EXPORT_DOWNLOADED"]["details"])
        assert (details["batch"], details["export_id"]) == (True, row_id(made["id"]))

    # Exporting the month again (its periods now EXPORTED): each file says it is a re-export
    # (nyexport), so the bytes differ; the manifest is the same.
    again = await until_finished(
        api,
        firm_token,
        exported(
            await api(
                EXPORT_BATCH,
                {"input": {"month": "2026-02", "exportDate": "2026-03-02"}},
                token=firm_token,
            ),
            "exportPayrollBatch",
        ),
    )
    assert (again["state"], again["manifest"]) == ("DONE", manifest)
    assert again["id"] != made["id"]
    assert again["sha256"] != made["sha256"]

    # Only the firm's clients can be named.
    stranger = await factory.company("Främling AB")
    refused = only_error(
        await api(
            EXPORT_BATCH,
            {
                "input": {
                    "month": "2026-02",
                    "clientIds": [
                        gid("Company", clients[0].company.id),
                        gid("Company", stranger.id),
                    ],
                }
            },
            token=firm_token,
        )
    )
    assert (refused["code"], refused["field"]) == ("NOT_FOUND", "clientIds")

    # One client in the batch ends the collaboration: the batch holds its data, so the link
    # stops working (403: the batch is the firm's own export, it still exists for the firm).
    ended = exported_clients[4]
    body = await api(
        END, {"id": gid("Collaboration", ended.collaboration_id)}, token=ended.admin_token
    )
    assert "errors" not in body, body
    refused_download = await download(api, made["downloadUrl"], token=firm_token)
    assert refused_download.status_code == 403
    assert refused_download.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# --- a crash --------------------------------------------------------------------------------


async def test_an_export_cut_short_by_a_crash_is_marked_failed_and_its_files_removed(
    api: Api, factory: Factory, database: Database, runtime: Runtime, clock: FrozenClock
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    now = clock.now()

    def running(heartbeat: timedelta | None, state: ExportState = ExportState.RUNNING) -> Export:
        return Export(
            company_id=admin.company_id,
            kind=ExportKind.PAYROLL_BASIS,
            format=ExportFormat.PAXML,
            area=Area.PAYROLL_BASIS,
            state=state,
            progress=40,
            period_id=row_id(period["id"]),
            options={"employee_ids": None, "decimal_comma": True, "export_date": "2026-03-02"},
            summary={},
            created_by_user_id=admin.user_id,
            created_at=now - timedelta(hours=1),
            heartbeat_at=None if heartbeat is None else now - heartbeat,
        )

    stale, fresh, never_started = (
        running(timedelta(minutes=11)),
        running(timedelta(minutes=1)),
        running(None, ExportState.QUEUED),  # queued an hour ago, never picked up
    )
    async with database.transaction() as session:
        session.add_all([stale, fresh, never_started])

    def leftovers(export: Export) -> list[Path]:
        part = runtime.storage.path(f"exports/tmp/{export.id}.part")
        final = runtime.storage.path(f"exports/{admin.company_id}/{export.id}/lonunderlag.xml")
        for path in (part, final):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"<?xml version='1.0'?><paxml>")  # half a file
        return [part, final]

    stale_files, fresh_files = leftovers(stale), leftovers(fresh)

    assert await recover_interrupted_exports(runtime) == 2
    async with database.session() as session:
        rows = {row.id: row for row in await session.scalars(select(Export))}
    assert rows[stale.id].state is ExportState.FAILED
    assert (rows[stale.id].error or "").startswith("INTERRUPTED")
    assert rows[stale.id].finished_at == now
    assert rows[never_started.id].state is ExportState.FAILED
    assert not any(path.exists() for path in stale_files)
    assert not stale_files[1].parent.exists()
    # A fresh heartbeat is another worker's live export: left alone, files and all.
    assert (rows[fresh.id].state, rows[fresh.id].error) == (ExportState.RUNNING, None)
    assert all(path.exists() for path in fresh_files)
    assert await recover_interrupted_exports(runtime) == 0

    # The user sees why, and exporting again works.
    failed = (await api(NODE, {"id": gid("Export", stale.id)}, token=admin.token))["data"]["node"]
    assert (failed["state"], failed["downloadUrl"], failed["fileName"]) == ("FAILED", None, None)
    assert failed["error"].startswith("INTERRUPTED")
    again = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "PAXML"}},
            token=admin.token,
        )
    )
    assert again["state"] == "DONE"
    assert (await download(api, again["downloadUrl"], token=admin.token)).status_code == 200
    assert not runtime.storage.path(f"exports/tmp/{row_id(again['id'])}.part").exists()


# --- in the background ----------------------------------------------------------------------


async def test_an_export_runs_in_the_background_and_is_polled_to_done(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    runtime.settings = dataclasses.replace(runtime.settings, export_wait_seconds=0)

    started = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}},
            token=admin.token,
        )
    )
    # Answered at once: the file is not written yet, so there is nothing to download.
    assert started["state"] in ("QUEUED", "RUNNING")
    assert started["progress"] < 100
    assert (started["downloadUrl"], started["fileName"], started["sha256"]) == (None, None, None)

    done = await until_finished(api, admin.token, started)
    assert (done["id"], done["state"], done["progress"], done["error"]) == (
        started["id"],
        "DONE",
        100,
        None,
    )
    assert done["payrollPeriod"]["state"] == "EXPORTED"
    response = await download(api, done["downloadUrl"], token=admin.token)
    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == done["sha256"]
    assert len(response.content) == done["sizeBytes"]
