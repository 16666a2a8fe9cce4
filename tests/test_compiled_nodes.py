"""Compiled execution of abstract types (issue 17): `node(id:)` and fragments on the `Node`
interface answer exactly what the resolver path answers, through the same loaders and checks
(resolvers/node.py), and the bench's payroll basis document compiles, its basis computed by
the resolver path's own resolver."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from sqlalchemy import update

from bench.scenarios import PAYROLL_BASIS
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.payroll import PayrollEmployee
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from tests.conftest import Api, StatementCounter
from tests.factories import Factory, gid
from tests.test_compiled import GENERATED_PER_ROOT, Differential, generated, portal_with_staff
from tests.test_payroll import (
    GET,
    GET_SOME,
    LIST,
    LOCK,
    TWO_PERIODS,
    February,
    Seeder,
    open_period,
)

NODE = """query Node($id: ID!) {
  node(id: $id) {
    __typename
    ... on Node { id }
    ... on Employee { firstName lastName salaryAmount ...Named }
    ... on Company { name organisationNumber }
    ... on PayrollPeriod { month state startDate company { name } }
  }
}
fragment Named on Employee { employeeNumber firstName }"""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The compiled path on (whatever the default), as the answers to compare."""
    return dataclasses.replace(settings, compiled=True)


@pytest.fixture
def differential(api: Api, runtime: Runtime) -> Differential:
    return Differential(api, runtime)


async def test_node_of_each_kind_answers_as_the_resolver_path_through_its_fragments(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    ids = [
        gid("Employee", month.karin.employee_id or 0),
        gid("Company", company.id),
        period["id"],
    ]
    kinds = []
    for node_id in ids:
        for token in (admin.token, month.karin.token):
            body, compiled = await differential.compare(NODE, {"id": node_id}, token=token)
            if "errors" not in body:
                assert compiled, body
                kinds.append(body["data"]["node"]["__typename"])
    assert set(kinds) == {"Employee", "Company", "PayrollPeriod"}


async def test_a_node_out_of_reach_answers_as_the_resolver_path(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """Another company's employee, an employee's colleague, an unknown kind, a row id out of
    range: NOT_FOUND as on the resolver path (never a hint that the row exists), answered by
    the compiled path itself."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    other = await factory.company("Annat AB")
    stranger = await factory.employee(other, first_name="Främling")
    cases: list[tuple[str, str]] = [
        (gid("Employee", stranger.id), admin.token),
        (gid("Employee", month.olle.employee_id or 0), month.karin.token),
        (gid("Nothing", 1), admin.token),
        (gid("Employee", 10**12), admin.token),
    ]
    for node_id, token in cases:
        body, compiled = await differential.compare(NODE, {"id": node_id}, token=token)
        assert compiled, "the compiled path words the resolver's error itself"
        assert body["data"] == {"node": None}
        assert [error["extensions"]["code"] for error in body["errors"]] == ["NOT_FOUND"]


async def test_a_kind_of_node_the_compiler_does_not_handle_falls_back_alone(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """A fragment on a type whose fields do not compile refuses only when such a node is met:
    the same document compiles for the other kinds."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    employee = await factory.employee(company, first_name="Åsa")
    query = """query Mixed($id: ID!) { node(id: $id) {
      ... on Employee { firstName expenses { id } }
      ... on Company { name }
    } }"""
    body, compiled = await differential.compare(
        query, {"id": gid("Employee", employee.id)}, token=admin.token
    )
    assert not compiled and body["data"]["node"] == {"firstName": "Åsa", "expenses": []}
    body, compiled = await differential.compare(
        query, {"id": gid("Company", company.id)}, token=admin.token
    )
    assert compiled and body["data"]["node"] == {"name": "Bygg AB"}


async def test_a_node_of_a_kind_that_does_not_compile_reads_no_more_than_the_resolver_path(
    api: Api,
    factory: Factory,
    runtime: Runtime,
    sql_statements: StatementCounter,
) -> None:
    """The id names the node's kind: a kind whose selection does not compile falls back before
    its row is read, so the request runs the resolver path's statements and no more."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    employee = await factory.employee(company, first_name="Åsa")
    query = (
        "query One($id: ID!) { node(id: $id) { ... on Employee { firstName expenses { id } } } }"
    )
    counts = []
    for compiled in (True, False):
        runtime.settings = dataclasses.replace(runtime.settings, compiled=compiled)
        sql_statements.count = 0
        body = await api(query, {"id": gid("Employee", employee.id)}, token=admin.token)
        assert body["data"]["node"] == {"firstName": "Åsa", "expenses": []}
        counts.append(sql_statements.count)
    assert counts[0] == counts[1]


async def test_the_benchs_payroll_basis_compiles_and_answers_as_the_resolver_path(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    answers: dict[str, Any] = {}
    for who, token in (("admin", admin.token), ("karin", month.karin.token)):
        body, compiled = await differential.compare(
            PAYROLL_BASIS, {"period": period["id"]}, token=token
        )
        assert compiled and "errors" not in body, body
        answers[who] = body["data"]["node"]
    assert [basis["employee"]["firstName"] for basis in answers["admin"]["basis"]] == [
        "Karin",
        "Olle",
    ]
    assert [basis["employee"]["firstName"] for basis in answers["karin"]["basis"]] == ["Karin"]
    assert answers["admin"]["basis"][0]["lines"][0]["date"] >= date(2026, 2, 1).isoformat()


async def test_a_null_in_a_non_null_place_nulls_the_nearest_nullable_parent_with_its_error(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """Dirty data: a frozen basis naming an employee of another company. The basis item's
    `employee` (non-null) is NOT_FOUND; the item, the basis list and the period are non-null
    too, so `node` (nullable) is null, with the one error at the employee's place."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    locked = await api(LOCK, {"id": period["id"]}, token=admin.token)
    assert "errors" not in locked, locked
    stranger = await factory.employee(await factory.company("Annat AB"), first_name="Främling")
    async with database.transaction() as session:
        await session.execute(
            update(PayrollEmployee)
            .where(PayrollEmployee.employee_id == month.olle.employee_id)
            .values(employee_id=stranger.id)
        )
    body, compiled = await differential.compare(
        PAYROLL_BASIS, {"period": period["id"]}, token=admin.token
    )
    assert compiled, "one error: the compiled path words it and nulls the answer itself"
    assert body["data"] == {"node": None}
    assert [(error["path"], error["extensions"]["code"]) for error in body["errors"]] == [
        (["node", "basis", 2, "employee"], "NOT_FOUND")  # the basis is in employee id order
    ]
    # Two such errors mid-list share the nulled period: which of them graphql-core reports
    # depends on its tasks' order, so the resolver path answers (the same).
    other = await factory.employee(await factory.company("Tredje AB"), first_name="Annan")
    async with database.transaction() as session:
        await session.execute(
            update(PayrollEmployee)
            .where(PayrollEmployee.employee_id == month.karin.employee_id)
            .values(employee_id=other.id)
        )
    body, compiled = await differential.compare(
        PAYROLL_BASIS, {"period": period["id"]}, token=admin.token
    )
    assert not compiled and body["data"] == {"node": None}
    # Without the employee, the rest of the basis answers.
    query = PAYROLL_BASIS.replace("employee { id employeeNumber firstName lastName }", "")
    body, compiled = await differential.compare(query, {"period": period["id"]}, token=admin.token)
    assert compiled and "errors" not in body and body["data"]["node"]["basis"]


async def test_generated_node_queries_answer_as_the_resolver_path_for_every_role(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """hypothesis-graphql's documents at `node` (fragments on any kind of node, `__typename`,
    aliases) from each role's own schema, each asking for a company, an employee (the viewer's
    own or another) or a payroll period, in and out of the viewer's reach."""
    board = await portal_with_staff(api, factory, database, clients=2, staff=2)
    client = next(iter(board.clients.values()))
    admin = await factory.admin(client)
    employee = await factory.staff(client, first_name="Egen")
    period = await open_period(api, admin.token)
    company_ids = [company.id for company in board.clients.values()]
    kinds = [
        gid("Company", company_ids[0]),
        gid("Company", company_ids[1]),
        gid("Employee", employee.employee_id or 0),
        gid("Employee", (employee.employee_id or 0) - 1),
        period["id"],
    ]
    viewers = [
        (SchemaRole.PARTNER_PORTAL, board.token),
        (SchemaRole.COMPANY_ADMIN, admin.token),
        (SchemaRole.EMPLOYEE, employee.token),
    ]
    compiled_answers = 0
    for role, token in viewers:
        for number, query in enumerate(generated(role, "node", company_ids)):
            for company_id in company_ids:  # the drawn id, as one of the kinds
                query = query.replace(gid("Company", company_id), kinds[number % len(kinds)])
            _, compiled = await differential.compare(query, token=token)
            compiled_answers += compiled
    print(f"compiled {compiled_answers} of {len(viewers) * GENERATED_PER_ROOT}")
    assert compiled_answers > 0


async def test_periods_their_basis_and_late_differences_answer_as_the_resolver_path(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """The payroll tests' documents (a period with its basis, sick periods and differences,
    the periods' list with two bases, a basis of some employees, a bad `employeeIds`), on a
    locked period with late edits, for the admin and an employee."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    await open_period(api, admin.token, "2026-03")
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    seed = await Seeder(database, factory, company).load_codes()
    karin = month.karin.employee_id or 0
    await seed.add(seed.time(karin, date(2026, 2, 27), "1", "OT1"))
    sick = "sickPeriods { start end firstDayNumber lastDayNumber medicalCertificateFrom }"
    documents: list[tuple[str, dict[str, Any]]] = [
        (GET, {"id": period["id"]}),
        (GET.replace("preliminary", f"preliminary {sick}"), {"id": period["id"]}),
        (LIST, {"first": 1}),
        (TWO_PERIODS, {}),
        (GET_SOME, {"id": period["id"], "employees": [gid("Employee", karin)]}),
        (GET_SOME, {"id": period["id"], "employees": [period["id"]]}),
    ]
    compiled_answers = 0
    for query, variables in documents:
        for token in (admin.token, month.karin.token):
            body, compiled = await differential.compare(query, variables, token=token)
            compiled_answers += compiled
    assert compiled_answers == 2 * len(documents)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_aliases_of_node_with_different_ids_answer_and_fail_each_in_its_place(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    """Aliases of the same field with different arguments: each `node` its own kind, two of
    them NOT_FOUND (independent errors, in the order of the document)."""
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    stranger = await factory.employee(await factory.company("Annat AB"))
    query = """query Aliases($a: ID!, $b: ID!, $c: ID!, $d: ID!) {
      first: node(id: $a) { ...Kind }
      gone: node(id: $b) { ...Kind }
      second: node(id: $c) { ... on Company { name } ...Kind }
      alsoGone: node(id: $d) { id }
    }
    fragment Kind on Node { __typename ... on Employee { firstName } }"""
    variables = {
        "a": gid("Employee", month.olle.employee_id or 0),
        "b": gid("Employee", stranger.id),
        "c": gid("Company", company.id),
        "d": gid("Absence", 10**6),
    }
    body, compiled = await differential.compare(query, variables, token=admin.token)
    assert compiled
    assert body["data"] == {
        "first": {"__typename": "Employee", "firstName": "Olle"},
        "gone": None,
        "second": {"name": "Bygg AB", "__typename": "Company"},
        "alsoGone": None,
    }
    assert [(error["path"], error["extensions"]["code"]) for error in body["errors"]] == [
        (["gone"], "NOT_FOUND"),
        (["alsoGone"], "NOT_FOUND"),
    ]
