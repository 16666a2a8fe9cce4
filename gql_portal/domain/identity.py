"""Swedish organisation and personal identity numbers.

Both end in a Luhn check digit over the preceding nine digits (of the 10-digit form).
Organisation numbers have digits 3-4 ("month") of at least 20 so they never look like a person.
Personal identity numbers are stored as 12 digits YYYYMMDDNNNC; coordination numbers add 60 to
the day.

A sole trader (enskild firma) has no number of its own: its organisation number is the owner's
personnummer. It is stored like every organisation number, as 10 digits (YYMMDDNNNC, written
YYMMDD-NNNN as Skatteverket and Bolagsverket write an enskild firma's, and as payroll programs
and SIE files take `foretagorgnr`/`#ORGNR`), so one column and one uniqueness rule hold both.
Digits 3-4 tell them apart (a month, 01-12, is a person's): `is_sole_trader` derives it.
"""

from __future__ import annotations

import re
from datetime import date

_SEPARATORS = re.compile(r"[\s\-+]")


def luhn_check_digit(nine_digits: str) -> int:
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


class InvalidNumber(ValueError):
    """Why a number is not valid: `reason` is machine-readable, the message is for people."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def normalize_organisation_number(raw: str, today: date | None = None) -> str:
    """Return the 10 digits of a valid organisation number, or raise InvalidNumber.

    A sole trader's is the owner's personnummer, in 12 digits or 10 (with or without the dash;
    a '+' marks an owner aged 100 or more): its date and check digit are checked as a
    personnummer's (reasons DATE, CHECK_DIGIT), and its 10 digits returned."""
    digits = _SEPARATORS.sub("", raw)
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]  # the "16" century prefix some registers use
    elif len(digits) == 12 and digits.isdigit():
        return normalize_personal_identity_number(raw, today)[2:]  # YYYYMMDDNNNC: a person
    if not digits.isdigit() or len(digits) != 10:
        raise InvalidNumber(
            "FORMAT",
            "must be 10 digits, for example 556677-8899, or a sole trader's personnummer",
        )
    if is_sole_trader(digits):
        return normalize_personal_identity_number(raw, today)[2:]
    if luhn_check_digit(digits[:9]) != int(digits[9]):
        raise InvalidNumber("CHECK_DIGIT", "the check digit (the last digit) is wrong")
    return digits


def is_sole_trader(digits: str) -> bool:
    """Whether 10 stored digits are a person's (an enskild firma's): digits 3-4 are a month."""
    return int(digits[2:4]) < 20


def format_organisation_number(digits: str) -> str:
    return f"{digits[:6]}-{digits[6:]}"


def shown_organisation_number(digits: str, *, in_full: bool) -> str:
    """NNNNNN-NNNN; a sole trader's (its owner's personnummer) as YYMMDD-**** unless `in_full`
    (who sees it in full is the permission matrix's to say: permissions/rules.py)."""
    if in_full or not is_sole_trader(digits):
        return format_organisation_number(digits)
    return f"{digits[:6]}-****"


def normalize_personal_identity_number(raw: str, today: date | None = None) -> str:
    """Return the 12 digits YYYYMMDDNNNC of a valid personnummer or samordningsnummer.

    Accepts 12 digits, or 10 digits where a '+' separator marks a person aged 100 or more.
    """
    text = raw.strip()
    centenarian = "+" in text
    digits = _SEPARATORS.sub("", text)
    if not digits.isdigit() or len(digits) not in (10, 12):
        raise InvalidNumber("FORMAT", "must be 12 digits, YYYYMMDDNNNC")
    if len(digits) == 10:
        reference = today or date.today()
        year = int(digits[:2])
        century = reference.year // 100 * 100
        full_year = century + year
        if full_year > reference.year:
            full_year -= 100
        if centenarian:
            full_year -= 100
        digits = f"{full_year:04d}{digits[2:]}"
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    if day > 60:
        day -= 60  # coordination number
    try:
        date(year, month, day)
    except ValueError:
        raise InvalidNumber("DATE", "the date part is not a valid date") from None
    if luhn_check_digit(digits[2:11]) != int(digits[11]):
        raise InvalidNumber("CHECK_DIGIT", "the check digit (the last digit) is wrong")
    return digits


def with_check_digit(nine_digits: str) -> str:
    """Append the Luhn digit: for building valid numbers (demo data, tests)."""
    return nine_digits + str(luhn_check_digit(nine_digits))
