"""PAXml 2.0 export (and reader): what we write validates against the published XSD, reads back
with the same values, and reconciles with the payroll basis to the öre and the hour.

The XSD and the sample files are not copied into the repository: they are read from
`../shared/paxml` beside the checkout, and these tests skip when it is not there.
"""

from __future__ import annotations

import io
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import ExpenseKind, ExpenseStatus, mileage_amount
from gql_portal.domain.exports import ExportCompany, ExportEmployee, ExportLine
from gql_portal.domain.paxml import (
    PaxmlDocument,
    read_paxml,
    validate_paxml,
    write_paxml,
    xml_text,
)
from gql_portal.domain.payroll import (
    BasisAbsence,
    BasisEmployee,
    BasisExpense,
    BasisTimeCode,
    BasisTimeEntry,
    compute_basis,
)
from gql_portal.domain.time import DEFAULT_TIME_CODES, PAXML_TIME_CODES, TimeCodeKind, Unit

PAXML_DIR = Path(__file__).parents[1].parent / "shared" / "paxml"
VALID_SAMPLES = (
    "sample_01.xml",
    "demo_2022-10.xml",
    "workify_time_export.xml",
    "salary_export.xml",
)
COMPANY = ExportCompany("5561231234", "Åkeriet i Göteborg AB")
EXPORTED = date(2026, 4, 1)


@pytest.fixture(scope="module")
def xsd() -> Path:
    path = PAXML_DIR / "paxml-2.0.xsd"
    if not path.is_file():
        pytest.skip(f"the PAXml 2.0 schema is not at {path} (../shared/paxml beside the checkout)")
    return path


def sample(name: str) -> Path:
    path = PAXML_DIR / name
    if not path.is_file():
        pytest.skip(f"the PAXml sample {name} is not in {PAXML_DIR}")
    return path


# --- a generated basis ----------------------------------------------------------------------

# The defaults, and a custom WORK code reported as PAXml TID.
TIME_CODES = (
    *(
        BasisTimeCode(index + 1, c.code, c.name, c.kind, c.paxml_code, c.pay_type, c.unit)
        for index, c in enumerate(DEFAULT_TIME_CODES)
    ),
    BasisTimeCode(99, "TID", "Tid utan arbetsplats", TimeCodeKind.WORK, "TID", "101", Unit.HOURS),
)
CODE_ID = {code.code: code.id for code in TIME_CODES}

ANNA = ExportEmployee("1007", "198503121236", "Anna", "Svensson")  # monthly
LUKASZ = ExportEmployee("1008", "199001721238", "Łukasz", "Östlund")  # hourly; samordningsnummer
ASA = ExportEmployee("2003", "197011302385", "Åsa", "Ängström-Öhman")  # monthly; expenses
EMPLOYEES = (ANNA, LUKASZ, ASA)
NUMBERS = {1: ANNA.employee_number, 2: LUKASZ.employee_number, 3: ASA.employee_number}


def weekdays(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def generated_basis() -> list[ExportLine]:
    """March 2026 through the real `compute_basis`, the lines a file carries: worked time
    (monthly: ARB beyond the schedule, overtime ÖT1; the scheduled TID hours are informational
    and left out), vacation (SEM, counted in days), sickness (SJK), VAB at 50 %, an hourly
    employee's TIMLÖN hours, an expense (UTLÄGG, lonart 810 from the pay-type table) and
    mileage (MILPRI_FRI, no lonart: the lonkod alone)."""
    employees = [
        BasisEmployee(1, salary_form=SalaryForm.MONTHLY, salary_amount=Decimal("42000.00")),
        BasisEmployee(2, salary_form=SalaryForm.HOURLY, salary_amount=Decimal("185.50")),
        BasisEmployee(3, salary_form=SalaryForm.MONTHLY, salary_amount=Decimal("38500.00")),
    ]
    entries: list[BasisTimeEntry] = []

    def work(employee: int, code: str, days: Iterator[date], hours: str) -> None:
        for day in days:
            entries.append(
                BasisTimeEntry(len(entries) + 1, employee, day, Decimal(hours), CODE_ID[code])
            )

    work(1, "ARB", weekdays(date(2026, 3, 2), date(2026, 3, 13)), "8")
    work(1, "OT1", iter([date(2026, 3, 4), date(2026, 3, 11)]), "2.5")
    work(1, "ARB", iter([date(2026, 3, 7)]), "3")  # a Saturday: outside the schedule
    work(2, "ARB", weekdays(date(2026, 3, 2), date(2026, 3, 13)), "7.75")
    work(2, "TID", iter([date(2026, 3, 9)]), "1.25")
    work(2, "OT1", iter([date(2026, 3, 10)]), "0.25")
    work(3, "ARB", weekdays(date(2026, 3, 2), date(2026, 3, 6)), "8")
    mondays = (date(2026, 3, 2), date(2026, 3, 9))
    attested = {(employee, monday) for employee in (1, 2, 3) for monday in mondays}
    absences = [
        BasisAbsence(
            1,
            1,
            AbsenceKind.VACATION,
            date(2026, 3, 16),
            date(2026, 3, 18),
            Decimal(100),
            AbsenceStatus.APPROVED,
        ),
        BasisAbsence(
            2,
            1,
            AbsenceKind.SICK,
            date(2026, 3, 19),
            date(2026, 3, 19),
            Decimal(100),
            AbsenceStatus.APPROVED,
        ),
        BasisAbsence(
            3,
            2,
            AbsenceKind.VAB,
            date(2026, 3, 16),
            date(2026, 3, 17),
            Decimal(50),
            AbsenceStatus.APPROVED,
        ),
    ]
    expenses = [
        BasisExpense(
            1,
            3,
            ExpenseKind.EXPENSE,
            date(2026, 3, 14),
            "Tåg Göteborg–Stockholm",
            Decimal("1234.50"),
            ExpenseStatus.APPROVED,
        ),
        BasisExpense(
            2,
            3,
            ExpenseKind.MILEAGE,
            date(2026, 3, 20),
            "Kundbesök i Borås",
            mileage_amount(Decimal("123.40"), Decimal("25.00")),
            ExpenseStatus.APPROVED,
            distance_km=Decimal("123.40"),
            rate_per_mil=Decimal("25.00"),
        ),
    ]
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    bases = compute_basis(
        start,
        end,
        employees,
        entries,
        attested,
        absences,
        expenses,
        TIME_CODES,
        [],
        pay_types={"UTLÄGG": "810", "TIMLÖN": "011"},
    )
    return [
        ExportLine.from_basis(line, NUMBERS[basis.employee_id])
        for basis in bases
        for line in basis.lines
        if not line.informational
    ]


def write(lines: list[ExportLine], encoding: str = "UTF-8", **options: object) -> bytes:
    out = io.BytesIO()
    write_paxml(
        out,
        company=COMPANY,
        export_date=EXPORTED,
        employees=EMPLOYEES,
        lines=lines,
        encoding=encoding,
        **options,  # type: ignore[arg-type]
    )
    return out.getvalue()


def lonetrans_lines(lines: list[ExportLine]) -> list[ExportLine]:
    return [line for line in lines if line.amount is not None or line.time_code is None]


def tidtrans_lines(lines: list[ExportLine]) -> list[ExportLine]:
    return [line for line in lines if line.amount is None and line.time_code is not None]


def assert_matches(document: PaxmlDocument, lines: list[ExportLine]) -> None:
    """Every line once, in its section, with its values; postid 1..n in output order."""
    persnr = {employee.employee_number: employee.personnummer for employee in EMPLOYEES}
    pay, time = lonetrans_lines(lines), tidtrans_lines(lines)
    assert len(document.lonetrans) == len(pay)
    assert len(document.tidtrans) == len(time)
    for pay_trans, line in zip(document.lonetrans, pay, strict=True):
        assert (pay_trans.anstid, pay_trans.persnr) == (
            line.employee_number,
            persnr[line.employee_number],
        )
        assert (pay_trans.lonart, pay_trans.lonkod) == (line.pay_type or None, line.code)
        assert pay_trans.benamning == (xml_text(line.description) or None)
        assert pay_trans.datum == line.date
        assert pay_trans.antal == line.quantity
        assert pay_trans.apris == line.unit_price
        assert pay_trans.belopp == line.amount
    for time_trans, line in zip(document.tidtrans, time, strict=True):
        assert (time_trans.anstid, time_trans.persnr) == (
            line.employee_number,
            persnr[line.employee_number],
        )
        assert time_trans.tidkod == line.time_code
        assert time_trans.datum == line.date
        if line.hours is not None:
            assert (time_trans.timmar, time_trans.omfattning) == (line.hours, None)
        elif line.extent_percent is not None:
            assert (time_trans.timmar, time_trans.omfattning) == (None, line.extent_percent)
        elif line.unit == "DAYS":
            assert (time_trans.timmar, time_trans.omfattning) == (None, line.quantity * 100)
        else:
            assert (time_trans.timmar, time_trans.omfattning) == (line.quantity, None)
    postids = [t.postid for t in document.lonetrans] + [t.postid for t in document.tidtrans]
    assert postids == list(range(1, len(lines) + 1))


# --- the time codes -------------------------------------------------------------------------


def test_every_time_code_we_use_is_in_the_schema(xsd: Path) -> None:
    schema = etree.parse(str(xsd))
    enumeration = {
        value.get("value")
        for value in schema.iterfind(
            ".//{*}simpleType[@name='tidkodTYPE']/{*}restriction/{*}enumeration"
        )
    }
    assert "ÖT1" in enumeration  # read as ISO-8859-1, as the schema declares
    assert enumeration == PAXML_TIME_CODES
    assert {code.paxml_code for code in DEFAULT_TIME_CODES} <= enumeration
    assert {"ARB", "TID", "ÖT1", "SEM", "SJK", "VAB", "FLX"} <= enumeration


# --- writing --------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1"])
def test_a_generated_basis_validates_and_reads_back(xsd: Path, encoding: str) -> None:
    lines = generated_basis()
    sources = {line.source for line in lines}
    codes = {line.time_code for line in lines}
    assert sources == {"TIME", "ABSENCE", "EXPENSE", "MILEAGE"}
    assert {"ARB", "ÖT1", "SEM", "SJK", "VAB"} <= codes and "TID" not in codes
    assert {line.code for line in lonetrans_lines(lines)} == {"TIMLÖN", "UTLÄGG", "MILPRI_FRI"}
    assert any(line.extent_percent == 50 for line in lines)
    assert any(line.code == "TIMLÖN" and line.unit_price is not None for line in lines)

    out = io.BytesIO()
    totals = write_paxml(
        out,
        company=COMPANY,
        export_date=EXPORTED,
        employees=EMPLOYEES,
        lines=iter(lines),  # consumed once
        encoding=encoding,
    )
    data = out.getvalue()

    assert validate_paxml(data, xsd) == []
    assert data.startswith(f'<?xml version="1.0" encoding="{encoding}"?>\n<paxml '.encode())
    root = etree.fromstring(data)
    assert root.tag == "paxml" and None not in root.nsmap
    assert root.get("{http://www.w3.org/2001/XMLSchema-instance}noNamespaceSchemaLocation") == (
        "http://www.paxml.se/2.0/paxml.xsd"
    )
    assert [child.tag for child in root] == [
        "header",
        "personal",
        "lonetransaktioner",
        "tidtransaktioner",
    ]
    if encoding == "ISO-8859-1":
        assert b"&#321;ukasz" in data and "Åsa".encode("latin-1") in data
        data.decode("latin-1")
    else:
        assert "Łukasz".encode() in data

    document = read_paxml(io.BytesIO(data))
    header = document.header
    assert (header.format, header.version) == ("LÖNIN", "2.0")
    assert header.datum == datetime(2026, 4, 1)
    assert (header.foretagorgnr, header.foretagnamn) == ("556123-1234", COMPANY.name)
    assert header.programnamn == "gql-portal"
    assert [(p.anstid, p.persnr, p.fornamn, p.efternamn) for p in document.persons] == [
        (e.employee_number, e.personnummer, e.first_name, e.last_name) for e in EMPLOYEES
    ]
    assert_matches(document, lines)

    # Reconciles with the basis: money to the öre, hours per time code.
    amounts = sum(line.amount for line in lines if line.amount is not None)
    assert sum(t.belopp for t in document.lonetrans if t.belopp is not None) == amounts
    assert totals.belopp_total == amounts
    hours: dict[str, Decimal] = defaultdict(Decimal)
    for line in tidtrans_lines(lines):
        assert line.time_code is not None and line.hours is not None
        hours[line.time_code] += line.hours
    read_hours: dict[str, Decimal] = defaultdict(Decimal)
    for trans in document.tidtrans:
        read_hours[trans.tidkod] += trans.timmar or 0
    assert totals.hours_by_tidkod == dict(hours) == dict(read_hours)
    assert totals.hours_by_tidkod["SEM"] == Decimal("24.00")  # 3 days, in hours
    assert totals.hours_by_tidkod["VAB"] == Decimal("8.00")  # 2 days at 50 %
    assert (totals.lonetrans_count, totals.tidtrans_count) == (
        len(lonetrans_lines(lines)),
        len(tidtrans_lines(lines)),
    )


def test_absence_is_in_hours_and_never_hours_with_an_extent(xsd: Path) -> None:
    """The specification: omfattning must not be combined with timmar."""
    data = write(generated_basis())
    root = etree.fromstring(data)
    vab = [t for t in root.iter("tidtrans") if t.findtext("tidkod") == "VAB"]
    assert vab and all(t.findtext("timmar") == "4.00" for t in vab)
    assert not root.xpath("//tidtrans[timmar and omfattning]")


def test_lines_without_hours_give_the_extent(xsd: Path) -> None:
    day = date(2026, 3, 2)
    lines = [
        ExportLine(
            "1007",
            day,
            "420",
            "VAB",
            "VAB",
            Decimal("4"),
            "HOURS",
            None,
            None,
            "ABSENCE",
            extent_percent=Decimal("50.00"),
        ),
        ExportLine(
            "1007", day, "510", "Semester", "SEM", Decimal("0.50"), "DAYS", None, None, "ABSENCE"
        ),
        ExportLine(
            "1007", day, "440", "Tjänstledig", "TJL", Decimal("3.5"), "HOURS", None, None, "ABSENCE"
        ),
        ExportLine("1007", day, "999", "Antal", None, Decimal("2"), "PIECES", None, None, "TIME"),
    ]
    data = write(lines)
    assert validate_paxml(data, xsd) == []
    document = read_paxml(io.BytesIO(data))
    assert [(t.tidkod, t.timmar, t.omfattning) for t in document.tidtrans] == [
        ("VAB", None, Decimal(50)),
        ("SEM", None, Decimal(50)),
        ("TJL", Decimal("3.5"), None),
    ]
    # Neither money nor time code: a lonetrans with antal only.
    (only,) = document.lonetrans
    assert (only.lonart, only.antal, only.apris, only.belopp) == ("999", 2, None, None)


def test_the_same_input_gives_the_same_bytes() -> None:
    lines = generated_basis()
    assert write(lines) == write(list(lines))
    assert write(lines, "ISO-8859-1") == write(lines, "ISO-8859-1")


def test_sections_without_transactions_are_left_out(xsd: Path) -> None:
    lines = generated_basis()
    for subset, sections in [
        ([], ["header", "personal"]),
        (lonetrans_lines(lines), ["header", "personal", "lonetransaktioner"]),
        (tidtrans_lines(lines), ["header", "personal", "tidtransaktioner"]),
    ]:
        data = write(subset)
        assert [child.tag for child in etree.fromstring(data)] == sections
        assert validate_paxml(data, xsd) == []
    data = write(lines, include_personal=False)
    assert "personal" not in [child.tag for child in etree.fromstring(data)]
    assert validate_paxml(data, xsd) == []


def test_the_export_date_as_a_date_time(xsd: Path) -> None:
    moment = datetime(2026, 4, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    for when, written in [
        (moment, "2026-04-01T09:30:15+02:00"),
        (moment.astimezone(UTC).replace(tzinfo=None), "2026-04-01T07:30:15"),
        (date(2026, 4, 1), "2026-04-01T00:00:00"),
    ]:
        out = io.BytesIO()
        write_paxml(out, company=COMPANY, export_date=when, employees=EMPLOYEES, lines=[])
        assert etree.fromstring(out.getvalue()).findtext("header/datum") == written
        assert validate_paxml(out.getvalue(), xsd) == []


def test_numbers_are_plain_decimals(xsd: Path) -> None:
    line = ExportLine(
        "1007",
        date(2026, 3, 2),
        "999",
        "x",
        None,
        Decimal("1E+2"),
        None,
        Decimal("1E-7"),
        Decimal("-12.50"),
        "EXPENSE",
    )
    data = write([line])
    trans = etree.fromstring(data).find("lonetransaktioner/lonetrans")
    assert trans is not None
    assert [trans.findtext(tag) for tag in ("antal", "apris", "belopp")] == [
        "100",
        "0.0000001",
        "-12.50",
    ]
    assert validate_paxml(data, xsd) == []


def test_the_organisation_number_is_written_with_a_dash() -> None:
    for written in ("5561231234", "556123-1234"):
        out = io.BytesIO()
        write_paxml(
            out,
            company=ExportCompany(written, "AB"),
            export_date=EXPORTED,
            employees=[],
            lines=[],
        )
        assert etree.fromstring(out.getvalue()).findtext("header/foretagorgnr") == "556123-1234"
    with pytest.raises(ValueError, match="organisation number"):
        write_paxml(
            io.BytesIO(),
            company=ExportCompany("55612312", "AB"),
            export_date=EXPORTED,
            employees=[],
            lines=[],
        )


@pytest.mark.parametrize("persnr", ["8503121236", "19850312-1236", "1985031212361", "19850312123X"])
def test_a_personnummer_that_is_not_12_digits_is_refused(persnr: str) -> None:
    employees = [ANNA, ExportEmployee("77", persnr, "Fel", "Nummer")]
    with pytest.raises(ValueError, match="employee 77"):
        write_paxml(
            io.BytesIO(), company=COMPANY, export_date=EXPORTED, employees=employees, lines=[]
        )


@pytest.mark.parametrize("encoding", ["UTF-16", "no-such-codec", 'UTF-8"?><x'])
def test_an_encoding_we_cannot_declare_is_refused(encoding: str) -> None:
    with pytest.raises(ValueError, match="encoding"):
        write([], encoding)


def test_a_line_of_an_unknown_employee_is_refused() -> None:
    line = ExportLine(
        "4711",
        date(2026, 3, 2),
        "100",
        "Arbete",
        "ARB",
        Decimal(8),
        "HOURS",
        None,
        None,
        "TIME",
        hours=Decimal(8),
    )
    with pytest.raises(ValueError, match="employee 4711"):
        write([line])


def test_a_time_code_outside_paxml_is_refused() -> None:
    line = ExportLine(
        "1007",
        date(2026, 3, 2),
        "100",
        "Arbete",
        "OT1",
        Decimal(8),
        "HOURS",
        None,
        None,
        "TIME",
        hours=Decimal(8),
    )
    with pytest.raises(ValueError, match=r"'OT1' is not a PAXml 2\.0 time code"):
        write([line])


def test_characters_xml_cannot_carry_are_dropped(xsd: Path) -> None:
    line = ExportLine(
        "1007",
        date(2026, 3, 2),
        "810",
        "Lunch\x00\x1b med\tkund\r\n\ufffe",
        None,
        Decimal(1),
        "PIECES",
        Decimal(10),
        Decimal(10),
        "EXPENSE",
    )
    data = write([line])
    assert validate_paxml(data, xsd) == []
    (trans,) = read_paxml(io.BytesIO(data)).lonetrans
    assert trans.benamning == "Lunch med\tkund\r\n"


# --- reading other systems' files -----------------------------------------------------------


@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_the_samples_validate_and_read(xsd: Path, name: str) -> None:
    path = sample(name)
    assert validate_paxml(path, xsd) == []
    document = read_paxml(path)
    assert document.header.version == "2.0"
    assert document.header.format == "LÖNIN"
    assert document.lonetrans or document.tidtrans
    for trans in document.tidtrans:
        assert trans.tidkod in PAXML_TIME_CODES
        assert trans.anstid or trans.persnr
    with path.open("rb") as opened:
        assert read_paxml(opened) == document


def test_what_the_samples_hold() -> None:
    first = read_paxml(sample("sample_01.xml"))
    assert first.header.foretagorgnr == "151515-1515"
    assert first.header.foretagnamn == "DEMOBOLAGET"
    assert first.header.programnamn == "Workify"
    assert first.header.datum == datetime(
        2022, 9, 20, 9, 49, 30, 37417, tzinfo=timezone(timedelta(hours=2))
    )
    assert first.tidtrans[0].postid == 69684
    assert (first.tidtrans[0].tidkod, first.tidtrans[0].timmar) == ("ARB", Decimal("8.5"))
    utlagg = next(t for t in first.lonetrans if t.lonkod == "UTLÄGG")
    assert (utlagg.antal, utlagg.apris, utlagg.belopp) == (70, Decimal("22.00"), 1540)
    assert utlagg.kommentar == "Diesel"

    demo = read_paxml(sample("demo_2022-10.xml"))
    assert demo.header.datum is None and demo.header.foretagid == "14610"
    assert [(p.anstid, p.persnr, p.fornamn) for p in demo.persons] == [
        ("002", None, "Arvid"),
        ("001", "198209010001", "Mårten"),
    ]
    assert [(t.lonart, t.belopp) for t in demo.lonetrans] == [("091", None), ("092", 600)]

    salary = read_paxml(sample("salary_export.xml"))  # ISO-8859-1; its koder, dimensioner,
    # resultatenheter and resenheter: tests/test_paxml_roundtrip.py
    assert salary.header.foretagnamn == "Palm AB"
    assert any(t.tidkod == "ÖT1" for t in salary.tidtrans)


def test_a_file_that_does_not_validate(xsd: Path) -> None:
    errors = validate_paxml(sample("sample_02.xml"), xsd)
    assert errors and any("tidpunkt" in error for error in errors)
    assert validate_paxml(b"<paxml><header>", xsd)[0].startswith("not well-formed")
    assert validate_paxml(b"<paxml><header/></paxml>", xsd)  # no version


def test_the_reader_resolves_no_entities(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    data = (
        f'<?xml version="1.0"?><!DOCTYPE paxml [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<paxml><header><version>2.0</version><foretagnamn>&x;</foretagnamn></header></paxml>"
    ).encode()
    document = read_paxml(io.BytesIO(data))
    assert "secret" not in (document.header.foretagnamn or "")


def test_the_reader_refuses_what_is_not_paxml() -> None:
    with pytest.raises(ValueError, match="well-formed"):
        read_paxml(io.BytesIO(b"<paxml>"))
    with pytest.raises(ValueError, match="root"):
        read_paxml(io.BytesIO(b"<other><header/></other>"))
    with pytest.raises(ValueError, match="not a decimal"):
        read_paxml(
            io.BytesIO(
                b"<paxml><header><version>2.0</version></header><lonetransaktioner>"
                b"<lonetrans><lonart>1</lonart><belopp>1E5</belopp></lonetrans>"
                b"</lonetransaktioner></paxml>"
            )
        )


# --- any basis ------------------------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
CENTS = st.decimals(Decimal("-99999.99"), Decimal("99999.99"), places=2)


@st.composite
def baskets(draw: st.DrawFn) -> tuple[list[ExportEmployee], list[ExportLine]]:
    count = draw(st.integers(1, 4))
    employees = [
        ExportEmployee(
            f"{index}{draw(st.from_regex(r'[A-Za-z0-9]{0,4}', fullmatch=True))}",
            draw(st.from_regex(r"(19|20)[0-9]{10}", fullmatch=True)),
            draw(TEXT),
            draw(TEXT),
        )
        for index in range(1, count + 1)
    ]
    lines = []
    for _ in range(draw(st.integers(0, 25))):
        time_code = draw(st.none() | st.sampled_from(sorted(PAXML_TIME_CODES)))
        unit = draw(st.sampled_from(["HOURS", "DAYS", "KILOMETRES", "PIECES", None]))
        hours = draw(st.none() | st.decimals(Decimal("0"), Decimal("24"), places=2))
        extent = draw(st.none() | st.decimals(Decimal("0.01"), Decimal("100"), places=2))
        quantity = draw(
            st.decimals(Decimal("0.01"), Decimal("1.00"), places=2)
            if unit == "DAYS"
            else st.decimals(Decimal("0"), Decimal("9999.99"), places=2)
        )
        lines.append(
            ExportLine(
                employee_number=draw(st.sampled_from(employees)).employee_number,
                date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
                pay_type=draw(st.from_regex(r"[0-9A-Z]{1,4}", fullmatch=True)),
                description=draw(TEXT),
                time_code=time_code,
                quantity=quantity,
                unit=unit,
                unit_price=draw(st.none() | CENTS),
                amount=draw(st.none() | CENTS),
                source=draw(st.sampled_from(["TIME", "ABSENCE", "EXPENSE", "MILEAGE"])),
                hours=hours,
                extent_percent=extent,
            )
        )
    return employees, lines


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(basket=baskets(), encoding=st.sampled_from(["UTF-8", "ISO-8859-1"]))
def test_any_basis_validates_and_reads_back(
    xsd: Path, basket: tuple[list[ExportEmployee], list[ExportLine]], encoding: str
) -> None:
    employees, lines = basket
    out = io.BytesIO()
    totals = write_paxml(
        out,
        company=COMPANY,
        export_date=EXPORTED,
        employees=employees,
        lines=lines,
        encoding=encoding,
    )
    assert validate_paxml(out.getvalue(), xsd) == []
    document = read_paxml(io.BytesIO(out.getvalue()))
    assert [(p.anstid, p.persnr, p.fornamn, p.efternamn) for p in document.persons] == [
        (e.employee_number, e.personnummer, xml_text(e.first_name), xml_text(e.last_name))
        for e in employees
    ]
    persnr = {e.employee_number: e.personnummer for e in employees}
    pay = lonetrans_lines(lines)
    time = tidtrans_lines(lines)
    assert [
        (t.anstid, t.persnr, t.lonart, t.benamning, t.datum, t.antal, t.apris, t.belopp)
        for t in document.lonetrans
    ] == [
        (
            line.employee_number,
            persnr[line.employee_number],
            line.pay_type,
            xml_text(line.description) or None,
            line.date,
            line.quantity,
            line.unit_price,
            line.amount,
        )
        for line in pay
    ]
    assert [(t.anstid, t.tidkod, t.datum) for t in document.tidtrans] == [
        (line.employee_number, line.time_code, line.date) for line in time
    ]
    for trans, line in zip(document.tidtrans, time, strict=True):
        assert (trans.timmar is None) != (trans.omfattning is None)
        if line.hours is not None:
            assert trans.timmar == line.hours
    assert totals.belopp_total == sum(line.amount for line in lines if line.amount is not None)
    postids = [t.postid for t in document.lonetrans] + [t.postid for t in document.tidtrans]
    assert postids == list(range(1, len(lines) + 1))


# --- memory ---------------------------------------------------------------------------------


class CountingFile(io.RawIOBase):
    """A file that counts the bytes written through it: to see that output streams."""

    def __init__(self, target: io.BufferedWriter) -> None:
        self.target = target
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.written += len(data)
        return self.target.write(data)


def many_lines(count: int, seen: list[int], out: CountingFile) -> Iterator[ExportLine]:
    """A generator: the lines exist one at a time, as when streamed from the database. A
    quarter are priced (lonetrans), the rest time (tidtrans). Before its last line it notes
    how much output has been written so far."""
    start = date(2026, 1, 1)
    employees = [employee.employee_number for employee in EMPLOYEES]
    codes = ("SJK", "ARB", "ÖT1")
    for index in range(count):
        day = start + timedelta(days=index % 365)
        number = employees[index % 3]
        if index == count - 1:
            seen.append(out.written)
        if index % 4 == 0:
            yield ExportLine(
                number,
                day,
                "100",
                "Arbetad tid",
                "ARB",
                Decimal("7.75"),
                "HOURS",
                Decimal("185.50"),
                Decimal("1437.63"),
                "TIME",
                hours=Decimal("7.75"),
            )
        else:
            code = codes[index % 4 - 1]
            yield ExportLine(
                number,
                day,
                "410",
                "Tid",
                code,
                Decimal("8.00"),
                "HOURS",
                None,
                None,
                "ABSENCE" if code == "SJK" else "TIME",
                hours=Decimal("8.00"),
                extent_percent=Decimal("100") if code == "SJK" else None,
            )


def test_writing_100k_lines_keeps_memory_flat(tmp_path: Path) -> None:
    """tracemalloc sees Python's allocations (lines, records, buffers), not libxml2's: so the
    output is also checked to flow while the lines are still being read."""
    count = 100_000
    target = tmp_path / "big.xml"
    seen: list[int] = []
    tracemalloc.start()
    try:
        with target.open("wb") as file:
            out = CountingFile(file)
            totals = write_paxml(
                out,  # type: ignore[arg-type]
                company=COMPANY,
                export_date=EXPORTED,
                employees=EMPLOYEES,
                lines=many_lines(count, seen, out),
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (totals.lonetrans_count, totals.tidtrans_count) == (count // 4, count - count // 4)
    assert peak < 2 * 1024 * 1024, f"peak {peak} bytes"
    # The lonetrans (over 5 MB) were out before the last line was read.
    size = target.stat().st_size
    assert seen and seen[0] > size // 5, (seen, size)
    assert sum(totals.hours_by_tidkod.values()) == (count - count // 4) * 8
    # And the file is all there: the last transaction has the last postid.
    with target.open("rb") as written:
        written.seek(-600, 2)
        assert f'postid="{count}"'.encode() in written.read()
