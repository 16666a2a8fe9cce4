"""The partner portal's client board: the firm's clients with their collaboration and where
their payroll stands, a page at a time, in a fixed number of SQL statements.

The month the board shows is the one the firm is preparing: per client, its latest payroll
period not yet EXPORTED (up to the current month), else the current calendar month; or, when
the board asks for a `month`, that month for every client. The rule is written twice, in the
forms each statement needs: `shown_period_start` (a correlated subquery: the `periodState`
filter, per collaboration row) and `SHOWN_PERIODS` (one window over a page's periods: the
status, where the subquery per row had PostgreSQL scan the periods per row).
tests/test_portal_board.py's `test_the_period_state_filter_agrees_with_the_month_shown` holds
them to the same answer."""

from __future__ import annotations

from datetime import date
from functools import cache
from operator import attrgetter
from typing import Annotated, Any

import strawberry
from sqlalchemy import (
    ColumnElement,
    Date,
    Row,
    Select,
    and_,
    bindparam,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Bundle, InstrumentedAttribute, aliased

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.expenses import Expense
from gql_portal.db.functions import in_byte_order, swedish_sort_key
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.collaborations import AccessLevel, CollaborationState
from gql_portal.domain.expenses import ExpenseStatus
from gql_portal.domain.payroll import PeriodState, month_period, parse_month
from gql_portal.domain.time import week_start as monday_of
from gql_portal.errors import AppError, bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import PartnerPortal
from gql_portal.resolvers.collaborations import collaboration_parties, nodes_of_parties
from gql_portal.resolvers.common import Ctx, like, like_escaped
from gql_portal.resolvers.loading import PerParent, paginate, reading
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import portal as gql
from gql_portal.schema.accounts import Company as CompanyType
from gql_portal.schema.fields import field
from gql_portal.schema.payroll import PayrollPeriod as PayrollPeriodType
from gql_portal.schema.relay import After, Before, Connection, First, Last


def shown_period_start(
    company_id: InstrumentedAttribute[int], current: date, month: date | None
) -> ColumnElement[date]:
    """The first day of the period the board shows for the client `company_id` (a column of
    the enclosing statement): the asked `month`; else the latest period not yet EXPORTED that
    starts no later than the `current` month (the month being prepared), else `current`."""
    if month is not None:
        return literal(month, Date())
    later = aliased(PayrollPeriod)
    latest_unexported = (
        select(func.max(later.start_date))
        .where(
            later.company_id == company_id,
            later.state != PeriodState.EXPORTED,
            later.start_date <= current,
        )
        .scalar_subquery()
    )
    return func.coalesce(latest_unexported, literal(current, Date()))


async def payroll_statuses(
    ctx: RequestContext, month: date | None, company_ids: list[int]
) -> dict[int, gql.ClientPayrollStatus]:
    """Three grouped statements for a whole page of clients, read as the payroll basis: the
    periods shown, the employees with unattested weeks in them, the expenses to decide."""
    current, _ = month_period(ctx.clock.today())
    async with ctx.database.scoped(ctx.access, as_area=Area.PAYROLL_BASIS) as session:
        periods = await _shown_periods(session, company_ids, current, month)
        # A client without such a period shows the asked month, else the current one.
        shown = {
            company_id: (
                (periods[company_id].start_date, periods[company_id].end_date)
                if company_id in periods
                else month_period(month or current)
            )
            for company_id in company_ids
        }
        unattested = await _employees_with_unattested_weeks(session, shown)
        waiting = await _expenses_awaiting_approval(session, company_ids)
    statuses = {}
    for company_id in company_ids:
        period = periods.get(company_id)
        start, end = shown[company_id]
        statuses[company_id] = gql.ClientPayrollStatus(
            company_id=company_id,
            period_start=start,
            period_end=end,
            period_state=period.state if period else PeriodState.OPEN,
            payroll_period=PayrollPeriodType.from_columns(period) if period else None,
            employees_with_unattested_weeks=unattested.get(company_id, 0),
            expenses_awaiting_approval=waiting.get(company_id, 0),
        )
    return statuses


PERIOD_COLUMNS = (
    PayrollPeriod.id,
    PayrollPeriod.company_id,
    PayrollPeriod.start_date,
    PayrollPeriod.end_date,
    PayrollPeriod.state,
    PayrollPeriod.locked_at,
)


def _ranked_periods() -> Select[Any]:
    """Per client of `company_ids`, its first period ranked by not EXPORTED, then latest (up to
    the `current` month; an EXPORTED one only as the current month's): `shown_period_start`'s
    rule as one window over the page's periods (see the module's doc)."""
    unexported = PayrollPeriod.state != PeriodState.EXPORTED
    ranked = (
        select(
            *PERIOD_COLUMNS,
            func.row_number()
            .over(
                partition_by=PayrollPeriod.company_id,
                order_by=(case((unexported, 0), else_=1), PayrollPeriod.start_date.desc()),
            )
            .label("rank"),
        )
        .where(
            PayrollPeriod.company_id.in_(bindparam("company_ids", expanding=True)),
            PayrollPeriod.start_date <= bindparam("current"),
            or_(unexported, PayrollPeriod.start_date == bindparam("current")),
        )
        .subquery()
    )
    return select(*(ranked.c[column.key] for column in PERIOD_COLUMNS)).where(ranked.c.rank == 1)


# The board's statements are built once, their values bound per request: building them took
# about 0.8 ms of each board request.
SHOWN_PERIODS = _ranked_periods()
PERIODS_OF_MONTH = select(*PERIOD_COLUMNS).where(
    PayrollPeriod.company_id.in_(bindparam("company_ids", expanding=True)),
    PayrollPeriod.start_date == bindparam("month"),
)
EXPENSES_AWAITING = (
    select(Expense.company_id, func.count())
    .where(
        Expense.company_id.in_(bindparam("company_ids", expanding=True)),
        Expense.status == ExpenseStatus.SUBMITTED,
    )
    .group_by(Expense.company_id)
)


async def _shown_periods(
    session: AsyncSession, company_ids: list[int], current: date, month: date | None
) -> dict[int, Row[*tuple[Any, ...]]]:
    """The clients' periods the board shows, of those that have one:
    the columns the status shows (PayrollPeriodType.from_columns), not the rows."""
    if month is not None:
        rows = await session.execute(PERIODS_OF_MONTH, {"company_ids": company_ids, "month": month})
    else:
        rows = await session.execute(
            SHOWN_PERIODS, {"company_ids": company_ids, "current": current}
        )
    return {period.company_id: period for period in rows}


@cache
def _unattested_weeks(ranges: int) -> Select[Any]:
    """The statement of `_employees_with_unattested_weeks` for that many distinct shown periods
    (`ids_<n>` in `start_<n>`..`end_<n>`)."""
    # The weeks with time in each client's period (each once, from
    # ix_time_entries_company_id_date alone), then those without an attestation.
    weeks = (
        select(TimeEntry.company_id, TimeEntry.employee_id, TimeEntry.week_start)
        .where(
            or_(
                *(
                    and_(
                        TimeEntry.company_id.in_(bindparam(f"ids_{n}", expanding=True)),
                        TimeEntry.date.between(bindparam(f"start_{n}"), bindparam(f"end_{n}")),
                    )
                    for n in range(ranges)
                )
            )
        )
        .distinct()
        .subquery()
    )
    # Restricted to the page's clients and the shown weeks as well (an attestation is of its
    # employee's company): else PostgreSQL hashes every reachable client's attestations.
    attested = select(WeekAttestation.id).where(
        WeekAttestation.employee_id == weeks.c.employee_id,
        WeekAttestation.week_start == weeks.c.week_start,
        WeekAttestation.company_id.in_(bindparam("company_ids", expanding=True)),
        WeekAttestation.week_start.between(bindparam("first_monday"), bindparam("last_day")),
    )
    return (
        select(weeks.c.company_id, func.count(distinct(weeks.c.employee_id)))
        .where(~exists(attested))
        .group_by(weeks.c.company_id)
    )


async def _employees_with_unattested_weeks(
    session: AsyncSession, shown: dict[int, tuple[date, date]]
) -> dict[int, int]:
    """Per client, how many employees have time in a week of the shown period that is not
    attested (one grouped statement)."""
    if not shown:
        return {}
    by_range: dict[tuple[date, date], list[int]] = {}
    for company_id, dates in shown.items():
        by_range.setdefault(dates, []).append(company_id)
    values: dict[str, Any] = {
        "company_ids": list(shown),
        "first_monday": monday_of(min(start for start, _ in by_range)),
        "last_day": max(end for _, end in by_range),
    }
    for n, ((start, end), ids) in enumerate(by_range.items()):
        values |= {f"ids_{n}": ids, f"start_{n}": start, f"end_{n}": end}
    rows = await session.execute(_unattested_weeks(len(by_range)), values)
    return {cid: count for cid, count in rows}


async def _expenses_awaiting_approval(
    session: AsyncSession, company_ids: list[int]
) -> dict[int, int]:
    rows = await session.execute(EXPENSES_AWAITING, {"company_ids": company_ids})
    return {cid: count for cid, count in rows}


# A client's payroll status in the period the board shows (the board's `month`, if it asked for
# one), read for every client of the page together (payroll_statuses), and only when a query
# asks for it. The month being prepared is the same all request long (the request's clock).
PAYROLL_STATUSES = PerParent(
    "client_payroll_status",
    key=attrgetter("company_id"),
    variant=attrgetter("board_month"),
    load=payroll_statuses,
)


async def client_payroll_status(
    ctx: RequestContext, company_id: int, month: date | None
) -> gql.ClientPayrollStatus:
    status: gql.ClientPayrollStatus = await PAYROLL_STATUSES.one(ctx, company_id, month)
    return status


CLIENTS_BY_ID = default_order([Collaboration.id])
# The page's collaborations as their columns (what the client, its collaboration and the
# orders read), not ORM rows: the board's page is a hundred of them.
BOARD_ROW: Bundle[Any] = Bundle(
    "collaboration",
    Collaboration.id,
    Collaboration.company_id,
    Collaboration.firm_id,
    Collaboration.level,
    Collaboration.state,
    Collaboration.initiated_by,
    Collaboration.requested_level,
    Collaboration.created_at,
    Collaboration.activated_at,
    Collaboration.ended_at,
)
# An alias: the filters' subqueries on Company stay correlated to the collaboration alone.
CLIENT_COMPANY = aliased(Company, name="client_company")
CLIENT_ORDERS = {
    # The client's name, from its company joined for this order (a company name is no secret:
    # every firm user sees the client's, `collaboration.clientName`). Not the organisation
    # number: a sole trader's is its owner's personnummer, shown masked in the portal.
    gql.ClientOrderField.NAME: OrderChoice([SortKey(CLIENT_COMPANY.name, swedish_sort_key)]),
    gql.ClientOrderField.LEVEL: OrderChoice([SortKey(Collaboration.level, in_byte_order)]),
    gql.ClientOrderField.ACTIVATED_AT: OrderChoice(
        [SortKey(Collaboration.activated_at, nullable=True)]
    ),
}


async def clients(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    level: Annotated[
        AccessLevel | None,
        strawberry.argument(
            description="Only clients with a collaboration at this level (default: both)."
        ),
    ] = None,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Text anywhere in the client's name, or digits of its organisation "
            "number (case-insensitive; blank: no filter)."
        ),
    ] = None,
    period_state: Annotated[
        PeriodState | None,
        strawberry.argument(
            description="Only clients whose shown period (see `payrollStatus`) is in this state."
        ),
    ] = None,
    month: Annotated[
        str | None,
        strawberry.argument(
            description="The month to show for every client, YYYY-MM (as exportPayrollBatch's "
            "`month`). Default: per client, the latest period not yet EXPORTED, else the "
            "current month."
        ),
    ] = None,
    order_by: Annotated[
        gql.ClientOrder | None,
        strawberry.argument(
            description="The order (default: by id, the order the firm got them in)."
        ),
    ] = None,
) -> Connection[gql.PortalClient]:
    """The firm's clients with an ACTIVE collaboration; filter by level, name or number, and
    the state of the payroll period shown (`shown_period_start`)."""
    ctx = info.context
    current, _ = month_period(ctx.clock.today())
    try:
        board_month = parse_month(month) if month is not None else None
    except ValueError as error:
        raise bad_input("month", "INVALID", str(error)) from None
    statement = select(BOARD_ROW).where(Collaboration.state == CollaborationState.ACTIVE)
    if level is not None:
        statement = statement.where(Collaboration.level == level)
    if search and search.strip():
        statement = statement.where(_client_matches(search))
    if period_state is not None:
        statement = statement.where(_shown_period_in(period_state, current, board_month))
    if order_by is not None and order_by.field is gql.ClientOrderField.NAME:
        statement = statement.join(CLIENT_COMPANY, CLIENT_COMPANY.id == Collaboration.company_id)
    order = chosen_order(
        ctx, order_by, CLIENT_ORDERS, Collaboration.id, CLIENTS_BY_ID, listed=Area.COLLABORATIONS
    )
    page: Connection[Any] = await paginate(
        ctx,
        statement,
        order,
        lambda row: row,
        first=first,
        after=after,
        last=last,
        before=before,
    )
    await _fill_board_page(ctx, page, board_month)
    return page


def _client_matches(search: str) -> ColumnElement[bool]:
    """The collaboration's client has `search` in its name, or (a number, e.g. 556677-88) in
    its organisation number."""
    text = search.strip().lower()
    digits = "".join(c for c in text if c.isdigit())
    matches = [like(func.lower(Company.name), f"%{like_escaped(text)}%")]
    if digits and not any(c.isalpha() for c in text):
        matches.append(like(Company.organisation_number, f"%{digits}%"))
    return exists(select(Company.id).where(Company.id == Collaboration.company_id, or_(*matches)))


def _shown_period_in(
    period_state: PeriodState, current: date, board_month: date | None
) -> ColumnElement[bool]:
    """The period the board shows for the collaboration's client is in `period_state` (no
    period yet counts as OPEN)."""
    period = select(PayrollPeriod.id).where(
        PayrollPeriod.company_id == Collaboration.company_id,
        PayrollPeriod.start_date
        == shown_period_start(PayrollPeriod.company_id, current, board_month),
    )
    if period_state is PeriodState.OPEN:
        return ~exists(period.where(PayrollPeriod.state != PeriodState.OPEN))
    return exists(period.where(PayrollPeriod.state == period_state))


async def _fill_board_page(
    ctx: RequestContext, page: Connection[Any], board_month: date | None
) -> None:
    """The page's collaboration rows turned into clients."""
    clients = await _board_clients(ctx, [edge.node for edge in page.edges], board_month)
    for edge, client in zip(page.edges, clients, strict=True):
        edge.node = client


async def _board_clients(
    ctx: RequestContext, rows: list[Collaboration], board_month: date | None
) -> list[gql.PortalClient]:
    """Collaboration rows as the board's clients, with the parties' names (part of the record,
    read unscoped) and the clients' companies: one read of the companies for both."""
    async with ctx.database.session() as session:
        parties = await collaboration_parties(
            session, rows, Company.industry, Company.payroll_program
        )
    collaborations = nodes_of_parties(rows, parties)
    clients = []
    for row, collaboration in zip(rows, collaborations, strict=True):
        company = parties[row.company_id]
        clients.append(
            gql.PortalClient(
                id=row.id,
                company_id=row.company_id,
                firm_id=row.firm_id,
                company=CompanyType.of(
                    row.company_id,
                    company.name,
                    company.organisation_number,
                    company.industry,
                    company.payroll_program,
                ),
                collaboration=collaboration,
                payroll_program=company.payroll_program,
                board_month=board_month,
            )
        )
    return clients


CLIENT_BOARD = PartnerPortal(Area.COLLABORATIONS, Op.READ)


async def portal_client_by_id(
    ctx: RequestContext, collaboration_id: int
) -> gql.PortalClient | None:
    """A client of the board by its collaboration's id: as `clients` lists it (the portal only,
    an ACTIVE collaboration), showing the month being prepared."""
    try:
        CLIENT_BOARD.check(ctx.access, None)  # the rule of `clients`, the one list it is in
    except AppError:
        return None
    async with reading(ctx) as session:
        row = await session.scalar(
            select(Collaboration).where(
                Collaboration.id == collaboration_id,
                Collaboration.state == CollaborationState.ACTIVE,
            )
        )
    return (await _board_clients(ctx, [row], None))[0] if row else None


async def board_collaborations(ctx: RequestContext, client_ids: set[int]) -> set[int]:
    """The ids of the firm's ACTIVE collaborations with these clients (their board rows)."""
    if not client_ids:
        return set()
    async with reading(ctx) as session:
        found = await session.scalars(
            # The row scope keeps the firm's own collaborations (Collaboration.firm_rows).
            select(Collaboration.id).where(
                Collaboration.company_id.in_(client_ids),
                Collaboration.state == CollaborationState.ACTIVE,
            )
        )
        return set(found)


@strawberry.type
class Queries:
    clients = field(
        CLIENT_BOARD,
        clients,
        description="The firm's clients (ACTIVE collaborations) with where their payroll stands "
        "in the month being prepared: per client, its latest payroll period not yet EXPORTED "
        "(up to the current month), else the current calendar month; `month` shows that month "
        "for every client. `periodState` filters on the state shown.",
    )
