"""A client's customers, projects and activities."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from gql_portal.demo.builder import Batch, Builder, ProjectWork
from gql_portal.demo.vocabulary import (
    CUSTOMER_NAMES,
    INTERNAL_ACTIVITIES,
    LAST_NAMES,
    NEARBY,
    STREETS,
    WORDS,
    WORK,
    Town,
    genitive,
)
from gql_portal.domain.accounts import Industry
from gql_portal.domain.identity import with_check_digit


@dataclass
class _Plan:
    """A project to add: the internal one (no customer) or a customer's."""

    code: str
    name: str
    customer_id: int | None
    activities: Sequence[str]
    active: bool
    created: datetime


def add_projects(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    company_id: int,
    industry: Industry,
    town: Town,
    created: datetime,
) -> list[ProjectWork]:
    """Customers, projects and activities; returns the active projects with their activities,
    the company's internal project first."""
    customers = _add_customers(builder, batch, rng, company_id, town, created)
    plans = _plan_projects(builder, rng, industry, town, created, customers)
    active: list[ProjectWork] = []
    for plan in plans:
        work = _add_project(builder, batch, company_id, plan)
        if plan.active:
            active.append(work)
    return active


def _add_customers(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    company_id: int,
    town: Town,
    created: datetime,
) -> list[tuple[int, str]]:
    """Two to five customers (a municipality, a family, or a company); their ids and names."""
    customers: list[tuple[int, str]] = []
    for _ in range(rng.randint(2, 5)):
        customer_id = builder.take("customers")
        last, word = rng.choice(LAST_NAMES), rng.choice(WORDS)
        kind = rng.random()
        number: str | None
        if kind < 0.15:
            municipality = rng.choice([town, *NEARBY[town.name]]).name
            name = f"{municipality} kommun"
            number = with_check_digit(f"212000{rng.randint(0, 999):03d}")
        elif kind < 0.25:
            name, number = f"Familjen {last}", None
        else:
            name = rng.choice(CUSTOMER_NAMES).format(
                last=last, last_gen=genitive(last), town=town.name, word=word
            )
            number = with_check_digit(f"559{rng.randint(0, 999_999):06d}")
        batch.add(
            "customers",
            {
                "id": customer_id,
                "company_id": company_id,
                "name": name,
                "organisation_number": number,
                "created_at": created + timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 6)),
            },
        )
        customers.append((customer_id, name))
    return customers


def _plan_projects(
    builder: Builder,
    rng: random.Random,
    industry: Industry,
    town: Town,
    created: datetime,
    customers: list[tuple[int, str]],
) -> list[_Plan]:
    """The internal project, then customer projects started within the last year and a half,
    numbered in order per year; at least one customer project is running."""
    names, activity_names, _ = WORK[industry]
    plans = [
        _Plan("INT", "Intern tid", None, INTERNAL_ACTIVITIES, True, created + timedelta(hours=2))
    ]
    now = builder.calendar.now
    started = sorted(
        max(created + timedelta(days=30), now - timedelta(days=rng.randint(20, 540)))
        for _ in range(rng.randint(2, 5))
    )
    for sequence, when in enumerate(started, start=1):
        customer_id, customer = rng.choice(customers)
        street = f"{rng.choice(STREETS)} {rng.randint(1, 80)}"
        name = rng.choice(names).format(customer=customer, street=street, town=town.name)
        picked = rng.sample(activity_names, rng.randint(2, min(4, len(activity_names))))
        is_active = rng.random() > 0.15
        plans.append(
            _Plan(f"{when.year}-{sequence:03d}", name, customer_id, picked, is_active, when)
        )
    if not any(plan.active for plan in plans[1:]):
        plans[-1].active = True
    return plans


def _add_project(builder: Builder, batch: Batch, company_id: int, plan: _Plan) -> ProjectWork:
    project_id = builder.take("projects")
    batch.add(
        "projects",
        {
            "id": project_id,
            "company_id": company_id,
            "customer_id": plan.customer_id,
            "code": plan.code,
            "name": plan.name,
            "active": plan.active,
            "created_at": plan.created,
        },
    )
    activity_ids = []
    for activity in plan.activities:
        activity_id = builder.take("activities")
        batch.add(
            "activities",
            {
                "id": activity_id,
                "company_id": company_id,
                "project_id": project_id,
                "name": activity,
                "active": True,
            },
        )
        activity_ids.append(activity_id)
    return project_id, activity_ids
