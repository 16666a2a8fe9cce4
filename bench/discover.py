"""Find what the scenarios need (sessions, ids) through the product's own API.

Works with any httpx client: over loopback against the served product, or in-process on the
ASGI app (`httpx.ASGITransport`). Sessions are rows in the database, so the tokens found here
work for the limit too (it checks them the same way).
"""

from __future__ import annotations

import asyncio
import base64
import random
from datetime import date
from typing import Any

import httpx

from bench.data import big_admin_email
from bench.scenarios import LOG_IN, PAGE, Fixture, Writer

WRITERS = 16  # employees in the write mix, from as many client companies (fewer if smaller)


class ApiError(RuntimeError):
    pass


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None, token: str | None
) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
    )
    body: dict[str, Any] = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise ApiError(f"{query.split('{')[0].strip()}: {response.status_code} {body}")
    data: dict[str, Any] = body["data"]
    return data


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":", 1)[1])


async def log_in(client: httpx.AsyncClient, email: str, password: str) -> str:
    data = await post(client, LOG_IN, {"email": email, "password": password}, None)
    token: str = data["logIn"]["token"]
    return token


async def discover(
    client: httpx.AsyncClient, clients: int, *, writers: int = WRITERS, today: date | None = None
) -> Fixture:
    from gql_portal.demo import DEMO_PASSWORD, EMPLOYEE, FIRM_USER

    employee, firm, big_admin = await asyncio.gather(
        log_in(client, EMPLOYEE, DEMO_PASSWORD),
        log_in(client, FIRM_USER, DEMO_PASSWORD),
        log_in(client, big_admin_email(), DEMO_PASSWORD),
    )
    board = await post(
        client,
        "query($first: Int!) { clients(first: $first) { nodes { company { id } } } }",
        {"first": PAGE},
        firm,
    )
    client_ids = [row_id(node["company"]["id"]) for node in board["clients"]["nodes"]]
    periods = await post(
        client,
        "{ viewer { company { id } } "
        "payrollPeriods(first: 6) { nodes { id startDate endDate state } } "
        "employees(first: 1) { totalCount } }",
        None,
        big_admin,
    )
    today = today or date.today()
    open_periods = [p for p in periods["payrollPeriods"]["nodes"] if p["state"] == "OPEN"]
    if not open_periods:
        raise ApiError("the big company has no OPEN payroll period")
    # The latest month that has ended (a whole month of data), else the current one.
    ended = [p for p in open_periods if date.fromisoformat(p["endDate"]) < today]
    period = (ended or open_periods)[0]
    emails = [f"e{index}-1@demo.example" for index in range(2, 2 + min(writers, clients))]
    tokens = await asyncio.gather(*(log_in(client, email, DEMO_PASSWORD) for email in emails))
    found = []
    for token in tokens:
        data = await post(
            client,
            "{ viewer { company { id } employee { id } } timeCodes { id kind } }",
            None,
            token,
        )
        work = next(code for code in data["timeCodes"] if code["kind"] == "WORK")
        found.append(
            Writer(
                token=token,
                employee_id=row_id(data["viewer"]["employee"]["id"]),
                company_id=row_id(data["viewer"]["company"]["id"]),
                time_code_id=row_id(work["id"]),
            )
        )
    return Fixture(
        employee_token=employee,
        firm_token=firm,
        big_admin_token=big_admin,
        client_ids=client_ids,
        period_id=row_id(period["id"]),
        big_company_id=row_id(periods["viewer"]["company"]["id"]),
        big_company_employees=int(periods["employees"]["totalCount"]),
        writers=found,
        today=today,
        salt=random.randrange(1 << 30),
    )
