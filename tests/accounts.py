"""Steps of the account lifecycle, as a client performs them over HTTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select

from gql_portal.db.engine import Database
from gql_portal.db.mail import OutboxMessage
from tests.conftest import Api

SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { email companyName trialEndsOn }
}"""
VERIFY = "mutation($token: String!) { verifyEmail(token: $token) { email } }"
LOG_IN = """
mutation LogIn($email: String!, $password: String!) {
  logIn(input: {email: $email, password: $password}) {
    token expiresAt
    viewer { context role openMenus user { email name emailVerified }
             company { name organisationNumber industry isAccountingFirm }
             trial { endsOn daysLeft expired activated } }
  }
}"""
VIEWER = """
{ viewer { context role openMenus user { email name }
           company { name organisationNumber isAccountingFirm }
           trial { endsOn daysLeft expired activated } } }"""
ACTIVATE = "mutation { activate { viewer { context openMenus trial { activated expired } } } }"
LOG_OUT = "mutation { logOut }"

PASSWORD = "korrekt häst batteri"


def signup_input(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "companyName": "Byrå Exempel AB",
        "organisationNumber": "556677-8899",
        "industry": "ACCOUNTING_PARTNER",
        "payrollProgram": "FORTNOX_LON",
        "name": "Åsa Öberg",
        "phone": "070-123 45 67",
        "email": "asa@byra.example",
        "password": PASSWORD,
    }
    values.update(overrides)
    return values


async def outbox(database: Database, to: str | None = None) -> list[OutboxMessage]:
    async with database.session() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id)
        if to:
            statement = statement.where(OutboxMessage.to_address == to)
        return list((await session.scalars(statement)).all())


def token_of(link: str) -> str:
    return parse_qs(urlparse(link).query)["token"][0]


async def sign_up(api: Api, **overrides: Any) -> dict[str, Any]:
    body = await api(SIGN_UP, {"input": signup_input(**overrides)})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["signUp"]
    return result


async def sign_up_verified(api: Api, database: Database, **overrides: Any) -> str:
    """Sign up and open the mailed link; returns the email address."""
    email = (await sign_up(api, **overrides))["email"]
    mail = (await outbox(database, email))[-1]
    body = await api(VERIFY, {"token": token_of(mail.links[0])})
    assert "errors" not in body, body
    return str(email)


async def log_in(api: Api, email: str, password: str = PASSWORD) -> dict[str, Any]:
    body = await api(LOG_IN, {"email": email, "password": password})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["logIn"]
    return result
