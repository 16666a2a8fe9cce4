"""A client company: its company row, admin, collaborations, projects, payroll periods and
employees, all drawn from the client's own random stream (client 7 looks the same whatever the
number of clients)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gql_portal.demo.builder import Batch, Builder
from gql_portal.demo.calendar import at
from gql_portal.demo.collaborations import add_collaborations
from gql_portal.demo.employees import Workplace, add_employee
from gql_portal.demo.logins import CLIENT_ADMIN
from gql_portal.demo.people import (
    add_company,
    add_membership,
    add_user,
    person,
    unique_company_name,
)
from gql_portal.demo.projects import add_projects
from gql_portal.demo.vocabulary import (
    COMPANY_NAMES,
    INDUSTRY_WEIGHTS,
    LAST_NAMES,
    PROGRAM_WEIGHTS,
    TOWNS,
    WORDS,
    Town,
    genitive,
)
from gql_portal.domain.accounts import Industry, Role
from gql_portal.domain.payroll import PeriodState


def add_client(builder: Builder, batch: Batch, index: int, employees: int) -> None:
    rng = builder.stream("client", index)
    industry = rng.choices(list(INDUSTRY_WEIGHTS), weights=list(INDUSTRY_WEIGHTS.values()))[0]
    program = rng.choices(list(PROGRAM_WEIGHTS), weights=list(PROGRAM_WEIGHTS.values()))[0]
    town = rng.choice(TOWNS)
    name = unique_company_name(builder, lambda: _company_name(rng, industry, town))
    created = at(
        builder.calendar.today - timedelta(days=rng.randint(150, 1500)),
        rng.randint(8, 20),
        rng.randint(0, 59),
    )
    company_id = add_company(builder, batch, index, name, industry, program, created, rng)

    boss = person(rng)
    admin_email = CLIENT_ADMIN if index == 1 else f"admin{index}@demo.example"
    admin_id = add_user(builder, batch, rng, admin_email, f"{boss.first} {boss.last}", created)
    add_membership(batch, admin_id, company_id, Role.ADMIN, created)
    add_collaborations(builder, batch, index, company_id, admin_id, program, created)

    projects = add_projects(builder, batch, rng, company_id, industry, town, created)
    _add_payroll_periods(builder, batch, company_id, created)
    place = Workplace(company_id, index, employees, industry, town, created, admin_id, projects)
    for number in range(1, employees + 1):
        add_employee(builder, batch, rng, place, number)


def _company_name(rng: random.Random, industry: Industry, town: Town) -> str:
    last = rng.choice(LAST_NAMES)
    pattern = rng.choice(COMPANY_NAMES[industry])
    return pattern.format(
        last=last, last_gen=genitive(last), town=town.name, word=rng.choice(WORDS)
    )


def _add_payroll_periods(
    builder: Builder, batch: Batch, company_id: int, company_created: datetime
) -> None:
    """The three months' payroll periods, OPEN (`load_demo` locks the oldest of some clients)."""
    for month_start, month_end in builder.calendar.periods:
        batch.add(
            "payroll_periods",
            {
                "company_id": company_id,
                "start_date": month_start,
                "end_date": month_end,
                "state": PeriodState.OPEN,
                "locked_at": None,
                "locked_by_user_id": None,
                "exported_at": None,
                "created_at": max(company_created, at(month_start, 6)),
            },
        )
