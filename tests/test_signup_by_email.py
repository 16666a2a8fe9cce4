"""The whole path with real mail: sign-up → SMTP delivery → the link in the mail → log-in."""

from __future__ import annotations

import asyncio
import re
import socket
from dataclasses import replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from sqlalchemy import select

from gql_portal.clock import FrozenClock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.mail import MailStatus, OutboxMessage
from gql_portal.http.app import create_app
from gql_portal.runtime import Runtime
from gql_portal.security import Passwords
from tests.accounts import SIGN_UP, VERIFY, log_in, signup_input, token_of
from tests.conftest import PUBLIC_URL, Api


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


async def test_the_welcome_mail_arrives_over_smtp_and_its_link_leads_to_log_in(
    settings: Settings, database: Database, clock: FrozenClock, passwords: Passwords
) -> None:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        runtime = Runtime(
            settings=replace(settings, smtp_url=f"smtp://127.0.0.1:{port}?starttls=0"),
            database=database,
            clock=clock,
            passwords=passwords,
        )
        app = create_app(runtime)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC_URL) as http:
                api = Api(http)
                body = await api(SIGN_UP, {"input": signup_input()})
                assert "errors" not in body, body
                for _ in range(100):  # the worker is woken by the sign-up; allow it 5 s
                    if inbox.messages:
                        break
                    await asyncio.sleep(0.05)
                [mail] = inbox.messages
                assert mail["To"] == "asa@byra.example"
                assert mail["Subject"].startswith("Välkommen")
                text = mail.get_content()
                assert "Hej Åsa Öberg!" in text
                [link] = re.findall(r"http://portal\.test/login\?token=\S+", text)

                page = await http.get(link.removeprefix(PUBLIC_URL))
                assert page.status_code == 200
                verified = await api(VERIFY, {"token": token_of(link)})
                assert verified["data"] == {"verifyEmail": {"email": "asa@byra.example"}}
                session = await log_in(api, "asa@byra.example")
                assert session["viewer"]["user"]["email"] == "asa@byra.example"
        async with database.session() as db:
            status = await db.scalar(select(OutboxMessage.status))
        assert status is MailStatus.SENT
    finally:
        smtp.stop()
