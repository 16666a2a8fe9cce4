"""The proof that a viewer reaches nothing it must not: the canary fuzz test, the global-id sweep,
the FULL/LIMITED differential, and NOT_FOUND for clients without an ACTIVE collaboration.

The world (`seed`): two accounting firms, FA and FB. FA works with client L (LIMITED) and client
F (FULL), and has asked client P (still PENDING). FB works with client B (FULL) and was declined
by F. Every company, the firms included, has data in every company-owned table, and every text
column of every row holds a canary unique to its owner, table and column
(`CANARY-<owner>-<table>-<column>~n~`; columns too short for that hold a short one, `Ж` and two
characters). Owners are the companies (FA, FB, L, F, B, P), the viewers' own user rows
(FA.portal, FA.full, FB.portal) and client L's employee viewer's own rows (L.self).

The viewers, and what the matrix (DESIGN.md, "Areas", "Contexts") lets each see:
- firm_a_portal: a user of FA in the partner portal. FA's clients L (LIMITED) and F (FULL) are
  the LIMITED and the FULL partner in the portal: the same session, since in the portal every
  client is reached exactly as the LIMITED column says. It sees the LIMITED areas of L and F
  (employees' contact and salary details, payroll basis, expenses and receipts), the names of
  the companies it collaborates with in any state (P's, as a pending request), its own firm
  and its firm's users; never TIME, ABSENCE, PROJECTS, SCHEDULES, SETTINGS, USERS or AUDIT
  data of a client, nothing of P's data, nothing of FB's or B's.
- firm_a_inside_f: another user of FA, logged in to client F's company (`enterClientCompany`):
  F's admin rights over F, its own firm's collaboration with F (not FB's declined one).
- firm_b_portal: a user of FB in the portal: the LIMITED areas of B; F's name (the declined
  collaboration is FB's own), nothing of F's, L's or P's data.
- employee_l: an employee of L: their own rows, L's time codes, assigned projects.
- client_b_admin: the admin of B: everything of B, nothing of anyone else.
- anonymous: nothing.

The payroll basis is PAYROLL_BASIS data computed from rows of other areas: its lines show the
time codes' names (Benämning) and the approved expenses' descriptions. The default time codes
(the ones time and absence are reported with) therefore carry `time_codes.basis` canaries,
visible wherever the basis is; each company's extra, unused code carries `time_codes` ones.

Generated operations (hypothesis-graphql, derandomized) come from each viewer's OWN role schema:
every root field, query and mutation, gets its share of GQL_PORTAL_CANARY_BUDGET operations per
viewer (default 500: about 3,000 in all), with global ids drawn from every seeded object. They
are generated in a background process while the sweep runs, then sent over HTTP. No response may
be a 5xx or carry an INTERNAL_SERVER_ERROR, and no body may contain a canary its viewer must not
see. Mutations that move a session or change a collaboration are undone after each operation,
so every operation is judged against the same expectations.

Defects this file found, now fixed and kept as regression tests: a malformed global id and a
NUL character in text (PostgreSQL) both answered INTERNAL_SERVER_ERROR. Still open, recorded as
a strict xfail on PostgreSQL: a global id whose number is beyond PostgreSQL's `integer`; the
generator keeps its made-up ids within it so that the fuzz test speaks for the rest.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import multiprocessing
import os
import re
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries
from sqlalchemy import Column, Enum, String, Text, func, select, update

from gql_portal.db import Base
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.integrations import IntegrationState, PayrollIntegration
from gql_portal.db.mail import MailStatus, OutboxMessage
from gql_portal.db.payroll import PayrollEmployee, PayrollLine, PayrollPeriod
from gql_portal.db.projects import Activity, Customer, Project, ProjectAssignment
from gql_portal.db.schedules import Schedule
from gql_portal.db.scope import company_owned_models
from gql_portal.db.settings import CompanySettings, TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.demo import organisation_number
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.accounts import Industry, PayrollProgram, Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import LineSource, PeriodState
from gql_portal.domain.time import DEFAULT_TIME_CODES, TimeCodeKind, Unit
from gql_portal.permissions.matrix import LIMITED_PARTNER_AREAS, Area
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import role_schema
from gql_portal.security import SESSION_TOKEN_PREFIX, new_token, token_hash
from tests.conftest import Api, error_codes
from tests.factories import Factory, gid

BUDGET = int(os.environ.get("GQL_PORTAL_CANARY_BUDGET", "500"))

# --- canaries --------------------------------------------------------------------------------

SHORT_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Text no viewer may ever see, whoever owns it.
INTERNAL_COLUMNS = frozenset(
    {
        ("users", "password_hash"),
        ("receipts", "storage_key"),
        ("exports", "storage_key"),
        ("auth_sessions", "user_agent"),
    }
)
INTERNAL_TABLES = frozenset({"email_outbox"})
# Vocabulary, not free text: values the code parses or looks up, which must stay valid.
# (The default time codes' code, PAXml code and pay type are what the payroll basis maps.)
VOCABULARY_COLUMNS = frozenset({("company_settings", "period_kind"), ("audit_events", "area")})


def text_columns(table: Any) -> list[Column[Any]]:
    return [
        column
        for column in table.columns
        if isinstance(column.type, String | Text) and not isinstance(column.type, Enum)
    ]


@dataclass(frozen=True)
class Key:
    owner: str
    table: str
    column: str

    def __str__(self) -> str:
        return f"{self.owner}/{self.table}.{self.column}"


class Canaries:
    """Every canary value written, and whose it is."""

    def __init__(self) -> None:
        self.keys: dict[str, Key] = {}
        self._serial = itertools.count(1)
        self._short = itertools.count(0)

    def value(self, owner: str, table: str, column: str, limit: int | None) -> str:
        value = f"CANARY-{owner}-{table}-{column}~{next(self._serial)}~"
        if limit is not None and len(value) > limit:
            n = next(self._short)
            assert n < len(SHORT_ALPHABET) ** 2, "out of short canaries"
            value = "Ж" + SHORT_ALPHABET[n // 36] + SHORT_ALPHABET[n % 36]
        self.keys[value] = Key(owner, table, column)
        return value

    def fill(
        self, row: Any, owner: str, *, table: str | None = None, keep: Iterable[str] = ()
    ) -> Any:
        """Every text column of `row` (but `keep` and vocabulary) gets a canary of `owner`."""
        tag = table or row.__tablename__
        kept = set(keep)
        for column in text_columns(row.__table__):
            if column.name in kept or (row.__tablename__, column.name) in VOCABULARY_COLUMNS:
                continue
            limit = getattr(column.type, "length", None)
            setattr(row, column.key, self.value(owner, tag, column.name, limit))
        return row

    def add(self, value: str, owner: str, table: str, column: str) -> None:
        """A value that identifies `owner` although it is not a canary (organisation numbers)."""
        self.keys[value] = Key(owner, table, column)

    def forbidden_pattern(self, visible: frozenset[tuple[str, str]]) -> re.Pattern[str]:
        values = [value for value, key in self.keys.items() if not may_see(visible, key)]
        # Longest first, so that a longer value is reported whole.
        values.sort(key=len, reverse=True)
        return re.compile("|".join(re.escape(value) for value in values))


def may_see(visible: frozenset[tuple[str, str]], key: Key) -> bool:
    if key.table in INTERNAL_TABLES or (key.table, key.column) in INTERNAL_COLUMNS:
        return False
    return (key.owner, key.table) in visible


# --- the world -------------------------------------------------------------------------------

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
OPEN_MONTH = date(2026, 3, 1)
LOCKED_MONTH = date(2026, 2, 1)
ATTESTED_WEEK = date(2026, 3, 2)
_numbers = itertools.count(3_100_000)


@dataclass(frozen=True)
class Obj:
    """A seeded object with a global id."""

    type_name: str
    id: int
    company: str  # the company code it belongs to ("" for users)
    owner: str  # the owner tag of its canaries
    area: Area | None

    @property
    def gid(self) -> str:
        return gid(self.type_name, self.id)


@dataclass
class SessionState:
    id: int
    context: SessionContext
    company_id: int
    acting_firm_id: int | None


@dataclass
class World:
    canaries: Canaries
    company_ids: dict[str, int] = field(default_factory=dict)
    objects: list[Obj] = field(default_factory=list)
    tokens: dict[str, str | None] = field(default_factory=dict)
    user_ids: dict[str, int] = field(default_factory=dict)
    sessions: list[SessionState] = field(default_factory=list)
    collaborations: dict[int, tuple[CollaborationState, AccessLevel]] = field(default_factory=dict)
    collaboration_firms: dict[int, str] = field(default_factory=dict)
    memberships: list[tuple[int, int, Role]] = field(default_factory=list)
    admin_tokens: dict[str, str] = field(default_factory=dict)

    def company_code(self, company_id: int) -> str:
        return next(code for code, id_ in self.company_ids.items() if id_ == company_id)


class Seeder:
    """Writes the world straight into the database, in one transaction."""

    def __init__(self, session: Any, world: World, secret: str) -> None:
        self.session = session
        self.world = world
        self.secret = secret
        self.canary = world.canaries

    def obj(self, type_name: str, row_id: int, company: str, owner: str, area: Area | None) -> None:
        self.world.objects.append(Obj(type_name, row_id, company, owner, area))

    async def flush(self, *rows: Any) -> None:
        self.session.add_all(rows)
        await self.session.flush()

    async def company(self, code: str, *, firm: bool = False) -> Company:
        number = organisation_number(next(_numbers))
        company = Company(
            organisation_number=number,
            industry=Industry.ACCOUNTING_PARTNER if firm else Industry.CONSTRUCTION,
            created_at=NOW - timedelta(days=400),
            trial_ends_at=NOW - timedelta(days=380),
            activated_at=NOW - timedelta(days=390),
        )
        self.canary.fill(company, code, keep={"organisation_number"})
        self.canary.add(number, code, "companies", "organisation_number")
        self.canary.add(
            format_organisation_number(number), code, "companies", "organisation_number"
        )
        await self.flush(company)
        self.world.company_ids[code] = company.id
        self.obj("Company", company.id, code, code, Area.COMPANY_IDENTITY)
        return company

    async def user(self, company: Company, owner: str, role: Role) -> User:
        user = User(email_verified_at=NOW, password_changed_at=NOW, created_at=NOW)
        self.canary.fill(user, owner)
        await self.flush(user)
        await self.flush(
            Membership(user_id=user.id, company_id=company.id, role=role, created_at=NOW)
        )
        self.world.memberships.append((user.id, company.id, role))
        self.obj("User", user.id, "", owner, None)
        return user

    async def log_in(
        self,
        viewer: str,
        user: User,
        company: Company,
        context: SessionContext,
    ) -> str:
        token = new_token(SESSION_TOKEN_PREFIX)
        auth = AuthSession(
            token_hash=token_hash(self.secret, token),
            user_id=user.id,
            context=context,
            company_id=company.id,
            created_at=NOW,
            expires_at=NOW + timedelta(days=30),
        )
        self.canary.fill(auth, viewer, keep={"token_hash"})
        await self.flush(auth)
        self.world.tokens[viewer] = token
        self.world.user_ids[viewer] = user.id
        self.world.sessions.append(SessionState(auth.id, context, company.id, None))
        return token

    async def export(
        self, company: Company, owner: str, firm: Company | None, made_by: User, code: str
    ) -> None:
        """A finished export of `company`'s payroll basis (by `firm`, if given): its texts
        belong to `owner`, e.g. "L.FA" for the one firm FA made of client L."""
        export = self.canary.fill(
            Export(
                company_id=company.id,
                firm_id=firm.id if firm else None,
                kind=ExportKind.PAYROLL_BATCH if firm is company else ExportKind.PAYROLL_BASIS,
                format=ExportFormat.PAXML,
                area=Area.PAYROLL_BASIS,
                state=ExportState.DONE,
                progress=100,
                date_from=LOCKED_MONTH,
                date_to=date(2026, 2, 28),
                options={},
                summary={"lines": 2, "total_amount": "0.00"},
                size_bytes=1234,
                created_by_user_id=made_by.id,
                created_at=NOW,
                finished_at=NOW,
            ),
            owner,
        )
        await self.flush(export)
        self.obj("Export", export.id, code, owner, Area.PAYROLL_BASIS)

    async def collaboration(
        self,
        firm: Company,
        client: Company,
        level: AccessLevel,
        state: CollaborationState,
        initiated_by: Initiator = Initiator.FIRM,
    ) -> int:
        row = Collaboration(
            company_id=client.id,
            firm_id=firm.id,
            level=level,
            state=state,
            initiated_by=initiated_by,
            created_at=NOW - timedelta(days=60),
            activated_at=NOW - timedelta(days=59) if state is CollaborationState.ACTIVE else None,
            ended_at=None,
            updated_at=NOW - timedelta(days=59),
        )
        await self.flush(row)
        self.world.collaborations[row.id] = (state, level)
        self.world.collaboration_firms[row.id] = self.world.company_code(firm.id)
        code = self.world.company_code(client.id)
        self.obj("Collaboration", row.id, code, code, Area.COLLABORATIONS)
        return row.id

    async def company_data(
        self, company: Company, code: str, staff: list[tuple[str, User | None]], admin: User
    ) -> None:
        """Rows in every company-owned table of `company`; `staff` are its employees, each with
        the owner tag of their rows and, if they log in, their user."""
        fill = self.canary.fill
        cid = company.id
        await self.flush(CompanySettings(company_id=cid, updated_at=NOW))
        codes: dict[str, TimeCode] = {}
        for default in DEFAULT_TIME_CODES:
            codes[default.code] = TimeCode(
                company_id=cid,
                code=default.code,
                kind=default.kind,
                paxml_code=default.paxml_code,
                pay_type=default.pay_type,
                unit=default.unit,
                active=True,
                created_at=NOW,
            )
            fill(
                codes[default.code],
                code,
                table="time_codes.basis",
                keep={"code", "paxml_code", "pay_type"},
            )
        unused = fill(
            TimeCode(
                company_id=cid,
                kind=TimeCodeKind.WORK,
                unit=Unit.HOURS,
                active=False,
                created_at=NOW,
            ),
            code,
        )
        await self.flush(*codes.values(), unused)
        for row in [*codes.values(), unused]:
            self.obj("TimeCode", row.id, code, code, Area.TIME)

        # Projects: the first one's customer and activity are assigned to the first employee.
        first_owner = staff[0][0]
        customers = [
            fill(Customer(company_id=cid, created_at=NOW), first_owner),
            fill(Customer(company_id=cid, created_at=NOW), code),
        ]
        await self.flush(*customers)
        projects = [
            fill(Project(company_id=cid, customer_id=customers[0].id, created_at=NOW), first_owner),
            fill(Project(company_id=cid, customer_id=customers[1].id, created_at=NOW), code),
        ]
        await self.flush(*projects)
        activities = [
            fill(Activity(company_id=cid, project_id=projects[0].id), first_owner),
            fill(Activity(company_id=cid, project_id=projects[1].id), code),
        ]
        await self.flush(*activities)
        for owner, rows in [
            (first_owner, (customers[0], projects[0], activities[0])),
            (code, (customers[1], projects[1], activities[1])),
        ]:
            for row, name in zip(rows, ("Customer", "Project", "Activity"), strict=True):
                self.obj(name, row.id, code, owner, Area.PROJECTS)

        period_open = PayrollPeriod(
            company_id=cid,
            start_date=OPEN_MONTH,
            end_date=date(2026, 3, 31),
            state=PeriodState.OPEN,
            created_at=NOW,
        )
        period_locked = PayrollPeriod(
            company_id=cid,
            start_date=LOCKED_MONTH,
            end_date=date(2026, 2, 28),
            state=PeriodState.LOCKED,
            locked_at=NOW - timedelta(days=1),
            locked_by_user_id=admin.id,
            created_at=NOW - timedelta(days=30),
        )
        await self.flush(period_open, period_locked)
        for period in (period_open, period_locked):
            self.obj("PayrollPeriod", period.id, code, code, Area.PAYROLL_BASIS)

        for index, (owner, user) in enumerate(staff):
            employee = fill(
                Employee(
                    company_id=cid,
                    user_id=user.id if user else None,
                    active=index != 2,  # the third is a former employee
                    employment_start=date(2020, 1, 1),
                    employment_form=EmploymentForm.PERMANENT,
                    employment_extent=Decimal("100"),
                    salary_form=SalaryForm.MONTHLY,
                    salary_amount=Decimal("38000"),
                    tax_table=33,
                    tax_column=1,
                    created_at=NOW,
                    updated_at=NOW,
                ),
                owner,
            )
            await self.flush(employee)
            self.obj("Employee", employee.id, code, owner, Area.EMPLOYEE_CONTACT)
            eid = employee.id
            schedule = Schedule(
                company_id=cid,
                employee_id=eid,
                monday=Decimal("8"),
                tuesday=Decimal("8"),
                wednesday=Decimal("8"),
                thursday=Decimal("8"),
                friday=Decimal("8"),
                saturday=Decimal("0"),
                sunday=Decimal("0"),
                updated_at=NOW,
            )
            attested = WeekAttestation(
                company_id=cid,
                employee_id=eid,
                week_start=ATTESTED_WEEK,
                attested_at=NOW,
                attested_by_user_id=admin.id,
            )
            entries = [
                fill(
                    TimeEntry(
                        company_id=cid,
                        employee_id=eid,
                        date=day,
                        hours=Decimal("8"),
                        time_code_id=codes["ARB"].id,
                        project_id=projects[0].id if index == 0 else None,
                        activity_id=activities[0].id if index == 0 else None,
                        created_at=NOW,
                        updated_at=NOW,
                    ),
                    owner,
                )
                for day in (ATTESTED_WEEK, date(2026, 2, 25))
            ]
            absences = [
                fill(
                    Absence(
                        company_id=cid,
                        employee_id=eid,
                        kind=kind,
                        start_date=day,
                        end_date=day,
                        extent_percent=Decimal("100"),
                        status=status,
                        decided_by_user_id=admin.id
                        if status is not AbsenceStatus.REQUESTED
                        else None,
                        decided_at=NOW if status is not AbsenceStatus.REQUESTED else None,
                        created_at=NOW,
                    ),
                    owner,
                )
                for kind, day, status in [
                    (AbsenceKind.SICK, date(2026, 3, 3), AbsenceStatus.APPROVED),
                    (AbsenceKind.VACATION, date(2026, 3, 10), AbsenceStatus.REJECTED),
                    (AbsenceKind.VAB, date(2026, 3, 12), AbsenceStatus.REQUESTED),
                ]
            ]
            expenses = [
                fill(
                    Expense(
                        company_id=cid,
                        employee_id=eid,
                        kind=ExpenseKind.EXPENSE,
                        date=date(2026, 3, 1),
                        category=ExpenseCategory.OFFICE_SUPPLIES,
                        amount=Decimal("125.00"),
                        vat_amount=Decimal("25.00"),
                        vat_rate=Decimal("25"),
                        status=status,
                        decided_by_user_id=admin.id,
                        decided_at=NOW,
                        created_at=NOW,
                        updated_at=NOW,
                    ),
                    owner,
                )
                for status in (ExpenseStatus.APPROVED, ExpenseStatus.REJECTED)
            ]
            await self.flush(schedule, attested, *entries, *absences, *expenses)
            receipt = fill(
                Receipt(
                    company_id=cid,
                    expense_id=expenses[0].id,
                    employee_id=eid,
                    size_bytes=1234,
                    uploaded_at=NOW,
                ),
                owner,
            )
            lines = [
                fill(
                    PayrollLine(
                        company_id=cid,
                        period_id=period_locked.id,
                        employee_id=eid,
                        position=position,
                        date=date(2026, 2, 10),
                        quantity=Decimal("8"),
                        unit=Unit.HOURS,
                        unit_price=None,
                        amount=None,
                        source=LineSource.TIME,
                        source_id=entries[1].id,
                        hours=Decimal("8"),
                    ),
                    owner,
                )
                for position in (1, 2)
            ]
            frozen = PayrollEmployee(
                company_id=cid,
                period_id=period_locked.id,
                employee_id=eid,
                unattested_weeks=["2026-02-23"],
            )
            await self.flush(receipt, *lines, frozen)
            if index == 0:
                await self.flush(
                    ProjectAssignment(company_id=cid, project_id=projects[0].id, employee_id=eid)
                )
            for row in entries:
                self.obj("TimeEntry", row.id, code, owner, Area.TIME)
            for row in absences:
                self.obj("Absence", row.id, code, owner, Area.ABSENCE)
            for row in expenses:
                self.obj("Expense", row.id, code, owner, Area.EXPENSES_RECEIPTS)
            self.obj("Receipt", receipt.id, code, owner, Area.EXPENSES_RECEIPTS)

        integration = PayrollIntegration(
            company_id=cid,
            program=PayrollProgram.VISMA_LON_SMART,
            state=IntegrationState.ACTIVE,
            activated_at=NOW,
            activated_by_user_id=admin.id,
        )
        await self.flush(integration)
        self.obj("PayrollIntegration", integration.id, code, code, Area.INTEGRATIONS)

        audit = AuditEvent(at=NOW, company_id=cid, actor_user_id=admin.id, details={})
        fill(audit, code)
        audit.details = {"note": self.canary.value(code, "audit_events", "details", None)}
        mail = OutboxMessage(
            company_id=cid,
            links=[],
            status=MailStatus.SENT,
            attempts=1,
            next_attempt_at=NOW,
            created_at=NOW,
            sent_at=NOW,
        )
        fill(mail, code)
        await self.flush(audit, mail)


async def seed(database: Database, secret: str) -> World:
    world = World(Canaries())
    async with database.transaction() as session:
        s = Seeder(session, world, secret)
        fa = await s.company("FA", firm=True)
        fb = await s.company("FB", firm=True)
        client = {code: await s.company(code) for code in ("L", "F", "B", "P")}

        fa_portal = await s.user(fa, "FA.portal", Role.ADMIN)
        fa_full = await s.user(fa, "FA.full", Role.ADMIN)
        fb_portal = await s.user(fb, "FB.portal", Role.ADMIN)
        admins = {code: await s.user(company, code, Role.ADMIN) for code, company in client.items()}
        firm_admins = {"FA": fa_portal, "FB": fb_portal}
        l_self = await s.user(client["L"], "L.self", Role.EMPLOYEE)
        others = {
            code: await s.user(company, code, Role.EMPLOYEE) for code, company in client.items()
        }

        await s.collaboration(fa, client["L"], AccessLevel.LIMITED, CollaborationState.ACTIVE)
        await s.collaboration(
            fa, client["F"], AccessLevel.FULL, CollaborationState.ACTIVE, Initiator.CLIENT
        )
        await s.collaboration(fa, client["P"], AccessLevel.FULL, CollaborationState.PENDING)
        await s.collaboration(fb, client["B"], AccessLevel.FULL, CollaborationState.ACTIVE)
        await s.collaboration(fb, client["F"], AccessLevel.LIMITED, CollaborationState.DECLINED)

        for code, company in client.items():
            first = ("L.self", l_self) if code == "L" else (code, others[code])
            staff = [first, (code, others[code] if code == "L" else None), (code, None)]
            await s.company_data(company, code, staff, admins[code])
        for code, firm in (("FA", fa), ("FB", fb)):
            await s.company_data(
                firm, code, [(code, None), (code, None), (code, None)], firm_admins[code]
            )

        # Exports: each client's own, those its firm made, and a firm's batch.
        for code, company in client.items():
            await s.export(company, code, None, admins[code], code)
        await s.export(client["L"], "L.FA", fa, fa_portal, "L")
        await s.export(client["F"], "F.FA", fa, fa_full, "F")
        await s.export(client["B"], "B.FB", fb, fb_portal, "B")
        await s.export(fa, "FA.batch", fa, fa_portal, "FA")

        await s.log_in("firm_a_portal", fa_portal, fa, SessionContext.PORTAL)
        await s.log_in("firm_a_inside_f", fa_full, fa, SessionContext.PORTAL)
        await s.log_in("firm_b_portal", fb_portal, fb, SessionContext.PORTAL)
        await s.log_in("employee_l", l_self, client["L"], SessionContext.COMPANY)
        await s.log_in("client_b_admin", admins["B"], client["B"], SessionContext.COMPANY)
        for code in ("L", "F"):
            token = new_token(SESSION_TOKEN_PREFIX)
            session.add(
                AuthSession(
                    token_hash=token_hash(secret, token),
                    user_id=admins[code].id,
                    context=SessionContext.COMPANY,
                    company_id=client[code].id,
                    created_at=NOW,
                    expires_at=NOW + timedelta(days=30),
                )
            )
            world.admin_tokens[code] = token
    world.tokens["anonymous"] = None
    return world


ENTER = "mutation($id: ID!) { enterClientCompany(clientId: $id) { viewer { context role } } }"


async def enter_f(api: Api, database: Database, world: World) -> None:
    """firm_a_inside_f logs in to client F's company, through the API."""
    body = await api(
        ENTER, {"id": gid("Company", world.company_ids["F"])}, token=world.tokens["firm_a_inside_f"]
    )
    assert body["data"]["enterClientCompany"]["viewer"] == {
        "context": "COMPANY",
        "role": "ADMIN",
    }, body
    async with database.session() as session:
        for state in world.sessions:
            row = await session.get_one(AuthSession, state.id)
            state.context, state.company_id, state.acting_firm_id = (
                row.context,
                row.company_id,
                row.acting_firm_id,
            )


# --- what each viewer may see ----------------------------------------------------------------

COMPANY_TABLES = (
    "companies",
    "users",
    "employees",
    "time_entries",
    "absences",
    "expenses",
    "receipts",
    "projects",
    "customers",
    "activities",
    "time_codes",
    "time_codes.basis",
    "payroll_lines",
    "audit_events",
)
# The LIMITED areas as tables: employees (contact and salary), expenses and receipts, and the
# payroll basis (its frozen lines, and the time codes' names its computed lines show).
LIMITED_TABLES = ("employees", "expenses", "receipts", "payroll_lines", "time_codes.basis")
OWN_EMPLOYEE_TABLES = (
    "employees",
    "time_entries",
    "absences",
    "expenses",
    "receipts",
    "payroll_lines",
    "projects",  # assigned
    "customers",  # of assigned projects
    "activities",  # of assigned projects
)


def _pairs(owners: Iterable[str], tables: Iterable[str]) -> set[tuple[str, str]]:
    return {(owner, table) for owner in owners for table in tables}


VISIBLE: dict[str, frozenset[tuple[str, str]]] = {
    "firm_a_portal": frozenset(
        _pairs(("FA", "L", "F", "P"), ["companies"])
        | _pairs(("FA.portal", "FA.full"), ["users"])  # the firm's own users
        | _pairs(("L", "L.self", "F"), LIMITED_TABLES)
        | _pairs(("L.FA", "F.FA", "FA.batch"), ["exports"])  # the exports the firm made
    ),
    "firm_a_inside_f": frozenset(
        _pairs(("F", "FA"), ["companies"])  # FA: its own collaboration's firm
        | _pairs(("F",), COMPANY_TABLES)
        | _pairs(("F", "F.FA"), ["exports"])
        # F's audit trail names the firm's users who read or changed F's data.
        | _pairs(("FA.portal", "FA.full"), ["users"])
    ),
    "firm_b_portal": frozenset(
        _pairs(("FB", "B", "F"), ["companies"])  # F: its own (declined) collaboration
        | _pairs(("FB.portal",), ["users"])
        | _pairs(("B",), LIMITED_TABLES)
        | _pairs(("B.FB",), ["exports"])
    ),
    "employee_l": frozenset(
        _pairs(("L",), ["companies", "time_codes", "time_codes.basis"])
        | _pairs(("L.self",), ["users", *OWN_EMPLOYEE_TABLES])
    ),
    "client_b_admin": frozenset(
        _pairs(("B", "FB"), ["companies"])
        | _pairs(("B",), COMPANY_TABLES)
        | _pairs(("B", "B.FB"), ["exports"])
        | _pairs(("FB.portal",), ["users"])  # B's audit trail names FB's users
    ),
    "anonymous": frozenset(),
}

NODE_TYPES = (
    "Company",
    "User",
    "Employee",
    "TimeCode",
    "TimeEntry",
    "Absence",
    "Expense",
    "Receipt",
    "PayrollPeriod",
    "Customer",
    "Project",
    "Activity",
    "Collaboration",
    "PayrollIntegration",
    "Export",
)
ROLES: dict[str, SchemaRole] = {
    "anonymous": SchemaRole.PUBLIC,
    "firm_a_portal": SchemaRole.PARTNER_PORTAL,
    "firm_a_inside_f": SchemaRole.COMPANY_ADMIN,
    "firm_b_portal": SchemaRole.PARTNER_PORTAL,
    "employee_l": SchemaRole.EMPLOYEE,
    "client_b_admin": SchemaRole.COMPANY_ADMIN,
}
VIEWERS = list(ROLES)
LIMITED_AREAS = frozenset(LIMITED_PARTNER_AREAS)


def reachable(viewer: str, obj: Obj, world: World) -> bool:
    """Whether `node(id:)` may answer `obj` to `viewer` (by the matrix and the contexts)."""
    if obj.type_name == "User":
        return world.user_ids.get(viewer) == obj.id  # only their own account
    if obj.type_name == "Collaboration":
        firm = {"firm_a_portal": "FA", "firm_b_portal": "FB"}.get(viewer)
        if firm is not None:
            return _collaboration_firm(world, obj.id) == firm
        if viewer == "firm_a_inside_f":
            return obj.company == "F" and _collaboration_firm(world, obj.id) == "FA"
        if viewer == "client_b_admin":
            return obj.company == "B"
        return False
    if viewer in ("firm_a_portal", "firm_b_portal"):
        home, clients = ("FA", {"L", "F"}) if viewer == "firm_a_portal" else ("FB", {"B"})
        if obj.type_name == "Export":  # the firm's own: of its current clients, its batches
            made_here = obj.owner in (f"{obj.company}.{home}", f"{home}.batch")
            return made_here and obj.company in clients | {home}
        if obj.type_name == "Company":
            return obj.company in clients | {home}
        return obj.company in clients and obj.area in LIMITED_AREAS
    if viewer == "firm_a_inside_f":
        return obj.company == "F"
    if viewer == "client_b_admin":
        return obj.company == "B"
    if viewer == "employee_l":
        if obj.company != "L":
            return False
        return obj.type_name in ("Company", "TimeCode", "PayrollPeriod") or obj.owner == "L.self"
    return False


def _collaboration_firm(world: World, collaboration_id: int) -> str:
    return world.collaboration_firms[collaboration_id]


# --- sending and checking --------------------------------------------------------------------

# Mutations that move or end a session, or change what a firm reaches: after one of them the
# seeded sessions, memberships and collaborations are put back, so every operation is checked
# against the same expectations.
SESSION_CHANGING = re.compile(
    r"\b(logOut|enterPartnerPortal|enterClientCompany|activate|changePassword|resetPassword)\b"
)
COLLABORATION_CHANGING = re.compile(
    r"\b(acceptCollaboration|declineCollaboration|endCollaboration|changeCollaborationLevel"
    r"|requestLevelChange)\b"
)
MEMBERSHIP_CHANGING = re.compile(r"\b(removeUser|changeUserRole)\b")


@dataclass
class Finding:
    viewer: str
    operation: str
    variables: dict[str, Any] | None
    problem: str

    def __str__(self) -> str:
        variables = f" variables={self.variables}" if self.variables else ""
        operation = " ".join(self.operation.split())
        return f"[{self.viewer}] {self.problem}\n    {operation[:1500]}{variables}"


class Probe:
    """Sends operations as the viewers and records every 5xx, masked error and leaked canary."""

    def __init__(self, http: httpx.AsyncClient, database: Database, world: World) -> None:
        self.http = http
        self.database = database
        self.world = world
        self.patterns = {
            viewer: world.canaries.forbidden_pattern(VISIBLE[viewer]) for viewer in VIEWERS
        }
        self.findings: list[Finding] = []
        self.sent: dict[str, int] = dict.fromkeys(VIEWERS, 0)

    async def send(
        self, viewer: str, operation: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        token = self.world.tokens[viewer]
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": operation, "variables": variables or {}}, headers=headers
        )
        self.sent[viewer] += 1
        problems = []
        if response.status_code >= 500:
            problems.append(f"HTTP {response.status_code}")
        leaked = {
            str(self.world.canaries.keys[match])
            for match in self.patterns[viewer].findall(response.text)
        }
        if leaked:
            problems.append("LEAK of " + ", ".join(sorted(leaked)))
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
            problems.append(f"not JSON (HTTP {response.status_code})")
        for error in body.get("errors") or []:
            if (error.get("extensions") or {}).get("code") == "INTERNAL_SERVER_ERROR":
                problems.append(f"INTERNAL_SERVER_ERROR at {error.get('path')}")
        self.findings.extend(Finding(viewer, operation, variables, p) for p in problems)
        if operation.lstrip().startswith("mutation"):
            await self.restore(operation)
        return body

    async def restore(self, operation: str) -> None:
        """Puts back what `operation` may have changed of the seeded sessions, collaborations
        and the viewers' memberships."""
        sessions = SESSION_CHANGING.search(operation)
        collaborations = COLLABORATION_CHANGING.search(operation)
        memberships = MEMBERSHIP_CHANGING.search(operation)
        if not (sessions or collaborations or memberships):
            return
        viewer_users = set(self.world.user_ids.values())
        async with self.database.transaction() as session:
            if sessions:
                for state in self.world.sessions:
                    await session.execute(
                        update(AuthSession)
                        .where(AuthSession.id == state.id)
                        .values(
                            context=state.context,
                            company_id=state.company_id,
                            acting_firm_id=state.acting_firm_id,
                            revoked_at=None,
                            expires_at=NOW + timedelta(days=30),
                        )
                    )
            if collaborations:
                for collaboration_id, (state_, level) in self.world.collaborations.items():
                    await session.execute(
                        update(Collaboration)
                        .where(Collaboration.id == collaboration_id)
                        .values(state=state_, level=level, requested_level=None, ended_at=None)
                    )
            if memberships:
                for user_id, company_id, role in self.world.memberships:
                    if user_id in viewer_users:
                        await session.execute(
                            update(Membership)
                            .where(
                                Membership.user_id == user_id, Membership.company_id == company_id
                            )
                            .values(role=role)
                        )

    def report(self) -> str:
        return f"{len(self.findings)} findings:\n" + "\n".join(str(f) for f in self.findings[:40])


# --- generated operations --------------------------------------------------------------------


INT32_MAX = 2**31 - 1
# Any text but NUL (see `generated_operations`).
TEXT = st.text(st.characters(min_codepoint=1, exclude_categories=["Cs"]), max_size=12)


def global_ids() -> st.SearchStrategy[str]:
    """Seeded objects' global ids (as placeholders, `@gid<n>@`, replaced when the operation is
    sent: the n-th seeded object, modulo their number), well-formed global ids of no object or
    of a wrong type, and malformed ones.

    Made-up numeric ids stay within PostgreSQL's `integer`: beyond it one answers
    INTERNAL_SERVER_ERROR there, see `test_a_global_id_beyond_the_integer_range_is_not_found`.
    """
    types = [*NODE_TYPES, "Nope", ""]
    made_up = st.builds(
        lambda type_name, node_id: base64.b64encode(f"{type_name}:{node_id}".encode()).decode(),
        st.sampled_from(types),
        st.one_of(st.integers(-INT32_MAX, INT32_MAX).map(str), TEXT),
    )
    seeded = st.integers(0, 9999).map("@gid{}@".format)
    return st.one_of(seeded, seeded, seeded, made_up, TEXT)


PLACEHOLDER = re.compile(r"@gid(\d+)@")


def with_ids(operation: str, ids: list[str]) -> str:
    return PLACEHOLDER.sub(lambda match: ids[int(match[1]) % len(ids)], operation)


def scalar_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Values for the custom scalars, and global ids (see `global_ids`)."""
    junk = TEXT
    decimals = st.decimals(
        min_value=Decimal("-1000"), max_value=Decimal("100000"), places=2, allow_nan=False
    ).map(str)
    return {
        "ID": global_ids().map(nodes.String),
        "Date": st.one_of(
            st.dates(date(2025, 12, 1), date(2026, 4, 30)).map(date.isoformat), junk
        ).map(nodes.String),
        "DateTime": st.datetimes(datetime(2025, 1, 1), datetime(2027, 1, 1))
        .map(lambda moment: moment.isoformat() + "+00:00")
        .map(nodes.String),
        "Decimal": st.one_of(decimals, junk).map(nodes.String),
        "Money": st.one_of(decimals, junk).map(nodes.String),
        "Upload": st.just(nodes.String("not-a-file")),
    }


def draw(strategy: st.SearchStrategy[str], count: int) -> list[str]:
    """`count` operations from `strategy`, the same ones on every run."""
    drawn: list[str] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        # function_scoped_fixture among them; large operations are what is wanted here.
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(operation: str) -> None:
        drawn.append(operation)

    collect()
    return drawn


def generated_operations(viewer: str, budget: int) -> list[str]:
    """About `budget` operations from the viewer's own schema: each root field (query and
    mutation) gets its share, drawn with that field alone at the root (small operations, so
    that every field is exercised); a tenth are drawn over all root fields at once.

    Strings hold no NUL character: the endpoint refuses a body with one before anything else
    (see `test_a_nul_character_in_text_is_bad_input_not_an_internal_error`), so such an
    operation would test nothing more."""
    schema = role_schema(ROLES[viewer])
    sdl = schema.as_str()
    scalars = scalar_strategies()
    roots = [
        (kind, name)
        for kind, root in (
            ("query", schema._schema.query_type),
            ("mutation", schema._schema.mutation_type),
        )
        if root is not None
        for name in root.fields
    ]
    mixed = budget // 10
    share, extra = divmod(budget - mixed, len(roots))
    operations: list[str] = []
    for index, (kind, name) in enumerate(roots):
        make = queries if kind == "query" else mutations
        count = share + (1 if index < extra else 0)
        if count:
            operations += draw(
                make(sdl, fields=[name], custom_scalars=scalars, allow_x00=False), count
            )
    operations += draw(queries(sdl, custom_scalars=scalars, allow_x00=False), mixed - mixed // 2)
    operations += draw(mutations(sdl, custom_scalars=scalars, allow_x00=False), mixed // 2)
    return operations


async def world_with_viewers(api: Api, database: Database, secret: str) -> World:
    world = await seed(database, secret)
    await enter_f(api, database, world)
    return world


class Generator:
    """Generates every viewer's operations in one background process, while the tests seed
    and send (generating costs about as much as sending; this machine has two cores)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Future[list[str]]] = {}
        self.executor: ProcessPoolExecutor | None = None
        try:
            self.executor = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            for viewer in VIEWERS:
                self.jobs[viewer] = self.executor.submit(generated_operations, viewer, BUDGET)
        except OSError:  # no processes here: generate in the test's own process
            self.close()

    async def operations(self, viewer: str) -> list[str]:
        if viewer not in self.jobs:
            return generated_operations(viewer, BUDGET)
        return await asyncio.wrap_future(self.jobs[viewer])

    def close(self) -> None:
        if self.executor is not None:
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.jobs.clear()


@pytest.fixture(scope="module")
def generator() -> Iterator[Generator]:
    started = Generator()
    yield started
    started.close()


ON_POSTGRESQL = os.environ.get("GQL_PORTAL_TEST_DATABASE_URL", "").startswith("postgresql")
NUL_CASES = [  # (who, operation): one case per way the text reaches SQL
    ("anonymous", 'mutation { requestPasswordReset(email: "a\\u0000@example.se") }'),
    ("anonymous", 'mutation { resendVerificationEmail(email: "a\\u0000@example.se") }'),
    (
        "anonymous",
        'mutation { logIn(input: {email: "a\\u0000@example.se", password: "x"}) { token } }',
    ),
    (
        "anonymous",
        'mutation { signUp(input: {companyName: "A", organisationNumber: "556677-8899", '
        'industry: IT, name: "N", phone: "0701234567", email: "a\\u0000@example.se", '
        'password: "a-long-enough-passphrase"}) { email } }',
    ),
    ("admin", '{ employees(search: "a\\u0000") { totalCount } }'),
    ("admin", '{ customers(search: "a\\u0000") { totalCount } }'),
    ("admin", '{ projects(search: "a\\u0000") { totalCount } }'),
    ("admin", '{ companyUsers(search: "a\\u0000") { totalCount } }'),
    (
        "admin",
        'mutation { createEmployee(input: {employeeNumber: "7\\u0000", firstName: "A", '
        'lastName: "B"}) { employee { id } } }',
    ),
    ("admin", 'mutation { createCustomer(input: {name: "A\\u0000"}) { customer { id } } }'),
    (
        "admin",
        'mutation { inviteUser(input: {email: "a\\u0000@example.se", name: "A", role: ADMIN}) '
        "{ user { name } } }",
    ),
]


@pytest.mark.parametrize(
    ("who", "operation"),
    NUL_CASES,
    ids=[operation.split("(")[0].split()[-1] for _, operation in NUL_CASES],
)
async def test_a_nul_character_in_text_is_bad_input_not_an_internal_error(
    who: str, operation: str, api: Api, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    headers = {"authorization": f"Bearer {admin.token}"} if who == "admin" else {}
    response = await api.http.post("/graphql", json={"query": operation}, headers=headers)
    assert response.status_code == 400, response.text
    assert error_codes(response.json()) == ["BAD_USER_INPUT"]


async def test_a_malformed_global_id_is_bad_input_not_an_internal_error(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    for operation in [
        'query { node(id: "not-a-global-id") { id } }',
        'query { node(id: "") { id } }',
        'mutation { deactivateEmployee(id: "bm8tY29sb24=") { employee { id } } }',
    ]:
        codes = error_codes(await api(operation, token=admin.token))
        assert codes in (["BAD_USER_INPUT"], ["NOT_FOUND"]), (operation, codes)


BEYOND_INTEGER = [  # an id one past PostgreSQL's `integer`, wherever it reaches SQL
    f'{{ node(id: "{gid("Employee", INT32_MAX + 1)}") {{ id }} }}',
    f'{{ node(id: "{gid("Collaboration", INT32_MAX + 1)}") {{ id }} }}',
    f'{{ project(id: "{gid("Project", INT32_MAX + 1)}") {{ id }} }}',
    f'{{ expenses(employeeId: "{gid("Employee", INT32_MAX + 1)}") {{ totalCount }} }}',
    f'{{ employees(companyId: "{gid("Company", INT32_MAX + 1)}") {{ totalCount }} }}',
    f'mutation {{ deleteTimeEntry(id: "{gid("TimeEntry", INT32_MAX + 1)}") {{ deletedId }} }}',
    f'mutation {{ approveExpense(id: "{gid("Expense", INT32_MAX + 1)}") {{ expense {{ id }} }} }}',
    f'mutation {{ removeUser(userId: "{gid("User", INT32_MAX + 1)}") {{ removedUserId }} }}',
]


@pytest.mark.parametrize(
    "operation",
    BEYOND_INTEGER,
    ids=[operation.split("(")[0].split()[-1] for operation in BEYOND_INTEGER],
)
async def test_a_global_id_beyond_the_integer_range_is_not_found(
    operation: str, api: Api, factory: Factory
) -> None:
    admin = await factory.admin(await factory.company())
    codes = error_codes(await api(operation, token=admin.token))
    assert codes in ([], ["NOT_FOUND"]), codes


# --- the sweep: every global id, to every ID argument, as every viewer ------------------------

COLLECT = """{
  viewer { company { id } user { id } }
  employees(first: 100, active: null) { nodes { id expenses { id receipts { id } } } }
  timeEntries(first: 100) { nodes { id } }
  absences(first: 100) { nodes { id } }
  expenses(first: 100) { nodes { id receipts { id } } }
  projects(first: 100, active: null) { nodes { id customer { id } activities(active: null) { id } } }
  customers(first: 100) { nodes { id } }
  payrollPeriods(first: 100) { nodes { id } }
  collaborations { id }
  timeCodes(includeInactive: true) { id }
  companyUsers(first: 100) { nodes { userId } }
  payrollIntegration { id }
  exports(first: 100) { nodes { id } }
}"""
_ID_KEYS = frozenset({"id", "userId"})


def _ids_in(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k in _ID_KEYS and isinstance(v, str)}
        for child in value.values():
            found |= _ids_in(child)
        return found
    if isinstance(value, list):
        return set().union(*(_ids_in(item) for item in value)) if value else set()
    return set()


async def collect_ids(api: Api, token: str) -> set[str]:
    """Every global id an admin reaches in their company, by walking the API."""
    body = await api(COLLECT, token=token)
    assert "errors" not in body, body
    return _ids_in(body["data"])


def selection(schema: GraphQLSchema, type_: GraphQLOutputType, depth: int) -> str:
    """A selection of every field (without required arguments) down to `depth` levels."""
    named = get_named_type(type_)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
        # Aliased by type: the same field name may have other types in other fragments.
        fragments = " ".join(
            f"... on {possible.name} {{ {_fields(schema, possible, depth, possible.name)} }}"
            for possible in schema.get_possible_types(named)
        )
        return f"{{ __typename {fragments} }}"
    assert isinstance(named, GraphQLObjectType)
    return f"{{ {_fields(schema, named, depth)} }}"


def _required(argument: GraphQLArgument) -> bool:
    return isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined


def _fields(schema: GraphQLSchema, type_: GraphQLObjectType, depth: int, alias: str = "") -> str:
    parts = ["__typename"]
    for name, field_ in type_.fields.items():
        if any(_required(argument) for argument in field_.args.values()):
            continue
        key = f"{alias}_{name}: {name}" if alias else name
        if is_leaf_type(get_named_type(field_.type)):
            parts.append(key)
        elif depth > 0:
            parts.append(f"{key} {selection(schema, field_.type, depth - 1)}")
    return " ".join(parts)


SCALAR_LITERALS = {
    "String": '"x"',
    "Int": "1",
    "Float": "1.0",
    "Boolean": "false",
    "Date": '"2026-03-02"',
    "DateTime": '"2026-03-02T09:00:00+00:00"',
    "Decimal": '"1"',
    "Money": '"1.00"',
    "Upload": '"not-a-file"',
}


def literal(type_: GraphQLInputType, id_value: str) -> str:
    """A minimal valid value of `type_` (required input fields only); ids are `id_value`."""
    if isinstance(type_, GraphQLNonNull):
        return literal(type_.of_type, id_value)
    if isinstance(type_, GraphQLList):
        return f"[{literal(type_.of_type, id_value)}]"
    if isinstance(type_, GraphQLInputObjectType):
        fields_ = ", ".join(
            f"{name}: {literal(input_field.type, id_value)}"
            for name, input_field in type_.fields.items()
            if isinstance(input_field.type, GraphQLNonNull)
            and input_field.default_value is Undefined
        )
        return f"{{{fields_}}}"
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return orjson.dumps(id_value).decode()
    return SCALAR_LITERALS[type_.name]


# ID arguments not named `id` name their type; `id` is the type the field's name mentions.
ARGUMENT_TYPES = {
    "employeeId": "Employee",
    "employeeIds": "Employee",
    "projectId": "Project",
    "expenseId": "Expense",
    "userId": "User",
    "clientId": "Company",
    "companyId": "Company",
    "firmId": "Company",
}


def argument_type(field_name: str, argument_name: str) -> str | None:
    """The Node type an ID argument takes (None: any, as `node(id:)`)."""
    if argument_name in ARGUMENT_TYPES:
        return ARGUMENT_TYPES[argument_name]
    mentioned = [name for name in NODE_TYPES if name.lower() in field_name.lower()]
    return max(mentioned, key=len) if mentioned else None


@dataclass(frozen=True)
class IdArgument:
    kind: str  # query or mutation
    field: str
    argument: str
    type_name: str | None

    def operation(self, schema: GraphQLSchema, id_value: str) -> str:
        root = schema.query_type if self.kind == "query" else schema.mutation_type
        assert root is not None
        field_ = root.fields[self.field]
        arguments = ", ".join(
            f"{name}: {literal(argument.type, id_value)}"
            for name, argument in field_.args.items()
            if name == self.argument or _required(argument)
        )
        depth = 2 if self.kind == "query" else 1
        return (
            f"{self.kind} {{ {self.field}({arguments}) {selection(schema, field_.type, depth)} }}"
        )


def id_arguments(schema: GraphQLSchema) -> list[IdArgument]:
    """Every root field argument typed ID (or a list of IDs), but `node`'s."""
    found = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        if root is None:
            continue
        for name, field_ in root.fields.items():
            for argument_name, argument in field_.args.items():
                named = get_named_type(argument.type)
                if name != "node" and isinstance(named, GraphQLScalarType) and named.name == "ID":
                    found.append(
                        IdArgument(kind, name, argument_name, argument_type(name, argument_name))
                    )
    return found


async def test_every_global_id_answers_null_or_an_error_to_whoever_must_not_reach_it(
    generator: Generator,  # started first: it generates the fuzz tests' operations meanwhile
    api: Api,
    client: httpx.AsyncClient,
    database: Database,
    settings: Any,
    record_property: Any,
) -> None:
    world = await world_with_viewers(api, database, settings.secret_key)
    by_gid = {obj.gid: obj for obj in world.objects}
    collected: set[str] = set()
    for code in ("L", "F"):
        reached = await collect_ids(api, world.admin_tokens[code])
        # The admins reach every seeded object of their company (the sweep misses none).
        seeded = {
            obj.gid
            for obj in world.objects
            if obj.company == code and obj.type_name not in ("User", "Company")
        }
        assert seeded <= reached, [by_gid[g] for g in sorted(seeded - reached)]
        collected |= reached
    unknown = collected - set(by_gid)
    assert not unknown, unknown  # every id the admins reach is one of the seeded objects
    ids = sorted(collected)
    probe = Probe(client, database, world)
    started = time.perf_counter()

    # 1. node(id:) for every id, as every viewer (three a request: the fragment aliases every
    # field of every Node type, ~150 aliases, within MAX_ALIASES three times; a node is
    # nullable, so one refusal does not hide the others).
    refused_reachable = []
    for viewer in VIEWERS:
        schema = role_schema(ROLES[viewer])._schema
        node_type = schema.get_type("Node")
        # One named fragment (validated once, not once per alias).
        fragment = (
            f"fragment N on Node {selection(schema, node_type, 1)}"
            if isinstance(node_type, GraphQLInterfaceType)
            else "fragment N on Query { __typename }"  # PUBLIC has no node: fails validation
        )
        for start in range(0, len(ids), 3):
            chunk = ids[start : start + 3]
            aliases = " ".join(
                f"n{i}: node(id: {orjson.dumps(id_).decode()}) {{ ...N }}"
                for i, id_ in enumerate(chunk)
            )
            body = await probe.send(viewer, f"{{ {aliases} }} {fragment}")
            data = body.get("data") or {}
            for i, id_ in enumerate(chunk):
                obj = by_gid[id_]
                answered = data.get(f"n{i}") is not None
                if answered and not reachable(viewer, obj, world):
                    probe.findings.append(
                        Finding(viewer, f"node(id: {id_})", None, f"node answered {obj}")
                    )
                if not answered and reachable(viewer, obj, world):
                    refused_reachable.append(f"[{viewer}] node refused {obj}")

    # 2. Every other ID argument of the viewer's schema, with an id of each class of objects
    # of the type it takes (a class: one type, company and owner; its rows are alike for the
    # matrix), or with GQL_PORTAL_CANARY_SWEEP=all every id, whatever its type. Queries first;
    # mutations last, as they change what they reach.
    every_id = os.environ.get("GQL_PORTAL_CANARY_SWEEP") == "all"
    representatives = sorted(
        {
            (obj.type_name, obj.company, obj.owner): obj.gid for obj in map(by_gid.__getitem__, ids)
        }.values()
    )
    for kind in ("query", "mutation"):
        for viewer in VIEWERS:
            schema = role_schema(ROLES[viewer])._schema
            for argument in id_arguments(schema):
                if argument.kind != kind:
                    continue
                for id_ in ids if every_id else representatives:
                    if every_id or argument.type_name in (None, by_gid[id_].type_name):
                        await probe.send(viewer, argument.operation(schema, id_))

    elapsed = time.perf_counter() - started
    record_property("operations", sum(probe.sent.values()))
    record_property("seconds", round(elapsed, 2))
    print(f"\nsweep: {len(ids)} ids, {probe.sent} operations in {elapsed:.1f} s")
    assert not probe.findings, probe.report()
    assert not refused_reachable, "\n".join(refused_reachable)


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_generated_operations_reveal_no_canary_and_never_fail(
    viewer: str,
    generator: Generator,
    api: Api,
    client: httpx.AsyncClient,
    database: Database,
    settings: Any,
    record_property: Any,
) -> None:
    world = await world_with_viewers(api, database, settings.secret_key)
    ids = sorted(obj.gid for obj in world.objects)
    probe = Probe(client, database, world)
    waited = time.perf_counter()
    operations = await generator.operations(viewer)
    started = time.perf_counter()
    for operation in operations:
        await probe.send(viewer, with_ids(operation, ids))
    elapsed = time.perf_counter() - started
    record_property("operations", len(operations))
    record_property("seconds", round(elapsed, 2))
    print(
        f"\n{viewer}: {len(operations)} generated operations sent in {elapsed:.1f} s "
        f"(waited {started - waited:.1f} s for them)"
    )
    assert not probe.findings, probe.report()


# --- the seed covers what it must -------------------------------------------------------------

# Tables without company data (failed log-ins, email-link tokens): nothing of them to leak.
# Tables no GraphQL field reads: sign-in bookkeeping and the cost budgets (keys are session
# ids and keyed hashes of addresses).
UNSEEDED_TABLES = frozenset({"login_failures", "account_tokens", "cost_spent"})
UNSEEDED_COLUMNS = frozenset({("auth_sessions", "token_hash")})  # a hash of the bearer token


async def test_the_seed_fills_every_company_owned_table_and_every_text_column(
    database: Database, settings: Any
) -> None:
    """A new table or text column must get rows and canaries here before the fuzz test can
    speak for it."""
    world = await seed(database, settings.secret_key)
    async with database.session() as session:
        for model in company_owned_models():
            rows = dict(
                (
                    await session.execute(
                        select(model.company_id, func.count()).group_by(model.company_id)
                    )
                ).all()
            )
            for code in ("L", "F", "B", "P"):
                assert rows.get(world.company_ids[code]), (model.__name__, code)
    canaried = {(key.table.split(".")[0], key.column) for key in world.canaries.keys.values()}
    missing = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        if table.name not in UNSEEDED_TABLES
        for column in text_columns(table)
        if (table.name, column.name) not in canaried | VOCABULARY_COLUMNS | UNSEEDED_COLUMNS
    ]
    assert not missing, missing


# --- FULL and LIMITED answer alike in the portal ----------------------------------------------


async def test_in_the_portal_a_full_and_a_limited_partner_get_the_same_answers(
    api: Api, database: Database, settings: Any
) -> None:
    """Two firms work with the same client, one FULL and one LIMITED: in the portal, where every
    client is reached as the LIMITED column says, their answers are the same."""
    world = World(Canaries())
    async with database.transaction() as session:
        s = Seeder(session, world, settings.secret_key)
        full_firm = await s.company("FX", firm=True)
        limited_firm = await s.company("FY", firm=True)
        client = await s.company("C")
        admin = await s.user(client, "C", Role.ADMIN)
        staff = await s.user(client, "C", Role.EMPLOYEE)
        await s.company_data(client, "C", [("C", staff), ("C", None), ("C", None)], admin)
        await s.collaboration(full_firm, client, AccessLevel.FULL, CollaborationState.ACTIVE)
        await s.collaboration(limited_firm, client, AccessLevel.LIMITED, CollaborationState.ACTIVE)
        full = await s.log_in(
            "full", await s.user(full_firm, "FX", Role.ADMIN), full_firm, SessionContext.PORTAL
        )
        limited = await s.log_in(
            "limited",
            await s.user(limited_firm, "FY", Role.ADMIN),
            limited_firm,
            SessionContext.PORTAL,
        )
    schema = role_schema(SchemaRole.PARTNER_PORTAL)._schema
    assert schema.query_type is not None
    roots = schema.query_type.fields
    node = schema.get_type("Node")
    assert isinstance(node, GraphQLInterfaceType)
    limited_objects = [
        obj
        for obj in world.objects
        if obj.company == "C" and obj.area in LIMITED_AREAS and obj.type_name != "Company"
    ]
    operations = [
        f"{{ employees(first: 100, active: null) {selection(schema, roots['employees'].type, 3)} }}",
        f"{{ expenses(first: 100) {selection(schema, roots['expenses'].type, 3)} }}",
        f"{{ payrollPeriods(first: 100) {selection(schema, roots['payrollPeriods'].type, 4)} }}",
        *(f'{{ node(id: "{obj.gid}") {selection(schema, node, 2)} }}' for obj in limited_objects),
    ]
    employee = next(obj for obj in limited_objects if obj.type_name == "Employee")
    payload = selection(schema, schema.get_type("EmployeePayload"), 1)  # type: ignore[arg-type]
    operations += [
        f'mutation {{ updateEmployeeContact(id: "{employee.gid}", input: {{city: "Lund"}}) {payload} }}',
        f'mutation {{ updateEmployeeSalary(id: "{employee.gid}", input: {{salaryAmount: "41000"}}) {payload} }}',
    ]
    for operation in operations:
        answers = []
        for token in (full, limited):
            body = await api(operation, token=token)
            assert "errors" not in body, (operation, body)
            body.pop("extensions")
            answers.append(body)
        assert answers[0] == answers[1], operation
    # The answers carry the client's data (an empty answer would prove nothing).
    body = await api(operations[0], token=limited)
    assert len(body["data"]["employees"]["nodes"]) == 3
    body = await api(operations[2], token=limited)
    assert {p["state"] for p in body["data"]["payrollPeriods"]["nodes"]} == {"OPEN", "LOCKED"}
    assert all(p["basis"] for p in body["data"]["payrollPeriods"]["nodes"])
    assert len((await api(operations[1], token=limited))["data"]["expenses"]["nodes"]) == 6


# --- NOT_FOUND without an ACTIVE collaboration -------------------------------------------------


async def test_the_portal_answers_not_found_for_a_client_without_an_active_collaboration(
    api: Api, database: Database, settings: Any
) -> None:
    world = World(Canaries())
    states = {
        "PENDING_FIRM": (CollaborationState.PENDING, Initiator.FIRM),
        "PENDING_CLIENT": (CollaborationState.PENDING, Initiator.CLIENT),
        "DECLINED": (CollaborationState.DECLINED, Initiator.FIRM),
        "ENDED": (CollaborationState.ENDED, Initiator.CLIENT),
        "NONE": None,
        "L": (CollaborationState.ACTIVE, Initiator.CLIENT),
    }
    async with database.transaction() as session:
        s = Seeder(session, world, settings.secret_key)
        firm = await s.company("FA", firm=True)
        for code, state in states.items():
            client = await s.company(code)
            admin = await s.user(client, code, Role.ADMIN)
            await s.company_data(client, code, [(code, None), (code, None), (code, None)], admin)
            if state is not None:
                level = AccessLevel.LIMITED if code == "L" else AccessLevel.FULL
                await s.collaboration(firm, client, level, state[0], state[1])
        token = await s.log_in(
            "portal", await s.user(firm, "FA", Role.ADMIN), firm, SessionContext.PORTAL
        )

    async def codes(operation: str) -> list[str]:
        body = await api(operation, token=token)
        assert not any("CANARY-" in str(v) for v in (body.get("data") or {}).values()), body
        return error_codes(body)

    checked = 0
    for obj in world.objects:
        if obj.company in ("FA", "L") or obj.type_name in ("User", "Collaboration"):
            continue
        assert await codes(f'{{ node(id: "{obj.gid}") {{ id }} }}') == ["NOT_FOUND"], obj
        checked += 1
        if obj.type_name == "Company":
            enter = f'mutation {{ enterClientCompany(clientId: "{obj.gid}") {{ viewer {{ context }} }} }}'
            assert await codes(enter) == ["NOT_FOUND"], obj
            for name in ("employees", "expenses", "payrollPeriods"):  # narrowed to the client
                body = await api(
                    f'{{ {name}(companyId: "{obj.gid}") {{ nodes {{ id }} }} }}', token=token
                )
                assert "FORBIDDEN" not in error_codes(body), (name, obj)
                assert not (body["data"] or {}).get(name, {}).get("nodes"), (name, obj)
        if obj.type_name == "Employee":
            for mutation in ("updateEmployeeContact", "updateEmployeeSalary"):
                change = f'mutation {{ {mutation}(id: "{obj.gid}", input: {{}}) {{ employee {{ id }} }} }}'
                assert await codes(change) == ["NOT_FOUND"], (mutation, obj)
            listed = f'{{ expenses(employeeId: "{obj.gid}") {{ nodes {{ id description }} }} }}'
            assert "FORBIDDEN" not in await codes(listed), obj
    # An ACTIVE LIMITED client's rows outside the LIMITED areas do not exist either.
    for obj in world.objects:
        if (
            obj.company == "L"
            and obj.area not in LIMITED_AREAS
            and obj.type_name != "Collaboration"
        ):
            assert await codes(f'{{ node(id: "{obj.gid}") {{ id }} }}') == ["NOT_FOUND"], obj
            checked += 1
    assert checked > 150
