"""Work schedules (SCHEDULES): administrators set an employee's hours per weekday; employees
read their own."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.schedules import Schedule
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.time import HOURS_PLACES, hours_problem
from gql_portal.errors import Problems
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx
from gql_portal.resolvers.loading import children
from gql_portal.resolvers.time import lock_employee, reachable_employee
from gql_portal.schema import schedules as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import EmployeeIdOrOwn

SCHEDULE_LOCK = 0x53434845  # "SCHE": see resolvers.time.lock_employee
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

SCHEDULES_READ = AreaRule(Area.SCHEDULES)
SCHEDULES_MANAGE = AreaRule(Area.SCHEDULES, Op.MANAGE)


# --- reading --------------------------------------------------------------------------------


async def schedule(info: Ctx, employee_id: EmployeeIdOrOwn = None) -> gql.Schedule | None:
    """An employee's schedule (by default the viewer's own); null when none is set."""
    ctx = info.context
    employee = await reachable_employee(ctx, employee_id)
    async with ctx.database.scoped(ctx.access) as session:
        row = await session.scalar(select(Schedule).where(Schedule.employee_id == employee.id))
    return gql.Schedule.from_row(row) if row else None


async def employee_schedule(ctx: RequestContext, employee_id: int) -> gql.Schedule | None:
    """Employee.schedule: one statement for every employee of the answer."""
    rows = await children(ctx, Schedule, Schedule.employee_id).load(employee_id)
    return gql.Schedule.from_row(rows[0]) if rows else None


# --- writing --------------------------------------------------------------------------------


async def set_schedule(
    info: Ctx,
    employee_id: Annotated[
        relay.GlobalID, strawberry.argument(description="Whose schedule (an `Employee` id).")
    ],
    input: Annotated[
        gql.ScheduleInput,
        strawberry.argument(description="The hours of all seven weekdays; a day left out is 0."),
    ],
) -> gql.SchedulePayload:
    """Set all seven days of an employee's schedule at once."""
    ctx = info.context
    employee = await reachable_employee(ctx, employee_id)
    problems = Problems()
    hours: dict[str, Decimal] = {}
    for day in WEEKDAYS:
        value = getattr(input, day)
        value = Decimal(0) if value is None else value
        problem = hours_problem(value, allow_zero=True)
        if problem:
            problems.add(day, *problem)
        else:
            hours[day] = value.quantize(HOURS_PLACES)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        await lock_employee(session, SCHEDULE_LOCK, employee.id)
        row = await session.scalar(select(Schedule).where(Schedule.employee_id == employee.id))
        if row is None:
            row = Schedule(company_id=employee.company_id, employee_id=employee.id)
            session.add(row)
        for day, value in hours.items():
            setattr(row, day, value)
        row.updated_at = ctx.clock.now()
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.SCHEDULE_SET,
            company_id=employee.company_id,
            employee_id=employee.id,
            hours={day: str(value) for day, value in hours.items()},
        )
    return gql.SchedulePayload(schedule=gql.Schedule.from_row(row))


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    schedule = field(
        SCHEDULES_READ,
        schedule,
        description="An employee's weekly schedule (by default the viewer's own); null when none "
        "is set.",
    )


@strawberry.type
class Mutations:
    set_schedule = mutation(
        SCHEDULES_MANAGE,
        set_schedule,
        description="Set an employee's hours for each weekday (0-24; a day left out is 0).",
    )
