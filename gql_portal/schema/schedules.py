"""GraphQL types of work schedules (SCHEDULES): hours per weekday."""

from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql_portal.db import schedules as db
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx
from gql_portal.schema.fields import field, resolver_field
from gql_portal.schema.time import load_employee

if TYPE_CHECKING:
    from gql_portal.schema.employees import Employee

SCHEDULES = AreaRule(Area.SCHEDULES)
CONTACT = AreaRule(Area.EMPLOYEE_CONTACT)
STRUCTURAL = Structural()


@strawberry.type(description="An employee's weekly work schedule: hours per weekday.")
class Schedule:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    monday: Decimal = field(SCHEDULES)
    tuesday: Decimal = field(SCHEDULES)
    wednesday: Decimal = field(SCHEDULES)
    thursday: Decimal = field(SCHEDULES)
    friday: Decimal = field(SCHEDULES)
    saturday: Decimal = field(SCHEDULES)
    sunday: Decimal = field(SCHEDULES)
    weekly_hours: Decimal = field(SCHEDULES, description="The sum of the seven days.")

    @resolver_field(CONTACT, description="Whose schedule this is.")
    async def employee(
        self, info: Ctx
    ) -> Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")] | None:
        return await load_employee(info, self.owner_employee_id)

    @classmethod
    def from_row(cls, row: db.Schedule) -> "Schedule":
        days = [row.hours_on(weekday) for weekday in range(7)]
        return cls(
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            monday=days[0],
            tuesday=days[1],
            wednesday=days[2],
            thursday=days[3],
            friday=days[4],
            saturday=days[5],
            sunday=days[6],
            weekly_hours=sum(days, Decimal("0.00")),
        )


@strawberry.input(
    description="Hours per weekday, each 0-24 with two decimals; a day left out (null) is 0."
)
class ScheduleInput:
    monday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Mondays, 0-24 (default 0)."
    )
    tuesday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Tuesdays, 0-24 (default 0)."
    )
    wednesday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Wednesdays, 0-24 (default 0)."
    )
    thursday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Thursdays, 0-24 (default 0)."
    )
    friday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Fridays, 0-24 (default 0)."
    )
    saturday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Saturdays, 0-24 (default 0)."
    )
    sunday: Decimal | None = strawberry.field(
        default=None, description="Hours scheduled on Sundays, 0-24 (default 0)."
    )


@strawberry.type(description="The employee's work schedule after the change.")
class SchedulePayload:
    schedule: Schedule = field(STRUCTURAL)
