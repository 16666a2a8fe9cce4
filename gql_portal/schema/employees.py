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
from gql_portal.schema.fields import field, resolver_field
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
        status: Annotated["ExpenseStatus", strawberry.lazy("gql_portal.schema.expenses")]
        | None = None,
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
    employee_number: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    city: str | None = None


@strawberry.input(description="Salary details. Fields left out (null) are not changed.")
class EmployeeSalaryInput:
    personal_identity_number: str | None = None
    employment_start: datetime.date | None = None
    employment_end: datetime.date | None = None
    employment_form: EmploymentForm | None = None
    employment_extent: Decimal | None = None
    salary_form: SalaryForm | None = None
    salary_amount: Money | None = None
    tax_table: int | None = None
    tax_column: int | None = None
    bank_clearing_number: str | None = None
    bank_account_number: str | None = None


@strawberry.input(description="A new employee: contact details required, salary details optional.")
class CreateEmployeeInput:
    employee_number: str
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    street_address: str | None = None
    postal_code: str | None = None
    city: str | None = None
    salary: EmployeeSalaryInput | None = None


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
