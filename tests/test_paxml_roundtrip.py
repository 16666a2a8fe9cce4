"""PAXml 2.0, the file side of issue 13: the writer carries every field a payroll program needs
(lonkod with lonart, moms, resenheter, starttid/sluttid, stable postid, nyexport, ISO-8859-1), and
the reader loses nothing: every published sample that validates reads, writes back with
`write_document` and reads again to the same document; our own files read back as the lines they
came from.

The XSD and the samples are read from `../shared/paxml` beside the checkout; the tests that need
them skip, naming the path, when it is not there.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gql_portal.domain.exports import ExportCompany, ExportEmployee, ExportLine
from gql_portal.domain.paxml import (
    PaxmlCode,
    PaxmlDimension,
    PaxmlDocument,
    PaxmlHeader,
    PaxmlLonetrans,
    PaxmlPerson,
    PaxmlResultUnit,
    PaxmlSchedule,
    PaxmlScheduleDay,
    PaxmlTidtrans,
    ReExport,
    read_paxml,
    validate_paxml,
    write_document,
    write_paxml,
    xml_text,
)
from gql_portal.domain.paytypes import LONKOD
from gql_portal.domain.time import PAXML_TIME_CODES

PAXML_DIR = Path(__file__).parents[1].parent / "shared" / "paxml"
VALID_SAMPLES = (
    "sample_01.xml",
    "demo_2022-10.xml",
    "workify_time_export.xml",
    "salary_export.xml",
)
ENCODINGS = ("UTF-8", "ISO-8859-1")
COMPANY = ExportCompany("5561231234", "Åkeriet i Göteborg AB")
EXPORTED = date(2026, 4, 1)
ANNA = ExportEmployee("1007", "198503121236", "Anna", "Svensson")
LUKASZ = ExportEmployee("1008", "199001721238", "Łukasz", "Östlund")
EMPLOYEES = (ANNA, LUKASZ)
PERSNR = {employee.employee_number: employee.personnummer for employee in EMPLOYEES}
CET = timezone(timedelta(hours=1))


@pytest.fixture(scope="module")
def xsd() -> Path:
    path = PAXML_DIR / "paxml-2.0.xsd"
    if not path.is_file():
        pytest.skip(f"the PAXml 2.0 schema is not at {path} (../shared/paxml beside the checkout)")
    return path


def sample(name: str) -> Path:
    path = PAXML_DIR / name
    if not path.is_file():
        pytest.skip(f"the PAXml sample {name} is not in {PAXML_DIR} (../shared/paxml)")
    return path


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


def rewritten(document: PaxmlDocument, encoding: str = "UTF-8") -> bytes:
    out = io.BytesIO()
    write_document(out, document, encoding=encoding)
    return out.getvalue()


def line(**fields: object) -> ExportLine:
    """A line of Anna's on 2 March 2026; `fields` override."""
    values: dict[str, object] = {
        "employee_number": ANNA.employee_number,
        "date": date(2026, 3, 2),
        "pay_type": "",
        "description": "",
        "time_code": None,
        "quantity": Decimal(1),
        "unit": None,
        "unit_price": None,
        "amount": None,
        "source": "TIME",
    }
    values.update(fields)
    return ExportLine(**values)  # type: ignore[arg-type]


# --- today's lines are written as before ------------------------------------------------------

# A basis without any of the new fields, and the SHA-256 of what the writer made of it before
# the new fields existed (commit f23ebf1): callers that do not use them get the same bytes.
PLAIN_BASIS = [
    line(
        employee_number="1008",
        pay_type="100",
        description="Arbetad tid",
        time_code="ARB",
        quantity=Decimal("7.75"),
        unit="HOURS",
        unit_price=Decimal("185.50"),
        amount=Decimal("1437.63"),
        hours=Decimal("7.75"),
    ),
    line(pay_type="810", description="Tåg Göteborg–Stockholm", amount=Decimal("1234.50")),
    line(pay_type="310", description="Övertid", time_code="ÖT1", hours=Decimal("2.5")),
    line(
        pay_type="420",
        description="VAB",
        time_code="VAB",
        unit="HOURS",
        source="ABSENCE",
        extent_percent=Decimal(50),
    ),
    line(pay_type="510", time_code="SEM", quantity=Decimal("0.5"), unit="DAYS"),
]
PLAIN_DIGESTS = {
    "UTF-8": "8e4260a75c567ef1db5ff22d74b524f78494d43a77a85d16d6d58be6ea77936a",
    "ISO-8859-1": "c5d76aa459931f1cfb85630b4128575c4c0314700c24cfd63e0568135125d078",
}


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_lines_without_the_new_fields_give_the_same_bytes_as_before(encoding: str) -> None:
    assert hashlib.sha256(write(PLAIN_BASIS, encoding)).hexdigest() == PLAIN_DIGESTS[encoding]


# --- the writer's new fields ----------------------------------------------------------------

EXPENSE = line(
    pay_type="",
    code="UTLÄGG",
    description="Hotell Malmö",
    amount=Decimal("1120.00"),
    vat=Decimal("120.00"),
    dimensions=((6, "P-17"),),
    source="EXPENSE",
    postid=9001,
)
MILEAGE = line(
    pay_type="7311",
    code="MILPRI_FRI",
    description="Kundbesök i Borås",
    quantity=Decimal("12.34"),
    unit_price=Decimal("25.00"),
    amount=Decimal("308.50"),
    source="MILEAGE",
    postid=9002,
)
NIGHT = line(
    employee_number="1008",
    pay_type="351",
    time_code="OB2",
    code="OB2",
    quantity=Decimal("3.5"),
    unit="HOURS",
    hours=Decimal("3.5"),
    start=datetime(2026, 3, 2, 22, 0),
    end=datetime(2026, 3, 3, 1, 30),
    dimensions=((1, "100"), (6, "P-17")),
    postid=9003,
)
HOURLY = line(
    employee_number="1008",
    pay_type="",
    code="TIMLÖN",
    quantity=Decimal("7.75"),
    unit="HOURS",
    postid=9004,
)


def test_money_lines_carry_lonkod_lonart_moms_and_resenheter(xsd: Path) -> None:
    data = write([EXPENSE, MILEAGE, HOURLY])
    assert validate_paxml(data, xsd) == []
    expense, mileage, hourly = etree.fromstring(data).iterfind("lonetransaktioner/lonetrans")
    assert [child.tag for child in expense] == [
        "lonkod",
        "benamning",
        "datum",
        "antal",
        "belopp",
        "moms",
        "resenheter",
    ]
    assert expense.findtext("lonkod") == "UTLÄGG" and expense.find("lonart") is None
    assert expense.findtext("moms") == "120.00"
    assert [dict(unit.attrib) for unit in expense.iterfind("resenheter/resenhet")] == [
        {"dim": "6", "id": "P-17"}
    ]
    assert (mileage.findtext("lonkod"), mileage.findtext("lonart")) == ("MILPRI_FRI", "7311")
    # Hours the payroll program prices: a lonkod and antal, no amount of ours.
    assert [(child.tag, child.text) for child in hourly] == [
        ("lonkod", "TIMLÖN"),
        ("datum", "2026-03-02"),
        ("antal", "7.75"),
    ]


def test_time_lines_carry_the_standard_tidkod_clock_times_and_resenheter(xsd: Path) -> None:
    data = write([NIGHT])
    assert validate_paxml(data, xsd) == []
    trans = etree.fromstring(data).find("tidtransaktioner/tidtrans")
    assert trans is not None
    # 22:00-01:30 is its 3.5 hours: the clock times alone (the spec: no datum, no timmar)
    assert [(child.tag, child.text) for child in trans if child.tag != "resenheter"] == [
        ("tidkod", "OB2"),
        ("starttid", "2026-03-02T22:00:00"),
        ("sluttid", "2026-03-03T01:30:00"),
    ]
    assert [(u.get("dim"), u.get("id")) for u in trans.iterfind("resenheter/resenhet")] == [
        ("1", "100"),
        ("6", "P-17"),
    ]
    # Fewer hours than the clock times (a break inside): datum and timmar, so that the program
    # does not count the break as worked.
    data = write([replace(NIGHT, hours=Decimal("3.00"), quantity=Decimal("3.00"))])
    trans = etree.fromstring(data).find("tidtransaktioner/tidtrans")
    assert trans is not None and validate_paxml(data, xsd) == []
    assert [(child.tag, child.text) for child in trans if child.tag != "resenheter"] == [
        ("tidkod", "OB2"),
        ("datum", "2026-03-02"),
        ("timmar", "3.00"),
    ]
    # `code` is the standard code, whatever the company's own time code says.
    data = write([replace(NIGHT, time_code="TID", code="OB3")])
    assert etree.fromstring(data).findtext("tidtransaktioner/tidtrans/tidkod") == "OB3"


def test_postid_is_the_lines_own_so_a_re_export_repeats_it(xsd: Path) -> None:
    lines = [EXPENSE, NIGHT, MILEAGE]
    first = read_paxml(io.BytesIO(write(lines)))
    again = read_paxml(io.BytesIO(write(lines[1:])))  # one transaction fewer, the rest kept
    assert [t.postid for t in first.lonetrans] + [t.postid for t in first.tidtrans] == [
        9001,
        9002,
        9003,
    ]
    assert [t.postid for t in again.lonetrans] + [t.postid for t in again.tidtrans] == [
        9002,
        9003,
    ]
    # Without postids, the file numbers its transactions 1..n in output order.
    plain = [replace(each, postid=None) for each in lines]
    numbered = read_paxml(io.BytesIO(write(plain)))
    assert [t.postid for t in numbered.lonetrans] + [t.postid for t in numbered.tidtrans] == [
        1,
        2,
        3,
    ]


def test_a_re_export_says_so_in_the_header(xsd: Path) -> None:
    reexport = ReExport(date(2026, 4, 1), date(2026, 3, 1), date(2026, 3, 31))
    data = write([EXPENSE], reexport=reexport)
    assert validate_paxml(data, xsd) == []
    header = etree.fromstring(data).find("header")
    assert header is not None
    assert [child.tag for child in header][:4] == ["format", "version", "datum", "nyexport"]
    nyexport = header.find("nyexport")
    assert nyexport is not None
    assert dict(nyexport.attrib) == {
        "datum": "2026-04-01",
        "datumfrom": "2026-03-01",
        "datumtom": "2026-03-31",
    }
    assert read_paxml(io.BytesIO(data)).header.nyexport == reexport
    only_date = write([EXPENSE], reexport=ReExport(date(2026, 4, 1)))
    assert validate_paxml(only_date, xsd) == []
    assert read_paxml(io.BytesIO(only_date)).header.nyexport == ReExport(date(2026, 4, 1))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_the_encoding_is_declared_and_output_is_byte_identical(xsd: Path, encoding: str) -> None:
    lines = [EXPENSE, MILEAGE, NIGHT, HOURLY]
    reexport = ReExport(date(2026, 4, 1))
    data = write(lines, encoding, reexport=reexport)
    assert data == write(list(lines), encoding, reexport=reexport)
    assert data.startswith(f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode())
    assert validate_paxml(data, xsd) == []
    if encoding == "ISO-8859-1":
        assert b"&#321;ukasz" in data and "UTLÄGG".encode("latin-1") in data
    assert read_paxml(io.BytesIO(data)) == read_paxml(io.BytesIO(write(lines, reexport=reexport)))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (replace(EXPENSE, code=None), "without a pay type"),
        (replace(EXPENSE, code="ARB_X"), "'ARB_X' is not a PAXml 2.0 pay code"),
        (replace(NIGHT, code="OB9"), "'OB9' is not a PAXml 2.0 time code"),
        (replace(EXPENSE, dimensions=((0, "P"),)), "dimension"),
        (replace(EXPENSE, dimensions=((100, "P"),)), "dimension"),
        (replace(NIGHT, dimensions=((6, "P-123456789"),)), "dimension"),
        (replace(NIGHT, dimensions=((6, ""),)), "dimension"),
        (replace(EXPENSE, postid=0), "postid"),
        (replace(NIGHT, postid=2**31), "postid"),
    ],
)
def test_values_paxml_cannot_carry_are_refused(bad: ExportLine, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        write([bad])


# --- reading: nothing the samples carry is lost ---------------------------------------------


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", VALID_SAMPLES)
def test_every_valid_sample_reads_writes_and_reads_the_same(
    xsd: Path, name: str, encoding: str
) -> None:
    path = sample(name)
    assert validate_paxml(path, xsd) == []
    document = read_paxml(path)
    data = rewritten(document, encoding)
    assert validate_paxml(data, xsd) == []
    assert read_paxml(io.BytesIO(data)) == document
    assert rewritten(document, encoding) == data  # byte-identical


def count(path: Path, tag: str) -> int:
    return sum(1 for _ in etree.parse(str(path)).iter(tag))


def test_salary_export_keeps_codes_dimensions_and_resenheter() -> None:
    path = sample("salary_export.xml")
    document = read_paxml(path)
    assert document.codes[:2] == (
        PaxmlCode("ARB", "Normal arbetstid"),
        PaxmlCode("ÖT1", "Övertid"),
    )
    assert len(document.codes) == count(path, "kod") == 4
    assert document.dimensions == (PaxmlDimension(6, "Objekt"),)
    assert len(document.result_units) == count(path, "resultatenhet") == 20
    assert document.result_units[0] == PaxmlResultUnit(6, "PR339", "ICA ")  # spaces kept
    with_units = [t for t in document.tidtrans if t.resenheter]
    assert len(with_units) == count(path, "resenhet") == 36
    assert with_units[0].resenheter == ((6, "PR339"),)
    assert document.header.foretagorgnr == "951110-2411"


def test_demo_keeps_nyexport_person_details_and_both_ways_of_naming_a_person() -> None:
    document = read_paxml(sample("demo_2022-10.xml"))
    assert document.header.nyexport == ReExport(date(2022, 10, 10))
    arvid, marten = document.persons
    assert arvid.details == (
        ("postadress", ""),
        ("ort", ""),
        ("hemtelefon", "0707-777879"),
        ("epostarb", "arvid.lundgren@bygglet.com"),
        ("anstform", "Tillsvidareanställning"),
        ("lonform", "TIM"),
        ("info", ""),
    )
    assert ("anstdatum", "2020-01-08") in marten.details and ("info", "Mamma") in marten.details
    assert [(t.anstid, t.persnr) for t in document.tidtrans][2:4] == [
        ("002", None),
        (None, "198209010001"),
    ]


def test_sample_01_keeps_the_header_address_postids_and_comments() -> None:
    document = read_paxml(sample("sample_01.xml"))
    header = document.header
    assert (header.postadress, header.postnr, header.ort, header.land) == (
        "Byggatan 1",
        "11111",
        "NyStad",
        "Sverige",
    )
    assert header.foretagid == "30"
    assert [t.kommentar for t in document.lonetrans] == ["", "", "Diesel"]
    assert all(t.postid for t in document.lonetrans) and all(t.postid for t in document.tidtrans)


def test_sample_02_does_not_validate_but_what_is_read_of_it_does(xsd: Path) -> None:
    path = sample("sample_02.xml")
    errors = validate_paxml(path, xsd)
    assert errors and any("tidpunkt" in error for error in errors)  # a zone id in a dateTime
    document = read_paxml(path)  # resetransaktioner (where the bad tidpunkt is) are not read
    assert document.schedules == (
        PaxmlSchedule(
            "101",
            None,
            (
                PaxmlScheduleDay(date(2012, 6, 2), timmar=Decimal("8.0")),
                PaxmlScheduleDay(date(2012, 6, 3), timmar=Decimal("4.5")),
                PaxmlScheduleDay(date(2012, 6, 4), timmar=Decimal("0.0")),
            ),
        ),
    )
    (pay,) = document.lonetrans
    assert (pay.kontonr, pay.resenheter) == ("6510", ((1, "12"), (6, "100")))
    sick = document.tidtrans[0]
    assert (sick.tidkod, sick.datumfrom, sick.datumtom, sick.omfattning) == (
        "SJK",
        date(2012, 6, 2),
        date(2012, 6, 5),
        Decimal(100),
    )
    data = rewritten(document)
    assert validate_paxml(data, xsd) == []
    assert read_paxml(io.BytesIO(data)) == document


# Every field and attribute `PaxmlDocument` holds, set.
FULL = PaxmlDocument(
    header=PaxmlHeader(
        format="LÖNIN",
        version="2.0",
        datum=datetime(2026, 4, 1, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=2))),
        nyexport=ReExport(date(2026, 3, 31), date(2026, 3, 1), date(2026, 3, 31)),
        foretagid="14610",
        foretagorgnr="556123-1234",
        foretagnamn="Åkeriet i Göteborg AB",
        extraadress="c/o Łódź",
        postadress="Hamngatan 1",
        postnr="411 06",
        ort="Göteborg",
        land="Sverige",
        epost="lon@example.se",
        hemsida="https://example.se",
        kontaktperson="Åsa",
        personalansvarig="Per",
        attestansvarig="Eva",
        telefon="031-123456",
        telefax="031-654321",
        programnamn="gql-portal",
        programlicens="ABC-1",
        info="Mars",
    ),
    persons=(
        PaxmlPerson(
            "1007",
            "198503121236",
            "Anna",
            "Svensson",
            details=(("anstdatum", "2020-01-08"), ("lonform", "MÅN"), ("info", "")),
            resenheter=((1, "100"),),
            delete=False,
        ),
    ),
    lonetrans=(
        PaxmlLonetrans(
            postid=7,
            anstid="1007",
            persnr="198503121236",
            lonart="7311",
            lonkod="UTLÄGG",
            benamning="Hotell",
            kommentar="Kvitto 3",
            datum=date(2026, 3, 2),
            antal=Decimal(1),
            apris=Decimal("1120.00"),
            belopp=Decimal("1120.00"),
            moms=Decimal("120.00"),
            datumfrom=datetime(2026, 3, 2, 8, 0),
            datumtom=datetime(2026, 3, 3, 17, 0, tzinfo=UTC),
            varugrupp="Logi",
            samlingsid="R-1",
            kontonr="5831",
            kundnr="K-9",
            kundnr_info="Kunden",
            resenheter=((6, "P-17"),),
            info="",
        ),
    ),
    tidtrans=(
        PaxmlTidtrans(
            postid=8,
            anstid="1007",
            persnr="198503121236",
            tidkod="VAB",
            datum=None,
            datumfrom=date(2026, 3, 9),
            datumtom=date(2026, 3, 10),
            timmar=None,
            omfattning=Decimal("50"),
            barn="201801011234",
            samlingsid="V-1",
            semgrund=True,
            kontonr="7010",
            kundnr="K-9",
            resenheter=((1, "100"), (6, "P-17")),
            info="Förskolan stängd",
        ),
        PaxmlTidtrans(
            postid=9,
            anstid="1007",
            persnr=None,
            tidkod="OB2",
            datum=date(2026, 3, 2),
            datumfrom=None,
            datumtom=None,
            timmar=Decimal("3.5"),
            omfattning=None,
            starttid=datetime(2026, 3, 2, 22, 0, tzinfo=CET),
            sluttid=datetime(2026, 3, 3, 1, 30, tzinfo=CET),
            semgrund=False,
        ),
    ),
    codes=(PaxmlCode("OB2", "OB natt", info="22-06"),),
    dimensions=(PaxmlDimension(1, "Kostnadsställe", info="KS"), PaxmlDimension(6, "Projekt")),
    result_units=(
        PaxmlResultUnit(1, "100", "Lager"),
        PaxmlResultUnit(6, "P-17", "Bro", info="Etapp 2", delete=True),
    ),
    schedules=(
        PaxmlSchedule(
            "1007",
            "198503121236",
            (
                PaxmlScheduleDay(date(2026, 3, 2), time(7, 0), time(16, 0), Decimal("8.00")),
                PaxmlScheduleDay(date(2026, 3, 3), timmar=Decimal(0)),
            ),
        ),
    ),
)


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_document_with_every_field_validates_and_reads_back(xsd: Path, encoding: str) -> None:
    data = rewritten(FULL, encoding)
    assert validate_paxml(data, xsd) == []
    assert read_paxml(io.BytesIO(data)) == FULL
    assert [child.tag for child in etree.fromstring(data)] == [
        "header",
        "dimensioner",
        "resultatenheter",
        "koder",
        "personal",
        "lonetransaktioner",
        "tidtransaktioner",
        "schematransaktioner",
    ]


def test_the_reader_refuses_malformed_attributes() -> None:
    def document(body: str) -> io.BytesIO:
        return io.BytesIO(f"<paxml><header><version>2.0</version></header>{body}</paxml>".encode())

    for body, message in [
        ('<koder><kod namn="x"/></koder>', "has no id"),
        ('<dimensioner><dimension dim="sex" namn="x"/></dimensioner>', "not a number"),
        ("<schematransaktioner><schema><dag/></schema></schematransaktioner>", "no datum"),
        (
            '<schematransaktioner><schema><dag datum="2026-03-02" starttid="7"/></schema>'
            "</schematransaktioner>",
            "not a time",
        ),
        (
            "<tidtransaktioner><tidtrans><tidkod>ARB</tidkod><semgrund>ja</semgrund></tidtrans>"
            "</tidtransaktioner>",
            "not a boolean",
        ),
        ('<lonetransaktioner><lonetrans postid="x"/></lonetransaktioner>', "not a number"),
    ]:
        with pytest.raises(ValueError, match=message):
            read_paxml(document(body))


# --- our own files read back as the lines they came from ------------------------------------

LONKODS = sorted(LONKOD)
TIDKODS = sorted(PAXML_TIME_CODES)
CENTS = st.decimals(Decimal("-99999.99"), Decimal("99999.99"), places=2)
MOMENTS = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).flatmap(
    lambda moment: st.sampled_from([None, UTC, CET]).map(lambda zone: moment.replace(tzinfo=zone))
)
DIMENSIONS = st.lists(
    st.tuples(st.integers(1, 99), st.from_regex(r"[A-Za-z0-9ÅÄÖåäö_-]{1,10}", fullmatch=True)),
    max_size=3,
).map(tuple)


@st.composite
def own_lines(draw: st.DrawFn) -> list[ExportLine]:
    """Lines with every field PAXml carries; all with a postid (unique) or none."""
    count = draw(st.integers(0, 20))
    postids = draw(
        st.none() | st.lists(st.integers(1, 2**31 - 1), min_size=count, max_size=count, unique=True)
    )
    lines = []
    for index in range(count):
        is_time = draw(st.booleans())
        amount = None if is_time else draw(st.none() | CENTS)
        pay_type = draw(st.sampled_from(["", "011", "7311"]))
        code = draw(st.sampled_from(TIDKODS if is_time else LONKODS))
        lines.append(
            ExportLine(
                employee_number=draw(st.sampled_from(EMPLOYEES)).employee_number,
                date=draw(st.dates(date(2000, 1, 1), date(2099, 12, 31))),
                pay_type=pay_type,
                description=draw(st.text(max_size=12)),
                time_code=draw(st.sampled_from(TIDKODS)) if is_time else None,
                quantity=draw(st.decimals(Decimal(0), Decimal("9999.99"), places=2)),
                unit=draw(st.sampled_from(["HOURS", "PIECES", "MIL"])),
                unit_price=draw(st.none() | CENTS),
                amount=amount,
                source=draw(st.sampled_from(["TIME", "ABSENCE", "EXPENSE", "MILEAGE"])),
                hours=draw(st.none() | st.decimals(Decimal(0), Decimal(24), places=2)),
                code=code if not pay_type else draw(st.none() | st.just(code)),
                vat=None if is_time else draw(st.none() | CENTS),
                dimensions=draw(DIMENSIONS),
                start=draw(st.none() | MOMENTS) if is_time else None,
                end=draw(st.none() | MOMENTS) if is_time else None,
                postid=None if postids is None else postids[index],
            )
        )
    return lines


def expected_lonetrans(line: ExportLine, place: int) -> PaxmlLonetrans:
    return PaxmlLonetrans(
        postid=line.postid or place,
        anstid=line.employee_number,
        persnr=PERSNR[line.employee_number],
        lonart=line.pay_type or None,
        lonkod=line.code,
        benamning=xml_text(line.description) or None,
        kommentar=None,
        datum=line.date,
        antal=line.quantity,
        apris=line.unit_price,
        belopp=line.amount,
        moms=line.vat,
        resenheter=line.dimensions,
    )


def expected_tidtrans(line: ExportLine, place: int) -> PaxmlTidtrans:
    """Clock times when the hours are the time between them (then no datum, no timmar), else
    datum and timmar."""
    hours = line.hours if line.hours is not None else line.quantity
    clock = (
        line.start is not None
        and line.end is not None
        and (line.start.tzinfo is None) == (line.end.tzinfo is None)
        and (Decimal(int((line.end - line.start).total_seconds())) / 3600).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )
        == hours
    )
    return PaxmlTidtrans(
        postid=line.postid or place,
        anstid=line.employee_number,
        persnr=PERSNR[line.employee_number],
        tidkod=line.code or line.time_code or "",
        datum=None if clock else line.date,
        datumfrom=None,
        datumtom=None,
        timmar=None if clock else hours,
        omfattning=None,
        starttid=line.start if clock else None,
        sluttid=line.end if clock else None,
        resenheter=line.dimensions,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=own_lines(), encoding=st.sampled_from(ENCODINGS))
def test_our_files_read_back_as_the_lines_they_came_from(
    xsd: Path, lines: list[ExportLine], encoding: str
) -> None:
    data = write(lines, encoding)
    assert validate_paxml(data, xsd) == []
    document = read_paxml(io.BytesIO(data))
    pay = [each for each in lines if each.amount is not None or each.time_code is None]
    time_lines = [each for each in lines if each.amount is None and each.time_code is not None]
    assert document.lonetrans == tuple(
        expected_lonetrans(each, place) for place, each in enumerate(pay, 1)
    )
    assert document.tidtrans == tuple(
        expected_tidtrans(each, place) for place, each in enumerate(time_lines, len(pay) + 1)
    )
    # And the general writer gives the same document back.
    assert read_paxml(io.BytesIO(rewritten(document, encoding))) == document
