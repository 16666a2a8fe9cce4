"""Sole traders (issue 14, point 7): an enskild firma is identified by its owner's personnummer.

Nils Berg, born 12 March 1985, runs his plumbing business as an enskild firma: its organisation
number is his personnummer 19850312-1231 (12 digits) or 850312-1231 (10), Luhn-checked like any
organisation number. It is stored as the 10 digits 8503121231, as Skatteverket writes an enskild
firma's number (YYMMDD-NNNN), so every form of it is the same company. Digits 3-4 (03, a month)
make it a sole trader. His company's admins, and FULL partners inside it, see it in full; a
LIMITED partner (and every client in the portal), an employee and other companies see
850312-****.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.exports import organisation_number_with_dash
from gql_portal.domain.identity import format_organisation_number
from tests.accounts import SIGN_UP, log_in, sign_up_verified, signup_input
from tests.conftest import Api, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ENTER, INVITE, REQUEST, collaboration_of
from tests.test_exports_access import partner_of

PERSONNUMMER = "19850312-1231"
STORED = "8503121231"
FULL = "850312-1231"
MASKED = "850312-****"

VIEWER = "{ viewer { role company { name organisationNumber isSoleTrader } } }"
NUMBERS = """{ collaborations { state clientName clientOrganisationNumber
  firmName firmOrganisationNumber } }"""
NODE = "query($id: ID!) { node(id: $id) { ... on Company { name organisationNumber } } }"


async def viewed_company(api: Api, token: str) -> dict[str, Any]:
    body = await api(VIEWER, token=token)
    assert "errors" not in body, body
    company: dict[str, Any] = body["data"]["viewer"]["company"]
    return company


async def collaborations(api: Api, token: str) -> list[dict[str, Any]]:
    body = await api(NUMBERS, token=token)
    assert "errors" not in body, body
    rows: list[dict[str, Any]] = body["data"]["collaborations"]
    return rows


async def sole_trader(factory: Factory, database: Database, digits: str = STORED) -> Company:
    """A client company that is an enskild firma."""
    company = await factory.company("Nils Berg Rör")
    async with database.transaction() as session:
        await session.execute(
            update(Company).where(Company.id == company.id).values(organisation_number=digits)
        )
    company.organisation_number = digits
    return company


async def test_an_enskild_firma_signs_up_with_the_owners_personnummer(
    api: Api, database: Database
) -> None:
    email = await sign_up_verified(
        api,
        database,
        companyName="Nils Berg Rör",
        organisationNumber=PERSONNUMMER,
        industry="CONSTRUCTION",
        email="nils@berg.example",
    )
    token = (await log_in(api, email))["token"]
    assert await viewed_company(api, token) == {
        "name": "Nils Berg Rör",
        "organisationNumber": FULL,  # its admin sees it in full
        "isSoleTrader": True,
    }
    async with database.session() as session:
        stored = await session.scalar(
            select(Company.organisation_number).where(Company.name == "Nils Berg Rör")
        )
    assert stored == STORED

    # The same person in any other form is the same company.
    for other in ("850312-1231", "8503121231", "198503121231", "19850312 1231"):
        error = only_error(
            await api(
                SIGN_UP,
                {"input": signup_input(organisationNumber=other, email="annan@berg.example")},
            )
        )
        assert (error["field"], error["reason"]) == ("organisationNumber", "TAKEN"), other


async def test_a_bad_personnummer_is_refused_naming_the_field(api: Api) -> None:
    for number, reason in [
        ("19850312-1234", "CHECK_DIGIT"),  # the Luhn digit of 850312123 is 1
        ("850312-1234", "CHECK_DIGIT"),
        ("19851332-1231", "DATE"),  # no 32nd day
        ("850230-1231", "DATE"),  # no 30 February
        ("1985031212", "CHECK_DIGIT"),  # 10 digits of a person's, check digit wrong
        ("19850312-123", "FORMAT"),
    ]:
        error = only_error(await api(SIGN_UP, {"input": signup_input(organisationNumber=number)}))
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            "organisationNumber",
            reason,
        ), number


async def test_a_firm_asks_an_enskild_firma_by_the_owners_personnummer(
    api: Api, factory: Factory, database: Database
) -> None:
    client = await sole_trader(factory, database)
    firm = await factory.company("Byrån AB", firm=True)
    user = await factory.user(firm, Role.ADMIN)
    firm_token = await factory.log_in(user, firm, SessionContext.PORTAL)

    bad = only_error(await api(REQUEST, {"n": "19850312-1234", "l": "LIMITED"}, token=firm_token))
    assert (bad["field"], bad["reason"]) == ("organisationNumber", "CHECK_DIGIT")
    unknown = only_error(
        await api(REQUEST, {"n": "19900101-0017", "l": "LIMITED"}, token=firm_token)
    )
    assert (unknown["field"], unknown["reason"]) == ("organisationNumber", "NO_SUCH_COMPANY")

    asked = collaboration_of(
        await api(REQUEST, {"n": "198503121231", "l": "LIMITED"}, token=firm_token),
        "requestCollaboration",
    )
    assert (asked["state"], asked["clientName"]) == ("PENDING", client.name)
    # The firm is no keeper of the client's identity: it sees the number masked.
    [row] = await collaborations(api, firm_token)
    assert (row["clientOrganisationNumber"], row["firmOrganisationNumber"]) == (
        MASKED,
        format_organisation_number(firm.organisation_number),
    )


async def test_a_client_invites_a_firm_that_is_an_enskild_firma(
    api: Api, factory: Factory, database: Database
) -> None:
    client = await factory.company("Kunden AB")
    admin = await factory.admin(client)
    bookkeeper = await factory.company("Bokföring Karin Ek", firm=True)
    async with database.transaction() as session:
        await session.execute(
            update(Company)
            .where(Company.id == bookkeeper.id)
            .values(organisation_number="7604150008")  # 760415-0008, Karin Ek's
        )
    invited = collaboration_of(
        await api(INVITE, {"n": "19760415-0008", "l": "LIMITED"}, token=admin.token), "inviteFirm"
    )
    assert (invited["state"], invited["firmName"]) == ("PENDING", "Bokföring Karin Ek")
    [row] = await collaborations(api, admin.token)
    assert row["firmOrganisationNumber"] == "760415-****"  # not the client's to see


async def test_the_personnummer_is_masked_to_all_but_the_admins_and_full_partners_inside(
    api: Api, factory: Factory, database: Database
) -> None:
    client = await sole_trader(factory, database)
    admin = await factory.admin(client)
    employee = await factory.staff(client)
    limited = await partner_of(api, factory, admin.token, "LIMITED")
    full = await partner_of(api, factory, admin.token, "FULL")

    assert (await viewed_company(api, admin.token))["organisationNumber"] == FULL
    assert (await viewed_company(api, employee.token))["organisationNumber"] == MASKED
    assert (await viewed_company(api, employee.token))["isSoleTrader"] is True
    assert {row["clientOrganisationNumber"] for row in await collaborations(api, admin.token)} == {
        FULL
    }

    # In the portal every client is reached as LIMITED: masked, whatever the level.
    company_id = gid("Company", client.id)
    for partner in (limited, full):
        node = (await api(NODE, {"id": company_id}, token=partner.token))["data"]["node"]
        assert node == {"name": client.name, "organisationNumber": MASKED}
        [row] = await collaborations(api, partner.token)
        assert row["clientOrganisationNumber"] == MASKED

    # Inside the client's company a FULL partner keeps its identity as its admins do.
    entered = await api(ENTER, {"id": company_id}, token=full.token)
    assert "errors" not in entered, entered
    assert (await viewed_company(api, full.token))["organisationNumber"] == FULL


async def test_a_company_is_no_sole_trader_and_is_never_masked(api: Api, factory: Factory) -> None:
    client = await factory.company("Kunden AB")
    employee = await factory.staff(client)
    company = await viewed_company(api, employee.token)
    assert company["organisationNumber"] == format_organisation_number(client.organisation_number)
    assert company["isSoleTrader"] is False


def test_payroll_files_carry_an_enskild_firmas_number_as_a_companys() -> None:
    """PAXml's `foretagorgnr` (and SIE's #ORGNR) take the 10 digits NNNNNN-NNNN, a sole
    trader's as YYMMDD-NNNN: the stored number written as every company's is."""
    assert organisation_number_with_dash(STORED) == FULL
