"""An employee's expenses: purchases with receipt images (VAT rates valid on their dates) and
mileage, month by month, on working days (not on vacation)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from gql_portal.demo.builder import Batch, Builder, EmployeeContext
from gql_portal.demo.calendar import at
from gql_portal.demo.receipts import ReceiptJob, receipt_image
from gql_portal.demo.vocabulary import (
    MISSING_RECEIPT,
    NEARBY,
    PURCHASE_WEIGHTS,
    PURCHASES,
    REJECTIONS,
    Town,
)
from gql_portal.domain.accounts import Industry
from gql_portal.domain.expenses import (
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    mileage_amount,
    mileage_rate,
    vat_included,
    vat_rates_on,
)

ZERO = Decimal("0")
MONDAY_TO_FRIDAY = (1, 1, 1, 1, 1, 0, 0)
# The cars the demo's drives are in (a fixed list: a new VehicleKind leaves the demo as it is).
DEMO_VEHICLES = (
    VehicleKind.OWN_CAR,
    VehicleKind.COMPANY_CAR_FOSSIL,
    VehicleKind.COMPANY_CAR_ELECTRIC,
)
# Industries whose people are often on the road.
TRAVELLING = (Industry.HEALTHCARE, Industry.CONSTRUCTION, Industry.CONSULTING)


@dataclass(frozen=True)
class _Claim:
    """What an expense row says was spent; the rest (status, dates) is drawn when it is added."""

    kind: ExpenseKind
    day: date
    description: str
    category: ExpenseCategory
    amount: Decimal
    vat_amount: Decimal
    vat_rate: Decimal
    distance: Decimal | None = None
    vehicle: VehicleKind | None = None
    rate_per_mil: Decimal | None = None


def add_expenses(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    who: EmployeeContext,
    town: Town,
    away: set[date],
) -> None:
    calendar = builder.calendar
    workdays = [
        day for day in calendar.working_days(MONDAY_TO_FRIDAY, who.start) if day not in away
    ]
    if not workdays:
        return
    traveller = who.showcase or rng.random() < (0.6 if who.industry in TRAVELLING else 0.25)
    for month_start, month_end in calendar.periods:
        last = min(month_end, calendar.yesterday)
        in_month = [day for day in workdays if month_start <= day <= last]
        if not in_month:
            continue
        purchases = rng.choice((0, 0, 1, 1, 1, 2, 2, 3))
        trips = rng.choice((0, 1, 1, 2, 3)) if traveller else 0
        if who.showcase:
            purchases, trips = max(purchases, 2), max(trips, 1)
        for _ in range(purchases):
            _add_purchase(builder, batch, rng, who, rng.choice(in_month))
        for _ in range(trips):
            _add_trip(builder, batch, rng, who, town, rng.choice(in_month))


def _add_purchase(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext, day: date
) -> None:
    """A purchase and its receipt (two copies of some hotel receipts), unless it was rejected
    for a missing receipt."""
    kind = rng.choices(PURCHASES, weights=PURCHASE_WEIGHTS)[0]
    rates = vat_rates_on(day, kind.category)
    rate = kind.rate if kind.rate in rates else rates[0]
    if rng.random() < 0.6:
        amount = Decimal(rng.randint(kind.low, kind.high))
    else:
        amount = Decimal(rng.randint(kind.low * 100, kind.high * 100)).scaleb(-2)
    description = rng.choice(kind.items)
    claim = _Claim(
        ExpenseKind.EXPENSE,
        day,
        description,
        kind.category,
        amount,
        vat_included(amount, rate),
        rate,
    )
    expense_id, rejection, created = _add_expense(builder, batch, rng, who, claim)
    if rejection == MISSING_RECEIPT:
        return
    hotel = kind.category is ExpenseCategory.ACCOMMODATION
    copies = 2 if hotel and rng.random() < 0.3 else 1
    for copy in range(copies):
        serial = builder.next_receipt_serial()
        name = rng.choice(("kvitto", "IMG", "Kvitto", "scan"))
        file_name = f"{name}_{day:%Y%m%d}_{rng.randint(1000, 9999)}.png"
        batch.receipts.append(
            ReceiptJob(
                who.company_id,
                expense_id,
                who.employee_id,
                file_name,
                created + timedelta(minutes=copy),
                receipt_image(rng, serial),
            )
        )


def _add_trip(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    who: EmployeeContext,
    town: Town,
    day: date,
) -> None:
    """Mileage: a drive in the employee's own car (mostly), at the year's rate."""
    vehicle = rng.choices(DEMO_VEHICLES, weights=(85, 8, 7))[0]
    rate_per_mil = mileage_rate(day, vehicle)
    description, distance = _drive(rng, town)
    claim = _Claim(
        ExpenseKind.MILEAGE,
        day,
        description,
        ExpenseCategory.TRAVEL,
        mileage_amount(distance, rate_per_mil),
        ZERO,
        ZERO,
        distance,
        vehicle,
        rate_per_mil,
    )
    _add_expense(builder, batch, rng, who, claim)


def _drive(rng: random.Random, town: Town) -> tuple[str, Decimal]:
    """A drive and its distance in km: local, or there and back to a town within reach
    by road (straight-line distance x 1.25)."""
    nearby = NEARBY[town.name]
    if nearby and rng.random() < 0.5:
        other = rng.choice(nearby)
        km = round(2 * 1.25 * town.km_to(other)) + rng.randint(-4, 6)
        what = rng.choice((f"Kundbesök, {town.name}–{other.name} t/r", f"Kurs i {other.name}"))
        return what, Decimal(km)
    what = rng.choice(
        (
            f"Kundbesök i {town.name}",
            "Körning mellan arbetsplatser",
            "Materialhämtning",
            "Möte hos kund",
        )
    )
    return what, Decimal(rng.randint(6, 60))


def _add_expense(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext, claim: _Claim
) -> tuple[int, str | None, datetime]:
    """The expense row: entered that evening or a few days later, decided by the admin (most
    older than ten days, a few newer; a few rejected). Its id, rejection reason and creation."""
    calendar = builder.calendar
    day = claim.day
    created = at(
        day + timedelta(days=rng.choice((0, 0, 1, 2, 3))), rng.randint(15, 21), rng.randint(0, 59)
    )
    if created > calendar.now:
        created = at(day, rng.randint(15, 21), rng.randint(0, 59))  # day is before today
    age = (calendar.today - day).days
    draw = rng.random()
    decided: datetime | None = None
    rejection: str | None = None
    status = ExpenseStatus.SUBMITTED
    if (age > 10 and draw < 0.9) or (age <= 10 and draw < 0.2):
        decided = created + timedelta(days=rng.randint(1, 6), hours=rng.randint(0, 4))
        if decided < calendar.now:
            status = ExpenseStatus.APPROVED
            if draw < (0.05 if claim.kind is ExpenseKind.EXPENSE else 0.02):
                status, rejection = ExpenseStatus.REJECTED, rng.choice(REJECTIONS)
        else:
            decided = None
    expense_id = builder.take("expenses")
    batch.add(
        "expenses",
        {
            "id": expense_id,
            "company_id": who.company_id,
            "employee_id": who.employee_id,
            "kind": claim.kind,
            "date": day,
            "description": claim.description,
            "category": claim.category,
            "currency": "SEK",
            "amount": claim.amount,
            "vat_amount": claim.vat_amount,
            "vat_rate": claim.vat_rate,
            "deductible_vat": claim.vat_amount,  # no representation in the demo
            "distance_km": claim.distance,
            "vehicle": claim.vehicle,
            "rate_per_mil": claim.rate_per_mil,
            "status": status,
            "decided_by_user_id": who.admin_id if decided else None,
            "decided_at": decided,
            "rejection_reason": rejection,
            "created_at": created,
            "updated_at": decided or created,
        },
    )
    batch.add(  # its one VAT line
        "expense_vat_lines",
        {
            "company_id": who.company_id,
            "expense_id": expense_id,
            "employee_id": who.employee_id,
            "position": 0,
            "rate": claim.vat_rate,
            "net": claim.amount - claim.vat_amount,
            "vat": claim.vat_amount,
        },
    )
    return expense_id, rejection, created
