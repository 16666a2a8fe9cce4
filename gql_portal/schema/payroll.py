"""GraphQL types of payroll periods and the payroll basis (PAYROLL_BASIS)."""

import datetime
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from gql_portal.db import payroll as db
from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.domain import payroll as domain
from gql_portal.domain import sick
from gql_portal.domain.payroll import LineSource, PeriodState
from gql_portal.domain.time import Unit
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx, not_found
from gql_portal.resolvers.loading import by_id

# The time domain registers the Unit enum that payroll lines share: one definition, whichever
# module is imported first (two would be a DuplicatedTypeName when the schema is built).
from gql_portal.schema import time as _time_schema  # noqa: F401
from gql_portal.schema.accounts import company_by_id
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.id_filters import EmployeeIdsFilter
from gql_portal.schema.plugs import Plug
from gql_portal.schema.scalars import Money

if TYPE_CHECKING:
    from sqlalchemy import Row

    from gql_portal.context import RequestContext
    from gql_portal.schema.accounts import Company

    EmployeeIds = list[relay.GlobalID] | None
    BasisOf = Callable[
        [RequestContext, "PayrollPeriod", EmployeeIds], Awaitable[list["EmployeeBasis"]]
    ]
    DifferencesOf = Callable[
        [RequestContext, "PayrollPeriod", EmployeeIds],
        Awaitable[list["EmployeeBasisDifference"]],
    ]
    # (company id, employee id, period start, period end) -> the sick periods overlapping it
    SickPeriodsOf = Callable[
        [RequestContext, int, int, datetime.date, datetime.date],
        Awaitable[list[sick.SickPeriod]],
    ]

strawberry.enum(
    PeriodState,
    name="PayrollPeriodState",
    description="OPEN: the basis is computed live. LOCKED: frozen, ready for payroll. "
    "EXPORTED: handed to the payroll program.",
)
strawberry.enum(LineSource, name="PayrollLineSource", description="What a basis line comes from.")
describe_values(
    PeriodState,
    {
        "OPEN": "Being prepared: the basis is computed live from time, absence and expenses.",
        "LOCKED": "Frozen by an admin, ready for payroll: the basis no longer changes.",
        "EXPORTED": "Handed to the payroll program (exported at least once); exporting again "
        "is allowed and logged.",
    },
)
describe_values(
    LineSource,
    {
        "TIME": "Attested reported time, by its time code.",
        "ABSENCE": "Approved absence, by its kind's time code.",
        "EXPENSE": "An approved expense (utlägg), paid back.",
        "MILEAGE": "An approved mileage claim, paid per mil.",
    },
)

BASIS = AreaRule(Area.PAYROLL_BASIS)
STRUCTURAL = Structural()
# The basis's lists (the query cost counts this many; more is an error, never a cut): employees
# per request (a larger company asks in parts, by `employeeIds`), lines per employee and month,
# totals per employee (its time codes). A list's bound is held on the whole list, not on each
# employee (`ListAllowances`: at most employees x LINES_BOUND lines in all), so it is the
# average a company asked for at once may have; one employee may have more.
#
# Lines: a busy month of an employee who works inconvenient hours. A shift is its own line (a
# monthly employee's TID, and ARB beyond the schedule on some days: about 20 more) and one a
# code for the OB windows it crosses: usually one or two (an evening and the night, a weekend
# night), so 31 shifts give about 100 with their OB; absence is a line a working day not worked,
# and expenses one and mileage two a claim: about 40 together. 160. A month of shifts crossing
# five OB codes every day (217 lines before absence) is not an average over a company.
#
# The cost: the whole basis with every line, 1 + 500 x (1 + 1 + 160 + 30) = 96,001, and with
# its differences and their lines (DIFFERENCE_LINES_BOUND) 116,201, within MAX_COST 120,000.
BASIS_EMPLOYEES_BOUND = 500
LINES_BOUND = 160
# Lines added or removed per changed employee since the lock: late changes are a few entries.
DIFFERENCE_LINES_BOUND = 100
TIME_CODE_TOTALS_BOUND = 30
# Sick periods per employee and month: a spell of at least a day with a working day between.
SICK_PERIODS_BOUND = 16
DIFFERENCES_BOUND = 100  # employees with late changes per request (ask by `employeeIds`)
# The rows one employee's basis of a month is computed from, whether its lines are selected or
# not (the cost charges each employee at least this, schema/limits.py `ReadBudget`): its time
# entries, absences and expenses (one row each, whatever lines they become: a shift's OB lines
# are computed, not read; about 100 in a busy month), the attested weeks (a month touches at
# most 6 ISO weeks), its employee row and schedule; a frozen basis reads its stored lines and
# its head row. 108, and a little room for the company's time codes and OB windows. The budget
# is the list's (500 x BASIS_READS rows), so it holds a frozen basis whose employees have 110
# lines on average; a company whose stored lines are more asks for its basis in parts (by
# `employeeIds`): each part reads only its employees' lines.
BASIS_READS = 110
# Differences compare the frozen basis with the live one: both are read for each employee.
DIFFERENCES_READS = 2 * BASIS_READS
# Computed by the payroll resolvers: schema/root.py plugs them in.
PERIOD_BASIS: "Plug[BasisOf]" = Plug("PayrollPeriod.basis")
PERIOD_DIFFERENCES: "Plug[DifferencesOf]" = Plug("PayrollPeriod.differences")
SICK_PERIODS: "Plug[SickPeriodsOf]" = Plug("EmployeeBasis.sickPeriods")

EmployeeType = Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")]
CompanyType = Annotated["Company", strawberry.lazy("gql_portal.schema.accounts")]

# The Relay type a line's source id names.
SOURCE_TYPE_NAME = {
    LineSource.TIME: "TimeEntry",
    LineSource.ABSENCE: "Absence",
    LineSource.EXPENSE: "Expense",
    LineSource.MILEAGE: "Expense",
}


@strawberry.type(
    description="A line of the payroll basis: what a PAXml lonetrans (and, for time and "
    "absence, a tidtrans) carries."
)
class PayrollBasisLine:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    source_row_id: strawberry.Private[int]
    date: datetime.date = field(BASIS, description="The day (datum).")
    code: str | None = field(
        BASIS,
        description="The standard PAXml 2.0 code: the tidkod of a time or absence line (SJK, "
        "ÖT1, OB1, TID ...), the lonkod of a money line (TIMLÖN, UTLÄGG, MILPRI_FRI ...).",
    )
    pay_type: str | None = field(
        BASIS,
        description="The client's own pay type (löneart, PAXml lonart) for `code`, from the "
        "company's pay-type table; null when the company has none (the code still goes out).",
    )
    description: str = field(BASIS, description="Benämning: the time code's name, or the text.")
    time_code: str | None = field(
        BASIS, description="Time and absence lines: the PAXml time code (tidkod), e.g. ARB, SEM."
    )
    quantity: Decimal = field(BASIS, description="Antal, in `unit`.")
    unit: Unit | None = field(BASIS)
    unit_price: Money | None = field(
        BASIS, description="À-pris: an hourly employee's wage, an expense's amount, the rate/mil."
    )
    amount: Money | None = field(
        BASIS,
        description="Belopp. None where the payroll program values the line (salary, absence).",
    )
    hours: Decimal | None = field(
        BASIS, description="Time and absence lines: the hours (timmar), also on a DAYS line."
    )
    extent_percent: Decimal | None = field(BASIS, description="Absence lines: the extent.")
    vat: Money | None = field(
        BASIS,
        description="Expense lines: the deductible VAT in the amount (moms; representation: the "
        "capped part, the rest being cost).",
    )
    project: str | None = field(
        BASIS,
        description="The project's code: the line's resenhet on dimension 6 (projekt) in PAXml.",
    )
    start_time: datetime.datetime | None = field(
        BASIS,
        description="Clock time (local, starttid): a time line's shift, where the entry has "
        "clock times; an OB line derived from the company's OB windows, the stretch of the "
        "shift under its code (null when that is more than one stretch).",
    )
    end_time: datetime.datetime | None = field(BASIS, description="Clock time (local): sluttid.")
    informational: bool = field(
        BASIS,
        description="Shown, not exported: a monthly-salaried employee's hours within the "
        "schedule (TID), which the monthly salary pays.",
    )
    source: LineSource = field(BASIS)

    @resolver_field(
        BASIS, description="The global id of the source: a TimeEntry, an Absence or an Expense."
    )
    def source_id(self) -> relay.GlobalID:
        return relay.GlobalID(SOURCE_TYPE_NAME[self.source], str(self.source_row_id))

    @classmethod
    def from_line(cls, company_id: int, line: domain.BasisLine) -> "PayrollBasisLine":
        return cls(
            company_id=company_id,
            owner_employee_id=line.employee_id,
            source_row_id=line.source_id,
            date=line.date,
            pay_type=line.pay_type,
            description=line.description,
            time_code=line.time_code,
            quantity=line.quantity,
            unit=line.unit,
            unit_price=line.unit_price,  # type: ignore[arg-type]
            amount=line.amount,  # type: ignore[arg-type]
            hours=line.hours,
            extent_percent=line.extent_percent,
            code=line.code,
            vat=line.vat,  # type: ignore[arg-type]
            project=domain.project_of(line),
            start_time=line.start,
            end_time=line.end,
            informational=line.informational,
            source=line.source,
        )


@strawberry.type(description="The hours (and quantity in its unit) of one time code.")
class PayrollTimeCodeTotal:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    time_code: str = field(BASIS, description="The PAXml time code.")
    unit: Unit | None = field(BASIS)
    quantity: Decimal = field(BASIS, description="In `unit`: hours, or days.")
    hours: Decimal = field(BASIS)


async def _employee(info: Ctx, employee_id: int) -> EmployeeType:
    row = await by_id(info.context, EmployeeRow).load(employee_id)
    if row is None:  # whoever reads a basis reaches its employee (the matrix says so)
        raise not_found("Employee")
    return Employee.from_row(row)


@strawberry.type(
    description="A sick period (sjukperiod): consecutive calendar days of approved sick "
    "absence, weekends and holidays included, numbered from its first sick day. A period that "
    "starts within five calendar days after the previous one ended continues its numbering "
    "(återinsjuknande; the healthy days between are not counted). Sick hours go out as SJK; "
    "the payroll program applies the karensavdrag and the sick pay rules."
)
class SickPeriod:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    start: datetime.date = field(BASIS, description="The first sick day.")
    end: datetime.date = field(BASIS, description="The last sick day.")
    first_day_number: int = field(
        BASIS, description="The number of `start`: 1, or where a continued period stopped."
    )
    last_day_number: int = field(BASIS, description="The number of `end`.")
    medical_certificate_from: datetime.date | None = field(
        BASIS,
        description="The period's 8th calendar day, from which a medical certificate "
        "(läkarintyg) is needed; counted in this period alone, even a continued one. None if "
        "it is shorter.",
    )
    hand_over_to_forsakringskassan_from: datetime.date | None = field(
        BASIS,
        description="The day numbered 15 (or `start`, if past it): sick pay covers days 1-14, "
        "then Försäkringskassan takes over (sjukpenning). None if the numbering stops before.",
    )

    @classmethod
    def from_period(
        cls, company_id: int, employee_id: int, period: sick.SickPeriod
    ) -> "SickPeriod":
        return cls(
            company_id=company_id,
            owner_employee_id=employee_id,
            start=period.start,
            end=period.end,
            first_day_number=period.first_day_number,
            last_day_number=period.last_day_number,
            medical_certificate_from=period.medical_certificate_from,
            hand_over_to_forsakringskassan_from=period.forsakringskassan_from,
        )


@strawberry.type(description="One employee's payroll basis in a period.")
class EmployeeBasis:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    period_start: strawberry.Private[datetime.date]
    period_end: strawberry.Private[datetime.date]
    preliminary: bool = field(
        BASIS,
        description="True while a week that needs attestation is not attested: a week with "
        "reported time, or a scheduled working day, inside the period.",
    )
    unattested_weeks: list[datetime.date] = field(
        BASIS, description="The Mondays of those weeks (ISO weeks)."
    )
    lines: list[PayrollBasisLine] = field(BASIS, bound=LINES_BOUND)
    total_amount: Money = field(BASIS, description="The sum of the lines' amounts.")
    hours_by_time_code: list[PayrollTimeCodeTotal] = field(BASIS, bound=TIME_CODE_TOTALS_BOUND)

    @resolver_field(BASIS)
    async def employee(self, info: Ctx) -> EmployeeType:
        return await _employee(info, self.owner_employee_id)

    @resolver_field(
        BASIS,
        description="The employee's sick periods that overlap the period, numbered from "
        "their approved sick absence (read now, also for a locked period; from a year before "
        "the period at most).",
        bound=SICK_PERIODS_BOUND,
    )
    async def sick_periods(self, info: Ctx) -> list[SickPeriod]:
        periods = await SICK_PERIODS.resolver(
            info.context,
            self.company_id,
            self.owner_employee_id,
            self.period_start,
            self.period_end,
        )
        return [
            SickPeriod.from_period(self.company_id, self.owner_employee_id, period)
            for period in periods
        ]

    @classmethod
    def from_basis(
        cls,
        company_id: int,
        basis: domain.EmployeeBasis,
        period: tuple[datetime.date, datetime.date],
    ) -> "EmployeeBasis":
        owner = basis.employee_id
        return cls(
            company_id=company_id,
            owner_employee_id=owner,
            period_start=period[0],
            period_end=period[1],
            preliminary=basis.preliminary,
            unattested_weeks=list(basis.unattested_weeks),
            lines=[PayrollBasisLine.from_line(company_id, line) for line in basis.lines],
            total_amount=basis.total_amount,  # type: ignore[arg-type]
            hours_by_time_code=[
                PayrollTimeCodeTotal(
                    company_id=company_id,
                    owner_employee_id=owner,
                    time_code=total.time_code,
                    unit=total.unit,
                    quantity=total.quantity,
                    hours=total.hours,
                )
                for total in basis.hours_by_time_code
            ],
        )


@strawberry.type(
    description="Late changes to a locked period: lines the basis computed now has and the "
    "frozen basis has not (`added`), and frozen lines it no longer has (`removed`). A changed "
    "line is one of each. The frozen basis itself does not change."
)
class EmployeeBasisDifference:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    added: list[PayrollBasisLine] = field(BASIS, bound=DIFFERENCE_LINES_BOUND)
    removed: list[PayrollBasisLine] = field(BASIS, bound=DIFFERENCE_LINES_BOUND)

    @resolver_field(BASIS)
    async def employee(self, info: Ctx) -> EmployeeType:
        return await _employee(info, self.owner_employee_id)

    @classmethod
    def from_difference(
        cls, company_id: int, difference: domain.BasisDifference
    ) -> "EmployeeBasisDifference":
        return cls(
            company_id=company_id,
            owner_employee_id=difference.employee_id,
            added=[PayrollBasisLine.from_line(company_id, line) for line in difference.added],
            removed=[PayrollBasisLine.from_line(company_id, line) for line in difference.removed],
        )


@strawberry.type(
    description="A payroll period of a company: a calendar month. Its basis is computed live "
    "from attested time, approved absence and approved expenses while it is OPEN, and frozen "
    "when it is locked."
)
class PayrollPeriod(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    month: str = field(BASIS, description="The calendar month, YYYY-MM.")
    start_date: datetime.date = field(BASIS)
    end_date: datetime.date = field(BASIS)
    state: PeriodState = field(BASIS)
    locked_at: datetime.datetime | None = field(BASIS)

    @resolver_field(BASIS, description="The company the period belongs to.")
    async def company(self, info: Ctx) -> CompanyType:
        company = await company_by_id(info.context, self.company_id)
        if company is None:
            raise not_found("Company")
        return company

    @resolver_field(
        BASIS,
        description="The payroll basis per employee (by employee id), optionally of some "
        "employees only: computed live while OPEN, the frozen basis once LOCKED. Employees see "
        "their own. A company with more employees asks for them in parts (`employeeIds`).",
        bound=BASIS_EMPLOYEES_BOUND,
        reads=BASIS_READS,
    )
    async def basis(self, info: Ctx, employee_ids: EmployeeIdsFilter = None) -> list[EmployeeBasis]:
        return await PERIOD_BASIS.resolver(info.context, self, employee_ids)

    @resolver_field(
        BASIS,
        description="For a LOCKED or EXPORTED period: how the basis computed now differs from "
        "the frozen one (late edits), per employee. Empty while OPEN.",
        bound=DIFFERENCES_BOUND,
        reads=DIFFERENCES_READS,
    )
    async def differences(
        self, info: Ctx, employee_ids: EmployeeIdsFilter = None
    ) -> list[EmployeeBasisDifference]:
        return await PERIOD_DIFFERENCES.resolver(info.context, self, employee_ids)

    @classmethod
    def from_row(cls, row: db.PayrollPeriod) -> "PayrollPeriod":
        return cls.from_columns(row)

    @classmethod
    def from_columns(cls, row: "db.PayrollPeriod | Row[*tuple[Any, ...]]") -> "PayrollPeriod":
        """From the period's row, or a read of its columns of the same names."""
        return cls(
            id=row.id,
            company_id=row.company_id,
            month=domain.month_label(row.start_date),
            start_date=row.start_date,
            end_date=row.end_date,
            state=row.state,
            locked_at=row.locked_at,
        )


@strawberry.type(description="The payroll period the mutation opened, locked or unlocked.")
class PayrollPeriodPayload:
    payroll_period: PayrollPeriod = field(STRUCTURAL)
