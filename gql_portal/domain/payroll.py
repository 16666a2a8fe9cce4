"""Payroll periods and the payroll basis: vocabulary and the pure computation of the basis.

`compute_basis` turns one period's sources (attested time, approved absence, approved expenses
and mileage) into the payroll basis per employee: lines that carry what a PAXml 2.0 export needs
(date, pay type = lonart, quantity = antal, unit price = apris, amount = belopp, description =
benamning; for time and absence the PAXml time code = tidkod and the hours = timmar). It works on
plain frozen dataclasses (no ORM, no I/O), so it is tested directly, with hypothesis too.

The rules, decided here once:

- **Time.** Only attested time counts: an entry counts when its ISO week is attested for its
  employee. One line per entry, dated on the entry's day: pay type and PAXml time code from the
  entry's time code; quantity = the hours (unit HOURS), or 1 per entry for a DAYS code. The line
  keeps the reported hours either way. For an HOURLY employee, worked time (kind WORK, unit
  HOURS) is priced: unit price = the hourly wage, amount = quantity x price rounded to öre
  (ROUND_HALF_UP), per line. Monthly employees' time carries quantity only: the payroll program
  computes the monthly salary and its deductions.
- **Absence.** An APPROVED absence gives one line per scheduled working day inside the
  absence, the period and the employment: the time code is the company's code named by
  `ABSENCE_TIME_CODE` (the default code, if the company has none by that name); the hours are
  the day's scheduled hours x extent, rounded to two decimals; the quantity is those hours
  (HOURS), or extent/100 days (DAYS, e.g. SEM: 1.00 for a whole day). No price, no amount: the
  payroll program values absence (sjuklöneavdrag, semesterlön, ...). The day's scheduled hours
  are `calendar.scheduled_hours`: the employee's schedule, else the employment extent x the
  normal day (8 h) Monday to Friday (a 50 % employee's sick day is 4 h); never on a public
  holiday or on midsommarafton, julafton or nyårsafton, so absence on them gives no line. A
  vacation (SEM) line is never on a Sunday either (semesterlagen 3 §: not a vacation day).
  Sick absence goes out as SJK hours; karensavdrag and sick pay are the payroll program's.
- **Expenses.** An APPROVED expense dated in the period is one line: pay type 810 (utlägg),
  quantity 1, unit price = amount = the expense's amount. APPROVED mileage is one line: pay type
  820 (skattefri milersättning), quantity = the distance in km (unit KILOMETRES), unit price =
  the rate per km (rate per mil / 10, rounded to öre), and amount = **the mileage's stored
  amount**, not quantity x price: the approved amount is what the employee is owed, so totals
  reconcile to the öre with the approved expenses (antal x apris may differ from belopp by a few
  öre when the rate per mil is not a whole multiple of 10 öre).
- **Nothing outside the period**: time and expenses by their date, absence clipped to it.
- **Who is in the basis**: every employee with a line, and every active employee whose
  employment overlaps the period (so that someone who reported nothing still shows, preliminary).
- **Preliminary**: an employee is preliminary while a week that needs attestation is not
  attested. A week needs attestation when, inside the period (and the employment), it has a day
  with reported time (attested or not) or, for an active employee, a scheduled working day (a
  public holiday or an afton is none). A week that overlaps the period only on days off (a
  month starting on a Saturday, or a week of holidays) does not.
  Those weeks (their Mondays) are listed.
- **Order**: employees by id; lines by date, then source (time, absence, expense, mileage), then
  source id. (source, source id, date) identifies a line: `differences` compares on it and on
  every payroll-relevant field.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from datetime import date as Day  # for annotations inside classes with a `date` field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from gql_portal.domain.absence import ABSENCE_TIME_CODE, AbsenceKind, AbsenceStatus
from gql_portal.domain.calendar import SUNDAY, scheduled_hours
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import ExpenseKind, ExpenseStatus
from gql_portal.domain.time import DEFAULT_TIME_CODES, TimeCodeKind, Unit, week_start


class PeriodState(StrEnum):
    OPEN = "OPEN"
    LOCKED = "LOCKED"  # ready for payroll: the basis is frozen
    EXPORTED = "EXPORTED"


class LineSource(StrEnum):
    TIME = "TIME"
    ABSENCE = "ABSENCE"
    EXPENSE = "EXPENSE"
    MILEAGE = "MILEAGE"


# Pay types (lönearter) of the lines that do not come from a time code.
PAY_TYPE_EXPENSE = "810"  # utlägg: an expense paid by the employee, repaid tax-free
PAY_TYPE_MILEAGE = "820"  # skattefri milersättning
EXPENSE_DESCRIPTION = "Utlägg"
MILEAGE_DESCRIPTION = "Milersättning"

DESCRIPTION_LENGTH = 200  # PayrollLine.description
ORE = Decimal("0.01")
ONE = Decimal("1.00")
HUNDRED = Decimal(100)
SOURCE_ORDER = {source: rank for rank, source in enumerate(LineSource)}


def month_period(day: date) -> tuple[date, date]:
    """The calendar month `day` is in (the default payroll period)."""
    return date(day.year, day.month, 1), date(
        day.year, day.month, monthrange(day.year, day.month)[1]
    )


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str) -> date:
    """The first day of a month written YYYY-MM (ValueError otherwise)."""
    match = _MONTH.match(text.strip())
    if not match:
        raise ValueError("must be a month written YYYY-MM, e.g. 2026-03")
    year, month = int(match[1]), int(match[2])
    if not 2000 <= year <= 2100 or not 1 <= month <= 12:
        raise ValueError("must be a month from 2000-01 to 2100-12")
    return date(year, month, 1)


def month_label(start: date) -> str:
    return f"{start.year:04d}-{start.month:02d}"


def to_ore(value: Decimal) -> Decimal:
    """Rounded to two places, halves away from zero (how Swedish payroll rounds öre)."""
    return value.quantize(ORE, rounding=ROUND_HALF_UP)


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DESCRIPTION_LENGTH else text[: DESCRIPTION_LENGTH - 1] + "…"


# --- the sources ----------------------------------------------------------------------------


@dataclass(frozen=True)
class BasisEmployee:
    id: int
    active: bool = True
    salary_form: SalaryForm | None = None
    salary_amount: Decimal | None = None  # per month, or per hour
    employment_start: date | None = None
    employment_end: date | None = None
    employment_extent: Decimal | None = None  # percent of full time: absence without schedule

    def employed_on(self, day: date) -> bool:
        return (self.employment_start is None or self.employment_start <= day) and (
            self.employment_end is None or day <= self.employment_end
        )

    @property
    def hourly_wage(self) -> Decimal | None:
        if self.salary_form is SalaryForm.HOURLY and self.salary_amount is not None:
            return self.salary_amount
        return None


@dataclass(frozen=True)
class BasisTimeCode:
    id: int
    code: str
    name: str
    kind: TimeCodeKind
    paxml_code: str
    pay_type: str
    unit: Unit


@dataclass(frozen=True)
class BasisTimeEntry:
    id: int
    employee_id: int
    date: date
    hours: Decimal
    time_code_id: int


@dataclass(frozen=True)
class BasisAbsence:
    id: int
    employee_id: int
    kind: AbsenceKind
    start_date: date
    end_date: date
    extent_percent: Decimal
    status: AbsenceStatus


@dataclass(frozen=True)
class BasisExpense:
    id: int
    employee_id: int
    kind: ExpenseKind
    date: date
    description: str
    amount: Decimal
    status: ExpenseStatus
    distance_km: Decimal | None = None
    rate_per_mil: Decimal | None = None


@dataclass(frozen=True)
class BasisSchedule:
    employee_id: int
    hours: tuple[Decimal, ...]  # Monday .. Sunday


# --- the basis ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasisLine:
    employee_id: int
    date: date
    pay_type: str
    description: str
    time_code: str | None  # the PAXml time code (tidkod) of time and absence lines
    quantity: Decimal
    unit: Unit | None
    unit_price: Decimal | None
    amount: Decimal | None
    source: LineSource
    source_id: int
    hours: Decimal | None = None  # time and absence: the hours behind the line (timmar)
    extent_percent: Decimal | None = None  # absence: its extent (omfattning)

    @property
    def sort_key(self) -> tuple[Day, int, int]:
        return self.date, SOURCE_ORDER[self.source], self.source_id

    @property
    def identity(self) -> tuple[object, ...]:
        """What makes two lines the same line of payroll (the description is not part of it)."""
        return (
            self.employee_id,
            self.source,
            self.source_id,
            self.date,
            self.pay_type,
            self.time_code,
            self.quantity,
            self.unit,
            self.unit_price,
            self.amount,
            self.hours,
            self.extent_percent,
        )


@dataclass(frozen=True)
class TimeCodeTotal:
    time_code: str
    unit: Unit | None
    quantity: Decimal  # in the unit: hours, or days
    hours: Decimal


@dataclass(frozen=True)
class EmployeeBasis:
    employee_id: int
    unattested_weeks: tuple[date, ...]
    lines: tuple[BasisLine, ...]

    @property
    def preliminary(self) -> bool:
        return bool(self.unattested_weeks)

    @property
    def total_amount(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.amount is not None), Decimal("0.00"))

    @property
    def hours_by_time_code(self) -> tuple[TimeCodeTotal, ...]:
        quantities: dict[tuple[str, Unit | None], Decimal] = defaultdict(lambda: Decimal("0.00"))
        hours: dict[tuple[str, Unit | None], Decimal] = defaultdict(lambda: Decimal("0.00"))
        for line in self.lines:
            if line.time_code is None:
                continue
            key = (line.time_code, line.unit)
            quantities[key] += line.quantity
            hours[key] += line.hours if line.hours is not None else line.quantity
        return tuple(
            TimeCodeTotal(code, unit, quantities[code, unit], hours[code, unit])
            for code, unit in sorted(quantities, key=lambda key: (key[0], key[1] or ""))
        )


@dataclass(frozen=True)
class BasisDifference:
    """Lines of one employee that the live basis has and the frozen one has not (`added`), and
    the other way round (`removed`). A changed line is one of each."""

    employee_id: int
    added: tuple[BasisLine, ...]
    removed: tuple[BasisLine, ...]


# --- computing ------------------------------------------------------------------------------


def _absence_code(kind: AbsenceKind, codes_by_code: dict[str, BasisTimeCode]) -> BasisTimeCode:
    code = ABSENCE_TIME_CODE[kind]
    found = codes_by_code.get(code)
    if found is not None:
        return found
    default = next(default for default in DEFAULT_TIME_CODES if default.code == code)
    return BasisTimeCode(
        id=0,
        code=default.code,
        name=default.name,
        kind=default.kind,
        paxml_code=default.paxml_code,
        pay_type=default.pay_type,
        unit=default.unit,
    )


def _time_line(entry: BasisTimeEntry, code: BasisTimeCode, employee: BasisEmployee) -> BasisLine:
    quantity = ONE if code.unit is Unit.DAYS else entry.hours
    unit_price = amount = None
    wage = employee.hourly_wage
    if wage is not None and code.kind is TimeCodeKind.WORK and code.unit is Unit.HOURS:
        unit_price, amount = wage, to_ore(quantity * wage)
    return BasisLine(
        employee_id=entry.employee_id,
        date=entry.date,
        pay_type=code.pay_type,
        description=_clip(code.name),
        time_code=code.paxml_code,
        quantity=quantity,
        unit=code.unit,
        unit_price=unit_price,
        amount=amount,
        source=LineSource.TIME,
        source_id=entry.id,
        hours=entry.hours,
    )


def _absence_lines(
    absence: BasisAbsence,
    code: BasisTimeCode,
    employee: BasisEmployee,
    schedule: Sequence[Decimal] | None,
    period_start: date,
    period_end: date,
) -> Iterable[BasisLine]:
    extent = absence.extent_percent
    vacation = absence.kind is AbsenceKind.VACATION
    for day in _days(max(absence.start_date, period_start), min(absence.end_date, period_end)):
        if not employee.employed_on(day) or (vacation and day.weekday() == SUNDAY):
            continue
        scheduled = scheduled_hours(day, schedule, employee.employment_extent)
        if scheduled <= 0:  # a day off: not in the schedule, a holiday or an afton
            continue
        hours = to_ore(scheduled * extent / HUNDRED)
        quantity = to_ore(extent / HUNDRED) if code.unit is Unit.DAYS else hours
        yield BasisLine(
            employee_id=absence.employee_id,
            date=day,
            pay_type=code.pay_type,
            description=_clip(code.name),
            time_code=code.paxml_code,
            quantity=quantity,
            unit=code.unit,
            unit_price=None,
            amount=None,
            source=LineSource.ABSENCE,
            source_id=absence.id,
            hours=hours,
            extent_percent=extent,
        )


def _expense_line(expense: BasisExpense) -> BasisLine:
    if expense.kind is ExpenseKind.MILEAGE:
        known = expense.distance_km is not None
        return BasisLine(
            employee_id=expense.employee_id,
            date=expense.date,
            pay_type=PAY_TYPE_MILEAGE,
            description=_clip(expense.description or MILEAGE_DESCRIPTION),
            time_code=None,
            quantity=expense.distance_km if expense.distance_km is not None else ONE,
            unit=Unit.KILOMETRES if known else None,
            unit_price=(
                to_ore(expense.rate_per_mil / 10)
                if known and expense.rate_per_mil is not None
                else None
            ),
            amount=expense.amount,
            source=LineSource.MILEAGE,
            source_id=expense.id,
        )
    return BasisLine(
        employee_id=expense.employee_id,
        date=expense.date,
        pay_type=PAY_TYPE_EXPENSE,
        description=_clip(expense.description or EXPENSE_DESCRIPTION),
        time_code=None,
        quantity=ONE,
        unit=Unit.PIECES,
        unit_price=expense.amount,
        amount=expense.amount,
        source=LineSource.EXPENSE,
        source_id=expense.id,
    )


def compute_basis(
    period_start: date,
    period_end: date,
    employees: Iterable[BasisEmployee],
    time_entries: Iterable[BasisTimeEntry],
    attested_weeks: Collection[tuple[int, date]],
    absences: Iterable[BasisAbsence],
    expenses: Iterable[BasisExpense],
    time_codes: Iterable[BasisTimeCode],
    schedules: Iterable[BasisSchedule],
) -> list[EmployeeBasis]:
    """The payroll basis of the period from `period_start` to `period_end` (both included).

    `attested_weeks` holds (employee id, Monday) pairs. Sources of employees not in `employees`
    are left out. Every time entry's time code must be in `time_codes`.
    """
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    staff = {employee.id: employee for employee in employees}
    codes_by_id = {code.id: code for code in time_codes}
    codes_by_code = {code.code: code for code in codes_by_id.values()}
    week_hours = {schedule.employee_id: tuple(schedule.hours) for schedule in schedules}
    attested = set(attested_weeks)
    lines: dict[int, list[BasisLine]] = defaultdict(list)
    reported: dict[int, set[date]] = defaultdict(set)

    def in_period(day: date) -> bool:
        return period_start <= day <= period_end

    for entry in time_entries:
        employee = staff.get(entry.employee_id)
        if employee is None or not in_period(entry.date):
            continue
        reported[employee.id].add(entry.date)
        if (employee.id, week_start(entry.date)) in attested:
            lines[employee.id].append(_time_line(entry, codes_by_id[entry.time_code_id], employee))

    for absence in absences:
        employee = staff.get(absence.employee_id)
        if employee is None or absence.status is not AbsenceStatus.APPROVED:
            continue
        lines[employee.id].extend(
            _absence_lines(
                absence,
                _absence_code(absence.kind, codes_by_code),
                employee,
                week_hours.get(employee.id),
                period_start,
                period_end,
            )
        )

    for expense in expenses:
        if (
            expense.employee_id in staff
            and expense.status is ExpenseStatus.APPROVED
            and in_period(expense.date)
        ):
            lines[expense.employee_id].append(_expense_line(expense))

    bases = []
    for employee_id in sorted(staff):
        employee = staff[employee_id]
        schedule = week_hours.get(employee_id)
        employed = [day for day in _days(period_start, period_end) if employee.employed_on(day)]
        if not lines[employee_id] and not (employee.active and employed):
            continue
        needs_attestation = {
            week_start(day)
            for day in _days(period_start, period_end)
            if day in reported[employee_id]
        } | {
            week_start(day)
            for day in employed
            if employee.active and scheduled_hours(day, schedule, employee.employment_extent) > 0
        }
        bases.append(
            EmployeeBasis(
                employee_id=employee_id,
                unattested_weeks=tuple(
                    sorted(
                        week for week in needs_attestation if (employee_id, week) not in attested
                    )
                ),
                lines=tuple(sorted(lines[employee_id], key=lambda line: line.sort_key)),
            )
        )
    return bases


def basis_from_lines(
    lines: Iterable[BasisLine], unattested_weeks: dict[int, tuple[date, ...]]
) -> list[EmployeeBasis]:
    """A basis assembled from stored lines (a locked period's frozen basis). `unattested_weeks`
    names every employee in the basis, with the weeks that were unattested when it was frozen."""
    grouped: dict[int, list[BasisLine]] = defaultdict(list)
    for line in lines:
        grouped[line.employee_id].append(line)
    return [
        EmployeeBasis(
            employee_id=employee_id,
            unattested_weeks=tuple(sorted(unattested_weeks.get(employee_id, ()))),
            lines=tuple(sorted(grouped[employee_id], key=lambda line: line.sort_key)),
        )
        for employee_id in sorted(set(grouped) | set(unattested_weeks))
    ]


def differences(frozen: Iterable[BasisLine], live: Iterable[BasisLine]) -> list[BasisDifference]:
    """What changed in the sources since a basis was frozen: per employee (by id), the live
    lines the frozen basis lacks and the frozen lines the live basis no longer has."""
    frozen_lines = list(frozen)
    live_lines = list(live)
    frozen_count = Counter(line.identity for line in frozen_lines)
    live_count = Counter(line.identity for line in live_lines)
    added_keys = live_count - frozen_count
    removed_keys = frozen_count - live_count
    added: dict[int, list[BasisLine]] = defaultdict(list)
    removed: dict[int, list[BasisLine]] = defaultdict(list)
    for line in live_lines:
        if added_keys[line.identity] > 0:
            added_keys[line.identity] -= 1
            added[line.employee_id].append(line)
    for line in frozen_lines:
        if removed_keys[line.identity] > 0:
            removed_keys[line.identity] -= 1
            removed[line.employee_id].append(line)
    return [
        BasisDifference(
            employee_id=employee_id,
            added=tuple(sorted(added[employee_id], key=lambda line: line.sort_key)),
            removed=tuple(sorted(removed[employee_id], key=lambda line: line.sort_key)),
        )
        for employee_id in sorted(set(added) | set(removed))
    ]
