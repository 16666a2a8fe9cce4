"""Events: which objects changed (ids only), and publishing them once their change is committed.

An event never carries data: a subscriber re-reads the object under its own access, so what it
receives is what a query would answer at that moment (nothing when it can no longer see it).
Events are published after COMMIT (a rolled back change publishes nothing): resolvers publish
after their `async with transaction()` block, or hand the event to `publish_after_commit` when
the change is committed further out.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from gql_portal.live.bus import Bus

_PENDING_KEY = "gql_portal.live.pending"


class Topic(StrEnum):
    """What kind of object an event names."""

    EXPORT = "export"
    EXPENSE = "expense"
    PAYROLL_PERIOD = "payroll_period"
    COLLABORATION = "collaboration"
    # An employee's time or its attestation changed (ids: employees): the client board's counts.
    TIME = "time"
    # The sources of a company's payroll basis changed on these days (ids: the days' ordinals):
    # a LOCKED period holding one of them has a new late difference (payrollPeriodChanged).
    PAYROLL_SOURCE = "payroll_source"
    # A session or a collaboration changed (logged out, password changed, level changed,
    # ended): the connections it may concern read their viewer's access again.
    ACCESS = "access"
    # Jobs were queued in the database (ids: jobs): idle workers on every node claim them now
    # instead of at their next poll (gql_portal/jobs/runner.py). No subscription hears it.
    JOB = "job"


@dataclass(frozen=True)
class Event:
    """`ids` of `topic` changed in `company_id` (None: not a company's object, e.g. ACCESS's user
    ids)."""

    topic: Topic
    company_id: int | None
    ids: tuple[int, ...]

    def to_json(self) -> str:
        return json.dumps({"t": self.topic.value, "c": self.company_id, "i": list(self.ids)})

    @classmethod
    def from_json(cls, payload: str) -> Event:
        data: dict[str, Any] = json.loads(payload)
        company = data.get("c")
        return cls(
            Topic(data["t"]),
            int(company) if company is not None else None,
            tuple(int(i) for i in data["i"]),
        )

    def split(self, most: int) -> list[Event]:
        """This event as events of at most `most` ids each (a NOTIFY payload is small)."""
        if len(self.ids) <= most:
            return [self]
        return [
            Event(self.topic, self.company_id, self.ids[start : start + most])
            for start in range(0, len(self.ids), most)
        ]


def publish_after_commit(session: AsyncSession, bus: Bus, event: Event) -> None:
    """Publish `event` when `session`'s transaction commits; nothing when it rolls back."""
    pending: list[tuple[Bus, Event]] = session.sync_session.info.setdefault(_PENDING_KEY, [])
    pending.append((bus, event))


def publish_change(
    session: AsyncSession, bus: Bus, topic: Topic, company_id: int | None, object_id: int
) -> None:
    """One object of `company_id` changed in `session`: told once its transaction commits."""
    publish_after_commit(session, bus, Event(topic, company_id, (object_id,)))


def payroll_sources_changed(
    session: AsyncSession, bus: Bus, company_id: int, days: Iterable[date]
) -> None:
    """Time (or what else the basis is computed from) of `company_id` changed on `days`: told
    once committed. The mutation names the days only (no read of the periods, no statement);
    the subscribers find the LOCKED periods holding them."""
    ordinals = tuple(sorted({day.toordinal() for day in days}))
    publish_after_commit(session, bus, Event(Topic.PAYROLL_SOURCE, company_id, ordinals))


def sessions_changed(user_id: int) -> Event:
    """A user's sessions changed (logged out, password changed, removed from a company): their
    connections read their access again (gql_portal/http/live.py)."""
    return Event(Topic.ACCESS, None, (user_id,))


def company_access_changed(company_id: int) -> Event:
    """What a company's users reach changed (a collaboration proposed, accepted, changed in
    level or ended: published for the client and for the firm): the connections of its users,
    and of a firm's partners inside a client, read their access again. (An ACCESS event of a
    company names the company as its one id.)"""
    return Event(Topic.ACCESS, company_id, (company_id,))


@sa_event.listens_for(Session, "after_commit")
def _publish_pending(session: Session) -> None:
    pending: list[tuple[Bus, Event]] | None = session.info.pop(_PENDING_KEY, None)
    for bus, event in pending or ():
        bus.publish_soon(event)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
