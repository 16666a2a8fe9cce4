"""Rows for tests that are about something other than signing up: companies, users, sessions,
employees, created straight in the database (the sign-up path has tests of its own)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.settings import add_company_defaults
from gql_portal.demo import organisation_number
from gql_portal.domain.accounts import Industry, Role, SessionContext
from gql_portal.security import SESSION_TOKEN_PREFIX, new_token, token_hash

_sequence = itertools.count(1000)


@dataclass
class Actor:
    """A logged-in user: their ids and a bearer token."""

    user_id: int
    company_id: int
    token: str
    employee_id: int | None = None


class Factory:
    def __init__(self, database: Database, settings: Settings, clock: Clock) -> None:
        self.database = database
        self.settings = settings
        self.clock = clock

    async def company(
        self, name: str = "Kund AB", *, firm: bool = False, activated: bool = True
    ) -> Company:
        now = self.clock.now()
        company = Company(
            name=name,
            organisation_number=organisation_number(next(_sequence)),
            industry=Industry.ACCOUNTING_PARTNER if firm else Industry.CONSTRUCTION,
            created_at=now - timedelta(days=30),
            trial_ends_at=now - timedelta(days=16) if activated else now + timedelta(days=14),
            activated_at=now - timedelta(days=20) if activated else None,
        )
        async with self.database.transaction() as session:
            session.add(company)
            await session.flush()
            add_company_defaults(session, company.id, now)
        return company

    async def user(
        self, company: Company, role: Role = Role.ADMIN, *, name: str = "Test Person"
    ) -> User:
        now = self.clock.now()
        user = User(
            email=f"user{next(_sequence)}@test.example",
            name=name,
            password_hash="not-used-in-these-tests",
            email_verified_at=now,
            password_changed_at=now,
            created_at=now,
        )
        async with self.database.transaction() as session:
            session.add(user)
            await session.flush()
            session.add(
                Membership(user_id=user.id, company_id=company.id, role=role, created_at=now)
            )
        return user

    async def log_in(
        self, user: User, company: Company, context: SessionContext = SessionContext.COMPANY
    ) -> str:
        token = new_token(SESSION_TOKEN_PREFIX)
        now = self.clock.now()
        async with self.database.transaction() as session:
            session.add(
                AuthSession(
                    token_hash=token_hash(self.settings.secret_key, token),
                    user_id=user.id,
                    context=context,
                    company_id=company.id,
                    created_at=now,
                    expires_at=now + timedelta(days=1),
                )
            )
        return token

    async def employee(self, company: Company, user: User | None = None, **fields: Any) -> Employee:
        now = self.clock.now()
        number = next(_sequence)
        values: dict[str, Any] = {
            "employee_number": str(number),
            "first_name": "Anna",
            "last_name": f"Testsson {number}",
            "created_at": now,
            "updated_at": now,
        }
        values.update(fields)
        employee = Employee(company_id=company.id, user_id=user.id if user else None, **values)
        async with self.database.transaction() as session:
            session.add(employee)
        return employee

    async def admin(self, company: Company) -> Actor:
        user = await self.user(company, Role.ADMIN, name="Admin Adminsson")
        return Actor(user.id, company.id, await self.log_in(user, company))

    async def staff(self, company: Company, **fields: Any) -> Actor:
        """An employee who can log in, with their employee record."""
        user = await self.user(company, Role.EMPLOYEE, name="Anna Anställd")
        employee = await self.employee(company, user, **fields)
        return Actor(user.id, company.id, await self.log_in(user, company), employee.id)


def gid(type_name: str, row_id: int) -> str:
    """The Relay global id of a row, as the API spells it."""
    import base64

    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()
