"""The voucher data of an expense (Bokföringslagen 5 kap. 7 §: date, amount, VAT, counterparty,
what was bought, voucher number), beside what domain/expenses.py already keeps.

Decided here:
- The supplier's number is a Swedish organisation number (a sole trader's is the owner's
  personnummer), checked as domain.identity checks a company's and kept as its 10 digits; a
  Swedish VAT number (SE + the 10 digits + 01, as receipts print it) is taken as that number.
  A foreign supplier (a receipt from abroad) is identified by its VAT number: two letters of
  the country and 2 to 12 letters or digits, kept upper case without spaces, dots or dashes
  (checked for its shape only: each country has its own check rule). The number may be left
  out: many receipts (a parking meter, a kiosk) print none.
- A cost centre (kostnadsställe) is an object id of the SIE file's dimension 1: short, in the
  file's PC8 character set, without the quotes and braces that end a SIE field or object list.
- The account an expense books on is the company's BAS table's for its category; a mileage claim
  books on the tax-free car allowance account whatever its category (domain.bas).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Final

from gql_portal.domain.bas import TAX_FREE_MILEAGE_ACCOUNT, default_account
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind
from gql_portal.domain.identity import (
    InvalidNumber,
    format_organisation_number,
    normalize_organisation_number,
)

MAX_SUPPLIER_NAME_LENGTH: Final = 200
MAX_COST_CENTRE_LENGTH: Final = 20  # the column's width; SIE readers take short object ids
SIE_CHARSET: Final = "cp437"  # PC8, the SIE file's character set

_SEPARATORS = re.compile(r"[\s.\-]")
_FOREIGN_VAT_NUMBER = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,12}$")
_SWEDISH_VAT_NUMBER = re.compile(r"^SE([0-9]{10})01$")
_NOT_IN_AN_OBJECT_ID = frozenset('"{}\\')


def normalize_supplier_number(raw: str, today: date | None = None) -> str:
    """The number as stored: a Swedish organisation number's (or a sole trader's personnummer's)
    10 digits, or a foreign VAT number's letters and digits; InvalidNumber (reason FORMAT, DATE
    or CHECK_DIGIT) otherwise."""
    compact = _SEPARATORS.sub("", raw).upper()
    swedish_vat = _SWEDISH_VAT_NUMBER.match(compact)
    if swedish_vat:
        return normalize_organisation_number(swedish_vat.group(1), today)
    if compact[:2].isalpha():
        if compact.startswith("SE") or not _FOREIGN_VAT_NUMBER.match(compact):
            raise InvalidNumber(
                "FORMAT",
                "must be a Swedish organisation number (556677-8899), a sole trader's "
                "personnummer, or a VAT number (SE556677889901, DE123456789)",
            )
        return compact
    return normalize_organisation_number(raw, today)


def shown_supplier_number(stored: str) -> str:
    """A Swedish number as NNNNNN-NNNN, as receipts print it; a foreign VAT number as kept."""
    return format_organisation_number(stored) if stored.isdigit() else stored


def cost_centre_problem(text: str) -> tuple[str, str] | None:
    """Why `text` (already trimmed) cannot be a cost centre, as (reason, message), or None."""
    if len(text) > MAX_COST_CENTRE_LENGTH:
        return "TOO_LONG", f"must be at most {MAX_COST_CENTRE_LENGTH} characters"
    if any(char in _NOT_IN_AN_OBJECT_ID or not char.isprintable() for char in text):
        return (
            "UNSUPPORTED_CHARACTER",
            'may not hold quotes, braces or backslashes (they end a SIE object: {1 "K1"})',
        )
    try:
        text.encode(SIE_CHARSET)
    except UnicodeEncodeError:
        return (
            "UNSUPPORTED_CHARACTER",
            "may hold letters (å, ä, ö too), digits and punctuation: the SIE file is PC8",
        )
    return None


def booking_account(
    kind: ExpenseKind, category: ExpenseCategory, table: Mapping[ExpenseCategory, int]
) -> int:
    """The account an expense's cost is booked on: the company's table's for its category (the
    BAS default where the table has none); a mileage claim's tax-free allowance account."""
    if kind is ExpenseKind.MILEAGE:
        return TAX_FREE_MILEAGE_ACCOUNT
    return table.get(category, default_account(category))
