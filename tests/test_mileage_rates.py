"""Skatteverket's tax-free mileage rates by the trip's date (domain/expenses.py), and a claim
dated before the rates the portal knows refused with a code naming the date.

Until 2022 a company car (förmånsbil) on diesel had its own, lower tax-free rate: 6.50 kr per mil
against 9.50 kr for petrol, ethanol, gas, a plug-in hybrid or electricity; from 2023 both fossil
kinds get 12 kr and the fully electric car keeps 9.50 kr. A 100 km trip on 2022-06-01 is paid
185.00 (own car), 95.00 (petrol company car), 65.00 (diesel) and 95.00 (electric)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_portal.domain.expenses import (
    MILEAGE_RATE_UNKNOWN,
    MILEAGE_RATES_KNOWN_FROM,
    ExpenseKind,
    ExpenseStatus,
    MileageRateUnknown,
    VehicleKind,
    mileage_rate,
)
from gql_portal.domain.payroll import BasisEmployee, BasisExpense, compute_basis
from tests.conftest import Api, only_error
from tests.factories import Factory

OWN = VehicleKind.OWN_CAR
FOSSIL = VehicleKind.COMPANY_CAR_FOSSIL
DIESEL = VehicleKind.COMPANY_CAR_DIESEL
ELECTRIC = VehicleKind.COMPANY_CAR_ELECTRIC


@pytest.mark.parametrize(
    ("day", "vehicle", "rate"),
    [
        (date(2022, 1, 1), OWN, "18.50"),
        (date(2022, 12, 31), OWN, "18.50"),
        (date(2023, 1, 1), OWN, "25.00"),
        (date(2026, 6, 1), OWN, "25.00"),
        (date(2022, 6, 30), FOSSIL, "9.50"),  # petrol, ethanol, gas, a plug-in hybrid
        (date(2022, 12, 31), FOSSIL, "9.50"),
        (date(2023, 1, 1), FOSSIL, "12.00"),
        (date(2022, 6, 30), DIESEL, "6.50"),
        (date(2022, 12, 31), DIESEL, "6.50"),
        (date(2023, 1, 1), DIESEL, "12.00"),
        (date(2022, 3, 1), ELECTRIC, "9.50"),
        (date(2025, 3, 1), ELECTRIC, "9.50"),
    ],
)
def test_the_rate_is_the_one_of_the_trips_date(day: date, vehicle: VehicleKind, rate: str) -> None:
    assert mileage_rate(day, vehicle) == Decimal(rate)


def test_an_old_trip_gets_no_later_years_rate() -> None:
    assert mileage_rate(date(2022, 11, 30), OWN) != mileage_rate(date(2024, 11, 30), OWN)


def test_a_trip_before_the_table_has_no_rate() -> None:
    with pytest.raises(MileageRateUnknown) as refused:
        mileage_rate(date(2021, 12, 31), OWN)
    assert refused.value.code == MILEAGE_RATE_UNKNOWN
    assert date(2022, 1, 1) == MILEAGE_RATES_KNOWN_FROM


MILEAGE = """mutation($input: SubmitMileageInput!) { submitMileage(input: $input) {
  expense { date ratePerMil amount } } }"""


def _trip(day: str, vehicle: str = "OWN_CAR") -> dict[str, object]:
    return {"input": {"date": day, "distanceKm": "100", "vehicle": vehicle, "description": "Resa"}}


async def test_a_claim_is_priced_at_its_dates_rate(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    body = await api(MILEAGE, _trip("2022-10-03"), token=me.token)
    assert body["data"]["submitMileage"]["expense"] == {
        "date": "2022-10-03",
        "ratePerMil": "18.50",
        "amount": "185.00",
    }


async def test_a_2022_trip_is_paid_at_2022s_rate_of_its_car(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    paid = {}
    for vehicle in ("OWN_CAR", "COMPANY_CAR_FOSSIL", "COMPANY_CAR_DIESEL", "COMPANY_CAR_ELECTRIC"):
        body = await api(MILEAGE, _trip("2022-06-01", vehicle), token=me.token)
        assert "errors" not in body, body
        claim = body["data"]["submitMileage"]["expense"]
        paid[vehicle] = (claim["ratePerMil"], claim["amount"])
    assert paid == {  # 100 km = 10 mil
        "OWN_CAR": ("18.50", "185.00"),
        "COMPANY_CAR_FOSSIL": ("9.50", "95.00"),
        "COMPANY_CAR_DIESEL": ("6.50", "65.00"),
        "COMPANY_CAR_ELECTRIC": ("9.50", "95.00"),
    }


def test_a_diesel_company_cars_trip_goes_to_payroll_under_the_diesel_codes() -> None:
    """Paid 9.50 kr per mil for 100 km in a diesel company car in 2022: 65.00 tax-free at
    6.50 (MILDIS_FRI), the other 30.00 taxable (MILDIS_SKT)."""
    trip = BasisExpense(
        1,
        7,
        ExpenseKind.MILEAGE,
        date(2022, 6, 1),
        "Lund-Malmö",
        Decimal("95.00"),
        ExpenseStatus.APPROVED,
        distance_km=Decimal("100"),
        rate_per_mil=Decimal("9.50"),
        vehicle=DIESEL,
    )
    june = (date(2022, 6, 1), date(2022, 6, 30))
    (basis,) = compute_basis(*june, [BasisEmployee(7)], [], set(), [], [trip], [], [])
    assert [(line.code, line.unit_price, line.amount) for line in basis.lines] == [
        ("MILDIS_FRI", Decimal("6.50"), Decimal("65.00")),
        ("MILDIS_SKT", Decimal("3.00"), Decimal("30.00")),
    ]


async def test_a_claim_before_the_known_rates_is_refused_naming_the_date(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    error = only_error(await api(MILEAGE, _trip("2021-12-31"), token=me.token))
    assert (error["field"], error["reason"]) == ("date", MILEAGE_RATE_UNKNOWN)
