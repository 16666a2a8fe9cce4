"""Export files of a locked payroll period, written without database or GraphQL.

The records here are what the export resolvers hand over (plain frozen dataclasses); the writers
stream to a binary file object and leave it open:

- `write_basis_csv`: the payroll basis as CSV for Excel and for payroll programs without PAXml
  (PAXml itself is in `gql_portal.domain.paxml`).
- The expenses ZIP: `receipt_entry_name` (a receipt file's name in the archive),
  `write_expense_summary_csv` (one row per expense, then the VAT split) and `DeterministicZip`.
- The accounting firm's batch export: `write_manifest_csv` (one row per client, exported or
  skipped and why) and `client_folder_name` (each client's folder in the batch ZIP).

CSV, decided once: UTF-8 with a byte order mark (so that Excel shows å ä ö), CRLF line ends, a
header row (the columns are documented in `BASIS_CSV_COLUMNS` etc.), numbers with two decimals
and no thousands separator. With a decimal comma (Swedish Excel) the delimiter is `;`; with a
decimal point it is `,`. An empty cell is "no value". A text cell that a spreadsheet would run as
a formula (starting with = + - @, tab or carriage return) gets a leading `'`: numbers are written
by us, so only text cells (names, descriptions) are guarded.

Archives, decided once: the same inputs give byte-identical files (fixed time stamps and
permissions, DEFLATE, entries in the order they are added), so an export can be compared and
its checksum recorded.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import shutil
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from gql_portal.domain.currencies import RATE_PLACES
from gql_portal.domain.identity import shown_organisation_number
from gql_portal.domain.payroll import PROJECT_DIMENSION

if TYPE_CHECKING:
    from gql_portal.domain.payroll import BasisLine

ORE = Decimal("0.01")
ZERO = Decimal("0.00")

# --- the records ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportCompany:
    organisation_number: str  # 10 digits, with or without the dash; written NNNNNN-NNNN
    name: str


@dataclass(frozen=True, slots=True)
class ExportEmployee:
    employee_number: str  # PAXml anstid
    personnummer: str  # 12 digits YYYYMMDDNNNN (a samordningsnummer has day + 60)
    first_name: str
    last_name: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True, slots=True)
class ExportLine:
    """One line of a frozen payroll basis (`gql_portal.domain.payroll.BasisLine`), with the
    employee named by number instead of database id."""

    employee_number: str
    date: date
    pay_type: str  # löneart (PAXml lonart), e.g. "011", "810", "820"
    description: str
    time_code: str | None  # PAXml tidkod of time and absence lines, e.g. ARB, SEM, ÖT1
    quantity: Decimal
    unit: str | None  # HOURS, DAYS, KILOMETRES, PIECES
    unit_price: Decimal | None
    amount: Decimal | None
    source: str  # TIME, ABSENCE, EXPENSE, MILEAGE
    hours: Decimal | None = None
    extent_percent: Decimal | None = None
    # What PAXml carries beyond the basis' own columns (all optional: a line without them is
    # written as before). `code` is the standard code: tidkod of a tidtrans, lonkod of a
    # lonetrans (then `pay_type` is the client's own lonart, may be ""); `vat` the moms of a
    # money line; `dimensions` its resenheter as (dim 1-99, id of at most 10 characters), e.g.
    # the project; `start`/`end` a time line's clock times; `postid` the transaction's number,
    # stable across exports (else the file numbers its transactions 1..n).
    code: str | None = None
    vat: Decimal | None = None
    dimensions: tuple[tuple[int, str], ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    postid: int | None = None

    @classmethod
    def from_basis(cls, line: BasisLine, employee_number: str) -> ExportLine:
        return cls(
            employee_number=employee_number,
            date=line.date,
            pay_type=line.pay_type or "",
            description=line.description,
            time_code=line.time_code,
            quantity=line.quantity,
            unit=None if line.unit is None else str(line.unit),
            unit_price=line.unit_price,
            amount=line.amount,
            source=str(line.source),
            hours=line.hours,
            extent_percent=line.extent_percent,
            code=line.code,
            vat=line.vat,
            dimensions=line.dimensions,
            start=line.start,
            end=line.end,
        )


@dataclass(frozen=True, slots=True)
class ExportReceipt:
    file_name: str  # as uploaded (already cleaned)
    content_type: str
    size_bytes: int
    sha256: str
    path: Path  # where the stored file is read from


@dataclass(frozen=True, slots=True)
class ExportExpense:
    id: int
    employee_number: str
    employee_name: str
    date: date
    kind: str  # EXPENSE or MILEAGE
    category: str | None
    description: str
    amount: Decimal  # gross in SEK, VAT included: what is paid out
    vat_rate: Decimal | None  # percent: 25, 12, 6 or 0 (mileage: 0); None: several rates
    vat_amount: Decimal
    status: str
    distance_km: Decimal | None = None
    receipts: tuple[ExportReceipt, ...] = ()
    # (rate, net, VAT) per rate; empty: one line of vat_rate and vat_amount
    vat_lines: tuple[tuple[Decimal, Decimal, Decimal], ...] = ()
    deductible_vat: Decimal | None = None  # None: all of the VAT
    representation: str | None = None  # INTERNAL or EXTERNAL
    participants: tuple[str, ...] = ()  # "name (company)"
    purpose: str | None = None
    # The receipt's currency (ISO 4217); in another than SEK its gross amount in that currency
    # and the rate (SEK per unit, six decimals) that made `amount`.
    currency: str = "SEK"
    original_amount: Decimal | None = None
    exchange_rate: Decimal | None = None
    # Voucher data: the number once approved, the counterparty, where it is booked.
    voucher_number: int | None = None
    supplier: str | None = None
    supplier_org_number: str | None = None  # as shown: NNNNNN-NNNN, or a foreign VAT number
    bas_account: int | None = None
    cost_centre: str | None = None
    project_code: str | None = None
    project_name: str | None = None

    def lines(self) -> tuple[tuple[Decimal, Decimal, Decimal], ...]:
        if self.vat_lines:
            return self.vat_lines
        rate = self.vat_rate if self.vat_rate is not None else ZERO
        return ((rate, self.amount - self.vat_amount, self.vat_amount),)


class ManifestStatus(StrEnum):
    EXPORTED = "EXPORTED"
    SKIPPED = "SKIPPED"


class SkipReason(StrEnum):
    """Why a client of a batch export has no file."""

    NO_PERIOD = "NO_PERIOD"  # the month's payroll period was never opened
    PERIOD_NOT_LOCKED = "PERIOD_NOT_LOCKED"  # still OPEN: not ready for payroll
    NO_LINES = "NO_LINES"  # a locked period with an empty basis
    # PAXml needs every employee's 12-digit personnummer
    MISSING_PERSONAL_IDENTITY_NUMBER = "MISSING_PERSONAL_IDENTITY_NUMBER"
    NO_EXPENSES = "NO_EXPENSES"  # an expenses batch: nothing to export in the range


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    organisation_number: str
    company_name: str
    status: str  # ManifestStatus
    reason: str | None = None  # SkipReason (or another code) when skipped
    file_name: str | None = None  # the client's file in the batch, when exported
    line_count: int = 0
    total_amount: Decimal | None = None


# --- shared helpers -------------------------------------------------------------------------


def organisation_number_with_dash(organisation_number: str) -> str:
    """NNNNNN-NNNN, the way PAXml and people write it (ValueError unless 10 digits)."""
    digits = re.sub(r"[\s-]", "", organisation_number)
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]  # the century prefix some registers use
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise ValueError(f"{organisation_number!r} is not a 10-digit organisation number")
    return f"{digits[:6]}-{digits[6:]}"


def organisation_number_in_names(digits: str, *, in_full: bool) -> str:
    """The organisation number as file and folder names (and a batch's manifest) carry it:
    NNNNNN-NNNN, but a sole trader's, its owner's personnummer, as YYMMDD-XXXX unless the
    asker may see it in full (`permissions.rules.sees_owner_identity`): a file name travels
    further than the file's reader. X, not *, which no Windows file name may hold."""
    plain = re.sub(r"[\s-]", "", digits)  # stored 10 digits, or written NNNNNN-NNNN
    return shown_organisation_number(plain, in_full=in_full).replace("*", "X")


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3` ... when taken (case-insensitively, as on Windows); the
    one returned is added to `taken`."""
    candidate, serial = name, 1
    while candidate.casefold() in taken:
        serial += 1
        candidate = f"{name}-{serial}"
    taken.add(candidate.casefold())
    return candidate


def csv_text(value: str | None) -> str:
    """A text cell a spreadsheet shows as text: one starting like a formula gets a `'`."""
    if not value:
        return ""
    if value[0] in "=+-@\t\r":
        return "'" + value
    return value


def csv_decimal(value: Decimal | None, *, decimal_comma: bool, places: int = 2) -> str:
    """Two decimals (or `places`), no grouping, in the chosen decimal mark; "" for no value."""
    if value is None:
        return ""
    quantum = ORE if places == 2 else Decimal(1).scaleb(-places)
    text = format(value.quantize(quantum, rounding=ROUND_HALF_UP), "f")
    return text.replace(".", ",") if decimal_comma else text


@contextmanager
def _csv_writer(out: BinaryIO, *, decimal_comma: bool) -> Iterator[Any]:
    """A csv writer over `out` (BOM first), detached afterwards so that `out` stays open."""
    out.write(codecs.BOM_UTF8)
    text = io.TextIOWrapper(cast(Any, out), encoding="utf-8", newline="")
    try:
        yield csv.writer(
            text,
            delimiter=";" if decimal_comma else ",",
            lineterminator="\r\n",
            quoting=csv.QUOTE_MINIMAL,
        )
        text.flush()
    finally:
        text.detach()  # an undetached wrapper would close `out` when collected


_NAME_SEPARATORS = re.compile(r"-{2,}")


def safe_name_part(text: str, max_length: int) -> str:
    """`text` as part of a file name: letters (å ä ö too) and digits kept, everything else
    (slashes, dots, spaces, punctuation, control and format characters) a single `-`; at most
    `max_length` characters. Without dots no part can be `..` or hide an extension."""
    normal = unicodedata.normalize("NFC", text)
    kept = "".join(char if char.isalnum() else "-" for char in normal)
    kept = _NAME_SEPARATORS.sub("-", kept).strip("-")
    return kept[:max_length].rstrip("-")


# --- the payroll basis as CSV ---------------------------------------------------------------

BASIS_CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("employee_number", "The employee number (anställningsnummer, PAXml anstid)."),
    ("personnummer", "Personal identity number, 12 digits YYYYMMDDNNNN."),
    ("name", "First and last name."),
    ("date", "The line's date, YYYY-MM-DD."),
    ("code", "The standard PAXml code: tidkod of time and absence, lonkod of money (e.g. UTLÄGG)."),
    ("pay_type", "The client's own pay type (löneart, PAXml lonart) from the pay-type table."),
    ("time_code", "Time and absence lines: the PAXml time code (tidkod), e.g. ARB, SEM, VAB."),
    ("description", "What the line is (benämning)."),
    ("quantity", "Quantity in the unit (antal)."),
    ("unit", "HOURS, DAYS, MIL (10 km) or PIECES (KILOMETRES in old bases); empty when none."),
    ("unit_price", "Price per unit in SEK (à-pris); empty when the payroll program prices it."),
    ("amount", "Amount in SEK (belopp); empty when the payroll program values the line."),
    ("vat", "Expense lines: the deductible VAT in the amount, SEK (moms; representation: capped)."),
    ("project", "The project's code (PAXml resenhet on dimension 6), when the line has one."),
    ("hours", "Time and absence lines: the hours behind the line (timmar)."),
    ("extent_percent", "Absence lines: the extent in percent (omfattning)."),
    ("source", "Where the line comes from: TIME, ABSENCE, EXPENSE or MILEAGE."),
)


def write_basis_csv(
    out: BinaryIO,
    lines: Iterable[ExportLine],
    employees: Mapping[str, ExportEmployee],
    *,
    decimal_comma: bool = True,
) -> int:
    """Write the payroll basis `lines` (in their order, streamed) as CSV; the number of rows
    (without the header). `employees` by employee number; a line of an unknown employee is a
    ValueError."""
    rows = 0

    def number(value: Decimal | None) -> str:
        return csv_decimal(value, decimal_comma=decimal_comma)

    with _csv_writer(out, decimal_comma=decimal_comma) as writer:
        writer.writerow([name for name, _ in BASIS_CSV_COLUMNS])
        for line in lines:
            employee = employees.get(line.employee_number)
            if employee is None:
                raise ValueError(
                    f"employee {line.employee_number} has a line on {line.date} "
                    "but is not among the employees"
                )
            writer.writerow(
                [
                    csv_text(line.employee_number),
                    csv_text(employee.personnummer),
                    csv_text(employee.name),
                    line.date.isoformat(),
                    csv_text(line.code),
                    csv_text(line.pay_type),
                    csv_text(line.time_code),
                    csv_text(line.description),
                    number(line.quantity),
                    csv_text(line.unit),
                    number(line.unit_price),
                    number(line.amount),
                    number(line.vat),
                    csv_text(project_of(line.dimensions)),
                    number(line.hours),
                    number(line.extent_percent),
                    csv_text(line.source),
                ]
            )
            rows += 1
    return rows


def project_of(dimensions: Iterable[tuple[int, str]]) -> str | None:
    """The project of a line's resenheter (dimension 6, PAXml's project dimension)."""
    return next((id for dim, id in dimensions if dim == PROJECT_DIMENSION), None)


# --- the expenses ZIP -----------------------------------------------------------------------

MAX_ENTRY_NAME = 150  # characters: well within what every unzip and file system takes
RECEIPT_EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/heic": ".heic",  # phones' photos, kept as taken (domain/heic.py)
    "image/heif": ".heif",
    "application/pdf": ".pdf",
}
UNKNOWN_EXTENSION = ".bin"

EXPENSE_CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("expense_id", "The expense's id (also in its receipt files' names: e42)."),
    ("date", "The expense's date, YYYY-MM-DD."),
    ("employee_number", "The employee number."),
    ("name", "The employee's name."),
    ("kind", "EXPENSE (utlägg) or MILEAGE (milersättning)."),
    ("category", "The expense category, e.g. FOOD, TRAVEL."),
    ("description", "What the expense was for."),
    ("distance_km", "Mileage: the distance in km."),
    ("status", "SUBMITTED, APPROVED or REJECTED."),
    ("gross", "Amount in SEK, VAT included."),
    ("currency", "The receipt's currency (ISO 4217): SEK, or e.g. EUR for a receipt from abroad."),
    ("original_amount", "Another currency: the receipt's gross amount in it; empty for SEK."),
    ("exchange_rate", "Another currency: SEK per unit, six decimals (gross / original_amount)."),
    ("vat_rate", "VAT rate in percent (25, 12, 6 or 0); empty when the receipt has several."),
    ("vat", "The VAT part of the amount, SEK (all rates)."),
    ("net", "The amount without VAT, SEK (gross - VAT)."),
    ("vat_lines", "The VAT per rate, 'rate:net:vat' separated by ' | ' (e.g. 12:100.00:12.00)."),
    ("deductible_vat", "The VAT the company may deduct, SEK (representation: capped)."),
    ("non_deductible_vat", "The VAT it may not deduct, SEK (vat - deductible_vat)."),
    ("representation", "Representation: INTERNAL or EXTERNAL; empty otherwise."),
    ("participants", "Representation: who took part, 'name (company)' separated by ' | '."),
    ("purpose", "Representation: the business purpose."),
    ("voucher_number", "The number in the company's expense voucher series (approved only)."),
    ("supplier", "Who sold it, as on the receipt; empty when not given."),
    ("supplier_org_number", "The supplier's organisation number (or foreign VAT number)."),
    ("bas_account", "The BAS account the cost is booked on (the company's table)."),
    ("cost_centre", "The cost centre (kostnadsställe); empty for none."),
    ("project_code", "The project's code; empty for none."),
    ("receipt_files", "The expense's receipt files in this archive, separated by ' | '."),
)
VAT_SPLIT_COLUMNS = ("vat_rate", "expenses", "gross", "vat", "net")


def receipt_entry_name(expense: ExportExpense, receipt: ExportReceipt, index: int) -> str:
    """A receipt's file name in the archive, e.g. `2026-03-14_1007_Anna-Svensson_1234,50_e42.pdf`:
    date, employee number, name, amount and expense id, so that it sorts by date and is found
    from the summary. `index` is the receipt's place among its expense's receipts, from 1; the
    second and further get `-2`, `-3`. The extension comes from the content type (never from
    the uploaded name). Unique within an archive, since the expense id and index are; safe in
    any file system (no slashes or dots but the extension's, no control characters), at most
    MAX_ENTRY_NAME characters (the name is shortened first)."""
    if index < 1:
        raise ValueError("the receipt index starts at 1")
    content_type = receipt.content_type.split(";", 1)[0].strip().lower()
    extension = RECEIPT_EXTENSIONS.get(content_type, UNKNOWN_EXTENSION)
    amount = format(expense.amount.quantize(ORE, rounding=ROUND_HALF_UP), "f").replace(".", ",")
    suffix = f"e{expense.id}" + (f"-{index}" if index > 1 else "")
    number = safe_name_part(expense.employee_number, 20)
    head = [expense.date.isoformat(), *([number] if number else [])]
    tail = [amount, suffix]
    fixed = len("_".join([*head, *tail])) + len(extension) + 1  # + the name's "_"
    name = safe_name_part(expense.employee_name, max(MAX_ENTRY_NAME - fixed, 0))
    return "_".join([*head, *([name] if name else []), *tail]) + extension


@dataclass(frozen=True, slots=True)
class VatTotals:
    count: int = 0
    gross: Decimal = ZERO
    vat: Decimal = ZERO
    net: Decimal = ZERO

    def plus(self, gross: Decimal, vat: Decimal) -> VatTotals:
        return VatTotals(self.count + 1, self.gross + gross, self.vat + vat, self.net + gross - vat)


@dataclass(frozen=True, slots=True)
class ExpenseTotals:
    """The VAT split of the summary: per rate (percent, two decimals) and in total."""

    by_rate: dict[Decimal, VatTotals]
    total: VatTotals


def write_expense_summary_csv(
    out: BinaryIO,
    expenses: Iterable[ExportExpense],
    *,
    decimal_comma: bool = True,
    receipt_folder: str = "",
) -> ExpenseTotals:
    """Write one row per expense (in the given order), then a blank row and the VAT split: per
    VAT rate (highest first) the number of expenses and the sums of gross, VAT and net, and a
    total row. Decimal only, so the rates add up to the total exactly. `receipt_folder` is
    put before the receipt names (e.g. "kvitton/") when the receipts sit in a folder."""
    by_rate: dict[Decimal, VatTotals] = {}
    total = VatTotals()

    def number(value: Decimal | None) -> str:
        return csv_decimal(value, decimal_comma=decimal_comma)

    with _csv_writer(out, decimal_comma=decimal_comma) as writer:
        writer.writerow([name for name, _ in EXPENSE_CSV_COLUMNS])
        for expense in expenses:
            for line_rate, net, vat in expense.lines():
                rate = line_rate.quantize(ORE)
                by_rate[rate] = by_rate.get(rate, VatTotals()).plus(net + vat, vat)
            total = total.plus(expense.amount, expense.vat_amount)
            deductible = (
                expense.vat_amount if expense.deductible_vat is None else expense.deductible_vat
            )
            receipts = " | ".join(
                receipt_folder + receipt_entry_name(expense, receipt, index)
                for index, receipt in enumerate(expense.receipts, start=1)
            )
            writer.writerow(
                [
                    str(expense.id),
                    expense.date.isoformat(),
                    csv_text(expense.employee_number),
                    csv_text(expense.employee_name),
                    csv_text(expense.kind),
                    csv_text(expense.category),
                    csv_text(expense.description),
                    number(expense.distance_km),
                    csv_text(expense.status),
                    number(expense.amount),
                    csv_text(expense.currency),
                    number(expense.original_amount),
                    csv_decimal(
                        expense.exchange_rate, decimal_comma=decimal_comma, places=RATE_PLACES
                    ),
                    number(expense.vat_rate),
                    number(expense.vat_amount),
                    number(expense.amount - expense.vat_amount),
                    " | ".join(
                        ":".join(number(value) for value in line) for line in expense.lines()
                    ),
                    number(deductible),
                    number(expense.vat_amount - deductible),
                    csv_text(expense.representation or ""),
                    csv_text(" | ".join(expense.participants)),
                    csv_text(expense.purpose or ""),
                    "" if expense.voucher_number is None else str(expense.voucher_number),
                    csv_text(expense.supplier or ""),
                    csv_text(expense.supplier_org_number or ""),
                    "" if expense.bas_account is None else str(expense.bas_account),
                    csv_text(expense.cost_centre or ""),
                    csv_text(expense.project_code or ""),
                    csv_text(receipts),
                ]
            )
        writer.writerow([])
        writer.writerow(VAT_SPLIT_COLUMNS)
        ordered = dict(sorted(by_rate.items(), reverse=True))
        for rate, sums in ordered.items():
            writer.writerow(
                [number(rate), sums.count, number(sums.gross), number(sums.vat), number(sums.net)]
            )
        writer.writerow(
            ["total", total.count, number(total.gross), number(total.vat), number(total.net)]
        )
    return ExpenseTotals(by_rate=ordered, total=total)


# --- deterministic archives -----------------------------------------------------------------

ZIP_EPOCH = date(1980, 1, 1)  # the earliest time stamp a ZIP entry can carry
FILE_MODE = 0o100644  # a regular file, rw-r--r--
UNIX = 3  # ZipInfo.create_system: the same bytes whichever system writes the archive
CHUNK_BYTES = 1024 * 1024
T = TypeVar("T")


def _check_entry_name(name: str) -> None:
    """Refuse names that would land outside the extraction folder or confuse unzip tools."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or any(part in ("", ".", "..") for part in parts)
        or any(unicodedata.category(char).startswith("C") for char in name)
    ):
        raise ValueError(f"{name!r} is not a safe name for an archive entry")


class DeterministicZip:
    """A ZIP archive whose bytes depend on nothing but what is added, in which order: every
    entry has the time stamp of `timestamp` (midnight; e.g. the period's last day, or
    1980-01-01), mode rw-r--r--, DEFLATE. Write to a seekable file (a path, or a file opened
    "w+b"): entries are written once, sizes patched in place, nothing held in memory. Entry
    names must be unique (case-insensitively, as on Windows) and relative."""

    def __init__(self, target: Path | BinaryIO, *, timestamp: date = ZIP_EPOCH) -> None:
        if not 1980 <= timestamp.year <= 2107:
            raise ValueError("a ZIP time stamp lies from 1980 to 2107")
        self._date_time = (timestamp.year, timestamp.month, timestamp.day, 0, 0, 0)
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self._names: set[str] = set()

    def _info(self, name: str, size: int = 0) -> zipfile.ZipInfo:
        _check_entry_name(name)
        if name.casefold() in self._names:
            raise ValueError(f"the archive already has an entry {name!r}")
        self._names.add(name.casefold())
        info = zipfile.ZipInfo(name, date_time=self._date_time)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.create_system = UNIX
        info.external_attr = FILE_MODE << 16
        info.file_size = size  # lets zipfile choose ZIP64 up front for huge files
        return info

    def add_file(self, name: str, path: Path) -> None:
        """Add the file at `path`, streamed in chunks."""
        info = self._info(name, path.stat().st_size)
        with path.open("rb") as source, self._zip.open(info, "w") as entry:
            shutil.copyfileobj(source, entry, CHUNK_BYTES)

    def add_bytes(self, name: str, data: bytes) -> None:
        info = self._info(name, len(data))
        with self._zip.open(info, "w") as entry:
            entry.write(data)

    def add_writer(
        self, name: str, write: Callable[[BinaryIO], T], *, force_zip64: bool = False
    ) -> T:
        """Add an entry produced on the fly: `write` gets the entry as a binary file (e.g.
        `write_paxml`, `write_basis_csv`); its result is returned. Pass `force_zip64` when the
        entry may exceed 2 GiB (its size is not known up front)."""
        info = self._info(name)
        with self._zip.open(info, "w", force_zip64=force_zip64) as entry:
            return write(cast(BinaryIO, entry))

    @property
    def names(self) -> list[str]:
        return self._zip.namelist()

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> DeterministicZip:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


# --- the accounting firm's batch ------------------------------------------------------------

CLIENT_NAME_LENGTH = 60

MANIFEST_CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("organisation_number", "The client's organisation number, NNNNNN-NNNN."),
    ("company_name", "The client's name."),
    ("status", "EXPORTED, or SKIPPED when the batch has no file for the client."),
    (
        "reason",
        "Why skipped: NO_PERIOD, PERIOD_NOT_LOCKED, NO_LINES or MISSING_PERSONAL_IDENTITY_NUMBER"
        " (an expenses batch: NO_EXPENSES).",
    ),
    ("file_name", "The client's file in the batch archive, when exported."),
    ("line_count", "Lines of the payroll basis in the file (an expenses batch: the expenses)."),
    ("total_amount", "The sum of the amounts of those lines (or expenses), SEK."),
)


def client_folder_name(company: ExportCompany, *, number: str | None = None) -> str:
    """A client's folder in a batch archive: `556123-1234_Åkeri-AB` (the organisation number
    makes it unique, the name makes it readable). `number` replaces the organisation number
    (`organisation_number_in_names`: a sole trader's masked)."""
    orgnr = number or organisation_number_with_dash(company.organisation_number)
    name = safe_name_part(company.name, CLIENT_NAME_LENGTH)
    return f"{orgnr}_{name}" if name else orgnr


def write_manifest_csv(
    out: BinaryIO, entries: Iterable[ManifestEntry], *, decimal_comma: bool = True
) -> int:
    """Write the batch's manifest: one row per client, in the given order; the number of rows."""
    rows = 0
    statuses = {status.value for status in ManifestStatus}
    with _csv_writer(out, decimal_comma=decimal_comma) as writer:
        writer.writerow([name for name, _ in MANIFEST_CSV_COLUMNS])
        for entry in entries:
            if entry.status not in statuses:
                raise ValueError(f"{entry.status!r} is not a manifest status")
            writer.writerow(
                [
                    csv_text(entry.organisation_number),
                    csv_text(entry.company_name),
                    entry.status,
                    csv_text(entry.reason),
                    csv_text(entry.file_name),
                    str(entry.line_count),
                    csv_decimal(entry.total_amount, decimal_comma=decimal_comma),
                ]
            )
            rows += 1
    return rows
