"""The payroll-program integration, through HTTP: only the company context reaches it (its
admins, and FULL partners logged in to the client's company). For Visma Lön Smart that is the
product's rule: the firm needs FULL access and must log in to the client's company."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType
from sqlalchemy import select, update

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.integrations import IntegrationState, PayrollIntegration
from gql_portal.domain.accounts import PayrollProgram, Role, SessionContext
from gql_portal.domain.identity import format_organisation_number
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema.build import role_schema
from gql_portal.schema.internals import graphql_schema
from tests.conftest import Api, error_codes, only_error
from tests.factories import Actor, Factory, gid

INTEGRATION = "id program state activatedAt activatedByName activatedByFirmName deactivatedAt"
QUERY = f"{{ payrollIntegration {{ {INTEGRATION} }} }}"
ACTIVATE = f"mutation {{ activatePayrollIntegration {{ payrollIntegration {{ {INTEGRATION} }} }} }}"
DEACTIVATE = (
    f"mutation {{ deactivatePayrollIntegration {{ payrollIntegration {{ {INTEGRATION} }} }} }}"
)
INVITE = """mutation($n: String!, $l: AccessLevel!) {
  inviteFirm(organisationNumber: $n, level: $l) { collaboration { id } } }"""
ACCEPT = "mutation($id: ID!) { acceptCollaboration(id: $id) { collaboration { id state } } }"
CHANGE = """mutation($id: ID!, $l: AccessLevel!) {
  changeCollaborationLevel(id: $id, level: $l) { collaboration { level } } }"""
ENTER = """mutation($id: ID!) {
  enterClientCompany(clientId: $id) { viewer { context role company { name } } } }"""
PORTAL = "mutation { enterPartnerPortal { viewer { context } } }"
NODE = "query($id: ID!) { node(id: $id) { id ... on PayrollIntegration { state } } }"
ROOT_FIELDS = {"payrollIntegration", "activatePayrollIntegration", "deactivatePayrollIntegration"}
NOT_IN_SCHEMA = {"GRAPHQL_VALIDATION_FAILED"}


def data(body: dict[str, Any], name: str) -> Any:
    assert "errors" not in body, body
    return body["data"][name]


def integration_of(body: dict[str, Any], name: str) -> dict[str, Any]:
    result: dict[str, Any] = data(body, name)["payrollIntegration"]
    return result


async def client_company(
    factory: Factory, database: Database, program: PayrollProgram | None, name: str = "Kunden AB"
) -> tuple[Company, Actor]:
    """A client company with the given payroll program and a logged-in admin."""
    company = await factory.company(name)
    async with database.transaction() as session:
        await session.execute(
            update(Company).where(Company.id == company.id).values(payroll_program=program)
        )
    return company, await factory.admin(company)


async def firm_in_portal(factory: Factory, name: str = "Byrån AB") -> tuple[Company, str]:
    firm = await factory.company(name, firm=True)
    user = await factory.user(firm, Role.ADMIN, name="Birgitta Byrå")
    return firm, await factory.log_in(user, firm, SessionContext.PORTAL)


async def collaborate(
    api: Api, client_token: str, firm: Company, firm_token: str, level: str
) -> str:
    """The client invites the firm at `level`; the firm accepts. Returns the collaboration id."""
    number = format_organisation_number(firm.organisation_number)
    invited = data(await api(INVITE, {"n": number, "l": level}, token=client_token), "inviteFirm")
    collaboration_id: str = invited["collaboration"]["id"]
    accepted = data(
        await api(ACCEPT, {"id": collaboration_id}, token=firm_token), "acceptCollaboration"
    )
    assert accepted["collaboration"]["state"] == "ACTIVE"
    return collaboration_id


async def events(database: Database, company_id: int) -> list[AuditEvent]:
    async with database.session() as session:
        return list(
            await session.scalars(
                select(AuditEvent)
                .where(
                    AuditEvent.company_id == company_id,
                    AuditEvent.action.like("PAYROLL_INTEGRATION_%"),
                )
                .order_by(AuditEvent.id)
            )
        )


async def stored(database: Database, company_id: int) -> PayrollIntegration | None:
    async with database.session() as session:
        return await session.scalar(
            select(PayrollIntegration).where(PayrollIntegration.company_id == company_id)
        )


def root_fields(role: SchemaRole) -> set[str]:
    fields: set[str] = set()
    for name in ("Query", "Mutation"):
        graphql_type = graphql_schema(role_schema(role)).type_map[name]
        assert isinstance(graphql_type, GraphQLObjectType)
        fields |= set(graphql_type.fields)
    return fields


# --- the schemas -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "present"),
    [
        (SchemaRole.COMPANY_ADMIN, True),
        (SchemaRole.EMPLOYEE, False),
        (SchemaRole.PARTNER_PORTAL, False),
        (SchemaRole.PUBLIC, False),
    ],
)
def test_only_the_company_admin_schema_has_the_integration(role: SchemaRole, present: bool) -> None:
    # A FULL partner inside a client's company is served the COMPANY_ADMIN schema.
    assert (root_fields(role) >= ROOT_FIELDS) is present
    assert (ROOT_FIELDS & root_fields(role) == set()) is not present
    assert ("PayrollIntegration" in graphql_schema(role_schema(role)).type_map) is present


# --- the client's admin ----------------------------------------------------------------------


async def test_the_admin_activates_deactivates_and_activates_again(
    api: Api, factory: Factory, database: Database
) -> None:
    company, admin = await client_company(factory, database, PayrollProgram.FORTNOX_LON)
    assert data(await api(QUERY, token=admin.token), "payrollIntegration") is None
    # Deactivating what was never activated: there is nothing to deactivate.
    assert error_codes(await api(DEACTIVATE, token=admin.token)) == ["NOT_FOUND"]

    active = integration_of(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    assert (active["program"], active["state"]) == ("FORTNOX_LON", "ACTIVE")
    assert (active["activatedByName"], active["activatedByFirmName"]) == ("Admin Adminsson", None)
    assert active["activatedAt"].startswith("2026-03-02") and active["deactivatedAt"] is None
    assert data(await api(QUERY, token=admin.token), "payrollIntegration") == active
    node = data(await api(NODE, {"id": active["id"]}, token=admin.token), "node")
    assert node == {"id": active["id"], "state": "ACTIVE"}

    # Activating an active integration changes nothing (and audits nothing).
    again = integration_of(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    assert again == active

    inactive = integration_of(
        await api(DEACTIVATE, token=admin.token), "deactivatePayrollIntegration"
    )
    assert inactive["state"] == "INACTIVE" and inactive["deactivatedAt"] is not None
    assert inactive["id"] == active["id"]
    assert (
        integration_of(await api(DEACTIVATE, token=admin.token), "deactivatePayrollIntegration")
        == inactive
    )
    back = integration_of(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    assert (back["id"], back["state"], back["deactivatedAt"]) == (active["id"], "ACTIVE", None)

    audited = await events(database, company.id)
    assert [(e.action, e.actor_user_id, e.actor_firm_id) for e in audited] == [
        ("PAYROLL_INTEGRATION_ACTIVATED", admin.user_id, None),
        ("PAYROLL_INTEGRATION_DEACTIVATED", admin.user_id, None),
        ("PAYROLL_INTEGRATION_ACTIVATED", admin.user_id, None),
    ]
    assert audited[0].details["program"] == "FORTNOX_LON"


async def test_a_company_without_a_payroll_program_has_nothing_to_integrate(
    api: Api, factory: Factory, database: Database
) -> None:
    company, admin = await client_company(factory, database, None)
    refused = only_error(await api(ACTIVATE, token=admin.token))
    assert (refused["code"], refused["field"], refused["reason"]) == (
        "BAD_USER_INPUT",
        "payrollProgram",
        "NO_PAYROLL_PROGRAM",
    )
    assert await stored(database, company.id) is None
    assert await events(database, company.id) == []


async def test_employees_and_other_companies_do_not_reach_it(
    api: Api, factory: Factory, database: Database
) -> None:
    company, admin = await client_company(factory, database, PayrollProgram.HOGIA)
    active = integration_of(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")

    staff = await factory.staff(company)
    for operation in (QUERY, ACTIVATE, DEACTIVATE):
        assert set(error_codes(await api(operation, token=staff.token))) == NOT_IN_SCHEMA

    # Another company's admin sees only their own company's (none), and not this one by id.
    _, other = await client_company(factory, database, PayrollProgram.HOGIA, "Annan AB")
    assert data(await api(QUERY, token=other.token), "payrollIntegration") is None
    assert error_codes(await api(NODE, {"id": active["id"]}, token=other.token)) == ["NOT_FOUND"]
    assert error_codes(await api(DEACTIVATE, token=other.token)) == ["NOT_FOUND"]
    assert (await stored(database, company.id)).state is IntegrationState.ACTIVE  # type: ignore[union-attr]


# --- Visma Lön Smart: a FULL partner logged in to the client's company -----------------------


async def test_a_full_partner_activates_visma_lon_smart_after_logging_in_to_the_company(
    api: Api, factory: Factory, database: Database
) -> None:
    client, admin = await client_company(factory, database, PayrollProgram.VISMA_LON_SMART)
    firm, firm_token = await firm_in_portal(factory)
    collaboration = await collaborate(api, admin.token, firm, firm_token, "FULL")

    # In the portal, even a FULL partner has no such fields: it must log in to the company.
    for operation in (QUERY, ACTIVATE):
        assert set(error_codes(await api(operation, token=firm_token))) == NOT_IN_SCHEMA

    entered = data(
        await api(ENTER, {"id": gid("Company", client.id)}, token=firm_token),
        "enterClientCompany",
    )
    assert entered["viewer"] == {
        "context": "COMPANY",
        "role": "ADMIN",
        "company": {"name": "Kunden AB"},
    }
    assert data(await api(QUERY, token=firm_token), "payrollIntegration") is None
    active = integration_of(await api(ACTIVATE, token=firm_token), "activatePayrollIntegration")
    assert (active["program"], active["state"]) == ("VISMA_LON_SMART", "ACTIVE")
    assert (active["activatedByName"], active["activatedByFirmName"]) == (
        "Birgitta Byrå",
        "Byrån AB",
    )

    row = await stored(database, client.id)
    assert row is not None and row.activated_by_firm_id == firm.id
    [event] = await events(database, client.id)
    assert (event.action, event.actor_firm_id) == ("PAYROLL_INTEGRATION_ACTIVATED", firm.id)
    assert event.actor_user_id == row.activated_by_user_id

    # The client's admin sees who did it.
    assert data(await api(QUERY, token=admin.token), "payrollIntegration") == active

    # Back in the portal, the integration is out of reach by id too.
    data(await api(PORTAL, token=firm_token), "enterPartnerPortal")
    node = "query($id: ID!) { node(id: $id) { id } }"
    assert error_codes(await api(node, {"id": active["id"]}, token=firm_token)) == ["NOT_FOUND"]
    data(
        await api(ENTER, {"id": gid("Company", client.id)}, token=firm_token), "enterClientCompany"
    )

    # Downgraded to LIMITED: the firm's very next request is back in the portal, without the
    # integration in its schema.
    await api(CHANGE, {"id": collaboration, "l": "LIMITED"}, token=admin.token)
    assert set(error_codes(await api(DEACTIVATE, token=firm_token))) == NOT_IN_SCHEMA
    assert (await stored(database, client.id)).state is IntegrationState.ACTIVE  # type: ignore[union-attr]


async def test_a_limited_partner_cannot_activate_it_but_the_clients_admin_can(
    api: Api, factory: Factory, database: Database
) -> None:
    client, admin = await client_company(factory, database, PayrollProgram.VISMA_LON_SMART)
    firm, firm_token = await firm_in_portal(factory)
    await collaborate(api, admin.token, firm, firm_token, "LIMITED")

    # Not in the portal's schema, and the step into the client's company is refused.
    for operation in (QUERY, ACTIVATE, DEACTIVATE):
        assert set(error_codes(await api(operation, token=firm_token))) == NOT_IN_SCHEMA
    refused = only_error(await api(ENTER, {"id": gid("Company", client.id)}, token=firm_token))
    assert (refused["code"], refused["area"]) == ("FORBIDDEN", "COLLABORATIONS")
    assert set(error_codes(await api(ACTIVATE, token=firm_token))) == NOT_IN_SCHEMA
    assert await stored(database, client.id) is None

    active = integration_of(await api(ACTIVATE, token=admin.token), "activatePayrollIntegration")
    assert (active["program"], active["state"], active["activatedByFirmName"]) == (
        "VISMA_LON_SMART",
        "ACTIVE",
        None,
    )
    row = await stored(database, client.id)
    assert row is not None and row.activated_by_firm_id is None
    assert row.activated_by_user_id == admin.user_id
