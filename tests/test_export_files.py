"""The CSV and ZIP export files: read back with `csv` and `zipfile` the way a spreadsheet or an
accountant's tool would, they hold exactly the basis and the expenses, in Swedish characters,
with totals that reconcile, and the archives are byte-identical for the same inputs."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import unicodedata
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gql_portal.domain.exports import (
    BASIS_CSV_COLUMNS,
    EXPENSE_CSV_COLUMNS,
    MANIFEST_CSV_COLUMNS,
    MAX_ENTRY_NAME,
    DeterministicZip,
    ExportCompany,
    ExportEmployee,
    ExportExpense,
    ExportLine,
    ExportReceipt,
    ManifestEntry,
    ManifestStatus,
    SkipReason,
    client_folder_name,
    receipt_entry_name,
    write_basis_csv,
    write_expense_summary_csv,
    write_manifest_csv,
)
from gql_portal.domain.paxml import read_paxml, write_paxml
from tests.test_paxml import COMPANY, EMPLOYEES, EXPORTED, generated_basis

BY_NUMBER = {employee.employee_number: employee for employee in EMPLOYEES}


def read_csv(data: bytes, delimiter: str) -> list[list[str]]:
    assert data.startswith(codecs.BOM_UTF8)
    text = data.decode("utf-8-sig")
    assert "\n" not in text.replace("\r\n", "")  # CRLF line ends (no quoted newlines here)
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def as_decimal(cell: str, decimal_comma: bool) -> Decimal | None:
    if cell == "":
        return None
    if decimal_comma:
        assert "." not in cell
        return Decimal(cell.replace(",", "."))
    assert "," not in cell
    return Decimal(cell)


# --- the payroll basis as CSV ---------------------------------------------------------------


@pytest.mark.parametrize(("decimal_comma", "delimiter"), [(True, ";"), (False, ",")])
def test_the_basis_csv_reads_back(decimal_comma: bool, delimiter: str) -> None:
    lines = generated_basis()
    out = io.BytesIO()
    count = write_basis_csv(out, iter(lines), BY_NUMBER, decimal_comma=decimal_comma)
    assert not out.closed  # the caller's file stays open
    rows = read_csv(out.getvalue(), delimiter)

    assert count == len(lines) == len(rows) - 1
    assert rows[0] == [name for name, _ in BASIS_CSV_COLUMNS]
    assert all(description for _, description in BASIS_CSV_COLUMNS)
    columns = {name: index for index, (name, _) in enumerate(BASIS_CSV_COLUMNS)}
    for row, line in zip(rows[1:], lines, strict=True):
        employee = BY_NUMBER[line.employee_number]
        assert row[columns["employee_number"]] == line.employee_number
        assert row[columns["personnummer"]] == employee.personnummer
        assert row[columns["name"]] == f"{employee.first_name} {employee.last_name}"
        assert row[columns["date"]] == line.date.isoformat()
        assert row[columns["pay_type"]] == line.pay_type
        assert row[columns["time_code"]] == (line.time_code or "")
        assert row[columns["description"]] == line.description
        assert row[columns["unit"]] == (line.unit or "")
        assert row[columns["source"]] == line.source
        for name in ("quantity", "unit_price", "amount", "hours", "extent_percent"):
            cell = row[columns[name]]
            assert cell == "" or len(cell.replace(",", ".").split(".")[1]) == 2
            assert as_decimal(cell, decimal_comma) == getattr(line, name)
    text = out.getvalue().decode("utf-8-sig")
    assert (
        "Łukasz Östlund" in text
        and "Åsa Ängström-Öhman" in text
        and "Tåg Göteborg–Stockholm" in text
    )
    amounts = [as_decimal(row[columns["amount"]], decimal_comma) for row in rows[1:]]
    assert sum(a for a in amounts if a is not None) == sum(
        line.amount for line in lines if line.amount is not None
    )


def test_the_basis_csv_guards_against_formulas() -> None:
    day = date(2026, 3, 2)
    nasty = ['=HYPERLINK("http://x")', "+46 70", "-1+1", "@SUM(A1)", "\tTab", "\rCR", "Vanlig"]
    lines = [
        ExportLine(
            "1007",
            day,
            "810",
            text,
            None,
            Decimal(1),
            "PIECES",
            Decimal("-5.00"),
            Decimal("-5.00"),
            "EXPENSE",
        )
        for text in nasty
    ]
    employees = {"1007": ExportEmployee("1007", "198503121236", "=Anna", "-Svensson")}
    out = io.BytesIO()
    write_basis_csv(out, lines, employees)
    rows = read_csv(out.getvalue(), ";")[1:]
    column = {name: index for index, (name, _) in enumerate(BASIS_CSV_COLUMNS)}
    descriptions = [row[column["description"]] for row in rows]
    assert descriptions == ["'" + text for text in nasty[:-1]] + ["Vanlig"]
    assert {row[column["name"]] for row in rows} == {"'=Anna -Svensson"}
    assert {row[column["amount"]] for row in rows} == {"-5,00"}  # our numbers are left alone


def test_the_basis_csv_refuses_an_unknown_employee() -> None:
    line = generated_basis()[0]
    out = io.BytesIO()
    with pytest.raises(ValueError, match=f"employee {line.employee_number}"):
        write_basis_csv(out, [line], {})
    assert not out.closed


# --- the expenses ZIP -----------------------------------------------------------------------


def receipt(tmp_path: Path, name: str, content_type: str, content: bytes) -> ExportReceipt:
    path = tmp_path / hashlib.sha256(content).hexdigest()
    path.write_bytes(content)
    return ExportReceipt(
        name, content_type, len(content), hashlib.sha256(content).hexdigest(), path
    )


def expenses(tmp_path: Path) -> list[ExportExpense]:
    pdf = receipt(tmp_path, "kvitto.pdf", "application/pdf", "%PDF-1.4 tåg".encode() * 1000)
    jpg = receipt(tmp_path, "lunch.jpg", "image/jpeg", b"\xff\xd8\xff lunch")
    png = receipt(tmp_path, "hotell.png", "image/png; charset=binary", b"\x89PNG\r\n\x1a\n hotell")
    odd = receipt(tmp_path, "x.exe", "application/octet-stream", b"MZ")
    return [
        ExportExpense(
            42,
            "1007",
            "Anna Svensson",
            date(2026, 3, 14),
            "EXPENSE",
            "TRAVEL",
            "Tåg Göteborg–Stockholm",
            Decimal("1234.50"),
            Decimal("6"),
            Decimal("69.88"),
            "APPROVED",
            receipts=(pdf, jpg),
        ),
        ExportExpense(
            43,
            "1008",
            "Łukasz Östlund",
            date(2026, 3, 15),
            "EXPENSE",
            "FOOD",
            "=Lunch med kund",
            Decimal("356.00"),
            Decimal("12.00"),
            Decimal("38.14"),
            "APPROVED",
            receipts=(png,),
        ),
        ExportExpense(
            44,
            "1008",
            "Łukasz Östlund",
            date(2026, 3, 16),
            "EXPENSE",
            "OFFICE_SUPPLIES",
            "Pärmar",
            Decimal("99.90"),
            Decimal("25"),
            Decimal("19.98"),
            "APPROVED",
            receipts=(odd,),
        ),
        ExportExpense(
            45,
            "2003",
            "Åsa Ängström-Öhman",
            date(2026, 3, 20),
            "MILEAGE",
            None,
            "Kundbesök i Borås",
            Decimal("308.50"),
            Decimal("0"),
            Decimal("0.00"),
            "APPROVED",
            distance_km=Decimal("123.40"),
        ),
        ExportExpense(
            46,
            "2003",
            "Åsa Ängström-Öhman",
            date(2026, 3, 21),
            "EXPENSE",
            "FOOD",
            "Fika",
            Decimal("64.00"),
            Decimal("12"),
            Decimal("6.86"),
            "APPROVED",
        ),
        ExportExpense(
            47,
            "1007",
            "Anna Svensson",
            date(2026, 3, 22),
            "EXPENSE",
            "OTHER",
            "Skrivare",
            Decimal("2499.00"),
            Decimal("25"),
            Decimal("499.80"),
            "APPROVED",
        ),
    ]


def test_receipt_names() -> None:
    item = ExportExpense(
        42,
        "1007",
        "Anna Svensson",
        date(2026, 3, 14),
        "EXPENSE",
        "TRAVEL",
        "Tåg",
        Decimal("1234.5"),
        Decimal("6"),
        Decimal("69.88"),
        "APPROVED",
    )
    pdf = ExportReceipt("x", "application/pdf", 1, "0" * 64, Path("x"))
    assert receipt_entry_name(item, pdf, 1) == "2026-03-14_1007_Anna-Svensson_1234,50_e42.pdf"
    assert receipt_entry_name(item, pdf, 2) == "2026-03-14_1007_Anna-Svensson_1234,50_e42-2.pdf"
    jpeg = ExportReceipt("evil.pdf", "image/jpeg", 1, "0" * 64, Path("x"))
    assert receipt_entry_name(item, jpeg, 3).endswith("_e42-3.jpg")
    with pytest.raises(ValueError):
        receipt_entry_name(item, pdf, 0)


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "a/b\\c",
        "..",
        "Anna\x00\x1b\u202eFDP.exe",
        "Åsa Ängström-Öhman",
        "  ",
        "Ł" * 500,
        "C:\\Windows\\system32",
    ],
)
def test_receipt_names_are_safe(name: str) -> None:
    item = ExportExpense(
        7,
        "../1",
        name,
        date(2026, 3, 14),
        "EXPENSE",
        None,
        "",
        Decimal("-12.5"),
        Decimal("25"),
        Decimal("-2.50"),
        "APPROVED",
    )
    png = ExportReceipt("../x.png", "image/png", 1, "0" * 64, Path("x"))
    entry = receipt_entry_name(item, png, 1)
    assert entry.endswith("_-12,50_e7.png")
    assert len(entry) <= MAX_ENTRY_NAME
    assert "/" not in entry and "\\" not in entry and ".." not in entry
    assert entry.count(".") == 1
    assert not any(unicodedata.category(char).startswith("C") for char in entry)
    assert entry == unicodedata.normalize("NFC", entry)
    if "Åsa" in name:
        assert "Åsa-Ängström-Öhman" in entry


def test_receipt_names_are_unique(tmp_path: Path) -> None:
    items = expenses(tmp_path)
    same = [
        ExportExpense(
            index,
            "1",
            "Anna Svensson",
            date(2026, 3, 1),
            "EXPENSE",
            None,
            "",
            Decimal("10.00"),
            Decimal("25"),
            Decimal("2.00"),
            "APPROVED",
            receipts=items[0].receipts,
        )
        for index in range(1, 50)
    ]
    names = [
        receipt_entry_name(item, file, index)
        for item in [*items, *same]
        for index, file in enumerate(item.receipts, start=1)
    ]
    assert len(names) == len({name.casefold() for name in names})


@pytest.mark.parametrize(("decimal_comma", "delimiter"), [(True, ";"), (False, ",")])
def test_the_expense_summary_reconciles(
    tmp_path: Path, decimal_comma: bool, delimiter: str
) -> None:
    items = expenses(tmp_path)
    out = io.BytesIO()
    totals = write_expense_summary_csv(out, iter(items), decimal_comma=decimal_comma)
    rows = read_csv(out.getvalue(), delimiter)

    assert rows[0] == [name for name, _ in EXPENSE_CSV_COLUMNS]
    body = rows[1 : 1 + len(items)]
    columns = {name: index for index, (name, _) in enumerate(EXPENSE_CSV_COLUMNS)}

    def money(row: list[str], name: str) -> Decimal:
        value = as_decimal(row[columns[name]], decimal_comma)
        assert value is not None
        return value

    for row, item in zip(body, items, strict=True):
        assert row[columns["expense_id"]] == str(item.id)
        assert row[columns["name"]] == item.employee_name
        assert money(row, "gross") == item.amount
        assert money(row, "vat") == item.vat_amount
        assert money(row, "net") == item.amount - item.vat_amount
        assert money(row, "vat_rate") == item.vat_rate
        assert row[columns["receipt_files"]].split(" | ") == (
            [receipt_entry_name(item, r, i) for i, r in enumerate(item.receipts, start=1)] or [""]
        )
    assert body[1][columns["description"]] == "'=Lunch med kund"
    assert body[3][columns["distance_km"]] in ("123,40", "123.40")

    # The VAT split: per rate, highest first, then the total.
    assert rows[1 + len(items)] == []
    split = rows[2 + len(items) :]
    assert split[0] == ["vat_rate", "expenses", "gross", "vat", "net"]
    per_rate, total = split[1:-1], split[-1]
    rates = [as_decimal(row[0], decimal_comma) for row in per_rate]
    assert rates == [Decimal(25), Decimal(12), Decimal(6), Decimal(0)]
    assert total[0] == "total" and int(total[1]) == len(items)
    for column in (2, 3, 4):
        assert sum(as_decimal(row[column], decimal_comma) or 0 for row in per_rate) == as_decimal(
            total[column], decimal_comma
        )
    gross = sum(item.amount for item in items)
    vat = sum(item.vat_amount for item in items)
    assert as_decimal(total[2], decimal_comma) == gross == totals.total.gross
    assert as_decimal(total[3], decimal_comma) == vat == totals.total.vat
    assert totals.total.net == gross - vat
    assert sum(s.gross for s in totals.by_rate.values()) == totals.total.gross
    assert sum(s.vat for s in totals.by_rate.values()) == totals.total.vat
    assert sum(s.net for s in totals.by_rate.values()) == totals.total.net
    assert sum(s.count for s in totals.by_rate.values()) == len(items)
    assert totals.by_rate[Decimal("12.00")].gross == Decimal("420.00")  # 356.00 + 64.00
    assert totals.by_rate[Decimal("25.00")].vat == Decimal("519.78")


def build_archive(target: Path, tmp_path: Path) -> dict[str, object]:
    items = expenses(tmp_path)
    results: dict[str, object] = {}
    with DeterministicZip(target, timestamp=date(2026, 3, 31)) as archive:
        results["summary"] = archive.add_writer(
            "utlagg.csv",
            lambda out: write_expense_summary_csv(out, items, receipt_folder="kvitton/"),
        )
        for item in items:
            for index, file in enumerate(item.receipts, start=1):
                archive.add_file(f"kvitton/{receipt_entry_name(item, file, index)}", file.path)
        results["paxml"] = archive.add_writer(
            "loneunderlag.xml",
            lambda out: write_paxml(
                out,
                company=COMPANY,
                export_date=EXPORTED,
                employees=EMPLOYEES,
                lines=generated_basis(),
            ),
        )
        archive.add_writer(
            "loneunderlag.csv", lambda out: write_basis_csv(out, generated_basis(), BY_NUMBER)
        )
        archive.add_bytes("LASMIG.txt", "Löneunderlag för mars 2026\r\n".encode())
        results["names"] = archive.names
    return results


def test_the_expenses_zip_is_deterministic_and_reads_back(tmp_path: Path) -> None:
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    built = build_archive(first, tmp_path)
    build_archive(second, tmp_path)
    assert first.read_bytes() == second.read_bytes()

    items = expenses(tmp_path)
    receipts = {
        f"kvitton/{receipt_entry_name(item, file, index)}": file
        for item in items
        for index, file in enumerate(item.receipts, start=1)
    }
    with zipfile.ZipFile(first) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == built["names"]
        assert names == [
            "utlagg.csv",
            *receipts,
            "loneunderlag.xml",
            "loneunderlag.csv",
            "LASMIG.txt",
        ]
        for info in archive.infolist():
            assert info.date_time == (2026, 3, 31, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.create_system == 3
        for name, file in receipts.items():
            content = archive.read(name)
            assert content == file.path.read_bytes()
            assert hashlib.sha256(content).hexdigest() == file.sha256
        rows = read_csv(archive.read("utlagg.csv"), ";")
        listed = {name for row in rows[1 : 1 + len(items)] for name in row[-1].split(" | ") if name}
        assert listed == set(receipts)
        document = read_paxml(io.BytesIO(archive.read("loneunderlag.xml")))
        assert len(document.lonetrans) + len(document.tidtrans) == len(generated_basis())
        basis_rows = read_csv(archive.read("loneunderlag.csv"), ";")
        assert len(basis_rows) == len(generated_basis()) + 1
    assert built["paxml"].lonetrans_count == len(document.lonetrans)  # type: ignore[attr-defined]


def test_the_zip_depends_on_its_time_stamp_and_content(tmp_path: Path) -> None:
    def archive_bytes(stamp: date, content: bytes) -> bytes:
        target = tmp_path / "a.zip"
        with DeterministicZip(target, timestamp=stamp) as archive:
            archive.add_bytes("a.txt", content)
        return target.read_bytes()

    base = archive_bytes(date(2026, 3, 31), b"a")
    assert archive_bytes(date(2026, 3, 31), b"a") == base
    assert archive_bytes(date(2026, 4, 30), b"a") != base
    assert archive_bytes(date(2026, 3, 31), b"b") != base
    with DeterministicZip(tmp_path / "b.zip") as archive:
        archive.add_bytes("a.txt", b"a")
    with zipfile.ZipFile(tmp_path / "b.zip") as opened:
        assert opened.getinfo("a.txt").date_time == (1980, 1, 1, 0, 0, 0)
    with pytest.raises(ValueError):
        DeterministicZip(tmp_path / "c.zip", timestamp=date(1979, 12, 31))


@pytest.mark.parametrize(
    "name", ["", "/etc/passwd", "../a", "a/../../b", "a\\b", "a//b", "./a", "a/", "a\x00b", "a\nb"]
)
def test_unsafe_entry_names_are_refused(tmp_path: Path, name: str) -> None:
    with DeterministicZip(tmp_path / "a.zip") as archive, pytest.raises(ValueError):
        archive.add_bytes(name, b"x")


def test_entry_names_are_unique(tmp_path: Path) -> None:
    with DeterministicZip(tmp_path / "a.zip") as archive:
        archive.add_bytes("kvitton/Åsa.pdf", b"x")
        with pytest.raises(ValueError, match="already"):
            archive.add_bytes("kvitton/Åsa.pdf", b"y")
        with pytest.raises(ValueError, match="already"):
            archive.add_bytes("KVITTON/åsa.pdf", b"y")
    with zipfile.ZipFile(tmp_path / "a.zip") as opened:
        assert opened.namelist() == ["kvitton/Åsa.pdf"]
        assert opened.getinfo("kvitton/Åsa.pdf").flag_bits & 0x800  # UTF-8 name


# --- the firm's batch -----------------------------------------------------------------------


def test_client_folder_names() -> None:
    assert client_folder_name(ExportCompany("5561231234", "Åkeriet i Göteborg AB")) == (
        "556123-1234_Åkeriet-i-Göteborg-AB"
    )
    assert client_folder_name(ExportCompany("556123-1234", "../../")) == "556123-1234"
    long = client_folder_name(ExportCompany("5561231234", "Ö" * 300))
    assert len(long) <= 80 and "/" not in long
    with pytest.raises(ValueError):
        client_folder_name(ExportCompany("12345", "AB"))


def test_the_manifest_reads_back() -> None:
    entries = [
        ManifestEntry(
            "556123-1234",
            "Åkeriet i Göteborg AB",
            ManifestStatus.EXPORTED,
            None,
            "556123-1234_Åkeriet-i-Göteborg-AB/loneunderlag.xml",
            27,
            Decimal("18234.50"),
        ),
        ManifestEntry(
            "556677-8899", "=Farligt AB", ManifestStatus.SKIPPED, SkipReason.PERIOD_NOT_LOCKED
        ),
        ManifestEntry("559988-7766", "Tomt AB", "SKIPPED", "NO_LINES"),
    ]
    out = io.BytesIO()
    assert write_manifest_csv(out, entries) == 3
    rows = read_csv(out.getvalue(), ";")
    assert rows[0] == [name for name, _ in MANIFEST_CSV_COLUMNS]
    assert rows[1] == [
        "556123-1234",
        "Åkeriet i Göteborg AB",
        "EXPORTED",
        "",
        "556123-1234_Åkeriet-i-Göteborg-AB/loneunderlag.xml",
        "27",
        "18234,50",
    ]
    assert rows[2] == ["556677-8899", "'=Farligt AB", "SKIPPED", "PERIOD_NOT_LOCKED", "", "0", ""]
    assert rows[3][2:4] == ["SKIPPED", "NO_LINES"]
    with pytest.raises(ValueError, match="manifest status"):
        write_manifest_csv(io.BytesIO(), [ManifestEntry("1", "A", "DONE")])
