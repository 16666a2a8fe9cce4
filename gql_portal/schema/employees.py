"""GraphQL types of employees: contact details and salary details, each field in its area."""

import datetime
from collections.abc import Awaitable, Callable
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql_portal.db import employees as db
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.plugs import Plug
from gql_portal.schema.scalars import Money

if TYPE_CHECKING:
    from gql_portal.context import RequestContext
    from gql_portal.schema.absence import Absence
    from gql_portal.schema.expenses import Expense, ExpenseStatus
    from gql_portal.schema.schedules import Schedule
    from gql_portal.schema.time import TimeEntry

    Dates = datetime.date | None
    ExpensesOf = Callable[[Ctx, int, Dates, Dates, ExpenseStatus | None], Awaitable[list[Expense]]]
    TimeEntriesOf = Callable[[RequestContext, int, Dates, Dates], Awaitable[list[TimeEntry]]]
    AbsencesOf = Callable[[RequestContext, int, Dates, Dates], Awaitable[list[Absence]]]
    ScheduleOf = Callable[[RequestContext, int], Awaitable[Schedule | None]]

strawberry.enum(EmploymentForm, description="Form of employment.")
strawberry.enum(SalaryForm, description="Monthly salary or hourly wage.")
describe_values(
    EmploymentForm,
    {
        "PERMANENT": "Tillsvidareanställning: employment until further notice.",
        "FIXED_TERM": "Visstidsanställning: employment for a fixed term.",
        "PROBATION": "Provanställning: probationary employment (at most six months).",
        "ON_CALL": "Timanställd vid behov: called in when needed, paid by the hour.",
    },
)
describe_values(
    SalaryForm,
    {
        "MONTHLY": "A monthly salary, paid by schedule; the basis reports deviations.",
        "HOURLY": "An hourly wage, paid for the hours reported.",
    },
)

CONTACT = AreaRule(Area.EMPLOYEE_CONTACT)
SALARY = AreaRule(Area.EMPLOYEE_SALARY)
STRUCTURAL = Structural()
# An employee's own lists, per employee (the query cost counts this many; more is an error):
# a quarter of daily reports, months of expenses, a year of absences.
EMPLOYEE_TIME_ENTRIES_BOUND = 200
EMPLOYEE_EXPENSES_BOUND = 50
EMPLOYEE_ABSENCES_BOUND = 100
# The lists are read by the domains that own them: schema/root.py plugs their resolvers in.
EXPENSES: "Plug[ExpensesOf]" = Plug("Employee.expenses")
TIME_ENTRIES: "Plug[TimeEntriesOf]" = Plug("Employee.timeEntries")
ABSENCES: "Plug[AbsencesOf]" = Plug("Employee.absences")
SCHEDULE: "Plug[ScheduleOf]" = Plug("Employee.schedule")


@strawberry.type(description="A person employed by a company.")
class Employee(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    active: bool = field(CONTACT)
    employee_number: str = field(CONTACT, description="Unique among the company's active staff.")
    first_name: str = field(CONTACT)
    last_name: str = field(CONTACT)
    email: str | None = field(CONTACT)
    phone: str | None = field(CONTACT)
    street_address: str | None = field(CONTACT)
    postal_code: str | None = field(CONTACT)
    city: str | None = field(CONTACT)
    personal_identity_number: str | None = field(
        SALARY, description="Personnummer or samordningsnummer, 12 digits YYYYMMDDNNNC."
    )
    employment_start: datetime.date | None = field(SALARY)
    employment_end: datetime.date | None = field(SALARY)
    employment_form: EmploymentForm | None = field(SALARY)
    employment_extent: Decimal | None = field(SALARY, description="Percent of full time.")
    salary_form: SalaryForm | None = field(SALARY)
    salary_amount: Money | None = field(SALARY, description="Per month, or per hour.")
    tax_table: int | None = field(SALARY)
    tax_column: int | None = field(SALARY)
    bank_clearing_number: str | None = field(SALARY)
    bank_account_number: str | None = field(SALARY)

    @resolver_field(
        AreaRule(Area.EXPENSES_RECEIPTS),
        description="The employee's expenses and mileage claims, newest first.",
        bound=EMPLOYEE_EXPENSES_BOUND,
    )
    async def expenses(
        self,
        info: Ctx,
        from_: Annotated[
            datetime.date | None, strawberry.argument(name="from", description="On or after.")
        ] = None,
        to: Annotated[
            datetime.date | None, strawberry.argument(description="On or before.")
        ] = None,
        status: Annotated[
            Annotated["ExpenseStatus", strawberry.lazy("gql_portal.schema.expenses")] | None,
            strawberry.argument(description="Only expenses in this state (default: all)."),
        ] = None,
    ) -> list[Annotated["Expense", strawberry.lazy("gql_portal.schema.expenses")]]:
        return await EXPENSES.resolver(info, self.id, from_, to, status)

    @classmethod
    def from_row(cls, row: db.Employee) -> "Employee":
        return cls(
            id=row.id,
            company_id=row.company_id,
            owner_employee_id=row.id,
            active=row.active,
            employee_number=row.employee_number,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            phone=row.phone,
            street_address=row.street_address,
            postal_code=row.postal_code,
            city=row.city,
            personal_identity_number=row.personal_identity_number,
            employment_start=row.employment_start,
            employment_end=row.employment_end,
            employment_form=row.employment_form,
            employment_extent=row.employment_extent,
            salary_form=row.salary_form,
            salary_amount=row.salary_amount,  # type: ignore[arg-type]
            tax_table=row.tax_table,
            tax_column=row.tax_column,
            bank_clearing_number=row.bank_clearing_number,
            bank_account_number=row.bank_account_number,
        )

    @resolver_field(
        AreaRule(Area.TIME),
        description="The employee's time entries by date, within `from`-`to`.",
        bound=EMPLOYEE_TIME_ENTRIES_BOUND,
    )
    async def time_entries(
        self,
        info: Ctx,
        from_: Annotated[
            datetime.date | None, strawberry.argument(name="from", description="On or after.")
        ] = None,
        to: Annotated[
            datetime.date | None, strawberry.argument(description="On or before.")
        ] = None,
    ) -> list[Annotated["TimeEntry", strawberry.lazy("gql_portal.schema.time")]]:
        return await TIME_ENTRIES.resolver(info.context, self.id, from_, to)

    @resolver_field(
        AreaRule(Area.ABSENCE),
        description="The employee's absences that touch `from`-`to`, by first day.",
        bound=EMPLOYEE_ABSENCES_BOUND,
    )
    async def absences(
        self,
        info: Ctx,
        from_: Annotated[
            datetime.date | None, strawberry.argument(name="from", description="On or after.")
        ] = None,
        to: Annotated[
            datetime.date | None, strawberry.argument(description="On or before.")
        ] = None,
    ) -> list[Annotated["Absence", strawberry.lazy("gql_portal.schema.absence")]]:
        return await ABSENCES.resolver(info.context, self.id, from_, to)

    @resolver_field(
        AreaRule(Area.SCHEDULES), description="The employee's weekly schedule, if one is set."
    )
    async def schedule(
        self, info: Ctx
    ) -> Annotated["Schedule", strawberry.lazy("gql_portal.schema.schedules")] | None:
        return await SCHEDULE.resolver(info.context, self.id)


@strawberry.input(description="Contact details. Fields left out (null) are not changed.")
class EmployeeContactInput:
    employee_number: str | None = strawberry.field(
        default=None,
        description="The employee number (anställningsnummer): at most 20 characters, unique among "
        "the company's active employees.",
    )
    first_name: str | None = strawberry.field(
        default=None, description="First name, at most 100 characters."
    )
    last_name: str | None = strawberry.field(
        default=None, description="Last name (surname), at most 100 characters."
    )
    email: str | None = strawberry.field(
        default=None, description="Email address; an empty string removes it."
    )
    phone: str | None = strawberry.field(
        default=None, description="Phone number, e.g. 070-123 45 67; an empty string removes it."
    )
    street_address: str | None = strawberry.field(
        default=None,
        description="Street address, e.g. Storgatan 1; at most 200 characters, empty removes it.",
    )
    postal_code: str | None = strawberry.field(
        default=None,
        description="Postnummer: five digits, with or without the space (411 05); empty removes "
        "it.",
    )
    city: str | None = strawberry.field(
        default=None,
        description="City (postort), at most 100 characters; an empty string removes it.",
    )


@strawberry.input(description="Salary details. Fields left out (null) are not changed.")
class EmployeeSalaryInput:
    personal_identity_number: str | None = strawberry.field(
        default=None,
        description="Personnummer (or samordningsnummer): 12 or 10 digits with or without the "
        "dash, e.g. 19850312-1231; stored as 12 digits, Luhn-checked.",
    )
    employment_start: datetime.date | None = strawberry.field(
        default=None, description="First day of employment."
    )
    employment_end: datetime.date | None = strawberry.field(
        default=None, description="Last day of employment, if it ends (not before the start)."
    )
    employment_form: EmploymentForm | None = strawberry.field(
        default=None, description="Form of employment: permanent, fixed-term, probation or on call."
    )
    employment_extent: Decimal | None = strawberry.field(
        default=None,
        description="Employment extent (sysselsättningsgrad) in percent of full time: above 0, at "
        "most 100, two decimals.",
    )
    salary_form: SalaryForm | None = strawberry.field(
        default=None,
        description="MONTHLY salary or HOURLY wage (decides what `salaryAmount` is per).",
    )
    salary_amount: Money | None = strawberry.field(
        default=None,
        description="Gross salary in SEK: per month (MONTHLY) or per hour (HOURLY); not negative.",
    )
    tax_table: int | None = strawberry.field(
        default=None, description="Skatteverket's tax table (skattetabell), 29-42."
    )
    tax_column: int | None = strawberry.field(
        default=None, description="The column of the tax table, 1-6."
    )
    bank_clearing_number: str | None = strawberry.field(
        default=None,
        description="The bank's clearing number: 4 or 5 digits (dashes and spaces are dropped).",
    )
    bank_account_number: str | None = strawberry.field(
        default=None,
        description="The bank account number without the clearing number: up to 15 digits.",
    )


@strawberry.input(description="A new employee: contact details required, salary details optional.")
class CreateEmployeeInput:
    employee_number: str = strawberry.field(
        description="The employee number (anställningsnummer): at most 20 characters, unique among "
        "the company's active employees."
    )
    first_name: str = strawberry.field(description="First name, at most 100 characters.")
    last_name: str = strawberry.field(description="Last name (surname), at most 100 characters.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(
        default=None, description="Phone number, e.g. 070-123 45 67."
    )
    street_address: str | None = strawberry.field(
        default=None, description="Street address, e.g. Storgatan 1; at most 200 characters."
    )
    postal_code: str | None = strawberry.field(
        default=None, description="Postnummer: five digits, with or without the space (411 05)."
    )
    city: str | None = strawberry.field(
        default=None, description="City (postort), at most 100 characters."
    )
    salary: EmployeeSalaryInput | None = strawberry.field(
        default=None,
        description="Salary and employment details, if known now (default: none; set them later "
        "with updateEmployeeSalary).",
    )


@strawberry.type(description="The employee the mutation created or changed.")
class EmployeePayload:
    employee: Employee = field(STRUCTURAL)


@strawberry.enum(description="What `employees` can be ordered by.")
class EmployeeOrderField(Enum):
    NAME = strawberry.enum_value(
        "NAME",
        description="Last name, then first name, as in Swedish (case aside; å, ä, ö after z).",
    )
    EMPLOYEE_NUMBER = strawberry.enum_value(
        "EMPLOYEE_NUMBER", description="Employee number, character by character."
    )
    EMPLOYMENT_START = strawberry.enum_value(
        "EMPLOYMENT_START",
        description="First day of employment; employees without one last. Needs read access "
        "to EMPLOYEE_SALARY on every employee listed.",
    )


@strawberry.input(description="An order for `employees`: a field and a direction.")
class EmployeeOrder:
    field: EmployeeOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
