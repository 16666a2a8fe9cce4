"""Time reporting (TIME): time codes, time entries, and the admin's attestation of weeks.

An attested ISO week of an employee is locked: no entry dated in it can be reported, changed or
removed until the week is un-attested. Writes of one employee's time are serialised
(`lock_employee`: a transaction-scoped advisory lock on PostgreSQL; on SQLite the write
transaction's BEGIN IMMEDIATE already holds the database's write lock), so the day's 24-hour
limit and the week lock hold under concurrent requests too.
"""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as ClockTime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.employees import Employee
from gql_portal.db.engine import WRITE_OPTION
from gql_portal.db.projects import Activity, Project
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.time import (
    MAX_HOURS_PER_DAY,
    ClockCheck,
    check_clock_times,
    hours_problem,
    is_week_start,
    week_end,
)
from gql_portal.domain.time import week_start as monday_of
from gql_portal.domain.validation import clean_text
from gql_portal.errors import Problems, bad_input
from gql_portal.live import Topic, payroll_sources_changed, publish_change
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import (
    by_id,
    children,
    employee_filter,
    paginate,
    reachable_employees,
)
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import time as gql
from gql_portal.schema.employees import EMPLOYEE_TIME_ENTRIES_BOUND
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import EmployeeIdFilter
from gql_portal.schema.relay import After, Before, Connection, First, Last
from gql_portal.schema.time import attested_weeks_loader

# Namespaces of pg_advisory_xact_lock(namespace, employee id): one per kind of personal data.
TIME_LOCK = 0x54494D45  # "TIME"

FromArgument = Annotated[
    date | None, strawberry.argument(name="from", description="The first day (inclusive).")
]
ToArgument = Annotated[date | None, strawberry.argument(description="The last day (inclusive).")]


# --- shared with absence and schedules ------------------------------------------------------


async def lock_employee(session: AsyncSession, namespace: int, employee_id: int) -> None:
    """Serialise one employee's writes of one kind for the rest of the transaction.

    Checks such as "at most 24 hours a day", "the week is not attested" and "no overlapping
    absence" read before they write; the lock keeps a concurrent request from slipping in
    between. Call it before the transaction's first read.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :employee_id)"),
            {"namespace": namespace, "employee_id": employee_id},
        )
    elif dialect == "sqlite":
        # One writer at a time. A write session (Database.scoped with a write op, or
        # .transaction()) began with BEGIN IMMEDIATE and holds the write lock already; any
        # other transaction takes it now with a write that changes nothing, so the checks
        # read what the previous writer committed.
        connection = (await session.connection()).sync_connection
        if connection is None or not connection.get_execution_options().get(WRITE_OPTION):
            await session.execute(text("UPDATE employees SET id = id WHERE 0"))


async def reachable_employee(
    ctx: RequestContext, employee_id: relay.GlobalID | None, field: str = "employeeId"
) -> Employee:
    """The employee a personal write is about: the given one, or else the viewer's own.

    Out of the viewer's reach (another company's, or a colleague's for an employee) is
    NOT_FOUND, like an id that does not exist."""
    if employee_id is None:
        if ctx.access.employee_id is None:
            raise bad_input(field, "REQUIRED", "you have no employee record: say whose it is")
        employee_id = relay.GlobalID("Employee", str(ctx.access.employee_id))
    (row,) = await reachable_employees(ctx, [employee_id], field)
    return row


def check_range(start: date | None, end: date | None, *, end_field: str = "to") -> None:
    if start is not None and end is not None and end < start:
        raise bad_input(end_field, "BEFORE_START", "must not be before the first day")


# --- reading --------------------------------------------------------------------------------


async def time_codes(
    info: Ctx,
    include_inactive: Annotated[
        bool,
        strawberry.argument(
            description="True: the deactivated codes too (default false: only those time "
            "can be reported with)."
        ),
    ] = False,
) -> list[gql.TimeCode]:
    """The company's time codes, by code."""
    statement = select(TimeCode).order_by(TimeCode.code, TimeCode.id)
    if not include_inactive:
        statement = statement.where(TimeCode.active.is_(True))
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        rows = (await session.scalars(statement)).all()
    return [gql.TimeCode.from_row(row) for row in rows]


TIME_ENTRIES_BY_DATE = default_order([TimeEntry.date, TimeEntry.id])
TIME_ENTRY_ORDERS = {
    gql.TimeEntryOrderField.DATE: OrderChoice([SortKey(TimeEntry.date)]),
    gql.TimeEntryOrderField.HOURS: OrderChoice([SortKey(TimeEntry.hours)]),
}


async def time_entries(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    employee_id: EmployeeIdFilter = None,
    from_: FromArgument = None,
    to: ToArgument = None,
    order_by: Annotated[
        gql.TimeEntryOrder | None,
        strawberry.argument(description="The order (default: by date, then id)."),
    ] = None,
) -> Connection[gql.TimeEntry]:
    """Reported time by date; an employee sees only their own."""
    check_range(from_, to)
    ctx = info.context
    statement = select(TimeEntry).where(
        *await employee_filter(ctx, TimeEntry.employee_id, employee_id)
    )
    if from_ is not None:
        statement = statement.where(TimeEntry.date >= from_)
    if to is not None:
        statement = statement.where(TimeEntry.date <= to)
    order = chosen_order(
        ctx, order_by, TIME_ENTRY_ORDERS, TimeEntry.id, TIME_ENTRIES_BY_DATE, listed=Area.TIME
    )
    return await paginate(
        ctx,
        statement,
        order,
        gql.TimeEntry.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def attested_weeks(
    info: Ctx,
    employee_id: EmployeeIdFilter = None,
    from_: FromArgument = None,
    to: ToArgument = None,
) -> list[gql.WeekAttestation]:
    """Attested weeks that touch the range, by week and employee."""
    check_range(from_, to)
    ctx = info.context
    statement = select(WeekAttestation).where(
        *await employee_filter(ctx, WeekAttestation.employee_id, employee_id)
    )
    if from_ is not None:
        statement = statement.where(WeekAttestation.week_start >= monday_of(from_))
    if to is not None:
        statement = statement.where(WeekAttestation.week_start <= to)
    statement = statement.order_by(
        WeekAttestation.week_start, WeekAttestation.employee_id, WeekAttestation.id
    )
    async with ctx.database.scoped(ctx.access) as session:
        rows = (await session.scalars(statement)).all()
    return [gql.WeekAttestation.from_row(row) for row in rows]


async def employee_time_entries(
    ctx: RequestContext, employee_id: int, start: date | None, end: date | None
) -> list[gql.TimeEntry]:
    """Employee.timeEntries: one statement for every employee of the answer."""
    check_range(start, end)
    where = []
    if start is not None:
        where.append(TimeEntry.date >= start)
    if end is not None:
        where.append(TimeEntry.date <= end)
    loader = children(
        ctx,
        TimeEntry,
        TimeEntry.employee_id,
        order_by=[TimeEntry.date],
        where=where,
        variant=("dates", start, end),
        limit=EMPLOYEE_TIME_ENTRIES_BOUND,
    )
    return [gql.TimeEntry.from_row(row) for row in await loader.load(employee_id)]


async def time_entry_by_id(ctx: RequestContext, entry_id: int) -> gql.TimeEntry | None:
    row = await by_id(ctx, TimeEntry).load(entry_id)
    return gql.TimeEntry.from_row(row) if row else None


async def time_code_by_id(ctx: RequestContext, code_id: int) -> gql.TimeCode | None:
    row = await by_id(ctx, TimeCode).load(code_id)
    return gql.TimeCode.from_row(row) if row else None


# --- validation -----------------------------------------------------------------------------


def _check_hours(problems: Problems, hours: Decimal) -> Decimal | None:
    """The hours to store, or None (and a problem) when they cannot be a day's."""
    problem = hours_problem(hours)
    if problem:
        problems.add("hours", *problem)
        return None
    return hours.quantize(Decimal("0.01"))


def _check_clock(
    problems: Problems,
    day: date,
    start: ClockTime | None,
    end: ClockTime | None,
    break_minutes: int | None,
    hours: Decimal | None,
) -> ClockCheck:
    """Clock times and the hours beside them (domain.time.check_clock_times), problems noted."""
    clock = check_clock_times(day, start, end, break_minutes, hours)
    for problem in clock.problems:
        problems.add(problem.field, problem.reason, problem.message)
    return clock


def _reported_hours(
    problems: Problems, input: gql.ReportTimeInput
) -> tuple[ClockCheck, Decimal | None]:
    """A new entry's clock times and hours: the hours given, or computed from clock times."""
    clock = _check_clock(
        problems, input.date, input.start_time, input.end_time, input.break_minutes, input.hours
    )
    if clock.hours is None:
        if input.start_time is None and input.end_time is None:
            problems.add("hours", "REQUIRED", "give the hours, or the start and end times")
        return clock, None
    return clock, _check_hours(problems, clock.hours)


def _clock_changes(
    problems: Problems, entry: TimeEntry, input: gql.UpdateTimeEntryInput, day: date
) -> dict[str, Any]:
    """An update's clock times merged onto the entry's, and the hours they make (computed
    again unless given). Removing both times removes the break too, unless one is given."""
    start = entry.start_time if input.start_time is strawberry.UNSET else input.start_time
    end = entry.end_time if input.end_time is strawberry.UNSET else input.end_time
    breaks = entry.break_minutes if input.break_minutes is strawberry.UNSET else input.break_minutes
    if start is None and end is None and input.break_minutes is strawberry.UNSET:
        breaks = None
    if (start, end, breaks) == (None, None, None):
        return {"start_time": None, "end_time": None, "break_minutes": None}
    clock = _check_clock(problems, day, start, end, breaks, input.hours)
    if clock.problems:
        return {}
    return {
        "start_time": clock.start,
        "end_time": clock.end,
        "break_minutes": clock.break_minutes,
        "hours": clock.hours,
    }


def _check_comment(problems: Problems, comment: str | None) -> str | None:
    if comment is None:
        return None
    return clean_text(problems, "comment", comment, max_length=500, required=False) or None


async def _check_time_code(ctx: RequestContext, problems: Problems, code_id: relay.GlobalID) -> int:
    key = node_id(code_id, "TimeCode", "timeCodeId")
    row = await by_id(ctx, TimeCode).load(key)
    if row is None:
        problems.add("timeCodeId", "NOT_FOUND", "no such time code")
    elif not row.active:
        problems.add("timeCodeId", "INACTIVE", "the time code is no longer in use")
    return key


async def _check_project(
    ctx: RequestContext, problems: Problems, project_id: relay.GlobalID | None
) -> int | None:
    """A project the viewer reaches (an employee: one they are assigned to) and still active."""
    if project_id is None:
        return None
    key = node_id(project_id, "Project", "projectId")
    row = await by_id(ctx, Project).load(key)
    if row is None:
        problems.add("projectId", "NOT_FOUND", "no such project")
    elif not row.active:
        problems.add("projectId", "INACTIVE", "the project is closed")
    return key


async def _check_activity(
    ctx: RequestContext,
    problems: Problems,
    activity_id: relay.GlobalID | None,
    project_id: int | None,
) -> int | None:
    if activity_id is None:
        return None
    key = node_id(activity_id, "Activity", "activityId")
    row = await by_id(ctx, Activity).load(key)
    if row is None:
        problems.add("activityId", "NOT_FOUND", "no such activity")
    elif project_id is None:
        problems.add("activityId", "PROJECT_REQUIRED", "an activity needs its project")
    elif row.project_id != project_id:
        problems.add("activityId", "NOT_IN_PROJECT", "the activity belongs to another project")
    elif not row.active:
        problems.add("activityId", "INACTIVE", "the activity is closed")
    return key


async def week_is_attested(session: AsyncSession, employee_id: int, day: date) -> bool:
    statement = select(WeekAttestation.id).where(
        WeekAttestation.employee_id == employee_id,
        WeekAttestation.week_start == monday_of(day),
    )
    return (await session.scalar(statement)) is not None


async def _check_week_open(
    session: AsyncSession, problems: Problems, employee_id: int, day: date, field: str
) -> None:
    if await week_is_attested(session, employee_id, day):
        problems.add(
            field,
            "WEEK_ATTESTED",
            f"week {day.isocalendar().week} is attested: un-attest it before changing its time",
        )


async def _check_day_total(
    session: AsyncSession,
    problems: Problems,
    employee_id: int,
    day: date,
    hours: Decimal,
    exclude: int | None,
) -> None:
    statement = select(func.sum(TimeEntry.hours)).where(
        TimeEntry.employee_id == employee_id, TimeEntry.date == day
    )
    if exclude is not None:
        statement = statement.where(TimeEntry.id != exclude)
    reported = await session.scalar(statement) or Decimal(0)
    if reported + hours > MAX_HOURS_PER_DAY:
        problems.add(
            "hours",
            "DAY_OVER_24_HOURS",
            f"{reported} hours are already reported on {day.isoformat()}: a day has 24",
        )


async def _check_day(
    session: AsyncSession,
    problems: Problems,
    employee_id: int,
    day: date,
    hours: Decimal | None,
    exclude: int | None,
    field: str,
) -> None:
    """The week of `day` is not attested and, with `hours`, the day stays within 24 hours:
    both read in one statement (each part within the session's row scope)."""
    attested = (
        select(WeekAttestation.id)
        .where(
            WeekAttestation.employee_id == employee_id,
            WeekAttestation.week_start == monday_of(day),
        )
        .limit(1)
        .scalar_subquery()
    )
    reported = select(func.sum(TimeEntry.hours)).where(
        TimeEntry.employee_id == employee_id, TimeEntry.date == day
    )
    if exclude is not None:
        reported = reported.where(TimeEntry.id != exclude)
    row = (await session.execute(select(attested, reported.scalar_subquery()))).one()
    if row[0] is not None:
        problems.add(
            field,
            "WEEK_ATTESTED",
            f"week {day.isocalendar().week} is attested: un-attest it before changing its time",
        )
    already = row[1] or Decimal(0)
    if hours is not None and already + hours > MAX_HOURS_PER_DAY:
        problems.add(
            "hours",
            "DAY_OVER_24_HOURS",
            f"{already} hours are already reported on {day.isoformat()}: a day has 24",
        )


def _ensure_in_scope(ctx: RequestContext, entry: TimeEntry) -> None:
    """A new row must be one the viewer's write scope reaches (the scope filters no INSERT):
    decided as the scope's SQL decides it (its company in the scope; with own reach, the
    viewer's own employee's), without reading the row back."""
    if not ctx.access.admits(TimeEntry.__area__, Op.WRITE, entry.company_id, entry.employee_id):
        raise not_found("Employee", "employeeId")


def _clock_given(input: gql.UpdateTimeEntryInput) -> bool:
    return any(
        value is not strawberry.UNSET
        for value in (input.start_time, input.end_time, input.break_minutes)
    )


def _audit_values(entry: TimeEntry) -> dict[str, Any]:
    values: dict[str, Any] = {
        "employee_id": entry.employee_id,
        "time_entry_id": entry.id,
        "date": entry.date.isoformat(),
        "hours": str(entry.hours),
        "time_code_id": entry.time_code_id,
        "project_id": entry.project_id,
    }
    if entry.start_time is not None and entry.end_time is not None:
        values["clock"] = f"{entry.start_time:%H:%M}-{entry.end_time:%H:%M}"
        values["break_minutes"] = entry.break_minutes
    return values


# --- writing --------------------------------------------------------------------------------


async def report_time(
    info: Ctx,
    input: Annotated[
        gql.ReportTimeInput,
        strawberry.argument(
            description="The day, the hours (or clock times), the time code and optionally "
            "project, activity and comment."
        ),
    ],
) -> gql.TimeEntryPayload:
    ctx = info.context
    employee = await reachable_employee(ctx, input.employee_id)
    problems = Problems()
    clock, hours = _reported_hours(problems, input)
    comment = _check_comment(problems, input.comment)
    time_code_id = await _check_time_code(ctx, problems, input.time_code_id)
    project_id = await _check_project(ctx, problems, input.project_id)
    activity_id = await _check_activity(ctx, problems, input.activity_id, project_id)
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        await lock_employee(session, TIME_LOCK, employee.id)
        await _check_day(session, problems, employee.id, input.date, hours, None, "date")
        problems.raise_if_any()
        assert hours is not None
        entry = TimeEntry(
            company_id=employee.company_id,
            employee_id=employee.id,
            date=input.date,
            hours=hours,
            start_time=clock.start,
            end_time=clock.end,
            break_minutes=clock.break_minutes,
            time_code_id=time_code_id,
            project_id=project_id,
            activity_id=activity_id,
            comment=comment,
            created_at=now,
            updated_at=now,
        )
        _ensure_in_scope(ctx, entry)
        session.add(entry)
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.TIME_REPORTED,
            company_id=entry.company_id,
            **_audit_values(entry),
        )
        publish_change(session, ctx.runtime.bus, Topic.TIME, entry.company_id, entry.employee_id)
    # Checked in the transaction: the entry's week is not attested (no read for `attested`).
    attested_weeks_loader(info).prime((entry.employee_id, monday_of(entry.date)), False)
    return gql.TimeEntryPayload(time_entry=gql.TimeEntry.from_row(entry))


async def owner_of(session: AsyncSession, model: Any, row_id: int, type_name: str) -> int:
    """The employee a personal row in the (write-scoped) session belongs to (to lock on).

    Read in the caller's own transaction: a second write session would wait for the first."""
    employee_id = await session.scalar(select(model.employee_id).where(model.id == row_id))
    if employee_id is None:
        raise not_found(type_name)
    return int(employee_id)


async def _locked_entry(ctx: RequestContext, session: AsyncSession, entry_id: int) -> TimeEntry:
    """The entry in the viewer's write scope, read once its employee's lock is held."""
    await lock_employee(
        session, TIME_LOCK, await owner_of(session, TimeEntry, entry_id, "TimeEntry")
    )
    entry = await session.scalar(select(TimeEntry).where(TimeEntry.id == entry_id))
    if entry is None:
        raise not_found("TimeEntry")
    return entry


async def _reference_changes(
    ctx: RequestContext,
    problems: Problems,
    entry: TimeEntry,
    input: gql.UpdateTimeEntryInput,
) -> dict[str, Any]:
    """The entry's time code, project and activity as `input` changes them, each checked; the
    activity must belong to the entry's project, old or new."""
    changes: dict[str, Any] = {}
    if input.time_code_id is not None:
        code_id = node_id(input.time_code_id, "TimeCode", "timeCodeId")
        if code_id != entry.time_code_id:
            changes["time_code_id"] = await _check_time_code(ctx, problems, input.time_code_id)
    project_id = entry.project_id
    if input.project_id is not strawberry.UNSET:
        new_project = (
            node_id(input.project_id, "Project", "projectId") if input.project_id else None
        )
        if new_project != entry.project_id:
            project_id = await _check_project(ctx, problems, input.project_id)
            changes["project_id"] = project_id
    if input.activity_id is not strawberry.UNSET:
        new_activity = (
            node_id(input.activity_id, "Activity", "activityId") if input.activity_id else None
        )
        if new_activity != entry.activity_id or "project_id" in changes:
            changes["activity_id"] = await _check_activity(
                ctx, problems, input.activity_id, project_id
            )
    elif "project_id" in changes and entry.activity_id is not None:
        problems.add(
            "activityId",
            "NOT_IN_PROJECT",
            "the entry's activity belongs to its old project: give one of the new project "
            "(or null)",
        )
    return changes


async def update_time_entry(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The time entry to change (a `TimeEntry` id), not in an attested week."
        ),
    ],
    input: Annotated[
        gql.UpdateTimeEntryInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
) -> gql.TimeEntryPayload:
    ctx = info.context
    entry_id = node_id(id, "TimeEntry")
    problems = Problems()
    changes: dict[str, Any] = {}
    hours_valid = True
    if input.hours is not None:
        changes["hours"] = _check_hours(problems, input.hours)
        hours_valid = changes["hours"] is not None
    if input.date is not None:
        changes["date"] = input.date
    if input.comment is not strawberry.UNSET:
        changes["comment"] = _check_comment(problems, input.comment)
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        entry = await _locked_entry(ctx, session, entry_id)
        await _check_week_open(session, problems, entry.employee_id, entry.date, "date")
        changes.update(await _reference_changes(ctx, problems, entry, input))
        day = changes.get("date", entry.date)
        if _clock_given(input) or entry.start_time is not None:
            changes.update(_clock_changes(problems, entry, input, day))
        hours = changes.get("hours", entry.hours) if hours_valid else None
        if day != entry.date:  # the new day's week and total, in one statement
            await _check_day(session, problems, entry.employee_id, day, hours, entry.id, "date")
        elif hours is not None:
            await _check_day_total(session, problems, entry.employee_id, day, hours, entry.id)
        problems.raise_if_any()
        before = {name: getattr(entry, name) for name in changes}
        for name, value in changes.items():
            setattr(entry, name, value)
        entry.updated_at = ctx.clock.now()
        audit(
            session,
            ctx,
            AuditAction.TIME_ENTRY_UPDATED,
            company_id=entry.company_id,
            fields=sorted(name for name in changes if before[name] != changes[name]),
            **_audit_values(entry),
        )
        publish_change(session, ctx.runtime.bus, Topic.TIME, entry.company_id, entry.employee_id)
    # Checked in the transaction: the entry's week is not attested (no read for `attested`).
    attested_weeks_loader(info).prime((entry.employee_id, monday_of(entry.date)), False)
    return gql.TimeEntryPayload(time_entry=gql.TimeEntry.from_row(entry))


async def delete_time_entry(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The time entry to remove (a `TimeEntry` id), not in an attested week."
        ),
    ],
) -> gql.DeleteTimeEntryPayload:
    ctx = info.context
    entry_id = node_id(id, "TimeEntry")
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        entry = await _locked_entry(ctx, session, entry_id)
        problems = Problems()
        await _check_week_open(session, problems, entry.employee_id, entry.date, "id")
        problems.raise_if_any()
        audit(
            session,
            ctx,
            AuditAction.TIME_ENTRY_DELETED,
            company_id=entry.company_id,
            **_audit_values(entry),
        )
        publish_change(session, ctx.runtime.bus, Topic.TIME, entry.company_id, entry.employee_id)
        await session.delete(entry)
    return gql.DeleteTimeEntryPayload(deleted_id=relay.GlobalID("TimeEntry", str(entry_id)))


def _days_of(monday: date) -> list[date]:
    return [monday + timedelta(days=offset) for offset in range(7)]


def _monday(problems: Problems, day: date) -> date:
    if not is_week_start(day):
        problems.add("weekStart", "NOT_A_MONDAY", "a week starts on a Monday")
    return day


async def attest_week(
    info: Ctx,
    employee_id: Annotated[
        relay.GlobalID, strawberry.argument(description="Whose week (an `Employee` id).")
    ],
    week_start: Annotated[
        date, strawberry.argument(description="The Monday the ISO week starts on, YYYY-MM-DD.")
    ],
) -> gql.WeekAttestationPayload:
    """Attest one employee's ISO week: its time is locked. Attesting again changes nothing."""
    ctx = info.context
    problems = Problems()
    monday = _monday(problems, week_start)
    problems.raise_if_any()
    employee = await reachable_employee(ctx, employee_id)
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        await lock_employee(session, TIME_LOCK, employee.id)
        attestation = await session.scalar(
            select(WeekAttestation).where(
                WeekAttestation.employee_id == employee.id, WeekAttestation.week_start == monday
            )
        )
        if attestation is None:
            attestation = WeekAttestation(
                company_id=employee.company_id,
                employee_id=employee.id,
                week_start=monday,
                attested_at=ctx.clock.now(),
                attested_by_user_id=ctx.access.user_id,
            )
            session.add(attestation)
            await session.flush()
            hours = await session.scalar(
                select(func.sum(TimeEntry.hours)).where(
                    TimeEntry.employee_id == employee.id,
                    TimeEntry.date >= monday,
                    TimeEntry.date <= week_end(monday),
                )
            )
            audit(
                session,
                ctx,
                AuditAction.WEEK_ATTESTED,
                company_id=employee.company_id,
                employee_id=employee.id,
                week_start=monday.isoformat(),
                hours=str(hours or Decimal("0.00")),
            )
            publish_change(session, ctx.runtime.bus, Topic.TIME, employee.company_id, employee.id)
            # Only attested time counts in the basis: a LOCKED period with this week has a
            # late difference now.
            payroll_sources_changed(session, ctx.runtime.bus, employee.company_id, _days_of(monday))
    return gql.WeekAttestationPayload(
        week_start=monday, attestation=gql.WeekAttestation.from_row(attestation)
    )


async def unattest_week(
    info: Ctx,
    employee_id: Annotated[
        relay.GlobalID, strawberry.argument(description="Whose week (an `Employee` id).")
    ],
    week_start: Annotated[
        date, strawberry.argument(description="The Monday the ISO week starts on, YYYY-MM-DD.")
    ],
) -> gql.WeekAttestationPayload:
    """Open an attested week again for changes. A week that is not attested stays so."""
    ctx = info.context
    problems = Problems()
    monday = _monday(problems, week_start)
    problems.raise_if_any()
    employee = await reachable_employee(ctx, employee_id)
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        await lock_employee(session, TIME_LOCK, employee.id)
        attestation = await session.scalar(
            select(WeekAttestation).where(
                WeekAttestation.employee_id == employee.id, WeekAttestation.week_start == monday
            )
        )
        if attestation is not None:
            audit(
                session,
                ctx,
                AuditAction.WEEK_UNATTESTED,
                company_id=employee.company_id,
                employee_id=employee.id,
                week_start=monday.isoformat(),
                attested_at=attestation.attested_at.isoformat(),
            )
            await session.delete(attestation)
            publish_change(session, ctx.runtime.bus, Topic.TIME, employee.company_id, employee.id)
            # Only attested time counts in the basis: a LOCKED period with this week has a
            # late difference now.
            payroll_sources_changed(session, ctx.runtime.bus, employee.company_id, _days_of(monday))
    return gql.WeekAttestationPayload(week_start=monday, attestation=None)


# --- the domain's root fields ---------------------------------------------------------------

TIME_READ = AreaRule(Area.TIME)
TIME_WRITE = AreaRule(Area.TIME, Op.WRITE)
TIME_MANAGE = AreaRule(Area.TIME, Op.MANAGE)


@strawberry.type
class Queries:
    time_codes = field(
        TIME_READ,
        time_codes,
        description="The company's time codes, by code; `includeInactive` lists retired ones.",
        bound=200,
    )
    time_entries = field(
        TIME_READ,
        time_entries,
        description="Reported time by date, optionally of one employee and within `from`-`to`.",
    )
    attested_weeks = field(
        TIME_READ,
        attested_weeks,
        description="Attested weeks (locked time) that touch `from`-`to`, by week.",
        bound=1000,
    )


@strawberry.type
class Mutations:
    report_time = mutation(
        TIME_WRITE,
        report_time,
        description="Report hours of one day; employees report their own. Not in an attested "
        "week, at most 24 hours a day.",
    )
    update_time_entry = mutation(
        TIME_WRITE,
        update_time_entry,
        description="Change a time entry (not in an attested week).",
    )
    delete_time_entry = mutation(
        TIME_WRITE,
        delete_time_entry,
        description="Remove a time entry (not in an attested week).",
    )
    attest_week = mutation(
        TIME_MANAGE,
        attest_week,
        description="Attest an employee's ISO week (weekStart: its Monday); its time is locked. "
        "Idempotent.",
    )
    unattest_week = mutation(
        TIME_MANAGE,
        unattest_week,
        description="Take back a week's attestation, so its time can be changed again.",
    )
