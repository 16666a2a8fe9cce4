"""The partner portal's client board shows the month the firm is preparing (issue 12): per client
its latest payroll period not yet EXPORTED, else the current month; `clients(month:)` shows one
month for every client; the `periodState` filter agrees with what is shown; and the payroll
status still costs three grouped statements per page, whatever the clients' months."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import PeriodState, month_period
from tests.conftest import Api, only_error
from tests.factories import Factory

INVITE = """mutation($n: String!) { inviteFirm(organisationNumber: $n, level: LIMITED) {
  collaboration { id } } }"""
ACCEPT = """mutation($id: ID!) { acceptCollaboration(id: $id) { collaboration { state } } }"""
BOARD = """query($month: String, $state: PayrollPeriodState) {
  clients(first: 100, month: $month, periodState: $state) { totalCount edges { node {
    company { name }
    payrollStatus { periodStart periodEnd periodState payrollPeriod { month state }
      employeesWithUnattestedWeeks } } } } }"""
NAMES = """query($month: String, $state: PayrollPeriodState) {
  clients(first: 100, month: $month, periodState: $state) { edges { node { company { name } } } } }"""
NAMES_ONLY = """{ clients(first: 100) { totalCount edges { node { company { name } } } } }"""

DECEMBER = datetime(2026, 12, 10, 9, 0, tzinfo=STOCKHOLM)
OCT, NOV, DEC, JAN = date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)
EXPORTED, LOCKED, OPEN = PeriodState.EXPORTED, PeriodState.LOCKED, PeriodState.OPEN


class Board:
    """A firm in the portal, and its clients by name (each with an ACTIVE LIMITED
    collaboration)."""

    def __init__(self, api: Api, factory: Factory, database: Database) -> None:
        self.api, self.factory, self.database = api, factory, database
        self.token = ""
        self.firm_number = ""
        self.clients: dict[str, Company] = {}

    async def open(self) -> Board:
        firm = await self.factory.company("Byrån AB", firm=True)
        user = await self.factory.user(firm, Role.ADMIN, name="Birgitta Byrå")
        self.token = await self.factory.log_in(user, firm, SessionContext.PORTAL)
        self.firm_number = format_organisation_number(firm.organisation_number)
        return self

    async def client(self, name: str, periods: dict[date, PeriodState]) -> Company:
        company = await self.factory.company(name)
        admin = await self.factory.admin(company)
        invited = await self.api(INVITE, {"n": self.firm_number}, token=admin.token)
        collaboration = invited["data"]["inviteFirm"]["collaboration"]["id"]
        accepted = await self.api(ACCEPT, {"id": collaboration}, token=self.token)
        assert accepted["data"]["acceptCollaboration"]["collaboration"]["state"] == "ACTIVE"
        now = self.factory.clock.now()
        async with self.database.transaction() as session:
            for start, state in periods.items():
                session.add(
                    PayrollPeriod(
                        company_id=company.id,
                        start_date=start,
                        end_date=month_period(start)[1],
                        state=state,
                        locked_at=now if state is not OPEN else None,
                        exported_at=now if state is EXPORTED else None,
                        created_at=now,
                    )
                )
        self.clients[name] = company
        return company

    async def unattested_time(self, name: str, day: date) -> int:
        """A new employee of the client with eight hours on `day`, in a week not attested:
        the employee's id."""
        company = self.clients[name]
        employee = await self.factory.employee(company)
        async with self.database.transaction() as session:
            code = await session.scalar(
                select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == "ARB")
            )
            at = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
            session.add(
                TimeEntry(
                    company_id=company.id,
                    employee_id=employee.id,
                    date=day,
                    hours=Decimal("8"),
                    time_code_id=code,
                    created_at=at,
                    updated_at=at,
                )
            )
        return employee.id

    async def attest_week(self, name: str, employee_id: int, monday: date) -> None:
        async with self.database.transaction() as session:
            session.add(
                WeekAttestation(
                    company_id=self.clients[name].id,
                    employee_id=employee_id,
                    week_start=monday,
                    attested_at=self.factory.clock.now(),
                )
            )

    async def statuses(self, month: str | None = None) -> dict[str, dict[str, Any]]:
        body = await self.api(BOARD, {"month": month}, token=self.token)
        assert "errors" not in body, body
        return {
            edge["node"]["company"]["name"]: edge["node"]["payrollStatus"]
            for edge in body["data"]["clients"]["edges"]
        }

    async def names(self, state: str, month: str | None = None) -> list[str]:
        body = await self.api(NAMES, {"state": state, "month": month}, token=self.token)
        assert "errors" not in body, body
        return sorted(e["node"]["company"]["name"] for e in body["data"]["clients"]["edges"])


def shown(status: dict[str, Any]) -> tuple[str, str, str | None]:
    period = status["payrollPeriod"]
    return status["periodStart"], status["periodState"], period and period["month"]


async def december_board(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> Board:
    clock.set(DECEMBER)
    board = await Board(api, factory, database).open()
    await board.client("Förbereder november AB", {OCT: EXPORTED, NOV: LOCKED})
    await board.client("Allt exporterat AB", {OCT: EXPORTED, NOV: EXPORTED})
    await board.client("Utan perioder AB", {})
    await board.client("December exporterad AB", {NOV: EXPORTED, DEC: EXPORTED})
    await board.client("December öppen AB", {NOV: EXPORTED, DEC: OPEN})
    # A period opened ahead of time is not the month being prepared.
    await board.client("Öppnat i förväg AB", {OCT: EXPORTED, NOV: OPEN, JAN: OPEN})
    return board


async def test_the_board_shows_the_latest_period_not_yet_exported(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    board = await december_board(api, factory, database, clock)
    # Time in November counts for the client preparing November; December's does not.
    await board.unattested_time("Förbereder november AB", date(2026, 11, 24))
    await board.unattested_time("Förbereder november AB", date(2026, 11, 25))
    await board.unattested_time("Förbereder november AB", date(2026, 12, 8))
    await board.unattested_time("Allt exporterat AB", date(2026, 11, 24))
    await board.unattested_time("Allt exporterat AB", date(2026, 12, 8))

    statuses = await board.statuses()
    assert {name: shown(status) for name, status in statuses.items()} == {
        "Förbereder november AB": ("2026-11-01", "LOCKED", "2026-11"),
        "Allt exporterat AB": ("2026-12-01", "OPEN", None),
        "Utan perioder AB": ("2026-12-01", "OPEN", None),
        "December exporterad AB": ("2026-12-01", "EXPORTED", "2026-12"),
        "December öppen AB": ("2026-12-01", "OPEN", "2026-12"),
        "Öppnat i förväg AB": ("2026-11-01", "OPEN", "2026-11"),
    }
    assert statuses["Förbereder november AB"]["periodEnd"] == "2026-11-30"
    assert statuses["Allt exporterat AB"]["periodEnd"] == "2026-12-31"
    unattested = {name: s["employeesWithUnattestedWeeks"] for name, s in statuses.items()}
    assert (unattested["Förbereder november AB"], unattested["Allt exporterat AB"]) == (2, 1)
    assert sum(unattested.values()) == 3


async def test_an_attested_week_begun_before_the_period_shown_is_not_counted(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(DECEMBER)
    board = await Board(api, factory, database).open()
    await board.client("Visar december AB", {NOV: EXPORTED})  # the board's only month
    # The week of Monday 30 November holds 1-6 December: attested, it is no longer to do.
    attested = await board.unattested_time("Visar december AB", date(2026, 12, 1))
    await board.attest_week("Visar december AB", attested, date(2026, 11, 30))
    await board.unattested_time("Visar december AB", date(2026, 12, 2))

    status = (await board.statuses())["Visar december AB"]
    assert (status["periodStart"], status["employeesWithUnattestedWeeks"]) == ("2026-12-01", 1)


async def test_the_board_shows_an_asked_month_for_every_client(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    board = await december_board(api, factory, database, clock)
    await board.unattested_time("Förbereder november AB", date(2026, 10, 14))
    await board.unattested_time("Förbereder november AB", date(2026, 11, 24))

    october = await board.statuses("2026-10")
    assert {name: shown(status) for name, status in october.items()} == {
        "Förbereder november AB": ("2026-10-01", "EXPORTED", "2026-10"),
        "Allt exporterat AB": ("2026-10-01", "EXPORTED", "2026-10"),
        "Utan perioder AB": ("2026-10-01", "OPEN", None),
        "December exporterad AB": ("2026-10-01", "OPEN", None),
        "December öppen AB": ("2026-10-01", "OPEN", None),
        "Öppnat i förväg AB": ("2026-10-01", "EXPORTED", "2026-10"),
    }
    assert {s["periodEnd"] for s in october.values()} == {"2026-10-31"}
    assert october["Förbereder november AB"]["employeesWithUnattestedWeeks"] == 1
    # A month ahead is shown as asked, too.
    january = await board.statuses("2027-01")
    assert shown(january["Öppnat i förväg AB"]) == ("2027-01-01", "OPEN", "2027-01")
    assert shown(january["Utan perioder AB"]) == ("2027-01-01", "OPEN", None)


async def test_the_period_state_filter_agrees_with_the_month_shown(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    board = await december_board(api, factory, database, clock)
    statuses = await board.statuses()
    for state in ("OPEN", "LOCKED", "EXPORTED"):
        expected = sorted(n for n, s in statuses.items() if s["periodState"] == state)
        assert await board.names(state) == expected, state
    assert await board.names("LOCKED") == ["Förbereder november AB"]
    assert await board.names("EXPORTED") == ["December exporterad AB"]

    october = await board.statuses("2026-10")
    for state in ("OPEN", "LOCKED", "EXPORTED"):
        expected = sorted(n for n, s in october.items() if s["periodState"] == state)
        assert await board.names(state, "2026-10") == expected, state
    assert await board.names("EXPORTED", "2026-10") == [
        "Allt exporterat AB",
        "Förbereder november AB",
        "Öppnat i förväg AB",
    ]
    assert await board.names("LOCKED", "2026-10") == []


async def test_a_month_that_is_not_yyyy_mm_is_refused(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    board = await december_board(api, factory, database, clock)
    for month in ("2026-13", "november", "2026-1", "1999-12"):
        error = only_error(await api(BOARD, {"month": month}, token=board.token))
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            "month",
            "INVALID",
        ), month


async def test_the_payroll_status_costs_three_statements_per_page_whatever_the_months(
    api: Api, factory: Factory, database: Database, clock: FrozenClock, sql_statements: Any
) -> None:
    board = await december_board(api, factory, database, clock)

    async def statements(query: str, variables: dict[str, Any] | None = None) -> int:
        before = sql_statements.count
        body = await api(query, variables or {}, token=board.token)
        assert "errors" not in body, body
        return int(sql_statements.count - before)

    names_only = await statements(NAMES_ONLY)
    with_status = await statements(BOARD)
    # Periods shown, unattested weeks, expenses awaiting approval: one statement each.
    assert with_status == names_only + 3
    assert await statements(BOARD, {"month": "2026-10"}) == with_status
    assert await statements(BOARD, {"state": "OPEN"}) == with_status

    # Twice the clients, in more different months: the same count.
    for index, periods in enumerate(
        [{OCT: LOCKED}, {OCT: EXPORTED, NOV: EXPORTED}, {}, {NOV: OPEN}, {DEC: LOCKED}, {}]
    ):
        await board.client(f"Fler {index} AB", periods)
        await board.unattested_time(f"Fler {index} AB", date(2026, 10 + index % 3, 5))
    assert await statements(BOARD) == with_status
    assert await statements(BOARD, {"month": "2026-11"}) == with_status
    assert len(await board.statuses()) == 12


NODE = """query($id: ID!) { node(id: $id) { id ... on PortalClient {
  company { name } collaboration { state } payrollStatus { periodStart } } } }"""
CLIENT_IDS = "{ clients(first: 100) { nodes { id company { name } } } }"


async def test_a_client_of_the_board_is_a_node_in_the_firms_portal_only(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(DECEMBER)
    board = await Board(api, factory, database).open()
    client = await board.client("Alfa AB", {NOV: EXPORTED})
    listed = (await api(CLIENT_IDS, token=board.token))["data"]["clients"]["nodes"]
    (client_id,) = [node["id"] for node in listed]
    body = await api(NODE, {"id": client_id}, token=board.token)
    assert body["data"]["node"] == {
        "id": client_id,
        "company": {"name": "Alfa AB"},
        "collaboration": {"state": "ACTIVE"},
        "payrollStatus": {"periodStart": "2026-12-01"},
    }
    # Another firm in its portal, and the client's own admin: no such client on their board.
    other = await Board(api, factory, database).open()
    client_admin = await factory.admin(client)
    for token in (other.token, client_admin.token):
        refused = await api(
            "query($id: ID!) { node(id: $id) { id } }", {"id": client_id}, token=token
        )
        assert refused["data"] == {"node": None}
        assert [error["extensions"]["code"] for error in refused["errors"]] == ["NOT_FOUND"]
