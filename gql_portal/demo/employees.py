"""An employee: their user and membership, the employee row (employment, pay, tax, bank), the
schedule, project assignments, and then their absences, time and expenses."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from gql_portal.demo.builder import HOURS, Batch, Builder, EmployeeContext, ProjectWork
from gql_portal.demo.calendar import Calendar, add_years, at
from gql_portal.demo.expenses import add_expenses
from gql_portal.demo.logins import EMPLOYEE
from gql_portal.demo.people import Person, add_membership, add_user, person, personal_number, phone
from gql_portal.demo.time import add_absences, report_time
from gql_portal.demo.vocabulary import BANKS, STREETS, TOWNS, Town
from gql_portal.domain.accounts import Industry, Role
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.domain.identity import with_check_digit

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Hourly staff where trade has them (share of the employees); 0.08 elsewhere.
HOURLY_SHARE = {
    Industry.HOSPITALITY: 0.35,
    Industry.RETAIL: 0.3,
    Industry.CLEANING: 0.3,
    Industry.HEALTHCARE: 0.2,
}
# Monthly salary range in thousands of SEK; (24, 33) elsewhere.
SALARY_RANGE = {
    Industry.IT: (38, 50),
    Industry.CONSULTING: (36, 50),
    Industry.CONSTRUCTION: (30, 42),
    Industry.MANUFACTURING: (28, 40),
    Industry.TRANSPORT: (28, 36),
    Industry.HEALTHCARE: (26, 38),
}


@dataclass(frozen=True)
class Workplace:
    """The client company an employee works at."""

    company_id: int
    client: int  # the client's index
    employees: int  # how many work there
    industry: Industry
    town: Town
    created: datetime
    admin_id: int
    projects: list[ProjectWork]  # internal first


@dataclass(frozen=True)
class Employment:
    week: tuple[int, ...]  # hours Monday..Sunday
    hourly: bool
    form: EmploymentForm
    start: date
    end: date | None
    extent: Decimal | None  # percent of full time; None when on call


def add_employee(
    builder: Builder, batch: Batch, rng: random.Random, place: Workplace, number: int
) -> None:
    showcase = place.client == 1 and number == 1  # anna@demo.example: a bit of everything
    someone = person(rng, female=True if showcase else None)
    if showcase:
        someone.first = "Anna"
    last_of_client_1 = place.client == 1 and number == place.employees and place.employees > 1
    coordination = last_of_client_1 or rng.random() < 0.03
    pin, born = personal_number(builder, rng, someone.female, coordination)
    employment = _employment(builder.calendar, rng, place.industry, showcase, born)
    salary = _salary(rng, place.industry, employment.hourly)

    email = EMPLOYEE if showcase else f"e{place.client}-{number}@demo.example"
    employee_id = _add_employee_rows(
        builder, batch, rng, place, number, someone, pin, email, employment, salary
    )
    mine = _assign_projects(batch, rng, place, employee_id)

    # The admin attests every week but the last (the one in progress, or just ended); some
    # employees' last two (corrections pending): they are preliminary. Client 1's second
    # employee always is.
    late = (place.client == 1 and number == 2) or (not showcase and rng.random() < 0.3)
    who = EmployeeContext(
        place.company_id,
        employee_id,
        place.admin_id,
        employment.start,
        employment.week,
        employment.hourly,
        employment.form,
        place.industry,
        mine,
        showcase,
        unattested_weeks=2 if late else 1,
        employment_end=employment.end,
    )
    away = add_absences(builder, batch, rng, who)
    report_time(builder, batch, rng, who, away)
    add_expenses(builder, batch, rng, who, place.town, away)


def _employment(
    calendar: Calendar, rng: random.Random, industry: Industry, showcase: bool, born: date
) -> Employment:
    """Mostly monthly-paid permanent staff, some part-time; the showcase employee is a
    permanent full-timer."""
    hourly = not showcase and rng.random() < HOURLY_SHARE.get(industry, 0.08)
    part_time = not showcase and rng.random() < (0.35 if hourly else 0.12)
    weekend_shop = industry in (Industry.HOSPITALITY, Industry.RETAIL) and rng.random() < 0.3
    if part_time:
        week = rng.choice(((6, 6, 6, 6, 6, 0, 0), (8, 8, 8, 8, 0, 0, 0), (4, 4, 4, 4, 4, 0, 0)))
    elif weekend_shop:
        week = (0, 8, 8, 8, 8, 8, 0)
    else:
        week = (8, 8, 8, 8, 8, 0, 0)

    form_draw = rng.random()
    if hourly and form_draw < 0.6:
        form = EmploymentForm.ON_CALL
    elif not showcase and form_draw > 0.9:
        form = EmploymentForm.FIXED_TERM
    elif not showcase and form_draw > 0.85:
        form = EmploymentForm.PROBATION
    else:
        form = EmploymentForm.PERMANENT
    start, end = _employment_dates(calendar, rng, form)
    start = max(start, add_years(born, 18))
    extent = None
    if form is not EmploymentForm.ON_CALL:
        extent = (Decimal(sum(week)) * 100 / 40).quantize(Decimal("0.01"))
    return Employment(week, hourly, form, start, end, extent)


def _employment_dates(
    calendar: Calendar, rng: random.Random, form: EmploymentForm
) -> tuple[date, date | None]:
    """When the employment started (some probations during the three months) and, for a
    fixed term, when it ends."""
    if form is EmploymentForm.PROBATION:
        return calendar.start + timedelta(days=rng.randint(-120, 25)), None
    if form is EmploymentForm.FIXED_TERM:
        start = calendar.start - timedelta(days=rng.randint(30, 300))
        return start, calendar.today + timedelta(days=rng.randint(40, 270))
    years_back = min(rng.expovariate(1 / 4), 18)
    latest_start = calendar.start - timedelta(days=30)
    return latest_start - timedelta(days=int(years_back * 365)), None


def _salary(rng: random.Random, industry: Industry, hourly: bool) -> Decimal:
    """SEK an hour (150-250, a few at half crowns) or a month (by the industry's range)."""
    low, high = SALARY_RANGE.get(industry, (24, 33))
    if not hourly:
        return Decimal(rng.randrange(low * 1000, high * 1000 + 1, 100))
    salary = Decimal(rng.randrange(150 if low < 30 else 175, 251 if low >= 30 else 190))
    if rng.random() < 0.3 and salary < 250:
        salary += Decimal("0.50")
    return salary


def _tax_and_bank(rng: random.Random, town: Town, pin: str) -> tuple[Town, int, str, str]:
    """Where the employee lives (mostly the company's town), their tax table, and their bank's
    clearing and account numbers."""
    home = town if rng.random() < 0.9 else rng.choice(TOWNS)
    tax_table = min(42, max(29, home.tax_table + rng.choice((0, 0, 0, 0, -1, 1))))
    (clear_low, clear_high), digits = rng.choices(
        [bank[1:] for bank in BANKS], weights=[bank[0] for bank in BANKS]
    )[0]
    clearing = str(rng.randint(clear_low, clear_high))
    if clearing.startswith("8"):
        clearing = with_check_digit(clearing)  # Swedbank's five-digit clearing number
    account = pin[2:] if digits == 0 else str(rng.randrange(10 ** (digits - 1), 10**digits))
    return home, tax_table, clearing, account


def _add_employee_rows(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    place: Workplace,
    number: int,
    someone: Person,
    pin: str,
    email: str,
    employment: Employment,
    salary: Decimal,
) -> int:
    """The user (who joined a little before starting), membership, employee and schedule rows;
    the employee's id."""
    home, tax_table, clearing, account = _tax_and_bank(rng, place.town, pin)
    calendar = builder.calendar
    joined = max(place.created, at(employment.start, 8) - timedelta(days=rng.randint(2, 20)))
    joined = min(joined, calendar.now - timedelta(days=1))
    user_id = add_user(builder, batch, rng, email, f"{someone.first} {someone.last}", joined)
    add_membership(batch, user_id, place.company_id, Role.EMPLOYEE, joined)
    employee_id = builder.take("employees")
    postal = rng.randint(*home.postal)
    batch.add(
        "employees",
        {
            "id": employee_id,
            "company_id": place.company_id,
            "user_id": user_id,
            "active": True,
            "employee_number": str(number),
            "first_name": someone.first,
            "last_name": someone.last,
            "email": email,
            "phone": phone(rng),
            "street_address": f"{rng.choice(STREETS)} {rng.randint(1, 120)}"
            + rng.choice(("", "", "", " A", " B", " lgh 1102")),
            "postal_code": f"{postal} {rng.randint(10, 99)}",
            "city": home.name,
            "personal_identity_number": pin,
            "employment_start": employment.start,
            "employment_end": employment.end,
            "employment_form": employment.form,
            "employment_extent": employment.extent,
            "salary_form": SalaryForm.HOURLY if employment.hourly else SalaryForm.MONTHLY,
            "salary_amount": salary,
            "tax_table": tax_table,
            "tax_column": 1,
            "bank_clearing_number": clearing,
            "bank_account_number": account,
            "created_at": joined,
            "updated_at": joined,
            "deactivated_at": None,
        },
    )
    _add_schedule(batch, place.company_id, employee_id, employment.week, joined)
    return employee_id


def _add_schedule(
    batch: Batch, company_id: int, employee_id: int, week: tuple[int, ...], updated: datetime
) -> None:
    hours_by_day = {day: HOURS[hours * 2] for day, hours in zip(WEEKDAYS, week, strict=True)}
    batch.add(
        "schedules",
        {
            "company_id": company_id,
            "employee_id": employee_id,
            **hours_by_day,
            "updated_at": updated,
        },
    )


def _assign_projects(
    batch: Batch, rng: random.Random, place: Workplace, employee_id: int
) -> list[ProjectWork]:
    """The internal project and one to three customer projects; the employee's projects,
    internal first."""
    internal, *customer_projects = place.projects
    mine = [
        internal,
        *rng.sample(customer_projects, min(len(customer_projects), rng.randint(1, 3))),
    ]
    for project_id, _ in mine:
        batch.add(
            "project_assignments",
            {"company_id": place.company_id, "project_id": project_id, "employee_id": employee_id},
        )
    return mine
