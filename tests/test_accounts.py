"""The account lifecycle through real HTTP: sign-up → mail → link → log-in → trial → activation."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import func, select

from gql_portal.auth import SESSION_COOKIE
from gql_portal.clock import FrozenClock
from gql_portal.db.accounts import AccountToken, Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from tests.accounts import (
    ACTIVATE,
    LOG_IN,
    LOG_OUT,
    PASSWORD,
    SIGN_UP,
    VERIFY,
    VIEWER,
    log_in,
    outbox,
    sign_up,
    sign_up_verified,
    signup_input,
    token_of,
)
from tests.conftest import Api, only_error


async def audit_actions(database: Database) -> list[str]:
    async with database.session() as session:
        return list(
            (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        )


async def row_counts(database: Database) -> tuple[int, int, int]:
    async with database.session() as session:
        return (
            await session.scalar(select(func.count()).select_from(Company)) or 0,
            await session.scalar(select(func.count()).select_from(User)) or 0,
            await session.scalar(select(func.count()).select_from(Membership)) or 0,
        )


async def test_sign_up_creates_company_admin_and_trial_and_mails_a_login_link(
    api: Api, database: Database
) -> None:
    result = await sign_up(api)
    assert result == {
        "email": "asa@byra.example",
        "companyName": "Byrå Exempel AB",
        "trialEndsOn": "2026-03-16",
    }
    async with database.session() as session:
        company = await session.scalar(select(Company))
        user = await session.scalar(select(User))
        membership = await session.scalar(select(Membership))
    assert company is not None and user is not None and membership is not None
    assert company.organisation_number == "5566778899"
    assert company.is_accounting_firm
    assert user.email_verified_at is None
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert (membership.user_id, membership.company_id, membership.role.value) == (
        user.id,
        company.id,
        "ADMIN",
    )
    [mail] = await outbox(database)
    assert mail.to_address == "asa@byra.example"
    assert "Välkommen" in mail.subject
    assert "Hej Åsa Öberg!" in mail.body_text and "14 dagar" in mail.body_text
    assert mail.links[0].startswith("http://portal.test/login?token=")
    assert mail.links[0] in mail.body_text
    assert await audit_actions(database) == ["SIGNED_UP"]


async def test_unverified_email_cannot_log_in_until_the_link_is_opened(
    api: Api, database: Database
) -> None:
    await sign_up(api)
    refused = await api(LOG_IN, {"email": "asa@byra.example", "password": PASSWORD})
    assert only_error(refused)["code"] == "EMAIL_NOT_VERIFIED"
    assert only_error(refused)["field"] == "email"
    assert refused["data"] is None

    [mail] = await outbox(database)
    verified = await api(VERIFY, {"token": token_of(mail.links[0])})
    assert verified["data"]["verifyEmail"] == {"email": "asa@byra.example"}

    session = await log_in(api, "ASA@byra.example ")
    assert session["token"].startswith("gqps_")
    viewer = session["viewer"]
    assert viewer["context"] == "COMPANY"
    assert viewer["role"] == "ADMIN"
    assert viewer["user"] == {
        "email": "asa@byra.example",
        "name": "Åsa Öberg",
        "emailVerified": True,
    }
    assert viewer["company"] == {
        "name": "Byrå Exempel AB",
        "organisationNumber": "556677-8899",
        "industry": "ACCOUNTING_PARTNER",
        "isAccountingFirm": True,
    }
    assert viewer["trial"] == {
        "endsOn": "2026-03-16",
        "daysLeft": 14,
        "expired": False,
        "activated": False,
    }
    # Trial: every menu is open, the partner portal too for a firm.
    assert "PARTNER_PORTAL" in viewer["openMenus"]
    assert {"EMPLOYEES", "TIME", "PAYROLL", "EXPENSES", "SETTINGS", "USERS"} <= set(
        viewer["openMenus"]
    )
    assert await audit_actions(database) == ["SIGNED_UP", "EMAIL_VERIFIED", "LOGGED_IN"]


async def test_the_link_is_single_use_and_expires(
    api: Api, database: Database, clock: FrozenClock
) -> None:
    await sign_up(api)
    [mail] = await outbox(database)
    token = token_of(mail.links[0])
    assert "errors" not in await api(VERIFY, {"token": token})
    reused = only_error(await api(VERIFY, {"token": token}))
    assert (reused["code"], reused["field"], reused["reason"]) == (
        "BAD_USER_INPUT",
        "token",
        "USED",
    )

    await sign_up(api, email="bo@byra.example", organisationNumber="556036-0793")
    mail = (await outbox(database, "bo@byra.example"))[0]
    clock.advance(timedelta(hours=48, seconds=1))
    expired = only_error(await api(VERIFY, {"token": token_of(mail.links[0])}))
    assert (expired["code"], expired["field"], expired["reason"]) == (
        "BAD_USER_INPUT",
        "token",
        "EXPIRED",
    )
    forged = only_error(await api(VERIFY, {"token": "gqpl_not-a-real-token"}))
    assert forged["reason"] == "INVALID"


async def test_a_new_link_can_be_requested_and_retires_the_old_one(
    api: Api, database: Database
) -> None:
    await sign_up(api)
    [first] = await outbox(database)
    body = await api('mutation { resendVerificationEmail(email: "asa@byra.example") }')
    assert body["data"] == {"resendVerificationEmail": True}
    # Unknown addresses answer the same: no account enumeration.
    body = await api('mutation { resendVerificationEmail(email: "nobody@nowhere.example") }')
    assert body["data"] == {"resendVerificationEmail": True}
    mails = await outbox(database, "asa@byra.example")
    assert len(mails) == 2
    assert only_error(await api(VERIFY, {"token": token_of(first.links[0])}))["reason"] == "USED"
    assert "errors" not in await api(VERIFY, {"token": token_of(mails[1].links[0])})


async def test_session_works_as_cookie_and_as_bearer_and_log_out_revokes_it(
    client: httpx.AsyncClient, api: Api, database: Database
) -> None:
    email = await sign_up_verified(api, database)
    session = await log_in(api, email)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie == session["token"]
    raw = await client.post("/graphql", json={"query": VIEWER})
    assert raw.json()["data"]["viewer"]["user"]["email"] == email
    set_cookie = (
        (
            await client.post(
                "/graphql",
                json={"query": LOG_IN, "variables": {"email": email, "password": PASSWORD}},
            )
        )
        .headers["set-cookie"]
        .lower()
    )
    assert "httponly" in set_cookie and "samesite=lax" in set_cookie and "path=/" in set_cookie

    client.cookies.clear()
    bearer = session["token"]
    assert (await api(VIEWER, token=bearer))["data"]["viewer"]["context"] == "COMPANY"
    assert (await api(LOG_OUT, token=bearer))["data"] == {"logOut": True}
    # The dead token is told so (401), never silently anonymous.
    after = await client.post(
        "/graphql", json={"query": VIEWER}, headers={"authorization": f"Bearer {bearer}"}
    )
    assert after.status_code == 401
    assert after.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert only_error(after.json())["code"] == "UNAUTHENTICATED"
    assert "data" not in after.json()
    # A dead cookie too, and the answer deletes it: the browser's next request is anonymous.
    client.cookies.set(SESSION_COOKIE, bearer)
    stale = await client.post("/graphql", json={"query": VIEWER})
    assert stale.status_code == 401
    assert (
        SESSION_COOKIE in stale.headers["set-cookie"]
        and "max-age=0" in stale.headers["set-cookie"].lower()
    )
    client.cookies.clear()
    anonymous = await api(VIEWER)
    assert anonymous["data"]["viewer"] == {
        "context": "PUBLIC",
        "role": None,
        "openMenus": [],
        "user": None,
        "company": None,
        "trial": None,
    }
    assert "LOGGED_OUT" in await audit_actions(database)


async def test_log_out_everywhere_ends_every_session_of_the_user(
    client: httpx.AsyncClient, api: Api, database: Database
) -> None:
    email = await sign_up_verified(api, database)
    other_email = await sign_up_verified(
        api, database, email="bo@byra.example", organisationNumber="556036-0793"
    )
    laptop = (await log_in(api, email))["token"]
    phone = (await log_in(api, email))["token"]
    tablet = (await log_in(api, email))["token"]
    someone_else = (await log_in(api, other_email))["token"]
    client.cookies.clear()

    # The default keeps today's behaviour: only the calling session ends.
    assert (await api(LOG_OUT, token=tablet))["data"] == {"logOut": True}
    assert (await api(VIEWER, token=phone))["data"]["viewer"]["context"] == "COMPANY"

    everywhere = "mutation { logOut(everywhere: true) }"
    assert (await api(everywhere, token=laptop))["data"] == {"logOut": True}
    for token in (laptop, phone):
        # Every other tab or device is told at its next request: log in again (401).
        for document in (VIEWER, LOG_OUT):
            assert only_error(await api(document, token=token))["code"] == "UNAUTHENTICATED"
    # Another user's session is untouched.
    assert (await api(VIEWER, token=someone_else))["data"]["viewer"]["context"] == "COMPANY"
    async with database.session() as session:
        details = (
            await session.scalars(
                select(AuditEvent.details)
                .where(AuditEvent.action == "LOGGED_OUT")
                .order_by(AuditEvent.id)
            )
        ).all()
    assert [detail["everywhere"] for detail in details] == [False, True]
    # Logged out everywhere, the user logs in again as usual.
    assert (await log_in(api, email))["viewer"]["context"] == "COMPANY"


async def test_trial_expiry_closes_everything_but_viewer_activation_and_log_out(
    api: Api, database: Database, clock: FrozenClock
) -> None:
    email = await sign_up_verified(
        api,
        database,
        industry="CONSTRUCTION",
        companyName="Bygg & Co AB",
        organisationNumber="556036-0793",
    )
    token = (await log_in(api, email))["token"]
    clock.advance(timedelta(days=14))
    viewer = (await api(VIEWER, token=token))["data"]["viewer"]
    assert viewer["trial"] == {
        "endsOn": "2026-03-16",
        "daysLeft": 0,
        "expired": True,
        "activated": False,
    }
    assert viewer["openMenus"] == []
    change = await api(
        'mutation { changePassword(currentPassword: "x", newPassword: "y") }', token=token
    )
    assert only_error(change)["code"] == "TRIAL_EXPIRED"

    activated = await api(ACTIVATE, token=token)
    assert activated["data"]["activate"]["viewer"]["trial"] == {"activated": True, "expired": False}
    assert "TIME" in activated["data"]["activate"]["viewer"]["openMenus"]
    assert "PARTNER_PORTAL" not in activated["data"]["activate"]["viewer"]["openMenus"]
    assert "ACTIVATED" in await audit_actions(database)


async def test_activating_a_firm_leaves_only_the_partner_portal(
    api: Api, database: Database
) -> None:
    email = await sign_up_verified(api, database)
    token = (await log_in(api, email))["token"]
    activated = (await api(ACTIVATE, token=token))["data"]["activate"]["viewer"]
    assert activated["context"] == "PORTAL"
    assert activated["openMenus"] == ["PARTNER_PORTAL"]
    # A new log-in of an activated firm goes straight to the portal.
    again = await log_in(api, email)
    assert again["viewer"]["context"] == "PORTAL"
    assert again["viewer"]["openMenus"] == ["PARTNER_PORTAL"]
    # Activation is idempotent and audited once.
    await api(ACTIVATE, token=token)
    assert (await audit_actions(database)).count("ACTIVATED") == 1


async def test_password_reset_by_email_link_revokes_every_session(
    api: Api, database: Database
) -> None:
    email = await sign_up_verified(api, database)
    old_token = (await log_in(api, email))["token"]
    body = await api(f'mutation {{ requestPasswordReset(email: "{email}") }}')
    assert body["data"] == {"requestPasswordReset": True}
    mail = (await outbox(database, email))[-1]
    assert mail.links[0].startswith("http://portal.test/reset-password?token=")
    reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }"
    weak = only_error(await api(reset, {"t": token_of(mail.links[0]), "p": "kort"}))
    assert (weak["code"], weak["field"], weak["reason"]) == (
        "BAD_USER_INPUT",
        "newPassword",
        "WEAK_PASSWORD",
    )
    # The failed attempt did not use up the link.
    assert (await api(reset, {"t": token_of(mail.links[0]), "p": "ett helt nytt lösen"}))[
        "data"
    ] == {"resetPassword": True}
    assert only_error(await api(VIEWER, token=old_token))["code"] == "UNAUTHENTICATED"
    wrong = only_error(await api(LOG_IN, {"email": email, "password": PASSWORD}))
    assert wrong["code"] == "BAD_USER_INPUT"
    await log_in(api, email, "ett helt nytt lösen")
    assert "PASSWORD_RESET" in await audit_actions(database)


async def test_changing_the_password_logs_out_other_sessions(api: Api, database: Database) -> None:
    email = await sign_up_verified(api, database)
    this = (await log_in(api, email))["token"]
    other = (await log_in(api, email))["token"]
    change = """mutation($c: String!, $n: String!) {
      changePassword(currentPassword: $c, newPassword: $n) }"""
    wrong = only_error(
        await api(change, {"c": "fel lösenord här", "n": "nytt och långt lösen"}, token=this)
    )
    assert (wrong["code"], wrong["field"]) == ("BAD_USER_INPUT", "currentPassword")
    assert (await api(change, {"c": PASSWORD, "n": "nytt och långt lösen"}, token=this))[
        "data"
    ] == {"changePassword": True}
    assert (await api(VIEWER, token=this))["data"]["viewer"]["context"] == "COMPANY"
    assert only_error(await api(VIEWER, token=other))["code"] == "UNAUTHENTICATED"
    assert "PASSWORD_CHANGED" in await audit_actions(database)
    assert "ändrats" in (await outbox(database, email))[-1].subject


async def test_bad_sign_up_input_names_every_field_and_creates_nothing(
    api: Api, database: Database
) -> None:
    body = await api(
        SIGN_UP,
        {
            "input": signup_input(
                organisationNumber="556677-8898", password="kort", email="inte-en-adress", phone="x"
            )
        },
    )
    error = only_error(body)
    assert error["code"] == "BAD_USER_INPUT"
    assert error["field"] == "organisationNumber" and error["reason"] == "CHECK_DIGIT"
    assert {(p["field"], p["reason"]) for p in error["problems"]} == {
        ("organisationNumber", "CHECK_DIGIT"),
        ("phone", "INVALID_PHONE"),
        ("email", "INVALID_EMAIL"),
        ("password", "WEAK_PASSWORD"),
    }
    assert await row_counts(database) == (0, 0, 0)
    assert await outbox(database) == []


async def test_invalid_organisation_numbers_are_refused_with_their_reason(
    api: Api, database: Database
) -> None:
    for number, reason in [
        ("12345", "FORMAT"),
        ("556677-889X", "FORMAT"),
        ("851332-1231", "DATE"),  # digits 3-4 below 20: a sole trader's personnummer
        ("556677-8898", "CHECK_DIGIT"),
    ]:
        error = only_error(await api(SIGN_UP, {"input": signup_input(organisationNumber=number)}))
        assert (error["field"], error["reason"]) == ("organisationNumber", reason), number
    assert await row_counts(database) == (0, 0, 0)


async def test_weak_passwords_are_refused(api: Api, database: Database) -> None:
    for password in ["kort", "1234567890", "aaaaaaaaaaaa", "asa-lösenordet"]:
        error = only_error(await api(SIGN_UP, {"input": signup_input(password=password)}))
        assert (error["field"], error["reason"]) == ("password", "WEAK_PASSWORD"), password
    assert await row_counts(database) == (0, 0, 0)


async def test_a_taken_organisation_number_is_refused_but_a_taken_email_is_not_revealed(
    api: Api, database: Database
) -> None:
    await sign_up(api)
    again = only_error(await api(SIGN_UP, {"input": signup_input(email="ASA@byra.example")}))
    # Only the company number (public in the register) is refused; the address is not named.
    assert {(p["field"], p["reason"]) for p in again["problems"]} == {
        ("organisationNumber", "TAKEN"),
    }
    assert await row_counts(database) == (1, 1, 1)
    assert len(await outbox(database)) == 1  # no mail either: nothing was attempted


async def test_wrong_password_is_refused_and_audited(api: Api, database: Database) -> None:
    email = await sign_up_verified(api, database)
    error = only_error(await api(LOG_IN, {"email": email, "password": "fel lösenord!"}))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "password",
        "INVALID_CREDENTIALS",
    )
    unknown = only_error(
        await api(LOG_IN, {"email": "ingen@x.example", "password": "fel lösenord!"})
    )
    assert unknown == {**error, "requestId": unknown["requestId"]}  # same answer: no enumeration
    assert (await audit_actions(database)).count("LOGIN_FAILED") == 2


async def test_tokens_are_stored_hashed(api: Api, database: Database) -> None:
    email = await sign_up_verified(api, database)
    token = (await log_in(api, email))["token"]
    [mail] = await outbox(database, email)
    async with database.session() as session:
        hashes = set((await session.scalars(select(AccountToken.token_hash))).all())
    assert token_of(mail.links[0]) not in hashes and token not in hashes
