"""The company's users and roles (USERS): invitations, roles, removal, through HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.accounts import AuthSession, Company, Membership
from gql_portal.db.audit import AuditEvent
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role
from gql_portal.errors import AppError
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Actor
from gql_portal.permissions.roles import SchemaRole
from gql_portal.resolvers import users as user_resolvers
from gql_portal.runtime import Runtime
from tests.accounts import LOG_IN, PASSWORD, outbox, token_of
from tests.conftest import PUBLIC_URL, Api, error_codes, only_error
from tests.factories import Factory, gid

USER_FIELDS = "userId name email role emailVerified isViewer employee { id firstName }"
USERS = f"""query($role: Role, $search: String) {{
  companyUsers(role: $role, search: $search) {{ totalCount edges {{ node {{ {USER_FIELDS} }} }} }} }}"""
INVITE = f"""mutation($input: InviteUserInput!) {{ inviteUser(input: $input) {{ user {{ {USER_FIELDS} }} }} }}"""
CHANGE_ROLE = """mutation($userId: ID!, $role: Role!) {
  changeUserRole(userId: $userId, role: $role) { user { userId role } } }"""
REMOVE = "mutation($userId: ID!) { removeUser(userId: $userId) { removedUserId } }"
RESET = "mutation($token: String!, $password: String!) { resetPassword(token: $token, newPassword: $password) }"


async def users_of(api: Api, token: str, **variables: Any) -> list[dict[str, Any]]:
    body = await api(USERS, variables, token=token)
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["companyUsers"]["edges"]]


async def audit_actions(database: Database, company: Company) -> list[str]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.company_id == company.id, AuditEvent.action.like("USER_%"))
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_an_admin_lists_the_companys_users(api: Api, factory: Factory) -> None:
    company = await factory.company()
    other = await factory.company("Annan AB")
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    await factory.admin(other)
    listed = await users_of(api, admin.token)
    assert [(user["userId"], user["role"], user["isViewer"]) for user in listed] == [
        (gid("User", admin.user_id), "ADMIN", True),
        (gid("User", staff.user_id), "EMPLOYEE", False),
    ]
    assert listed[1]["employee"] == {
        "id": gid("Employee", staff.employee_id or 0),
        "firstName": "Anna",
    }
    assert listed[0]["employee"] is None
    assert [u["role"] for u in await users_of(api, admin.token, role="EMPLOYEE")] == ["EMPLOYEE"]
    assert [u["name"] for u in await users_of(api, admin.token, search="anställd")] == [
        "Anna Anställd"
    ]


async def test_an_invited_employee_chooses_a_password_and_logs_in(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company("Bygg & Co AB")
    admin = await factory.admin(company)
    employee = await factory.employee(company, first_name="Karin")
    invited = await api(
        INVITE,
        {
            "input": {
                "email": " Karin@Kund.Example ",
                "name": "Karin Lund",
                "role": "EMPLOYEE",
                "employeeId": gid("Employee", employee.id),
            }
        },
        token=admin.token,
    )
    assert "errors" not in invited, invited
    user = invited["data"]["inviteUser"]["user"]
    assert user["email"] == "karin@kund.example"
    assert (user["role"], user["emailVerified"], user["isViewer"]) == ("EMPLOYEE", False, False)
    assert user["employee"] == {"id": gid("Employee", employee.id), "firstName": "Karin"}

    mail = (await outbox(database, "karin@kund.example"))[-1]
    assert mail.subject == "Du har bjudits in till Bygg & Co AB"
    assert "Du har bjudits in till Bygg & Co AB av Admin Adminsson" in mail.body_text
    assert mail.kind == "INVITATION"
    (link,) = mail.links
    assert link in mail.body_text
    assert link.startswith(f"{PUBLIC_URL}/reset-password?token=")
    page = await api.http.get(urlparse(link).path + "?" + urlparse(link).query)
    assert page.status_code == 200

    # The invitation's password is unusable until the link sets one.
    refused = only_error(await api(LOG_IN, {"email": "karin@kund.example", "password": PASSWORD}))
    assert refused["reason"] == "INVALID_CREDENTIALS"
    assert (await api(RESET, {"token": token_of(link), "password": PASSWORD}))["data"] == {
        "resetPassword": True
    }
    logged_in = await api(LOG_IN, {"email": "karin@kund.example", "password": PASSWORD})
    assert "errors" not in logged_in, logged_in
    viewer = logged_in["data"]["logIn"]["viewer"]
    assert (viewer["role"], viewer["user"]["emailVerified"]) == ("EMPLOYEE", True)
    assert viewer["company"]["name"] == "Bygg & Co AB"
    own = await api("{ viewer { employee { id } } }", token=logged_in["data"]["logIn"]["token"])
    assert own["data"]["viewer"]["employee"] == {"id": gid("Employee", employee.id)}

    listed = await users_of(api, admin.token, search="karin")
    assert listed[0]["emailVerified"] is True
    assert await audit_actions(database, company) == ["USER_INVITED"]


async def test_someone_with_an_account_is_added_and_told_to_log_in(
    api: Api, factory: Factory, database: Database
) -> None:
    firm = await factory.company("Redovisning AB")
    client = await factory.company("Kund AB")
    existing = await factory.user(firm, Role.ADMIN, name="Eva Ek")
    admin = await factory.admin(client)
    invited = await api(
        INVITE,
        {"input": {"email": existing.email, "name": "Ignored Name", "role": "ADMIN"}},
        token=admin.token,
    )
    assert "errors" not in invited, invited
    user = invited["data"]["inviteUser"]["user"]
    assert (user["userId"], user["name"], user["role"]) == (
        gid("User", existing.id),
        "Eva Ek",
        "ADMIN",
    )
    mail = (await outbox(database, existing.email))[-1]
    assert mail.links == [f"{PUBLIC_URL}/login"]
    assert "ditt vanliga lösenord" in mail.body_text

    again = only_error(
        await api(
            INVITE,
            {"input": {"email": existing.email, "name": "Eva", "role": "ADMIN"}},
            token=admin.token,
        )
    )
    assert (again["code"], again["field"], again["reason"]) == ("BAD_USER_INPUT", "email", "TAKEN")


async def test_bad_invitations_name_the_field(api: Api, factory: Factory) -> None:
    company = await factory.company()
    other = await factory.company("Annan AB")
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    stranger = await factory.employee(other)
    bad = only_error(
        await api(
            INVITE,
            {"input": {"email": "inte-en-adress", "name": "", "role": "ADMIN"}},
            token=admin.token,
        )
    )
    assert {(p["field"], p["reason"]) for p in bad["problems"]} == {
        ("email", "INVALID_EMAIL"),
        ("name", "REQUIRED"),
    }
    elsewhere = only_error(
        await api(
            INVITE,
            {
                "input": {
                    "email": "a@b.example",
                    "name": "A",
                    "role": "EMPLOYEE",
                    "employeeId": gid("Employee", stranger.id),
                }
            },
            token=admin.token,
        )
    )
    assert (elsewhere["code"], elsewhere["field"]) == ("NOT_FOUND", "employeeId")
    linked = only_error(
        await api(
            INVITE,
            {
                "input": {
                    "email": "a@b.example",
                    "name": "A",
                    "role": "EMPLOYEE",
                    "employeeId": gid("Employee", staff.employee_id or 0),
                }
            },
            token=admin.token,
        )
    )
    assert (linked["field"], linked["reason"]) == ("employeeId", "ALREADY_LINKED")
    assert len(await users_of(api, admin.token)) == 2  # nothing half-created


async def test_roles_change_but_the_last_admin_stays(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    last = only_error(
        await api(
            CHANGE_ROLE,
            {"userId": gid("User", admin.user_id), "role": "EMPLOYEE"},
            token=admin.token,
        )
    )
    assert (last["code"], last["field"], last["reason"]) == ("BAD_USER_INPUT", "role", "LAST_ADMIN")
    self_removal = only_error(
        await api(REMOVE, {"userId": gid("User", admin.user_id)}, token=admin.token)
    )
    assert (self_removal["field"], self_removal["reason"]) == ("userId", "SELF")

    promoted = await api(
        CHANGE_ROLE, {"userId": gid("User", staff.user_id), "role": "ADMIN"}, token=admin.token
    )
    assert promoted["data"]["changeUserRole"]["user"]["role"] == "ADMIN"
    # The role applies from the next request: the promoted user now has the admin's schema.
    assert "errors" not in await api(USERS, token=staff.token)
    demoted = await api(
        CHANGE_ROLE, {"userId": gid("User", admin.user_id), "role": "EMPLOYEE"}, token=staff.token
    )
    assert demoted["data"]["changeUserRole"]["user"]["role"] == "EMPLOYEE"
    assert set(error_codes(await api(USERS, token=admin.token))) == {"GRAPHQL_VALIDATION_FAILED"}
    assert await audit_actions(database, company) == ["USER_ROLE_CHANGED", "USER_ROLE_CHANGED"]


async def test_the_last_admin_cannot_be_removed_by_a_partner_either(
    factory: Factory, runtime: Runtime
) -> None:
    """A FULL partner acts as the client's admin without being a member of it."""
    client = await factory.company("Kund AB")
    firm = await factory.company("Byrå AB", firm=True)
    admin = await factory.admin(client)
    partner = await factory.user(firm, Role.ADMIN, name="Per Partner")
    access = Access(
        role=SchemaRole.COMPANY_ADMIN,
        user_id=partner.id,
        company_id=client.id,
        actor=Actor.FULL_PARTNER,
        acting_firm_id=firm.id,
    )

    class Info:
        context = RequestContext(
            runtime=runtime, access=access, request_id="t", client_address="::1"
        )

    try:
        await user_resolvers.remove_user(Info(), relay.GlobalID("User", str(admin.user_id)))  # type: ignore[arg-type]
    except AppError as error:
        assert (error.extensions["field"], error.extensions["reason"]) == ("userId", "LAST_ADMIN")
    else:
        raise AssertionError("the last admin was removed")
    async with runtime.database.session() as session:
        assert await session.scalar(
            select(Membership.id).where(Membership.user_id == admin.user_id)
        )


async def test_a_removed_user_loses_the_company_at_once(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    assert (await api("{ viewer { context } }", token=staff.token))["data"]["viewer"][
        "context"
    ] == "COMPANY"
    removed = await api(REMOVE, {"userId": gid("User", staff.user_id)}, token=admin.token)
    assert removed["data"]["removeUser"] == {"removedUserId": gid("User", staff.user_id)}
    gone = await api("{ viewer { context } }", token=staff.token)
    assert only_error(gone)["code"] == "UNAUTHENTICATED"
    assert [u["userId"] for u in await users_of(api, admin.token)] == [gid("User", admin.user_id)]
    async with database.session() as session:
        employee = await session.get_one(Employee, staff.employee_id)
        sessions = (
            await session.scalars(select(AuthSession).where(AuthSession.user_id == staff.user_id))
        ).all()
    assert employee.user_id is None and employee.active  # the employee record stays, unlinked
    assert sessions and all(s.revoked_at is not None for s in sessions)
    again = only_error(await api(REMOVE, {"userId": gid("User", staff.user_id)}, token=admin.token))
    assert (again["code"], again["field"]) == ("NOT_FOUND", "userId")
    assert await audit_actions(database, company) == ["USER_REMOVED"]


async def test_another_companys_users_do_not_exist(api: Api, factory: Factory) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.admin(other)
    for query, variables in (
        (CHANGE_ROLE, {"userId": gid("User", stranger.user_id), "role": "EMPLOYEE"}),
        (REMOVE, {"userId": gid("User", stranger.user_id)}),
    ):
        assert error_codes(await api(query, variables, token=admin.token)) == ["NOT_FOUND"]
    assert "errors" not in await api("{ viewer { context } }", token=stranger.token)


async def test_employees_have_no_user_administration(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    for query, variables in (
        (USERS, {}),
        (INVITE, {"input": {"email": "a@b.example", "name": "A", "role": "ADMIN"}}),
        (CHANGE_ROLE, {"userId": gid("User", me.user_id), "role": "ADMIN"}),
        (REMOVE, {"userId": gid("User", me.user_id)}),
    ):
        assert set(error_codes(await api(query, variables, token=me.token))) == {
            "GRAPHQL_VALIDATION_FAILED"
        }


NODE = "query($id: ID!) { node(id: $id) { id ... on CompanyUser { userId name isViewer } } }"


async def test_a_company_user_is_a_node_of_its_own_company_only(api: Api, factory: Factory) -> None:
    company = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(company)
    staff = await factory.staff(company)
    stranger = await factory.admin(other)
    body = await api("{ companyUsers { nodes { id userId } } }", token=admin.token)
    listed = body["data"]["companyUsers"]["nodes"]
    assert [user["userId"] for user in listed] == [
        gid("User", admin.user_id),
        gid("User", staff.user_id),
    ]
    for user in listed:  # the list's id is the node's
        found = (await api(NODE, {"id": user["id"]}, token=admin.token))["data"]["node"]
        assert (found["id"], found["userId"]) == (user["id"], user["userId"])
    # The other company's admin's id, however spelled, is no user of this company.
    theirs = (await api("{ companyUsers { nodes { id } } }", token=stranger.token))["data"]
    (their_id,) = [user["id"] for user in theirs["companyUsers"]["nodes"]]
    refused = await api(NODE, {"id": their_id}, token=admin.token)
    assert refused["data"] == {"node": None}
    assert error_codes(refused) == ["NOT_FOUND"]
    # An employee reaches no user administration: not even their own membership.
    mine = next(user["id"] for user in listed if user["userId"] == gid("User", staff.user_id))
    assert error_codes(await api(NODE, {"id": mine}, token=staff.token)) in (
        ["NOT_FOUND"],
        ["GRAPHQL_VALIDATION_FAILED"],
    )
