"""PAXml 2.0: writing a payroll basis as the Swedish cross-vendor import file, and reading one.

PAXml (www.paxml.se, schema `paxml-2.0.xsd`, 2012-12) is what Fortnox Lön, Crona, Kontek and others
import. What `write_paxml` writes, decided here once:

- **Document.** An XML declaration with the encoding (UTF-8, or ISO-8859-1 for programs that want
  Latin-1; characters outside the encoding become character references such as `&#321;`). Root
  `<paxml>` without a default namespace, with `xsi:noNamespaceSchemaLocation`. Sections in this
  order (the root is an `xs:all`, so each at most once): `header`, `personal` (optional),
  `lonetransaktioner`, `tidtransaktioner`. A section without a transaction is left out (the
  schema wants at least one child).
- **Header.** `format` LÖNIN ("löneunderlag från försystem"), `version` 2.0, `datum` = the export
  date (an `xs:dateTime`; a plain date is written as its midnight, a datetime without
  microseconds), `foretagorgnr` NNNNNN-NNNN, `foretagnamn`, `programnamn`.
- **Which section a line goes to.** Each basis line is written exactly once:
  - a line that carries money (`amount is not None`) is a `lonetrans`: `lonart` = pay type,
    `benamning` = description, `datum`, `antal` = quantity, `apris` = unit price (if any),
    `belopp` = amount. So the sum of `belopp` is the sum of the basis amounts, to the öre. (An
    hourly employee's worked time is such a line: the program pays what we priced.)
  - every other line with a time code is a `tidtrans`: `tidkod`, `datum`, and `timmar` = the
    line's hours. The specification forbids `omfattning` together with `timmar` ("Omfattning
    får ej anges ... i kombination med timmar"), so the extent of an absence is *not* written
    when its hours are known (they are in the basis: scheduled hours x extent). Only a line
    without hours gets `omfattning` (its extent, or a DAYS line's quantity x 100 %); a line
    without hours, extent and days gets `timmar` = quantity.
  - a line with neither amount nor time code is a `lonetrans` with `antal` (and `apris` if any).
- **Who.** Every transaction carries `anstid` (employee number) and `persnr` (12 digits, from the
  employee records; the specification has the importer check that both agree), and `postid`, a
  running number 1..n in output order.
- **Numbers** as plain decimals (`xs:decimal`: never an exponent, never a float).

Memory stays flat for any number of lines: the file is streamed with `lxml.etree.xmlfile`, lines
are consumed once, in the given order; `tidtrans` (which come after all `lonetrans`) wait in a
spooled temporary file meanwhile. The same input gives byte-identical output.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO

from lxml import etree

from gql_portal.domain.exports import (
    ExportCompany,
    ExportEmployee,
    ExportLine,
    organisation_number_with_dash,
)
from gql_portal.domain.time import PAXML_TIME_CODES

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.paxml.se/2.0/paxml.xsd"
PAXML_VERSION = "2.0"
PAXML_FORMAT = "LÖNIN"  # "löneunderlag från försystem": payroll input from a pre-system
UNIT_DAYS = "DAYS"
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
# tidtrans wait in memory up to this size, then on disk (keeps 100k-line exports flat).
SPOOL_BYTES = 256 * 1024

_PERSNR = re.compile(r"[0-9]{12}")
# Characters XML 1.0 cannot carry at all (not even as references): C0 controls other than tab,
# newline and carriage return, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ENCODING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")  # XML's EncName
_XS_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_XS_DATE = re.compile(r"(-?[0-9]{4,}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")


@dataclass(slots=True)
class PaxmlTotals:
    """What a written file holds: to reconcile it with the basis it came from."""

    lonetrans_count: int = 0
    tidtrans_count: int = 0
    belopp_total: Decimal = ZERO
    hours_by_tidkod: dict[str, Decimal] = field(default_factory=dict)


# --- writing --------------------------------------------------------------------------------


def xml_text(text: str) -> str:
    """`text` without the characters XML 1.0 cannot represent (lxml refuses them)."""
    return _NOT_XML.sub("", text)


def xml_decimal(value: Decimal) -> str:
    """An `xs:decimal`: plain notation (`format(d, "f")`), never an exponent."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a number PAXml can carry")
    return format(value, "f")


def _percent(value: Decimal) -> str:
    """A `procentTYPE`: above 0, at most 100, at most two decimals."""
    if not value.is_finite() or not Decimal(0) < value <= HUNDRED:
        raise ValueError(f"an extent of {value} % is not above 0 and at most 100")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"an extent of {value} % has more than two decimals")
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def _header_datum(export_date: date | datetime) -> str:
    if isinstance(export_date, datetime):
        return export_date.replace(microsecond=0).isoformat(timespec="seconds")
    return f"{export_date.isoformat()}T00:00:00"


def _child(parent: etree._Element, tag: str, text: str) -> None:
    """A child element with text from people (names, descriptions): cleaned for XML."""
    etree.SubElement(parent, tag).text = xml_text(text)


def _value(parent: etree._Element, tag: str, text: str) -> None:
    """A child element with a value we formatted (a number, a date, a code)."""
    etree.SubElement(parent, tag).text = text


def _people(employees: Iterable[ExportEmployee]) -> dict[str, ExportEmployee]:
    people: dict[str, ExportEmployee] = {}
    for employee in employees:
        if not employee.employee_number:
            raise ValueError(f"employee {employee.first_name} {employee.last_name} has no number")
        if not _PERSNR.fullmatch(employee.personnummer):
            raise ValueError(
                f"employee {employee.employee_number}: the personnummer must be 12 digits "
                "YYYYMMDDNNNN for PAXml"
            )
        if employee.employee_number in people:
            raise ValueError(f"employee {employee.employee_number} is listed twice")
        people[employee.employee_number] = employee
    return people


def _trans(tag: str, postid: int, employee: ExportEmployee) -> etree._Element:
    return etree.Element(
        tag,
        {
            "postid": str(postid),
            "anstid": xml_text(employee.employee_number),
            "persnr": employee.personnummer,
        },
    )


def _header(
    company: ExportCompany, export_date: date | datetime, program_name: str
) -> etree._Element:
    header = etree.Element("header")
    _value(header, "format", PAXML_FORMAT)
    _value(header, "version", PAXML_VERSION)
    _value(header, "datum", _header_datum(export_date))
    _value(header, "foretagorgnr", organisation_number_with_dash(company.organisation_number))
    _child(header, "foretagnamn", company.name)
    _child(header, "programnamn", program_name)
    return header


def _person(employee: ExportEmployee) -> etree._Element:
    person = etree.Element(
        "person",
        {"anstid": xml_text(employee.employee_number), "persnr": employee.personnummer},
    )
    _child(person, "fornamn", employee.first_name)
    _child(person, "efternamn", employee.last_name)
    return person


def _lonetrans(postid: int, employee: ExportEmployee, line: ExportLine) -> etree._Element:
    if not line.pay_type:
        raise ValueError(
            f"employee {line.employee_number}, {line.date}: a line without a pay type (lonart)"
        )
    trans = _trans("lonetrans", postid, employee)
    _child(trans, "lonart", line.pay_type)
    if xml_text(line.description):
        _child(trans, "benamning", line.description)
    _value(trans, "datum", line.date.isoformat())
    _value(trans, "antal", xml_decimal(line.quantity))
    if line.unit_price is not None:
        _value(trans, "apris", xml_decimal(line.unit_price))
    if line.amount is not None:
        _value(trans, "belopp", xml_decimal(line.amount))
    return trans


def _tid_fields(line: ExportLine) -> tuple[str | None, str | None]:
    """(timmar, omfattning) of a time or absence line: one of them, never both (spec)."""
    if line.hours is not None:
        return xml_decimal(line.hours), None
    if line.extent_percent is not None:
        return None, _percent(line.extent_percent)
    if line.unit == UNIT_DAYS:
        return None, _percent(line.quantity * HUNDRED)
    return xml_decimal(line.quantity), None


def _stream_lonetrans(
    xf: Any,
    lines: Iterable[ExportLine],
    people: dict[str, ExportEmployee],
    pending: IO[bytes],
    totals: PaxmlTotals,
) -> None:
    """Write the lonetrans section as the lines come; park each tidtrans in `pending` (one
    JSON array a line) until every line is read, since their section comes second."""
    hours: dict[str, Decimal] = {}
    with ExitStack() as section:
        for line in lines:
            owner = people.get(line.employee_number)
            if owner is None:
                raise ValueError(
                    f"employee {line.employee_number} has a line on {line.date} "
                    "but is not among the employees"
                )
            if line.amount is None and line.time_code is not None:
                if line.time_code not in PAXML_TIME_CODES:
                    raise ValueError(
                        f"employee {line.employee_number}, {line.date}: "
                        f"{line.time_code!r} is not a PAXml 2.0 time code"
                    )
                timmar, omfattning = _tid_fields(line)
                record = [line.employee_number, line.time_code, line.date.isoformat()]
                pending.write(json.dumps([*record, timmar, omfattning]).encode("ascii") + b"\n")
                if timmar is not None:
                    hours[line.time_code] = hours.get(line.time_code, ZERO) + Decimal(timmar)
                continue
            if totals.lonetrans_count == 0:
                section.enter_context(xf.element("lonetransaktioner"))
                xf.write("\n")
            totals.lonetrans_count += 1
            xf.write(_lonetrans(totals.lonetrans_count, owner, line), pretty_print=True)
            if line.amount is not None:
                totals.belopp_total += line.amount
    if totals.lonetrans_count:
        xf.write("\n")
    totals.hours_by_tidkod = dict(sorted(hours.items()))


def _write_tidtrans(
    xf: Any, pending: IO[bytes], people: dict[str, ExportEmployee], totals: PaxmlTotals
) -> None:
    """Write the tidtrans section from `pending`, numbered on after the lonetrans."""
    pending.seek(0)
    with ExitStack() as section:
        for raw in pending:
            number, tidkod, datum, timmar, omfattning = json.loads(raw)
            if totals.tidtrans_count == 0:
                section.enter_context(xf.element("tidtransaktioner"))
                xf.write("\n")
            totals.tidtrans_count += 1
            postid = totals.lonetrans_count + totals.tidtrans_count
            trans = _trans("tidtrans", postid, people[number])
            _value(trans, "tidkod", tidkod)
            _value(trans, "datum", datum)
            if timmar is not None:
                _value(trans, "timmar", timmar)
            if omfattning is not None:
                _value(trans, "omfattning", omfattning)
            xf.write(trans, pretty_print=True)
    if totals.tidtrans_count:
        xf.write("\n")


def _check_encoding(encoding: str) -> None:
    """An encoding we can declare by hand: a name, and ASCII-compatible (not UTF-16)."""
    try:
        compatible = "<?xml".encode(encoding) == b"<?xml"
    except LookupError:
        compatible = False
    if not _ENCODING_NAME.fullmatch(encoding) or not compatible:
        raise ValueError(f"{encoding!r} is not an encoding PAXml is written in (UTF-8, ISO-8859-1)")


def write_paxml(
    out: BinaryIO,
    *,
    company: ExportCompany,
    export_date: date | datetime,
    employees: Iterable[ExportEmployee],
    lines: Iterable[ExportLine],
    program_name: str = "gql-portal",
    encoding: str = "UTF-8",
    include_personal: bool = True,
) -> PaxmlTotals:
    """Write the payroll basis `lines` of `company` as PAXml 2.0 to `out` (left open).

    Raises ValueError naming the employee when a line's employee is not in `employees` or a
    personnummer is not 12 digits, and for values PAXml cannot carry (an unknown time code, an
    empty pay type). The output is then incomplete: write to a temporary file and discard it.
    """
    _check_encoding(encoding)
    people = _people(employees)  # few: read first, so every persnr is checked before writing
    header = _header(company, export_date, program_name)
    totals = PaxmlTotals()

    # The declaration by hand: double quotes, as every producer writes it (lxml uses single).
    out.write(f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii"))
    with (
        tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as pending,
        etree.xmlfile(out, encoding=encoding) as xf,
        xf.element(
            "paxml",
            {f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA_LOCATION},
            nsmap={"xsi": XSI},
        ),
    ):
        xf.write("\n")
        xf.write(header, pretty_print=True)
        if include_personal and people:
            with xf.element("personal"):
                xf.write("\n")
                for employee in people.values():
                    xf.write(_person(employee), pretty_print=True)
            xf.write("\n")
        _stream_lonetrans(xf, lines, people, pending, totals)
        _write_tidtrans(xf, pending, people, totals)
    out.write(b"\n")
    return totals


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaxmlHeader:
    format: str | None
    version: str | None
    datum: datetime | None
    foretagid: str | None
    foretagorgnr: str | None
    foretagnamn: str | None
    programnamn: str | None


@dataclass(frozen=True, slots=True)
class PaxmlPerson:
    anstid: str | None
    persnr: str | None
    fornamn: str | None
    efternamn: str | None


@dataclass(frozen=True, slots=True)
class PaxmlLonetrans:
    postid: int | None
    anstid: str | None
    persnr: str | None
    lonart: str | None
    lonkod: str | None
    benamning: str | None
    kommentar: str | None
    datum: date | None
    antal: Decimal | None
    apris: Decimal | None
    belopp: Decimal | None
    moms: Decimal | None


@dataclass(frozen=True, slots=True)
class PaxmlTidtrans:
    postid: int | None
    anstid: str | None
    persnr: str | None
    tidkod: str
    datum: date | None
    datumfrom: date | None
    datumtom: date | None
    timmar: Decimal | None
    omfattning: Decimal | None


@dataclass(frozen=True, slots=True)
class PaxmlDocument:
    header: PaxmlHeader
    persons: tuple[PaxmlPerson, ...]
    lonetrans: tuple[PaxmlLonetrans, ...]
    tidtrans: tuple[PaxmlTidtrans, ...]


def _text(element: etree._Element, tag: str) -> str | None:
    """A child's text: None when the child is missing, "" when it is empty."""
    child = element.find(tag)
    if child is None:
        return None
    return child.text or ""


def _decimal(element: etree._Element, tag: str) -> Decimal | None:
    text = _text(element, tag)
    if text is None or not text.strip():
        return None
    if not _XS_DECIMAL.fullmatch(text.strip()):
        raise ValueError(f"<{tag}> on line {element.sourceline} is not a decimal: {text!r}")
    return Decimal(text.strip())


def _date(element: etree._Element, tag: str) -> date | None:
    text = _text(element, tag)
    if text is None or not text.strip():
        return None
    match = _XS_DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"<{tag}> on line {element.sourceline} is not a date: {text!r}")
    return date.fromisoformat(match[1])  # a zone on a date says nothing about the day


def _datetime(element: etree._Element, tag: str) -> datetime | None:
    text = _text(element, tag)
    if text is None or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"<{tag}> on line {element.sourceline} is not a date and time: {text!r}"
        ) from None


def _postid(element: etree._Element) -> int | None:
    value = element.get("postid")
    return int(value) if value is not None and value.strip() else None


def read_paxml(source: BinaryIO | Path) -> PaxmlDocument:
    """The header, persons and pay and time transactions of a PAXml 2.0 file (other sections
    are skipped). Entities are not resolved and nothing is fetched from the network. Raises
    ValueError when the file is not well-formed XML, not PAXml, or has a malformed number or
    date (it does not check the schema: see `validate_paxml`)."""
    header: PaxmlHeader | None = None
    persons: list[PaxmlPerson] = []
    lonetrans: list[PaxmlLonetrans] = []
    tidtrans: list[PaxmlTidtrans] = []
    wanted = {
        ("paxml", "header"),
        ("personal", "person"),
        ("lonetransaktioner", "lonetrans"),
        ("tidtransaktioner", "tidtrans"),
    }
    events = etree.iterparse(
        str(source) if isinstance(source, Path) else source,
        events=("end",),
        tag=("header", "person", "lonetrans", "tidtrans"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    try:
        for _, element in events:
            # Only the root's header and the sections' own children (the same names deeper
            # down, in a section we skip, are not ours).
            parent = element.getparent()
            if parent is None or (parent.tag, element.tag) not in wanted:
                continue
            top = parent if element.tag == "header" else parent.getparent()
            if top is None or top.getparent() is not None:
                continue
            if element.tag == "header":
                header = PaxmlHeader(
                    format=_text(element, "format"),
                    version=_text(element, "version"),
                    datum=_datetime(element, "datum"),
                    foretagid=_text(element, "foretagid"),
                    foretagorgnr=_text(element, "foretagorgnr"),
                    foretagnamn=_text(element, "foretagnamn"),
                    programnamn=_text(element, "programnamn"),
                )
            elif element.tag == "person":
                persons.append(
                    PaxmlPerson(
                        anstid=element.get("anstid"),
                        persnr=element.get("persnr"),
                        fornamn=_text(element, "fornamn"),
                        efternamn=_text(element, "efternamn"),
                    )
                )
            elif element.tag == "lonetrans":
                lonetrans.append(
                    PaxmlLonetrans(
                        postid=_postid(element),
                        anstid=element.get("anstid"),
                        persnr=element.get("persnr"),
                        lonart=_text(element, "lonart"),
                        lonkod=_text(element, "lonkod"),
                        benamning=_text(element, "benamning"),
                        kommentar=_text(element, "kommentar"),
                        datum=_date(element, "datum"),
                        antal=_decimal(element, "antal"),
                        apris=_decimal(element, "apris"),
                        belopp=_decimal(element, "belopp"),
                        moms=_decimal(element, "moms"),
                    )
                )
            else:
                tidtrans.append(
                    PaxmlTidtrans(
                        postid=_postid(element),
                        anstid=element.get("anstid"),
                        persnr=element.get("persnr"),
                        tidkod=_text(element, "tidkod") or "",
                        datum=_date(element, "datum"),
                        datumfrom=_date(element, "datumfrom"),
                        datumtom=_date(element, "datumtom"),
                        timmar=_decimal(element, "timmar"),
                        omfattning=_decimal(element, "omfattning"),
                    )
                )
            element.clear()  # keep memory to what the records hold
            while element.getprevious() is not None:
                del parent[0]
        root = events.root
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not a well-formed XML file: {exc}") from exc
    if root is None or root.tag != "paxml":
        raise ValueError("not a PAXml file: the root element is not <paxml>")
    if header is None:
        raise ValueError("not a PAXml file: it has no <header>")
    return PaxmlDocument(header, tuple(persons), tuple(lonetrans), tuple(tidtrans))


# --- validating -----------------------------------------------------------------------------


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@functools.lru_cache(maxsize=8)
def _schema(resolved_path: str) -> etree.XMLSchema:
    """The parsed schema, once per path: parsing the XSD costs far more than validating."""
    return etree.XMLSchema(etree.parse(resolved_path, _safe_parser()))


def validate_paxml(source: BinaryIO | Path | bytes, xsd_path: Path) -> list[str]:
    """The schema errors of a PAXml file against `xsd_path` ("line N: message"); an empty list
    when it is valid. A file that is not well-formed XML gives its syntax error."""
    schema = _schema(str(Path(xsd_path).resolve()))
    try:
        if isinstance(source, bytes):
            document = etree.fromstring(source, _safe_parser()).getroottree()
        else:
            readable: str | IO[bytes] = str(source) if isinstance(source, Path) else source
            document = etree.parse(readable, _safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    if schema.validate(document):
        return []
    return [f"line {error.line}: {error.message}" for error in schema.error_log]
