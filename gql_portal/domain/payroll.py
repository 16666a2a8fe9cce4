"""Payroll periods and the payroll basis: vocabulary and the pure computation of the basis.

`compute_basis` turns one period's sources (attested time, approved absence, approved expenses
and mileage) into the payroll basis per employee: lines that carry what a PAXml 2.0 export needs
(date; the standard code = tidkod of a time line, lonkod of a money line; pay type = the client's
own lonart for that code, if any; quantity = antal, unit price = apris, amount = belopp, moms,
description = benamning; for time and absence the hours = timmar; the project as a resenhet on
dimension 6, PAXml's and SIE's projekt). It works on plain frozen dataclasses (no ORM, no I/O),
so it is tested directly, with hypothesis too.

The rules, decided here once:

- **Pay types.** The standard code decides; the pay type (lonart) is the company's pay-type
  table entry for the code, else (time and absence) the company time code's own pay type, else
  none: the file still carries the code, and the payroll program maps it.
- **Time.** Only attested time counts: an entry counts when its ISO week is attested for its
  employee. Lines are dated on the entry's day and keep its project. Overtime (ÖT1-ÖT5,
  ÖK1-ÖK5), mertid (MER), OB (OB1-OB5), on-call (JR, BE) and other presence codes go out as the
  time code's PAXml code with the hours (quantity = the hours, or 1 for a DAYS code), never with
  a price or an amount: the payroll program applies the collective agreement's rates. The
  salary form decides normal work (kind WORK, code ARB or TID, in hours):
  - HOURLY: a TIMLÖN line (lonkod; a lonetrans in the file) with antal = the hours and apris =
    the hourly wage we know (for the program's check), no belopp: the program computes the pay.
  - MONTHLY: the schedule is the norm. Hours within the day's schedule (`calendar.
    scheduled_hours`, used up by the day's entries in id order) are TID lines marked
    `informational`: shown in the basis and its hours, never written to the file (the monthly
    salary pays them). Hours beyond it (a day off, a holiday, after the schedule) are ARB
    (arbetstid utanför schema) hours, for the program to value.
  - no salary form: ARB hours, all of them.
- **Clock times.** An entry with clock times gives each of its lines the shift (start and end,
  wall-clock; the file writes a tidtrans whose hours are that span as starttid/sluttid).
- **OB, derived.** With the company's OB windows (`domain.ob`), a clock-timed entry of worked
  time (kind WORK, hourly or monthly alike) gets, besides its own lines, one line per OB code
  with the hours of the shift inside that code's windows (`ob.split_by_windows`: to the minute,
  the highest code where windows overlap, the break shared out, public holidays and aftons
  from `calendar.is_public_holiday`): code and tidkod OB1-OB5, hours, no amount, source TIME
  and the entry's id, the entry's day and project, clock times = the code's stretch of the
  shift when it is one stretch. OB is a supplement on the hours worked, not more hours: an
  entry's own lines carry its hours, its OB lines say which of them were inconvenient. OB
  reported directly (a code of kind OB) goes out as it is and gets no derived OB on top; nor do
  overtime, mertid and on-call entries (agreements pay their own premiums for those hours; a
  firm whose agreement also pays OB on them reports it with an OB code). No windows, no OB.
- **Overtime is not derived** from clock times or the schedule: it is reported with an ÖT (or
  ÖK, MER) code. Agreements differ too much for one safe rule: overtime per day or per week
  (and per month and year for the caps), what counts as scheduled on a changed schedule,
  whether it is paid or taken as compensatory time (ÖK), and whether a part-timer's extra
  hours are mertid first; deriving ÖT1 from "more than the day's schedule" would pay wrongly
  for many clients, and hours beyond a monthly employee's schedule already go out as ARB for
  the program to value.
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
- **Expenses.** An APPROVED expense dated in the period is one UTLÄGG line: quantity 1, unit
  price = amount = the expense's amount, moms = its VAT amount. APPROVED mileage is in mil
  (quantity = km / 10, exact, unit MIL) with the vehicle's lonkod (own car MILPRI, company car
  MILFTG, diesel company car MILDIS, electric company car MILEL): the tax-free part (…_FRI,
  apris = Skatteverket's rate on the trip's date, `expenses.mileage_rate`) and, where the rate
  paid is above it, the excess as a taxable line (…_SKT; MIL_SKT for the electric car, which
  PAXml has no code for). The amounts add up to **the claim's stored amount** (the taxable line
  takes the öre of rounding; a single line is the stored amount): what the employee is owed, so
  totals reconcile to the öre with the approved claims. A trip before the rates the portal
  knows has no tax-free part.
- **Amounts**: only expenses and mileage carry one (`total_amount`); time and absence are hours.
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
  source id (an entry's or a claim's lines in the order made: its own, then its OB by code).
  (source, source id, date, code) identifies a line: `differences` compares on it and on every
  payroll-relevant field.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import date as Day  # for annotations inside classes with a `date` field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache

from gql_portal.domain.absence import ABSENCE_TIME_CODE, AbsenceKind, AbsenceStatus
from gql_portal.domain.calendar import SUNDAY, is_public_holiday, scheduled_hours
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import (
    ExpenseKind,
    ExpenseStatus,
    MileageRateUnknown,
    VehicleKind,
    mileage_rate,
)
from gql_portal.domain.ob import OB_CODES, ObWindow, hours_of_stretches, stretches_by_code
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


# Standard PAXml 2.0 codes the basis itself decides (the others come from the company's time
# codes): a lonkod for money lines, a tidkod for time lines.
CODE_EXPENSE = "UTLÄGG"
CODE_HOURLY_PAY = "TIMLÖN"  # an hourly employee's worked hours (lonetrans, antal = hours)
CODE_WITHIN_SCHEDULE = "TID"  # arbetstid inom schematid: a monthly employee's normal hours
CODE_OUTSIDE_SCHEDULE = "ARB"  # arbetstid utanför schema (or of an hourly employee)
NORMAL_WORK_CODES = frozenset({CODE_WITHIN_SCHEDULE, CODE_OUTSIDE_SCHEDULE})
# Mileage by vehicle: (tax-free lonkod, taxable lonkod). PAXml 2.0 has no MILEL_SKT: the
# taxable excess of an electric company car is the general MIL_SKT.
MILEAGE_CODES: dict[VehicleKind, tuple[str, str]] = {
    VehicleKind.OWN_CAR: ("MILPRI_FRI", "MILPRI_SKT"),
    VehicleKind.COMPANY_CAR_FOSSIL: ("MILFTG_FRI", "MILFTG_SKT"),
    VehicleKind.COMPANY_CAR_DIESEL: ("MILDIS_FRI", "MILDIS_SKT"),
    VehicleKind.COMPANY_CAR_ELECTRIC: ("MILEL_FRI", "MIL_SKT"),
}
# The codes a line may carry that no company time code names: the pay-type table entries the
# basis reads beside those of the company's time codes' PAXml codes.
BASIS_OWN_CODES = frozenset(
    {CODE_EXPENSE, CODE_HOURLY_PAY, *NORMAL_WORK_CODES, *OB_CODES}
    | {code for codes in MILEAGE_CODES.values() for code in codes}
    | set(ABSENCE_TIME_CODE.values())
)
# Resultatenheter: the dimension a line's project goes on. PAXml follows SIE here (1-19
# reserved, 1 = kostnadsställe, 6 = projekt).
PROJECT_DIMENSION = 6
EXPENSE_DESCRIPTION = "Utlägg"
OB_DESCRIPTION = "Obekväm arbetstid"  # + the code, where the company has no time code for it
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


@lru_cache(maxsize=1024)
def _code_description(name: str) -> str:
    """A time code's name as a line's description: the same few names on thousands of lines."""
    return _clip(name)


@dataclass(frozen=True)
class _PeriodCalendar:
    """A period's days, worked out once per period (not once per employee and day)."""

    days: tuple[date, ...]
    monday_of: dict[date, date]  # each day of the period -> the Monday of its ISO week
    weeks: tuple[tuple[date, tuple[date, ...]], ...]  # each week's Monday, its days in the period


@lru_cache(maxsize=64)
def _period_calendar(start: date, end: date) -> _PeriodCalendar:
    days = tuple(_days(start, end))
    monday_of = {day: week_start(day) for day in days}
    weeks: dict[date, list[date]] = defaultdict(list)
    for day in days:
        weeks[monday_of[day]].append(day)
    return _PeriodCalendar(
        days, monday_of, tuple((monday, tuple(week)) for monday, week in weeks.items())
    )


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
    project: str | None = None  # the project's code: its resenhet on PROJECT_DIMENSION
    # Clock times, where the employee gave them: the shift's wall-clock start and end (naive
    # local datetimes, `time.shift_bounds`: a night shift ends the next day) and its break.
    start: datetime | None = None
    end: datetime | None = None
    break_minutes: int = 0


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
    rate_per_mil: Decimal | None = None  # the rate paid (mileage)
    vehicle: VehicleKind | None = None  # mileage: decides the codes and the tax-free rate
    vat_amount: Decimal | None = None  # the moms part of `amount` (expenses)
    project: str | None = None


@dataclass(frozen=True)
class BasisSchedule:
    employee_id: int
    hours: tuple[Decimal, ...]  # Monday .. Sunday


# --- the basis ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BasisLine:
    employee_id: int
    date: date
    pay_type: str | None  # the client's own lonart for `code`; None when the company has none
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
    # The standard PAXml code: the tidkod of a time line (= time_code), else the lonkod.
    code: str | None = None
    vat: Decimal | None = None  # expenses: the moms part of the amount
    dimensions: tuple[tuple[int, str], ...] = ()  # resenheter: (dimension, id), the project
    # Clock times: a time entry's lines carry its shift; a derived OB line the stretch of the
    # shift under its code (none when the code's time is in several stretches).
    start: datetime | None = None
    end: datetime | None = None
    # Shown in the basis, not written to the file: a monthly employee's scheduled hours (TID),
    # which the monthly salary pays.
    informational: bool = False

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
            self.code,
            self.vat,
            self.dimensions,
            self.start,
            self.end,
            self.informational,
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
            # time and absence by tidkod; an hourly employee's TIMLÖN hours by their lonkod
            code = line.time_code or (line.code if line.hours is not None else None)
            if code is None:
                continue
            key = (code, line.unit)
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


def at_least_two_places(value: Decimal) -> Decimal:
    """`value` with two decimals, or more where it has them (a distance in mil: 12.345)."""
    return value.quantize(ORE) if value == value.quantize(ORE) else value


def _pay_type(code: str, pay_types: Mapping[str, str], fallback: str | None = None) -> str | None:
    """The client's lonart for a standard code: the company's pay-type table; for time, else the
    company time code's own pay type; None when neither names one."""
    return pay_types.get(code) or fallback or None


def _project(project: str | None) -> tuple[tuple[int, str], ...]:
    return ((PROJECT_DIMENSION, project),) if project else ()


def project_of(line: BasisLine) -> str | None:
    """The line's project (its resenhet on PROJECT_DIMENSION), if any."""
    for dimension, unit_id in line.dimensions:
        if dimension == PROJECT_DIMENSION:
            return unit_id
    return None


def _entry_line(
    entry: BasisTimeEntry,
    code: BasisTimeCode,
    pay_types: Mapping[str, str],
    as_code: str,
    hours: Decimal,
    *,
    lonkod: bool = False,
    unit_price: Decimal | None = None,
    informational: bool = False,
) -> BasisLine:
    """A line of the entry of time code `code`, going out as the standard code `as_code` (its
    own PAXml code, or TIMLÖN, TID, ARB) with `hours` of it: a tidkod (`time_code`), or with
    `lonkod` a lonkod only. Made once, with its final values (no copies changed field by field:
    a big company's month is tens of thousands of lines). No amount: the payroll program has
    the rates."""
    return BasisLine(
        employee_id=entry.employee_id,
        date=entry.date,
        pay_type=_pay_type(as_code, pay_types, code.pay_type),
        description=_code_description(code.name),
        time_code=None if lonkod else as_code,
        quantity=ONE if code.unit is Unit.DAYS else hours,
        unit=code.unit,
        unit_price=unit_price,
        amount=None,
        source=LineSource.TIME,
        source_id=entry.id,
        hours=hours,
        code=as_code,
        dimensions=_project(entry.project),
        start=entry.start,
        end=entry.end,
        informational=informational,
    )


def _time_lines(
    entry: BasisTimeEntry,
    code: BasisTimeCode,
    employee: BasisEmployee,
    scheduled_left: Decimal,
    pay_types: Mapping[str, str],
) -> list[BasisLine]:
    """The lines of a time entry; `scheduled_left` is what is left of the day's schedule.

    Overtime, mertid, OB, on-call and other presence codes go out as they are. Normal work
    (kind WORK, code ARB or TID, in hours) follows the salary form: an hourly employee's is
    TIMLÖN hours at the hourly wage; a monthly employee's is TID within the day's schedule
    (informational: the monthly salary pays it) and ARB beyond it (arbetstid utanför schema)."""
    normal = (
        code.kind is TimeCodeKind.WORK
        and code.paxml_code in NORMAL_WORK_CODES
        and code.unit is Unit.HOURS
    )
    if not normal:
        return [_entry_line(entry, code, pay_types, code.paxml_code, entry.hours)]
    if employee.salary_form is SalaryForm.HOURLY:
        return [
            _entry_line(
                entry,
                code,
                pay_types,
                CODE_HOURLY_PAY,
                entry.hours,
                lonkod=True,  # a lonetrans (antal = the hours)
                unit_price=employee.salary_amount,
            )
        ]
    if employee.salary_form is not SalaryForm.MONTHLY:
        return [_entry_line(entry, code, pay_types, CODE_OUTSIDE_SCHEDULE, entry.hours)]
    within = min(entry.hours, max(scheduled_left, Decimal(0)))
    beyond = entry.hours - within
    lines = []
    if within > 0:
        lines.append(
            _entry_line(entry, code, pay_types, CODE_WITHIN_SCHEDULE, within, informational=True)
        )
    if beyond > 0:
        lines.append(_entry_line(entry, code, pay_types, CODE_OUTSIDE_SCHEDULE, beyond))
    return lines


def derives_ob(code: BasisTimeCode) -> bool:
    """Whether an entry of `code` with clock times gets OB lines from the company's windows:
    worked time (kind WORK) that is not itself reported as OB."""
    return code.kind is TimeCodeKind.WORK and code.paxml_code not in OB_CODES


def _ob_lines(
    entry: BasisTimeEntry,
    code: BasisTimeCode,
    windows: Sequence[ObWindow],
    ob_codes: Mapping[str, BasisTimeCode],
    pay_types: Mapping[str, str],
) -> list[BasisLine]:
    """The OB of a clock-timed entry of worked time: one line per OB code with the hours of
    the shift inside that code's windows (`ob.split_by_windows`: the break shared out, public
    holidays and aftons from the calendar), dated on the entry's day. `ob_codes` are the
    company's time codes by PAXml OB code: their name and pay type, where it has one."""
    if entry.start is None or entry.end is None or not windows or not derives_ob(code):
        return []
    shift = (entry.start, entry.end)
    stretches = stretches_by_code(*shift, windows, is_public_holiday)  # cut once, used twice
    hours = hours_of_stretches(*shift, entry.break_minutes, stretches)
    lines = []
    for ob_code, ob_hours in hours.items():
        own = ob_codes.get(ob_code)
        parts = stretches.get(ob_code, ())
        start, end = parts[0] if len(parts) == 1 else (None, None)
        lines.append(
            BasisLine(
                employee_id=entry.employee_id,
                date=entry.date,
                pay_type=_pay_type(ob_code, pay_types, own.pay_type if own else None),
                description=_clip(own.name if own else f"{OB_DESCRIPTION} {ob_code}"),
                time_code=ob_code,
                quantity=ob_hours,
                unit=Unit.HOURS,
                unit_price=None,
                amount=None,
                source=LineSource.TIME,
                source_id=entry.id,
                hours=ob_hours,
                code=ob_code,
                dimensions=_project(entry.project),
                start=start,
                end=end,
            )
        )
    return lines


def _absence_lines(
    absence: BasisAbsence,
    code: BasisTimeCode,
    employee: BasisEmployee,
    schedule: Sequence[Decimal] | None,
    period_start: date,
    period_end: date,
    pay_types: Mapping[str, str],
) -> Iterable[BasisLine]:
    extent = absence.extent_percent
    vacation = absence.kind is AbsenceKind.VACATION
    # The pay-type table before the code's own pay type.
    pay_type = (
        code.pay_type
        if code.paxml_code is None
        else _pay_type(code.paxml_code, pay_types, code.pay_type)
    )
    description = _code_description(code.name)
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
            pay_type=pay_type,
            description=description,
            time_code=code.paxml_code,
            quantity=quantity,
            unit=code.unit,
            unit_price=None,
            amount=None,
            source=LineSource.ABSENCE,
            source_id=absence.id,
            hours=hours,
            extent_percent=extent,
            code=code.paxml_code,
        )


def _money_line(
    expense: BasisExpense, code: str, pay_types: Mapping[str, str], **values: object
) -> BasisLine:
    return BasisLine(
        employee_id=expense.employee_id,
        date=expense.date,
        pay_type=_pay_type(code, pay_types),
        code=code,
        time_code=None,
        source=LineSource.MILEAGE if expense.kind is ExpenseKind.MILEAGE else LineSource.EXPENSE,
        source_id=expense.id,
        dimensions=_project(expense.project),
        **values,  # type: ignore[arg-type]
    )


def _mileage_lines(expense: BasisExpense, pay_types: Mapping[str, str]) -> list[BasisLine]:
    """Mileage in mil (antal = km / 10, exact) with the vehicle's lonkod: the tax-free part at
    the tax-free rate of the trip's date, and what was paid above it as a taxable line. The
    amounts add up to the claim's stored amount (the taxable line takes the öre rounding)."""
    vehicle = expense.vehicle or VehicleKind.OWN_CAR
    free_code, taxable_code = MILEAGE_CODES[vehicle]
    description = _clip(expense.description or MILEAGE_DESCRIPTION)
    paid = expense.rate_per_mil
    if expense.distance_km is None or paid is None:  # not a trip we can price: as approved
        return [
            _money_line(
                expense,
                free_code,
                pay_types,
                description=description,
                quantity=ONE,
                unit=None,
                unit_price=None,
                amount=expense.amount,
            )
        ]
    mil = at_least_two_places(expense.distance_km / 10)

    def line(code: str, rate: Decimal, amount: Decimal) -> BasisLine:
        return _money_line(
            expense,
            code,
            pay_types,
            description=description,
            quantity=mil,
            unit=Unit.MIL,
            unit_price=rate,
            amount=amount,
        )

    try:
        tax_free = mileage_rate(expense.date, vehicle)
    except MileageRateUnknown:
        tax_free = Decimal("0.00")  # no known tax-free rate: all of it is taxable
    if paid <= tax_free:
        return [line(free_code, paid, expense.amount)]
    free_amount = min(to_ore(mil * tax_free), expense.amount)
    taxable = line(taxable_code, paid - tax_free, expense.amount - free_amount)
    if tax_free <= 0:
        return [taxable]
    return [line(free_code, tax_free, free_amount), taxable]


def _expense_lines(expense: BasisExpense, pay_types: Mapping[str, str]) -> list[BasisLine]:
    """An expense is one UTLÄGG line with its moms; mileage is `_mileage_lines`."""
    if expense.kind is ExpenseKind.MILEAGE:
        return _mileage_lines(expense, pay_types)
    return [
        _money_line(
            expense,
            CODE_EXPENSE,
            pay_types,
            description=_clip(expense.description or EXPENSE_DESCRIPTION),
            quantity=ONE,
            unit=Unit.PIECES,
            unit_price=expense.amount,
            amount=expense.amount,
            vat=expense.vat_amount,
        )
    ]


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
    pay_types: Mapping[str, str] | None = None,
    ob_windows: Sequence[ObWindow] = (),
) -> list[EmployeeBasis]:
    """The payroll basis of the period from `period_start` to `period_end` (both included).

    `attested_weeks` holds (employee id, Monday) pairs. Sources of employees not in `employees`
    are left out. Every time entry's time code must be in `time_codes`. `pay_types` is the
    company's pay-type table (standard code -> the client's lonart); `ob_windows` its OB
    windows (none: no OB is derived).
    """
    if period_end < period_start:
        raise ValueError("the period ends before it starts")
    company = _Company.of(
        employees, time_codes, schedules, attested_weeks, pay_types or {}, tuple(ob_windows)
    )
    calendar = _period_calendar(period_start, period_end)
    lines: dict[int, list[BasisLine]] = defaultdict(list)
    reported: dict[int, set[date]] = defaultdict(set)
    _add_time_lines(lines, reported, time_entries, company, calendar)
    for absence in absences:
        employee = company.staff.get(absence.employee_id)
        if employee is None or absence.status is not AbsenceStatus.APPROVED:
            continue
        lines[employee.id].extend(
            _absence_lines(
                absence,
                _absence_code(absence.kind, company.codes_by_code),
                employee,
                company.week_hours.get(employee.id),
                period_start,
                period_end,
                company.pay_types,
            )
        )
    for expense in expenses:
        if (
            expense.employee_id in company.staff
            and expense.status is ExpenseStatus.APPROVED
            and period_start <= expense.date <= period_end
        ):
            lines[expense.employee_id].extend(_expense_lines(expense, company.pay_types))
    bases = (
        _employee_basis(employee, lines[employee.id], reported[employee.id], company, calendar)
        for _, employee in sorted(company.staff.items())
    )
    return [basis for basis in bases if basis is not None]


@dataclass(frozen=True)
class _Company:
    """What `compute_basis` looks up while it goes through one company's sources."""

    staff: dict[int, BasisEmployee]
    codes_by_id: dict[int, BasisTimeCode]
    codes_by_code: dict[str, BasisTimeCode]
    ob_codes: dict[str, BasisTimeCode]  # the company's OB time codes by PAXml code
    week_hours: dict[int, tuple[Decimal, ...]]
    attested: frozenset[tuple[int, date]]
    pay_types: Mapping[str, str]
    ob_windows: tuple[ObWindow, ...]

    @classmethod
    def of(
        cls,
        employees: Iterable[BasisEmployee],
        time_codes: Iterable[BasisTimeCode],
        schedules: Iterable[BasisSchedule],
        attested_weeks: Collection[tuple[int, date]],
        pay_types: Mapping[str, str],
        ob_windows: tuple[ObWindow, ...],
    ) -> _Company:
        codes_by_id = {code.id: code for code in time_codes}
        return cls(
            staff={employee.id: employee for employee in employees},
            codes_by_id=codes_by_id,
            codes_by_code={code.code: code for code in codes_by_id.values()},
            ob_codes={  # the first one by id, where several map to one OB code
                code.paxml_code: code
                for code in sorted(codes_by_id.values(), key=lambda code: code.id, reverse=True)
                if code.paxml_code in OB_CODES
            },
            week_hours={schedule.employee_id: tuple(schedule.hours) for schedule in schedules},
            attested=frozenset(attested_weeks),
            pay_types=pay_types,
            ob_windows=ob_windows,
        )


def _add_time_lines(
    lines: dict[int, list[BasisLine]],
    reported: dict[int, set[date]],
    time_entries: Iterable[BasisTimeEntry],
    company: _Company,
    calendar: _PeriodCalendar,
) -> None:
    """Each attested entry's lines (and its derived OB), in date order: a day's schedule is
    used up by the entries of the day as they come (what is left of it decides TID or ARB)."""
    scheduled_left: dict[tuple[int, date], Decimal] = {}
    monday_of = calendar.monday_of  # holds exactly the period's days
    for entry in sorted(time_entries, key=lambda entry: (entry.date, entry.id)):
        employee = company.staff.get(entry.employee_id)
        monday = monday_of.get(entry.date)
        if employee is None or monday is None:  # not staff, or outside the period
            continue
        reported[employee.id].add(entry.date)
        if (employee.id, monday) not in company.attested:
            continue
        day = (employee.id, entry.date)
        if day not in scheduled_left:
            scheduled_left[day] = (
                scheduled_hours(
                    entry.date, company.week_hours.get(employee.id), employee.employment_extent
                )
                if employee.employed_on(entry.date)
                else Decimal(0)
            )
        code = company.codes_by_id[entry.time_code_id]
        entry_lines = _time_lines(entry, code, employee, scheduled_left[day], company.pay_types)
        scheduled_left[day] -= sum(
            (line.hours or Decimal(0) for line in entry_lines if line.informational), Decimal(0)
        )
        lines[employee.id].extend(entry_lines)
        lines[employee.id].extend(
            _ob_lines(entry, code, company.ob_windows, company.ob_codes, company.pay_types)
        )


def _employee_basis(
    employee: BasisEmployee,
    lines: list[BasisLine],
    reported: set[date],
    company: _Company,
    calendar: _PeriodCalendar,
) -> EmployeeBasis | None:
    """One employee's basis: None for someone with no line and not active in the period."""
    active = employee.active and any(employee.employed_on(day) for day in calendar.days)
    if not lines and not active:
        return None
    # `reported` holds days of the period only (`_add_time_lines`).
    needs_attestation = {calendar.monday_of[day] for day in reported}
    if active:
        schedule = company.week_hours.get(employee.id)
        extent = employee.employment_extent
        needs_attestation.update(
            monday
            for monday, days in calendar.weeks
            if monday not in needs_attestation
            and any(
                employee.employed_on(day) and scheduled_hours(day, schedule, extent) > 0
                for day in days
            )
        )
    return EmployeeBasis(
        employee_id=employee.id,
        unattested_weeks=tuple(
            sorted(
                week for week in needs_attestation if (employee.id, week) not in company.attested
            )
        ),
        lines=tuple(sorted(lines, key=lambda line: line.sort_key)),
    )


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
