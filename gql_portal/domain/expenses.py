"""Expenses, VAT rates by date, and mileage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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


# Tax-free mileage allowance per Swedish mil (10 km), by year and vehicle.
MILEAGE_RATE_PER_MIL: dict[int, dict[VehicleKind, Decimal]] = {
    2025: {
        VehicleKind.OWN_CAR: Decimal("25.00"),
        VehicleKind.COMPANY_CAR_FOSSIL: Decimal("12.00"),
        VehicleKind.COMPANY_CAR_ELECTRIC: Decimal("9.50"),
    },
    2026: {
        VehicleKind.OWN_CAR: Decimal("25.00"),
        VehicleKind.COMPANY_CAR_FOSSIL: Decimal("12.00"),
        VehicleKind.COMPANY_CAR_ELECTRIC: Decimal("9.50"),
    },
}


def mileage_rate(day: date, vehicle: VehicleKind) -> Decimal:
    year = day.year if day.year in MILEAGE_RATE_PER_MIL else max(MILEAGE_RATE_PER_MIL)
    return MILEAGE_RATE_PER_MIL[year][vehicle]


def mileage_amount(distance_km: Decimal, rate_per_mil: Decimal) -> Decimal:
    return (distance_km / Decimal(10) * rate_per_mil).quantize(Decimal("0.01"))
