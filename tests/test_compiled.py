"""Compiled execution (issue 17): a query the compiler handles answers exactly what the resolver
path answers (data and errors, in the same order), through the real HTTP endpoint, for each
role's schema; documents it does not handle fall back, counted per operation name; and a
compiled answer reads a number of statements bounded by the document's depth, not by its
lists' lengths."""

from __future__ import annotations

import dataclasses
import json
import os
import zlib
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as hypothesis_seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis_graphql import nodes, queries

from gql_portal.clock import FrozenClock
from gql_portal.config import ConfigError, Settings
from gql_portal.db.engine import Database
from gql_portal.domain.employees import EmploymentForm, SalaryForm
from gql_portal.observability import COMPILED_FALLBACKS
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from tests.conftest import Api, StatementCounter
from tests.factories import Factory, gid
from tests.test_portal_board import Board, december_board

EMPLOYEE_FIELDS = """id employeeNumber firstName lastName email phone streetAddress postalCode
  city personalIdentityNumber employmentStart employmentEnd employmentForm employmentExtent
  salaryForm salaryAmount taxTable taxColumn bankClearingNumber bankAccountNumber active"""

CLIENT_EMPLOYEES = f"""query ClientEmployees($first: Int!, $active: Boolean) {{
  clients(first: $first) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{ cursor node {{ id company {{ id name }} employees(active: $active) {{ {EMPLOYEE_FIELDS} }} }} }}
  }}
}}"""


def fallbacks() -> float:
    return sum(
        sample.value
        for metric in COMPILED_FALLBACKS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    )


def _answer(body: dict[str, Any]) -> str:
    """The answer without its request id, as text: key order counts too."""
    body = dict(body)
    body.pop("extensions", None)
    for error in body.get("errors", []):
        error.get("extensions", {}).pop("requestId", None)
    return json.dumps(body, ensure_ascii=False)


class Differential:
    """Sends a document twice: compiled (the default) and through the resolver path."""

    def __init__(self, api: Api, runtime: Runtime) -> None:
        self.api, self.runtime = api, runtime

    async def compare(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None
    ) -> tuple[dict[str, Any], bool]:
        """Both answers, asserted equal; the answer, and whether it was compiled."""
        before = fallbacks()
        compiled = await self.api(query, variables, token=token)
        was_compiled = fallbacks() == before
        self.runtime.settings = dataclasses.replace(self.runtime.settings, compiled=False)
        try:
            reference = await self.api(query, variables, token=token)
        finally:
            self.runtime.settings = dataclasses.replace(self.runtime.settings, compiled=True)
        assert _answer(compiled) == _answer(reference)
        return compiled, was_compiled


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The compiled path on (whatever the default), as the answers to compare."""
    return dataclasses.replace(settings, compiled=True)


@pytest.fixture
def differential(api: Api, runtime: Runtime) -> Differential:
    return Differential(api, runtime)


async def portal_with_staff(
    api: Api, factory: Factory, database: Database, clients: int = 3, staff: int = 4
) -> Board:
    board = await Board(api, factory, database).open()
    for number in range(clients):
        company = await board.client(f"Kund {number} AB", {})
        for person in range(staff):
            await factory.employee(
                company,
                first_name=f"Åsa {person}",
                email=None if person % 2 else f"p{number}{person}@kund.example",
                active=person != staff - 1,
                personal_identity_number="198503121231" if person % 3 == 0 else None,
                employment_start=date(2020, 1, 1 + person),
                employment_form=EmploymentForm.PERMANENT if person % 2 else None,
                employment_extent=Decimal("80.00") if person % 2 else None,
                salary_form=SalaryForm.MONTHLY,
                salary_amount=Decimal("35000.50"),
                tax_table=33,
            )
    return board


async def test_the_client_employees_compile_and_answer_as_the_resolver_path(
    api: Api,
    factory: Factory,
    database: Database,
    differential: Differential,
    sql_statements: StatementCounter,
) -> None:
    board = await portal_with_staff(api, factory, database)
    for active in (True, False, None):
        body, compiled = await differential.compare(
            CLIENT_EMPLOYEES, {"first": 2, "active": active}, token=board.token
        )
        assert compiled, "the compiler handles this document"
        assert "errors" not in body
        edges = body["data"]["clients"]["edges"]
        assert len(edges) == 2 and all(edge["node"]["employees"] for edge in edges)


# -- the employees connection: arguments, aliases, fragments, directives ------------------------

TRICKY = """query Tricky($first: Int, $after: String, $skipSalary: Boolean!, $withCount: Boolean!) {
  byName: employees(first: $first, after: $after, orderBy: {field: NAME}) {
    edges { cursor node { ...Contact ... on Node { id } __typename } }
    pageInfo { hasNextPage endCursor }
    total: totalCount @include(if: $withCount)
  }
  byNumberDesc: employees(first: 2, orderBy: {field: EMPLOYEE_NUMBER, direction: DESC}) {
    nodes { employeeNumber ... @skip(if: $skipSalary) { salaryAmount employmentExtent } }
  }
  everyone: employees(active: null, last: 3) {
    edges { node { firstName active employeeNumber } }
    pageInfo { hasPreviousPage hasNextPage startCursor }
  }
  found: employees(search: "åsa 1") { nodes { firstName lastName email phone } }
  __typename
}
fragment Contact on Employee { firstName lastName email firstName employmentForm }"""


async def company_with_staff(factory: Factory, staff: int = 7) -> tuple[Any, Any]:
    company = await factory.company("Bygg AB")
    admin = await factory.admin(company)
    for person in range(staff):
        await factory.employee(
            company,
            first_name=f"Åsa {person}",
            last_name=["Öberg", "Andersson", "ek", "Åkesson"][person % 4],
            email=None if person % 2 else f"asa{person}@bygg.example",
            active=person % 5 != 4,
            employment_start=date(2021, 3, 1 + person) if person % 3 else None,
            employment_form=EmploymentForm.FIXED_TERM if person % 2 else None,
            employment_extent=Decimal("50.00") if person % 2 else None,
            salary_amount=Decimal(f"{30000 + person}.25") if person % 3 else None,
        )
    return company, admin


async def test_aliases_fragments_directives_and_pages_answer_as_the_resolver_path(
    factory: Factory, differential: Differential
) -> None:
    _, admin = await company_with_staff(factory)
    after = None
    for skip_salary, with_count in ((False, True), (True, False)):
        for _ in range(3):  # page through by name, two at a time
            variables = {
                "first": 2,
                "after": after,
                "skipSalary": skip_salary,
                "withCount": with_count,
            }
            body, compiled = await differential.compare(TRICKY, variables, token=admin.token)
            assert compiled and "errors" not in body
            after = body["data"]["byName"]["pageInfo"]["endCursor"]
        after = None
    assert "total" not in body["data"]["byName"]
    assert "salaryAmount" not in body["data"]["byNumberDesc"]["nodes"][0]


@pytest.mark.parametrize(
    ("arguments", "code"),
    [
        ("first: 500", "BAD_USER_INPUT"),
        ("first: 2, last: 2", "BAD_USER_INPUT"),
        ('after: "not a cursor"', "BAD_USER_INPUT"),
        ('companyId: "Q29tcGFueTo5OTk5OQ=="', "NOT_FOUND"),
    ],
)
async def test_an_error_falls_back_to_the_resolver_path_and_answers_as_it_does(
    factory: Factory, differential: Differential, arguments: str, code: str
) -> None:
    _, admin = await company_with_staff(factory, staff=2)
    query = f"query Bad {{ employees({arguments}) {{ nodes {{ id firstName }} }} }}"
    body, _ = await differential.compare(query, token=admin.token)
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]


async def test_an_employee_gets_the_same_answer_as_from_the_resolver_path(
    factory: Factory, differential: Differential
) -> None:
    """An employee reaches their own record only; salary details of their own."""
    company, _ = await company_with_staff(factory, staff=3)
    employee = await factory.staff(company, first_name="Egen", salary_amount=Decimal("100.00"))
    query = """{ employees(active: null) { totalCount nodes { id firstName salaryAmount
      personalIdentityNumber } } }"""
    body, _ = await differential.compare(query, token=employee.token)
    assert [node["firstName"] for node in body["data"]["employees"]["nodes"]] == ["Egen"]


async def test_a_document_the_compiler_does_not_handle_falls_back_counted_by_name(
    factory: Factory, differential: Differential
) -> None:
    _, admin = await company_with_staff(factory, staff=2)
    before = COMPILED_FALLBACKS.labels("WithExpenses", "document")._value.get()
    query = "query WithExpenses { employees { nodes { firstName expenses { id } } } }"
    _, compiled = await differential.compare(query, token=admin.token)
    assert not compiled
    # The compiled run (counted) and the reference (the setting off: not counted).
    assert COMPILED_FALLBACKS.labels("WithExpenses", "document")._value.get() == before + 1


# -- statements bounded by depth ----------------------------------------------------------------


async def test_the_statements_of_a_compiled_answer_do_not_grow_with_its_lists(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    board = await portal_with_staff(api, factory, database, clients=2, staff=2)
    counts = []
    for _ in range(2):
        sql_statements.count = 0
        before = fallbacks()
        body = await api(CLIENT_EMPLOYEES, {"first": 100, "active": None}, token=board.token)
        assert "errors" not in body and fallbacks() == before
        counts.append(sql_statements.count)
        for number in range(2, 6):  # more clients, more employees each
            company = await board.client(f"Fler {len(board.clients)} AB", {})
            for _ in range(number):
                await factory.employee(company)
    edges = body["data"]["clients"]["edges"]
    assert sum(len(edge["node"]["employees"]) for edge in edges) > 14
    # Session and firm lookups, the page, its companies, the count, one statement for every
    # client's employees, the audit of the partner's salary reads: whatever the lists hold.
    assert counts[0] == counts[1] <= 12


# -- generated documents ------------------------------------------------------------------------

GENERATED_PER_ROOT = int(os.environ.get("GQL_PORTAL_COMPILED_OPERATIONS", "25"))


def generated(role: SchemaRole, root: str, company_ids: list[int]) -> list[str]:
    """Queries drawn by hypothesis-graphql from `role`'s own schema with `root` alone at the
    root (seeded: the same on every run)."""
    schema = role_schema(role)
    ids = st.sampled_from([gid("Company", company_id) for company_id in company_ids])
    dates = st.dates(date(2025, 1, 1), date(2027, 12, 31)).map(date.isoformat)
    scalars = {
        "ID": ids.map(nodes.String),
        "Date": dates.map(nodes.String),
        "DateTime": st.just(nodes.String("2026-03-01T00:00:00+00:00")),
        "Time": st.just(nodes.String("08:00:00")),
        "Decimal": st.just(nodes.String("7.50")),
        "Money": st.just(nodes.String("100.00")),
        "Upload": st.just(nodes.String("not-a-file")),
    }
    strategy = queries(schema.as_str(), fields=[root], custom_scalars=scalars, allow_x00=False)
    drawn: list[str] = []

    @hypothesis_seed(zlib.crc32(f"{role.value}:{root}".encode()))
    @hypothesis_settings(
        max_examples=GENERATED_PER_ROOT,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(query: str) -> None:
        drawn.append(query)

    collect()
    return drawn


async def test_generated_queries_answer_as_the_resolver_path_for_every_role(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    board = await portal_with_staff(api, factory, database, clients=2, staff=3)
    client = next(iter(board.clients.values()))
    admin = await factory.admin(client)
    employee = await factory.staff(client, first_name="Egen", salary_amount=Decimal("1.00"))
    company_ids = [company.id for company in board.clients.values()]
    viewers = [
        (SchemaRole.PARTNER_PORTAL, "clients", board.token),
        (SchemaRole.PARTNER_PORTAL, "employees", board.token),
        (SchemaRole.COMPANY_ADMIN, "employees", admin.token),
        (SchemaRole.EMPLOYEE, "employees", employee.token),
    ]
    compiled_answers = 0
    for role, root, token in viewers:
        for query in generated(role, root, company_ids):
            _, compiled = await differential.compare(query, token=token)
            compiled_answers += compiled
    print(f"compiled {compiled_answers} of {len(viewers) * GENERATED_PER_ROOT}")
    assert compiled_answers > 0


def test_the_setting_turns_the_compiled_path_on_and_off() -> None:
    assert Settings.from_env({}).compiled is True  # on by default
    assert Settings.from_env({"GQL_PORTAL_COMPILED": "on"}).compiled is True
    assert Settings.from_env({"GQL_PORTAL_COMPILED": "OFF"}).compiled is False
    with pytest.raises(ConfigError, match="GQL_PORTAL_COMPILED is on or off"):
        Settings.from_env({"GQL_PORTAL_COMPILED": "yes"})


# -- the bench's documents: the client board and the viewer ------------------------------------

CLIENT_BOARD = """query ClientBoard($first: Int!, $month: String) {
  clients(first: $first, month: $month) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        company { id name organisationNumber industry isSoleTrader }
        collaboration { id level state activatedAt allows canEnterCompany }
        payrollProgram
        payrollStatus {
          periodStart periodEnd periodState
          payrollPeriod { id month state }
          employeesWithUnattestedWeeks expensesAwaitingApproval
        }
      }
    }
  }
}"""

VIEWER = """query Viewer {
  viewer {
    context role openMenus
    user { id name email }
    company { id name organisationNumber }
    employee { id firstName lastName }
    trial { endsOn daysLeft expired activated }
  }
}"""


async def test_the_client_board_compiles_and_answers_as_the_resolver_path(
    api: Api,
    factory: Factory,
    database: Database,
    clock: FrozenClock,
    differential: Differential,
) -> None:
    board = await december_board(api, factory, database, clock)
    await board.unattested_time("December öppen AB", date(2026, 12, 2))
    for variables in ({"first": 100}, {"first": 2}, {"first": 100, "month": "2026-11"}):
        body, compiled = await differential.compare(CLIENT_BOARD, variables, token=board.token)
        assert compiled and "errors" not in body
    statuses = [edge["node"]["payrollStatus"] for edge in body["data"]["clients"]["edges"]]
    assert {status["periodStart"] for status in statuses} == {"2026-11-01"}


ALIASED_STATUSES = """query Statuses {
  clients(first: 100) {
    edges {
      node {
        shown: payrollStatus { periodStart periodEnd payrollPeriod { id } }
        counts: payrollStatus { employeesWithUnattestedWeeks expensesAwaitingApproval }
      }
    }
  }
}"""


async def test_a_page_s_payroll_statuses_are_one_read_for_every_client_on_both_paths(
    api: Api,
    factory: Factory,
    database: Database,
    clock: FrozenClock,
    differential: Differential,
    sql_statements: StatementCounter,
    runtime: Runtime,
) -> None:
    """`payrollStatus` is read once for the whole page (resolvers/loading.py `PerParent`): the
    compiled path calls the read itself, the resolver path through a DataLoader; aliases of the
    field share the read on both paths, so both run the same statements."""
    board = await december_board(api, factory, database, clock)
    await board.unattested_time("December öppen AB", date(2026, 12, 2))
    body, compiled = await differential.compare(ALIASED_STATUSES, token=board.token)
    assert compiled and "errors" not in body
    nodes = [edge["node"] for edge in body["data"]["clients"]["edges"]]
    assert len(nodes) > 2 and all(node["shown"] and node["counts"] for node in nodes)
    counts = []
    for compiled_path in (True, False):
        runtime.settings = dataclasses.replace(runtime.settings, compiled=compiled_path)
        sql_statements.count = 0
        assert "errors" not in await api(ALIASED_STATUSES, token=board.token)
        counts.append(sql_statements.count)
    runtime.settings = dataclasses.replace(runtime.settings, compiled=True)
    # Session and firm lookups, the page, the statuses' periods, unattested weeks, expenses.
    assert counts[0] == counts[1] <= 7


async def test_the_viewer_compiles_for_every_kind_of_viewer(
    api: Api, factory: Factory, database: Database, differential: Differential
) -> None:
    board = await portal_with_staff(api, factory, database, clients=1, staff=1)
    company = next(iter(board.clients.values()))
    admin = await factory.admin(company)
    employee = await factory.staff(company)
    in_the_company = VIEWER
    elsewhere = VIEWER.replace("employee { id firstName lastName }", "")  # no such field there
    for document, token in (
        (elsewhere, board.token),
        (in_the_company, admin.token),
        (in_the_company, employee.token),
        (elsewhere, None),
    ):
        body, compiled = await differential.compare(document, token=token)
        assert compiled and "errors" not in body
