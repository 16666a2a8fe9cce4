"""The limit: hand-written Starlette endpoints that answer the scenarios' requests with the
same JSON as the product, from the same tables, with SQLAlchemy Core and orjson.

It takes the very same requests (`POST /graphql`, the same JSON body and bearer token) and
dispatches on `operationName` without parsing the document. Per request it does what a careful
hand-written endpoint would: the session lookup (one statement, plus the firm's clients in the
portal: the same access rules, read per request), then as few statements as the answer needs,
only the columns it needs, and the same writes (the partner-read audit rows of scenario 3; the
time entry or expense with its audit row, after the same checks, in one transaction, for the
write mix). The payroll basis is computed by the product's pure function
(`gql_portal.domain.payroll.compute_basis`): the limit measures the stack around it.

Served like the product: `python -m bench.limit --port P --workers N` runs uvicorn with uvloop
and httptools; the database is `GQL_PORTAL_DATABASE_URL`.
"""

from __future__ import annotations

import argparse
import base64
import os
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import Table, and_, distinct, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gql_portal.clock import STOCKHOLM
from gql_portal.config import Settings
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import WRITE_OPTION, make_engine
from gql_portal.db.expenses import Expense, ExpenseVatLine
from gql_portal.db.functions import week_start
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain import payroll as basis_domain
from gql_portal.domain.absence import AbsenceStatus
from gql_portal.domain.accounts import Industry, Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus, vat_included
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import PeriodState
from gql_portal.domain.time import week_start as monday_of
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import LIMITED_PARTNER_AREAS, Actor, Area
from gql_portal.permissions.menus import open_menus
from gql_portal.permissions.roles import SchemaRole
from gql_portal.security import token_hash

TWO = Decimal("0.01")
SESSIONS_TABLE: Table = AuthSession.__table__  # type: ignore[assignment]
SESSIONS = SESSIONS_TABLE.c
COMPANIES_TABLE: Table = Company.__table__  # type: ignore[assignment]
COMPANIES = COMPANIES_TABLE.c
MEMBERSHIPS_TABLE: Table = Membership.__table__  # type: ignore[assignment]
MEMBERSHIPS = MEMBERSHIPS_TABLE.c
USERS_TABLE: Table = User.__table__  # type: ignore[assignment]
USERS = USERS_TABLE.c
EMPLOYEES_TABLE: Table = Employee.__table__  # type: ignore[assignment]
EMPLOYEES = EMPLOYEES_TABLE.c
COLLABORATIONS_TABLE: Table = Collaboration.__table__  # type: ignore[assignment]
COLLABORATIONS = COLLABORATIONS_TABLE.c
PERIODS_TABLE: Table = PayrollPeriod.__table__  # type: ignore[assignment]
PERIODS = PERIODS_TABLE.c
ENTRIES_TABLE: Table = TimeEntry.__table__  # type: ignore[assignment]
ENTRIES = ENTRIES_TABLE.c
WEEKS_TABLE: Table = WeekAttestation.__table__  # type: ignore[assignment]
WEEKS = WEEKS_TABLE.c
EXPENSES_TABLE: Table = Expense.__table__  # type: ignore[assignment]
EXPENSES = EXPENSES_TABLE.c
CODES_TABLE: Table = TimeCode.__table__  # type: ignore[assignment]
CODES = CODES_TABLE.c
SCHEDULES_TABLE: Table = Schedule.__table__  # type: ignore[assignment]
SCHEDULES = SCHEDULES_TABLE.c
ABSENCES_TABLE: Table = Absence.__table__  # type: ignore[assignment]
ABSENCES = ABSENCES_TABLE.c
AUDIT: Table = AuditEvent.__table__  # type: ignore[assignment]
ALL_AREAS = [area.name for area in Area]
LIMITED_AREAS = [area.name for area in LIMITED_PARTNER_AREAS]
SOURCE_TYPE = {"TIME": "TimeEntry", "ABSENCE": "Absence", "EXPENSE": "Expense"}


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Viewer:
    user_id: int
    company_id: int
    role: Role
    portal: bool
    company_is_firm: bool
    employee_id: int | None
    clients: frozenset[int] = frozenset()


@dataclass
class LimitState:
    engine: AsyncEngine
    secret_key: str

    @classmethod
    def from_url(cls, url: str | None = None) -> LimitState:
        settings = Settings.from_env()
        return cls(make_engine(url or settings.database_url), settings.secret_key)


def gid(type_name: str, row_id: int) -> str:
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


def parse_gid(value: Any, type_name: str) -> int:
    try:
        kind, _, key = base64.b64decode(str(value)).decode().partition(":")
        if kind == type_name:
            return int(key)
    except ValueError:
        pass
    raise Refused("BAD_USER_INPUT", f"not the id of a {type_name}")


def money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(TWO))


def decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def name(value: Any) -> str | None:
    return None if value is None else str(value.name)


def now() -> datetime:
    return datetime.now(UTC)


# --- the session --------------------------------------------------------------------------

SESSION_QUERY = (
    select(
        SESSIONS.user_id,
        SESSIONS.company_id,
        SESSIONS.context,
        SESSIONS.acting_firm_id,
        COMPANIES.industry,
        COMPANIES.trial_ends_at,
        COMPANIES.activated_at,
        MEMBERSHIPS.role,
        EMPLOYEES.id,
    )
    .join(COMPANIES_TABLE, COMPANIES.id == SESSIONS.company_id)
    .join(
        MEMBERSHIPS_TABLE,
        and_(
            MEMBERSHIPS.user_id == SESSIONS.user_id,
            MEMBERSHIPS.company_id == SESSIONS.company_id,
        ),
    )
    .outerjoin(
        EMPLOYEES_TABLE,
        and_(
            EMPLOYEES.user_id == SESSIONS.user_id,
            EMPLOYEES.company_id == SESSIONS.company_id,
            EMPLOYEES.active,
        ),
    )
)


async def viewer_of(connection: AsyncConnection, state: LimitState, request: Request) -> Viewer:
    """The session behind the bearer token (the product's rules, without acting firms)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused("UNAUTHENTICATED", "Log in first.")
    at = now()
    row = (
        await connection.execute(
            SESSION_QUERY.where(
                SESSIONS.token_hash == token_hash(state.secret_key, token.strip()),
                SESSIONS.revoked_at.is_(None),
                SESSIONS.expires_at > at,
            )
        )
    ).first()
    if row is None:
        raise Refused("UNAUTHENTICATED", "Log in first.")
    user_id, company_id, context, acting, industry, trial_ends, activated, role, employee_id = row
    if acting is not None:
        raise Refused("UNSUPPORTED", "the limit does not act inside client companies")
    if activated is None and at >= trial_ends:
        raise Refused("TRIAL_EXPIRED", "The trial has ended.")
    is_firm = industry is Industry.ACCOUNTING_PARTNER
    portal = context is SessionContext.PORTAL and is_firm
    clients: frozenset[int] = frozenset()
    if portal:
        found = await connection.execute(
            select(COLLABORATIONS.company_id).where(
                COLLABORATIONS.firm_id == company_id,
                COLLABORATIONS.state == CollaborationState.ACTIVE,
            )
        )
        clients = frozenset(found.scalars())
    return Viewer(user_id, company_id, role, portal, is_firm, employee_id, clients)


_MENUS: dict[tuple[Role, bool, bool], list[str]] = {}


def menus(viewer: Viewer) -> list[str]:
    key = (viewer.role, viewer.portal, viewer.company_is_firm)
    if key not in _MENUS:
        role = {Role.ADMIN: SchemaRole.COMPANY_ADMIN, Role.EMPLOYEE: SchemaRole.EMPLOYEE}
        access = Access(
            role=SchemaRole.PARTNER_PORTAL if viewer.portal else role[viewer.role],
            user_id=viewer.user_id,
            company_id=viewer.company_id,
            actor=None if viewer.portal else Actor[viewer.role.name],
            company_is_firm=viewer.company_is_firm,
        )
        _MENUS[key] = [menu.name for menu in open_menus(access)]
    return _MENUS[key]


# --- 1. the viewer --------------------------------------------------------------------------


async def viewer_query(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    row = (
        await connection.execute(
            select(
                USERS.name,
                USERS.email,
                COMPANIES.name,
                COMPANIES.organisation_number,
                EMPLOYEES.first_name,
                EMPLOYEES.last_name,
            )
            .select_from(USERS_TABLE)
            .join(COMPANIES_TABLE, COMPANIES.id == viewer.company_id)
            .outerjoin(EMPLOYEES_TABLE, EMPLOYEES.id == viewer.employee_id)
            .where(USERS.id == viewer.user_id)
        )
    ).one()
    user_name, email, company_name, number, first_name, last_name = row
    return {
        "viewer": {
            "context": "PORTAL" if viewer.portal else "COMPANY",
            "role": None if viewer.portal else viewer.role.name,
            "openMenus": menus(viewer),
            "user": {"id": gid("User", viewer.user_id), "name": user_name, "email": email},
            "company": {
                "id": gid("Company", viewer.company_id),
                "name": company_name,
                "organisationNumber": format_organisation_number(number),
            },
            "employee": None
            if viewer.employee_id is None
            else {
                "id": gid("Employee", viewer.employee_id),
                "firstName": first_name,
                "lastName": last_name,
            },
        }
    }


# --- 2. the client board ----------------------------------------------------------------------


def cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).decode()


async def client_board(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    if not viewer.portal:
        raise Refused("FORBIDDEN", "Only in the partner portal.")
    first = int(variables.get("first") or 50)
    active = and_(
        COLLABORATIONS.firm_id == viewer.company_id,
        COLLABORATIONS.state == CollaborationState.ACTIVE,
    )
    page = (
        await connection.execute(
            select(
                COLLABORATIONS.id,
                COLLABORATIONS.company_id,
                COLLABORATIONS.level,
                COLLABORATIONS.state,
                COLLABORATIONS.activated_at,
                COMPANIES.name,
                COMPANIES.organisation_number,
                COMPANIES.industry,
                COMPANIES.payroll_program,
            )
            .join(COMPANIES_TABLE, COMPANIES.id == COLLABORATIONS.company_id)
            .where(active)
            .order_by(COLLABORATIONS.id)
            .limit(first + 1)
        )
    ).all()
    more, page = len(page) > first, page[:first]
    total = await connection.scalar(select(func.count()).where(active))
    ids = [row.company_id for row in page]
    today = now().astimezone(STOCKHOLM).date()
    start, end = basis_domain.month_period(today)
    periods = {
        company_id: (period_id, state)
        for period_id, company_id, state in await connection.execute(
            select(PERIODS.id, PERIODS.company_id, PERIODS.state).where(
                PERIODS.company_id.in_(ids), PERIODS.start_date == start
            )
        )
    }
    unattested = {
        company_id: count
        for company_id, count in await connection.execute(
            select(ENTRIES.company_id, func.count(distinct(ENTRIES.employee_id)))
            .outerjoin(
                WEEKS_TABLE,
                and_(
                    WEEKS.employee_id == ENTRIES.employee_id,
                    WEEKS.week_start == week_start(ENTRIES.date),
                ),
            )
            .where(
                ENTRIES.company_id.in_(ids),
                ENTRIES.date.between(start, end),
                WEEKS.id.is_(None),
            )
            .group_by(ENTRIES.company_id)
        )
    }
    waiting = {
        company_id: count
        for company_id, count in await connection.execute(
            select(EXPENSES.company_id, func.count())
            .where(EXPENSES.company_id.in_(ids), EXPENSES.status == ExpenseStatus.SUBMITTED)
            .group_by(EXPENSES.company_id)
        )
    }
    month = basis_domain.month_label(start)
    edges = []
    for row in page:
        full = row.level is AccessLevel.FULL
        period = periods.get(row.company_id)
        edges.append(
            {
                "cursor": cursor([row.id]),
                "node": {
                    "company": {
                        "id": gid("Company", row.company_id),
                        "name": row.name,
                        "organisationNumber": format_organisation_number(row.organisation_number),
                        "industry": row.industry.name,
                    },
                    "collaboration": {
                        "id": gid("Collaboration", row.id),
                        "level": row.level.name,
                        "state": row.state.name,
                        "activatedAt": iso(row.activated_at),
                        "allows": ALL_AREAS if full else LIMITED_AREAS,
                        "canEnterCompany": full,
                    },
                    "payrollProgram": name(row.payroll_program),
                    "payrollStatus": {
                        "periodStart": start.isoformat(),
                        "periodEnd": end.isoformat(),
                        "periodState": period[1].name if period else PeriodState.OPEN.name,
                        "payrollPeriod": None
                        if period is None
                        else {
                            "id": gid("PayrollPeriod", period[0]),
                            "month": month,
                            "state": period[1].name,
                        },
                        "employeesWithUnattestedWeeks": unattested.get(row.company_id, 0),
                        "expensesAwaitingApproval": waiting.get(row.company_id, 0),
                    },
                },
            }
        )
    return {
        "clients": {
            "totalCount": total,
            "pageInfo": {
                "hasNextPage": more,
                "endCursor": edges[-1]["cursor"] if edges else None,
            },
            "edges": edges,
        }
    }


# --- 3. the employees of a page of clients ---------------------------------------------------

EMPLOYEE_COLUMNS = (
    EMPLOYEES.id,
    EMPLOYEES.company_id,
    EMPLOYEES.employee_number,
    EMPLOYEES.first_name,
    EMPLOYEES.last_name,
    EMPLOYEES.email,
    EMPLOYEES.phone,
    EMPLOYEES.street_address,
    EMPLOYEES.postal_code,
    EMPLOYEES.city,
    EMPLOYEES.personal_identity_number,
    EMPLOYEES.employment_start,
    EMPLOYEES.employment_end,
    EMPLOYEES.employment_form,
    EMPLOYEES.employment_extent,
    EMPLOYEES.salary_form,
    EMPLOYEES.salary_amount,
    EMPLOYEES.tax_table,
    EMPLOYEES.tax_column,
    EMPLOYEES.bank_clearing_number,
    EMPLOYEES.bank_account_number,
)


async def client_employees(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    if not viewer.portal:
        raise Refused("FORBIDDEN", "Only in the partner portal.")
    first = int(variables.get("first") or 50)
    page = (
        await connection.execute(
            select(COLLABORATIONS.company_id, COMPANIES.name)
            .join(COMPANIES_TABLE, COMPANIES.id == COLLABORATIONS.company_id)
            .where(
                COLLABORATIONS.firm_id == viewer.company_id,
                COLLABORATIONS.state == CollaborationState.ACTIVE,
            )
            .order_by(COLLABORATIONS.id)
            .limit(first)
        )
    ).all()
    reachable = sorted({row.company_id for row in page} & viewer.clients)
    rows = await connection.execute(
        select(*EMPLOYEE_COLUMNS)
        .where(EMPLOYEES.company_id.in_(reachable), EMPLOYEES.active.is_(True))
        .order_by(EMPLOYEES.company_id, EMPLOYEES.last_name, EMPLOYEES.first_name, EMPLOYEES.id)
    )
    by_company: dict[int, list[dict[str, Any]]] = defaultdict(list)
    reads = []
    for row in rows:
        reads.append((row.company_id, row.id))
        by_company[row.company_id].append(
            {
                "id": gid("Employee", row.id),
                "employeeNumber": row.employee_number,
                "firstName": row.first_name,
                "lastName": row.last_name,
                "email": row.email,
                "phone": row.phone,
                "streetAddress": row.street_address,
                "postalCode": row.postal_code,
                "city": row.city,
                "personalIdentityNumber": row.personal_identity_number,
                "employmentStart": iso(row.employment_start),
                "employmentEnd": iso(row.employment_end),
                "employmentForm": name(row.employment_form),
                "employmentExtent": decimal(row.employment_extent),
                "salaryForm": name(row.salary_form),
                "salaryAmount": money(row.salary_amount),
                "taxTable": row.tax_table,
                "taxColumn": row.tax_column,
                "bankClearingNumber": row.bank_clearing_number,
                "bankAccountNumber": row.bank_account_number,
            }
        )
    if reads:  # the partner's reads of salary details, audited: one INSERT, as the product
        context.after = _audit_reads(viewer, context, sorted(reads))
    return {
        "clients": {
            "edges": [
                {
                    "node": {
                        "company": {"id": gid("Company", row.company_id), "name": row.name},
                        "employees": by_company.get(row.company_id, []),
                    }
                }
                for row in page
            ]
        }
    }


def _audit_reads(
    viewer: Viewer, context: Context, reads: list[tuple[int, int]]
) -> Callable[[AsyncConnection], Awaitable[None]]:
    at = now()
    rows = [
        {
            "at": at,
            "action": "PARTNER_READ",
            "area": Area.EMPLOYEE_SALARY.value,
            "company_id": company_id,
            "actor_user_id": viewer.user_id,
            "actor_firm_id": viewer.company_id,
            "client_address": context.client_address,
            "request_id": context.request_id,
            "details": {"object_type": "Employee", "object_id": employee_id},
        }
        for company_id, employee_id in reads
    ]

    async def write(connection: AsyncConnection) -> None:
        await connection.execute(insert(AUDIT), rows)

    return write


# --- 4. a period's payroll basis ---------------------------------------------------------------


async def payroll_basis(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    if viewer.portal or viewer.role is not Role.ADMIN:
        raise Refused("UNSUPPORTED", "the limit reads a basis as the company's admin")
    period_id = parse_gid(variables.get("period"), "PayrollPeriod")
    period = (
        await connection.execute(
            select(PERIODS.company_id, PERIODS.start_date, PERIODS.end_date, PERIODS.state).where(
                PERIODS.id == period_id, PERIODS.company_id == viewer.company_id
            )
        )
    ).first()
    if period is None:
        return {"node": None}
    company_id, start, end, state = period
    if state is not PeriodState.OPEN:
        raise Refused("UNSUPPORTED", "the limit computes live (OPEN) periods only")
    people = {}
    employees = []
    for row in await connection.execute(
        select(
            EMPLOYEES.id,
            EMPLOYEES.employee_number,
            EMPLOYEES.first_name,
            EMPLOYEES.last_name,
            EMPLOYEES.active,
            EMPLOYEES.salary_form,
            EMPLOYEES.salary_amount,
            EMPLOYEES.employment_start,
            EMPLOYEES.employment_end,
        ).where(EMPLOYEES.company_id == company_id)
    ):
        people[row.id] = {
            "id": gid("Employee", row.id),
            "employeeNumber": row.employee_number,
            "firstName": row.first_name,
            "lastName": row.last_name,
        }
        employees.append(
            basis_domain.BasisEmployee(
                row.id,
                row.active,
                row.salary_form,
                row.salary_amount,
                row.employment_start,
                row.employment_end,
            )
        )
    codes = [
        basis_domain.BasisTimeCode(*row)
        for row in await connection.execute(
            select(
                CODES.id,
                CODES.code,
                CODES.name,
                CODES.kind,
                CODES.paxml_code,
                CODES.pay_type,
                CODES.unit,
            ).where(CODES.company_id == company_id)
        )
    ]
    schedules = [
        basis_domain.BasisSchedule(row[0], tuple(row[1:]))
        for row in await connection.execute(
            select(
                SCHEDULES.employee_id,
                SCHEDULES.monday,
                SCHEDULES.tuesday,
                SCHEDULES.wednesday,
                SCHEDULES.thursday,
                SCHEDULES.friday,
                SCHEDULES.saturday,
                SCHEDULES.sunday,
            ).where(SCHEDULES.company_id == company_id)
        )
    ]
    entries = [
        basis_domain.BasisTimeEntry(*row)
        for row in await connection.execute(
            select(
                ENTRIES.id, ENTRIES.employee_id, ENTRIES.date, ENTRIES.hours, ENTRIES.time_code_id
            ).where(ENTRIES.company_id == company_id, ENTRIES.date >= start, ENTRIES.date <= end)
        )
    ]
    attested = {
        (employee_id, monday)
        for employee_id, monday in await connection.execute(
            select(WEEKS.employee_id, WEEKS.week_start).where(
                WEEKS.company_id == company_id,
                WEEKS.week_start >= monday_of(start),
                WEEKS.week_start <= end,
            )
        )
    }
    absences = [
        basis_domain.BasisAbsence(*row)
        for row in await connection.execute(
            select(
                ABSENCES.id,
                ABSENCES.employee_id,
                ABSENCES.kind,
                ABSENCES.start_date,
                ABSENCES.end_date,
                ABSENCES.extent_percent,
                ABSENCES.status,
            ).where(
                ABSENCES.company_id == company_id,
                ABSENCES.status == AbsenceStatus.APPROVED,
                ABSENCES.start_date <= end,
                ABSENCES.end_date >= start,
            )
        )
    ]
    expenses = [
        basis_domain.BasisExpense(*row)
        for row in await connection.execute(
            select(
                EXPENSES.id,
                EXPENSES.employee_id,
                EXPENSES.kind,
                EXPENSES.date,
                EXPENSES.description,
                EXPENSES.amount,
                EXPENSES.status,
                EXPENSES.distance_km,
                EXPENSES.rate_per_mil,
            ).where(
                EXPENSES.company_id == company_id,
                EXPENSES.status == ExpenseStatus.APPROVED,
                EXPENSES.date >= start,
                EXPENSES.date <= end,
            )
        )
    ]
    bases = basis_domain.compute_basis(
        start, end, employees, entries, attested, absences, expenses, codes, schedules
    )
    return {
        "node": {
            "id": gid("PayrollPeriod", period_id),
            "month": basis_domain.month_label(start),
            "state": state.name,
            "basis": [
                {
                    "employee": people[basis.employee_id],
                    "preliminary": basis.preliminary,
                    "unattestedWeeks": [week.isoformat() for week in basis.unattested_weeks],
                    "totalAmount": money(basis.total_amount),
                    "lines": [
                        {
                            "date": line.date.isoformat(),
                            "payType": line.pay_type,
                            "description": line.description,
                            "timeCode": line.time_code,
                            "quantity": str(line.quantity),
                            "unit": name(line.unit),
                            "unitPrice": money(line.unit_price),
                            "amount": money(line.amount),
                            "hours": decimal(line.hours),
                            "extentPercent": decimal(line.extent_percent),
                            "source": line.source.name,
                            "sourceId": gid(
                                SOURCE_TYPE.get(line.source.name, "Expense"), line.source_id
                            ),
                        }
                        for line in basis.lines
                    ],
                    "hoursByTimeCode": [
                        {
                            "timeCode": total.time_code,
                            "unit": name(total.unit),
                            "quantity": str(total.quantity),
                            "hours": str(total.hours),
                        }
                        for total in basis.hours_by_time_code
                    ],
                }
                for basis in bases
            ],
        }
    }


# --- 5. the write mix ----------------------------------------------------------------------


async def _write_transaction(state: LimitState) -> AsyncConnection:
    connection = await state.engine.connect()
    connection = await connection.execution_options(**{WRITE_OPTION: True})
    await connection.begin()
    return connection


async def _own_employee(connection: AsyncConnection, viewer: Viewer, *, lock: bool) -> int:
    if viewer.employee_id is None:
        raise Refused("BAD_USER_INPUT", "you have no employee record")
    if lock and connection.dialect.name == "postgresql":  # one time writer per employee
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(1, :employee)"), {"employee": viewer.employee_id}
        )
    return viewer.employee_id


def _audit_row(
    viewer: Viewer, context: Context, action: str, area: Area, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": now(),
        "action": action,
        "area": area.value,
        "company_id": viewer.company_id,
        "actor_user_id": viewer.user_id,
        "actor_firm_id": None,
        "subject_email": None,
        "client_address": context.client_address,
        "request_id": context.request_id,
        "details": details,
    }


async def report_time(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    values = variables["input"]
    day = date.fromisoformat(values["date"])
    hours = Decimal(values["hours"]).quantize(TWO)
    if not Decimal(0) < hours <= Decimal(24):
        raise Refused("BAD_USER_INPUT", "hours must be above 0 and at most 24")
    code_id = parse_gid(values["timeCodeId"], "TimeCode")
    comment = (values.get("comment") or "").strip() or None
    employee_id = await _own_employee(connection, viewer, lock=True)
    code_active = await connection.scalar(
        select(CODES.active).where(CODES.id == code_id, CODES.company_id == viewer.company_id)
    )
    if not code_active:
        raise Refused("BAD_USER_INPUT", "no such time code")
    attested = await connection.scalar(
        select(WEEKS.id).where(WEEKS.employee_id == employee_id, WEEKS.week_start == monday_of(day))
    )
    if attested is not None:
        raise Refused("BAD_USER_INPUT", "the week is attested")
    reported = await connection.scalar(
        select(func.sum(ENTRIES.hours)).where(
            ENTRIES.employee_id == employee_id, ENTRIES.date == day
        )
    )
    if (reported or Decimal(0)) + hours > Decimal(24):
        raise Refused("BAD_USER_INPUT", "a day has 24 hours")
    at = now()
    entry_id = await connection.scalar(
        insert(ENTRIES_TABLE)
        .values(
            company_id=viewer.company_id,
            employee_id=employee_id,
            date=day,
            hours=hours,
            time_code_id=code_id,
            project_id=None,
            activity_id=None,
            comment=comment,
            created_at=at,
            updated_at=at,
        )
        .returning(ENTRIES.id)
    )
    await connection.execute(
        insert(AUDIT),
        _audit_row(
            viewer,
            context,
            "TIME_REPORTED",
            Area.TIME,
            {
                "employee_id": employee_id,
                "time_entry_id": entry_id,
                "date": day.isoformat(),
                "hours": str(hours),
                "time_code_id": code_id,
                "project_id": None,
            },
        ),
    )
    return {
        "reportTime": {
            "timeEntry": {
                "id": gid("TimeEntry", int(entry_id or 0)),
                "date": day.isoformat(),
                "hours": str(hours),
                "comment": comment,
                "attested": False,
            }
        }
    }


async def submit_expense(
    connection: AsyncConnection, viewer: Viewer, variables: dict[str, Any], context: Context
) -> dict[str, Any]:
    values = variables["input"]
    day = date.fromisoformat(values["date"])
    if day > now().astimezone(STOCKHOLM).date():
        raise Refused("BAD_USER_INPUT", "must not be in the future")
    amount = Decimal(values["amount"]).quantize(TWO)
    rate = Decimal(values["vatRate"]).quantize(TWO)
    category = ExpenseCategory[values["category"]]
    description = values["description"].strip()
    vat = vat_included(amount, rate)
    employee_id = await _own_employee(connection, viewer, lock=False)
    at = now()
    expense_id = await connection.scalar(
        insert(EXPENSES_TABLE)
        .values(
            company_id=viewer.company_id,
            employee_id=employee_id,
            kind=ExpenseKind.EXPENSE,
            date=day,
            description=description,
            category=category,
            currency="SEK",
            amount=amount,
            vat_amount=vat,
            vat_rate=rate,
            status=ExpenseStatus.SUBMITTED,
            created_at=at,
            updated_at=at,
        )
        .returning(EXPENSES.id)
    )
    await connection.execute(  # its one VAT line, as the product keeps them
        insert(ExpenseVatLine.__table__).values(
            company_id=viewer.company_id,
            expense_id=expense_id,
            employee_id=employee_id,
            position=0,
            rate=rate,
            net=amount - vat,
            vat=vat,
        )
    )
    await connection.execute(
        insert(AUDIT),
        _audit_row(
            viewer,
            context,
            "EXPENSE_SUBMITTED",
            Area.EXPENSES_RECEIPTS,
            {
                "expense_id": expense_id,
                "employee_id": employee_id,
                "amount": str(amount),
                "vat_amount": str(vat),
            },
        ),
    )
    return {
        "submitExpense": {
            "expense": {
                "id": gid("Expense", int(expense_id or 0)),
                "kind": ExpenseKind.EXPENSE.name,
                "date": day.isoformat(),
                "description": description,
                "category": category.name,
                "amount": money(amount),
                "vatAmount": money(vat),
                "vatRate": str(rate),
                "status": ExpenseStatus.SUBMITTED.name,
            }
        }
    }


# --- the endpoint -----------------------------------------------------------------------------


@dataclass
class Context:
    request_id: str
    client_address: str
    after: Callable[[AsyncConnection], Awaitable[None]] | None = None


Handler = Callable[[AsyncConnection, Viewer, dict[str, Any], Context], Awaitable[dict[str, Any]]]
READS: dict[str, Handler] = {
    "Viewer": viewer_query,
    "ClientBoard": client_board,
    "ClientEmployees": client_employees,
    "PayrollBasis": payroll_basis,
}
WRITES: dict[str, Handler] = {"ReportTime": report_time, "SubmitExpense": submit_expense}


def respond(body: dict[str, Any], request_id: str) -> Response:
    body["extensions"] = {"requestId": request_id}
    return Response(
        orjson.dumps(body), media_type="application/json", headers={"x-request-id": request_id}
    )


async def endpoint(request: Request) -> Response:
    state: LimitState = request.app.state.limit
    request_id = uuid.uuid4().hex
    payload = orjson.loads(await request.body())
    operation = payload.get("operationName")
    variables = payload.get("variables") or {}
    context = Context(request_id, request.client.host if request.client else "unknown")
    try:
        if operation in READS:
            async with state.engine.connect() as connection:
                viewer = await viewer_of(connection, state, request)
                data = await READS[operation](connection, viewer, variables, context)
                await connection.rollback()  # reads: end the read transaction
            if context.after is not None:
                async with state.engine.connect() as connection:
                    connection = await connection.execution_options(**{WRITE_OPTION: True})
                    async with connection.begin():
                        await context.after(connection)
        elif operation in WRITES:
            async with state.engine.connect() as connection:
                viewer = await viewer_of(connection, state, request)
                await connection.rollback()
            connection = await _write_transaction(state)
            try:
                data = await WRITES[operation](connection, viewer, variables, context)
                await connection.commit()
            finally:
                await connection.close()
        else:
            raise Refused("BAD_USER_INPUT", f"the limit does not answer {operation!r}")
    except Refused as refused:
        error = {"message": str(refused), "extensions": {"code": refused.code}}
        return respond({"data": None, "errors": [error]}, request_id)
    return respond({"data": data}, request_id)


async def readyz(request: Request) -> Response:
    return Response(b'{"status":"ready"}', media_type="application/json")


def create_app(state: LimitState | None = None) -> Starlette:
    limit = state or LimitState.from_url(os.environ.get("GQL_PORTAL_DATABASE_URL"))
    app = Starlette(
        routes=[
            Route("/graphql", endpoint, methods=["POST"]),
            Route("/readyz", readyz, methods=["GET"]),
        ]
    )
    app.state.limit = limit
    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="The benchmark's limit, served like the product.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args()
    uvicorn.run(
        "bench.limit:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        log_level=args.log_level,
    )


if __name__ == "__main__":
    main()
