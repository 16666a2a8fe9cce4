"""SIE 4i: vouchers for import into the client's bookkeeping program, written without database.

SIE type 4i ("Transaktioner", file suffix .SI) is what a sub-ledger (payroll, invoicing, here
the expenses) hands to the bookkeeping program: no balances, only vouchers (`#VER`) with their
rows (`#TRANS`). The layout follows the SIE 4 specification (SIE-gruppen, sie.se, version 4B):

- one item a line, a line starting with its label (`#VER`), fields separated by one space;
  CRLF line ends; the character set IBM PC 8 (code page 437), announced by `#FORMAT PC8`;
- the identification items first, in the specification's order: `#FLAGGA 0` (not yet read by
  the receiver), `#PROGRAM`, `#FORMAT`, `#GEN`, `#SIETYP 4` (4i and 4e both say 4; the suffix
  tells them apart), `#ORGNR`, `#FNAMN`; then the chart (`#KONTO` for every account the file
  uses), the dimensions and objects the rows use (`#DIM`, `#OBJEKT`), then the vouchers;
- `#VER series number date "text"` followed by `{`, its `#TRANS account {objects} amount date
  "text"` lines and `}`; dates YYYYMMDD; amounts with a decimal point, two decimals, no
  thousands separator, negative for credit; a voucher's rows sum to exactly 0.00;
- a text field in double quotes, a `"` inside it escaped as `\\"`.

Decided here:
- Characters outside code page 437 are replaced (€ by EUR, typographic dashes and quotes by
  their ASCII forms, other letters by their base letter: č -> c, else `?`); control characters
  (tabs, line breaks) become spaces. A backslash becomes `/`: the specification defines only
  `\\"`, and readers disagree about what `\\\\` means, so no text ever needs one.
- `#ORGNR` is NNNNNN-NNNN. A sole trader's organisation number is the owner's personnummer,
  stored as its 10 digits (given 12, the century goes): the file carries YYMMDD-NNNN, the way
  bookkeeping programs register an enskild firma.
- Braces in a cost centre's or project's id become parentheses (see `sie_object_id`).
- A voucher without a number (`number=None`) is written with an empty number, which the
  specification lets the receiving program fill in from its own series.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import metadata
from typing import BinaryIO, Final

from gql_portal.domain.bas import (
    EMPLOYEE_LIABILITY_ACCOUNT,
    VAT_ACCOUNT,
    account_name,
    validate_bas_account,
)

SIE_ENCODING: Final = "cp437"  # what `#FORMAT PC8` means
CRLF: Final = "\r\n"
PROGRAM_NAME: Final = "gql-portal"
COST_CENTRE_DIMENSION: Final = 1  # the specification's reserved dimension numbers
PROJECT_DIMENSION: Final = 6
DIMENSION_NAMES: Final = {COST_CENTRE_DIMENSION: "Kostnadsställe", PROJECT_DIMENSION: "Projekt"}
NON_DEDUCTIBLE_VAT_TEXT: Final = "Ej avdragsgill moms"
_ORE: Final = Decimal("0.01")
_TOO_LARGE: Final = Decimal("1E15")  # SEK; also keeps quantize within Decimal's precision


def _program_version() -> str:
    try:
        return metadata.version(PROGRAM_NAME)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0"


class SieError(ValueError):
    """Input that cannot become a correct SIE file; `code` is machine-readable."""

    code = "SIE_INVALID"


class UnbalancedVoucher(SieError):
    code = "VOUCHER_UNBALANCED"


@dataclass(frozen=True, slots=True)
class SieTransaction:
    """One row of a voucher: positive amounts are debit, negative credit (SEK, öre exact).
    `dimensions` are (dimension number, object id) pairs, e.g. ((1, "100"), (6, "P17"))."""

    account: int
    amount: Decimal
    text: str | None = None
    dimensions: tuple[tuple[int, str], ...] = ()

    def __post_init__(self) -> None:
        validate_bas_account(self.account)
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise SieError(f"an amount is a finite Decimal, not {self.amount!r}")
        if abs(self.amount) >= _TOO_LARGE:
            raise SieError(f"{self.amount} is beyond any voucher")
        if self.amount != self.amount.quantize(_ORE):
            raise SieError(f"{self.amount} has fractions of an öre")
        numbers = [number for number, _ in self.dimensions]
        if len(set(numbers)) != len(numbers) or any(number < 1 for number in numbers):
            raise SieError(f"one object per dimension (1, 2, ...), not {self.dimensions!r}")
        if any(not obj for _, obj in self.dimensions):
            raise SieError("an object id is not empty")


@dataclass(frozen=True, slots=True)
class SieVoucher:
    """One verifikation; its rows must balance to 0.00."""

    series: str
    number: int | None
    date: date
    text: str
    transactions: tuple[SieTransaction, ...]

    def __post_init__(self) -> None:
        if len(self.transactions) < 2:
            raise UnbalancedVoucher("a voucher has at least two rows")
        total = sum((row.amount for row in self.transactions), Decimal(0))
        if total != 0:
            raise UnbalancedVoucher(f"voucher {self.series}{self.number} is off by {total}")


@dataclass(frozen=True, slots=True)
class SieFile:
    """What one .SI file holds. `accounts` names the accounts (the company's own table); an
    account it leaves out is named from BAS. `objects` names cost centres and projects by
    (dimension, object id)."""

    company_name: str
    organisation_number: str
    generated: date
    vouchers: tuple[SieVoucher, ...]
    accounts: Mapping[int, str] = field(default_factory=dict)
    objects: Mapping[tuple[int, str], str] = field(default_factory=dict)
    program_version: str = field(default_factory=_program_version)


# --- fields -----------------------------------------------------------------------------------

_REPLACEMENTS: Final = {
    "€": "EUR",
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "‚": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "ø": "o",
    "Ø": "O",
    "ł": "l",
    "Ł": "L",
    "\\": "/",
}


def _cp437_char(char: str) -> str:
    if unicodedata.category(char).startswith("C"):
        return " "  # tabs, line breaks, invisible formatting: never inside a field
    if char in _REPLACEMENTS:
        return _REPLACEMENTS[char]
    try:
        char.encode(SIE_ENCODING)
        return char
    except UnicodeEncodeError:
        pass
    base = "".join(
        part
        for part in unicodedata.normalize("NFKD", char)
        if not unicodedata.combining(part) and part.isascii() and part.isprintable()
    )
    return base or "?"


def sie_text(value: str) -> str:
    """`value` as a SIE file can hold it (before quoting): what a reader gets back."""
    return "".join(_cp437_char(char) for char in unicodedata.normalize("NFC", value))


def quoted(value: str) -> str:
    """A text field: in double quotes, a quote inside escaped with a backslash."""
    return '"' + sie_text(value).replace('"', '\\"') + '"'


def sie_amount(amount: Decimal) -> str:
    """Two decimals, a decimal point, a leading minus for credit ("-1250.00")."""
    return f"{amount.quantize(_ORE):f}" if amount else "0.00"  # never "-0.00"


def sie_date(day: date) -> str:
    return day.strftime("%Y%m%d")


def sie_organisation_number(number: str) -> str:
    """NNNNNN-NNNN from 10 digits, or from 12 (a century prefix, or a sole trader's
    personnummer YYYYMMDDNNNC: its 10-digit form)."""
    digits = re.sub(r"[\s+-]", "", number)
    if len(digits) == 12:
        digits = digits[2:]
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise SieError(f"{number!r} is not an organisation or personal identity number")
    return f"{digits[:6]}-{digits[6:]}"


def sie_object_id(value: str) -> str:
    """An object (cost centre, project) id as the file holds it: braces become parentheses,
    since simple readers end an object list at the first `}` even inside quotes."""
    return sie_text(value).replace("{", "(").replace("}", ")")


def _objects(dimensions: Sequence[tuple[int, str]]) -> str:
    pairs = (f"{number} {quoted(sie_object_id(obj))}" for number, obj in dimensions)
    return "{" + " ".join(pairs) + "}"


# --- the file ---------------------------------------------------------------------------------


def _header_lines(sie: SieFile) -> Iterator[str]:
    yield "#FLAGGA 0"
    yield f"#PROGRAM {quoted(PROGRAM_NAME)} {quoted(sie.program_version)}"
    yield "#FORMAT PC8"
    yield f"#GEN {sie_date(sie.generated)}"
    yield "#SIETYP 4"
    yield f"#ORGNR {sie_organisation_number(sie.organisation_number)}"
    yield f"#FNAMN {quoted(sie.company_name)}"


def used_accounts(vouchers: Iterable[SieVoucher]) -> list[int]:
    return sorted({row.account for voucher in vouchers for row in voucher.transactions})


def _account_lines(sie: SieFile) -> Iterator[str]:
    for number in used_accounts(sie.vouchers):
        name = sie.accounts.get(number) or account_name(number)
        if not name:
            raise SieError(f"account {number} has no name (#KONTO needs one)")
        yield f"#KONTO {number} {quoted(name)}"


def _dimension_lines(sie: SieFile) -> Iterator[str]:
    rows = [row for voucher in sie.vouchers for row in voucher.transactions]
    used = sorted({pair for row in rows for pair in row.dimensions})
    for dimension in sorted({number for number, _ in used}):
        name = DIMENSION_NAMES.get(dimension, f"Dimension {dimension}")
        yield f"#DIM {dimension} {quoted(name)}"
    for dimension, obj in used:
        name = sie.objects.get((dimension, obj), obj)
        yield f"#OBJEKT {dimension} {quoted(sie_object_id(obj))} {quoted(name)}"


def _voucher_lines(voucher: SieVoucher) -> Iterator[str]:
    number = "" if voucher.number is None else str(voucher.number)
    yield (
        f"#VER {quoted(voucher.series)} {quoted(number)} {sie_date(voucher.date)}"
        f" {quoted(voucher.text)}"
    )
    yield "{"
    for row in voucher.transactions:
        line = f"#TRANS {row.account} {_objects(row.dimensions)} {sie_amount(row.amount)}"
        line += f" {sie_date(voucher.date)}"
        if row.text is not None:
            line += f" {quoted(row.text)}"
        yield line
    yield "}"


def sie_lines(sie: SieFile) -> Iterator[str]:
    """The file's lines in order, without line ends."""
    yield from _header_lines(sie)
    yield from _account_lines(sie)
    yield from _dimension_lines(sie)
    for voucher in sie.vouchers:
        yield from _voucher_lines(voucher)


def write_sie4i(sie: SieFile, out: BinaryIO) -> None:
    """Write `sie` as SIE 4i (PC8, CRLF) to `out`, leaving it open."""
    for line in sie_lines(sie):
        # sie_text left only code page 437 in the fields; the rest is ASCII we wrote
        out.write((line + CRLF).encode(SIE_ENCODING))


def sie4i_bytes(sie: SieFile) -> bytes:
    buffer = io.BytesIO()
    write_sie4i(sie, buffer)
    return buffer.getvalue()


# --- an expense as a voucher ------------------------------------------------------------------


def expense_voucher(
    *,
    series: str,
    number: int | None,
    day: date,
    text: str,
    gross: Decimal,
    vat: Decimal,
    cost_account: int,
    deductible_vat: Decimal | None = None,
    liability_account: int = EMPLOYEE_LIABILITY_ACCOUNT,
    vat_account: int = VAT_ACCOUNT,
    non_deductible_vat_account: int | None = None,
    dimensions: tuple[tuple[int, str], ...] = (),
    receipt_names: Sequence[str] = (),
) -> SieVoucher:
    """The voucher of an approved utlägg of `gross` SEK (VAT included) with `vat` in it (the
    sum of its VAT lines), of which `deductible_vat` (all of it unless capped, e.g. for
    representation) is deducted:

        debit  cost account   gross - vat            (net)
        debit  cost account   vat - deductible_vat   ("Ej avdragsgill moms"; its own row, on
                                                      `non_deductible_vat_account` if given)
        debit  2641           deductible_vat
        credit liability      gross                  (owed to the employee)

    Rows of 0.00 are left out; the cost rows carry `dimensions` (cost centre, project). The
    receipts' file names (as in the ZIP beside the file) end the voucher text, so the firm finds
    the underlag of each voucher."""
    deductible = vat if deductible_vat is None else deductible_vat
    if not Decimal(0) < gross or not Decimal(0) <= deductible <= vat <= gross:
        raise SieError(f"need 0 <= deductible VAT {deductible} <= VAT {vat} <= gross {gross} > 0")
    non_deductible = vat - deductible
    rows = (
        SieTransaction(cost_account, gross - vat, None, dimensions),
        SieTransaction(
            non_deductible_vat_account or cost_account,
            non_deductible,
            NON_DEDUCTIBLE_VAT_TEXT,
            dimensions,
        ),
        SieTransaction(vat_account, deductible),
        SieTransaction(liability_account, -gross),
    )
    if receipt_names:
        text = f"{text} (kvitto: {', '.join(receipt_names)})"
    return SieVoucher(series, number, day, text, tuple(row for row in rows if row.amount != 0))
