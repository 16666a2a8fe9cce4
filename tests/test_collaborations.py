"""Collaborations and the partner portal, through HTTP: invite, accept, LIMITED reach, FULL
log-in to the client's company, level changes and ends that count from the next request."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
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
    ) -> None:
        self.firm_token = firm_token
        self.firm_number = firm_number
        self.client_token = client_token
        self.client_id = client_id
        self.client_number = client_number
        self.employee_id = employee_id
        self.firm_id = firm_id


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
