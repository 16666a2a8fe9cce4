"""A firm's own users in the partner portal: every colleague sees the firm and its users and all
its clients; the firm's admins invite colleagues by email (a link to choose a password) and
remove them, with effect on the removed colleague's very next request."""

from __future__ import annotations

from typing import Any

from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import PayrollProgram, Role, SessionContext
from tests.accounts import LOG_IN, PASSWORD, outbox, token_of
from tests.conftest import Api, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ACCEPT, ENTER, INVITE, collaboration_of, setting

USERS = "{ companyUsers { edges { node { userId name email role isViewer } } } }"
INVITE_USER = """mutation($input: InviteUserInput!) {
  inviteUser(input: $input) { user { name email role emailVerified } } }"""
REMOVE = "mutation($userId: ID!) { removeUser(userId: $userId) { removedUserId } }"
RESET = "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }"
BOARD = "{ clients { edges { node { company { name } payrollProgram collaboration { level } } } } }"


def names(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return sorted(edge["node"]["name"] for edge in body["data"]["companyUsers"]["edges"])


async def test_a_firm_admin_invites_a_colleague_who_then_sees_every_client(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token),
        "inviteFirm",
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )

    # The portal's users are the firm's own, never the client's.
    assert names(await api(USERS, token=s.firm_token)) == ["Birgitta Byrå"]

    body = await api(
        INVITE_USER,
        {"input": {"email": "kalle@byran.example", "name": "Kalle Konsult", "role": "EMPLOYEE"}},
        token=s.firm_token,
    )
    assert body["data"]["inviteUser"]["user"] == {
        "name": "Kalle Konsult",
        "email": "kalle@byran.example",
        "role": "EMPLOYEE",
        "emailVerified": False,
    }
    assert names(await api(USERS, token=s.firm_token)) == ["Birgitta Byrå", "Kalle Konsult"]

    mail = (await outbox(database, "kalle@byran.example"))[-1]
    assert mail.subject == "Du har bjudits in till Byrån AB"
    assert (await api(RESET, {"token": token_of(mail.links[0]), "password": PASSWORD}))["data"] == {
        "resetPassword": True
    }
    logged_in = await api(LOG_IN, {"email": "kalle@byran.example", "password": PASSWORD})
    colleague = logged_in["data"]["logIn"]["token"]
    assert logged_in["data"]["logIn"]["viewer"]["context"] == "PORTAL"

    # Every colleague sees the firm's users and all its clients ...
    assert names(await api(USERS, token=colleague)) == ["Birgitta Byrå", "Kalle Konsult"]
    board = await api(BOARD, token=colleague)
    assert [edge["node"]["company"]["name"] for edge in board["data"]["clients"]["edges"]] == [
        "Kunden AB"
    ]
    # ... but only the firm's admins manage them, and FORBIDDEN names the area.
    refused = only_error(
        await api(
            INVITE_USER,
            {"input": {"email": "x@byran.example", "name": "X", "role": "ADMIN"}},
            token=colleague,
        )
    )
    assert (refused["code"], refused["area"]) == ("FORBIDDEN", "USERS")


async def test_a_removed_colleague_loses_the_portal_and_the_clients_company_at_once(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    firm = await factory.company("unused", firm=True)  # another firm: its users stay apart
    await factory.user(firm, Role.ADMIN, name="Other Firm")
    async with database.session() as session:
        own_firm = await session.get_one(Company, s.firm_id)
    colleague = await factory.user(own_firm, Role.EMPLOYEE, name="Kalle Konsult")
    in_portal = await factory.log_in(colleague, own_firm, SessionContext.PORTAL)
    in_client = await factory.log_in(colleague, own_firm, SessionContext.PORTAL)
    entered = await api(ENTER, {"id": gid("Company", s.client_id)}, token=in_client)
    assert entered["data"]["enterClientCompany"]["viewer"]["company"]["name"] == "Kunden AB"
    assert names(await api(USERS, token=s.firm_token)) == ["Birgitta Byrå", "Kalle Konsult"]

    removed = await api(REMOVE, {"userId": gid("User", colleague.id)}, token=s.firm_token)
    assert removed["data"]["removeUser"]["removedUserId"] == gid("User", colleague.id)
    for token in (in_portal, in_client):
        viewer = await api("{ viewer { context } }", token=token)
        assert only_error(viewer)["code"] == "UNAUTHENTICATED"
    assert names(await api(USERS, token=s.firm_token)) == ["Birgitta Byrå"]


async def test_the_clients_users_are_out_of_the_portals_reach(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    client_users = await api(USERS, token=s.client_token)
    client_admin = client_users["data"]["companyUsers"]["edges"][0]["node"]["userId"]
    # Even with a FULL collaboration, the portal reaches the firm's users only.
    refused = only_error(await api(REMOVE, {"userId": client_admin}, token=s.firm_token))
    assert refused["code"] == "NOT_FOUND"
    assert names(await api(USERS, token=s.client_token)) == ["Admin Adminsson"]


async def test_the_board_shows_the_clients_payroll_program(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    async with database.transaction() as session:
        client = await session.get_one(Company, s.client_id)
        client.payroll_program = PayrollProgram.VISMA_LON_SMART
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token),
        "inviteFirm",
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    board = await api(BOARD, token=s.firm_token)
    assert "errors" not in board, board
    (client,) = board["data"]["clients"]["edges"]
    assert client["node"]["payrollProgram"] == "VISMA_LON_SMART"
