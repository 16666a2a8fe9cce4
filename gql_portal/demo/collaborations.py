"""The clients' collaborations with the accounting firms.

Every client has an ACTIVE collaboration with one firm: FULL where the payroll program is Visma
Lön Smart (the firm activates that integration inside the company), otherwise FULL or LIMITED.
Client 1 (CLIENT_ADMIN's) is FULL with the first firm (FIRM_USER's), changed to it from the
second (the one ENDED collaboration) and has a request from the third; client 2 is the first
firm's too and has invited the second; client 3 works with another firm and has invited the
first, which has yet to answer; a few others have a PENDING proposal in either direction.

Drawn from a stream of its own per client, so that the client's other data is the same as
without collaborations; which firm depends on the number of firms (so on `clients`)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from gql_portal.demo.builder import Batch, Builder, Firm
from gql_portal.domain.accounts import PayrollProgram
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator


def add_collaborations(
    builder: Builder,
    batch: Batch,
    index: int,
    company_id: int,
    admin_id: int,
    program: PayrollProgram | None,
    created: datetime,
) -> None:
    rng = builder.stream("collaborations", index)
    firms = builder.demo_firms
    firm = _the_firm(rng, firms, index)
    level = _the_level(rng, index, program)
    since = max(created, *(f.created for f in firms)) + timedelta(days=rng.randint(1, 60))
    if index == 1:
        since = _add_former_firm(builder, batch, rng, company_id, firms[1], since)
    initiator = rng.choice((Initiator.CLIENT, Initiator.FIRM))
    _add(
        batch,
        company_id,
        firm.company_id,
        level,
        CollaborationState.ACTIVE,
        initiator,
        admin_id if initiator is Initiator.CLIENT else firm.user_id,
        since,
        activated=since + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 6)),
    )
    _add_proposal(builder, batch, rng, index, company_id, admin_id, firm)


def _the_firm(rng: random.Random, firms: list[Firm], index: int) -> Firm:
    """Clients 1 and 2 are the first firm's, client 3 another's; the first firm has about a
    third of the others."""
    first, others = firms[0], firms[1:]
    if index <= 2:
        return first
    if index == 3:
        return rng.choice(others)
    return rng.choices(firms, weights=[len(others)] + [2] * len(others))[0]


def _the_level(rng: random.Random, index: int, program: PayrollProgram | None) -> AccessLevel:
    if program is PayrollProgram.VISMA_LON_SMART or index == 1:
        return AccessLevel.FULL
    if index == 2:
        return AccessLevel.LIMITED
    return AccessLevel.FULL if rng.random() < 0.4 else AccessLevel.LIMITED


def _add_former_firm(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    company_id: int,
    former: Firm,
    since: datetime,
) -> datetime:
    """Client 1's former firm: asked, active, ended. Returns when the next one may start."""
    asked = since + timedelta(hours=rng.randint(1, 8))
    # At least 30 days after it was asked, and 30 days before now (the client is at least 150
    # days old, the firms older still).
    room = max(0, (builder.calendar.now - asked).days - 60)
    ended = asked + timedelta(days=30 + rng.randint(0, room))
    _add(
        batch,
        company_id,
        former.company_id,
        AccessLevel.LIMITED,
        CollaborationState.ENDED,
        Initiator.FIRM,
        former.user_id,
        asked,
        activated=asked + timedelta(days=rng.randint(1, 3)),
        ended=ended,
    )
    return ended + timedelta(days=rng.randint(1, 10))


def _add_proposal(
    builder: Builder,
    batch: Batch,
    rng: random.Random,
    index: int,
    company_id: int,
    admin_id: int,
    firm: Firm,
) -> None:
    """An open proposal, waiting for the other side (never with the client's own firm)."""
    firms = builder.demo_firms
    first, others = firms[0], firms[1:]
    pending: tuple[Firm, Initiator] | None = None
    if index == 1:
        pending = others[1], Initiator.FIRM  # CLIENT_ADMIN may accept or decline
    elif index == 2:
        pending = others[0], Initiator.CLIENT
    elif index == 3:
        pending = first, Initiator.CLIENT  # FIRM_USER may accept or decline
    elif rng.random() < 0.05:
        pending = (
            rng.choice([f for f in firms if f is not firm]),
            rng.choice((Initiator.CLIENT, Initiator.FIRM)),
        )
    if not pending:
        return
    other, initiator = pending
    asked = builder.calendar.now - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
    _add(
        batch,
        company_id,
        other.company_id,
        rng.choice((AccessLevel.FULL, AccessLevel.LIMITED)),
        CollaborationState.PENDING,
        initiator,
        admin_id if initiator is Initiator.CLIENT else other.user_id,
        asked,
    )


def _add(
    batch: Batch,
    company_id: int,
    firm_id: int,
    level: AccessLevel,
    state: CollaborationState,
    initiator: Initiator,
    created_by: int,
    created: datetime,
    *,
    activated: datetime | None = None,
    ended: datetime | None = None,
) -> None:
    batch.add(
        "collaborations",
        {
            "company_id": company_id,
            "firm_id": firm_id,
            "level": level,
            "state": state,
            "initiated_by": initiator,
            "requested_level": None,
            "created_at": created,
            "created_by_user_id": created_by,
            "activated_at": activated,
            "ended_at": ended,
            "updated_at": ended or activated or created,
        },
    )
