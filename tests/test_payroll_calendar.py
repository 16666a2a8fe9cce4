"""Absence in the payroll basis follows the Swedish calendar, the schedule and the employment
extent: no absence on public holidays or aftons, no vacation days on them, a part-timer's day
is their part of the normal day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from gql_portal.db.engine import Database
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.payroll import (
    BasisAbsence,
    BasisEmployee,
    BasisSchedule,
    BasisTimeCode,
    EmployeeBasis,
    LineSource,
    compute_basis,
)
from gql_portal.domain.time import DEFAULT_TIME_CODES
from tests.conftest import Api
from tests.factories import Factory
from tests.test_payroll import OPEN, Seeder

CODES = tuple(
    BasisTimeCode(index + 1, c.code, c.name, c.kind, c.paxml_code, c.pay_type, c.unit)
    for index, c in enumerate(DEFAULT_TIME_CODES)
)
EMPLOYEE = 1


def hours(text: str) -> Decimal:
    return Decimal(text)


def absence(
    kind: AbsenceKind, start: date, end: date, extent: str = "100", absence_id: int = 1
) -> BasisAbsence:
    return BasisAbsence(
        absence_id, EMPLOYEE, kind, start, end, Decimal(extent), AbsenceStatus.APPROVED
    )


def basis(
    period: tuple[date, date],
    absences: list[BasisAbsence],
    employee: BasisEmployee | None = None,
    schedule: tuple[str, ...] | None = None,
) -> EmployeeBasis:
    schedules = [] if schedule is None else [BasisSchedule(EMPLOYEE, tuple(map(hours, schedule)))]
    (only,) = compute_basis(
        period[0],
        period[1],
        [employee or BasisEmployee(EMPLOYEE)],
        [],
        set(),
        absences,
        [],
        CODES,
        schedules,
    )
    return only


def absence_days(result: EmployeeBasis) -> list[tuple[date, str | None, Decimal, Decimal | None]]:
    """(date, time code, quantity, hours) of each absence line."""
    return [
        (line.date, line.time_code, line.quantity, line.hours)
        for line in result.lines
        if line.source is LineSource.ABSENCE
    ]


MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))
DECEMBER = (date(2026, 12, 1), date(2026, 12, 31))
JANUARY = (date(2027, 1, 1), date(2027, 1, 31))


def test_a_half_time_employees_sick_day_is_four_hours() -> None:
    half_time = BasisEmployee(EMPLOYEE, employment_extent=Decimal(50))
    result = basis(
        MARCH, [absence(AbsenceKind.SICK, date(2026, 3, 3), date(2026, 3, 3))], half_time
    )
    assert absence_days(result) == [(date(2026, 3, 3), "SJK", hours("4.00"), hours("4.00"))]


def test_a_part_time_sick_absence_is_its_extent_of_the_employees_day() -> None:
    three_quarters = BasisEmployee(EMPLOYEE, employment_extent=Decimal(75))
    half_sick = absence(AbsenceKind.SICK, date(2026, 3, 6), date(2026, 3, 9), extent="50")
    # Friday and Monday (the weekend between is no working day): 50 % of 6 h each.
    assert absence_days(basis(MARCH, [half_sick], three_quarters)) == [
        (date(2026, 3, 6), "SJK", hours("3.00"), hours("3.00")),
        (date(2026, 3, 9), "SJK", hours("3.00"), hours("3.00")),
    ]


def test_a_scheduled_employees_absence_follows_the_schedule_not_the_extent() -> None:
    employee = BasisEmployee(EMPLOYEE, employment_extent=Decimal(50))
    schedule = ("6", "0", "6", "0", "4", "3", "0")  # Mon, Wed, Fri and a Saturday morning
    week = absence(AbsenceKind.SICK, date(2026, 3, 2), date(2026, 3, 8))
    assert absence_days(basis(MARCH, [week], employee, schedule)) == [
        (date(2026, 3, 2), "SJK", hours("6.00"), hours("6.00")),
        (date(2026, 3, 4), "SJK", hours("6.00"), hours("6.00")),
        (date(2026, 3, 6), "SJK", hours("4.00"), hours("4.00")),
        (date(2026, 3, 7), "SJK", hours("3.00"), hours("3.00")),
    ]


def test_absence_on_a_public_holiday_gives_no_line() -> None:
    # Easter 2026: långfredagen 3 April, annandag påsk 6 April, both scheduled weekdays.
    easter = absence(AbsenceKind.LEAVE_OF_ABSENCE, date(2026, 4, 3), date(2026, 4, 6))
    assert absence_days(basis(APRIL, [easter])) == []
    sick_over_easter = absence(AbsenceKind.SICK, date(2026, 4, 1), date(2026, 4, 7))
    assert [day for day, *_ in absence_days(basis(APRIL, [sick_over_easter]))] == [
        date(2026, 4, 1),
        date(2026, 4, 2),
        date(2026, 4, 7),
    ]


def test_a_schedule_day_on_a_holiday_is_no_working_day() -> None:
    every_day = ("8",) * 7
    midsummer = absence(AbsenceKind.VAB, date(2026, 6, 18), date(2026, 6, 21))
    result = basis((date(2026, 6, 1), date(2026, 6, 30)), [midsummer], schedule=every_day)
    # Midsommarafton (19th) and midsommardagen (20th) are days off; Sunday 21st is scheduled.
    assert [day for day, *_ in absence_days(result)] == [date(2026, 6, 18), date(2026, 6, 21)]


def test_vacation_across_christmas_counts_no_holidays_aftons_or_sundays() -> None:
    christmas = absence(AbsenceKind.VACATION, date(2026, 12, 21), date(2027, 1, 5))
    december = absence_days(basis(DECEMBER, [christmas]))
    assert [day for day, *_ in december] == [
        date(2026, 12, 21),
        date(2026, 12, 22),
        date(2026, 12, 23),
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
    ]
    assert all(code == "SEM" and quantity == hours("1.00") for _, code, quantity, _ in december)
    january = absence_days(basis(JANUARY, [christmas]))
    assert [day for day, *_ in january] == [date(2027, 1, 4), date(2027, 1, 5)]


def test_a_half_time_employees_vacation_day_is_a_whole_day_of_four_hours() -> None:
    half_time = BasisEmployee(EMPLOYEE, employment_extent=Decimal(50))
    friday = absence(AbsenceKind.VACATION, date(2026, 3, 13), date(2026, 3, 13))
    assert absence_days(basis(MARCH, [friday], half_time)) == [
        (date(2026, 3, 13), "SEM", hours("1.00"), hours("4.00"))
    ]


def test_vacation_is_never_on_a_sunday_even_when_scheduled() -> None:
    every_day = ("8",) * 7
    week = absence(AbsenceKind.VACATION, date(2026, 3, 2), date(2026, 3, 8))
    days = [day for day, *_ in absence_days(basis(MARCH, [week], schedule=every_day))]
    assert len(days) == 6 and date(2026, 3, 8) not in days


def test_a_week_of_only_holidays_needs_no_attestation() -> None:
    # Scheduled Thursday and Friday only: in Christmas week 2026 both are days off (julafton,
    # juldagen), and in the week of 31 Dec/1 Jan too; the other weeks need attestation.
    schedule = ("0", "0", "0", "8", "8", "0", "0")
    result = basis(DECEMBER, [], schedule=schedule)
    assert result.unattested_weeks == (
        date(2026, 11, 30),
        date(2026, 12, 7),
        date(2026, 12, 14),
    )


# --- through HTTP: the employee's employment extent reaches the basis ------------------------

EXTENT_BASIS = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod { basis {
  lines { date timeCode quantity hours } } } } }"""


async def test_the_basis_reads_the_employment_extent(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    seed = await Seeder(database, factory, company).load_codes()
    part_timer = await factory.staff(
        company, employment_start=date(2024, 1, 1), employment_extent=Decimal("50.00")
    )
    await seed.add(
        # Sick Thursday 5 and Friday 6 February, without a schedule: 50 % of 8 h each day.
        seed.absence(
            part_timer.employee_id or 0, AbsenceKind.SICK, date(2026, 2, 5), date(2026, 2, 6)
        )
    )
    body = await api(OPEN, {"month": "2026-02"}, token=admin.token)
    period_id = body["data"]["openPayrollPeriod"]["payrollPeriod"]["id"]
    body = await api(EXTENT_BASIS, {"id": period_id}, token=admin.token)
    assert "errors" not in body, body
    (only,) = body["data"]["node"]["basis"]
    assert only["lines"] == [
        {"date": "2026-02-05", "timeCode": "SJK", "quantity": "4.00", "hours": "4.00"},
        {"date": "2026-02-06", "timeCode": "SJK", "quantity": "4.00", "hours": "4.00"},
    ]
