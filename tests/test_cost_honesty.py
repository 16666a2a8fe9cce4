"""The cost is honest (issue 21): what a document was allowed by its cost bounds the rows it made
the database hand over and the size of its answer.

Property: for generated query documents (hypothesis-graphql on each role's own schema, seeded),
posted over HTTP as a viewer of that role over a seeded demo (two clients with employees, three
months of time, absences, expenses with receipts, projects, a LOCKED period with its frozen basis
and OPEN ones, firms with clients for the portal), every document answered

    rows fetched  <= ROWS_PER_COST  × cost + ROWS_BASE
    answer bytes  <= BYTES_PER_COST × cost + BYTES_BASE

where cost is the answer's `extensions.cost.requested`: answered in full or in part, and refused
while executed (a path over its allowance) too. A document refused before execution (no cost
counted) reads at most ROWS_BASE rows. Next to the generated documents (GQL_PORTAL_COST_HONESTY_
DOCUMENTS per role, default 90: two thirds shared by the role's root fields, the rest over all
of them; GQL_PORTAL_COST_HONESTY_SEED) each role sends a few written out: the heaviest it may
(the bench's scenarios, the full basis, every list of every employee) and issue 21's.

The demo is small: its lists are far below their bounds, where the cost counts the bound. So
the property is also checked at the bounds for what reads rows it does not return (the payroll
basis and its differences, `test_the_payroll_basis_reads_no_more_rows_than_its_cost_allowed`):
each of their items is computed from rows of other data whatever is selected, and the cost
charges each item at least those rows (`fields.field(..., reads=R)`); past what it charged,
the request is refused (tests/test_limits.py
`test_a_basis_computed_from_more_rows_than_its_cost_counted_is_refused`).

The factors:
- ROWS_PER_COST = 2: every object the cost counts stands for at most one row of its own, and a
  list's loader may read one row more than its allowance to know it is over (+1 per statement,
  at most one statement per counted object); a connection may read its page + 1 and a count.
- ROWS_BASE = 40: what any request reads whatever it asks: the session and its user, company and
  membership, the collaboration and access checks of the portal, the company settings.
- BYTES_PER_COST = 3,000: an object's own leaves (ids, names, amounts, dates: at most ~30 scalar
  fields, the longest texts a comment or description of a few hundred bytes) and its key.
- BYTES_BASE = 4,000: the envelope (data, extensions with the request id and cost) and errors
  (each a message, its path and coded extensions: hypothesis sends junk ids and dates, so a
  document often carries a few NOT_FOUND / BAD_USER_INPUT errors next to its data).

Rows are counted where the database driver hands them over (aiosqlite's `Cursor.fetch*`,
asyncpg's `PreparedStatement.fetch` and `Cursor.fetch`), which sees every row any statement of
the request fetched: ORM and Core, buffered and streamed (the children loaders' partitions),
rows fetched and then dropped. `test_the_row_counter_counts_every_row_fetched` proves it counts.
(Rows SQLite or PostgreSQL visit inside one statement, e.g. to COUNT them, are not handed over
and are not counted; every such statement is bounded by its own LIMIT or is one aggregate row.)
"""

from __future__ import annotations

import dataclasses
import os
import re
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from itertools import zip_longest
from typing import Any

import httpx
import orjson
import pytest
from graphql import (
    REMOVE,
    ArgumentNode,
    ListValueNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    Visitor,
    get_named_type,
    parse,
    print_ast,
    visit,
)
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries
from sqlalchemy import func, select

from bench.scenarios import CLIENT_BOARD, CLIENT_EMPLOYEES, PAYROLL_BASIS
from gql_portal.clock import FrozenClock
from gql_portal.config import Settings
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.projects import Activity, Customer, Project
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.demo import CLIENT_ADMIN, EMPLOYEE, FIRM_USER, load_demo
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.payroll import PeriodState
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.security import Passwords
from tests.factories import Factory, gid
from tests.rows_fetched import RowsFetched
from tests.test_limits import (
    NESTED_FROM_EMPLOYEES,
    NESTED_TIME_ENTRIES,
    NESTED_TIME_ENTRIES_DEEPER,
    PAYROLL_BASIS_60_TIMES,
    PORTAL_CLIENTS_NESTED,
)

ROWS_PER_COST = 2
ROWS_BASE = 40
BYTES_PER_COST = 3_000
BYTES_BASE = 4_000

# Documents per role, and the seed they are drawn with (the same documents on every run).
DOCUMENTS = int(os.environ.get("GQL_PORTAL_COST_HONESTY_DOCUMENTS", "90"))
SEED = int(os.environ.get("GQL_PORTAL_COST_HONESTY_SEED", "21"))
# The demo's size: enough that lists are not trivial (about 60 time entries per employee).
CLIENTS, EMPLOYEES = 2, 8


# --- counting rows --------------------------------------------------------------------------


@pytest.fixture
def rows_fetched(monkeypatch: pytest.MonkeyPatch) -> RowsFetched:
    counter = RowsFetched()
    counter.install(monkeypatch)
    return counter


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Budgets out of the way: hundreds of documents a minute, each as costly as it may be."""
    return dataclasses.replace(
        settings, cost_budget_per_session=10**12, cost_budget_per_address=10**12
    )


async def test_the_row_counter_counts_every_row_fetched(
    database: Database, factory: Factory, rows_fetched: RowsFetched
) -> None:
    company = await factory.company()
    employee = await factory.employee(company)
    entries = 1_234  # more than a streamed partition (500 rows), not a multiple of it
    async with database.transaction() as session:
        code = await session.scalar(select(TimeCode).where(TimeCode.company_id == company.id))
        assert code is not None
        now = factory.clock.now()
        session.add_all(
            TimeEntry(
                company_id=company.id,
                employee_id=employee.id,
                date=date(2020, 1, 1) + timedelta(days=day),
                hours=Decimal("1.00"),
                time_code_id=code.id,
                created_at=now,
                updated_at=now,
            )
            for day in range(entries)
        )

    async def counted(read: Callable[[Any], Any]) -> int:
        before = rows_fetched.count
        async with database.session() as session:
            await read(session)
        return rows_fetched.count - before

    everything = select(TimeEntry).where(TimeEntry.employee_id == employee.id)

    async def buffered(session: Any) -> None:
        assert len((await session.scalars(everything)).all()) == entries

    async def streamed(session: Any) -> None:  # as the children loaders read
        rows = []
        async for part in (await session.stream_scalars(everything)).partitions(500):
            rows += part
        assert len(rows) == entries

    async def core_limited(session: Any) -> None:
        assert len((await session.execute(select(TimeEntry.id).limit(7))).all()) == 7

    async def one_count(session: Any) -> None:
        assert await session.scalar(select(func.count()).select_from(TimeEntry)) == entries

    async def first_only(session: Any) -> None:
        # `.first()` takes one row, but the driver has handed over every row of the statement.
        assert (await session.execute(select(TimeEntry.id).limit(5))).first() is not None

    async def nothing(session: Any) -> None:
        assert (await session.scalars(everything.where(TimeEntry.id < 0))).all() == []

    assert await counted(buffered) == entries
    assert await counted(streamed) == entries
    assert await counted(core_limited) == 7
    assert await counted(one_count) == 1
    assert await counted(first_only) == 5
    assert await counted(nothing) == 0


# --- the world and its viewers ----------------------------------------------------------------

# Node types hypothesis may name with a seeded id, and their rows.
NODE_MODELS: dict[str, Any] = {
    "Company": Company,
    "User": User,
    "Employee": Employee,
    "TimeCode": TimeCode,
    "TimeEntry": TimeEntry,
    "Absence": Absence,
    "Expense": Expense,
    "Receipt": Receipt,
    "PayrollPeriod": PayrollPeriod,
    "Customer": Customer,
    "Project": Project,
    "Activity": Activity,
    "Collaboration": Collaboration,
    "AuditEvent": AuditEvent,
    "CompanyUser": Membership,
    "PortalClient": Collaboration,  # a client on the board: its collaboration's id
}
IDS_PER_TYPE = 40  # enough of each kind; the lists hold the rest


@dataclass
class World:
    tokens: dict[SchemaRole, str | None]
    ids: dict[str, list[str]]  # global ids of seeded rows by node type
    periods: dict[PeriodState, str]  # the admin's company's periods: a LOCKED one, an OPEN one


async def seed_world(runtime: Runtime, factory: Factory, passwords: Passwords) -> World:
    """The demo at a small size, and a session per role: the first client's admin, its showcase
    employee, the first firm's user in the portal; anonymous for PUBLIC."""
    database = runtime.database
    await load_demo(
        database,
        runtime.clock,
        runtime.storage,
        clients=CLIENTS,
        employees=EMPLOYEES,
        seed=2026,
        passwords=passwords,
    )
    async with database.session() as session:
        locked = await session.scalar(
            select(func.count())
            .select_from(PayrollPeriod)
            .where(PayrollPeriod.state == PeriodState.LOCKED)
        )
        assert locked, "the demo locks its oldest periods (a frozen basis to read)"

        async def member(email: str) -> tuple[User, Company]:
            user = await session.scalar(select(User).where(User.email == email))
            assert user is not None, email
            company = await session.scalar(
                select(Company)
                .join(Membership, Membership.company_id == Company.id)
                .where(Membership.user_id == user.id)
            )
            assert company is not None, email
            return user, company

        admin, admin_company = await member(CLIENT_ADMIN)
        employee, employee_company = await member(EMPLOYEE)
        firm_user, firm = await member(FIRM_USER)
        ids: dict[str, list[str]] = {}
        periods = {
            state: gid("PayrollPeriod", period_id)
            for period_id, state in await session.execute(
                select(PayrollPeriod.id, PayrollPeriod.state)
                .where(PayrollPeriod.company_id == admin_company.id)
                .order_by(PayrollPeriod.start_date.desc())
            )
        }
        assert set(periods) == {PeriodState.LOCKED, PeriodState.OPEN}, periods
        for type_name, model in NODE_MODELS.items():
            rows = await session.scalars(select(model.id).order_by(model.id).limit(IDS_PER_TYPE))
            ids[type_name] = [gid(type_name, row_id) for row_id in rows]
    tokens: dict[SchemaRole, str | None] = {
        SchemaRole.PUBLIC: None,
        SchemaRole.COMPANY_ADMIN: await factory.log_in(admin, admin_company),
        SchemaRole.EMPLOYEE: await factory.log_in(employee, employee_company),
        SchemaRole.PARTNER_PORTAL: await factory.log_in(firm_user, firm, SessionContext.PORTAL),
        # The firm's assistant (a user of its own: the demo has none).
        SchemaRole.PORTAL_ASSISTANT: await factory.log_in(
            await factory.user(firm, Role.ASSISTANT), firm, SessionContext.PORTAL
        ),
    }
    return World(tokens, ids, periods)


# --- documents --------------------------------------------------------------------------------

PLACEHOLDER = "@gid{}@"
# Where an id argument names one kind of row, the placeholder becomes one of those.
ID_ARGUMENTS = {"employeeId": "Employee", "employeeIds": "Employee", "companyId": "Company"}
ID_ARGUMENTS["firmId"] = "Company"


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` about nine times in ten (`st.one_of` would draw the two about equally often)."""
    return st.sampled_from([False] * 9 + [True]).flatmap(lambda junk: bad if junk else good)


def scalar_strategies() -> dict[str, st.SearchStrategy[Any]]:
    """Mostly values the service takes, so that documents reach the data: seeded ids (a
    placeholder, replaced when sent), days and months around the demo's, page sizes 1-100,
    search words; and now and then anything (a junk value answers BAD_USER_INPUT or NOT_FOUND
    for its field, and the rest of the document is still answered)."""
    # Any text but NUL: the endpoint refuses a body with one (400) before anything is run.
    junk = st.text(st.characters(min_codepoint=1, exclude_categories=["Cs"]), max_size=12)
    ids = st.integers(0, 9_999).map(PLACEHOLDER.format)
    dates = st.dates(date(2025, 11, 1), date(2026, 4, 30))
    small = st.decimals(min_value=Decimal("0"), max_value=Decimal("24"), places=2)
    months = dates.map(lambda day: day.isoformat()[:7])
    words = st.sampled_from(["", "a", "An", "Projekt", "AB", "%", "_"])
    return {
        "ID": mostly(ids, junk).map(nodes.String),
        "Date": mostly(dates.map(date.isoformat), junk).map(nodes.String),
        "DateTime": st.datetimes(datetime(2025, 11, 1), datetime(2026, 4, 30))
        .map(lambda moment: moment.isoformat() + "+00:00")
        .map(nodes.String),
        "Decimal": mostly(small.map(str), junk).map(nodes.String),
        "Money": mostly(small.map(str), junk).map(nodes.String),
        "Upload": st.just(nodes.String("not-a-file")),
        # Int arguments are `first`/`last`: the cost is computed within 1-100 (outside it the
        # document is refused while measured, tests/test_limits.py).
        "Int": st.integers(1, 100).map(nodes.Int),
        # `month` and `search` (`after` cursors are left out when sent: a made-up one is refused).
        "String": st.one_of(months, words).map(nodes.String),
    }


def draw(strategy: st.SearchStrategy[str], count: int, label: str) -> list[str]:
    """`count` documents from `strategy`, the same ones on every run (a seed per `label`)."""
    drawn: list[str] = []

    @hypothesis_seed(zlib.crc32(f"{SEED}:{label}".encode()))
    @hypothesis_settings(
        max_examples=count,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(document: str) -> None:
        drawn.append(document)

    collect()
    return drawn


@cache
def documents(role: SchemaRole, count: int) -> tuple[str, ...]:
    """`count` query documents from the role's own schema: two thirds shared by its root fields
    (each drawn alone at the root, so that every list the role can reach is asked for), the
    rest over all root fields at once."""
    schema = role_schema(role)
    sdl = schema.as_str()
    scalars = scalar_strategies()
    query_type = schema._schema.query_type
    assert query_type is not None
    roots = list(query_type.fields)
    share = (count * 2 // 3) // len(roots)
    drawn: list[str] = []
    for name in roots:
        strategy = queries(sdl, fields=[name], custom_scalars=scalars, allow_x00=False)
        drawn += draw(strategy, share, f"{role}:{name}")
    strategy = queries(sdl, custom_scalars=scalars, allow_x00=False)
    drawn += draw(strategy, count - len(drawn), f"{role}:all")
    return tuple(drawn)


class Prepare(Visitor):
    """A generated document as sent: its id placeholders replaced by seeded rows' global ids
    of the kind the argument names (`employeeId`, `companyId`, a field returning a Project...)
    where it names one, of any kind elsewhere (`node(id:)`); cursors it made up left out."""

    def __init__(self, type_info: TypeInfo, ids: dict[str, list[str]]) -> None:
        super().__init__()
        self.type_info = type_info
        self.ids = ids
        # Interleaved, so that small placeholder numbers (hypothesis draws them often) name
        # rows of every kind.
        self.every_id = [one for row in zip_longest(*ids.values()) for one in row if one]

    def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
        if node.name.value in ("after", "before"):
            return REMOVE
        kind = ID_ARGUMENTS.get(node.name.value)
        if kind is None:
            field = self.type_info.get_field_def()
            kind = get_named_type(field.type).name if field else ""
        choices = self.ids.get(kind, self.every_id)

        def seeded(value: ValueNode) -> ValueNode:
            if isinstance(value, ListValueNode):
                return ListValueNode(values=tuple(seeded(item) for item in value.values))
            if isinstance(value, StringValueNode):
                found = PLACEHOLDER_PATTERN.fullmatch(value.value)
                if found:
                    return StringValueNode(value=choices[int(found[1]) % len(choices)])
            return value

        return ArgumentNode(name=node.name, value=seeded(node.value))


PLACEHOLDER_PATTERN = re.compile(r"@gid(\d+)@")


def prepared(document: str, role: SchemaRole, ids: dict[str, list[str]]) -> str:
    type_info = TypeInfo(role_schema(role)._schema)
    edited = visit(parse(document), TypeInfoVisitor(type_info, Prepare(type_info, ids)))
    return print_ast(edited)


# Written out, next to the generated ones: the heaviest documents each role may send (the bench's
# scenarios, every list at once), and issue 21's, which are refused before any SQL.
BASIS_IN_FULL = """query($period: ID!) { node(id: $period) { ... on PayrollPeriod { state
  basis { employee { id firstName } preliminary unattestedWeeks totalAmount
    lines { date payType description quantity amount source }
    hoursByTimeCode { hours } } } } }"""
EVERY_EMPLOYEE_LIST = """{ employees(first: 100) { nodes { id firstName
  timeEntries { date hours } absences { startDate endDate } expenses { amount receipts { id } } } } }"""
EXPLICIT: dict[SchemaRole, list[tuple[str, dict[str, Any]]]] = {
    SchemaRole.PUBLIC: [],
    SchemaRole.COMPANY_ADMIN: [
        (BASIS_IN_FULL, {"period": PeriodState.LOCKED}),
        (BASIS_IN_FULL, {"period": PeriodState.OPEN}),
        (PAYROLL_BASIS, {"period": PeriodState.OPEN}),
        (EVERY_EMPLOYEE_LIST, {}),
        ("{ payrollPeriods(first: 3) { nodes { basis { employee { id } } } } }", {}),
        ("{ projects(first: 100) { nodes { activities { id } assignedEmployees { id } } } }", {}),
        (NESTED_TIME_ENTRIES, {}),
        (NESTED_FROM_EMPLOYEES, {}),
        (PAYROLL_BASIS_60_TIMES, {"p": PeriodState.LOCKED}),
    ],
    SchemaRole.EMPLOYEE: [
        (EVERY_EMPLOYEE_LIST, {}),
        ("{ timeEntries(first: 100) { nodes { employee { timeEntries { hours } } } } }", {}),
        (NESTED_TIME_ENTRIES_DEEPER, {}),
    ],
    SchemaRole.PARTNER_PORTAL: [
        (CLIENT_BOARD, {"first": 100}),
        (CLIENT_EMPLOYEES, {"first": 100}),
        ("{ employees(first: 100) { nodes { expenses { amount receipts { id } } } } }", {}),
        ("{ payrollPeriods(first: 1) { nodes { basis { lines { amount } } } } }", {}),
        (PORTAL_CLIENTS_NESTED, {}),
    ],
}
# The firm's assistant reads what the firm's consultants read (it only lacks the mutations).
EXPLICIT[SchemaRole.PORTAL_ASSISTANT] = EXPLICIT[SchemaRole.PARTNER_PORTAL]


def with_periods(variables: dict[str, Any], world: World) -> dict[str, Any]:
    return {
        name: world.periods[value] if isinstance(value, PeriodState) else value
        for name, value in variables.items()
    }


# --- the property -----------------------------------------------------------------------------


@dataclass
class Outcome:
    document: str
    cost: int | None  # None: refused before execution
    rows: int
    size: int
    codes: tuple[str, ...]

    def allowed_rows(self) -> int:
        return ROWS_PER_COST * (self.cost or 0) + ROWS_BASE

    def allowed_size(self) -> int:
        return BYTES_PER_COST * (self.cost or 0) + BYTES_BASE

    def __str__(self) -> str:
        return (
            f"cost {self.cost}: {self.rows} rows (allowed {self.allowed_rows()}), "
            f"{self.size} bytes (allowed {self.allowed_size()}), codes {list(self.codes)}\n"
            f"{self.document}"
        )


async def send(
    http: httpx.AsyncClient,
    rows_fetched: RowsFetched,
    document: str,
    token: str | None,
    variables: dict[str, Any] | None = None,
) -> Outcome:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    before = rows_fetched.count
    response = await http.post(
        "/graphql",
        content=orjson.dumps({"query": document, "variables": variables or {}}),
        headers=headers,
    )
    rows = rows_fetched.count - before
    assert response.status_code == 200, (response.status_code, response.text[:500], document)
    body = response.json()
    codes = tuple(error["extensions"]["code"] for error in body.get("errors") or [])
    assert "INTERNAL_SERVER_ERROR" not in codes, (body, document)
    cost = (body.get("extensions") or {}).get("cost", {}).get("requested")
    return Outcome(document, cost, rows, len(response.content), codes)


@pytest.mark.parametrize("role", list(SchemaRole), ids=str)
async def test_rows_read_and_answer_bytes_stay_within_what_the_cost_allowed(
    role: SchemaRole,
    runtime: Runtime,
    client: httpx.AsyncClient,
    factory: Factory,
    passwords: Passwords,
    clock: FrozenClock,
    rows_fetched: RowsFetched,
) -> None:
    world = await seed_world(runtime, factory, passwords)
    token = world.tokens[role]
    outcomes = [
        await send(client, rows_fetched, prepared(document, role, world.ids), token)
        for document in documents(role, DOCUMENTS)
    ]
    for document, variables in EXPLICIT[role]:
        sent = await send(client, rows_fetched, document, token, with_periods(variables, world))
        assert "GRAPHQL_VALIDATION_FAILED" not in sent.codes, sent
        outcomes.append(sent)
    over = [o for o in outcomes if o.rows > o.allowed_rows() or o.size > o.allowed_size()]
    answered = [o for o in outcomes if o.cost is not None and "QUERY_TOO_COMPLEX" not in o.codes]
    tally = Counter(code for o in outcomes for code in set(o.codes) or {"OK"})
    print(
        f"\n{role}: {len(outcomes)} documents, {len(answered)} answered, "
        f"most rows {max(o.rows for o in outcomes)}, "
        f"largest answer {max(o.size for o in outcomes)} bytes, "
        f"highest cost {max(o.cost or 0 for o in outcomes)}; {dict(tally)}"
    )
    assert not over, "\n\n".join(map(str, over))
    assert len(answered) >= DOCUMENTS // 3, tally  # the property spoke about real answers


# --- what the property found ----------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """One company at the bounds that matter here: 21 employees (of the basis's 500), each with
    100 frozen lines in a LOCKED January (LINES_BOUND) and 100 time entries in an OPEN February."""

    admin: str
    locked: str
    open: str


async def seed_scale(database: Database, factory: Factory) -> Scale:
    from gql_portal.db.payroll import PayrollEmployee, PayrollLine
    from gql_portal.domain.payroll import LineSource
    from gql_portal.domain.time import Unit

    company = await factory.company()
    admin = await factory.admin(company)
    now = factory.clock.now()
    async with database.transaction() as session:
        code = await session.scalar(select(TimeCode).where(TimeCode.company_id == company.id))
        assert code is not None
        employees = [
            Employee(
                company_id=company.id,
                employee_number=str(9000 + n),
                first_name="Skala",
                last_name=f"Anställd {n}",
                created_at=now,
                updated_at=now,
            )
            for n in range(21)
        ]
        january = PayrollPeriod(
            company_id=company.id,
            start_date=date(2026, 1, 1),
            end_date=date(2026, 1, 31),
            state=PeriodState.LOCKED,
            locked_at=now,
            created_at=now,
        )
        february = PayrollPeriod(
            company_id=company.id,
            start_date=date(2026, 2, 1),
            end_date=date(2026, 2, 28),
            state=PeriodState.OPEN,
            created_at=now,
        )
        session.add_all([*employees, january, february])
        await session.flush()
        for employee in employees:
            session.add(
                PayrollEmployee(
                    company_id=company.id,
                    period_id=january.id,
                    employee_id=employee.id,
                    unattested_weeks=[],
                )
            )
            session.add_all(
                PayrollLine(
                    company_id=company.id,
                    period_id=january.id,
                    employee_id=employee.id,
                    position=n,
                    date=date(2026, 1, 1 + n % 31),
                    pay_type="TIM",
                    description="Arbetad tid",
                    time_code="ARB",
                    quantity=Decimal("1.00"),
                    unit=Unit.HOURS,
                    unit_price=None,
                    amount=None,
                    source=LineSource.TIME,
                    source_id=n,
                    hours=Decimal("1.00"),
                    extent_percent=None,
                )
                for n in range(100)
            )
            session.add_all(
                TimeEntry(
                    company_id=company.id,
                    employee_id=employee.id,
                    date=date(2026, 2, 1 + n % 28),
                    hours=Decimal("1.00"),
                    time_code_id=code.id,
                    created_at=now,
                    updated_at=now,
                )
                for n in range(100)
            )
    return Scale(admin.token, gid("PayrollPeriod", january.id), gid("PayrollPeriod", february.id))


BASIS_WITHOUT_LINES = (
    "query($p: ID!) { node(id: $p) { ... on PayrollPeriod { basis { employee { id } } } } }"
)
DIFFERENCES_WITHOUT_LINES = (
    "query($p: ID!) { node(id: $p) { ... on PayrollPeriod { differences { employee { id } } } } }"
)


@pytest.mark.parametrize(
    ("document", "period"),
    [
        pytest.param(BASIS_WITHOUT_LINES, "locked", id="locked basis without lines"),
        pytest.param(BASIS_WITHOUT_LINES, "open", id="open basis without lines"),
        pytest.param(DIFFERENCES_WITHOUT_LINES, "locked", id="differences of a locked period"),
    ],
)
async def test_the_payroll_basis_reads_no_more_rows_than_its_cost_allowed(
    document: str,
    period: str,
    client: httpx.AsyncClient,
    database: Database,
    factory: Factory,
    rows_fetched: RowsFetched,
) -> None:
    """The property at the bounds, where the generated documents over the small demo cannot go:
    the cost of a period's basis or differences without its lines must still allow the rows
    they read (21 employees × 100 lines, all within the bounds). Found by this test: the cost
    counted 1 per employee (1,001 for the basis, 201 for the differences) while 2,100 lines or
    time entries were read; each item is now charged the rows it is computed from."""
    scale = await seed_scale(database, factory)
    variables = {"p": getattr(scale, period)}
    sent = await send(client, rows_fetched, document, scale.admin, variables)
    assert sent.cost is not None and not sent.codes, sent
    assert sent.rows >= 21 * 100, sent  # the rows were read: the case the cost must cover
    assert sent.rows <= sent.allowed_rows(), sent
