"""Payroll periods and the payroll basis: list and open periods, the basis (live while OPEN,
frozen once LOCKED) with its late differences, lock and unlock.

Reading the sources. The basis is PAYROLL_BASIS data computed from rows of other areas (TIME,
ABSENCE, SCHEDULES, EXPENSES_RECEIPTS, the employees and their time codes). Whoever reads the
basis must see all of its sources, and only those: a LIMITED partner reads the basis but not
TIME or ABSENCE; an employee reads their own. So the sources are read through the row scope of
the viewer's PAYROLL_BASIS reach (`scoped(..., as_area=...)`): the companies where the viewer
reaches the basis,
and, for OWN reach, each table's own rows (an employee's own time, absence, expenses and
schedule; the company's time codes). That is still row scoping below the resolvers: nothing is
filtered by hand.

Batching. The live basis of every period a request asks for is computed from one load of the
sources (eight statements, one more for the projects when an entry has one and one more for the
companies' OB windows when an entry has clock times, whatever the number of periods and
employees); a frozen basis is two statements (its lines and its employees) for
all periods; employees are one statement.

Reads within the cost. A basis reads its sources (or its stored lines) whatever the query
selects of it, so the cost charges each employee of `basis` BASIS_READS rows and each of
`differences` DIFFERENCES_READS (schema/payroll.py), and those statements read within the
request's read budget (schema/limits.py `ReadBudget`: what is left + 1 rows each, refused with
QUERY_TOO_COMPLEX naming the field beyond): never more rows than the cost counted.
"""

from __future__ import annotations

import dataclasses as dc
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader

from gql_portal.context import RequestContext
from gql_portal.db.absence import Absence
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense
from gql_portal.db.ob import ObWindow
from gql_portal.db.payroll import PayrollEmployee, PayrollLine, PayrollPeriod
from gql_portal.db.projects import Project
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import PayType, TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain import ob, sick
from gql_portal.domain import payroll as domain
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.domain.payroll import PeriodState
from gql_portal.domain.time import shift_bounds, week_start
from gql_portal.errors import bad_input
from gql_portal.execution import next_turn
from gql_portal.live import Topic, publish_change
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.integrations import deliver_locked_basis
from gql_portal.resolvers.loading import (
    FETCH_PART_ROWS,
    by_id,
    company_filter,
    paginate,
    reachable_employee_ids,
    reading,
    request_loader,
)
from gql_portal.schema import payroll as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.id_filters import CompanyIdFilter
from gql_portal.schema.limits import (
    ReadBudget,
    ReadsOverAllowance,
    read_budget,
    reads_too_many,
)
from gql_portal.schema.relay import After, Before, Connection, First, Last

TYPE_NAME = "PayrollPeriod"
# A big company's basis is computed, and a stored one assembled, this many employees at a time,
# the event loop's other work (other requests, the deadline) in between: all 400 of the test
# company at once held the loop for 100-200 ms, 25 at a time for 20-28 ms a part, 8 for 5-10.
BASIS_PART_EMPLOYEES = 8

# --- reading the sources in the PAYROLL_BASIS reach -----------------------------------------


@dataclass(frozen=True)
class PeriodRef:
    id: int
    company_id: int
    start: date
    end: date


@dataclass
class Sources:
    """One company's sources of a date range, as the pure computation takes them."""

    employees: list[domain.BasisEmployee] = dc.field(default_factory=list)
    employee_rows: list[Employee] = dc.field(default_factory=list)  # as read (for the loader)
    time_entries: list[domain.BasisTimeEntry] = dc.field(default_factory=list)
    attested_weeks: set[tuple[int, date]] = dc.field(default_factory=set)
    absences: list[domain.BasisAbsence] = dc.field(default_factory=list)
    expenses: list[domain.BasisExpense] = dc.field(default_factory=list)
    time_codes: list[domain.BasisTimeCode] = dc.field(default_factory=list)
    schedules: list[domain.BasisSchedule] = dc.field(default_factory=list)
    pay_types: dict[str, str] = dc.field(default_factory=dict)  # the pay-type table: code -> lonart
    ob_windows: list[ob.ObWindow] = dc.field(default_factory=list)  # read when an entry is clocked

    def basis(self, period: PeriodRef) -> list[domain.EmployeeBasis]:
        return domain.compute_basis(
            period.start,
            period.end,
            self.employees,
            self.time_entries,
            self.attested_weeks,
            self.absences,
            self.expenses,
            self.time_codes,
            self.schedules,
            self.pay_types,
            self.ob_windows,
        )

    async def basis_in_parts(self, period: PeriodRef) -> list[domain.EmployeeBasis]:
        """`basis`, `BASIS_PART_EMPLOYEES` employees at a time with a turn of the event loop
        between parts: the same bases (each employee's comes from their own sources only),
        in the same order (by employee id)."""
        if len(self.employees) <= BASIS_PART_EMPLOYEES:
            return self.basis(period)
        entries = _by_employee(self.time_entries)
        attested = frozenset(self.attested_weeks)  # once, not once per part
        absences = _by_employee(self.absences)
        expenses = _by_employee(self.expenses)
        schedules = _by_employee(self.schedules)
        staff = sorted(self.employees, key=lambda employee: employee.id)
        bases: list[domain.EmployeeBasis] = []
        for first in range(0, len(staff), BASIS_PART_EMPLOYEES):
            if first:
                await next_turn()
            part = staff[first : first + BASIS_PART_EMPLOYEES]
            ids = [employee.id for employee in part]
            bases.extend(
                domain.compute_basis(
                    period.start,
                    period.end,
                    part,
                    [entry for key in ids for entry in entries.get(key, ())],
                    attested,
                    [absence for key in ids for absence in absences.get(key, ())],
                    [expense for key in ids for expense in expenses.get(key, ())],
                    self.time_codes,
                    [schedule for key in ids for schedule in schedules.get(key, ())],
                    self.pay_types,
                    self.ob_windows,
                )
            )
        return bases


def _by_employee(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.employee_id].append(row)
    return grouped


async def _in_parts(
    session: AsyncSession,
    statement: Any,
    budget: ReadBudget | None = None,
    *,
    columns: bool = False,
) -> AsyncIterator[Sequence[Any]]:
    """A statement's rows as ORM objects (`columns`: as tuples of the columns it selects),
    `FETCH_PART_ROWS` at a time: making a month's time entries of a big company into objects at
    once held the event loop; between parts other requests run. Still one statement. With a
    `budget` (what the query's cost counted for reading the basis' rows, schema/limits.py), it
    reads at most what is left + 1 rows and refuses (ReadsOverAllowance) once it got more than
    is left."""
    if budget is not None:
        statement = statement.limit(budget.cap)
    streamed = await (session.stream(statement) if columns else session.stream_scalars(statement))
    async for part in streamed.partitions(FETCH_PART_ROWS):
        if budget is not None:
            budget.spend(len(part))
        yield part


async def load_sources(
    session: AsyncSession,
    company_ids: set[int],
    start: date,
    end: date,
    employee_ids: frozenset[int] | None = None,
    budget: ReadBudget | None = None,
) -> dict[int, Sources]:
    """The sources of `start`..`end` for the companies' periods: eight statements (one more
    with projects, one more for the OB windows when an entry has clock times; the pay-type
    table only with the codes a line can carry).

    `session` must be scoped (`scoped(..., as_area=Area.PAYROLL_BASIS)`). The company filter picks
    the periods' companies (a partner's periods span clients); what the viewer reaches, the row
    scope decides. `employee_ids` narrows to some employees (an argument, not access). With a
    `budget` (a query's), the statements read at most its rows in all (+ 1 to know it is
    over: ReadsOverAllowance), each what is left of it; without (locking), everything.

    The sources are read as the columns the computation takes (tuples, made straight into its
    dataclasses), not as ORM objects: a big company's month is tens of thousands of rows, and
    making them objects cost more than the basis computed from them. The employees are the
    exception: the `employee` field's loader is primed with their rows (`_prime_employees`).
    """
    companies = sorted(company_ids)
    sources: dict[int, Sources] = defaultdict(Sources)

    def narrowed(statement: Any, column: Any) -> Any:
        return statement if employee_ids is None else statement.where(column.in_(employee_ids))

    async def each(statement: Any, add: Callable[[Any], None], *, columns: bool = True) -> None:
        async for part in _in_parts(session, statement, budget, columns=columns):
            for row in part:
                add(row)

    def add_employee(row: Employee) -> None:
        sources[row.company_id].employee_rows.append(row)
        sources[row.company_id].employees.append(_basis_employee(row))

    def add_code(row: Any) -> None:
        company_id, *code = row
        sources[company_id].time_codes.append(domain.BasisTimeCode(*code))

    def add_schedule(row: Any) -> None:
        company_id, employee_id, *hours = row
        sources[company_id].schedules.append(domain.BasisSchedule(employee_id, tuple(hours)))

    in_companies = Employee.company_id.in_(companies)
    await each(
        narrowed(select(Employee).where(in_companies), Employee.id), add_employee, columns=False
    )
    await each(select(*CODE_COLUMNS).where(TimeCode.company_id.in_(companies)), add_code)
    await _add_pay_types(session, sources, companies, budget)
    await each(
        narrowed(
            select(*SCHEDULE_COLUMNS).where(Schedule.company_id.in_(companies)),
            Schedule.employee_id,
        ),
        add_schedule,
    )
    # The entries become the computation's once their projects' codes are known.
    entries: list[Any] = []
    await each(
        narrowed(_entries_between(companies, start, end), TimeEntry.employee_id), entries.append
    )
    projects = await _project_codes(session, companies, entries, budget)
    clocked = await _add_entries(sources, entries, projects)
    await _add_ob_windows(session, sources, clocked, budget)
    await each(
        narrowed(_attestations_between(companies, start, end), WeekAttestation.employee_id),
        lambda row: sources[row[0]].attested_weeks.add((row[1], row[2])),
    )
    await each(
        narrowed(_approved_absences_between(companies, start, end), Absence.employee_id),
        lambda row: sources[row[0]].absences.append(domain.BasisAbsence(*row[1:])),
    )
    await each(
        narrowed(_approved_expenses_between(companies, start, end), Expense.employee_id),
        lambda row: sources[row[0]].expenses.append(_basis_expense(row)),
    )
    return sources


# The columns read of each source, the company's id first; then, where a source is made
# straight from a row, in its dataclass' field order.
CODE_COLUMNS = (
    TimeCode.company_id,
    TimeCode.id,
    TimeCode.code,
    TimeCode.name,
    TimeCode.kind,
    TimeCode.paxml_code,
    TimeCode.pay_type,
    TimeCode.unit,
)
SCHEDULE_COLUMNS = (
    Schedule.company_id,
    Schedule.employee_id,
    Schedule.monday,
    Schedule.tuesday,
    Schedule.wednesday,
    Schedule.thursday,
    Schedule.friday,
    Schedule.saturday,
    Schedule.sunday,
)
ENTRY_COLUMNS = (
    TimeEntry.company_id,
    TimeEntry.id,
    TimeEntry.employee_id,
    TimeEntry.date,
    TimeEntry.hours,
    TimeEntry.time_code_id,
    TimeEntry.project_id,
    TimeEntry.start_time,
    TimeEntry.end_time,
    TimeEntry.break_minutes,
)
ABSENCE_COLUMNS = (
    Absence.company_id,
    Absence.id,
    Absence.employee_id,
    Absence.kind,
    Absence.start_date,
    Absence.end_date,
    Absence.extent_percent,
    Absence.status,
)
EXPENSE_COLUMNS = (
    Expense.company_id,
    Expense.id,
    Expense.employee_id,
    Expense.kind,
    Expense.date,
    Expense.description,
    Expense.amount,
    Expense.status,
    Expense.distance_km,
    Expense.rate_per_mil,
    Expense.vehicle,
    Expense.deductible_vat,
)


def _entries_between(companies: list[int], start: date, end: date) -> Any:
    return select(*ENTRY_COLUMNS).where(
        TimeEntry.company_id.in_(companies), TimeEntry.date >= start, TimeEntry.date <= end
    )


def _attestations_between(companies: list[int], start: date, end: date) -> Any:
    return select(
        WeekAttestation.company_id, WeekAttestation.employee_id, WeekAttestation.week_start
    ).where(
        WeekAttestation.company_id.in_(companies),
        WeekAttestation.week_start >= week_start(start),
        WeekAttestation.week_start <= end,
    )


def _approved_absences_between(companies: list[int], start: date, end: date) -> Any:
    return select(*ABSENCE_COLUMNS).where(
        Absence.company_id.in_(companies),
        Absence.status == AbsenceStatus.APPROVED,
        Absence.start_date <= end,
        Absence.end_date >= start,
    )


def _approved_expenses_between(companies: list[int], start: date, end: date) -> Any:
    return select(*EXPENSE_COLUMNS).where(
        Expense.company_id.in_(companies),
        Expense.status == ExpenseStatus.APPROVED,
        Expense.date >= start,
        Expense.date <= end,
    )


def _basis_employee(row: Employee) -> domain.BasisEmployee:
    return domain.BasisEmployee(
        id=row.id,
        active=row.active,
        salary_form=row.salary_form,
        salary_amount=row.salary_amount,
        employment_start=row.employment_start,
        employment_end=row.employment_end,
        employment_extent=row.employment_extent,
    )


def _basis_expense(row: Any) -> domain.BasisExpense:
    """An expense of EXPENSE_COLUMNS."""
    (
        _,
        expense_id,
        employee_id,
        kind,
        day,
        description,
        amount,
        status,
        distance_km,
        rate_per_mil,
        vehicle,
        deductible_vat,
    ) = row
    return domain.BasisExpense(
        id=expense_id,
        employee_id=employee_id,
        kind=kind,
        date=day,
        description=description,
        amount=amount,
        status=status,
        distance_km=distance_km,
        rate_per_mil=rate_per_mil,
        vehicle=vehicle,
        # The UTLÄGG line's moms is what a payroll program booking it takes to 2641: the
        # deductible VAT (representation: its capped part; the rest is cost, as in the SIE file).
        vat_amount=deductible_vat,
    )


async def _add_entries(
    sources: dict[int, Sources], entries: Sequence[Any], projects: dict[int, str]
) -> set[int]:
    """The time entries (rows of ENTRY_COLUMNS) as the computation takes them, with their
    projects' codes (`projects`: id -> code; a project not in it stays unnamed), made
    FETCH_PART_ROWS at a time with a turn of the loop between parts. Returns the companies
    with a clock-timed entry (the ones whose OB windows count)."""
    clocked: set[int] = set()
    for first in range(0, len(entries), FETCH_PART_ROWS):
        if first:
            await next_turn()
        for (
            company_id,
            entry_id,
            employee_id,
            day,
            hours,
            time_code_id,
            project_id,
            start_time,
            end_time,
            break_minutes,
        ) in entries[first : first + FETCH_PART_ROWS]:
            shift: tuple[datetime | None, datetime | None] = (None, None)
            if start_time is not None and end_time is not None:
                shift = shift_bounds(day, start_time, end_time)
                clocked.add(company_id)
            sources[company_id].time_entries.append(
                domain.BasisTimeEntry(
                    entry_id,
                    employee_id,
                    day,
                    hours,
                    time_code_id,
                    project=None if project_id is None else projects.get(project_id),
                    start=shift[0],
                    end=shift[1],
                    break_minutes=break_minutes or 0,
                )
            )
    return clocked


async def _add_ob_windows(
    session: AsyncSession,
    sources: dict[int, Sources],
    clocked: set[int],
    budget: ReadBudget | None,
) -> None:
    """The OB windows of the companies with a clock-timed entry (`clocked`: OB is derived from
    clock times only): one statement, none when no entry has clock times; a company has at
    most `ob.MAX_OB_WINDOWS`."""
    if not clocked:
        return
    windows = select(ObWindow).where(ObWindow.company_id.in_(sorted(clocked))).order_by(ObWindow.id)
    async for part in _in_parts(session, windows, budget):
        for row in part:
            sources[row.company_id].ob_windows.append(row.as_domain())


async def _add_pay_types(
    session: AsyncSession,
    sources: dict[int, Sources],
    companies: list[int],
    budget: ReadBudget | None,
) -> None:
    """The companies' pay-type tables, only the codes a line can carry (the basis' own and the
    time codes' PAXml codes): one statement, as many rows as the time codes at most + a few."""
    used = select(TimeCode.paxml_code).where(TimeCode.company_id.in_(companies))
    pay_types = select(PayType.company_id, PayType.code, PayType.lonart).where(
        PayType.company_id.in_(companies),
        or_(PayType.code.in_(sorted(domain.BASIS_OWN_CODES)), PayType.code.in_(used)),
    )
    async for part in _in_parts(session, pay_types, budget, columns=True):
        for company_id, code, lonart in part:
            sources[company_id].pay_types[code] = lonart


async def _project_codes(
    session: AsyncSession,
    companies: list[int],
    entries: Sequence[Any],
    budget: ReadBudget | None,
) -> dict[int, str]:
    """The codes of the time entries' projects (the resenhet of their lines) by id: one
    statement, when an entry has a project. A project the viewer's reach does not read stays
    unnamed."""
    wanted = {entry.project_id for entry in entries if entry.project_id is not None}
    if not wanted:
        return {}
    projects = select(Project.id, Project.code).where(
        Project.company_id.in_(companies), Project.id.in_(sorted(wanted))
    )
    return {
        project_id: code
        async for part in _in_parts(session, projects, budget, columns=True)
        for project_id, code in part
    }


# --- the live and the frozen basis ----------------------------------------------------------


@dataclass(frozen=True)
class BasisKey:
    period: PeriodRef
    employee_ids: frozenset[int] | None


def _prime_employees(ctx: RequestContext, sources: Iterable[Sources]) -> None:
    """The basis's `employee` field loads through `by_id(Employee)`: hand it the rows the
    sources read, where the viewer's own read scope of employees reaches them too (the sources
    are read in the PAYROLL_BASIS reach; the others the loader reads itself)."""
    loader = by_id(ctx, Employee)
    for source in sources:
        for row in source.employee_rows:
            if ctx.access.admits(Employee.__area__, Op.READ, row.company_id, row.id):
                loader.prime(row.id, row)


def live_basis(ctx: RequestContext) -> DataLoader[BasisKey, list[domain.EmployeeBasis]]:
    """The basis computed now from the sources: one load of the sources for every period."""

    async def load(keys: Sequence[BasisKey]) -> list[list[domain.EmployeeBasis]]:
        narrowing = [key.employee_ids for key in keys]
        employee_ids = (
            None
            if any(ids is None for ids in narrowing)
            else frozenset().union(*(ids for ids in narrowing if ids is not None))
        )
        async with ctx.database.scoped(ctx.access, as_area=Area.PAYROLL_BASIS) as session:
            sources = await load_sources(
                session,
                {key.period.company_id for key in keys},
                min(key.period.start for key in keys),
                max(key.period.end for key in keys),
                employee_ids,
                read_budget(ctx),
            )
        _prime_employees(ctx, sources.values())
        results = []
        for key in keys:
            bases = await sources[key.period.company_id].basis_in_parts(key.period)
            if key.employee_ids is not None:
                bases = [basis for basis in bases if basis.employee_id in key.employee_ids]
            results.append(bases)
        return results

    return request_loader(ctx, "payroll_live_basis", lambda: DataLoader(load_fn=load))


def line_from_row(row: Any) -> domain.BasisLine:
    """A stored line (a PayrollLine, or a row of its columns: `frozen_rows`) as the domain's."""
    return domain.BasisLine(
        employee_id=row.employee_id,
        date=row.date,
        pay_type=row.pay_type,
        description=row.description,
        time_code=row.time_code,
        quantity=domain.at_least_two_places(row.quantity),
        unit=row.unit,
        unit_price=row.unit_price,
        amount=row.amount,
        source=row.source,
        source_id=row.source_id,
        hours=row.hours,
        extent_percent=row.extent_percent,
        code=row.code,
        vat=row.vat,
        dimensions=((domain.PROJECT_DIMENSION, row.project),) if row.project else (),
        start=row.start_time,
        end=row.end_time,
        informational=row.informational,
    )


def frozen_rows(
    ctx: RequestContext,
    model: type[PayrollLine] | type[PayrollEmployee],
    *,
    order_by: Sequence[Any],
    where: Sequence[Any],
    variant: Hashable,
) -> DataLoader[int, list[Any]]:
    """Locked periods' stored rows (their lines, or their employees) by period: one statement
    for every period of the request, read with the viewer's own row scope and within the
    request's read budget (`_in_parts`): the lines are read whatever the query selects, so
    they are what the cost counted for computing the basis, not the lines it returns. Rows of
    the model's columns, named as its attributes, not ORM objects (a big company's month is
    thousands of lines)."""

    columns = [getattr(model, column.key) for column in model.__mapper__.column_attrs]

    async def load(period_ids: Sequence[int]) -> list[list[Any]]:
        statement = (
            select(*columns)
            .where(model.period_id.in_(period_ids), *where)
            .order_by(*order_by, model.id)
        )
        rows: list[Any] = []
        async with ctx.database.scoped(ctx.access) as session:
            async for part in _in_parts(session, statement, read_budget(ctx), columns=True):
                rows.extend(part)
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[row.period_id].append(row)
        return [grouped.get(period_id, []) for period_id in period_ids]

    key = ("payroll_frozen", model, variant)
    return request_loader(ctx, key, lambda: DataLoader(load_fn=load))


async def frozen_basis(
    ctx: RequestContext, period_id: int, employee_ids: frozenset[int] | None
) -> list[domain.EmployeeBasis]:
    """A locked period's stored basis (read with the viewer's own row scope)."""
    where_lines = [] if employee_ids is None else [PayrollLine.employee_id.in_(employee_ids)]
    where_heads = [] if employee_ids is None else [PayrollEmployee.employee_id.in_(employee_ids)]
    variant = None if employee_ids is None else tuple(sorted(employee_ids))
    lines: list[Any] = await frozen_rows(
        ctx,
        PayrollLine,
        order_by=[PayrollLine.employee_id, PayrollLine.position],
        where=where_lines,
        variant=variant,
    ).load(period_id)
    heads: list[Any] = await frozen_rows(
        ctx,
        PayrollEmployee,
        order_by=[PayrollEmployee.employee_id],
        where=where_heads,
        variant=variant,
    ).load(period_id)
    weeks = {
        head.employee_id: tuple(date.fromisoformat(week) for week in head.unattested_weeks)
        for head in heads
    }
    # Assembled `BASIS_PART_EMPLOYEES` employees at a time, a turn of the loop between parts.
    rows_of = _by_employee(lines)
    everyone = sorted(set(rows_of) | set(weeks))
    bases: list[domain.EmployeeBasis] = []
    for first in range(0, len(everyone), BASIS_PART_EMPLOYEES):
        if first:
            await next_turn()
        part = everyone[first : first + BASIS_PART_EMPLOYEES]
        bases.extend(
            domain.basis_from_lines(
                (line_from_row(row) for key in part for row in rows_of.get(key, ())),
                {key: weeks[key] for key in part if key in weeks},
            )
        )
    return bases


# --- sick periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SickKey:
    company_id: int
    employee_id: int
    start: date
    end: date


def sick_periods_loader(ctx: RequestContext) -> DataLoader[SickKey, list[sick.SickPeriod]]:
    """The sick periods of employees' bases: one statement for every basis of the request
    (the approved sick absence from SICK_HISTORY_DAYS before the earliest period to the end of
    the latest), read in the PAYROLL_BASIS reach like the basis' own sources and within the
    request's read budget."""

    async def load(keys: Sequence[SickKey]) -> list[list[sick.SickPeriod]]:
        since = min(key.start for key in keys) - timedelta(days=sick.SICK_HISTORY_DAYS)
        statement = select(Absence).where(
            Absence.company_id.in_({key.company_id for key in keys}),
            Absence.employee_id.in_({key.employee_id for key in keys}),
            Absence.kind == AbsenceKind.SICK,
            Absence.status == AbsenceStatus.APPROVED,
            Absence.start_date <= max(key.end for key in keys),
            Absence.end_date >= since,
        )
        rows: list[Absence] = []
        async with ctx.database.scoped(ctx.access, as_area=Area.PAYROLL_BASIS) as session:
            async for part in _in_parts(session, statement, read_budget(ctx)):
                rows.extend(part)
        by_employee = _by_employee(rows)  # an employee id names one company's employee
        return [
            list(
                sick.sick_periods_in(
                    (
                        row
                        for row in by_employee.get(key.employee_id, ())
                        if row.start_date <= key.end
                        and row.end_date >= key.start - timedelta(days=sick.SICK_HISTORY_DAYS)
                    ),
                    key.start,
                    key.end,
                )
            )
            for key in keys
        ]

    return request_loader(ctx, "payroll_sick_periods", lambda: DataLoader(load_fn=load))


async def employee_sick_periods(
    ctx: RequestContext, company_id: int, employee_id: int, start: date, end: date
) -> list[sick.SickPeriod]:
    """An employee's sick periods that overlap `start`-`end` (a basis' `sickPeriods`)."""
    try:
        return await sick_periods_loader(ctx).load(SickKey(company_id, employee_id, start, end))
    except ReadsOverAllowance as over:
        raise reads_too_many("sickPeriods", over.limit) from None


def _ref(period: gql.PayrollPeriod) -> PeriodRef:
    return PeriodRef(period.id, period.company_id, period.start_date, period.end_date)


async def period_basis(
    ctx: RequestContext, period: gql.PayrollPeriod, employee_ids: list[relay.GlobalID] | None
) -> list[gql.EmployeeBasis]:
    wanted = await reachable_employee_ids(ctx, employee_ids)
    try:
        # The sources read stop at what the cost counted (`reads`), so a company with more
        # employees than the list's allowance is refused after bounded work, by the list check.
        if period.state is PeriodState.OPEN:
            bases = await live_basis(ctx).load(BasisKey(_ref(period), wanted))
        else:
            bases = await frozen_basis(ctx, period.id, wanted)
    except ReadsOverAllowance as over:  # the loaders' refusal, named for this field
        raise reads_too_many("basis", over.limit) from None
    answer: list[gql.EmployeeBasis] = []
    for first in range(0, len(bases), BASIS_PART_EMPLOYEES):
        if first:
            await next_turn()  # a turn of the loop between parts (see the constant)
        answer.extend(
            gql.EmployeeBasis.from_basis(
                period.company_id, basis, (period.start_date, period.end_date)
            )
            for basis in bases[first : first + BASIS_PART_EMPLOYEES]
        )
    return answer


async def period_differences(
    ctx: RequestContext, period: gql.PayrollPeriod, employee_ids: list[relay.GlobalID] | None
) -> list[gql.EmployeeBasisDifference]:
    wanted = await reachable_employee_ids(ctx, employee_ids)  # NOT_FOUND while OPEN too
    if period.state is PeriodState.OPEN:
        return []
    try:
        # Both bases of every employee it reaches: within the request's read budget, which
        # counted DIFFERENCES_READS for each employee the list may hold.
        frozen = await frozen_basis(ctx, period.id, wanted)
        live = await live_basis(ctx).load(BasisKey(_ref(period), wanted))
    except ReadsOverAllowance as over:
        raise reads_too_many("differences", over.limit) from None
    changes = domain.differences(
        (line for basis in frozen for line in basis.lines),
        (line for basis in live for line in basis.lines),
    )
    return [gql.EmployeeBasisDifference.from_difference(period.company_id, c) for c in changes]


# --- periods --------------------------------------------------------------------------------


async def payroll_period_by_id(ctx: RequestContext, period_id: int) -> gql.PayrollPeriod | None:
    row = await by_id(ctx, PayrollPeriod).load(period_id)
    return gql.PayrollPeriod.from_row(row) if row else None


async def locked_periods_holding(
    ctx: RequestContext, days_by_company: dict[int, set[date]]
) -> set[int]:
    """The ids of the LOCKED periods holding one of the days of their company (a source change
    on such a day is a late difference), in the viewer's reach; one statement."""
    wanted = [
        (PayrollPeriod.company_id == company)
        & (PayrollPeriod.start_date <= max(days))
        & (PayrollPeriod.end_date >= min(days))
        for company, days in days_by_company.items()
        if days
    ]
    if not wanted:
        return set()
    async with reading(ctx) as session:
        found = await session.execute(
            select(
                PayrollPeriod.id,
                PayrollPeriod.company_id,
                PayrollPeriod.start_date,
                PayrollPeriod.end_date,
            ).where(PayrollPeriod.state == PeriodState.LOCKED, or_(*wanted))
        )
        return {
            period_id
            for period_id, company, start, end in found
            if any(start <= day <= end for day in days_by_company[company])
        }


async def payroll_periods(
    info: Ctx,
    from_: Annotated[
        date | None,
        strawberry.argument(
            name="from", description="Only periods ending on or after this day (default: all)."
        ),
    ] = None,
    to: Annotated[
        date | None,
        strawberry.argument(
            description="Only periods starting on or before this day, not before `from`."
        ),
    ] = None,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    company_id: CompanyIdFilter = None,
) -> Connection[gql.PayrollPeriod]:
    """The periods that exist (see `openPayrollPeriod`), latest first, overlapping from..to;
    `companyId` picks one client's."""
    if from_ is not None and to is not None and to < from_:
        raise bad_input("to", "BEFORE_FROM", "must not be before `from`")
    statement = select(PayrollPeriod).where(
        *company_filter(info.context, PayrollPeriod.company_id, company_id)
    )
    if from_ is not None:
        statement = statement.where(PayrollPeriod.end_date >= from_)
    if to is not None:
        statement = statement.where(PayrollPeriod.start_date <= to)
    return await paginate(
        info.context,
        statement,
        [PayrollPeriod.start_date, PayrollPeriod.id],
        gql.PayrollPeriod.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
        descending=True,
    )


async def open_payroll_period(
    info: Ctx,
    month: Annotated[
        str,
        strawberry.argument(
            description="The month, YYYY-MM (e.g. 2026-03); its period is created OPEN if "
            "it does not exist."
        ),
    ],
) -> gql.PayrollPeriodPayload:
    """The session company's period of `month`, created OPEN when it does not exist yet."""
    ctx = info.context
    try:
        start, end = domain.month_period(domain.parse_month(month))
    except ValueError as error:
        raise bad_input("month", "INVALID_MONTH", str(error)) from None
    company_id = ctx.access.company_id
    assert company_id is not None
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            row = await session.scalar(
                select(PayrollPeriod).where(
                    PayrollPeriod.company_id == company_id, PayrollPeriod.start_date == start
                )
            )
            if row is None:
                row = PayrollPeriod(
                    company_id=company_id,
                    start_date=start,
                    end_date=end,
                    state=PeriodState.OPEN,
                    created_at=ctx.clock.now(),
                )
                session.add(row)
                await session.flush()
                audit(
                    session,
                    ctx,
                    AuditAction.PAYROLL_PERIOD_OPENED,
                    payroll_period_id=row.id,
                    month=domain.month_label(start),
                )
                _publish(session, ctx, row)
    except IntegrityError:  # opened at the same moment by someone else: that one it is
        async with ctx.database.scoped(ctx.access) as session:
            row = await session.scalar(
                select(PayrollPeriod).where(
                    PayrollPeriod.company_id == company_id, PayrollPeriod.start_date == start
                )
            )
        if row is None:
            raise
    return gql.PayrollPeriodPayload(payroll_period=gql.PayrollPeriod.from_row(row))


def _publish(session: AsyncSession, ctx: RequestContext, period: PayrollPeriod) -> None:
    """`payrollPeriodChanged` and the client board hear of it once committed (resolvers/live)."""
    publish_change(session, ctx.runtime.bus, Topic.PAYROLL_PERIOD, period.company_id, period.id)


def _refuse(state: PeriodState, wanted: PeriodState) -> None:
    if state is wanted:
        return
    if state is PeriodState.EXPORTED:
        raise bad_input("id", "EXPORTED", "the period has been exported; it cannot change")
    if state is PeriodState.LOCKED:
        raise bad_input("id", "LOCKED", "the period is already locked")
    raise bad_input("id", "NOT_LOCKED", "the period is not locked")


async def _claim(
    session: AsyncSession, period: PayrollPeriod, wanted: PeriodState, values: dict[str, Any]
) -> None:
    """Move `period` out of state `wanted`, or refuse: a conditional UPDATE, so that of two
    concurrent locks (or unlocks) exactly one goes ahead."""
    _refuse(period.state, wanted)
    result = await session.execute(
        update(PayrollPeriod)
        .where(PayrollPeriod.id == period.id, PayrollPeriod.state == wanted)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(period)
        _refuse(period.state, wanted)
    for name, value in values.items():
        setattr(period, name, value)


async def freeze_basis(session: AsyncSession, period: PayrollPeriod) -> list[domain.EmployeeBasis]:
    """Store the period's basis as computed now (its lines and employees): the frozen basis.

    `session` is the locking transaction, scoped to the period's company (or a system session,
    as the demo loader uses)."""
    ref = PeriodRef(period.id, period.company_id, period.start_date, period.end_date)
    sources = await load_sources(session, {period.company_id}, ref.start, ref.end)
    bases = await sources[period.company_id].basis_in_parts(ref)
    for basis in bases:
        session.add(
            PayrollEmployee(
                company_id=period.company_id,
                period_id=period.id,
                employee_id=basis.employee_id,
                unattested_weeks=[week.isoformat() for week in basis.unattested_weeks],
            )
        )
        session.add_all(
            PayrollLine(
                company_id=period.company_id,
                period_id=period.id,
                employee_id=line.employee_id,
                position=position,
                date=line.date,
                pay_type=line.pay_type,
                description=line.description,
                time_code=line.time_code,
                quantity=line.quantity,
                unit=line.unit,
                unit_price=line.unit_price,
                amount=line.amount,
                source=line.source,
                source_id=line.source_id,
                hours=line.hours,
                extent_percent=line.extent_percent,
                code=line.code,
                vat=line.vat,
                project=domain.project_of(line),
                start_time=line.start,
                end_time=line.end,
                informational=line.informational,
            )
            for position, line in enumerate(basis.lines)
        )
    return bases


async def lock_payroll_period(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The OPEN period to freeze (a `PayrollPeriod` id)."),
    ],
) -> gql.PayrollPeriodPayload:
    """Freeze the period's basis as computed now: its lines and employees are stored."""
    ctx = info.context
    period_id = node_id(id, TYPE_NAME)
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE, as_area=Area.PAYROLL_BASIS) as session:
        period = await session.scalar(select(PayrollPeriod).where(PayrollPeriod.id == period_id))
        if period is None:
            raise not_found(TYPE_NAME)
        await _claim(
            session,
            period,
            PeriodState.OPEN,
            {
                "state": PeriodState.LOCKED,
                "locked_at": now,
                "locked_by_user_id": ctx.access.user_id,
            },
        )
        bases = await freeze_basis(session, period)
        audit(
            session,
            ctx,
            AuditAction.PAYROLL_PERIOD_LOCKED,
            company_id=period.company_id,
            payroll_period_id=period.id,
            month=domain.month_label(period.start_date),
            employees=len(bases),
            lines=sum(len(basis.lines) for basis in bases),
            total_amount=str(sum((basis.total_amount for basis in bases), Decimal("0.00"))),
            preliminary_employee_ids=[basis.employee_id for basis in bases if basis.preliminary],
        )
        # The payroll integration gets the frozen basis: queued in this very transaction.
        delivering = await deliver_locked_basis(session, ctx, period)
        _publish(session, ctx, period)
    if delivering:
        ctx.runtime.wake_deliveries()
    return gql.PayrollPeriodPayload(payroll_period=gql.PayrollPeriod.from_row(period))


async def unlock_payroll_period(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The LOCKED period to open again (a `PayrollPeriod` id); its frozen "
            "basis is discarded."
        ),
    ],
) -> gql.PayrollPeriodPayload:
    """Open a locked period again: its frozen basis is discarded (the audit log keeps the
    fact). An exported period stays as it is."""
    ctx = info.context
    period_id = node_id(id, TYPE_NAME)
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        period = await session.scalar(select(PayrollPeriod).where(PayrollPeriod.id == period_id))
        if period is None:
            raise not_found(TYPE_NAME)
        await _claim(
            session,
            period,
            PeriodState.LOCKED,
            {"state": PeriodState.OPEN, "locked_at": None, "locked_by_user_id": None},
        )
        removed = await session.execute(
            delete(PayrollLine)
            .where(PayrollLine.period_id == period.id)
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(PayrollEmployee)
            .where(PayrollEmployee.period_id == period.id)
            .execution_options(synchronize_session=False)
        )
        audit(
            session,
            ctx,
            AuditAction.PAYROLL_PERIOD_UNLOCKED,
            company_id=period.company_id,
            payroll_period_id=period.id,
            month=domain.month_label(period.start_date),
            lines_discarded=removed.rowcount,  # type: ignore[attr-defined]
        )
        _publish(session, ctx, period)
    return gql.PayrollPeriodPayload(payroll_period=gql.PayrollPeriod.from_row(period))


# --- the domain's root fields ---------------------------------------------------------------

BASIS_READ = AreaRule(Area.PAYROLL_BASIS)
BASIS_MANAGE = AreaRule(Area.PAYROLL_BASIS, Op.MANAGE)


@strawberry.type
class Queries:
    payroll_periods = field(
        BASIS_READ,
        payroll_periods,
        description="Payroll periods (calendar months), latest first; `from`/`to` keep those "
        "that overlap the dates. A month's period exists once an admin opened it "
        "(`openPayrollPeriod`).",
    )


@strawberry.type
class Mutations:
    open_payroll_period = mutation(
        BASIS_MANAGE,
        open_payroll_period,
        description="The payroll period of a calendar month (`month`: YYYY-MM) of the company, "
        "created OPEN if it does not exist; idempotent.",
    )
    lock_payroll_period = mutation(
        BASIS_MANAGE,
        lock_payroll_period,
        description="Lock an OPEN period: its basis is computed now and frozen (ready for "
        "payroll). Later changes to the sources show in `differences`. Refused (reason LOCKED, "
        "EXPORTED) unless OPEN.",
    )
    unlock_payroll_period = mutation(
        BASIS_MANAGE,
        unlock_payroll_period,
        description="Open a LOCKED period again; its frozen basis is discarded. Refused for an "
        "EXPORTED period (reason EXPORTED).",
    )
