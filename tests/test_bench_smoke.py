"""The benchmark's scenarios, in-process on two small demo databases: each request answers
without errors, the limit (bench/limit.py) answers the same, and no scenario's SQL statement
count grows with the number of clients or employees (issue 6).

Sizes: 5 clients × 3 employees and a company of 5, then 15 clients × 6 employees and a
company of 15. SQLite files of their own (not the suite's database).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import data
from bench.attack import attack_requests, normal_requests, outcome_of
from bench.discover import discover
from bench.inprocess import client_for, count_statements, limit_app, product_app, send
from bench.scenarios import SCENARIOS
from gql_portal.security import Passwords

SMALL = data.Size(clients=5, employees=3, big_company=5)
LARGE = data.Size(clients=15, employees=6, big_company=15)


async def measure(size: data.Size, folder: Path) -> dict[str, Any]:
    url = data.sqlite_url(folder / "bench.db")
    storage = str(folder / "storage")
    cheap = Passwords(memory_kib=1024, time_cost=1)  # the demo's hashes: cheap log-ins
    await data.load(url, Path(storage), size, lambda line: None, passwords=cheap)
    found: dict[str, Any] = {"statements": {}, "same": {}}
    async with (
        product_app(url, storage) as product,
        limit_app(url) as limit,
        client_for(product) as product_client,
        client_for(limit) as limit_client,
    ):
        fixture = await discover(product_client, size.clients, writers=4)
        found["clients"] = len(fixture.client_ids)
        found["big_company"] = fixture.big_company_employees
        for client in (product_client, limit_client):  # first connections
            await send(client, SCENARIOS["viewer"].requests(fixture)[0])
        for scenario in SCENARIOS.values():
            counted = await count_statements(product, product_client, scenario, fixture)
            found["statements"][scenario.name] = counted.per_kind
            if not scenario.writes:
                request = scenario.requests(fixture)[0]
                answers = [await send(client, request) for client in (product_client, limit_client)]
                found["same"][scenario.name] = answers[0]["data"] == answers[1]["data"]
        found["attack"] = {}  # `python -m bench attack`: how each of its requests is answered
        for name, request in [
            *attack_requests(fixture),
            *(("normal", request) for request in normal_requests(fixture, 4)),
        ]:
            response = await product_client.post(
                "/graphql", json=request.body, headers={"authorization": f"Bearer {request.token}"}
            )
            outcome = outcome_of(response.status_code, response.content)
            found["attack"].setdefault(name, set()).add((response.status_code, outcome))
    return found


@pytest.fixture(scope="module")
async def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return {
        "small": await measure(SMALL, tmp_path_factory.mktemp("bench-small")),
        "large": await measure(LARGE, tmp_path_factory.mktemp("bench-large")),
    }


def test_the_sizes_differ(measured: dict[str, dict[str, Any]]) -> None:
    small, large = measured["small"], measured["large"]
    assert large["clients"] > small["clients"] >= 2
    assert (small["big_company"], large["big_company"]) == (5, 15)


@pytest.mark.parametrize(
    "scenario", ["viewer", "client_board", "client_employees", "payroll_basis"]
)
def test_the_limit_answers_the_same(measured: dict[str, dict[str, Any]], scenario: str) -> None:
    assert measured["small"]["same"][scenario]
    assert measured["large"]["same"][scenario]


# The product's statements per request of each kind, on SQLite (issue 6). PostgreSQL adds
# the advisory lock of reportTime (pg_advisory_xact_lock); SQLite's BEGIN IMMEDIATE is its lock.
# viewer: the session lookup reads the user, company and employee the viewer answers with.
# client_board: session, the firm's clients, the page, periods, unattested weeks, expenses
# awaiting approval, the parties' names with the clients' companies (one read), totalCount.
# payroll_basis: session, the period, the nine sources (employees, which prime the loader, time
# codes, the pay-type table, schedules, entries, their projects, attestations, absences,
# expenses); the OB windows are read only when an entry has clock times, which the bench's have
# not.
# reportTime: session, time code, week lock and day total (one statement), INSERT, audit.
# submitExpense: session (the viewer's own employee row comes with it), INSERT, its VAT line,
# audit.
STATEMENTS = {
    "viewer": {"Viewer": 1},
    "client_board": {"ClientBoard": 8},
    "client_employees": {"ClientEmployees": 6},
    "payroll_basis": {"PayrollBasis": 11},
    "write_mix": {"ReportTime": 5, "SubmitExpense": 4},
}


@pytest.mark.parametrize("scenario", list(STATEMENTS))
def test_statements_per_request(measured: dict[str, dict[str, Any]], scenario: str) -> None:
    assert measured["small"]["statements"][scenario] == STATEMENTS[scenario]
    assert measured["large"]["statements"][scenario] == STATEMENTS[scenario]


@pytest.mark.parametrize(
    "scenario",
    [
        "viewer",
        "client_board",
        "client_employees",
        "payroll_basis",
        "write_mix",
    ],
)
def test_statements_do_not_grow_with_clients_or_employees(
    measured: dict[str, dict[str, Any]], scenario: str
) -> None:
    assert measured["small"]["statements"][scenario] == measured["large"]["statements"][scenario]


def test_the_attack_scenarios_requests_are_answered_and_the_normal_ones_succeed(
    measured: dict[str, dict[str, Any]],
) -> None:
    """Each attacker document is answered (data, or refused with a code: either is fine, the
    scenario measures the others), never a 5xx; the normal clients' requests succeed."""
    for size in ("small", "large"):
        answers = dict(measured[size]["attack"])
        assert answers.pop("normal") == {(200, "OK")}
        assert set(answers) == {
            "nested_3",
            "aliased_basis_lines",
            "aliased_basis_totals",
            "payroll_basis",
            "nested_2",
        }
        for name, outcomes in answers.items():
            for status, outcome in outcomes:
                assert status < 500 and outcome != "INTERNAL_SERVER_ERROR", (name, outcomes)
                assert outcome == "OK" or outcome.isupper(), (name, outcomes)
