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
  microseconds), `nyexport` on a re-export (`ReExport`: the date of the earlier export and the
  period it covered), `foretagorgnr` NNNNNN-NNNN, `foretagnamn`, `programnamn`.
- **Which section a line goes to.** Each basis line is written exactly once:
  - a line that carries money (`amount is not None`) is a `lonetrans`: `lonkod` = the standard
    pay code (`ExportLine.code`, if any), `lonart` = the client's pay type (if not empty; a line
    needs a lonkod or a lonart), `benamning` = description, `datum`, `antal` = quantity,
    `apris` = unit price (if any), `belopp` = amount, `moms` = VAT (if any), `resenheter` =
    the line's dimensions (if any). So the sum of `belopp` is the sum of the basis amounts, to
    the öre. (An hourly employee's priced time is such a line.)
  - every other line with a time code is a `tidtrans`: `tidkod` (the standard code: `code`, else
    `time_code`), `datum`, `timmar` = the line's hours, `resenheter`. A line with clock times
    whose hours are the time between them (to the minute, two decimals) is written as
    `starttid`/`sluttid` alone, without `datum` and `timmar`: the specification has the time
    be "antingen datum ... eller start- och sluttid", and with them "varken timmar eller
    omfattning ... eftersom tiden beräknas som tiden mellan starttid och sluttid". A stretch
    with a break inside (fewer hours than its clock times) goes out as `datum` and `timmar`,
    so the program never counts the break as worked. The specification forbids `omfattning`
    together with `timmar` ("Omfattning får ej anges ... i kombination med timmar"), so the
    extent of an absence is *not* written when its hours are known (they are in the basis:
    scheduled hours x extent). Only a line without hours gets `omfattning` (its extent, or a
    DAYS line's quantity x 100 %); a line without hours, extent and days gets `timmar` =
    quantity. (A tidtrans has no `moms`.)
  - a line with neither amount nor time code is a `lonetrans` with `antal` (and `apris` if any):
    e.g. hours under `lonkod` TIMLÖN that the payroll program prices.
- **Who.** Every transaction carries `anstid` (employee number) and `persnr` (12 digits, from the
  employee records; the specification has the importer check that both agree), and `postid`:
  the line's own (`ExportLine.postid`, stable across exports: a re-export repeats it), else the
  transaction's place in the file, 1..n in output order. Give every line a postid or none: a mix
  could repeat a number.
- **Numbers** as plain decimals (`xs:decimal`: never an exponent, never a float).

Memory stays flat for any number of lines: the file is streamed with `lxml.etree.xmlfile`, lines
are consumed once, in the given order; `tidtrans` (which come after all `lonetrans`) wait in a
spooled temporary file meanwhile. The same input gives byte-identical output.

`read_paxml` reads any PAXml 2.0 file into a `PaxmlDocument`: the header (with `nyexport`),
`koder`, `dimensioner` and `resultatenheter` (the dimensions and their objects), `personal`,
`lonetransaktioner`, `tidtransaktioner` and `schematransaktioner`, every field and attribute of
them; `write_document` writes such a document back, so a file read and written reads the same.
Not read: `resetransaktioner`, `loneutbetalning`, `saldon`, the `klar`/`attesterat` marks among
time transactions and a person's structured elements (`timlon`, `manlon`, `sysgrad`,
`personbelopp`, `persontexter`, `skattejamkning`, `loneutmatning`). Times keep microseconds: a
producer's nanoseconds are cut to them.
"""

from __future__ import annotations

import functools
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import IO, Any, BinaryIO

from lxml import etree

from gql_portal.domain.exports import (
    ExportCompany,
    ExportEmployee,
    ExportLine,
    organisation_number_with_dash,
)
from gql_portal.domain.paytypes import LONKOD
from gql_portal.domain.time import PAXML_TIME_CODES

XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = "http://www.paxml.se/2.0/paxml.xsd"
PAXML_VERSION = "2.0"
PAXML_FORMAT = "LÖNIN"  # "löneunderlag från försystem": payroll input from a pre-system
UNIT_DAYS = "DAYS"
HUNDRED = Decimal(100)
ORE = Decimal("0.01")
SECONDS_PER_HOUR = 3600
ZERO = Decimal("0.00")
# tidtrans wait in memory up to this size, then on disk (keeps 100k-line exports flat).
SPOOL_BYTES = 256 * 1024
MAX_POSTID = 2**31 - 1  # postid is an xs:int
MAX_DIMENSION = 99  # dimTYPE: 1-99
MAX_DIMENSION_ID = 10  # dimidTYPE: at most 10 characters

_PERSNR = re.compile(r"[0-9]{12}")
# Characters XML 1.0 cannot carry at all (not even as references): C0 controls other than tab,
# newline and carriage return, surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ENCODING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*")  # XML's EncName
_XS_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_XS_DATE = re.compile(r"(-?[0-9]{4,}-[0-9]{2}-[0-9]{2})(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_XS_BOOLEAN = {"true": True, "1": True, "false": False, "0": False}

# A dimension (resenhet) of a transaction or person: (dim 1-99, the object's id).
Resenheter = tuple[tuple[int, str], ...]
# What an element or attribute holds, before it is written as text.
Value = str | int | bool | Decimal | date | datetime | time | None


# --- the document ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReExport:
    """The header's `nyexport`: this file replaces one exported on `earlier_export`, for the
    period `period_start`..`period_end` (both optional)."""

    earlier_export: date
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True, slots=True)
class PaxmlHeader:
    format: str | None
    version: str | None
    datum: datetime | None
    foretagid: str | None
    foretagorgnr: str | None
    foretagnamn: str | None
    programnamn: str | None
    nyexport: ReExport | None = None
    extraadress: str | None = None
    postadress: str | None = None
    postnr: str | None = None
    ort: str | None = None
    land: str | None = None
    epost: str | None = None
    hemsida: str | None = None
    kontaktperson: str | None = None
    personalansvarig: str | None = None
    attestansvarig: str | None = None
    telefon: str | None = None
    telefax: str | None = None
    programlicens: str | None = None
    info: str | None = None


# The header's text elements after `nyexport`, in the schema's order.
_HEADER_TEXTS = (
    "foretagid",
    "foretagorgnr",
    "foretagnamn",
    "extraadress",
    "postadress",
    "postnr",
    "ort",
    "land",
    "epost",
    "hemsida",
    "kontaktperson",
    "personalansvarig",
    "attestansvarig",
    "telefon",
    "telefax",
    "programnamn",
    "programlicens",
    "info",
)


@dataclass(frozen=True, slots=True)
class PaxmlPerson:
    """A person of `personal`. `details` are the other plain elements (postadress, anstdatum,
    lonform, info ...) as (element, text), in the file's order."""

    anstid: str | None
    persnr: str | None
    fornamn: str | None
    efternamn: str | None
    details: tuple[tuple[str, str], ...] = ()
    resenheter: Resenheter = ()
    delete: bool | None = None


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
    datumfrom: datetime | None = None  # xs:dateTime here, unlike tidtrans
    datumtom: datetime | None = None
    varugrupp: str | None = None
    samlingsid: str | None = None
    kontonr: str | None = None
    kundnr: str | None = None
    kundnr_info: str | None = None  # the kundnr element's info attribute
    resenheter: Resenheter = ()
    info: str | None = None


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
    starttid: datetime | None = None
    sluttid: datetime | None = None
    barn: str | None = None
    samlingsid: str | None = None
    semgrund: bool | None = None
    kontonr: str | None = None
    kundnr: str | None = None
    kundnr_info: str | None = None
    resenheter: Resenheter = ()
    info: str | None = None


@dataclass(frozen=True, slots=True)
class PaxmlCode:
    """A `kod` of `koder`: a code the file uses, with its name."""

    id: str
    namn: str
    info: str | None = None


@dataclass(frozen=True, slots=True)
class PaxmlDimension:
    """A `dimension` of `dimensioner` (e.g. 6 = Objekt, a project dimension)."""

    dim: int
    namn: str
    info: str | None = None


@dataclass(frozen=True, slots=True)
class PaxmlResultUnit:
    """A `resultatenhet`: an object of a dimension (a project, a cost centre) that
    transactions name in their `resenheter`."""

    dim: int
    id: str
    namn: str
    info: str | None = None
    delete: bool | None = None


@dataclass(frozen=True, slots=True)
class PaxmlScheduleDay:
    datum: date
    starttid: time | None = None
    sluttid: time | None = None
    timmar: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PaxmlSchedule:
    """A `schema` of `schematransaktioner`: one person's scheduled days."""

    anstid: str | None
    persnr: str | None
    days: tuple[PaxmlScheduleDay, ...]


@dataclass(frozen=True, slots=True)
class PaxmlDocument:
    header: PaxmlHeader
    persons: tuple[PaxmlPerson, ...]
    lonetrans: tuple[PaxmlLonetrans, ...]
    tidtrans: tuple[PaxmlTidtrans, ...]
    codes: tuple[PaxmlCode, ...] = ()
    dimensions: tuple[PaxmlDimension, ...] = ()
    result_units: tuple[PaxmlResultUnit, ...] = ()
    schedules: tuple[PaxmlSchedule, ...] = ()


@dataclass(slots=True)
class PaxmlTotals:
    """What a written file holds: to reconcile it with the basis it came from."""

    lonetrans_count: int = 0
    tidtrans_count: int = 0
    belopp_total: Decimal = ZERO
    hours_by_tidkod: dict[str, Decimal] = field(default_factory=dict)


# --- values as text -------------------------------------------------------------------------


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


def _xml_value(value: Value) -> str:
    """A value as PAXml writes it: text cleaned for XML, numbers plain, booleans true/false,
    dates and times in ISO 8601."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return xml_decimal(value)
    if isinstance(value, int):
        return str(value)
    assert value is not None
    return value.isoformat()


# --- elements, one builder each, children in the schema's order ------------------------------


def _add(parent: etree._Element, children: Iterable[tuple[str, Value]]) -> None:
    """A child element per (tag, value) that has a value."""
    for tag, value in children:
        if value is not None:
            etree.SubElement(parent, tag).text = _xml_value(value)


def _element(tag: str, attributes: Iterable[tuple[str, Value]]) -> etree._Element:
    """An element with the attributes that have a value, in the given order."""
    return etree.Element(
        tag, {name: _xml_value(value) for name, value in attributes if value is not None}
    )


def _add_resenheter(parent: etree._Element, resenheter: Resenheter) -> None:
    if resenheter:
        units = etree.SubElement(parent, "resenheter")
        for dim, unit_id in resenheter:
            etree.SubElement(units, "resenhet", {"dim": str(dim), "id": xml_text(unit_id)})


def _add_kundnr(parent: etree._Element, kundnr: str | None, info: str | None) -> None:
    if kundnr is not None:
        element = etree.SubElement(parent, "kundnr")
        element.text = xml_text(kundnr)
        if info is not None:
            element.set("info", xml_text(info))


def _header_element(header: PaxmlHeader) -> etree._Element:
    element = etree.Element("header")
    _add(element, (("format", header.format), ("version", header.version), ("datum", header.datum)))
    if header.nyexport is not None:
        again = header.nyexport
        element.append(
            _element(
                "nyexport",
                (
                    ("datum", again.earlier_export),
                    ("datumfrom", again.period_start),
                    ("datumtom", again.period_end),
                ),
            )
        )
    _add(element, ((tag, getattr(header, tag)) for tag in _HEADER_TEXTS))
    return element


def _person_element(person: PaxmlPerson) -> etree._Element:
    element = _element(
        "person", (("anstid", person.anstid), ("persnr", person.persnr), ("delete", person.delete))
    )
    _add(element, (("fornamn", person.fornamn), ("efternamn", person.efternamn), *person.details))
    _add_resenheter(element, person.resenheter)
    return element


def _trans_element(
    tag: str, postid: int | None, anstid: str | None, persnr: str | None
) -> etree._Element:
    return _element(tag, (("postid", postid), ("anstid", anstid), ("persnr", persnr)))


def _lonetrans_element(trans: PaxmlLonetrans) -> etree._Element:
    element = _trans_element("lonetrans", trans.postid, trans.anstid, trans.persnr)
    _add(
        element,
        (
            ("lonkod", trans.lonkod),
            ("lonart", trans.lonart),
            ("benamning", trans.benamning),
            ("kommentar", trans.kommentar),
            ("datum", trans.datum),
            ("datumfrom", trans.datumfrom),
            ("datumtom", trans.datumtom),
            ("antal", trans.antal),
            ("apris", trans.apris),
            ("belopp", trans.belopp),
            ("varugrupp", trans.varugrupp),
            ("moms", trans.moms),
            ("samlingsid", trans.samlingsid),
            ("kontonr", trans.kontonr),
        ),
    )
    _add_kundnr(element, trans.kundnr, trans.kundnr_info)
    _add_resenheter(element, trans.resenheter)
    _add(element, (("info", trans.info),))
    return element


def _tidtrans_element(trans: PaxmlTidtrans) -> etree._Element:
    element = _trans_element("tidtrans", trans.postid, trans.anstid, trans.persnr)
    omfattning = None if trans.omfattning is None else _percent(trans.omfattning)
    _add(
        element,
        (
            ("tidkod", trans.tidkod),
            ("datum", trans.datum),
            ("datumfrom", trans.datumfrom),
            ("datumtom", trans.datumtom),
            ("starttid", trans.starttid),
            ("sluttid", trans.sluttid),
            ("timmar", trans.timmar),
            ("omfattning", omfattning),
            ("barn", trans.barn),
            ("samlingsid", trans.samlingsid),
            ("semgrund", trans.semgrund),
            ("kontonr", trans.kontonr),
        ),
    )
    _add_kundnr(element, trans.kundnr, trans.kundnr_info)
    _add_resenheter(element, trans.resenheter)
    _add(element, (("info", trans.info),))
    return element


def _code_element(code: PaxmlCode) -> etree._Element:
    return _element("kod", (("id", code.id), ("namn", code.namn), ("info", code.info)))


def _dimension_element(dimension: PaxmlDimension) -> etree._Element:
    return _element(
        "dimension", (("dim", dimension.dim), ("namn", dimension.namn), ("info", dimension.info))
    )


def _result_unit_element(unit: PaxmlResultUnit) -> etree._Element:
    return _element(
        "resultatenhet",
        (
            ("delete", unit.delete),
            ("dim", unit.dim),
            ("id", unit.id),
            ("namn", unit.namn),
            ("info", unit.info),
        ),
    )


def _schedule_element(schedule: PaxmlSchedule) -> etree._Element:
    element = _element("schema", (("anstid", schedule.anstid), ("persnr", schedule.persnr)))
    for day in schedule.days:
        element.append(
            _element(
                "dag",
                (
                    ("datum", day.datum),
                    ("starttid", day.starttid),
                    ("sluttid", day.sluttid),
                    ("timmar", day.timmar),
                ),
            )
        )
    return element


def _section(xf: Any, tag: str, elements: Iterable[etree._Element]) -> None:
    """A section with its elements, one a line; left out when there is none."""
    with ExitStack() as section:
        opened = False
        for element in elements:
            if not opened:
                section.enter_context(xf.element(tag))
                xf.write("\n")
                opened = True
            xf.write(element, pretty_print=True)
    if opened:
        xf.write("\n")


# --- writing a payroll basis ----------------------------------------------------------------


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


def _basis_header(
    company: ExportCompany,
    export_date: date | datetime,
    program_name: str,
    reexport: ReExport | None,
) -> PaxmlHeader:
    if isinstance(export_date, datetime):
        datum = export_date.replace(microsecond=0)
    else:
        datum = datetime(export_date.year, export_date.month, export_date.day)
    return PaxmlHeader(
        format=PAXML_FORMAT,
        version=PAXML_VERSION,
        datum=datum,
        foretagid=None,
        foretagorgnr=organisation_number_with_dash(company.organisation_number),
        foretagnamn=company.name,
        programnamn=program_name,
        nyexport=reexport,
    )


def _basis_person(employee: ExportEmployee) -> PaxmlPerson:
    return PaxmlPerson(
        anstid=employee.employee_number,
        persnr=employee.personnummer,
        fornamn=employee.first_name,
        efternamn=employee.last_name,
    )


def _where(line: ExportLine) -> str:
    return f"employee {line.employee_number}, {line.date}"


def _postid(line: ExportLine, place: int) -> int:
    """The line's own postid (checked: an xs:int above 0), else its place in the file."""
    if line.postid is None:
        return place
    if not 0 < line.postid <= MAX_POSTID:
        raise ValueError(f"{_where(line)}: postid {line.postid} is not between 1 and {MAX_POSTID}")
    return line.postid


def _resenheter(line: ExportLine) -> Resenheter:
    """The line's dimensions, checked against dimTYPE and dimidTYPE."""
    units = []
    for dim, unit_id in line.dimensions:
        text = xml_text(unit_id)
        if not 0 < dim <= MAX_DIMENSION or not 0 < len(text) <= MAX_DIMENSION_ID:
            raise ValueError(
                f"{_where(line)}: the dimension ({dim}, {unit_id!r}) is not a dimension 1-"
                f"{MAX_DIMENSION} with an id of 1-{MAX_DIMENSION_ID} characters"
            )
        units.append((dim, text))
    return tuple(units)


def _is_time_line(line: ExportLine) -> bool:
    return line.amount is None and line.time_code is not None


def _basis_lonetrans(line: ExportLine, employee: ExportEmployee, place: int) -> PaxmlLonetrans:
    lonart = line.pay_type or None
    if lonart is None and line.code is None:
        raise ValueError(f"{_where(line)}: a line without a pay type (lonart) or pay code (lonkod)")
    if line.code is not None and line.code not in LONKOD:
        raise ValueError(f"{_where(line)}: {line.code!r} is not a PAXml 2.0 pay code (lonkod)")
    return PaxmlLonetrans(
        postid=_postid(line, place),
        anstid=employee.employee_number,
        persnr=employee.personnummer,
        lonart=lonart,
        lonkod=line.code,
        benamning=xml_text(line.description) or None,
        kommentar=None,
        datum=line.date,
        antal=line.quantity,
        apris=line.unit_price,
        belopp=line.amount,
        moms=line.vat,
        resenheter=_resenheter(line),
    )


def _tid_fields(line: ExportLine) -> tuple[str | None, str | None]:
    """(timmar, omfattning) of a time or absence line: one of them, never both (spec)."""
    if line.hours is not None:
        return xml_decimal(line.hours), None
    if line.extent_percent is not None:
        return None, _percent(line.extent_percent)
    if line.unit == UNIT_DAYS:
        return None, _percent(line.quantity * HUNDRED)
    return xml_decimal(line.quantity), None


def _tidkod(line: ExportLine) -> str:
    tidkod = line.code if line.code is not None else line.time_code
    if tidkod not in PAXML_TIME_CODES:
        raise ValueError(f"{_where(line)}: {tidkod!r} is not a PAXml 2.0 time code")
    return tidkod


def _clock_times(line: ExportLine) -> tuple[datetime, datetime] | None:
    """The line's starttid and sluttid when the file carries the time as them: both given and
    the line's hours are the time between them (two decimals, as hours are kept)."""
    if (
        line.start is None
        or line.end is None
        or (line.start.tzinfo is None) != (line.end.tzinfo is None)
    ):
        return None  # (naive and aware times have no length between them)
    hours = line.hours if line.hours is not None else line.quantity
    length = Decimal(int((line.end - line.start).total_seconds())) / SECONDS_PER_HOUR
    return (line.start, line.end) if length.quantize(ORE, ROUND_HALF_UP) == hours else None


def _tidtrans_record(line: ExportLine) -> list[Any]:
    """What a tidtrans needs of its line, as a JSON array (they wait in a file): checked and
    formatted now, so that a bad line fails while the lines are read. The last item is the
    hours it counts for (in the totals), whichever way they are written."""
    timmar, omfattning = _tid_fields(line)
    clock = _clock_times(line)
    counted = timmar
    if clock is not None:
        counted, timmar, omfattning = xml_decimal(line.hours or line.quantity), None, None
    return [
        line.employee_number,
        _tidkod(line),
        None if clock is not None else line.date.isoformat(),
        None if clock is None else clock[0].isoformat(),
        None if clock is None else clock[1].isoformat(),
        timmar,
        omfattning,
        _resenheter(line),
        None if line.postid is None else _postid(line, 0),
        counted,
    ]


def _record_tidtrans(
    record: list[Any], people: dict[str, ExportEmployee], place: int
) -> PaxmlTidtrans:
    number, tidkod, datum, start, end, timmar, omfattning, units, postid, _ = record
    employee = people[number]
    return PaxmlTidtrans(
        postid=place if postid is None else postid,
        anstid=employee.employee_number,
        persnr=employee.personnummer,
        tidkod=tidkod,
        datum=None if datum is None else date.fromisoformat(datum),
        datumfrom=None,
        datumtom=None,
        timmar=None if timmar is None else Decimal(timmar),
        omfattning=None if omfattning is None else Decimal(omfattning),
        starttid=None if start is None else datetime.fromisoformat(start),
        sluttid=None if end is None else datetime.fromisoformat(end),
        resenheter=tuple((dim, unit_id) for dim, unit_id in units),
    )


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
            if _is_time_line(line):
                record = _tidtrans_record(line)
                pending.write(json.dumps(record, ensure_ascii=True).encode("ascii") + b"\n")
                tidkod, timmar = record[1], record[-1]
                if timmar is not None:
                    hours[tidkod] = hours.get(tidkod, ZERO) + Decimal(timmar)
                continue
            if totals.lonetrans_count == 0:
                section.enter_context(xf.element("lonetransaktioner"))
                xf.write("\n")
            totals.lonetrans_count += 1
            trans = _basis_lonetrans(line, owner, totals.lonetrans_count)
            xf.write(_lonetrans_element(trans), pretty_print=True)
            if line.amount is not None:
                totals.belopp_total += line.amount
    if totals.lonetrans_count:
        xf.write("\n")
    totals.hours_by_tidkod = dict(sorted(hours.items()))


def _pending_tidtrans(
    pending: IO[bytes], people: dict[str, ExportEmployee], totals: PaxmlTotals
) -> Iterator[etree._Element]:
    """The parked tidtrans, numbered on after the lonetrans (counted as they are written)."""
    pending.seek(0)
    for raw in pending:
        totals.tidtrans_count += 1
        place = totals.lonetrans_count + totals.tidtrans_count
        yield _tidtrans_element(_record_tidtrans(json.loads(raw), people, place))


def _check_encoding(encoding: str) -> None:
    """An encoding we can declare by hand: a name, and ASCII-compatible (not UTF-16)."""
    try:
        compatible = "<?xml".encode(encoding) == b"<?xml"
    except LookupError:
        compatible = False
    if not _ENCODING_NAME.fullmatch(encoding) or not compatible:
        raise ValueError(f"{encoding!r} is not an encoding PAXml is written in (UTF-8, ISO-8859-1)")


def _declaration(out: BinaryIO, encoding: str) -> None:
    """The declaration by hand: double quotes, as every producer writes it (lxml uses single)."""
    _check_encoding(encoding)
    out.write(f'<?xml version="1.0" encoding="{encoding}"?>\n'.encode("ascii"))


def _root(xf: Any) -> Any:
    return xf.element(
        "paxml", {f"{{{XSI}}}noNamespaceSchemaLocation": SCHEMA_LOCATION}, nsmap={"xsi": XSI}
    )


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
    reexport: ReExport | None = None,
) -> PaxmlTotals:
    """Write the payroll basis `lines` of `company` as PAXml 2.0 to `out` (left open); a
    re-export (`reexport`) says so in the header's `nyexport`.

    Raises ValueError naming the employee when a line's employee is not in `employees` or a
    personnummer is not 12 digits, and for values PAXml cannot carry (an unknown time code, a
    line without lonart and lonkod, a dimension or postid out of range). The output is then
    incomplete: write to a temporary file and discard it.
    """
    people = _people(employees)  # few: read first, so every persnr is checked before writing
    header = _header_element(_basis_header(company, export_date, program_name, reexport))
    totals = PaxmlTotals()

    _declaration(out, encoding)
    with (
        tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b") as pending,
        etree.xmlfile(out, encoding=encoding) as xf,
        _root(xf),
    ):
        xf.write("\n")
        xf.write(header, pretty_print=True)
        if include_personal:
            _section(xf, "personal", (_person_element(_basis_person(e)) for e in people.values()))
        _stream_lonetrans(xf, lines, people, pending, totals)
        _section(xf, "tidtransaktioner", _pending_tidtrans(pending, people, totals))
    out.write(b"\n")
    return totals


# --- writing a document ---------------------------------------------------------------------


def write_document(out: BinaryIO, document: PaxmlDocument, *, encoding: str = "UTF-8") -> None:
    """Write `document` (e.g. one `read_paxml` read) as PAXml 2.0 to `out` (left open), every
    section it holds, in the order `write_paxml` uses; reading the output gives `document`
    back. Values are written as they are: no check beyond what XML needs."""
    _declaration(out, encoding)
    with etree.xmlfile(out, encoding=encoding) as xf, _root(xf):
        xf.write("\n")
        xf.write(_header_element(document.header), pretty_print=True)
        _section(xf, "dimensioner", map(_dimension_element, document.dimensions))
        _section(xf, "resultatenheter", map(_result_unit_element, document.result_units))
        _section(xf, "koder", map(_code_element, document.codes))
        _section(xf, "personal", map(_person_element, document.persons))
        _section(xf, "lonetransaktioner", map(_lonetrans_element, document.lonetrans))
        _section(xf, "tidtransaktioner", map(_tidtrans_element, document.tidtrans))
        _section(xf, "schematransaktioner", map(_schedule_element, document.schedules))
    out.write(b"\n")


# --- reading values -------------------------------------------------------------------------


def _where_in(element: etree._Element, name: str) -> str:
    return f"<{name}> on line {element.sourceline}"


def _parse_decimal(text: str | None, element: etree._Element, name: str) -> Decimal | None:
    if text is None or not text.strip():
        return None
    if not _XS_DECIMAL.fullmatch(text.strip()):
        raise ValueError(f"{_where_in(element, name)} is not a decimal: {text!r}")
    return Decimal(text.strip())


def _parse_date(text: str | None, element: etree._Element, name: str) -> date | None:
    if text is None or not text.strip():
        return None
    match = _XS_DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"{_where_in(element, name)} is not a date: {text!r}")
    return date.fromisoformat(match[1])  # a zone on a date says nothing about the day


def _parse_datetime(text: str | None, element: etree._Element, name: str) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{_where_in(element, name)} is not a date and time: {text!r}") from None


def _parse_time(text: str | None, element: etree._Element, name: str) -> time | None:
    if text is None or not text.strip():
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{_where_in(element, name)} is not a time: {text!r}") from None


def _parse_boolean(text: str | None, element: etree._Element, name: str) -> bool | None:
    if text is None or not text.strip():
        return None
    if text.strip() not in _XS_BOOLEAN:
        raise ValueError(f"{_where_in(element, name)} is not a boolean: {text!r}")
    return _XS_BOOLEAN[text.strip()]


def _parse_int(text: str | None, element: etree._Element, name: str) -> int | None:
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{_where_in(element, name)} is not a number: {text!r}") from None


class _Children:
    """An element's child elements by name, gathered in one pass (a `find` per field would scan
    the children again for every field). A child's text: None when the child is missing, ""
    when it is empty."""

    __slots__ = ("by_tag", "element")

    def __init__(self, element: etree._Element) -> None:
        self.element = element
        # reversed: when a name repeats (not valid PAXml), the first one counts, as with find
        self.by_tag = {
            child.tag: child for child in reversed(element) if isinstance(child.tag, str)
        }

    def child(self, tag: str) -> etree._Element | None:
        return self.by_tag.get(tag)

    def text(self, tag: str) -> str | None:
        child = self.by_tag.get(tag)
        return None if child is None else child.text or ""

    def decimal(self, tag: str) -> Decimal | None:
        return _parse_decimal(self.text(tag), self.element, tag)

    def date(self, tag: str) -> date | None:
        return _parse_date(self.text(tag), self.element, tag)

    def datetime(self, tag: str) -> datetime | None:
        return _parse_datetime(self.text(tag), self.element, tag)

    def boolean(self, tag: str) -> bool | None:
        return _parse_boolean(self.text(tag), self.element, tag)


def _required(value: str | None, element: etree._Element, name: str) -> str:
    if value is None:
        raise ValueError(f"<{element.tag}> on line {element.sourceline} has no {name}")
    return value


def _dim(element: etree._Element) -> int:
    dim = _parse_int(element.get("dim"), element, "dim")
    if dim is None:
        raise ValueError(f"<{element.tag}> on line {element.sourceline} has no dim")
    return dim


# --- reading the sections -------------------------------------------------------------------


def _read_resenheter(element: etree._Element | None) -> Resenheter:
    if element is None:
        return ()
    return tuple(
        (_dim(unit), _required(unit.get("id"), unit, "id")) for unit in element.iterfind("resenhet")
    )


def _read_kundnr(element: etree._Element | None) -> tuple[str | None, str | None]:
    return (None, None) if element is None else (element.text or "", element.get("info"))


def _read_nyexport(element: etree._Element | None) -> ReExport | None:
    if element is None:
        return None
    earlier = _parse_date(element.get("datum"), element, "datum")
    if earlier is None:
        raise ValueError(f"<nyexport> on line {element.sourceline} has no datum")
    return ReExport(
        earlier_export=earlier,
        period_start=_parse_date(element.get("datumfrom"), element, "datumfrom"),
        period_end=_parse_date(element.get("datumtom"), element, "datumtom"),
    )


def _read_header(element: etree._Element) -> PaxmlHeader:
    fields = _Children(element)
    return PaxmlHeader(
        format=fields.text("format"),
        version=fields.text("version"),
        datum=fields.datetime("datum"),
        nyexport=_read_nyexport(fields.child("nyexport")),
        foretagid=fields.text("foretagid"),
        foretagorgnr=fields.text("foretagorgnr"),
        foretagnamn=fields.text("foretagnamn"),
        extraadress=fields.text("extraadress"),
        postadress=fields.text("postadress"),
        postnr=fields.text("postnr"),
        ort=fields.text("ort"),
        land=fields.text("land"),
        epost=fields.text("epost"),
        hemsida=fields.text("hemsida"),
        kontaktperson=fields.text("kontaktperson"),
        personalansvarig=fields.text("personalansvarig"),
        attestansvarig=fields.text("attestansvarig"),
        telefon=fields.text("telefon"),
        telefax=fields.text("telefax"),
        programnamn=fields.text("programnamn"),
        programlicens=fields.text("programlicens"),
        info=fields.text("info"),
    )


_PERSON_OWN = frozenset({"fornamn", "efternamn", "resenheter"})


def _read_person(element: etree._Element) -> PaxmlPerson:
    details = tuple(
        (child.tag, child.text or "")
        for child in element
        if isinstance(child.tag, str)
        and child.tag not in _PERSON_OWN
        and len(child) == 0
        and not child.attrib  # structured elements (timlon, personbelopp ...) are not read
    )
    fields = _Children(element)
    return PaxmlPerson(
        anstid=element.get("anstid"),
        persnr=element.get("persnr"),
        delete=_parse_boolean(element.get("delete"), element, "delete"),
        fornamn=fields.text("fornamn"),
        efternamn=fields.text("efternamn"),
        details=details,
        resenheter=_read_resenheter(fields.child("resenheter")),
    )


def _read_lonetrans(element: etree._Element) -> PaxmlLonetrans:
    fields = _Children(element)
    kundnr, kundnr_info = _read_kundnr(fields.child("kundnr"))
    return PaxmlLonetrans(
        postid=_parse_int(element.get("postid"), element, "postid"),
        anstid=element.get("anstid"),
        persnr=element.get("persnr"),
        lonkod=fields.text("lonkod"),
        lonart=fields.text("lonart"),
        benamning=fields.text("benamning"),
        kommentar=fields.text("kommentar"),
        datum=fields.date("datum"),
        datumfrom=fields.datetime("datumfrom"),
        datumtom=fields.datetime("datumtom"),
        antal=fields.decimal("antal"),
        apris=fields.decimal("apris"),
        belopp=fields.decimal("belopp"),
        varugrupp=fields.text("varugrupp"),
        moms=fields.decimal("moms"),
        samlingsid=fields.text("samlingsid"),
        kontonr=fields.text("kontonr"),
        kundnr=kundnr,
        kundnr_info=kundnr_info,
        resenheter=_read_resenheter(fields.child("resenheter")),
        info=fields.text("info"),
    )


def _read_tidtrans(element: etree._Element) -> PaxmlTidtrans:
    fields = _Children(element)
    kundnr, kundnr_info = _read_kundnr(fields.child("kundnr"))
    return PaxmlTidtrans(
        postid=_parse_int(element.get("postid"), element, "postid"),
        anstid=element.get("anstid"),
        persnr=element.get("persnr"),
        tidkod=fields.text("tidkod") or "",
        datum=fields.date("datum"),
        datumfrom=fields.date("datumfrom"),
        datumtom=fields.date("datumtom"),
        starttid=fields.datetime("starttid"),
        sluttid=fields.datetime("sluttid"),
        timmar=fields.decimal("timmar"),
        omfattning=fields.decimal("omfattning"),
        barn=fields.text("barn"),
        samlingsid=fields.text("samlingsid"),
        semgrund=fields.boolean("semgrund"),
        kontonr=fields.text("kontonr"),
        kundnr=kundnr,
        kundnr_info=kundnr_info,
        resenheter=_read_resenheter(fields.child("resenheter")),
        info=fields.text("info"),
    )


def _read_code(element: etree._Element) -> PaxmlCode:
    return PaxmlCode(
        id=_required(element.get("id"), element, "id"),
        namn=_required(element.get("namn"), element, "namn"),
        info=element.get("info"),
    )


def _read_dimension(element: etree._Element) -> PaxmlDimension:
    return PaxmlDimension(
        dim=_dim(element),
        namn=_required(element.get("namn"), element, "namn"),
        info=element.get("info"),
    )


def _read_result_unit(element: etree._Element) -> PaxmlResultUnit:
    return PaxmlResultUnit(
        dim=_dim(element),
        id=_required(element.get("id"), element, "id"),
        namn=_required(element.get("namn"), element, "namn"),
        info=element.get("info"),
        delete=_parse_boolean(element.get("delete"), element, "delete"),
    )


def _read_schedule_day(element: etree._Element) -> PaxmlScheduleDay:
    datum = _parse_date(element.get("datum"), element, "datum")
    if datum is None:
        raise ValueError(f"<dag> on line {element.sourceline} has no datum")
    return PaxmlScheduleDay(
        datum=datum,
        starttid=_parse_time(element.get("starttid"), element, "starttid"),
        sluttid=_parse_time(element.get("sluttid"), element, "sluttid"),
        timmar=_parse_decimal(element.get("timmar"), element, "timmar"),
    )


def _read_schedule(element: etree._Element) -> PaxmlSchedule:
    return PaxmlSchedule(
        anstid=element.get("anstid"),
        persnr=element.get("persnr"),
        days=tuple(_read_schedule_day(day) for day in element.iterfind("dag")),
    )


# What is read: (section, element) -> its reader. The header sits right under the root.
_READERS: dict[tuple[str, str], Any] = {
    ("paxml", "header"): _read_header,
    ("koder", "kod"): _read_code,
    ("dimensioner", "dimension"): _read_dimension,
    ("resultatenheter", "resultatenhet"): _read_result_unit,
    ("personal", "person"): _read_person,
    ("lonetransaktioner", "lonetrans"): _read_lonetrans,
    ("tidtransaktioner", "tidtrans"): _read_tidtrans,
    ("schematransaktioner", "schema"): _read_schedule,
}


def _reader_of(element: etree._Element) -> Any:
    """The reader of `element` if it is the root's header or an item of a root section (the
    same names deeper down, in a section we skip, are not ours)."""
    parent = element.getparent()
    if parent is None:
        return None
    reader = _READERS.get((parent.tag, element.tag))
    top = parent if element.tag == "header" else parent.getparent()
    if reader is None or top is None or top.getparent() is not None:
        return None
    return reader


def _document(found: dict[str, list[Any]]) -> PaxmlDocument:
    headers = found["header"]
    if not headers:
        raise ValueError("not a PAXml file: it has no <header>")
    return PaxmlDocument(
        header=headers[0],
        persons=tuple(found["person"]),
        lonetrans=tuple(found["lonetrans"]),
        tidtrans=tuple(found["tidtrans"]),
        codes=tuple(found["kod"]),
        dimensions=tuple(found["dimension"]),
        result_units=tuple(found["resultatenhet"]),
        schedules=tuple(found["schema"]),
    )


def read_paxml(source: BinaryIO | Path) -> PaxmlDocument:
    """Everything `PaxmlDocument` holds of a PAXml 2.0 file (see the module's description for
    what is not read). Entities are not resolved and nothing is fetched from the network; the
    file is read as a stream, each item dropped once read. Raises ValueError when the file is
    not well-formed XML, not PAXml, or has a malformed number, date or boolean (it does not
    check the schema: see `validate_paxml`)."""
    found: dict[str, list[Any]] = {section_item: [] for _, section_item in _READERS}
    events = etree.iterparse(
        str(source) if isinstance(source, Path) else source,
        events=("end",),
        tag=tuple(found),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
    )
    try:
        for _, element in events:
            reader = _reader_of(element)
            if reader is None:
                continue
            found[element.tag].append(reader(element))
            parent = element.getparent()
            element.clear()  # keep memory to what the records hold
            while element.getprevious() is not None:
                del parent[0]
        root = events.root
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not a well-formed XML file: {exc}") from exc
    if root is None or root.tag != "paxml":
        raise ValueError("not a PAXml file: the root element is not <paxml>")
    return _document(found)


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
