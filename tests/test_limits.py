"""Abuse is refused before execution with a clear code (QUERY_TOO_COMPLEX or BAD_USER_INPUT),
without touching the data, while other clients' normal queries keep succeeding.

Every list counts in the cost (issue 21): a plain list inside a list item multiplies by its
declared bound, so documents whose work grows as (entries per employee)^levels are refused
before any SQL; a list longer than its bound is refused where it is resolved, never cut short.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import orjson
import pytest
import strawberry
from graphql import get_introspection_query

from gql_portal.permissions.rules import Anyone
from gql_portal.schema.build import MissingBoundError, RoleSchema
from gql_portal.schema.fields import field
from gql_portal.schema.limits import MAX_ALIASES, MAX_COST, MAX_DEPTH, MAX_TOKENS, LimitExceeded
from tests.conftest import Api, error_codes
from tests.factories import Factory, gid

TOO_COMPLEX = "QUERY_TOO_COMPLEX"
EMPLOYEES_600 = (
    "employees(first: 100) { nodes { company { name } } edges { node { company { name } } } }"
)


# Issue 21's documents: plain lists nested in list items (each level multiplies the work).
NESTED_TIME_ENTRIES = (
    "{ timeEntries(first: 100) { nodes { employee { timeEntries { employee { timeEntries "
    "{ hours } } } } } } }"
)
NESTED_TIME_ENTRIES_DEEPER = (
    "{ timeEntries(first: 100) { nodes { employee { timeEntries { employee { timeEntries "
    "{ employee { timeEntries { hours } } } } } } } } }"
)
NESTED_FROM_EMPLOYEES = (
    "{ employees(first: 100) { nodes { timeEntries { employee { expenses { employee "
    "{ absences { id } } } } } } } }"
)
PAYROLL_BASIS_60_TIMES = (
    "query($p: ID!) { "
    + " ".join(
        f"b{i}: node(id: $p) {{ ... on PayrollPeriod {{ basis {{ lines {{ amount }} "
        "employee { id } } } }"
        for i in range(60)
    )
    + " }"
)
PORTAL_CLIENTS_NESTED = (
    "{ clients(first: 100) { nodes { employees { timeEntries { id } expenses { receipts "
    "{ id } } } } } }"
)


def nested(depth: int) -> str:
    return "{ " + "viewer { company { " * (depth // 2) + "name" + " } }" * (depth // 2) + " }"


def catalogue() -> list[tuple[str, dict[str, Any], int, str]]:
    """(what, request, expected HTTP status, expected code)."""
    # A fragment of 60 aliases spread 10 times: 600 aliases in a small document.
    aliases_by_fragment = (
        "query { " + " ".join(f"x{i}: viewer {{ ...A }}" for i in range(10)) + " } "
        "fragment A on Viewer { " + " ".join(f"a{i}: context" for i in range(60)) + " }"
    )
    fanned = (
        "query { ...F0 } "
        + " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(30))
        + " fragment F30 on Query { viewer { context } }"
    )
    return [
        ("depth 100", {"query": nested(100)}, 200, "QUERY_TOO_COMPLEX"),
        (
            "10,000 aliases",
            {"query": "{ " + " ".join(f"a{i}: viewer {{ context }}" for i in range(10_000)) + " }"},
            200,
            "QUERY_TOO_COMPLEX",
        ),
        ("600 aliases through fragments", {"query": aliases_by_fragment}, 200, "QUERY_TOO_COMPLEX"),
        ("2^30 spreads of fragments", {"query": fanned}, 200, "QUERY_TOO_COMPLEX"),
        (
            "recursive fragments",
            {
                "query": "query { ...A } fragment A on Query { viewer { context } ...B } "
                "fragment B on Query { ...A }"
            },
            200,
            "QUERY_TOO_COMPLEX",
        ),
        (
            f"cost over {MAX_COST}",
            {
                "query": "{ "
                + " ".join(f"e{i}: {EMPLOYEES_600}" for i in range(MAX_COST // 600 + 10))
                + " }"
            },
            200,
            "QUERY_TOO_COMPLEX",
        ),
        (
            "issue 21: time entries nested 3 levels",
            {"query": NESTED_TIME_ENTRIES},
            200,
            TOO_COMPLEX,
        ),
        ("issue 21: 4 levels", {"query": NESTED_TIME_ENTRIES_DEEPER}, 200, TOO_COMPLEX),
        ("employees' nested lists", {"query": NESTED_FROM_EMPLOYEES}, 200, TOO_COMPLEX),
        (
            "issue 21: 60 aliased payroll-basis lookups",
            {"query": PAYROLL_BASIS_60_TIMES, "variables": {"p": "UGF5cm9sbFBlcmlvZDox"}},
            200,
            TOO_COMPLEX,
        ),
        (
            "first: 1000000000",
            {"query": "{ employees(first: 1000000000) { nodes { id } } }"},
            200,
            "BAD_USER_INPUT",
        ),
        (
            "first: 0 in a variable",
            {
                "query": "query($n: Int) { employees(first: $n) { nodes { id } } }",
                "variables": {"n": 0},
            },
            200,
            "BAD_USER_INPUT",
        ),
        (
            "a 1 MB document",
            {"query": "{ viewer { context } }" + " " * 1_100_000},
            413,
            "BAD_USER_INPUT",
        ),
        (
            "more tokens than allowed",
            {
                "query": "{ viewer { context } }"
                + " query Q { viewer { context } }" * (MAX_TOKENS // 6)
            },
            200,
            "QUERY_TOO_COMPLEX",
        ),
    ]


async def test_a_catalogue_of_abusive_requests_is_refused_before_execution(
    api: Api, client: httpx.AsyncClient, factory: Factory, sql_statements: Any
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    headers = {"authorization": f"Bearer {admin.token}"}
    slowest = 0.0
    for what, payload, status, code in catalogue():
        before = sql_statements.count
        started = time.perf_counter()
        response = await client.post(
            "/graphql",
            content=orjson.dumps(payload),
            headers={**headers, "content-type": "application/json"},
        )
        slowest = max(slowest, time.perf_counter() - started)
        assert response.status_code == status, (what, response.text[:300])
        body = response.json()
        codes = error_codes(body) if "errors" in body else []
        assert code in codes, (what, body)
        assert body.get("data") is None, what
        # Refused before execution: at most the session lookup ran.
        assert sql_statements.count - before <= 1, what
    print(f"\nslowest refusal: {slowest * 1000:.0f} ms")

    # Transport-level abuse.
    raw: list[tuple[str, bytes, str, int]] = [
        (
            "1,000 operations in one batch",
            orjson.dumps([{"query": "{ viewer { context } }"}] * 1000),
            "application/json",
            400,
        ),
        ("malformed JSON", b'{"query": "{ viewer { id } }"', "application/json", 400),
        (
            "a form post",
            b"query=%7B+viewer+%7B+id+%7D+%7D",
            "application/x-www-form-urlencoded",
            415,
        ),
        ("plain text", b"{ viewer { context } }", "text/plain", 415),
        (
            "a 900 kB variable",
            orjson.dumps(
                {
                    "query": "query($s: String) { viewer { context } }",
                    "variables": {"s": "x" * 900_000},
                }
            ),
            "application/json",
            413,
        ),
        (
            "variables nested 5,000 deep",
            b'{"query": "{ viewer { context } }", "variables": {"v": '
            + b"[" * 5000
            + b"]" * 5000
            + b"}}",
            "application/json",
            400,
        ),
    ]
    for what, content, content_type, status in raw:
        response = await client.post(
            "/graphql", content=content, headers={**headers, "content-type": content_type}
        )
        assert response.status_code == status, (what, response.text[:300])
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", what


async def test_normal_queries_keep_succeeding_while_abuse_is_refused(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    abuser = await factory.admin(await factory.company("Busig AB"))
    abusive = [payload for _, payload, status, _ in catalogue() if status == 200]

    async def abuse() -> None:
        for _ in range(3):
            for payload in abusive:
                await api(payload["query"], payload.get("variables"), token=abuser.token)

    async def normal() -> list[dict[str, Any]]:
        return [await api("{ viewer { company { name } } }", token=admin.token) for _ in range(20)]

    _, answers = await asyncio.gather(abuse(), normal())
    assert all(a["data"]["viewer"]["company"]["name"] == "Kund AB" for a in answers)


async def test_within_the_limits_answers_carry_their_cost(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    body = await api(
        "{ viewer { context } employees(first: 10) { nodes { id } edges { node { id } } } }",
        token=admin.token,
    )
    assert "errors" not in body, body
    # viewer (1) + employees (10) + its nodes (10) + edges (10) + their node (10)
    assert body["extensions"]["cost"] == {"requested": 41, "limit": MAX_COST}
    # GraphiQL's introspection query and MAX_DEPTH-deep documents are fine.
    introspection = await api(get_introspection_query(descriptions=True), token=admin.token)
    assert "errors" not in introspection
    # (Not a valid document at any depth: it is only measured, then validated.)
    within_depth = await api(nested(MAX_DEPTH - 1), token=admin.token)
    assert error_codes(within_depth) == ["GRAPHQL_VALIDATION_FAILED"]
    assert error_codes(await api(nested(MAX_DEPTH + 2), token=admin.token)) == ["QUERY_TOO_COMPLEX"]
    within = "{ " + " ".join(f"a{i}: viewer {{ context }}" for i in range(MAX_ALIASES)) + " }"
    assert error_codes(await api(within, token=admin.token)) == []


async def test_an_employee_cannot_send_the_nested_lists_either(
    api: Api, factory: Factory, sql_statements: Any
) -> None:
    employee = await factory.staff(await factory.company())
    for document in (NESTED_TIME_ENTRIES, NESTED_TIME_ENTRIES_DEEPER, NESTED_FROM_EMPLOYEES):
        before = sql_statements.count
        body = await api(document, token=employee.token)
        assert error_codes(body) == [TOO_COMPLEX], body
        assert body["errors"][0]["extensions"]["limit"] == MAX_COST
        assert sql_statements.count - before <= 1  # the session lookup only


def cost_of(document: str, variables: dict[str, Any] | None = None) -> int:
    """The cost the walker computes on the full schema."""
    from graphql import parse

    from gql_portal.schema.build import full_schema
    from gql_portal.schema.limits import measure

    return measure(full_schema()._schema, parse(document), None, variables).cost


def test_every_list_counts_with_its_bound() -> None:
    from gql_portal.schema.employees import EMPLOYEE_TIME_ENTRIES_BOUND as ENTRIES

    # A plain list multiplies what is below it by its bound, like a connection by its page.
    assert cost_of("{ timeEntries(first: 10) { nodes { employee { timeEntries { id } } } } }") == (
        10 + 10 + 10 + 10 * ENTRIES
    )
    one_level = cost_of(
        "{ timeEntries(first: 100) { nodes { employee { timeEntries { hours } } } } }"
    )
    assert one_level == 300 + 100 * ENTRIES
    # One more level multiplies by the bound again: far over the limit, refused while measured.
    with pytest.raises(LimitExceeded):
        cost_of(
            "{ timeEntries(first: 100) { nodes { employee { timeEntries { employee "
            "{ timeEntries { hours } } } } } } }"
        )
    with pytest.raises(LimitExceeded):  # a page of clients with their employees' nested lists
        cost_of(PORTAL_CLIENTS_NESTED)
    # Scalar lists (bounded by their domain) and connections' edges/nodes add nothing more.
    assert cost_of("{ viewer { openMenus } }") == 1


def test_the_bench_scenarios_stay_within_the_cost_limit() -> None:
    from bench.scenarios import CLIENT_BOARD, CLIENT_EMPLOYEES, PAYROLL_BASIS

    board = cost_of(CLIENT_BOARD, {"first": 100})
    client_employees = cost_of(CLIENT_EMPLOYEES, {"first": 100})
    basis = cost_of(PAYROLL_BASIS, {"period": "UGF5cm9sbFBlcmlvZDox"})
    print(f"\ncosts: board {board}, client employees {client_employees}, basis {basis}")
    assert board <= MAX_COST and client_employees <= MAX_COST and basis <= MAX_COST


def test_an_item_computed_from_other_rows_costs_at_least_what_it_reads() -> None:
    """The payroll basis reads its sources (or its frozen lines) whatever is selected: each
    employee costs at least BASIS_READS, and its selection's own cost where that is more (its
    lines are not charged twice). The walk adds what it charged for reading to the request's
    read budget."""
    from graphql import parse

    from gql_portal.schema.build import full_schema
    from gql_portal.schema.limits import measure
    from gql_portal.schema.payroll import BASIS_EMPLOYEES_BOUND as EMPLOYEES
    from gql_portal.schema.payroll import BASIS_READS, DIFFERENCES_READS, LINES_BOUND
    from gql_portal.schema.payroll import DIFFERENCES_BOUND as CHANGED
    from gql_portal.schema.payroll import TIME_CODE_TOTALS_BOUND as TOTALS

    def basis(selection: str, field: str = "basis") -> str:
        return f"query($p: ID!) {{ node(id: $p) {{ ... on PayrollPeriod {{ {field} {selection} }} }} }}"

    variables = {"p": "UGF5cm9sbFBlcmlvZDox"}
    assert cost_of(basis("{ employee { id } }"), variables) == 1 + EMPLOYEES * BASIS_READS
    assert cost_of(basis("{ totalAmount }"), variables) == 1 + EMPLOYEES * BASIS_READS
    with_lines = basis("{ employee { id } lines { amount } hoursByTimeCode { hours } }")
    own = 1 + 1 + LINES_BOUND + TOTALS  # itself, its employee, its lines and totals
    assert own > BASIS_READS
    assert cost_of(with_lines, variables) == 1 + EMPLOYEES * own
    assert cost_of(basis("{ employee { id } }", "differences"), variables) == (
        1 + CHANGED * DIFFERENCES_READS
    )
    # Two places reading: each charged, and both in the read budget.
    found = measure(
        full_schema()._schema,
        parse(
            "query($p: ID!) { node(id: $p) { ... on PayrollPeriod { basis { totalAmount } "
            "differences { added { amount } } } } }"
        ),
        None,
        variables,
    )
    assert found.reads == EMPLOYEES * BASIS_READS + CHANGED * DIFFERENCES_READS
    assert found.cost == 1 + found.reads
    # Three periods' bases would read more than any request may: refused while measured.
    with pytest.raises(LimitExceeded):
        cost_of("{ payrollPeriods(first: 3) { nodes { basis { employee { id } } } } }")


@strawberry.type
class UnboundItem:
    name: str = field(Anyone())


@strawberry.type
class UnboundQuery:
    items: list[UnboundItem] = field(Anyone())


def test_a_list_of_objects_without_a_bound_fails_the_schema_build() -> None:
    with pytest.raises(MissingBoundError, match=r"UnboundQuery\.items"):
        RoleSchema(None, query=UnboundQuery)


async def test_a_list_over_its_paths_allowance_is_refused_not_cut(
    api: Api, factory: Factory, database: Any, sql_statements: Any
) -> None:
    """A bound is per parent in the cost, but execution holds each *path* to what the cost
    counted there (items above × bound): one employee may go over the bound while the path
    stays within its allowance; the path is refused (never cut) once it holds more."""
    from datetime import date, timedelta
    from decimal import Decimal

    from sqlalchemy import event, select

    from gql_portal.db.settings import TimeCode
    from gql_portal.db.time import TimeEntry
    from gql_portal.schema.employees import EMPLOYEE_TIME_ENTRIES_BOUND as ENTRIES

    company = await factory.company()
    admin = await factory.admin(company)
    busy = await factory.employee(company, first_name="Busy")
    calm = await factory.employee(company, first_name="Calm")
    async with database.transaction() as session:
        code = (
            await session.scalars(select(TimeCode).where(TimeCode.company_id == company.id))
        ).first()
        now = factory.clock.now()
        first_day = date(2024, 1, 1)
        for employee, count in ((busy, ENTRIES + 30), (calm, ENTRIES)):
            session.add_all(
                TimeEntry(
                    company_id=company.id,
                    employee_id=employee.id,
                    date=first_day + timedelta(days=day),
                    hours=Decimal("1.00"),
                    time_code_id=code.id,
                    created_at=now,
                    updated_at=now,
                )
                for day in range(count)
            )
    loaded = 0

    def count_loaded(target: Any, context: Any) -> None:
        nonlocal loaded
        loaded += 1

    async def run(query: str, **variables: Any) -> tuple[dict[str, Any], int, int]:
        nonlocal loaded
        loaded = 0
        event.listen(TimeEntry, "load", count_loaded)
        try:
            before = sql_statements.count
            body = await api(query, variables, token=admin.token)
            return body, loaded, sql_statements.count - before
        finally:
            event.remove(TimeEntry, "load", count_loaded)

    # A page of 10 employees may hold 10 × bound entries: the busy one's 230 are all answered.
    body, rows, statements = await run(
        "{ employees(first: 10) { nodes { firstName timeEntries { date } } } }"
    )
    assert "errors" not in body, body
    lists = {n["firstName"]: len(n["timeEntries"]) for n in body["data"]["employees"]["nodes"]}
    assert lists["Busy"] == ENTRIES + 30 and lists["Calm"] == ENTRIES
    assert rows == 2 * ENTRIES + 30  # every row once, no more
    assert statements <= 3, statements  # session, the page of employees, their entries

    # One employee alone: the path's allowance is the bound. Refused, naming the field and
    # the allowance, after reading at most allowance + 1 rows in one statement.
    body, rows, statements = await run(
        "query($e: ID!) { node(id: $e) { ... on Employee { timeEntries { date } } } }",
        e=gid("Employee", busy.id),
    )
    (error,) = body["errors"]
    assert error["extensions"]["code"] == TOO_COMPLEX, error
    assert error["extensions"]["limit"] == ENTRIES
    assert error["extensions"]["field"] == "timeEntries"
    assert error["path"][-1] == "timeEntries"
    assert rows <= ENTRIES + 1
    assert statements <= 3, statements
    # Narrowed below the bound, the busy one's list is answered.
    body, rows, _ = await run(
        'query($e: ID!) { node(id: $e) { ... on Employee { timeEntries(to: "2024-01-31") '
        "{ date } } } }",
        e=gid("Employee", busy.id),
    )
    assert len(body["data"]["node"]["timeEntries"]) == 31

    # 100 of the busy one's entries, each with the employee's entries again: the path
    # `timeEntries.nodes.employee.timeEntries` may hold 100 × bound and would hold 100 × 230.
    # The rows are read once (the loader keeps them); the answer would repeat them: refused.
    body, rows, _ = await run(
        "query($e: ID!) { timeEntries(first: 100, employeeId: $e) { nodes { employee "
        "{ timeEntries { date } } } } }",
        e=gid("Employee", busy.id),
    )
    codes = {(e["extensions"]["code"], e["extensions"].get("limit")) for e in body["errors"]}
    assert codes == {(TOO_COMPLEX, 100 * ENTRIES)}, codes
    assert rows == 101 + ENTRIES + 30  # the page (and one more), the busy one's entries once
    # With the calm one (exactly the bound each time) the path is within: answered in full.
    body, _, _ = await run(
        "query($e: ID!) { timeEntries(first: 100, employeeId: $e) { nodes { employee "
        "{ timeEntries { date } } } } }",
        e=gid("Employee", calm.id),
    )
    assert "errors" not in body, body
    assert {len(n["employee"]["timeEntries"]) for n in body["data"]["timeEntries"]["nodes"]} == {
        ENTRIES
    }


def test_the_walk_records_an_allowance_per_path() -> None:
    from graphql import parse

    from gql_portal.schema.build import full_schema
    from gql_portal.schema.employees import EMPLOYEE_EXPENSES_BOUND as EXPENSES
    from gql_portal.schema.employees import EMPLOYEE_TIME_ENTRIES_BOUND as ENTRIES
    from gql_portal.schema.expenses import RECEIPTS_BOUND as RECEIPTS
    from gql_portal.schema.limits import measure

    found = measure(
        full_schema()._schema,
        parse(
            "{ employees(first: 10) { nodes { ...E mine: timeEntries { id } } "
            "edges { node { expenses { receipts { id } } } } } } "
            "fragment E on Employee { timeEntries { id } timeEntries { hours } }"
        ),
        None,
        None,
    )
    assert found.allowances == {
        # Merged from two places: what each of them counted (the cost counted both).
        ("employees", "nodes", "timeEntries"): 2 * 10 * ENTRIES,
        ("employees", "nodes", "mine"): 10 * ENTRIES,
        ("employees", "edges", "node", "expenses"): 10 * EXPENSES,
        ("employees", "edges", "node", "expenses", "receipts"): 10 * EXPENSES * RECEIPTS,
    }
    assert found.by_field[("Employee", "timeEntries")] == 3 * 10 * ENTRIES


async def test_an_answer_over_the_size_cap_stops_with_response_too_large(
    api: Api, factory: Factory, runtime: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's size is estimated while it is completed: past the cap (configurable,
    GQL_PORTAL_MAX_RESPONSE_BYTES) execution stops with one coded error and data null."""
    import dataclasses

    company = await factory.company()
    admin = await factory.admin(company)
    for number in range(40):
        await factory.employee(company, first_name=f"Employee{number:02d}" + "x" * 40)
    query = "{ employees(first: 100) { nodes { id firstName lastName } } }"
    full = await api(query, token=admin.token)
    assert "errors" not in full, full
    size = len(orjson.dumps(full["data"]))
    # A cap above the answer: answered; below it: refused, whatever part was done.
    cap = size // 2
    monkeypatch.setattr(
        runtime, "settings", dataclasses.replace(runtime.settings, max_response_bytes=cap)
    )
    body = await api(query, token=admin.token)
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "RESPONSE_TOO_LARGE", error
    assert error["extensions"]["limit"] == cap
    monkeypatch.setattr(
        runtime, "settings", dataclasses.replace(runtime.settings, max_response_bytes=size * 2)
    )
    # Refused below half the real size, answered at twice it: the estimate is that close.
    assert (await api(query, token=admin.token))["data"] == full["data"]


@pytest.mark.parametrize(
    ("state", "field"),
    [("OPEN", "basis"), ("LOCKED", "basis"), ("LOCKED", "differences")],
    ids=["open basis", "locked basis", "differences"],
)
async def test_a_basis_computed_from_more_rows_than_its_cost_counted_is_refused(
    state: str,
    field: str,
    api: Api,
    factory: Factory,
    database: Any,
    sql_statements: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The basis is computed from its sources (OPEN) or its stored lines (LOCKED) whatever is
    selected, and the cost charged each employee BASIS_READS rows of them (the differences,
    both: DIFFERENCES_READS). One employee with more rows than the whole list's charge: the
    list is refused, naming the field and the rows its cost counted, after reading at most
    that + 1 of them; narrowed by `employeeIds` to another employee it is answered."""
    from datetime import date, timedelta
    from decimal import Decimal

    from sqlalchemy import insert, select

    from gql_portal.db.payroll import PayrollEmployee, PayrollLine, PayrollPeriod
    from gql_portal.db.settings import TimeCode
    from gql_portal.db.time import TimeEntry
    from gql_portal.domain.payroll import LineSource, PeriodState
    from gql_portal.domain.time import Unit
    from gql_portal.schema.payroll import (
        BASIS_EMPLOYEES_BOUND,
        BASIS_READS,
        DIFFERENCES_BOUND,
        DIFFERENCES_READS,
    )
    from tests.rows_fetched import RowsFetched

    counted = {
        "basis": BASIS_EMPLOYEES_BOUND * BASIS_READS,
        "differences": DIFFERENCES_BOUND * DIFFERENCES_READS,
    }[field]
    busy_rows = BASIS_EMPLOYEES_BOUND * BASIS_READS + 1  # more than any basis list is charged
    company = await factory.company()
    admin = await factory.admin(company)
    busy = await factory.employee(company, first_name="Busy")
    calm = await factory.employee(company, first_name="Calm")
    now = factory.clock.now()
    start = date(2026, 1, 1)
    async with database.transaction() as session:
        code = await session.scalar(select(TimeCode).where(TimeCode.company_id == company.id))
        assert code is not None
        period = PayrollPeriod(
            company_id=company.id,
            start_date=start,
            end_date=date(2026, 1, 31),
            state=PeriodState[state],
            locked_at=now if state == "LOCKED" else None,
            created_at=now,
        )
        session.add(period)
        await session.flush()
        if state == "OPEN":  # time entries, one a minute's worth, spread over the month
            await session.execute(
                insert(TimeEntry),
                [
                    {
                        "company_id": company.id,
                        "employee_id": employee.id,
                        "date": start + timedelta(days=n % 31),
                        "hours": Decimal("0.01"),
                        "time_code_id": code.id,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for employee, count in ((busy, busy_rows), (calm, 3))
                    for n in range(count)
                ],
            )
        else:  # a frozen basis: the busy one's stored lines are more than any list is charged
            session.add_all(
                PayrollEmployee(
                    company_id=company.id,
                    period_id=period.id,
                    employee_id=employee.id,
                    unattested_weeks=[],
                )
                for employee in (busy, calm)
            )
            await session.execute(
                insert(PayrollLine),
                [
                    {
                        "company_id": company.id,
                        "period_id": period.id,
                        "employee_id": employee.id,
                        "position": n,
                        "date": start + timedelta(days=n % 31),
                        "pay_type": "TIM",
                        "description": "Arbetad tid",
                        "time_code": "ARB",
                        "quantity": Decimal("1.00"),
                        "unit": Unit.HOURS,
                        "source": LineSource.TIME,
                        "source_id": n,
                        "hours": Decimal("1.00"),
                    }
                    for employee, count in ((busy, busy_rows), (calm, 3))
                    for n in range(count)
                ],
            )
    rows = RowsFetched()
    rows.install(monkeypatch)
    document = (
        f"query($p: ID!, $e: [ID!]) {{ node(id: $p) {{ ... on PayrollPeriod {{ "
        f"{field}(employeeIds: $e) {{ employee {{ firstName }} }} }} }} }}"
    )
    variables: dict[str, Any] = {"p": gid("PayrollPeriod", period.id), "e": None}

    rows.count, sql_statements.count = 0, 0
    body = await api(document, variables, token=admin.token)
    (error,) = body["errors"]
    assert error["extensions"]["code"] == TOO_COMPLEX, error
    assert error["extensions"]["field"] == field
    assert error["extensions"]["limit"] == counted
    assert error["path"] == ["node", field]
    assert body["extensions"]["cost"]["requested"] >= counted  # what the cost charged
    # At most the rows counted + 1 of the sources, and what any request reads besides (the
    # session, the period): never the busy one's rows in full.
    print(f"\n{state} {field}: {rows.count} rows, {sql_statements.count} statements")
    assert rows.count <= counted + 1 + 10, rows.count
    assert sql_statements.count <= 10, sql_statements.count

    variables["e"] = [gid("Employee", calm.id)]
    body = await api(document, variables, token=admin.token)
    assert "errors" not in body, body
    assert [item["employee"]["firstName"] for item in body["data"]["node"][field]] == ["Calm"]
