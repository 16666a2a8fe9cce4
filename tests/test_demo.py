"""The demo data: deterministic from its seed, valid by the domain rules, and its log-ins work."""

from __future__ import annotations

import hashlib
from base64 import b64decode
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db import Base
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.migrate import upgrade
from gql_portal.db.payroll import PayrollLine, PayrollPeriod
from gql_portal.db.projects import Activity, Customer, Project
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.demo import (
    CLIENT_ADMIN,
    DEMO_PASSWORD,
    EMPLOYEE,
    FIRM_USER,
    DemoLogins,
    load_demo,
    swedish_days_off,
)
from gql_portal.domain.absence import AbsenceStatus
from gql_portal.domain.accounts import Industry, PayrollProgram, Role
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.expenses import (
    ExpenseKind,
    mileage_amount,
    mileage_rate,
    vat_included,
    vat_rates_on,
)
from gql_portal.domain.identity import (
    normalize_organisation_number,
    normalize_personal_identity_number,
)
from gql_portal.domain.payroll import PeriodState
from gql_portal.domain.time import week_start
from gql_portal.security import Passwords
from gql_portal.storage import Storage
from tests.conftest import Api
from tests.factories import gid

CLIENTS, EMPLOYEES = 2, 4
LOG_IN = """mutation($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) {
    token viewer { context role company { isAccountingFirm } } } }"""
OWN_EMPLOYEE = "{ viewer { employee { firstName } } }"
ENTER = "mutation($id: ID!) { enterClientCompany(clientId: $id) { viewer { context } } }"
PORTAL_CLIENTS = """{
  collaborations { clientName firmName level state initiatedBy canEnterCompany }
  employees(active: null, first: 100) { totalCount edges { node { id personalIdentityNumber } } }
}"""


async def load(
    database: Database, clock: FrozenClock, passwords: Passwords, storage: Path
) -> DemoLogins:
    return await load_demo(
        database,
        clock,
        Storage(storage),
        clients=CLIENTS,
        employees=EMPLOYEES,
        seed=2026,
        passwords=passwords,
    )


async def digest(database: Database) -> str:
    """Every row of every table the demo fills (password hashes are salted: left out)."""
    sha = hashlib.sha256()
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [column for column in table.columns if column.name != "password_hash"]
            rows = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            sha.update(f"{table.name}:{[tuple(row) for row in rows]!r}".encode())
    return sha.hexdigest()


async def test_the_same_seed_gives_the_same_rows_and_files(
    database: Database, clock: FrozenClock, passwords: Passwords, tmp_path: Path
) -> None:
    first = await load(database, clock, passwords, tmp_path / "one")
    other = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    try:
        await upgrade(other)
        second = await load(other, clock, passwords, tmp_path / "two")
        assert await digest(database) == await digest(other)
    finally:
        await other.dispose()
    assert first.rows == second.rows
    assert first.rows["time_entries"] > CLIENTS * EMPLOYEES * 30

    def files(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    assert files(tmp_path / "one") == files(tmp_path / "two") != {}


async def test_every_row_follows_the_domain_rules(
    database: Database, clock: FrozenClock, passwords: Passwords, tmp_path: Path
) -> None:
    logins = await load(database, clock, passwords, tmp_path)
    today, now = clock.today(), clock.now()
    first_day = date(2026, 1, 1)  # the clock says 2026-03-02: January, February and March
    rows = logins.rows
    for table in ("absences", "expenses", "receipts", "week_attestations", "payroll_periods"):
        assert rows[table] > 0, table

    async with database.session() as session:

        async def all_of(*entities: Any, where: Any = None) -> list[Any]:
            statement = select(*entities)
            if where is not None:
                statement = statement.where(where)
            return list((await session.execute(statement)).all())

        companies = [row[0] for row in await all_of(Company)]
        firms = [c for c in companies if c.industry is Industry.ACCOUNTING_PARTNER]
        clients = [c for c in companies if c.industry is not Industry.ACCOUNTING_PARTNER]
        assert len(clients) == CLIENTS and len(firms) >= 2
        assert all(c.activated_at is not None and c.activated_at <= now for c in companies)
        customer_numbers = [n for (n,) in await all_of(Customer.organisation_number) if n]
        for number in [c.organisation_number for c in companies] + customer_numbers:
            assert normalize_organisation_number(number) == number
        assert len({c.organisation_number for c in companies}) == len(companies)

        employees = [row[0] for row in await all_of(Employee)]
        assert len(employees) == CLIENTS * EMPLOYEES
        pins = [e.personal_identity_number for e in employees]
        for pin in pins:
            assert normalize_personal_identity_number(pin, today) == pin
        assert len(set(pins)) == len(pins)
        assert any(int(pin[6:8]) > 60 for pin in pins)  # a coordination number
        memberships = {(m.user_id, m.company_id): m.role for (m,) in await all_of(Membership)}
        for employee in employees:
            assert memberships[employee.user_id, employee.company_id] is Role.EMPLOYEE
            assert 29 <= employee.tax_table <= 42 and employee.tax_column == 1

        # Time: the company's own codes, projects and activities; scheduled days before today.
        entries = await all_of(TimeEntry, TimeCode, where=TimeCode.id == TimeEntry.time_code_id)
        schedules = {s.employee_id: s for (s,) in await all_of(Schedule)}
        projects = {p.id: p for (p,) in await all_of(Project)}
        activities = {a.id: a for (a,) in await all_of(Activity)}
        per_day: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
        codes = set()
        for entry, code in entries:
            assert code.company_id == entry.company_id
            assert first_day <= entry.date < today
            assert schedules[entry.employee_id].hours_on(entry.date.weekday()) > 0
            assert Decimal(0) < entry.hours and entry.created_at <= now
            if entry.project_id is not None:
                assert projects[entry.project_id].company_id == entry.company_id
            if entry.activity_id is not None:
                assert activities[entry.activity_id].project_id == entry.project_id
            per_day[entry.employee_id, entry.date] += entry.hours
            codes.add(code.code)
        assert max(per_day.values()) <= 24
        assert {"ARB", "OT1", "SJK"} <= codes
        assert date(2026, 1, 6) not in {day for _, day in per_day}  # trettondedag jul

        # Attestation: every week but the last one (most) or two (some: preliminary).
        weeks = await all_of(WeekAttestation.employee_id, WeekAttestation.week_start)
        latest: dict[int, date] = {}
        for employee_id, monday in weeks:
            latest[employee_id] = max(monday, latest.get(employee_id, monday))
        last_week = week_start(today - timedelta(days=1))
        assert len(latest) == len(employees)
        assert set(latest.values()) == {
            last_week - timedelta(weeks=1),
            last_week - timedelta(weeks=2),
        }

        # Absence: no two requested/approved absences of one employee overlap.
        holding: dict[int, list[Absence]] = defaultdict(list)
        for (absence,) in await all_of(Absence):
            assert absence.start_date <= absence.end_date and absence.created_at <= now
            if absence.status in (AbsenceStatus.REQUESTED, AbsenceStatus.APPROVED):
                for other in holding[absence.employee_id]:
                    assert (
                        absence.end_date < other.start_date or other.end_date < absence.start_date
                    )
                holding[absence.employee_id].append(absence)

        # Expenses: VAT rates valid on their dates; mileage at the year's rate.
        for (expense,) in await all_of(Expense):
            assert first_day <= expense.date < today and expense.created_at <= now
            if expense.kind is ExpenseKind.MILEAGE:
                assert expense.vehicle is not None and expense.distance_km is not None
                assert expense.rate_per_mil == mileage_rate(expense.date, expense.vehicle)
                assert expense.amount == mileage_amount(expense.distance_km, expense.rate_per_mil)
            else:
                assert expense.vat_rate in vat_rates_on(expense.date, expense.category)
                assert expense.vat_amount == vat_included(expense.amount, expense.vat_rate)
            if expense.decided_at is not None:
                assert expense.created_at <= expense.decided_at <= now

        # Receipts: the files are in storage, as recorded.
        storage = Storage(tmp_path)
        receipts = [row[0] for row in await all_of(Receipt)]
        for receipt in receipts:
            data = storage.read(receipt.storage_key)
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) == receipt.size_bytes
            assert hashlib.sha256(data).hexdigest() == receipt.sha256
            assert receipt.storage_key.startswith(f"receipts/{receipt.company_id}/")
        assert len({r.sha256 for r in receipts}) == len(receipts)  # every image differs

        periods = [row[0] for row in await all_of(PayrollPeriod)]
        assert len(periods) == 3 * CLIENTS
        # Each client's oldest month is locked with its frozen basis; the later ones are open.
        oldest = min(p.start_date for p in periods)
        assert {p.state for p in periods if p.start_date == oldest} == {PeriodState.LOCKED}
        assert {p.state for p in periods if p.start_date != oldest} == {PeriodState.OPEN}
        frozen = await all_of(PayrollLine)
        assert {row[0].period_id for row in frozen} == {
            p.id for p in periods if p.start_date == oldest
        }
        assert {p.start_date for p in periods} == {
            date(2026, 1, 1),
            date(2026, 2, 1),
            date(2026, 3, 1),
        }

        # Collaborations: every client ACTIVE with one firm (client 1 FULL with the first),
        # FULL for Visma Lön Smart; PENDING in both directions; one ENDED; dates in order.
        collaborations = [row[0] for row in await all_of(Collaboration)]
        first_firm = min(firms, key=lambda c: c.id)
        programs = {c.id: c.payroll_program for c in clients}
        for client in clients:
            [active] = [
                c
                for c in collaborations
                if c.company_id == client.id and c.state is CollaborationState.ACTIVE
            ]
            assert active.firm_id in {f.id for f in firms}
            if programs[client.id] is PayrollProgram.VISMA_LON_SMART:
                assert active.level is AccessLevel.FULL
        client_one = min(clients, key=lambda c: c.id)
        [active_one] = [
            c
            for c in collaborations
            if c.company_id == client_one.id and c.state is CollaborationState.ACTIVE
        ]
        assert (active_one.firm_id, active_one.level) == (first_firm.id, AccessLevel.FULL)
        pending = [c for c in collaborations if c.state is CollaborationState.PENDING]
        assert {c.initiated_by for c in pending} == {Initiator.CLIENT, Initiator.FIRM}
        assert [c.company_id for c in collaborations if c.state is CollaborationState.ENDED] == [
            client_one.id
        ]
        open_pairs = [(c.firm_id, c.company_id) for c in collaborations if c.ended_at is None]
        assert len(open_pairs) == len(set(open_pairs))
        for c in collaborations:
            side = c.company_id if c.initiated_by is Initiator.CLIENT else c.firm_id
            assert memberships[c.created_by_user_id, side] is Role.ADMIN
            moments = [c.created_at, c.activated_at, c.ended_at]
            assert [m for m in moments if m] == sorted(m for m in moments if m)
            assert max(m for m in moments if m) <= now
            assert (c.activated_at is None) is (c.state is CollaborationState.PENDING)

        # One password hash, shared by every user.
        assert len({h for (h,) in await all_of(User.password_hash)}) == 1
        counted = (await session.execute(text("SELECT COUNT(*) FROM time_entries"))).scalar()
        assert counted == rows["time_entries"] == len(entries)


async def test_the_demo_log_ins_work(
    api: Api, database: Database, clock: FrozenClock, passwords: Passwords, tmp_path: Path
) -> None:
    logins = await load(database, clock, passwords, tmp_path)
    assert (logins.firm_user, logins.client_admin, logins.employee, logins.password) == (
        FIRM_USER,
        CLIENT_ADMIN,
        EMPLOYEE,
        DEMO_PASSWORD,
    )

    async def log_in(email: str) -> dict[str, Any]:
        body = await api(LOG_IN, {"email": email, "password": DEMO_PASSWORD})
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["logIn"]
        return result

    admin = (await log_in(CLIENT_ADMIN))["viewer"]
    assert (admin["context"], admin["role"]) == ("COMPANY", "ADMIN")
    assert admin["company"] == {"isAccountingFirm": False}
    anna = await log_in(EMPLOYEE)
    assert (anna["viewer"]["context"], anna["viewer"]["role"]) == ("COMPANY", "EMPLOYEE")
    own = await api(OWN_EMPLOYEE, token=anna["token"])
    assert own["data"] == {"viewer": {"employee": {"firstName": "Anna"}}}, own
    firm = await log_in(FIRM_USER)
    assert firm["viewer"]["context"] == "PORTAL"
    assert firm["viewer"]["company"] == {"isAccountingFirm": True}

    # The demo firm's portal: its ACTIVE clients, with their employees; the client's company
    # of a FULL one can be entered.
    async with database.session() as session:
        firm_id = await session.scalar(
            select(Membership.company_id)
            .join(User, User.id == Membership.user_id)
            .where(User.email == FIRM_USER)
        )
        active = dict(
            (
                await session.execute(
                    select(Collaboration.company_id, Collaboration.level).where(
                        Collaboration.firm_id == firm_id,
                        Collaboration.state == CollaborationState.ACTIVE,
                    )
                )
            ).all()
        )
        reached = {
            (employee_id, pin)
            for employee_id, pin in await session.execute(
                select(Employee.id, Employee.personal_identity_number).where(
                    Employee.company_id.in_(active)
                )
            )
        }
    assert len(active) == CLIENTS  # clients 1 and 2 are both the first firm's
    portal = await api(PORTAL_CLIENTS, token=firm["token"])
    assert "errors" not in portal, portal
    listed = portal["data"]["collaborations"]
    assert sorted(c["level"] for c in listed if c["state"] == "ACTIVE") == sorted(
        level.value for level in active.values()
    )
    assert all(c["firmName"] == "Redovisningsbyrån Demo AB" for c in listed)
    employees = portal["data"]["employees"]
    assert employees["totalCount"] == len(reached) == CLIENTS * EMPLOYEES
    assert {
        (
            int(b64decode(edge["node"]["id"]).decode().split(":")[1]),
            edge["node"]["personalIdentityNumber"],
        )
        for edge in employees["edges"]
    } == reached
    # Client 1 (the demo admin's) is FULL: the firm user can log in to its company.
    client_one = min(active)
    assert active[client_one] is AccessLevel.FULL
    entered = await api(ENTER, {"id": gid("Company", client_one)}, token=firm["token"])
    assert entered["data"]["enterClientCompany"]["viewer"]["context"] == "COMPANY", entered

    # The second firm: client 1 ended with it and client 2 invited it; it reaches no employees.
    second = await log_in("byra2@demo.example")
    other = await api(PORTAL_CLIENTS, token=second["token"])
    assert sorted((c["state"], c["initiatedBy"]) for c in other["data"]["collaborations"]) == [
        ("ENDED", "FIRM"),
        ("PENDING", "CLIENT"),
    ]
    assert other["data"]["employees"]["totalCount"] == 0


def test_swedish_days_off() -> None:
    easter_sundays = {2024: date(2024, 3, 31), 2025: date(2025, 4, 20), 2026: date(2026, 4, 5)}
    for year, easter in easter_sundays.items():
        days = swedish_days_off(year)
        assert easter - timedelta(days=2) in days and easter + timedelta(days=1) in days
        assert easter + timedelta(days=39) in days  # Kristi himmelsfärd, a Thursday
    assert {date(2026, 6, 19), date(2026, 6, 6), date(2026, 1, 6)} <= swedish_days_off(2026)
    assert date(2027, 3, 26) in swedish_days_off(2027)  # långfredagen 2027


# The whole small demo (3 clients of 4 employees, a big company of 6, seed 2026, the clock at
# 2026-03-02 09:00 Stockholm), in its canonical form (`canonical_demo`): one sha256 over every
# row of every table, ordered by primary key, and every stored file's sha256. Any change to
# what the demo writes fails here, so that a refactoring proves it changed nothing.
# When the demo changes on purpose: run this test, read the dump it names in its failure
# (diff it with one from the commit before to see that only what you meant changed), paste the
# new digest here, and bump DATA_VERSION in bench/data.py (cached benchmark data is stale).
GOLDEN_DEMO = "3fe51865ccf674756c425ac4f2553819ec24a0ae09f9d0c48dd7cd670fca4ef4"
GOLDEN_CLOCK = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


async def canonical_demo(database: Database, storage: Path) -> str:
    """One line per row (password hashes are salted: left out) and per stored file."""
    lines = []
    async with database.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [column for column in table.columns if column.name != "password_hash"]
            rows = await session.execute(select(*columns).order_by(*table.primary_key.columns))
            lines += [f"{table.name} {tuple(row)!r}" for row in rows]
    return "\n".join([*lines, *stored_files(storage)]) + "\n"


def stored_files(root: Path) -> list[str]:
    return [
        f"file {path.relative_to(root).as_posix()} {hashlib.sha256(path.read_bytes()).hexdigest()}"
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


def kept(dump: str, path: Path) -> Path:
    path.write_text(dump)
    return path


async def test_the_small_demo_is_exactly_the_golden_one(
    passwords: Passwords, tmp_path: Path
) -> None:
    # Always a fresh SQLite file (whatever database the suite runs on): PostgreSQL hands back
    # some values in other forms, and the digest is of SQLite's.
    database = Database.from_url(f"sqlite+aiosqlite:///{tmp_path / 'golden.db'}")
    try:
        await upgrade(database)
        await load_demo(
            database,
            FrozenClock(GOLDEN_CLOCK),
            Storage(tmp_path / "files"),
            clients=3,
            employees=4,
            big_company=6,
            seed=2026,
            passwords=passwords,
        )
        dump = await canonical_demo(database, tmp_path / "files")
    finally:
        await database.dispose()
    assert dump.count("\nfile ") > 40 and dump.count("\ntime_entries ") > 700
    digest = hashlib.sha256(dump.encode()).hexdigest()
    assert digest == GOLDEN_DEMO, f"the demo changed: see {kept(dump, tmp_path / 'demo.txt')}"
