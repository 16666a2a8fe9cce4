"""People, users, companies and the accounting firms."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gql_portal.demo.builder import Batch, Builder, Firm
from gql_portal.demo.calendar import add_years, at
from gql_portal.demo.logins import FIRM_USER
from gql_portal.demo.vocabulary import FEMALE_NAMES, FIRM_NAMES, LAST_NAMES, MALE_NAMES, TOWNS
from gql_portal.domain.accounts import Industry, PayrollProgram, Role
from gql_portal.domain.identity import with_check_digit

# Firms use organisation numbers far from the clients' (index 900,000 and up).
FIRM_INDEX = 900_000


@dataclass
class Person:
    first: str
    last: str
    female: bool


def organisation_number(index: int) -> str:
    """A valid organisation number (digits 3-4 at least 20), unique per index below 4,000,000."""
    return with_check_digit(f"55{60 + index // 100_000 % 40:02d}{index % 100_000:05d}")


def person(rng: random.Random, *, female: bool | None = None) -> Person:
    female = rng.random() < 0.5 if female is None else female
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    return Person(first, rng.choice(LAST_NAMES), female)


def phone(rng: random.Random) -> str:
    return (
        f"07{rng.choice('02369')}-{rng.randint(100, 999)} "
        f"{rng.randint(10, 99)} {rng.randint(10, 99)}"
    )


def personal_number(
    builder: Builder, rng: random.Random, female: bool, coordination: bool
) -> tuple[str, date]:
    """A new personal identity number of someone 19-64 years old, and their birthday.
    YYYYMMDDNNNC: Luhn over YYMMDDNNN; the ninth digit is even for women; coordination
    numbers add 60 to the day."""
    today = builder.calendar.today
    oldest = add_years(today, -64)
    span = (add_years(today, -19) - oldest).days
    while True:
        born = oldest + timedelta(days=rng.randrange(span))
        day = born.day + 60 if coordination else born.day
        gender = rng.choice("02468" if female else "13579")
        nine = f"{born.year % 100:02d}{born.month:02d}{day:02d}{rng.randint(0, 99):02d}{gender}"
        number = f"{born.year // 100:02d}{with_check_digit(nine)}"
        if number not in builder.personal_numbers:
            builder.personal_numbers.add(number)
            return number, born


def add_user(
    builder: Builder, batch: Batch, rng: random.Random, email: str, name: str, created: datetime
) -> int:
    user_id = builder.take("users")
    batch.add(
        "users",
        {
            "id": user_id,
            "email": email,
            "name": name,
            "phone": phone(rng),
            "password_hash": builder.password_hash,
            "email_verified_at": created + timedelta(minutes=rng.randint(2, 90)),
            "password_changed_at": created,
            "created_at": created,
        },
    )
    return user_id


def add_membership(
    batch: Batch, user_id: int, company_id: int, role: Role, created: datetime
) -> None:
    batch.add(
        "memberships",
        {"user_id": user_id, "company_id": company_id, "role": role, "created_at": created},
    )


def add_company(
    builder: Builder,
    batch: Batch,
    index: int,
    name: str,
    industry: Industry,
    program: PayrollProgram | None,
    created: datetime,
    rng: random.Random,
) -> int:
    company_id = builder.take("companies")
    batch.add(
        "companies",
        {
            "id": company_id,
            "name": name,
            "organisation_number": organisation_number(index),
            "industry": industry,
            "payroll_program": program,
            "created_at": created,
            "trial_ends_at": created + timedelta(days=14),
            "activated_at": created + timedelta(days=rng.randint(2, 13), hours=rng.randint(0, 6)),
        },
    )
    batch.companies.append((company_id, created))
    return company_id


def unique_company_name(builder: Builder, make: Callable[[], str]) -> str:
    """A name from `make` not used yet (after 20 tries, the last one numbered)."""
    for _ in range(20):
        name = make()
        if name not in builder.company_names:
            break
    else:
        name = f"{name.removesuffix(' AB')} {len(builder.company_names)} AB"
    builder.company_names.add(name)
    return name


def add_firms(builder: Builder, batch: Batch, count: int) -> None:
    """The accounting firms (ACCOUNTING_PARTNER, activated), each with one to three users;
    every client collaborates with one of them (see `collaborations`)."""
    rng = builder.stream("firms")
    for number in range(1, count + 1):
        pattern = FIRM_NAMES[(number - 1) % len(FIRM_NAMES)]
        name = pattern.format(town=rng.choice(TOWNS).name)  # one pattern per firm: unique
        builder.company_names.add(name)
        created = at(
            builder.calendar.today - timedelta(days=rng.randint(400, 1500)),
            rng.randint(8, 17),
            rng.randint(0, 59),
        )
        firm_id = add_company(
            builder,
            batch,
            FIRM_INDEX + number,
            name,
            Industry.ACCOUNTING_PARTNER,
            None,
            created,
            rng,
        )
        for seat in range(1, rng.randint(1, 3) + 1):
            user_id = _add_firm_user(builder, batch, rng, firm_id, number, seat, created)
            if seat == 1:
                builder.demo_firms.append(Firm(firm_id, user_id, created))


def _add_firm_user(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    firm_id: int,
    number: int,
    seat: int,
    created: datetime,
) -> int:
    """The firm's `seat`th user, an admin of the firm; the first joined when it was created."""
    if seat == 1:
        email = FIRM_USER if number == 1 else f"byra{number}@demo.example"
    else:
        email = f"byra{number}-{seat}@demo.example"
    someone = person(rng)
    name = "Birgitta Byråsson" if email == FIRM_USER else f"{someone.first} {someone.last}"
    joined = created + timedelta(days=0 if seat == 1 else rng.randint(20, 300))
    user_id = add_user(builder, batch, rng, email, name, joined)
    add_membership(batch, user_id, firm_id, Role.ADMIN, joined)
    return user_id
