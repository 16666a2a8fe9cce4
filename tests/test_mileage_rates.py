"""Skatteverket's tax-free mileage rates by the trip's date (domain/expenses.py), and a claim
dated before the rates the portal knows refused with a code naming the date."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gql_portal.domain.expenses import (
    MILEAGE_RATE_UNKNOWN,
    MILEAGE_RATES_KNOWN_FROM,
    MileageRateUnknown,
    VehicleKind,
    mileage_rate,
)
from tests.conftest import Api, only_error
from tests.factories import Factory

OWN = VehicleKind.OWN_CAR
FOSSIL = VehicleKind.COMPANY_CAR_FOSSIL
ELECTRIC = VehicleKind.COMPANY_CAR_ELECTRIC


@pytest.mark.parametrize(
    ("day", "vehicle", "rate"),
    [
        (date(2022, 1, 1), OWN, "18.50"),
        (date(2022, 12, 31), OWN, "18.50"),
        (date(2023, 1, 1), OWN, "25.00"),
        (date(2026, 6, 1), OWN, "25.00"),
        (date(2022, 6, 30), FOSSIL, "6.50"),  # the diesel amount: the fuel is not known
        (date(2023, 1, 1), FOSSIL, "12.00"),
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


async def test_a_claim_before_the_known_rates_is_refused_naming_the_date(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    error = only_error(await api(MILEAGE, _trip("2021-12-31"), token=me.token))
    assert (error["field"], error["reason"]) == ("date", MILEAGE_RATE_UNKNOWN)
