"""Expenses, VAT rates by date, and mileage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
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
    FOOD = "FOOD"  # livsmedel (groceries: fika, breakfast for a workshop)
    RESTAURANT = "RESTAURANT"  # restaurang- och cateringtjänster
    ACCOMMODATION = "ACCOMMODATION"  # hotell
    TRAVEL = "TRAVEL"  # resor (tåg, flyg, taxi): passenger transport
    FUEL = "FUEL"
    PARKING = "PARKING"
    OFFICE_SUPPLIES = "OFFICE_SUPPLIES"
    BOOKS_NEWSPAPERS = "BOOKS_NEWSPAPERS"
    CULTURE = "CULTURE"  # entrance to concerts, theatre, museums
    REPRESENTATION = "REPRESENTATION"  # a meal with guests or staff: see RepresentationKind
    OTHER = "OTHER"


class VehicleKind(StrEnum):
    OWN_CAR = "OWN_CAR"
    COMPANY_CAR_FOSSIL = "COMPANY_CAR_FOSSIL"  # förmånsbil, bensin, etanol, gas, laddhybrid
    COMPANY_CAR_DIESEL = "COMPANY_CAR_DIESEL"  # förmånsbil, diesel (its own rate until 2022)
    COMPANY_CAR_ELECTRIC = "COMPANY_CAR_ELECTRIC"  # förmånsbil, el


class RepresentationKind(StrEnum):
    INTERNAL = "INTERNAL"  # intern representation: the company's own staff
    EXTERNAL = "EXTERNAL"  # extern representation: customers, suppliers, other guests


ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
GENERAL, REDUCED, LOW, EXEMPT = Decimal("25"), Decimal("12"), Decimal("6"), Decimal("0")
STANDARD_RATES = (GENERAL, REDUCED, LOW, EXEMPT)

# The VAT rates an expense of a category may carry on a date (mervärdesskattelagen 9 kap.):
# general 25 %, reduced 12 % and 6 %, and 0 % (exempt, or no VAT on the receipt). One row per
# category and the day it takes effect; a row holds until the category's next row. A receipt
# may mix rates (a restaurant's food at 12 % and drinks at 25 %): every VAT line's rate must be
# among its category's. 25 % is in every row: alcohol, or goods sold beside the service.
# - FOOD (livsmedel): 12 %, cut to 6 % from 2026-04-01 to 2027-12-31 (prop. 2025/26:55,
#   "Tillfälligt sänkt mervärdesskatt på livsmedel"), 12 % again from 2028-01-01.
# - RESTAURANT (restaurang- och cateringtjänster): 12 % on every date; the cut does not apply.
# - ACCOMMODATION 12 %; passenger transport (TRAVEL), books and newspapers, culture 6 %.
# - REPRESENTATION: a meal (12 %, food bought in a shop 6 % during the cut, drinks 25 %).
FOOD_CUT_FROM, FOOD_CUT_TO = date(2026, 4, 1), date(2027, 12, 31)
_EARLIEST = date(1990, 1, 1)
VAT_RATES_FROM: dict[ExpenseCategory, tuple[tuple[date, tuple[Decimal, ...]], ...]] = {
    ExpenseCategory.FOOD: (
        (_EARLIEST, (REDUCED, GENERAL, EXEMPT)),
        (FOOD_CUT_FROM, (LOW, GENERAL, EXEMPT)),
        (FOOD_CUT_TO + timedelta(days=1), (REDUCED, GENERAL, EXEMPT)),
    ),
    ExpenseCategory.RESTAURANT: ((_EARLIEST, (REDUCED, GENERAL, EXEMPT)),),
    ExpenseCategory.ACCOMMODATION: ((_EARLIEST, (REDUCED, LOW, GENERAL, EXEMPT)),),
    # 6 % the ticket; 12 % a meal on board on the same receipt; 25 % a rented car, a toll
    ExpenseCategory.TRAVEL: ((_EARLIEST, (LOW, REDUCED, GENERAL, EXEMPT)),),
    ExpenseCategory.BOOKS_NEWSPAPERS: ((_EARLIEST, (LOW, GENERAL, EXEMPT)),),
    ExpenseCategory.CULTURE: ((_EARLIEST, (LOW, GENERAL, EXEMPT)),),
}


def vat_rates_on(day: date, category: ExpenseCategory | None = None) -> tuple[Decimal, ...]:
    """The VAT rates that may apply to an expense of `category` on `day` (the first is the
    category's usual one); any standard rate for a category without a row of its own."""
    rows = VAT_RATES_FROM.get(category) if category is not None else None
    if not rows:
        return STANDARD_RATES
    valid = [rates for valid_from, rates in rows if valid_from <= day]
    return valid[-1] if valid else rows[0][1]


def vat_included(amount: Decimal, rate: Decimal) -> Decimal:
    """The VAT part of a gross amount at `rate` percent, rounded to öre."""
    return (amount * rate / (HUNDRED + rate)).quantize(CENT)


def vat_on_net(net: Decimal, rate: Decimal) -> Decimal:
    """The VAT on a net amount at `rate` percent, rounded to öre."""
    return (net * rate / HUNDRED).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class VatLine:
    """One rate of a receipt: the net amount at that rate and its VAT (gross = net + vat)."""

    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def single_line(amount: Decimal, rate: Decimal, vat: Decimal | None = None) -> VatLine:
    """The one VAT line of a gross amount at one rate (VAT as on the receipt, or computed)."""
    vat = vat_included(amount, rate) if vat is None else vat
    return VatLine(rate=rate, net=amount - vat, vat=vat)


def reconciles(lines: Sequence[VatLine], amount: Decimal) -> bool:
    """Whether the lines add up to the gross amount, to the öre."""
    return sum((line.gross for line in lines), ZERO) == amount


def summary_rate(lines: Sequence[VatLine]) -> Decimal | None:
    """The expense's one VAT rate, or None when its lines carry several."""
    rates = {line.rate for line in lines}
    return next(iter(rates)) if len(rates) == 1 else None


# Representation meals (Skatteverket, "Representation", mervärdesskattelagen 8 kap. 9 §):
# input VAT is deductible on at most 300 kr excluding VAT per person and occasion. Over several
# rates the 300 kr are shared in proportion to the lines' net amounts.
REPRESENTATION_NET_CAP_PER_PERSON = Decimal("300")
MAX_PARTICIPANTS = 50  # one occasion (a bounded list in GraphQL); more: split it


def deductible_vat(lines: Sequence[VatLine], persons: int) -> Decimal:
    """The deductible VAT of a representation meal for `persons` people: each line's VAT on its
    share of 300 kr net per person, never more than the line's VAT."""
    total_net = sum((line.net for line in lines), ZERO)
    cap = REPRESENTATION_NET_CAP_PER_PERSON * max(persons, 0)
    if total_net <= cap:
        return sum((line.vat for line in lines), ZERO)
    deductible = ZERO
    for line in lines:
        share = cap * line.net / total_net
        deductible += min(line.vat, vat_on_net(share, line.rate))
    return deductible


# Skatteverket's tax-free mileage allowance (skattefri bilersättning) per Swedish mil (10 km),
# by the date of the trip and the vehicle; each row holds from its date until the next row.
# Source: inkomstskattelagen 12 kap. 5 § with Skatteverket's amounts ("Bilersättning",
# skatteverket.se, the amounts of each income year); the 2023 change was proposed in
# Finansdepartementet's promemoria Fi2022/01470 and is in force from 2023-01-01 (the fully
# electric company car kept its 9.50 kr; the promemoria's 6 kr for it was not enacted).
# - until 2022: own car 18.50 kr; förmånsbil (company car) on diesel 6.50 kr, on any other
#   fuel (petrol, ethanol, gas, electricity; a plug-in hybrid too, even a diesel one) 9.50 kr.
# - from 2023: own car 25 kr; förmånsbil 12 kr (diesel or not), fully electric 9.50 kr.
# A trip before the first row has no known rate: `mileage_rate` refuses (MileageRateUnknown).
MILEAGE_RATES_FROM: tuple[tuple[date, dict[VehicleKind, Decimal]], ...] = (
    (
        date(2022, 1, 1),
        {
            VehicleKind.OWN_CAR: Decimal("18.50"),
            VehicleKind.COMPANY_CAR_FOSSIL: Decimal("9.50"),
            VehicleKind.COMPANY_CAR_DIESEL: Decimal("6.50"),
            VehicleKind.COMPANY_CAR_ELECTRIC: Decimal("9.50"),
        },
    ),
    (
        date(2023, 1, 1),
        {
            VehicleKind.OWN_CAR: Decimal("25.00"),
            VehicleKind.COMPANY_CAR_FOSSIL: Decimal("12.00"),
            VehicleKind.COMPANY_CAR_DIESEL: Decimal("12.00"),
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
