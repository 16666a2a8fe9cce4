"""Collaborations and the partner portal, through HTTP: invite, accept, LIMITED reach, FULL
log-in to the client's company, level changes and ends that count from the next request."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.identity import format_organisation_number
from tests.accounts import outbox
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

COLLABORATION = "id level state initiatedBy clientName firmName allows canEnterCompany"
INVITE = f"""mutation($n: String!, $l: AccessLevel!) {{ inviteFirm(organisationNumber: $n, level: $l) {{ collaboration {{ {COLLABORATION} }} }} }}"""
REQUEST = f"""mutation($n: String!, $l: AccessLevel!) {{ requestCollaboration(organisationNumber: $n, level: $l) {{ collaboration {{ {COLLABORATION} }} }} }}"""
ACCEPT = f"""mutation($id: ID!, $l: AccessLevel) {{ acceptCollaboration(id: $id, level: $l) {{ collaboration {{ {COLLABORATION} }} }} }}"""
CHANGE = f"""mutation($id: ID!, $l: AccessLevel!) {{ changeCollaborationLevel(id: $id, level: $l) {{ collaboration {{ {COLLABORATION} }} }} }}"""
DECLINE = f"""mutation($id: ID!) {{ declineCollaboration(id: $id) {{ collaboration {{ {COLLABORATION} requestedLevel }} }} }}"""
REQUEST_LEVEL = f"""mutation($id: ID!, $l: AccessLevel!) {{ requestLevelChange(id: $id, level: $l) {{ collaboration {{ {COLLABORATION} requestedLevel }} }} }}"""
END = f"""mutation($id: ID!) {{ endCollaboration(id: $id) {{ collaboration {{ {COLLABORATION} }} }} }}"""
LIST = f"""{{ collaborations {{ {COLLABORATION} }} }}"""
ENTER = """mutation($id: ID!) { enterClientCompany(clientId: $id) { viewer { context role company { name } } } }"""
PORTAL = """mutation { enterPartnerPortal { viewer { context company { name } } } }"""
EMPLOYEES = (
    """{ employees { edges { node { id firstName personalIdentityNumber salaryAmount } } } }"""
)
VIEWER = "{ viewer { context role company { name } openMenus } }"


class Setting:
    """A firm with a user in the portal, and a client company with an admin and an employee."""

    def __init__(
        self,
        firm_token: str,
        firm_number: str,
        client_token: str,
        client_id: int,
        client_number: str,
        employee_id: int,
        firm_id: int,
        firm_email: str,
    ) -> None:
        self.firm_token = firm_token
        self.firm_number = firm_number
        self.client_token = client_token
        self.client_id = client_id
        self.client_number = client_number
        self.employee_id = employee_id
        self.firm_id = firm_id
        self.firm_email = firm_email


async def setting(factory: Factory) -> Setting:
    firm = await factory.company("Byrån AB", firm=True)
    firm_user = await factory.user(firm, Role.ADMIN, name="Birgitta Byrå")
    firm_token = await factory.log_in(firm_user, firm, SessionContext.PORTAL)
    client = await factory.company("Kunden AB")
    admin = await factory.admin(client)
    employee = await factory.employee(client, personal_identity_number="198503123385")
    return Setting(
        firm_token,
        format_organisation_number(firm.organisation_number),
        admin.token,
        client.id,
        format_organisation_number(client.organisation_number),
        employee.id,
        firm.id,
        firm_user.email,
    )


def collaboration_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]["collaboration"]
    return result


async def test_a_client_invites_a_firm_which_then_reaches_only_the_limited_areas(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token), "inviteFirm"
    )
    assert (invited["state"], invited["initiatedBy"], invited["firmName"]) == (
        "PENDING",
        "CLIENT",
        "Byrån AB",
    )
    assert any("Kunden AB vill samarbeta" in m.body_text for m in await outbox(database))

    # Pending: the firm sees the invitation, but not the client's data.
    [pending] = (await api(LIST, token=s.firm_token))["data"]["collaborations"]
    assert pending["clientName"] == "Kunden AB" and pending["state"] == "PENDING"
    assert (await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"] == []

    accepted = collaboration_of(
        await api(ACCEPT, {"id": pending["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    assert accepted["state"] == "ACTIVE" and accepted["canEnterCompany"] is False
    assert accepted["allows"] == [
        "COMPANY_IDENTITY",
        "EMPLOYEE_CONTACT",
        "EMPLOYEE_SALARY",
        "PAYROLL_BASIS",
        "EXPENSES_RECEIPTS",
    ]

    [employee] = (await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"]
    assert employee["node"]["personalIdentityNumber"] == "198503123385"
    salary = """mutation($id: ID!) { updateEmployeeSalary(id: $id, input: {salaryAmount: "41000"}) { employee { salaryAmount } } }"""
    assert (await api(salary, {"id": employee["node"]["id"]}, token=s.firm_token))["data"][
        "updateEmployeeSalary"
    ] == {"employee": {"salaryAmount": "41000.00"}}
    # Nothing else of the client exists in the portal's schema.
    for query in [
        "{ timeEntries { totalCount } }",
        "{ projects { totalCount } }",
        "{ companySettings { payDay } }",
    ]:
        assert set(error_codes(await api(query, token=s.firm_token))) == {
            "GRAPHQL_VALIDATION_FAILED"
        }
    # A LIMITED collaboration does not let the firm into the client's company.
    refused = only_error(await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token))
    assert (refused["code"], refused["area"]) == ("FORBIDDEN", "COLLABORATIONS")


async def test_full_partners_work_inside_the_clients_company_until_the_client_ends_it(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    requested = collaboration_of(
        await api(REQUEST, {"n": s.client_number, "l": "LIMITED"}, token=s.firm_token),
        "requestCollaboration",
    )
    # The client accepts the firm's request and sets the level while doing so.
    accepted = collaboration_of(
        await api(ACCEPT, {"id": requested["id"], "l": "FULL"}, token=s.client_token),
        "acceptCollaboration",
    )
    assert (accepted["level"], accepted["canEnterCompany"]) == ("FULL", True)

    entered = (await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token))["data"][
        "enterClientCompany"
    ]
    assert entered["viewer"] == {
        "context": "COMPANY",
        "role": "ADMIN",
        "company": {"name": "Kunden AB"},
    }
    create = """mutation { createEmployee(input: {employeeNumber: "900", firstName: "Ny", lastName: "Person"}) { employee { id } } }"""
    assert "errors" not in await api(create, token=s.firm_token)
    async with database.session() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "EMPLOYEE_CREATED")
        )
    assert event is not None and (event.company_id, event.actor_firm_id) == (s.client_id, s.firm_id)
    # As a FULL partner the firm cannot invite other firms on the client's behalf.
    assert error_codes(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.firm_token)
    ) == ["FORBIDDEN"]

    # The client downgrades: the firm's very next request is back in the portal.
    collaboration_of(
        await api(CHANGE, {"id": requested["id"], "l": "LIMITED"}, token=s.client_token),
        "changeCollaborationLevel",
    )
    viewer = (await api(VIEWER, token=s.firm_token))["data"]["viewer"]
    assert viewer["context"] == "PORTAL" and viewer["openMenus"] == ["PARTNER_PORTAL"]
    assert len((await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"]) == 2

    # The client ends it: the client no longer exists for the firm.
    ended = collaboration_of(
        await api(END, {"id": requested["id"]}, token=s.client_token), "endCollaboration"
    )
    assert ended["state"] == "ENDED" and ended["allows"] == []
    assert (await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"] == []
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert error_codes(
        await api(node, {"id": gid("Employee", s.employee_id)}, token=s.firm_token)
    ) == ["NOT_FOUND"]
    gone = only_error(await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token))
    assert gone["code"] == "NOT_FOUND"
    async with database.session() as session:
        actions = set((await session.scalars(select(AuditEvent.action))).all())
    assert {
        "COLLABORATION_REQUESTED",
        "COLLABORATION_ACCEPTED",
        "PARTNER_ENTERED_COMPANY",
        "COLLABORATION_LEVEL_CHANGED",
        "COLLABORATION_ENDED",
    } <= actions


async def test_a_full_partner_returns_to_the_portal(api: Api, factory: Factory) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token)
    back = (await api(PORTAL, token=s.firm_token))["data"]["enterPartnerPortal"]["viewer"]
    assert back == {"context": "PORTAL", "company": {"name": "Byrån AB"}}


async def test_bad_proposals_are_refused(api: Api, factory: Factory) -> None:
    s = await setting(factory)
    other_client = await factory.company("Inte en byrå AB")
    not_a_firm = only_error(
        await api(
            INVITE, {"n": other_client.organisation_number, "l": "FULL"}, token=s.client_token
        )
    )
    assert (not_a_firm["field"], not_a_firm["reason"]) == (
        "organisationNumber",
        "NOT_AN_ACCOUNTING_FIRM",
    )
    unknown = only_error(await api(INVITE, {"n": "212000-0142", "l": "FULL"}, token=s.client_token))
    assert unknown["reason"] == "NO_SUCH_COMPANY"
    collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    again = only_error(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token)
    )
    assert again["reason"] == "TAKEN"
    # The side that proposed cannot accept its own proposal.
    [mine] = (await api(LIST, token=s.client_token))["data"]["collaborations"]
    assert (
        only_error(await api(ACCEPT, {"id": mine["id"]}, token=s.client_token))["reason"]
        == "OWN_PROPOSAL"
    )
    # Employees have no collaborations at all.
    staff = await factory.staff(await factory.company("Tredje AB"))
    assert set(error_codes(await api(LIST, token=staff.token))) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_another_firms_collaborations_and_clients_do_not_exist(
    api: Api, factory: Factory
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    rival = await factory.company("Konkurrenten AB", firm=True)
    rival_user = await factory.user(rival, Role.ADMIN)
    rival_token = await factory.log_in(rival_user, rival, SessionContext.PORTAL)
    assert (await api(LIST, token=rival_token))["data"]["collaborations"] == []
    assert (await api(EMPLOYEES, token=rival_token))["data"]["employees"]["edges"] == []
    assert error_codes(await api(END, {"id": invited["id"]}, token=rival_token)) == ["NOT_FOUND"]
    assert (
        only_error(await api(ENTER, {"id": gid("Company", s.client_id)}, token=rival_token))["code"]
        == "NOT_FOUND"
    )


AUDIT = """query($firm: ID, $area: Area) { auditEvents(firmId: $firm, area: $area) {
  totalCount edges { node { action area actorName actorFirmName details } } } }"""


async def test_partner_reads_of_salary_details_and_partner_writes_are_audited_for_the_client(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )

    async def read_salaries() -> int:
        before = sql_statements.count
        body = await api(EMPLOYEES, token=s.firm_token)
        assert "errors" not in body, body
        return int(sql_statements.count - before)

    few = await read_salaries()
    client = await factory.company("Kunden AB 2")  # noqa: F841  (another company's rows stay out)
    for index in range(20):
        await factory.employee(await _client(database, s.client_id), first_name=f"P{index}")
    many = await read_salaries()
    assert few == many  # the reads are written in one statement, not one per row

    firm = gid("Company", s.firm_id)
    trail = (await api(AUDIT, {"firm": firm, "area": "EMPLOYEE_SALARY"}, token=s.client_token))[
        "data"
    ]["auditEvents"]
    reads = [e for e in trail["edges"] if e["node"]["action"] == "PARTNER_READ"]
    assert len(reads) == 1 + 21  # per request and object: 1 employee, then 21
    assert reads[0]["node"]["actorFirmName"] == "Byrån AB"
    assert reads[0]["node"]["actorName"] == "Birgitta Byrå"

    [employee] = [
        e
        for e in (await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"]
        if e["node"]["firstName"] == "Anna"
    ]
    contact = """mutation($id: ID!) { updateEmployeeContact(id: $id, input: {city: "Lund"}) { employee { id } } }"""
    assert "errors" not in await api(contact, {"id": employee["node"]["id"]}, token=s.firm_token)
    writes = (await api(AUDIT, {"firm": firm, "area": "EMPLOYEE_CONTACT"}, token=s.client_token))[
        "data"
    ]["auditEvents"]
    assert [e["node"]["action"] for e in writes["edges"]] == ["EMPLOYEE_CONTACT_UPDATED"]
    # The audit trail is the client's: not in the portal, not for employees.
    assert set(error_codes(await api(AUDIT, {}, token=s.firm_token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }


async def _client(database: Database, company_id: int) -> Any:
    from gql_portal.db.accounts import Company

    async with database.session() as session:
        return await session.get(Company, company_id)


CLIENTS = """query($level: AccessLevel, $search: String, $state: PayrollPeriodState, $first: Int, $after: String) {
  clients(level: $level, search: $search, periodState: $state, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { company { name organisationNumber } collaboration { level canEnterCompany }
      payrollStatus { periodStart periodState employeesWithUnattestedWeeks expensesAwaitingApproval } } } } }"""


async def _activate(api: Api, factory: Factory, firm_number: str, name: str, level: str) -> Any:
    client = await factory.company(name)
    admin = await factory.admin(client)
    invited = collaboration_of(
        await api(INVITE, {"n": firm_number, "l": level}, token=admin.token), "inviteFirm"
    )
    return client, invited


async def test_the_client_board_pages_filters_and_summarises_payroll(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:

    s = await setting(factory)
    clients = []
    for index, level in enumerate(["FULL", "LIMITED", "LIMITED"]):
        client, invited = await _activate(api, factory, s.firm_number, f"Klient {index}", level)
        collaboration_of(
            await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
        )
        clients.append(client)
    # Client 0: one employee with time in an unattested week and one in an attested week, and
    # a submitted expense.
    first, second = await factory.employee(clients[0]), await factory.employee(clients[0])
    async with database.transaction() as session:
        code = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == clients[0].id, TimeCode.code == "ARB")
        )
        now = datetime(2026, 3, 2, 8, tzinfo=UTC)
        for employee, day in [(first, date(2026, 3, 2)), (second, date(2026, 3, 3))]:
            session.add(
                TimeEntry(
                    company_id=clients[0].id,
                    employee_id=employee.id,
                    date=day,
                    hours=Decimal("8"),
                    time_code_id=code,
                    created_at=now,
                    updated_at=now,
                )
            )
        session.add(
            WeekAttestation(
                company_id=clients[0].id,
                employee_id=second.id,
                week_start=date(2026, 3, 2),
                attested_at=now,
            )
        )
        session.add(
            Expense(
                company_id=clients[0].id,
                employee_id=first.id,
                kind="EXPENSE",
                date=date(2026, 3, 1),
                description="Lunch",
                category="FOOD",
                amount=Decimal("100"),
                vat_amount=Decimal("10.71"),
                vat_rate=Decimal("12"),
                status="SUBMITTED",
                created_at=now,
                updated_at=now,
            )
        )

    board = (await api(CLIENTS, {}, token=s.firm_token))["data"]["clients"]
    assert board["totalCount"] == 3
    by_name = {edge["node"]["company"]["name"]: edge["node"] for edge in board["edges"]}
    assert by_name["Klient 0"]["payrollStatus"] == {
        "periodStart": "2026-03-01",
        "periodState": "OPEN",
        "employeesWithUnattestedWeeks": 1,
        "expensesAwaitingApproval": 1,
    }
    assert by_name["Klient 0"]["collaboration"] == {"level": "FULL", "canEnterCompany": True}

    limited = (await api(CLIENTS, {"level": "LIMITED"}, token=s.firm_token))["data"]["clients"]
    assert limited["totalCount"] == 2
    found = (await api(CLIENTS, {"search": "klient 1"}, token=s.firm_token))["data"]["clients"]
    assert [e["node"]["company"]["name"] for e in found["edges"]] == ["Klient 1"]
    assert (await api(CLIENTS, {"state": "LOCKED"}, token=s.firm_token))["data"]["clients"][
        "totalCount"
    ] == 0
    paged = (await api(CLIENTS, {"first": 2}, token=s.firm_token))["data"]["clients"]
    rest = (
        await api(
            CLIENTS, {"first": 2, "after": paged["pageInfo"]["endCursor"]}, token=s.firm_token
        )
    )["data"]["clients"]
    assert len(paged["edges"]) + len(rest["edges"]) == 3 and not rest["pageInfo"]["hasNextPage"]

    # The board costs the same number of statements for 3 clients and for 13.
    before = sql_statements.count
    await api(CLIENTS, {}, token=s.firm_token)
    few = sql_statements.count - before
    for index in range(10):
        _, invited = await _activate(api, factory, s.firm_number, f"Fler {index}", "LIMITED")
        collaboration_of(
            await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
        )
    before = sql_statements.count
    assert (await api(CLIENTS, {}, token=s.firm_token))["data"]["clients"]["totalCount"] == 13
    assert sql_statements.count - before == few


async def test_the_portal_narrows_lists_to_one_client(api: Api, factory: Factory) -> None:
    s = await setting(factory)
    other, invited = await _activate(api, factory, s.firm_number, "Andra kunden AB", "LIMITED")
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    invited_first = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited_first["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    await factory.employee(other, first_name="Olle")
    query = """query($c: ID) { employees(companyId: $c) { edges { node { firstName } } }
      expenses(companyId: $c) { totalCount } payrollPeriods(companyId: $c) { totalCount } }"""
    both = (await api(query, {}, token=s.firm_token))["data"]
    assert sorted(e["node"]["firstName"] for e in both["employees"]["edges"]) == ["Anna", "Olle"]
    one = (await api(query, {"c": gid("Company", other.id)}, token=s.firm_token))["data"]
    assert [e["node"]["firstName"] for e in one["employees"]["edges"]] == ["Olle"]
    wrong = only_error(await api(query, {"c": gid("Employee", 1)}, token=s.firm_token))
    assert (wrong["field"], wrong["reason"]) == ("companyId", "WRONG_TYPE")


BOARD_EMPLOYEES = """{ clients(first: 100) { edges { node { company { name }
  employees { firstName personalIdentityNumber salaryAmount } } } } }"""


async def test_the_board_lists_every_clients_employees_in_the_same_number_of_statements(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    """A page of clients with their employees' contact and salary details: the employees of
    every client come in one statement, however many clients the page has; partner reads of
    salary details are audited per employee."""
    s = await setting(factory)

    async def board() -> tuple[dict[str, Any], int]:
        before = sql_statements.count
        body = await api(BOARD_EMPLOYEES, token=s.firm_token)
        assert "errors" not in body, body
        return body, sql_statements.count - before

    counts = []
    for round_ in range(2):
        for index in range(2 if round_ == 0 else 5):
            client, invited = await _activate(
                api, factory, s.firm_number, f"Klient {round_}-{index}", "LIMITED"
            )
            collaboration_of(
                await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
            )
            for _ in range(3):
                await factory.employee(client, personal_identity_number="198503123385")
        body, statements = await board()
        counts.append(statements)
    assert counts[0] == counts[1], counts
    edges = body["data"]["clients"]["edges"]
    assert len(edges) == 7
    assert all(len(edge["node"]["employees"]) == 3 for edge in edges)
    # The first setting's client ("Kunden AB") has no collaboration: not on the board.
    assert "Kunden AB" not in {edge["node"]["company"]["name"] for edge in edges}
    async with database.session() as session:
        reads = await session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "PARTNER_READ", AuditEvent.area == "EMPLOYEE_SALARY")
        )
    assert reads == 2 * 3 + 7 * 3  # per request and employee: the first board, then the second


ACCEPT_LEVEL = f"""mutation($id: ID!, $l: AccessLevel) {{ acceptCollaboration(id: $id, level: $l) {{ collaboration {{ {COLLABORATION} requestedLevel }} }} }}"""


async def _active_with_level_request(api: Api, s: Setting, level: str, requested: str) -> str:
    """An ACTIVE collaboration at `level` (the client invited, the firm accepted) on which the
    firm asked for `requested`; its id."""
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": level}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    asked = collaboration_of(
        await api(REQUEST_LEVEL, {"id": invited["id"], "l": requested}, token=s.firm_token),
        "requestLevelChange",
    )
    assert (asked["state"], asked["level"], asked["requestedLevel"]) == ("ACTIVE", level, requested)
    return str(invited["id"])


async def _level_answers(database: Database, action: str) -> list[AuditEvent]:
    async with database.session() as session:
        return list(
            (
                await session.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
                )
            ).all()
        )


async def test_the_client_admin_accepts_the_firms_level_request(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    collaboration_id = await _active_with_level_request(api, s, "LIMITED", "FULL")

    # The firm cannot answer its own request, neither way.
    for mutation in (ACCEPT_LEVEL, DECLINE):
        refused = only_error(await api(mutation, {"id": collaboration_id}, token=s.firm_token))
        assert (refused["code"], refused["area"], refused["field"]) == (
            "FORBIDDEN",
            "COLLABORATIONS",
            "id",
        )
    # Accepting applies the requested level, not another one.
    other = only_error(
        await api(ACCEPT_LEVEL, {"id": collaboration_id, "l": "LIMITED"}, token=s.client_token)
    )
    assert (other["code"], other["field"], other["reason"]) == (
        "BAD_USER_INPUT",
        "level",
        "NOT_REQUESTED",
    )
    assert await _level_answers(database, "COLLABORATION_LEVEL_ACCEPTED") == []

    accepted = collaboration_of(
        await api(ACCEPT_LEVEL, {"id": collaboration_id}, token=s.client_token),
        "acceptCollaboration",
    )
    assert (accepted["state"], accepted["level"], accepted["requestedLevel"]) == (
        "ACTIVE",
        "FULL",
        None,
    )
    assert accepted["canEnterCompany"] is True
    # From the firm's next request on, FULL: it logs in to the client's company.
    entered = await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token)
    assert entered["data"]["enterClientCompany"]["viewer"]["role"] == "ADMIN"

    [mail] = [m for m in await outbox(database) if m.kind == "COLLABORATION_LEVEL_ACCEPTED"]
    assert mail.to_address == s.firm_email and mail.company_id == s.firm_id
    assert "Kunden AB har godkänt att Byrån AB får behörigheten fullständig åtkomst" in (
        mail.body_text
    )
    events = await _level_answers(database, "COLLABORATION_LEVEL_ACCEPTED")
    assert sorted(event.company_id for event in events) == sorted([s.client_id, s.firm_id])
    assert all(
        (e.area, e.details["level"], e.details["requested_level"], e.details["state"])
        == ("COLLABORATIONS", "FULL", "FULL", "ACTIVE")
        for e in events
    )

    # Answered: nothing is pending any more, the answers are the usual ones again.
    for mutation in (ACCEPT_LEVEL, DECLINE):
        body = await api(mutation, {"id": collaboration_id}, token=s.client_token)
        again = only_error(body)
        assert (again["reason"], again["field"]) == ("NOT_PENDING", "id")
        assert body["errors"][0]["message"] == "id: the collaboration is ACTIVE"


async def test_the_client_admin_declines_the_firms_level_request(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    collaboration_id = await _active_with_level_request(api, s, "LIMITED", "FULL")

    declined = collaboration_of(
        await api(DECLINE, {"id": collaboration_id}, token=s.client_token), "declineCollaboration"
    )
    assert (declined["state"], declined["level"], declined["requestedLevel"]) == (
        "ACTIVE",
        "LIMITED",
        None,
    )
    # Still a LIMITED client of the firm: its employees, but not its company.
    assert len((await api(EMPLOYEES, token=s.firm_token))["data"]["employees"]["edges"]) == 1
    refused = only_error(await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token))
    assert refused["code"] == "FORBIDDEN"

    [mail] = [m for m in await outbox(database) if m.kind == "COLLABORATION_LEVEL_DECLINED"]
    assert mail.to_address == s.firm_email
    assert "Kunden AB har avböjt ändrad behörighet; Byrån AB har kvar begränsad åtkomst" in (
        mail.body_text
    )
    events = await _level_answers(database, "COLLABORATION_LEVEL_DECLINED")
    assert sorted(event.company_id for event in events) == sorted([s.client_id, s.firm_id])
    assert all(
        (e.details["level"], e.details["requested_level"], e.details["state"])
        == ("LIMITED", "FULL", "ACTIVE")
        for e in events
    )
    # No request left to answer: declining an ACTIVE collaboration says so, as before.
    body = await api(DECLINE, {"id": collaboration_id}, token=s.client_token)
    again = only_error(body)
    assert (again["code"], again["reason"]) == ("BAD_USER_INPUT", "NOT_PENDING")
    assert body["errors"][0]["message"] == "id: the collaboration is ACTIVE"


async def test_a_full_partner_inside_the_client_cannot_answer_its_own_level_request(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    collaboration_id = await _active_with_level_request(api, s, "FULL", "LIMITED")
    await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token)
    assert (await api(VIEWER, token=s.firm_token))["data"]["viewer"]["context"] == "COMPANY"
    for mutation in (ACCEPT_LEVEL, DECLINE):
        refused = only_error(await api(mutation, {"id": collaboration_id}, token=s.firm_token))
        assert (refused["code"], refused["area"]) == ("FORBIDDEN", "COLLABORATIONS")
    # Another firm's client admin does not see it at all.
    stranger = await factory.admin(await factory.company("Främling AB"))
    assert error_codes(await api(ACCEPT_LEVEL, {"id": collaboration_id}, token=stranger.token)) == [
        "NOT_FOUND"
    ]
    [row] = (await api(LIST, token=s.client_token))["data"]["collaborations"]
    assert (row["level"], row["state"]) == ("FULL", "ACTIVE")
    assert await _level_answers(database, "COLLABORATION_LEVEL_ACCEPTED") == []
    assert await _level_answers(database, "COLLABORATION_LEVEL_DECLINED") == []
