"""Expenses, VAT rates by date, and mileage."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum


class ExpenseKind(StrEnum):
    EXPENSE = "EXPENSE"  # utlägg, with receipts
    MILEAGE = "MILEAGE"  # milersättning


class ExpenseStatus(StrEnum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


class ExpenseCategory(StrEnum):
    FOOD = "FOOD"  # livsmedel, restaurang
    ACCOMMODATION = "ACCOMMODATION"  # hotell
    TRAVEL = "TRAVEL"  # resor (tåg, flyg, taxi)
    FUEL = "FUEL"
    PARKING = "PARKING"
    OFFICE_SUPPLIES = "OFFICE_SUPPLIES"
    BOOKS_NEWSPAPERS = "BOOKS_NEWSPAPERS"
    REPRESENTATION = "REPRESENTATION"
    OTHER = "OTHER"


class VehicleKind(StrEnum):
    OWN_CAR = "OWN_CAR"
    COMPANY_CAR_FOSSIL = "COMPANY_CAR_FOSSIL"  # förmånsbil, bensin/diesel
    COMPANY_CAR_ELECTRIC = "COMPANY_CAR_ELECTRIC"  # förmånsbil, el


ZERO = Decimal("0.00")
# VAT rates valid on a date: general 25 %, reduced 12 % and 6 %, and 0 % (exempt).
# Food (livsmedel) is 6 % instead of 12 % from 2026-04-01 to 2027-12-31.
_FOOD_CUT = (date(2026, 4, 1), date(2027, 12, 31))
STANDARD_RATES = (Decimal("25"), Decimal("12"), Decimal("6"), Decimal("0"))


def vat_rates_on(day: date, category: ExpenseCategory | None = None) -> tuple[Decimal, ...]:
    """The VAT rates that may apply to an expense of `category` on `day`."""
    if category is ExpenseCategory.FOOD and _FOOD_CUT[0] <= day <= _FOOD_CUT[1]:
        return (Decimal("6"), Decimal("25"), Decimal("0"))  # food 6 %; alcohol etc. stays 25 %
    if category is ExpenseCategory.FOOD:
        return (Decimal("12"), Decimal("25"), Decimal("0"))
    if category is ExpenseCategory.BOOKS_NEWSPAPERS:
        return (Decimal("6"), Decimal("25"), Decimal("0"))
    if category is ExpenseCategory.ACCOMMODATION or category is ExpenseCategory.TRAVEL:
        return (Decimal("12"), Decimal("6"), Decimal("25"), Decimal("0"))
    return STANDARD_RATES


def vat_included(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT part of a gross amount at `rate` percent, rounded to öre."""
    return (amount * rate / (Decimal(100) + rate)).quantize(Decimal("0.01"))


# Skatteverket's tax-free mileage allowance (skattefri bilersättning) per Swedish mil (10 km),
# by the date of the trip and the vehicle; each row holds from its date until the next row.
# Source: inkomstskattelagen 12 kap. 5 § with Skatteverket's amounts ("Bilersättning",
# skatteverket.se); the 2023 change: Finansdepartementet Fi2022/01470, in force 2023-01-01.
# - until 2022: own car 18.50 kr; förmånsbil (company car) diesel 6.50 kr, other fuels
#   (petrol, ethanol, gas, electricity) 9.50 kr. The portal does not know a fossil company
#   car's fuel, so it counts the lower diesel amount as tax-free (never too much tax-free;
#   a petrol car's 3 kr/mil difference shows as the taxable part, for the firm to correct).
# - from 2023: own car 25 kr; förmånsbil 12 kr, fully electric förmånsbil 9.50 kr.
# A trip before the first row has no known rate: `mileage_rate` refuses (MileageRateUnknown).
MILEAGE_RATES_FROM: tuple[tuple[date, dict[VehicleKind, Decimal]], ...] = (
    (
        date(2022, 1, 1),
        {
            VehicleKind.OWN_CAR: Decimal("18.50"),
            VehicleKind.COMPANY_CAR_FOSSIL: Decimal("6.50"),
            VehicleKind.COMPANY_CAR_ELECTRIC: Decimal("9.50"),
        },
    ),
    (
        date(2023, 1, 1),
        {
            VehicleKind.OWN_CAR: Decimal("25.00"),
            VehicleKind.COMPANY_CAR_FOSSIL: Decimal("12.00"),
            VehicleKind.COMPANY_CAR_ELECTRIC: Decimal("9.50"),
        },
    ),
)
MILEAGE_RATES_KNOWN_FROM = MILEAGE_RATES_FROM[0][0]
MILEAGE_RATE_UNKNOWN = "MILEAGE_RATE_UNKNOWN"  # the error code of a trip before the table


class MileageRateUnknown(ValueError):
    """A trip dated before the first tax-free rate the portal knows."""

    code = MILEAGE_RATE_UNKNOWN


def mileage_rate(day: date, vehicle: VehicleKind) -> Decimal:
    """The tax-free rate per mil for a trip on `day` in `vehicle` (the rates of that date, not
    the latest year's). Raises MileageRateUnknown for a day before MILEAGE_RATES_KNOWN_FROM."""
    rates = [table for valid_from, table in MILEAGE_RATES_FROM if valid_from <= day]
    if not rates:
        raise MileageRateUnknown(
            f"no tax-free mileage rate is known before {MILEAGE_RATES_KNOWN_FROM.isoformat()}"
        )
    return rates[-1][vehicle]


def mileage_amount(distance_km: Decimal, rate_per_mil: Decimal) -> Decimal:
    return (distance_km / Decimal(10) * rate_per_mil).quantize(Decimal("0.01"), ROUND_HALF_UP)


# --- limits, receipt files ------------------------------------------------------------------

MAX_EXPENSE_AMOUNT = Decimal("1000000.00")  # one expense; more is a typing error, not an expense
MAX_MILEAGE_KM = Decimal("10000")  # one mileage claim
MAX_RECEIPT_BYTES = 10 * 1024 * 1024  # 10 MB
MAX_FILE_NAME_LENGTH = 200

# What a receipt file is, decided by its first bytes (never by its name or declared type).
RECEIPT_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"%PDF-", "application/pdf", ".pdf"),
)
SNIFF_BYTES = max(len(signature) for signature, _, _ in RECEIPT_SIGNATURES)


def sniff_receipt_type(head: bytes) -> tuple[str, str] | None:
    """(content type, file suffix) of a JPEG, PNG or PDF by its magic bytes; None otherwise."""
    for signature, content_type, suffix in RECEIPT_SIGNATURES:
        if head.startswith(signature):
            return content_type, suffix
    return None


_UNSAFE_IN_NAMES = frozenset('<>:"|?*')
_SAME_TYPE = {".jpg": (".jpg", ".jpeg"), ".png": (".png",), ".pdf": (".pdf",)}
_RECEIPT_EXTENSIONS = frozenset(ext for names in _SAME_TYPE.values() for ext in names)


def clean_file_name(name: str | None, suffix: str) -> str:
    """A file name safe to store and to offer for download: no directories, no control or
    direction-changing characters, ending in the extension of the detected type `suffix`
    (`lunch.jpg` of a PNG is `lunch.png`, `evil.exe` of a PDF `evil.exe.pdf`), at most 200
    characters; `kvitto<suffix>` when nothing is left."""
    import unicodedata

    base = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(
        "_" if char in _UNSAFE_IN_NAMES else char
        for char in base
        if not unicodedata.category(char).startswith("C")  # control, format (e.g. U+202E), ...
    )
    base = " ".join(base.split()).strip(" .")
    stem, dot, extension = base.rpartition(".")
    current = f".{extension.lower()}" if dot and stem else ""
    if current in _SAME_TYPE.get(suffix, (suffix,)):
        stem, suffix = base[: -len(current)], base[-len(current) :]
    elif current in _RECEIPT_EXTENSIONS:
        stem = base[: -len(current)]  # a receipt type, but not this one: replaced
    else:
        stem = base  # none, or another kind: the right one is added
    stem = stem[: MAX_FILE_NAME_LENGTH - len(suffix)].rstrip(" .")
    return f"{stem or 'kvitto'}{suffix}"
