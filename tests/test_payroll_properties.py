"""The payroll basis reconciles with its sources, to the öre (hypothesis).

For random time (hours with two decimals on random days, random time codes including DAYS
codes), random attestation, random approved, requested and rejected absence, and random
expenses and mileage with random amounts: the basis counts exactly the attested time and the
approved absence and expenses of the period, each source once, nothing outside the period, and
its amounts add up to the approved expenses and mileage (time and absence are hours: the payroll
program prices them), a claim's lines to the claim, an entry's lines to the entry's hours.

Run on the pure function with many examples, and through the database (HTTP, lock, the frozen
basis) with a few.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from gql_portal.db.engine import Database
from gql_portal.db.settings import TimeCode
from gql_portal.domain.absence import ABSENCE_TIME_CODE, AbsenceKind, AbsenceStatus
from gql_portal.domain.calendar import public_holidays
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import (
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    mileage_amount,
    mileage_rate,
)
from gql_portal.domain.payroll import (
    CODE_EXPENSE,
    MILEAGE_CODES,
    BasisAbsence,
    BasisEmployee,
    BasisExpense,
    BasisLine,
    BasisSchedule,
    BasisTimeCode,
    BasisTimeEntry,
    EmployeeBasis,
    LineSource,
    compute_basis,
    differences,
    month_period,
)
from gql_portal.domain.time import DEFAULT_TIME_CODES, TimeCodeKind, Unit, week_start
from tests.conftest import Api
from tests.factories import Factory, gid
from tests.test_payroll import LOCK, OPEN, Seeder

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
OUTSIDER = 999  # an employee id that is not in the basis's employees

# The company's codes: the defaults and a custom WORK code counted in DAYS (a day of travel).
TRAVEL_DAY = BasisTimeCode(
    len(DEFAULT_TIME_CODES) + 1, "RES", "Restid", TimeCodeKind.WORK, "TID", "150", Unit.DAYS
)
TIME_CODES = (
    *(
        BasisTimeCode(index + 1, c.code, c.name, c.kind, c.paxml_code, c.pay_type, c.unit)
        for index, c in enumerate(DEFAULT_TIME_CODES)
    ),
    TRAVEL_DAY,
)
CODES_BY_ID = {code.id: code for code in TIME_CODES}
CODES_BY_CODE = {code.code: code for code in TIME_CODES}


@dataclass(frozen=True)
class Scenario:
    start: date
    end: date
    employees: tuple[BasisEmployee, ...]
    schedules: tuple[BasisSchedule, ...]
    entries: tuple[BasisTimeEntry, ...]
    attested: frozenset[tuple[int, date]]
    absences: tuple[BasisAbsence, ...]
    expenses: tuple[BasisExpense, ...]

    def basis(self, shuffle: random.Random | None = None) -> list[EmployeeBasis]:
        def mixed(items: tuple[Any, ...]) -> list[Any]:
            items_list = list(items)
            if shuffle is not None:
                shuffle.shuffle(items_list)
            return items_list

        return compute_basis(
            self.start,
            self.end,
            mixed(self.employees),
            mixed(self.entries),
            self.attested,
            mixed(self.absences),
            mixed(self.expenses),
            mixed(TIME_CODES),
            mixed(self.schedules),
        )


def cents(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(Decimal(low), Decimal(high), places=2)


# Wages and hours whose product ends in exactly half an öre with an even öre before it
# (0.25 x 120.10 = 30.025): where rounding half up and half to even differ.
TIE_WAGES = st.sampled_from(["120.10", "185.50", "240.30"]).map(Decimal)
TIE_HOURS = st.sampled_from(["0.25", "0.05", "1.25", "1.75", "7.75"]).map(Decimal)
EXTENTS = ["100", "50", "75.5", "33.33", "0"]  # employment extent, percent


@st.composite
def scenarios(draw: st.DrawFn, max_employees: int = 4, max_items: int = 30) -> Scenario:
    month = draw(st.dates(date(2025, 1, 1), date(2026, 12, 31)))
    start, end = month_period(month)
    around = st.dates(start - timedelta(days=10), end + timedelta(days=10))
    count = draw(st.integers(1, max_employees))
    employees = []
    for employee_id in range(1, count + 1):
        form = draw(st.sampled_from([SalaryForm.HOURLY, SalaryForm.MONTHLY, None]))
        begins = draw(st.none() | around)
        ends = draw(
            st.none() | st.dates(begins or start - timedelta(days=10), end + timedelta(days=10))
        )
        employees.append(
            BasisEmployee(
                id=employee_id,
                active=draw(st.booleans()),
                salary_form=form,
                salary_amount=draw(cents("0.00", "999.99") | TIE_WAGES) if form else None,
                employment_start=begins,
                employment_end=ends,
                employment_extent=draw(st.none() | st.sampled_from(EXTENTS).map(Decimal)),
            )
        )
    day_hours = st.sampled_from(["0", "4", "7.5", "8", "8.25", "2.33"]).map(Decimal)
    schedules = [
        BasisSchedule(employee.id, tuple(draw(day_hours) for _ in range(7)))
        for employee in employees
        if draw(st.booleans())
    ]
    people = st.integers(1, count) | st.just(OUTSIDER)
    entries = [
        BasisTimeEntry(
            id=index + 1,
            employee_id=draw(people),
            date=draw(around),
            hours=draw(cents("0.01", "24.00") | TIE_HOURS),
            time_code_id=draw(st.sampled_from(TIME_CODES)).id,
        )
        for index in range(draw(st.integers(0, max_items)))
    ]
    mondays = [week_start(start - timedelta(days=10)) + timedelta(weeks=n) for n in range(8)]
    attested = frozenset(
        (employee_id, monday)
        for employee_id in [*range(1, count + 1), OUTSIDER]
        for monday in mondays
        if draw(st.booleans())
    )
    absences = []
    for index in range(draw(st.integers(0, 6))):
        begins = draw(around)
        absences.append(
            BasisAbsence(
                id=index + 1,
                employee_id=draw(people),
                kind=draw(st.sampled_from(AbsenceKind)),
                start_date=begins,
                end_date=begins + timedelta(days=draw(st.integers(0, 12))),
                extent_percent=Decimal(draw(st.sampled_from(["100", "50", "25", "12.5", "33.33"]))),
                status=draw(st.sampled_from(AbsenceStatus)),
            )
        )
    expenses = []
    for index in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(ExpenseKind))
        distance = rate = vehicle = None
        if kind is ExpenseKind.MILEAGE:
            distance = draw(cents("0.10", "2000.00"))
            rate = draw(st.sampled_from(["25.00", "12.00", "9.50", "18.55"]).map(Decimal))
            vehicle = draw(st.sampled_from(VehicleKind))
            amount = mileage_amount(distance, rate)
        else:
            amount = draw(cents("0.01", "99999.99"))
        expenses.append(
            BasisExpense(
                id=index + 1,
                employee_id=draw(people),
                kind=kind,
                date=draw(around),
                description=draw(st.sampled_from(["Taxi", "Hotell Malmö", "", "x" * 300])),
                amount=amount,
                status=draw(st.sampled_from(ExpenseStatus)),
                distance_km=distance,
                rate_per_mil=rate,
                vehicle=vehicle,
            )
        )
    return Scenario(
        start,
        end,
        tuple(employees),
        tuple(schedules),
        tuple(entries),
        attested,
        tuple(absences),
        tuple(expenses),
    )


# --- the oracle: the sources' own sums, computed the plain way ------------------------------


def counted_entries(s: Scenario) -> list[BasisTimeEntry]:
    known = {employee.id for employee in s.employees}
    return [
        entry
        for entry in s.entries
        if entry.employee_id in known
        and s.start <= entry.date <= s.end
        and (entry.employee_id, entry.date - timedelta(days=entry.date.weekday())) in s.attested
    ]


def counted_expenses(s: Scenario) -> list[BasisExpense]:
    known = {employee.id for employee in s.employees}
    return [
        expense
        for expense in s.expenses
        if expense.employee_id in known
        and expense.status is ExpenseStatus.APPROVED
        and s.start <= expense.date <= s.end
    ]


def expected_amounts(s: Scenario) -> dict[int, Decimal]:
    """Per employee: the approved expenses and mileage (time carries no amount)."""
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for expense in counted_expenses(s):
        totals[expense.employee_id] += expense.amount
    return totals


def expected_time_codes(entry: BasisTimeEntry, employee: BasisEmployee) -> set[str]:
    """The codes an entry's lines may have: normal work by the salary form, others as they are."""
    code = CODES_BY_ID[entry.time_code_id]
    if not (code.kind is TimeCodeKind.WORK and code.paxml_code in ("ARB", "TID")) or (
        code.unit is not Unit.HOURS
    ):
        return {code.paxml_code}
    if employee.salary_form is SalaryForm.HOURLY:
        return {"TIMLÖN"}
    if employee.salary_form is SalaryForm.MONTHLY:
        return {"TID", "ARB"}
    return {"ARB"}


def check_money_lines(s: Scenario, lines: list[BasisLine]) -> None:
    """An expense is one UTLÄGG line; a claim's mileage lines are in mil, under its vehicle's
    codes, the tax-free one at most at the tax-free rate, and add up to the claim."""
    claims = {expense.id: expense for expense in counted_expenses(s)}
    by_claim: dict[int, list[BasisLine]] = defaultdict(list)
    for line in lines:
        if line.source in (LineSource.EXPENSE, LineSource.MILEAGE):
            by_claim[line.source_id].append(line)
    assert set(by_claim) == set(claims)
    for claim_id, claim_lines in by_claim.items():
        claim = claims[claim_id]
        assert sum((line.amount or ZERO for line in claim_lines), ZERO) == claim.amount
        if claim.kind is ExpenseKind.EXPENSE:
            (line,) = claim_lines
            assert line.code == CODE_EXPENSE and line.quantity * line.unit_price == line.amount
            continue
        assert claim.vehicle is not None and claim.distance_km is not None
        free, taxable = MILEAGE_CODES[claim.vehicle]
        assert [line.code for line in claim_lines] in ([free], [free, taxable], [taxable])
        tax_free = mileage_rate(claim.date, claim.vehicle)
        for line in claim_lines:
            assert line.unit is Unit.MIL and line.quantity * 10 == claim.distance_km
            if line.code == free:
                assert line.unit_price is not None and line.unit_price <= tax_free


def expected_absence_hours(s: Scenario) -> dict[tuple[int, int], Decimal]:
    """Per (employee, absence): scheduled hours x extent on each working day of the absence
    inside the period and the employment. A working day: hours in the schedule, else Monday to
    Friday with the employment extent x 8 h; never a public holiday or an afton, and vacation
    never on a Sunday."""
    staff = {employee.id: employee for employee in s.employees}
    week = {schedule.employee_id: schedule.hours for schedule in s.schedules}
    hours: dict[tuple[int, int], Decimal] = {}
    for absence in s.absences:
        employee = staff.get(absence.employee_id)
        if employee is None or absence.status is not AbsenceStatus.APPROVED:
            continue
        extent = Decimal(100) if employee.employment_extent is None else employee.employment_extent
        default = (Decimal(8) * extent / 100,) * 5 + (ZERO,) * 2
        total = ZERO
        day = absence.start_date
        while day <= absence.end_date:
            employed = (employee.employment_start or day) <= day <= (employee.employment_end or day)
            scheduled = week.get(employee.id, default)[day.weekday()].quantize(CENT, ROUND_HALF_UP)
            if day in public_holidays(day.year) or (
                absence.kind is AbsenceKind.VACATION and day.weekday() == 6
            ):
                scheduled = ZERO
            if s.start <= day <= s.end and employed and scheduled > 0:
                total += (scheduled * absence.extent_percent / 100).quantize(CENT, ROUND_HALF_UP)
            day += timedelta(days=1)
        if total:
            hours[employee.id, absence.id] = total
    return hours


def check_reconciles(s: Scenario, bases: list[EmployeeBasis]) -> None:
    lines = [line for basis in bases for line in basis.lines]

    # Nothing outside the period; employees in order, each once; lines in order.
    assert all(s.start <= line.date <= s.end for line in lines)
    assert [basis.employee_id for basis in bases] == sorted({b.employee_id for b in bases})
    assert OUTSIDER not in {basis.employee_id for basis in bases}
    for basis in bases:
        assert list(basis.lines) == sorted(basis.lines, key=lambda line: line.sort_key)
        assert all(line.employee_id == basis.employee_id for line in basis.lines)

    # Each source once: a time entry's lines carry its hours, once; absence one line a day.
    time_hours: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        if line.source is LineSource.TIME:
            assert line.hours is not None
            time_hours[line.source_id] += line.hours
    assert time_hours == {entry.id: entry.hours for entry in counted_entries(s)}
    absence_days = [
        (line.source_id, line.date) for line in lines if line.source is LineSource.ABSENCE
    ]
    assert len(absence_days) == len(set(absence_days))

    # Amounts, to the öre: the approved expenses and mileage.
    expected = expected_amounts(s)
    for basis in bases:
        assert basis.total_amount == expected.get(basis.employee_id, ZERO)
    assert sum((basis.total_amount for basis in bases), ZERO) == sum(expected.values(), ZERO)
    check_money_lines(s, lines)

    # Time: the code the salary form gives, hours and no amount; only TID is informational.
    staff = {employee.id: employee for employee in s.employees}
    entries = {entry.id: entry for entry in counted_entries(s)}
    for line in lines:
        if line.source is LineSource.TIME:
            entry = entries[line.source_id]
            assert line.code in expected_time_codes(entry, staff[entry.employee_id])
            assert line.amount is None and (line.code == "TID" or not line.informational)
            days = CODES_BY_ID[entry.time_code_id].unit is Unit.DAYS
            assert line.quantity == (Decimal("1.00") if days else line.hours)

    # Absence: the scheduled hours x extent of each working day, under the kind's time code.
    absence_hours: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
    kinds = {absence.id: absence.kind for absence in s.absences}
    for line in lines:
        if line.source is LineSource.ABSENCE:
            assert line.amount is None and line.hours is not None
            code = CODES_BY_CODE[ABSENCE_TIME_CODE[kinds[line.source_id]]]
            assert (line.time_code, line.pay_type, line.unit) == (
                code.paxml_code,
                code.pay_type,
                code.unit,
            )
            absence_hours[line.employee_id, line.source_id] += line.hours
    assert absence_hours == expected_absence_hours(s)

    # The totals per time code add up the lines: every hour of time and absence once.
    for basis in bases:
        totals = {(t.time_code, t.unit): t.hours for t in basis.hours_by_time_code}
        coded: dict[tuple[str, Unit | None], Decimal] = defaultdict(lambda: ZERO)
        for line in basis.lines:
            code = line.time_code or (line.code if line.hours is not None else None)
            if code is not None:
                coded[code, line.unit] += line.hours or ZERO
        assert totals == coded

    # Preliminary: every unattested week is a real, unattested week of the period, and a week
    # with unattested time in the period is always listed.
    for basis in bases:
        assert basis.preliminary == bool(basis.unattested_weeks)
        for monday in basis.unattested_weeks:
            assert monday.weekday() == 0 and (basis.employee_id, monday) not in s.attested
            assert monday <= s.end and monday + timedelta(days=6) >= s.start
        for entry in s.entries:
            monday = week_start(entry.date)
            if entry.employee_id == basis.employee_id and s.start <= entry.date <= s.end:
                assert ((entry.employee_id, monday) in s.attested) != (
                    monday in basis.unattested_weeks
                )


@settings(max_examples=300, deadline=None)
@given(s=scenarios())
def test_the_basis_reconciles_with_its_sources(s: Scenario) -> None:
    bases = s.basis()
    check_reconciles(s, bases)
    # Deterministic whatever the order of the sources, and equal to itself frozen.
    assert s.basis(random.Random(7)) == bases
    lines = [line for basis in bases for line in basis.lines]
    assert differences(lines, lines) == []
    if lines:
        dropped = differences(lines[1:], lines)
        assert len(dropped) == 1 and dropped[0].added == (lines[0],) and dropped[0].removed == ()


# --- through the database -------------------------------------------------------------------

GET_BASIS = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod { state basis {
  employee { id } preliminary unattestedWeeks totalAmount hoursByTimeCode { timeCode unit hours }
  lines { date payType description timeCode quantity unit unitPrice amount hours source sourceId }
  } } } }"""


def as_api(bases: list[EmployeeBasis], employee_gid: dict[int, str], source_gid: Any) -> list[Any]:
    def money(value: Decimal | None) -> str | None:
        return None if value is None else str(value.quantize(CENT))

    return [
        {
            "employee": {"id": employee_gid[basis.employee_id]},
            "preliminary": basis.preliminary,
            "unattestedWeeks": [week.isoformat() for week in basis.unattested_weeks],
            "totalAmount": money(basis.total_amount),
            "hoursByTimeCode": [
                {"timeCode": t.time_code, "unit": t.unit and t.unit.value, "hours": str(t.hours)}
                for t in basis.hours_by_time_code
            ],
            "lines": [
                {
                    "date": line.date.isoformat(),
                    "payType": line.pay_type,
                    "description": line.description,
                    "timeCode": line.time_code,
                    "quantity": str(line.quantity),
                    "unit": line.unit and line.unit.value,
                    "unitPrice": money(line.unit_price),
                    "amount": money(line.amount),
                    "hours": None if line.hours is None else str(line.hours),
                    "source": line.source.value,
                    "sourceId": source_gid(line),
                }
                for line in basis.lines
            ],
        }
        for basis in bases
    ]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking over HTTP takes minutes
)
@given(s=scenarios(max_employees=3, max_items=15))
async def test_the_basis_through_the_database_equals_the_pure_one(
    s: Scenario, api: Api, factory: Factory, database: Database
) -> None:
    """The same scenario, stored: the live basis over HTTP, and the frozen one after a lock,
    equal the pure computation (a fresh company per example)."""
    company = await factory.company()
    admin = await factory.admin(company)
    seed = Seeder(database, factory, company)
    await seed.add(
        TimeCode(
            company_id=company.id, code="RES", name="Restid", kind=TimeCodeKind.WORK,
            paxml_code="TID", pay_type="150", unit=Unit.DAYS, active=True,
            created_at=factory.clock.now(),
        )
    )  # fmt: skip
    await seed.load_codes()
    outsider_company = await factory.company("Annat AB")  # the outsider works elsewhere
    outsider = await factory.employee(outsider_company)
    staff = {}
    for employee in s.employees:
        row = await factory.employee(
            company,
            active=employee.active,
            salary_form=employee.salary_form,
            salary_amount=employee.salary_amount,
            employment_start=employee.employment_start,
            employment_end=employee.employment_end,
            employment_extent=employee.employment_extent,
        )
        staff[employee.id] = row.id
    db_id = {**staff, OUTSIDER: outsider.id}
    seed_other = await Seeder(database, factory, outsider_company).load_codes()

    def seeder_of(employee_id: int) -> Seeder:
        return seed_other if employee_id == OUTSIDER else seed

    def code_of(code_id: int, employee_id: int) -> str:
        return CODES_BY_ID[code_id].code if employee_id != OUTSIDER else "ARB"

    schedule_rows = [
        seed.schedule(staff[schedule.employee_id], *(str(h) for h in schedule.hours))
        for schedule in s.schedules
    ]
    entry_rows = {
        entry.id: seeder_of(entry.employee_id).time(
            db_id[entry.employee_id],
            entry.date,
            str(entry.hours),
            code_of(entry.time_code_id, entry.employee_id),
        )
        for entry in s.entries
    }
    attest_rows = [seeder_of(e).attest(db_id[e], monday) for e, monday in s.attested]
    absence_rows = {
        absence.id: seeder_of(absence.employee_id).absence(
            db_id[absence.employee_id], absence.kind, absence.start_date, absence.end_date,
            str(absence.extent_percent), absence.status,
        )
        for absence in s.absences
    }  # fmt: skip
    expense_rows = {}
    for expense in s.expenses:
        maker = seeder_of(expense.employee_id)
        if expense.kind is ExpenseKind.MILEAGE:
            row = maker.mileage(
                db_id[expense.employee_id], expense.date, str(expense.distance_km),
                str(expense.rate_per_mil), expense.status, expense.description,
                expense.vehicle or VehicleKind.OWN_CAR,
            )  # fmt: skip
        else:
            row = maker.expense(
                db_id[expense.employee_id], expense.date, str(expense.amount), expense.status,
                expense.description,
            )  # fmt: skip
        expense_rows[expense.id] = row
    await seed.add(
        *schedule_rows,
        *entry_rows.values(),
        *attest_rows,
        *absence_rows.values(),
        *expense_rows.values(),
    )

    source_rows = {
        LineSource.TIME: entry_rows,
        LineSource.ABSENCE: absence_rows,
        LineSource.EXPENSE: expense_rows,
        LineSource.MILEAGE: expense_rows,
    }
    type_name = {LineSource.TIME: "TimeEntry", LineSource.ABSENCE: "Absence"}
    expected = as_api(
        s.basis(),
        {employee_id: gid("Employee", row) for employee_id, row in staff.items()},
        lambda line: gid(
            type_name.get(line.source, "Expense"), source_rows[line.source][line.source_id].id
        ),
    )

    opened = await api(OPEN, {"month": f"{s.start:%Y-%m}"}, token=admin.token)
    period_id = opened["data"]["openPayrollPeriod"]["payrollPeriod"]["id"]
    live = await api(GET_BASIS, {"id": period_id}, token=admin.token)
    assert "errors" not in live, live
    assert live["data"]["node"]["basis"] == expected

    assert "errors" not in await api(LOCK, {"id": period_id}, token=admin.token)
    frozen = await api(GET_BASIS, {"id": period_id}, token=admin.token)
    assert frozen["data"]["node"] == {"state": "LOCKED", "basis": expected}
