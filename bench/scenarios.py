"""The benchmark's scenarios: GraphQL documents, who sends them, and their variables.

Every scenario is one kind of HTTP request (`POST /graphql` with a JSON body). The product
answers it with GraphQL; the limit (`bench/limit.py`) answers the same bytes by dispatching on
`operationName` to hand-written SQL. Ids (clients, the big company's period, the employees that
write) are found once per run by `bench.data.discover` and kept in a `Fixture`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

PAGE = 100  # clients per page (the portal's maximum)

LOG_IN = """mutation LogIn($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) { token }
}"""

# 1. The viewer: who is logged in (a small query; every page of a client sends it).
VIEWER = """query Viewer {
  viewer {
    context role openMenus
    user { id name email }
    company { id name organisationNumber }
    employee { id firstName lastName }
  }
}"""

# 2. The portal's client board: a page of clients with collaboration and payroll status.
CLIENT_BOARD = """query ClientBoard($first: Int!) {
  clients(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      cursor
      node {
        company { id name organisationNumber industry }
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

EMPLOYEE_FIELDS = """id employeeNumber firstName lastName email phone streetAddress postalCode
      city personalIdentityNumber employmentStart employmentEnd employmentForm employmentExtent
      salaryForm salaryAmount taxTable taxColumn bankClearingNumber bankAccountNumber"""


# 3. A page of clients with all their employees' contact and salary fields (`PortalClient.
# employees`: one statement for the whole page).
CLIENT_EMPLOYEES = f"""query ClientEmployees($first: Int!) {{
  clients(first: $first) {{
    edges {{
      node {{
        company {{ id name }}
        employees {{ {EMPLOYEE_FIELDS} }}
      }}
    }}
  }}
}}"""


# 4. One company's payroll basis for a period (live: the period is OPEN).
PAYROLL_BASIS = """query PayrollBasis($period: ID!) {
  node(id: $period) {
    ... on PayrollPeriod {
      id month state
      basis {
        employee { id employeeNumber firstName lastName }
        preliminary unattestedWeeks totalAmount
        lines {
          date payType description timeCode quantity unit unitPrice amount hours
          extentPercent source sourceId
        }
        hoursByTimeCode { timeCode unit quantity hours }
      }
    }
  }
}"""

# 5. The write mix: employees report time (three of four requests) and submit expenses.
REPORT_TIME = """mutation ReportTime($input: ReportTimeInput!) {
  reportTime(input: $input) { timeEntry { id date hours comment attested } }
}"""

SUBMIT_EXPENSE = """mutation SubmitExpense($input: SubmitExpenseInput!) {
  submitExpense(input: $input) {
    expense { id kind date description category amount vatAmount vatRate status }
  }
}"""


def global_id(type_name: str, row_id: int) -> str:
    """Strawberry's Relay global id: base64 of "Type:id"."""
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


@dataclass(frozen=True)
class Writer:
    """An employee of the write mix: their session and what they report with."""

    token: str
    employee_id: int
    company_id: int
    time_code_id: int


@dataclass
class Fixture:
    """What the scenarios need from the database, found once per run."""

    employee_token: str  # the demo's employee (scenario 1)
    firm_token: str  # the first firm's user, in the partner portal (2, 3)
    big_admin_token: str  # the admin of the company with the most employees (4)
    client_ids: list[int]  # the first page of the firm's clients, board order (3)
    period_id: int  # an OPEN period of the big company (4)
    big_company_id: int
    big_company_employees: int
    writers: list[Writer] = field(default_factory=list)  # (5)
    today: date = field(default_factory=date.today)
    salt: int = 0  # drawn per run: where the write mix's days start


@dataclass(frozen=True)
class Request:
    """One HTTP request: the session token and the JSON body."""

    token: str
    body: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str  # {page}: clients on the board's page, {employees}: theirs, {big}: the big company
    viewer: str  # who sends it, for the report
    requests: Callable[[Fixture], list[Request]]
    writes: bool = False


def _viewer(fixture: Fixture) -> list[Request]:
    return [Request(fixture.employee_token, {"query": VIEWER, "operationName": "Viewer"})]


def _client_board(fixture: Fixture) -> list[Request]:
    body = {"query": CLIENT_BOARD, "operationName": "ClientBoard", "variables": {"first": PAGE}}
    return [Request(fixture.firm_token, body)]


def client_employees_body(first: int) -> dict[str, Any]:
    return {
        "query": CLIENT_EMPLOYEES,
        "operationName": "ClientEmployees",
        "variables": {"first": first},
    }


def _client_employees(fixture: Fixture) -> list[Request]:
    return [Request(fixture.firm_token, client_employees_body(len(fixture.client_ids)))]


def payroll_basis_body(period_id: int) -> dict[str, Any]:
    return {
        "query": PAYROLL_BASIS,
        "operationName": "PayrollBasis",
        "variables": {"period": global_id("PayrollPeriod", period_id)},
    }


def _payroll_basis(fixture: Fixture) -> list[Request]:
    return [Request(fixture.big_admin_token, payroll_basis_body(fixture.period_id))]


WRITE_REQUESTS = 4_000  # distinct requests, cycled
FUTURE_DAYS = 3_650


def report_time_body(writer: Writer, day: date, hours: str, number: int) -> dict[str, Any]:
    return {
        "query": REPORT_TIME,
        "operationName": "ReportTime",
        "variables": {
            "input": {
                "date": day.isoformat(),
                "hours": hours,
                "timeCodeId": global_id("TimeCode", writer.time_code_id),
                "comment": f"bench {number}",
            }
        },
    }


def submit_expense_body(day: date, number: int) -> dict[str, Any]:
    return {
        "query": SUBMIT_EXPENSE,
        "operationName": "SubmitExpense",
        "variables": {
            "input": {
                "date": day.isoformat(),
                "amount": f"{100 + number % 400}.50",
                "vatRate": "25",
                "category": "OFFICE_SUPPLIES",
                "description": f"Kontorsmaterial (bench {number})",
            }
        },
    }


def write_requests(fixture: Fixture, count: int = WRITE_REQUESTS) -> list[Request]:
    """Employees in turn: three time reports, then an expense. Time goes on days well ahead
    (weeks nobody attests), each writer's on a new day each time (a day holds 24 hours), from
    an offset drawn per run so that runs on a kept database (PostgreSQL) do not fill days up;
    expenses on days of the last two weeks (never in the future)."""
    writers = len(fixture.writers)
    first_day = fixture.today + timedelta(days=400 + fixture.salt % FUTURE_DAYS)
    requests = []
    for number in range(count):
        writer = fixture.writers[number % writers]
        if number % 4 == 3:
            day = fixture.today - timedelta(days=number % 14)
            body = submit_expense_body(day, number)
        else:
            day = first_day + timedelta(days=(number // writers) % FUTURE_DAYS)
            body = report_time_body(writer, day, "0.25", number)
        requests.append(Request(writer.token, body))
    return requests


SCENARIOS: dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario("viewer", "viewer (small query)", "employee", _viewer),
        Scenario(
            "client_board", "client board, {page} clients", "firm user (portal)", _client_board
        ),
        Scenario(
            "client_employees",
            "{page} clients' {employees} employees, contact + salary",
            "firm user (portal)",
            _client_employees,
        ),
        Scenario("payroll_basis", "payroll basis, {big} employees", "client admin", _payroll_basis),
        Scenario(
            "write_mix",
            "write mix: reportTime ×3, submitExpense",
            "employees",
            write_requests,
            writes=True,
        ),
    )
}
