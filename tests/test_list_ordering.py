"""`orderBy` on the lists a dashboard sorts: a field and a direction, ties by id the same way.

Paged forward (`first`/`after`) or backward (`last`/`before`) in any page size, every order is
the one in-memory sort of the rows: NULLs last in both directions, names as in Swedish (case
aside, å ä ö after z, the same in SQLite and PostgreSQL), no row twice and none left out. A
cursor belongs to its order; without `orderBy` a list keeps the order (and cursors) it had. An
order by a value of another area needs that area on every row listed."""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.functions import swedish_sort_text
from gql_portal.db.scope import scope_options
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.demo import organisation_number
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.accounts import Industry, Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus
from gql_portal.permissions import matrix
from gql_portal.permissions.matrix import Actor, Area
from tests.conftest import Api, StatementCounter, only_error
from tests.factories import Factory, gid

# Moderate: each example pages every order both ways, through the real HTTP endpoint.
EXAMPLES = 4
ORDERING = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Few letters, so that names tie; both cases, and the Swedish letters after z.
NAMES = st.text(alphabet="abzABZåäöÅÄÖ", min_size=1, max_size=3)
PAGE_SIZES = st.integers(1, 4)
DIRECTIONS = ("ASC", "DESC")


@dataclass(frozen=True)
class Listed:
    """A list with `orderBy`: its root field, order input type, fixed arguments, node type."""

    field: str
    order_type: str
    node_type: str
    arguments: str = ""
    node: str = "id"  # the node's selection, which `read` makes one string of
    read: Callable[[dict[str, Any]], str] = lambda node: str(node["id"])

    def query(self) -> str:
        return (
            f"query($first: Int, $after: String, $last: Int, $before: String, "
            f"$orderBy: {self.order_type}) {{ {self.field}(first: $first, after: $after, "
            f"last: $last, before: $before, orderBy: $orderBy{self.arguments}) {{ "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            f"edges {{ cursor node {{ {self.node} }} }} }} }}"
        )


EMPLOYEES = Listed("employees", "EmployeeOrder", "Employee", ", active: null")

Row = dict[str, Any]
SortValue = Callable[[Row], Any]


async def page(api: Api, token: str, listed: Listed, **variables: Any) -> dict[str, Any]:
    body = await api(listed.query(), variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][listed.field]
    return result


async def walk(
    api: Api, token: str, listed: Listed, order: dict[str, str] | None, size: int, *, back: bool
) -> list[str]:
    """Every item's id, `size` a page, from the start forward or from the end backward, with
    each page's info checked on the way."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        if back:
            current = await page(api, token, listed, last=size, before=cursor, orderBy=order)
        else:
            current = await page(api, token, listed, first=size, after=cursor, orderBy=order)
        info, edges = current["pageInfo"], current["edges"]
        ids = [listed.read(edge["node"]) for edge in edges]
        seen = ids + seen if back else seen + ids
        more = info["hasPreviousPage"] if back else info["hasNextPage"]
        assert info["hasNextPage" if back else "hasPreviousPage"] is (cursor is not None)
        assert len(edges) == size or not more
        if edges:
            assert (info["startCursor"], info["endCursor"]) == (
                edges[0]["cursor"],
                edges[-1]["cursor"],
            )
        if not more:
            return seen
        cursor = info["startCursor"] if back else info["endCursor"]


def id_only(row: Row) -> Any:
    """A default order by id alone: every row's value the same."""
    return ()


def in_memory(rows: Sequence[Row], value: SortValue, direction: str) -> list[int]:
    """The ids in the order's sort: by `value` then id (the row's, `id`), both one way; NULLs
    last either way."""
    descending = direction == "DESC"
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=lambda row: (value(row), row["id"]), reverse=descending)
    missing.sort(key=lambda row: row["id"], reverse=descending)
    return [row["id"] for row in present + missing]


@dataclass(frozen=True)
class Paging:
    """How one example pages: `forward` items a page from the start, `backward` a page from the
    end; per field of the order (in turn), a direction and whether to walk backward."""

    forward: int
    backward: int
    ways: list[tuple[str, bool]]


PAGINGS = st.builds(
    Paging,
    PAGE_SIZES,
    PAGE_SIZES,
    st.lists(st.tuples(st.sampled_from(DIRECTIONS), st.booleans()), min_size=4, max_size=4),
)


async def check_every_order(
    api: Api,
    token: str,
    listed: Listed,
    rows: Sequence[Row],
    orders: dict[str, SortValue],
    paging: Paging,
    default: tuple[SortValue, str] | None = None,
) -> None:
    """Every field of the order, walked once: in a direction and a way hypothesis draws (over
    the examples, each way in each direction), equal to the in-memory sort; and without
    `orderBy`, the list's default order (`default`: a value and a direction) as it always was."""
    nodes = {row["id"]: row.get("node") or gid(listed.node_type, row["id"]) for row in rows}
    if default is not None:
        whole = await page(api, token, listed, first=100)
        expected = [nodes[key] for key in in_memory(rows, *default)]
        assert [listed.read(edge["node"]) for edge in whole["edges"]] == expected, "default"
    for (field, value), (direction, back) in zip(orders.items(), paging.ways, strict=False):
        order = {"field": field, "direction": direction}
        expected = [nodes[key] for key in in_memory(rows, value, direction)]
        size = paging.backward if back else paging.forward
        walked = await walk(api, token, listed, order, size, back=back)
        assert walked == expected, (field, direction, back)


def decoded(cursor: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(cursor))


def encoded(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


# --- employees ----------------------------------------------------------------------------------

EMPLOYEE_ORDERS: dict[str, SortValue] = {
    "NAME": lambda row: (swedish_sort_text(row["last_name"]), swedish_sort_text(row["first_name"])),
    "EMPLOYEE_NUMBER": lambda row: row["employee_number"],
    "EMPLOYMENT_START": lambda row: row["employment_start"],
}
EMPLOYEE_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "last_name": NAMES,
            "first_name": NAMES,
            "employee_number": st.sampled_from(["1", "10", "2", "A-1", "a1", "B"]),
            "employment_start": st.none() | st.dates(date(2024, 1, 1), date(2024, 1, 4)),
            "active": st.booleans(),
        }
    ),
    max_size=9,
)


async def staffed(factory: Factory, rows: list[Row]) -> tuple[str, list[Row]]:
    """A new company (hypothesis's examples share the test's database) with these employees;
    an employee number repeats only among former staff, as the table requires."""
    company = await factory.company()
    admin = await factory.admin(company)
    active_numbers: set[str] = set()
    made = []
    for row in rows:
        if row["active"] and row["employee_number"] in active_numbers:
            row = {**row, "active": False}
        if row["active"]:
            active_numbers.add(row["employee_number"])
        employee = await factory.employee(company, **row)
        made.append({**row, "id": employee.id})
    return admin.token, made


@ORDERING
@given(rows=EMPLOYEE_ROWS, paging=PAGINGS)
async def test_employees_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, rows: list[Row], paging: Paging
) -> None:
    token, made = await staffed(factory, rows)
    await check_every_order(api, token, EMPLOYEES, made, EMPLOYEE_ORDERS, paging)


async def test_without_order_by_employees_keep_their_order_and_cursors(
    api: Api, factory: Factory
) -> None:
    """By the stored names, as always (the database's own comparison: names on which SQLite
    and PostgreSQL agree), with the key values as cursors: one a client kept still pages on."""
    rows = [
        {"last_name": last, "first_name": first, "employee_number": str(number), "active": True}
        for number, (last, first) in enumerate(
            [("Berg", "Bo"), ("Ahl", "Ida"), ("Berg", "Bo"), ("Ek", "Ola"), ("Berg", "Al")]
        )
    ]
    token, made = await staffed(factory, rows)
    expected = [
        gid("Employee", row["id"])
        for row in sorted(made, key=lambda row: (row["last_name"], row["first_name"], row["id"]))
    ]
    whole = await page(api, token, EMPLOYEES, first=10)
    assert [edge["node"]["id"] for edge in whole["edges"]] == expected
    first_bo = min(row["id"] for row in made if row["first_name"] == "Bo")
    assert decoded(whole["edges"][2]["cursor"]) == ["Berg", "Bo", first_bo]
    after = await page(api, token, EMPLOYEES, first=10, after=encoded(["Berg", "Bo", first_bo]))
    assert [edge["node"]["id"] for edge in after["edges"]] == expected[3:]


@pytest.mark.parametrize(
    ("taken", "given_order"),
    [
        ({"field": "NAME", "direction": "ASC"}, {"field": "NAME", "direction": "DESC"}),
        ({"field": "NAME", "direction": "ASC"}, {"field": "EMPLOYEE_NUMBER"}),
        ({"field": "EMPLOYMENT_START"}, None),
        (None, {"field": "NAME"}),
    ],
)
async def test_a_cursor_of_one_order_is_invalid_in_another(
    api: Api, factory: Factory, taken: dict[str, str] | None, given_order: dict[str, str] | None
) -> None:
    token, _ = await staffed(
        factory,
        [
            {"last_name": "Ek", "first_name": "Bo", "employee_number": "1", "active": True},
            {"last_name": "Al", "first_name": "Li", "employee_number": "2", "active": True},
        ],
    )
    cursor = (await page(api, token, EMPLOYEES, first=1, orderBy=taken))["pageInfo"]["endCursor"]
    for argument, paging in (("after", "first"), ("before", "last")):
        body = await api(
            EMPLOYEES.query(), {paging: 1, argument: cursor, "orderBy": given_order}, token=token
        )
        error = only_error(body)
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            argument,
            "INVALID_CURSOR",
        )


async def test_ordering_by_another_area_needs_it_on_every_row_listed(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """An employee who read every colleague's contact details but only their own salary details
    could rank the colleagues' start dates by ordering on them: refused, naming `orderBy`."""
    company = await factory.company()
    await factory.employee(company, employment_start=date(2020, 1, 1))
    staff = await factory.staff(company, employment_start=date(2021, 1, 1))
    order = {"field": "EMPLOYMENT_START", "direction": "DESC"}
    # As the matrix stands: contact and salary details alike, their own row only.
    mine = await page(api, staff.token, EMPLOYEES, first=10, orderBy=order)
    assert [edge["node"]["id"] for edge in mine["edges"]] == [
        gid("Employee", staff.employee_id or 0)
    ]

    everyone = matrix.Grant(read=matrix.Reach.ALL)
    monkeypatch.setitem(matrix.MATRIX[Area.EMPLOYEE_CONTACT], Actor.EMPLOYEE, everyone)
    scope_options.cache_clear()  # the row filters are built once per viewer

    def restored() -> None:
        monkeypatch.undo()
        scope_options.cache_clear()

    request.addfinalizer(restored)
    by_name = await page(api, staff.token, EMPLOYEES, first=10, orderBy={"field": "NAME"})
    assert len(by_name["edges"]) == 2
    body = await api(EMPLOYEES.query(), {"first": 10, "orderBy": order}, token=staff.token)
    error = only_error(body)
    assert (error["code"], error["area"], error["field"]) == (
        "FORBIDDEN",
        "EMPLOYEE_SALARY",
        "orderBy",
    )
    assert body["data"] is None or body["data"].get("employees") is None


# --- the other lists: rows written straight to the database, read back for the in-memory sort ---

DAYS = st.dates(date(2024, 3, 4), date(2024, 3, 7))
MOMENTS = st.sampled_from(
    [datetime(2024, 3, 4, 8, 0, tzinfo=UTC), datetime(2024, 3, 4, 8, 0, 0, 1, tzinfo=UTC)]
    + [datetime(2024, 3, 5, hour, tzinfo=UTC) for hour in (9, 17)]
)
NUMBERS = itertools.count(700_000)  # for unique emails and organisation numbers
AMOUNTS = st.sampled_from([Decimal("9.50"), Decimal("10.00"), Decimal("100.00")])


async def added(database: Database, rows: Sequence[Any]) -> None:
    async with database.transaction() as session:
        session.add_all(rows)


async def admin_of_new_company(factory: Factory) -> tuple[Company, str, int]:
    """A company (each example its own), its admin's token, and an employee of it."""
    company = await factory.company()
    admin = await factory.admin(company)
    employee = await factory.employee(company)
    return company, admin.token, employee.id


def enum_name(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


EXPENSES = Listed("expenses", "ExpenseOrder", "Expense")
EXPENSE_ORDERS: dict[str, SortValue] = {
    "DATE": lambda row: row["date"],
    "AMOUNT": lambda row: row["amount"],
    "STATUS": lambda row: enum_name(row["status"]),
    "CREATED": lambda row: row["created_at"],
}


@ORDERING
@given(
    rows=st.lists(st.tuples(DAYS, AMOUNTS, st.sampled_from(ExpenseStatus), MOMENTS), max_size=8),
    paging=PAGINGS,
)
async def test_expenses_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, employee_id = await admin_of_new_company(factory)
    made = [
        Expense(
            company_id=company.id,
            employee_id=employee_id,
            kind=ExpenseKind.EXPENSE,
            date=day,
            description="Fika",
            category=ExpenseCategory.FOOD,
            amount=amount,
            vat_amount=Decimal("0.00"),
            status=status,
            created_at=moment,
            updated_at=moment,
        )
        for day, amount, status, moment in rows
    ]
    await added(database, made)
    await check_every_order(
        api,
        token,
        EXPENSES,
        rows_of(made),
        EXPENSE_ORDERS,
        paging,
        (EXPENSE_ORDERS["DATE"], "DESC"),
    )


def rows_of(made: Sequence[Any]) -> list[Row]:
    """The written rows as dicts of their columns (ids assigned by the database)."""
    return [
        {column.key: getattr(row, column.key) for column in inspect(row).mapper.column_attrs}
        for row in made
    ]


TIME_ENTRIES = Listed("timeEntries", "TimeEntryOrder", "TimeEntry")
TIME_ENTRY_ORDERS: dict[str, SortValue] = {
    "DATE": lambda row: row["date"],
    "HOURS": lambda row: row["hours"],
}


@ORDERING
@given(
    rows=st.lists(st.tuples(DAYS, st.sampled_from([Decimal("1.50"), Decimal("8.00")])), max_size=8),
    paging=PAGINGS,
)
async def test_time_entries_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, employee_id = await admin_of_new_company(factory)
    async with database.session() as session:
        code = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id).limit(1)
        )
    made = [
        TimeEntry(
            company_id=company.id,
            employee_id=employee_id,
            date=day,
            hours=hours,
            time_code_id=code,
            created_at=datetime(2024, 3, 8, tzinfo=UTC),
            updated_at=datetime(2024, 3, 8, tzinfo=UTC),
        )
        for day, hours in rows
    ]
    await added(database, made)
    await check_every_order(
        api,
        token,
        TIME_ENTRIES,
        rows_of(made),
        TIME_ENTRY_ORDERS,
        paging,
        (TIME_ENTRY_ORDERS["DATE"], "ASC"),
    )


ABSENCES = Listed("absences", "AbsenceOrder", "Absence")
ABSENCE_ORDERS: dict[str, SortValue] = {
    "START_DATE": lambda row: row["start_date"],
    "END_DATE": lambda row: row["end_date"],
    "KIND": lambda row: enum_name(row["kind"]),
}


@ORDERING
@given(
    rows=st.lists(st.tuples(DAYS, st.integers(0, 2), st.sampled_from(AbsenceKind)), max_size=8),
    paging=PAGINGS,
)
async def test_absences_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, employee_id = await admin_of_new_company(factory)
    made = [
        Absence(
            company_id=company.id,
            employee_id=employee_id,
            kind=kind,
            start_date=start,
            end_date=start + timedelta(days=days),
            status=AbsenceStatus.APPROVED,
            created_at=datetime(2024, 3, 1, tzinfo=UTC),
        )
        for start, days, kind in rows
    ]
    await added(database, made)
    await check_every_order(
        api,
        token,
        ABSENCES,
        rows_of(made),
        ABSENCE_ORDERS,
        paging,
        (ABSENCE_ORDERS["START_DATE"], "ASC"),
    )


EXPORTS = Listed("exports", "ExportOrder", "Export")
EXPORT_ORDERS: dict[str, SortValue] = {
    "CREATED": lambda row: row["created_at"],
    "STATE": lambda row: enum_name(row["state"]),
    "KIND": lambda row: enum_name(row["kind"]),
}


@ORDERING
@given(
    rows=st.lists(
        st.tuples(
            MOMENTS,
            st.sampled_from(ExportState),
            st.sampled_from([ExportKind.PAYROLL_BASIS, ExportKind.EXPENSES]),
        ),
        max_size=8,
    ),
    paging=PAGINGS,
)
async def test_exports_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, _ = await admin_of_new_company(factory)
    made = [
        Export(
            company_id=company.id,
            kind=kind,
            format=ExportFormat.CSV,
            area=Area.PAYROLL_BASIS,
            state=state,
            created_at=moment,
        )
        for moment, state, kind in rows
    ]
    await added(database, made)
    await check_every_order(
        api, token, EXPORTS, rows_of(made), EXPORT_ORDERS, paging, (id_only, "DESC")
    )


# An audit event has no id: each one's details name it.
AUDIT_EVENTS = Listed(
    "auditEvents", "AuditEventOrder", "AuditEvent", node="details", read=lambda n: n["details"]
)
AUDIT_ORDERS: dict[str, SortValue] = {
    "TIME": lambda row: row["at"],
    "ACTION": lambda row: row["action"],
}


@ORDERING
@given(
    rows=st.lists(
        st.tuples(MOMENTS, st.sampled_from(["EMPLOYEE_CREATED", "EMPLOYEE_UPDATED", "LOGIN"])),
        max_size=8,
    ),
    paging=PAGINGS,
)
async def test_audit_events_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, _ = await admin_of_new_company(factory)
    made = [
        AuditEvent(company_id=company.id, at=moment, action=action, details={"n": number})
        for number, (moment, action) in enumerate(rows)
    ]
    await added(database, made)
    events = [{**row, "node": orjson.dumps(row["details"]).decode()} for row in rows_of(made)]
    await check_every_order(
        api, token, AUDIT_EVENTS, events, AUDIT_ORDERS, paging, (id_only, "DESC")
    )


# The membership's user stands for it (a CompanyUser has no id of its own); ties go by membership.
USERS = Listed(
    "companyUsers", "CompanyUserOrder", "User", node="userId", read=lambda n: n["userId"]
)
USER_ORDERS: dict[str, SortValue] = {
    "NAME": lambda row: swedish_sort_text(row["name"]),
    "EMAIL": lambda row: row["email"],
    "ROLE": lambda row: enum_name(row["role"]),
    "MEMBER_SINCE": lambda row: row["created_at"],
}


@ORDERING
@given(
    rows=st.lists(st.tuples(NAMES, st.sampled_from(Role), MOMENTS), max_size=7),
    paging=PAGINGS,
)
async def test_company_users_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    company, token, _ = await admin_of_new_company(factory)
    async with database.transaction() as session:
        for name, role, moment in rows:
            user = User(
                email=f"user{next(NUMBERS)}@test.example",
                name=name,
                password_hash="not-used",
                password_changed_at=moment,
                created_at=moment,
            )
            session.add(user)
            await session.flush()
            session.add(
                Membership(user_id=user.id, company_id=company.id, role=role, created_at=moment)
            )
    async with database.session() as session:
        members = (
            await session.execute(
                select(Membership, User)
                .join(User, User.id == Membership.user_id)
                .where(Membership.company_id == company.id)
            )
        ).all()
    users = [
        {
            "id": membership.id,
            "node": gid("User", user.id),
            "name": user.name,
            "email": user.email,
            "role": membership.role,
            "created_at": membership.created_at,
        }
        for membership, user in members
    ]
    await check_every_order(api, token, USERS, users, USER_ORDERS, paging, (id_only, "ASC"))


# A client stands for its collaboration (the board's rows); ties go by collaboration.
CLIENTS = Listed(
    "clients", "ClientOrder", "Company", node="company { id }", read=lambda n: n["company"]["id"]
)
CLIENT_ORDERS: dict[str, SortValue] = {
    "NAME": lambda row: swedish_sort_text(row["name"]),
    "LEVEL": lambda row: enum_name(row["level"]),
    "ACTIVATED_AT": lambda row: row["activated_at"],
}


@ORDERING
@given(
    rows=st.lists(st.tuples(NAMES, st.sampled_from(AccessLevel), st.none() | MOMENTS), max_size=7),
    paging=PAGINGS,
)
async def test_portal_clients_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, database: Database, rows: list[Any], paging: Paging
) -> None:
    firm = await factory.company("Byrån AB", firm=True)
    token = await factory.log_in(await factory.user(firm), firm, SessionContext.PORTAL)
    clients = []
    async with database.transaction() as session:
        for name, level, activated in rows:
            client = Company(
                name=name,
                organisation_number=organisation_number(next(NUMBERS)),
                industry=Industry.CONSTRUCTION,
                created_at=firm.created_at,
                trial_ends_at=firm.trial_ends_at,
                activated_at=firm.activated_at,
            )
            session.add(client)
            await session.flush()
            collaboration = Collaboration(
                company_id=client.id,
                firm_id=firm.id,
                level=level,
                state=CollaborationState.ACTIVE,
                initiated_by=Initiator.FIRM,
                created_at=firm.created_at,
                updated_at=firm.created_at,
                activated_at=activated,
            )
            session.add(collaboration)
            await session.flush()
            clients.append(
                {
                    "id": collaboration.id,
                    "node": gid("Company", client.id),
                    "name": name,
                    "level": level,
                    "activated_at": activated,
                }
            )
    await check_every_order(api, token, CLIENTS, clients, CLIENT_ORDERS, paging, (id_only, "ASC"))


@pytest.mark.parametrize(
    ("listed", "order"),
    [
        (EMPLOYEES, {"field": "NAME", "direction": "DESC"}),
        (EMPLOYEES, {"field": "EMPLOYMENT_START"}),
        (USERS, {"field": "NAME"}),
        (EXPENSES, {"field": "AMOUNT", "direction": "DESC"}),
    ],
)
async def test_an_order_costs_no_statement_more(
    api: Api, factory: Factory, sql_statements: StatementCounter, listed: Listed, order: Any
) -> None:
    company, token, _ = await admin_of_new_company(factory)
    for number in range(3):
        await factory.employee(company, last_name=f"Ö{number}", employment_start=None)

    async def statements(**variables: Any) -> int:
        await page(api, token, listed, first=2, **variables)  # warm: the session lookup cached
        before = sql_statements.count
        first = await page(api, token, listed, first=2, **variables)
        await page(api, token, listed, first=2, after=first["pageInfo"]["endCursor"], **variables)
        return sql_statements.count - before

    assert await statements(orderBy=order) == await statements()


async def test_clients_by_name_cost_no_statement_more(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    firm = await factory.company("Byrån AB", firm=True)
    token = await factory.log_in(await factory.user(firm), firm, SessionContext.PORTAL)
    for name in ("Ödla AB", "Åkeri AB", "Bygg AB"):
        client = await factory.company(name)
        await added(
            database,
            [
                Collaboration(
                    company_id=client.id,
                    firm_id=firm.id,
                    level=AccessLevel.LIMITED,
                    state=CollaborationState.ACTIVE,
                    initiated_by=Initiator.FIRM,
                    created_at=firm.created_at,
                    updated_at=firm.created_at,
                    activated_at=firm.created_at,
                )
            ],
        )
    counts = []
    for order in (None, {"field": "NAME"}):
        await page(api, token, CLIENTS, first=2, orderBy=order)
        before = sql_statements.count
        first = await page(api, token, CLIENTS, first=2, orderBy=order)
        after = first["pageInfo"]["endCursor"]
        await page(api, token, CLIENTS, first=2, after=after, orderBy=order)
        counts.append(sql_statements.count - before)
    assert counts[0] == counts[1]


@pytest.mark.parametrize(
    ("listed", "order", "payload"),
    [
        (EXPENSES, {"field": "CREATED"}, ["2024-03-04T08:00:00", 1]),  # no time zone
        (EXPENSES, {"field": "CREATED"}, ["yesterday", 1]),
        (EXPENSES, {"field": "AMOUNT"}, ["NaN", 1]),
        (EXPENSES, {"field": "AMOUNT"}, ["1e400", 1]),
        (EXPENSES, {"field": "AMOUNT"}, [12.5, 1]),  # written as a string
        (EXPENSES, {"field": "STATUS"}, ["PAID", 1]),
        (EXPENSES, None, ["2024-03-04", 2**70]),
        (EXPENSES, None, ["2024-03-04", True]),
        (EMPLOYEES, {"field": "NAME"}, ["Ek\u0000", "Bo", 1]),
        (EMPLOYEES, {"field": "EMPLOYMENT_START"}, [None, None]),  # only the date may be NULL
        (EMPLOYEES, {"field": "EMPLOYMENT_START"}, [{"a": 1}, 1]),
    ],
)
async def test_a_tampered_cursor_is_invalid_never_a_failed_statement(
    api: Api, factory: Factory, listed: Listed, order: Any, payload: list[Any]
) -> None:
    _, token, _ = await admin_of_new_company(factory)
    if order is not None:
        order_name = f"{order['field']} {order.get('direction', 'ASC')}"
        payload = {"order": order_name, "keys": payload}  # type: ignore[assignment]
    body = await api(
        listed.query(), {"first": 5, "after": encoded(payload), "orderBy": order}, token=token
    )
    error = only_error(body)
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "after",
        "INVALID_CURSOR",
    )


async def test_clients_by_name_with_the_boards_filters(
    api: Api, factory: Factory, database: Database
) -> None:
    """The name's join and the filters' subqueries on the client's company stay apart."""
    firm = await factory.company("Byrån AB", firm=True)
    token = await factory.log_in(await factory.user(firm), firm, SessionContext.PORTAL)
    for name in ("Ödla AB", "Åkeri AB", "Bygg AB", "Annat HB"):
        client = await factory.company(name)
        await added(
            database,
            [
                Collaboration(
                    company_id=client.id,
                    firm_id=firm.id,
                    level=AccessLevel.FULL,
                    state=CollaborationState.ACTIVE,
                    initiated_by=Initiator.FIRM,
                    created_at=firm.created_at,
                    updated_at=firm.created_at,
                    activated_at=firm.created_at,
                )
            ],
        )
    query = """query($after: String, $order: ClientOrder) {
      clients(first: 2, after: $after, search: "ab", periodState: OPEN, level: FULL,
              orderBy: $order) {
        pageInfo { hasNextPage endCursor } edges { node { company { name } } } } }"""
    names: list[str] = []
    after = None
    while True:
        body = await api(query, {"after": after, "order": {"field": "NAME"}}, token=token)
        assert "errors" not in body, body
        names += [edge["node"]["company"]["name"] for edge in body["data"]["clients"]["edges"]]
        if not body["data"]["clients"]["pageInfo"]["hasNextPage"]:
            break
        after = body["data"]["clients"]["pageInfo"]["endCursor"]
    assert names == ["Bygg AB", "Åkeri AB", "Ödla AB"]
