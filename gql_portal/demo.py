"""Demo data: a partner firm, client companies, admins and employees, deterministic from a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from gql_portal.clock import Clock
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Industry, PayrollProgram, Role
from gql_portal.domain.identity import with_check_digit
from gql_portal.security import Passwords

DEMO_PASSWORD = "demo-losenord-2026"

FIRM_USER = "byra@demo.example"
CLIENT_ADMIN = "admin@demo.example"
EMPLOYEE = "anna@demo.example"

_FIRST = [
    "Anna",
    "Erik",
    "Maria",
    "Lars",
    "Karin",
    "Johan",
    "Sara",
    "Anders",
    "Eva",
    "Per",
    "Lena",
    "Mikael",
    "Emma",
    "Olof",
    "Ingrid",
    "Nils",
    "Sofia",
    "Gustav",
    "Elin",
    "Oskar",
]
_LAST = [
    "Andersson",
    "Johansson",
    "Karlsson",
    "Nilsson",
    "Eriksson",
    "Larsson",
    "Olsson",
    "Persson",
    "Svensson",
    "Gustafsson",
    "Pettersson",
    "Jonsson",
    "Lindberg",
    "Lindström",
]
_TRADES = [
    ("Bygg", Industry.CONSTRUCTION),
    ("Städ", Industry.CLEANING),
    ("Konsult", Industry.CONSULTING),
    ("Transport", Industry.TRANSPORT),
    ("Café", Industry.HOSPITALITY),
    ("IT", Industry.IT),
    ("Handel", Industry.RETAIL),
]
_TOWNS = [
    "Göteborg",
    "Malmö",
    "Uppsala",
    "Västerås",
    "Örebro",
    "Linköping",
    "Umeå",
    "Luleå",
    "Jönköping",
    "Norrköping",
    "Gävle",
    "Sundsvall",
    "Växjö",
    "Karlstad",
    "Borås",
]


@dataclass(frozen=True)
class DemoLogins:
    firm_user: str
    client_admin: str
    employee: str
    password: str


def organisation_number(index: int) -> str:
    """A valid organisation number (digits 3-4 at least 20), unique per index."""
    return with_check_digit(f"55{60 + index // 1_000_000 % 40:02d}{index % 1_000_000:05d}")


async def database_is_empty(database: Database) -> bool:
    async with database.session() as session:
        return not await session.scalar(select(func.count()).select_from(Company))


async def load_demo(
    database: Database,
    clock: Clock,
    *,
    clients: int = 3,
    employees: int = 5,
    seed: int = 2026,
    passwords: Passwords | None = None,
) -> DemoLogins:
    rng = random.Random(seed)
    now = clock.now()
    password_hash = await (passwords or Passwords()).hash(DEMO_PASSWORD)

    def user(email: str, name: str) -> User:
        return User(
            email=email,
            name=name,
            phone=f"070-{rng.randint(100, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            password_hash=password_hash,
            email_verified_at=now,
            password_changed_at=now,
            created_at=now,
        )

    def company(index: int, name: str, industry: Industry, *, activated: bool) -> Company:
        return Company(
            name=name,
            organisation_number=organisation_number(index),
            industry=industry,
            payroll_program=rng.choice(list(PayrollProgram)),
            created_at=now - timedelta(days=90),
            trial_ends_at=now - timedelta(days=76),
            activated_at=now - timedelta(days=80) if activated else None,
        )

    async with database.transaction() as session:
        firm = company(0, "Redovisningsbyrån Demo AB", Industry.ACCOUNTING_PARTNER, activated=True)
        firm_user = user(FIRM_USER, "Birgitta Byråsson")
        session.add_all([firm, firm_user])
        memberships: list[tuple[User, Company, Role]] = [(firm_user, firm, Role.ADMIN)]
        for index in range(1, clients + 1):
            trade, industry = _TRADES[(index - 1) % len(_TRADES)]
            town = _TOWNS[(index - 1) % len(_TOWNS)]
            client = company(index, f"{town} {trade} {index} AB", industry, activated=True)
            session.add(client)
            admin_email = CLIENT_ADMIN if index == 1 else f"admin{index}@demo.example"
            admin = user(admin_email, f"{rng.choice(_FIRST)} {rng.choice(_LAST)}")
            session.add(admin)
            memberships.append((admin, client, Role.ADMIN))
            for number in range(1, employees + 1):
                email = EMPLOYEE if (index, number) == (1, 1) else f"e{index}-{number}@demo.example"
                first = "Anna" if (index, number) == (1, 1) else rng.choice(_FIRST)
                staff = user(email, f"{first} {rng.choice(_LAST)}")
                session.add(staff)
                memberships.append((staff, client, Role.EMPLOYEE))
        await session.flush()
        session.add_all(
            Membership(user_id=u.id, company_id=c.id, role=role, created_at=now)
            for u, c, role in memberships
        )
    return DemoLogins(FIRM_USER, CLIENT_ADMIN, EMPLOYEE, DEMO_PASSWORD)
