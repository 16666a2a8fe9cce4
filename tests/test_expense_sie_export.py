"""Expenses as SIE 4i vouchers (issue 14, points 5 and 7), through HTTP: the mutation, the job,
the download, and the .SI file read back by the parser written from the SIE 4 specification
(tests/sie_reader.py).

Bageri Åkesson AB's February 2026, approved and numbered in series U:
- U1 office supplies 1 250.00 (VAT 25 %: 250.00) from Clas Ohlson AB, cost centre 100 and
  project P17, booked on the company's own 6110 "Kontorsmaterial och trycksaker";
- U2 a restaurant lunch on a trip 810.00: food 500.00 + 60.00 at 12 %, wine 200.00 + 50.00 at
  25 %: VAT 110.00 on 2641, the net 700.00 on 5831 (the RESTAURANT default);
- U3 representation 1 120.00 for two (Åsa and a guest): VAT 120.00 of which 72.00 deductible
  (12 % of 300.00 a person), the other 48.00 a cost on 6072 of its own row; the voucher text
  says it is external representation, for 2, and its purpose;
- U4 a hotel in Copenhagen, 100.00 EUR at 11.50: 1 150.00 SEK without Swedish VAT;
- a train ticket 106.00 (VAT 6.00) approved before voucher numbers existed: a voucher without a
  number, for the bookkeeping program to number, on 5810 (the company's choice, unnamed);
- mileage 308.50 (approved): paid and booked through payroll, not in the file;
- a submitted parking receipt: not approved, not in the file.
So the file's liability to the employees (2820) is 1250 + 810 + 1120 + 1150 + 106 = 4436.00.

A firm's batch over its clients, who may run it, and a sole trader (Nils Berg's enskild firma,
850312-1231) whose number is in the files but masked in file names and manifests (the payroll
basis' too) for anyone who does not see it in full.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from gql_portal.db.accounts import Company
from gql_portal.db.bas import CompanyBasAccount
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, ExpenseVatLine, Receipt
from gql_portal.db.projects import Project
from gql_portal.domain import paxml
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.expenses import (
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    RepresentationKind,
    VehicleKind,
)
from gql_portal.domain.exports import ExportCompany, organisation_number_in_names, unique_name
from gql_portal.domain.identity import format_organisation_number
from gql_portal.runtime import Runtime
from tests.conftest import Api, error_codes, only_error
from tests.factories import Actor, Factory, gid
from tests.sie_reader import ReadFile, read_sie
from tests.test_expenses import tiny_jpeg, tiny_pdf, tiny_png
from tests.test_exports import EXPORT, EXPORT_BASIS, download, exported, locked_february
from tests.test_exports_access import partner_of
from tests.test_exports_files import read_csv, until_finished

EXPORT_EXPENSES = f"""mutation($input: ExpenseExportInput!) {{
  exportExpenses(input: $input) {{ export {{ {EXPORT} }} }} }}"""
EXPORT_BATCH = f"""mutation($input: ExpensesBatchExportInput!) {{
  exportExpensesBatch(input: $input) {{ export {{ {EXPORT}
    manifest {{ organisationNumber companyName status reason fileName }} }} }} }}"""
EXPORT_PAYROLL_BATCH = f"""mutation($input: PayrollBatchExportInput!) {{
  exportPayrollBatch(input: $input) {{ export {{ {EXPORT}
    manifest {{ organisationNumber companyName status reason fileName }} }} }} }}"""
FEBRUARY = {"from": "2026-02-01", "to": "2026-02-28"}
SIE = {**FEBRUARY, "format": "SIE4I", "exportDate": "2026-03-02"}
SOLE_TRADER = "8503121231"  # Nils Berg's personnummer 19850312-1231: his enskild firma
KVITTO = re.compile(r" \(kvitto: (.*)\)$")


@dataclass
class Books:
    """A company's approved February, with what its vouchers must show."""

    company: Company
    admin: Actor
    ids: dict[str, int]
    total: Decimal  # the approved utlägg: the file's credit on 2820
    deductible_vat: Decimal


async def february(
    factory: Factory, database: Database, runtime: Runtime, name: str = "Bageri Åkesson AB"
) -> Books:
    """The expenses of the module's docstring, written straight into the database (the API paths
    that make them, approval and its voucher number among them, have tests of their own)."""
    company = await factory.company(name)
    admin = await factory.admin(company)
    asa = await factory.employee(company, employee_number="17", first_name="Åsa", last_name="Öberg")
    per = await factory.employee(company, employee_number="23", first_name="Per", last_name="Lind")
    now = factory.clock.now()

    def expense(
        employee: Employee,
        day: int,
        amount: str,
        vat: str,
        category: ExpenseCategory,
        description: str,
        number: int | None,
        **extra: Any,
    ) -> Expense:
        values: dict[str, Any] = {
            "currency": "SEK",
            "vat_rate": None,
            "status": ExpenseStatus.APPROVED,
            "kind": ExpenseKind.EXPENSE,
            **extra,
        }
        return Expense(
            company_id=company.id,
            employee_id=employee.id,
            date=date(2026, 2, day),
            description=description,
            category=category,
            amount=Decimal(amount),
            vat_amount=Decimal(vat),
            voucher_number=number,
            created_at=now,
            updated_at=now,
            **values,
        )

    async with database.transaction() as session:
        project = Project(company_id=company.id, code="P17", name="Ombyggnad Lund", created_at=now)
        session.add(project)
        session.add(
            CompanyBasAccount(
                company_id=company.id,
                category=ExpenseCategory.OFFICE_SUPPLIES,
                account=6110,
                name="Kontorsmaterial och trycksaker",
                created_at=now,
                updated_at=now,
            )
        )
        session.add(  # an account the company chose without naming it
            CompanyBasAccount(
                company_id=company.id,
                category=ExpenseCategory.TRAVEL,
                account=5810,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        rows = {
            "office": expense(
                asa,
                3,
                "1250.00",
                "250.00",
                ExpenseCategory.OFFICE_SUPPLIES,
                "Pärmar och pennor",
                1,
                vat_rate=Decimal("25"),
                supplier_name="Clas Ohlson AB",
                supplier_org_number="5560358672",  # stored as its 10 digits
                cost_centre="100",
                project_id=project.id,
            ),
            "lunch": expense(
                per, 5, "810.00", "110.00", ExpenseCategory.RESTAURANT, "Lunch på resa", 2
            ),
            "representation": expense(
                asa,
                9,
                "1120.00",
                "120.00",
                ExpenseCategory.REPRESENTATION,
                "Kundlunch",
                3,
                vat_rate=Decimal("12"),
                deductible_vat=Decimal("72.00"),
                representation_kind=RepresentationKind.EXTERNAL,
                participants=[
                    {"name": "Åsa Öberg", "company": "Bageri Åkesson AB"},
                    {"name": "Kim Kund", "company": "Kunden AB"},
                ],
                purpose="Avtal 2026",
            ),
            "hotel": expense(
                per,
                12,
                "1150.00",
                "0.00",
                ExpenseCategory.ACCOMMODATION,
                "Hotell Köpenhamn",
                4,
                vat_rate=Decimal("0"),
                currency="EUR",
                supplier_name="Hotel Nyhavn ApS",
                supplier_org_number="DK12345678",  # a foreign VAT number, kept as it is
                original_amount=Decimal("100.00"),
                exchange_rate=Decimal("11.5"),
            ),
            "train": expense(
                asa,
                16,
                "106.00",
                "6.00",
                ExpenseCategory.TRAVEL,
                "Tåg Lund",
                None,
                vat_rate=Decimal("6"),
            ),
            "mileage": expense(
                asa,
                20,
                "308.50",
                "0.00",
                ExpenseCategory.TRAVEL,
                "Kundbesök Malmö",
                5,
                vat_rate=Decimal("0"),
                kind=ExpenseKind.MILEAGE,
                distance_km=Decimal("123.4"),
                vehicle=VehicleKind.OWN_CAR,
                rate_per_mil=Decimal("25.00"),
            ),
            "parking": expense(
                per,
                21,
                "62.50",
                "12.50",
                ExpenseCategory.PARKING,
                "Parkering",
                None,
                vat_rate=Decimal("25"),
                status=ExpenseStatus.SUBMITTED,
            ),
        }
        session.add_all(rows.values())
        await session.flush()
        ids = {key: row.id for key, row in rows.items()}
        for position, (rate, net, vat) in enumerate(
            (("12", "500.00", "60.00"), ("25", "200.00", "50.00"))
        ):
            session.add(
                ExpenseVatLine(
                    company_id=company.id,
                    expense_id=ids["lunch"],
                    employee_id=per.id,
                    position=position,
                    rate=Decimal(rate),
                    net=Decimal(net),
                    vat=Decimal(vat),
                )
            )
        receipts = {"office": tiny_jpeg(), "lunch": tiny_pdf(), "hotel": tiny_png()}
        types = {"office": "image/jpeg", "lunch": "application/pdf", "hotel": "image/png"}
        for key, data in receipts.items():
            stored = runtime.storage.put("receipts", company.id, data + name.encode())
            session.add(
                Receipt(
                    company_id=company.id,
                    expense_id=ids[key],
                    employee_id=rows[key].employee_id,
                    file_name=f"{key}.upload",
                    content_type=types[key],
                    size_bytes=stored.size_bytes,
                    sha256=stored.sha256,
                    storage_key=stored.storage_key,
                    uploaded_at=now,
                )
            )
    return Books(company, admin, ids, Decimal("4436.00"), Decimal("250.00") + 110 + 72 + 6)


def unzip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    return archive


def the_sie_file(archive: zipfile.ZipFile, folder: str = "") -> tuple[str, bytes]:
    [name] = [n for n in archive.namelist() if n.startswith(folder) and n.endswith(".SI")]
    return name, archive.read(name)


def assert_books_balance(read: ReadFile, books: Books) -> None:
    """Every voucher balances; the credit on 2820 is the approved utlägg, the debit on 2641 the
    deductible VAT; every account used is declared."""
    for voucher in read.vouchers:
        assert sum(amount for _, _, amount, _, _ in voucher.rows) == 0, voucher
    rows = [row for voucher in read.vouchers for row in voucher.rows]
    assert -sum(amount for account, _, amount, _, _ in rows if account == 2820) == books.total
    assert sum(amount for account, _, amount, _, _ in rows if account == 2641) == (
        books.deductible_vat
    )
    assert {account for account, *_ in rows} == set(read.accounts)


async def test_approved_expenses_become_balanced_sie_vouchers_with_their_receipts(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    books = await february(factory, database, runtime)
    made = exported(
        await api(EXPORT_EXPENSES, {"input": SIE}, token=books.admin.token), "exportExpenses"
    )
    made = await until_finished(api, books.admin.token, made)
    orgnr = format_organisation_number(books.company.organisation_number)
    assert (made["kind"], made["format"], made["state"], made["error"]) == (
        "EXPENSES",
        "SIE4I",
        "DONE",
        None,
    )
    assert made["fileName"] == f"utlagg_sie_{orgnr}_2026-02-01_2026-02-28.zip"
    # Five vouchers: the mileage and the submitted receipt are not among them.
    assert (made["lineCount"], made["totalAmount"]) == (5, "4436.00")
    response = await download(api, made["downloadUrl"], token=books.admin.token)
    assert (response.status_code, response.headers["content-type"]) == (200, "application/zip")
    archive = unzip(response.content)
    name, data = the_sie_file(archive)
    assert name == f"utlagg_sie_{orgnr}_2026-02-01_2026-02-28.SI"

    # PC8: å ä ö as code page 437 bytes (Ö 0x99, å 0x86, ä 0x84), CRLF line ends.
    assert "Åsa Öberg".encode("cp437") == b"\x8fsa \x99berg" and b"\x8fsa \x99berg" in data
    assert b"P\x84rmar" in data and b"\r\n" in data
    read = read_sie(data)
    assert read.labels[:7] == [
        "#FLAGGA",
        "#PROGRAM",
        "#FORMAT",
        "#GEN",
        "#SIETYP",
        "#ORGNR",
        "#FNAMN",
    ]
    assert (read.items["#FLAGGA"], read.items["#FORMAT"], read.items["#SIETYP"]) == (
        ["0"],
        ["PC8"],
        ["4"],
    )
    assert (read.items["#GEN"], read.items["#ORGNR"]) == (["20260302"], [orgnr])
    assert read.items["#FNAMN"] == ["Bageri Åkesson AB"]
    assert_books_balance(read, books)

    # Every account used, named by the company's own table where it names it, else by BAS.
    assert read.accounts == {
        2641: "Debiterad ingående moms",
        2820: "Kortfristiga skulder till anställda",
        5810: "Konto 5810",  # #KONTO needs a name; the program keeps its own
        5831: "Kost och logi i Sverige",
        6072: "Representation, ej avdragsgill",
        6110: "Kontorsmaterial och trycksaker",
    }
    # Cost centre (dimension 1) and project (dimension 6, by its code) declared before use.
    assert read.objects == {(1, "100"): "100", (6, "P17"): "Ombyggnad Lund"}
    assert read.labels.index("#OBJEKT") < read.labels.index("#VER")

    # By voucher number; the one approved before numbering last, without a number.
    office, lunch, representation, hotel, train = read.vouchers
    assert [(v.series, v.number, v.date) for v in read.vouchers] == [
        ("U", "1", "20260203"),
        ("U", "2", "20260205"),
        ("U", "3", "20260209"),
        ("U", "4", "20260212"),
        ("U", "", "20260216"),
    ]

    def booked(voucher: Any) -> list[tuple[int, list[str], Decimal, str | None]]:
        return [
            (account, objects, amount, text) for account, objects, amount, _, text in voucher.rows
        ]

    assert booked(office) == [
        (6110, ["1", "100", "6", "P17"], Decimal("1000.00"), None),
        (2641, [], Decimal("250.00"), None),
        (2820, [], Decimal("-1250.00"), None),
    ]
    assert booked(lunch) == [
        (5831, [], Decimal("700.00"), None),
        (2641, [], Decimal("110.00"), None),
        (2820, [], Decimal("-810.00"), None),
    ]
    # Representation: the VAT above the cap is a cost, on a row of its own.
    assert booked(representation) == [
        (6072, [], Decimal("1000.00"), None),
        (6072, [], Decimal("48.00"), "Ej avdragsgill moms"),
        (2641, [], Decimal("72.00"), None),
        (2820, [], Decimal("-1120.00"), None),
    ]
    assert booked(hotel) == [
        (5831, [], Decimal("1150.00"), None),
        (2820, [], Decimal("-1150.00"), None),
    ]
    assert [row[0] for row in booked(train)] == [5810, 2641, 2820]

    # The text: what was bought, from whom, whose utlägg, a foreign receipt's own amount, and
    # the receipts, each a file in kvitton/ beside the .SI file.
    assert office.text.startswith(
        "Pärmar och pennor, Clas Ohlson AB (556035-8672), utlägg Åsa Öberg (kvitto: "
    )
    assert hotel.text.startswith(
        "Hotell Köpenhamn, Hotel Nyhavn ApS (DK12345678), utlägg Per Lind, 100.00 EUR à 11.5 "
        "(kvitto: "
    )
    # Representation: what Skatteverket asks of its voucher beside the receipt, the occasion's
    # kind, how many took part and its purpose (the names: utlagg.csv's row of the voucher).
    assert representation.text == (
        "Kundlunch, extern representation, 2 deltagare, syfte: Avtal 2026, utlägg Åsa Öberg"
    )
    referenced = []
    for voucher in (office, lunch, hotel):
        found = KVITTO.search(voucher.text)
        assert found, voucher.text
        referenced += [f"kvitton/{name}" for name in found.group(1).split(", ")]
    receipts = [n for n in archive.namelist() if n.startswith("kvitton/")]
    assert referenced == receipts and len(receipts) == 3
    assert archive.read(referenced[0]).startswith(tiny_jpeg())

    # The summary beside it lists the vouchers' expenses: the same total.
    rows = read_csv(archive.read("utlagg.csv"))
    assert rows[-1][:3] == ["total", "5", "4436,00"]
    assert sorted(archive.namelist()) == sorted([*receipts, "utlagg.csv", name])

    # Unchanged data and the same exportDate: the same bytes.
    again = exported(
        await api(EXPORT_EXPENSES, {"input": SIE}, token=books.admin.token), "exportExpenses"
    )
    again = await until_finished(api, books.admin.token, again)
    assert again["sha256"] == made["sha256"]


async def test_a_name_outside_code_page_437_names_the_receipts_as_the_voucher_does(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    books = await february(factory, database, runtime)
    async with database.transaction() as session:
        await session.execute(
            update(Employee)
            .where(Employee.company_id == books.company.id, Employee.employee_number == "23")
            .values(first_name="Łukasz", last_name="Żak")
        )
    made = exported(
        await api(EXPORT_EXPENSES, {"input": SIE}, token=books.admin.token), "exportExpenses"
    )
    made = await until_finished(api, books.admin.token, made)
    archive = unzip((await download(api, made["downloadUrl"], token=books.admin.token)).content)
    read = read_sie(the_sie_file(archive)[1])
    lunch = read.vouchers[1]
    assert lunch.text.startswith(
        "Lunch på resa, utlägg Lukasz Zak (kvitto: 2026-02-05_23_Lukasz-Zak"
    )
    found = KVITTO.search(lunch.text)
    assert found and f"kvitton/{found.group(1)}" in archive.namelist()


async def test_sie_takes_approved_expenses_only_and_zip_stays_the_default(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    books = await february(factory, database, runtime)

    async def problem(values: dict[str, Any]) -> tuple[str, str, str]:
        error = only_error(await api(EXPORT_EXPENSES, {"input": values}, token=books.admin.token))
        return error["code"], error["field"], error["problems"][0]["reason"]

    refused = {**SIE, "statuses": ["APPROVED", "SUBMITTED"]}
    assert await problem(refused) == ("BAD_USER_INPUT", "statuses", "APPROVED_ONLY")
    assert await problem({**FEBRUARY, "format": "PAXML"}) == (
        "BAD_USER_INPUT",
        "format",
        "UNSUPPORTED",
    )
    # Without a format: the ZIP of receipts and summary, mileage included, no .SI file.
    plain = exported(
        await api(EXPORT_EXPENSES, {"input": FEBRUARY}, token=books.admin.token), "exportExpenses"
    )
    plain = await until_finished(api, books.admin.token, plain)
    assert (plain["format"], plain["lineCount"], plain["totalAmount"]) == ("ZIP", 6, "4744.50")
    archive = unzip((await download(api, plain["downloadUrl"], token=books.admin.token)).content)
    assert not [name for name in archive.namelist() if name.endswith(".SI")]


async def test_a_sole_traders_number_is_in_the_file_and_masked_in_names_to_a_limited_partner(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    books = await february(factory, database, runtime, "Nils Berg Rör")
    async with database.transaction() as session:
        await session.execute(
            update(Company)
            .where(Company.id == books.company.id)
            .values(organisation_number=SOLE_TRADER)
        )
    partner = await partner_of(api, factory, books.admin.token, "LIMITED")
    # The admin keeps the company's identity: the number in full, in names and in the file.
    own = exported(
        await api(EXPORT_EXPENSES, {"input": SIE}, token=books.admin.token), "exportExpenses"
    )
    own = await until_finished(api, books.admin.token, own)
    assert own["fileName"] == "utlagg_sie_850312-1231_2026-02-01_2026-02-28.zip"
    # A LIMITED partner sees 850312-****: the file names say 850312-XXXX (no * in a file
    # name); the .SI file carries the number the bookkeeping program registers the firm by.
    theirs = exported(
        await api(
            EXPORT_EXPENSES,
            {"input": {**SIE, "companyId": gid("Company", books.company.id)}},
            token=partner.token,
        ),
        "exportExpenses",
    )
    theirs = await until_finished(api, partner.token, theirs)
    assert theirs["state"] == "DONE", theirs["error"]
    assert theirs["fileName"] == "utlagg_sie_850312-XXXX_2026-02-01_2026-02-28.zip"
    archive = unzip((await download(api, theirs["downloadUrl"], token=partner.token)).content)
    name, data = the_sie_file(archive)
    assert name == "utlagg_sie_850312-XXXX_2026-02-01_2026-02-28.SI"
    assert "1231" not in "".join(archive.namelist())
    read = read_sie(data)
    assert read.items["#ORGNR"] == ["850312-1231"]
    assert_books_balance(read, books)


def test_paxml_names_a_sole_trader_by_the_owners_number_as_a_company() -> None:
    """PAXml's foretagorgnr, like SIE's #ORGNR, is NNNNNN-NNNN: a sole trader's 10 digits."""
    out = io.BytesIO()
    paxml.write_paxml(
        out,
        company=ExportCompany(organisation_number=SOLE_TRADER, name="Nils Berg Rör"),
        export_date=date(2026, 3, 2),
        employees=[],
        lines=[],
    )
    assert b"<foretagorgnr>850312-1231</foretagorgnr>" in out.getvalue()


def test_names_carry_a_sole_traders_number_masked_with_x_and_a_companys_as_it_is() -> None:
    assert organisation_number_in_names(SOLE_TRADER, in_full=False) == "850312-XXXX"
    assert organisation_number_in_names("850312-1231", in_full=False) == "850312-XXXX"
    assert organisation_number_in_names(SOLE_TRADER, in_full=True) == "850312-1231"
    assert organisation_number_in_names("5566778899", in_full=False) == "556677-8899"


def test_a_taken_folder_name_gets_a_serial_as_windows_compares_names() -> None:
    taken: set[str] = set()
    names = ["850312-XXXX_Rör", "850312-xxxx_rör", "850312-XXXX_Rör", "556677-8899_AB"]
    assert [unique_name(name, taken) for name in names] == [
        "850312-XXXX_Rör",
        "850312-xxxx_rör-2",
        "850312-XXXX_Rör-3",
        "556677-8899_AB",
    ]


# --- a firm's batch ---------------------------------------------------------------------------


async def limited_client(
    factory: Factory, database: Database, company: Company, firm: Company
) -> None:
    """An ACTIVE LIMITED collaboration of `company` with `firm` (the invitation has tests of its
    own)."""
    now = factory.clock.now()
    async with database.transaction() as session:
        session.add(
            Collaboration(
                company_id=company.id,
                firm_id=firm.id,
                level=AccessLevel.LIMITED,
                state=CollaborationState.ACTIVE,
                initiated_by=Initiator.CLIENT,
                created_at=now,
                activated_at=now,
                updated_at=now,
            )
        )


async def test_a_limited_firm_exports_its_clients_expenses_in_one_batch(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    bakery = await february(factory, database, runtime, "Bageri Åkesson AB")
    plumber = await february(factory, database, runtime, "Nils Berg Rör")
    async with database.transaction() as session:
        await session.execute(
            update(Company)
            .where(Company.id == plumber.company.id)
            .values(organisation_number=SOLE_TRADER)
        )
    quiet = await factory.company("Ateljé Tyst AB")  # no expenses in February
    stranger = await factory.company("Främling AB")  # not a client of the firm
    firm = await factory.company("Revisionsbyrån AB", firm=True)
    user = await factory.user(firm, Role.EMPLOYEE, name="Rut Revisor")
    token = await factory.log_in(user, firm, SessionContext.PORTAL)
    for client in (bakery.company, plumber.company, quiet):
        await limited_client(factory, database, client, firm)

    made = exported(
        await api(
            EXPORT_BATCH, {"input": {"month": "2026-02", "exportDate": "2026-03-02"}}, token=token
        ),
        "exportExpensesBatch",
    )
    made = await until_finished(api, token, made)
    assert (made["kind"], made["format"], made["state"], made["error"]) == (
        "EXPENSES_BATCH",
        "SIE4I",
        "DONE",
        None,
    )
    assert (made["dateFrom"], made["dateTo"]) == ("2026-02-01", "2026-02-28")
    assert (made["lineCount"], made["totalAmount"]) == (10, "8872.00")
    bakery_number = format_organisation_number(bakery.company.organisation_number)
    bakery_folder = f"{bakery_number}_Bageri-Åkesson-AB"
    # The sole trader's number masked: in the manifest as everywhere, in names with X.
    plumber_folder = "850312-XXXX_Nils-Berg-Rör"
    assert made["manifest"] == [
        {
            "organisationNumber": format_organisation_number(quiet.organisation_number),
            "companyName": "Ateljé Tyst AB",
            "status": "SKIPPED",
            "reason": "NO_EXPENSES",
            "fileName": None,
        },
        {
            "organisationNumber": bakery_number,
            "companyName": "Bageri Åkesson AB",
            "status": "EXPORTED",
            "reason": None,
            "fileName": f"{bakery_folder}/utlagg_sie_{bakery_number}_2026-02-01_2026-02-28.SI",
        },
        {
            "organisationNumber": "850312-****",
            "companyName": "Nils Berg Rör",
            "status": "EXPORTED",
            "reason": None,
            "fileName": f"{plumber_folder}/utlagg_sie_850312-XXXX_2026-02-01_2026-02-28.SI",
        },
    ]
    response = await download(api, made["downloadUrl"], token=token)
    assert response.status_code == 200, response.text
    archive = unzip(response.content)
    assert "1231" not in "".join(archive.namelist())
    for books, folder in ((bakery, bakery_folder), (plumber, plumber_folder)):
        _, data = the_sie_file(archive, folder)
        read = read_sie(data)
        assert_books_balance(read, books)
        assert len(read.vouchers) == 5
        for voucher in read.vouchers:
            found = KVITTO.search(voucher.text)
            for receipt in found.group(1).split(", ") if found else ():
                assert f"{folder}/kvitton/{receipt}" in archive.namelist()
        assert read_csv(archive.read(f"{folder}/utlagg.csv"))[-1][:3] == ["total", "5", "4436,00"]
    assert read_sie(the_sie_file(archive, plumber_folder)[1]).items["#ORGNR"] == ["850312-1231"]
    manifest = read_csv(archive.read("manifest.csv"))
    assert [row[:3] for row in manifest[1:]] == [
        [format_organisation_number(quiet.organisation_number), "Ateljé Tyst AB", "SKIPPED"],
        [bakery_number, "Bageri Åkesson AB", "EXPORTED"],
        ["850312-****", "Nils Berg Rör", "EXPORTED"],
    ]

    # A company that is not the firm's client does not exist for it; nor does a date range
    # without its end, or a month with one.
    def asked(values: dict[str, Any]) -> dict[str, Any]:
        return {"input": values}

    missing = only_error(
        await api(
            EXPORT_BATCH,
            asked({"month": "2026-02", "clientIds": [gid("Company", stranger.id)]}),
            token=token,
        )
    )
    assert (missing["code"], missing["field"]) == ("NOT_FOUND", "clientIds")
    for values in (
        {"from": "2026-02-01"},
        {"month": "2026-02", **FEBRUARY},
        {"month": "2026-02", "to": "2026-02-28"},
        {},
    ):
        error = only_error(await api(EXPORT_BATCH, asked(values), token=token))
        assert (error["field"], error["problems"][0]["reason"]) == ("month", "REQUIRED")
    statuses = only_error(
        await api(EXPORT_BATCH, asked({"month": "2026-02", "statuses": ["SUBMITTED"]}), token=token)
    )
    assert (statuses["field"], statuses["problems"][0]["reason"]) == ("statuses", "APPROVED_ONLY")

    # Named clients only, and as ZIP: each folder the receipts and summary, mileage included.
    only_bakery = exported(
        await api(
            EXPORT_BATCH,
            asked({**FEBRUARY, "format": "ZIP", "clientIds": [gid("Company", bakery.company.id)]}),
            token=token,
        ),
        "exportExpensesBatch",
    )
    only_bakery = await until_finished(api, token, only_bakery)
    assert (only_bakery["format"], only_bakery["lineCount"]) == ("ZIP", 6)
    assert [entry["fileName"] for entry in only_bakery["manifest"]] == [
        f"{bakery_folder}/utlagg.csv"
    ]

    # The batch is not a client's business: not in an employee's or a client admin's schema.
    employee = await factory.staff(bakery.company)
    for who in (employee.token, bakery.admin.token):
        refused = await api(EXPORT_BATCH, asked({"month": "2026-02"}), token=who)
        assert set(error_codes(refused)) == {"GRAPHQL_VALIDATION_FAILED"}
    # Nor a SIE export for an employee: exporting expenses is not theirs.
    refused = await api(EXPORT_EXPENSES, asked(SIE), token=employee.token)
    assert set(error_codes(refused)) == {"GRAPHQL_VALIDATION_FAILED"}

    # A client that ends the collaboration is gone from the firm's next batch: naming it is
    # NOT_FOUND, and the batch that holds it can no longer be downloaded.
    async with database.transaction() as session:
        await session.execute(
            update(Collaboration)
            .where(Collaboration.company_id == plumber.company.id)
            .values(state=CollaborationState.ENDED)
        )
    gone = only_error(
        await api(
            EXPORT_BATCH,
            asked({"month": "2026-02", "clientIds": [gid("Company", plumber.company.id)]}),
            token=token,
        )
    )
    assert (gone["code"], gone["field"]) == ("NOT_FOUND", "clientIds")
    assert (await download(api, made["downloadUrl"], token=token)).status_code in (403, 404)


async def test_payroll_file_names_and_batch_manifest_mask_a_sole_traders_number_too(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    async with database.transaction() as session:
        await session.execute(
            update(Company)
            .where(Company.id == admin.company_id)
            .values(organisation_number=SOLE_TRADER)
        )
    partner = await partner_of(api, factory, admin.token, "LIMITED")
    basis = {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}}

    own = exported(await api(EXPORT_BASIS, basis, token=admin.token))
    assert own["fileName"] == "lonunderlag_850312-1231_2026-02.xml"
    theirs = exported(await api(EXPORT_BASIS, basis, token=partner.token))
    assert theirs["fileName"] == "lonunderlag_850312-XXXX_2026-02.xml"
    # The file itself names the employer as the payroll program registers it.
    response = await download(api, theirs["downloadUrl"], token=partner.token)
    assert b"<foretagorgnr>850312-1231</foretagorgnr>" in response.content

    batch = exported(
        await api(
            EXPORT_PAYROLL_BATCH,
            {"input": {"month": "2026-02", "exportDate": "2026-03-02"}},
            token=partner.token,
        ),
        "exportPayrollBatch",
    )
    batch = await until_finished(api, partner.token, batch)
    assert [(e["organisationNumber"], e["status"], e["fileName"]) for e in batch["manifest"]] == [
        (
            "850312-****",
            "EXPORTED",
            "850312-XXXX_Exportbolaget-AB/lonunderlag_850312-XXXX_2026-02.xml",
        )
    ]
    archive = unzip((await download(api, batch["downloadUrl"], token=partner.token)).content)
    assert "1231" not in "".join(archive.namelist())
    assert "1231" not in archive.read("manifest.csv").decode("utf-8-sig")
