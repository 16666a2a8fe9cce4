"""Absence and leave (ABSENCE): employees request, administrators approve, reject or register.

An employee's REQUESTED and APPROVED absences never overlap. The owner may cancel an absence
while it is REQUESTED; an administrator may cancel any (the audit log keeps what it was).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.absence import Absence
from gql_portal.db.functions import in_byte_order
from gql_portal.domain.absence import (
    BLOCKING_STATUSES,
    EXTENT_PLACES,
    AbsenceStatus,
    extent_problem,
    longer_than_a_year,
)
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.validation import clean_text
from gql_portal.errors import AppError, Code, Problems, bad_input
from gql_portal.live import payroll_sources_changed
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import by_id, children, employee_filter, paginate
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.resolvers.time import (
    FromArgument,
    ToArgument,
    check_range,
    lock_employee,
    owner_of,
    reachable_employee,
)
from gql_portal.schema import absence as gql
from gql_portal.schema.employees import EMPLOYEE_ABSENCES_BOUND
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import EmployeeIdFilter
from gql_portal.schema.relay import After, Before, Connection, First, Last

ABSENCE_LOCK = 0x41425345  # "ABSE": see resolvers.time.lock_employee

ABSENCE_READ = AreaRule(Area.ABSENCE)
ABSENCE_WRITE = AreaRule(Area.ABSENCE, Op.WRITE)
ABSENCE_MANAGE = AreaRule(Area.ABSENCE, Op.MANAGE)


# --- reading --------------------------------------------------------------------------------


def _overlapping(start: date | None, end: date | None) -> list[Any]:
    """Absences that share at least one day with `start`-`end` (either end open)."""
    where = []
    if start is not None:
        where.append(Absence.end_date >= start)
    if end is not None:
        where.append(Absence.start_date <= end)
    return where


ABSENCES_BY_START = default_order([Absence.start_date, Absence.id])
ABSENCE_ORDERS = {
    gql.AbsenceOrderField.START_DATE: OrderChoice([SortKey(Absence.start_date)]),
    gql.AbsenceOrderField.END_DATE: OrderChoice([SortKey(Absence.end_date)]),
    gql.AbsenceOrderField.KIND: OrderChoice([SortKey(Absence.kind, in_byte_order)]),
}


async def absences(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    employee_id: EmployeeIdFilter = None,
    status: Annotated[
        AbsenceStatus | None,
        strawberry.argument(description="Only absences in this state (default: all)."),
    ] = None,
    from_: FromArgument = None,
    to: ToArgument = None,
    order_by: Annotated[
        gql.AbsenceOrder | None,
        strawberry.argument(description="The order (default: by first day, then id)."),
    ] = None,
) -> Connection[gql.Absence]:
    """Absences by first day; those touching `from`-`to`; an employee sees only their own."""
    check_range(from_, to)
    ctx = info.context
    statement = select(Absence).where(
        *await employee_filter(ctx, Absence.employee_id, employee_id), *_overlapping(from_, to)
    )
    if status is not None:
        statement = statement.where(Absence.status == status)
    order = chosen_order(
        ctx, order_by, ABSENCE_ORDERS, Absence.id, ABSENCES_BY_START, listed=Area.ABSENCE
    )
    return await paginate(
        ctx,
        statement,
        order,
        gql.Absence.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def employee_absences(
    ctx: RequestContext, employee_id: int, start: date | None, end: date | None
) -> list[gql.Absence]:
    """Employee.absences: one statement for every employee of the answer."""
    check_range(start, end)
    loader = children(
        ctx,
        Absence,
        Absence.employee_id,
        order_by=[Absence.start_date],
        where=_overlapping(start, end),
        variant=("dates", start, end),
        limit=EMPLOYEE_ABSENCES_BOUND,
    )
    return [gql.Absence.from_row(row) for row in await loader.load(employee_id)]


async def absence_by_id(ctx: RequestContext, absence_id: int) -> gql.Absence | None:
    row = await by_id(ctx, Absence).load(absence_id)
    return gql.Absence.from_row(row) if row else None


# --- writing --------------------------------------------------------------------------------


def _audit_values(absence: Absence) -> dict[str, Any]:
    return {
        "employee_id": absence.employee_id,
        "absence_id": absence.id,
        "kind": absence.kind.value,
        "start_date": absence.start_date.isoformat(),
        "end_date": absence.end_date.isoformat(),
        "extent_percent": str(absence.extent_percent),
        "status": absence.status.value,
    }


def _basis_changed(ctx: RequestContext, session: AsyncSession, absence: Absence) -> None:
    """An APPROVED absence came or went: the payroll basis counts approved absence, so a
    LOCKED period holding one of its days has a late difference (told once committed; no
    statement)."""
    days = (absence.end_date - absence.start_date).days + 1
    payroll_sources_changed(
        session,
        ctx.runtime.bus,
        absence.company_id,
        (absence.start_date + timedelta(days=n) for n in range(days)),
    )


def _checked_request(input: gql.RequestAbsenceInput, problems: Problems) -> tuple[bool, str | None]:
    """Whether the request's dates are valid (then its overlaps can be looked for), and its
    cleaned comment; the problems of its fields are added."""
    dates_valid = False
    if input.end_date < input.start_date:
        problems.add("endDate", "BEFORE_START", "must not be before the first day")
    elif longer_than_a_year(input.start_date, input.end_date):
        problems.add("endDate", "TOO_LONG", "one absence covers at most a year: split it")
    else:
        dates_valid = True
    problem = extent_problem(input.extent_percent)
    if problem:
        problems.add("extentPercent", *problem)
    comment = None
    if input.comment is not None:
        comment = clean_text(problems, "comment", input.comment, max_length=500, required=False)
    return dates_valid, comment


async def _check_no_overlap(
    session: AsyncSession, employee_id: int, input: gql.RequestAbsenceInput, problems: Problems
) -> None:
    """A problem when the employee's requested or approved absences overlap the dates (the
    employee is locked: no other request can slip in between)."""
    other = await session.scalar(
        select(Absence)
        .where(
            Absence.employee_id == employee_id,
            Absence.status.in_(BLOCKING_STATUSES),
            *_overlapping(input.start_date, input.end_date),
        )
        .order_by(Absence.start_date, Absence.id)
        .limit(1)
    )
    if other is not None:
        problems.add(
            "startDate",
            "OVERLAPS",
            f"overlaps a {other.status.value.lower()} {other.kind.value.lower()} absence "
            f"{other.start_date.isoformat()} to {other.end_date.isoformat()}",
        )


async def request_absence(
    info: Ctx,
    input: Annotated[
        gql.RequestAbsenceInput,
        strawberry.argument(
            description="The kind, the days and the extent; an administrator may register "
            "it approved."
        ),
    ],
) -> gql.AbsencePayload:
    ctx = info.context
    if input.approved and not ctx.access.reaches_any(Area.ABSENCE, Op.MANAGE):
        raise AppError(
            Code.FORBIDDEN,
            "Only an administrator registers an absence as approved.",
            area=Area.ABSENCE.value,
            field="approved",
        )
    employee = await reachable_employee(ctx, input.employee_id)
    problems = Problems()
    dates_valid, comment = _checked_request(input, problems)
    now = ctx.clock.now()
    async with ctx.database.scoped(
        ctx.access, Op.MANAGE if input.approved else Op.WRITE
    ) as session:
        await lock_employee(session, ABSENCE_LOCK, employee.id)
        if dates_valid:
            await _check_no_overlap(session, employee.id, input, problems)
        problems.raise_if_any()
        absence = Absence(
            company_id=employee.company_id,
            employee_id=employee.id,
            kind=input.kind,
            start_date=input.start_date,
            end_date=input.end_date,
            extent_percent=input.extent_percent.quantize(EXTENT_PLACES),
            status=AbsenceStatus.APPROVED if input.approved else AbsenceStatus.REQUESTED,
            comment=comment or None,
            decided_by_user_id=ctx.access.user_id if input.approved else None,
            decided_at=now if input.approved else None,
            created_at=now,
        )
        session.add(absence)
        await session.flush()
        if await session.scalar(select(Absence.id).where(Absence.id == absence.id)) is None:
            raise not_found("Employee", "employeeId")  # the scope filters no INSERT
        action = AuditAction.ABSENCE_REGISTERED if input.approved else AuditAction.ABSENCE_REQUESTED
        audit(session, ctx, action, company_id=absence.company_id, **_audit_values(absence))
        if input.approved:
            _basis_changed(ctx, session, absence)
    return gql.AbsencePayload(absence=gql.Absence.from_row(absence))


async def _locked_absence(ctx: RequestContext, session: AsyncSession, absence_id: int) -> Absence:
    """The absence in the viewer's scope, read once its employee's lock is held."""
    await lock_employee(
        session, ABSENCE_LOCK, await owner_of(session, Absence, absence_id, "Absence")
    )
    absence = await session.scalar(select(Absence).where(Absence.id == absence_id))
    if absence is None:
        raise not_found("Absence")
    return absence


async def _decide(
    ctx: RequestContext,
    id: relay.GlobalID,
    status: AbsenceStatus,
    reason: str | None = None,
) -> gql.AbsencePayload:
    absence_id = node_id(id, "Absence")
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        absence = await _locked_absence(ctx, session, absence_id)
        if absence.status is not status:  # deciding the same way again changes nothing
            if absence.status is not AbsenceStatus.REQUESTED:
                raise bad_input(
                    "id", "ALREADY_DECIDED", f"the absence is {absence.status.value.lower()}"
                )
            absence.status = status
            absence.decided_by_user_id = ctx.access.user_id
            absence.decided_at = ctx.clock.now()
            absence.rejection_reason = reason
            action = (
                AuditAction.ABSENCE_APPROVED
                if status is AbsenceStatus.APPROVED
                else AuditAction.ABSENCE_REJECTED
            )
            details = _audit_values(absence)
            if reason is not None:
                details["reason"] = reason
            audit(session, ctx, action, company_id=absence.company_id, **details)
            if status is AbsenceStatus.APPROVED:
                _basis_changed(ctx, session, absence)
    return gql.AbsencePayload(absence=gql.Absence.from_row(absence))


async def approve_absence(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The REQUESTED absence to approve (an `Absence` id)."),
    ],
) -> gql.AbsencePayload:
    return await _decide(info.context, id, AbsenceStatus.APPROVED)


async def reject_absence(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The REQUESTED absence to reject (an `Absence` id)."),
    ],
    reason: Annotated[
        str, strawberry.argument(description="Why, for the employee: at most 500 characters.")
    ],
) -> gql.AbsencePayload:
    problems = Problems()
    cleaned = clean_text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    return await _decide(info.context, id, AbsenceStatus.REJECTED, cleaned)


async def cancel_absence(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The absence to withdraw (an `Absence` id)."),
    ],
) -> gql.CancelAbsencePayload:
    ctx = info.context
    absence_id = node_id(id, "Absence")
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        absence = await _locked_absence(ctx, session, absence_id)
        # Anyone's absence in the manage scope: an administrator's (ALL) reach.
        manager = ctx.access.admits(Area.ABSENCE, Op.MANAGE, absence.company_id)
        if not manager and absence.status is not AbsenceStatus.REQUESTED:
            raise bad_input(
                "id",
                "ALREADY_DECIDED",
                f"the absence is {absence.status.value.lower()}: ask an administrator",
            )
        audit(
            session,
            ctx,
            AuditAction.ABSENCE_CANCELLED,
            company_id=absence.company_id,
            **_audit_values(absence),
        )
        await session.delete(absence)
        if absence.status is AbsenceStatus.APPROVED:
            _basis_changed(ctx, session, absence)
    return gql.CancelAbsencePayload(cancelled_id=relay.GlobalID("Absence", str(absence_id)))


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    absences = field(
        ABSENCE_READ,
        absences,
        description="Absences by first day, optionally of one employee, in one status, and "
        "touching `from`-`to`.",
    )


@strawberry.type
class Mutations:
    request_absence = mutation(
        ABSENCE_WRITE,
        request_absence,
        description="Ask for an absence (REQUESTED); an administrator may register it APPROVED "
        "at once with `approved: true`. Must not overlap another requested or approved one.",
    )
    approve_absence = mutation(ABSENCE_MANAGE, approve_absence, description="Approve a request.")
    reject_absence = mutation(
        ABSENCE_MANAGE, reject_absence, description="Reject a request, saying why."
    )
    cancel_absence = mutation(
        ABSENCE_WRITE,
        cancel_absence,
        description="Withdraw an absence: the employee while it is REQUESTED, an administrator "
        "any time.",
    )
