"""Support staff's tools for a company's account (`gql-portal accounts show|trial`).

The logic behind the operator commands, testable without argparse: each function takes the
database and the clock, and raises `OperatorError` (one line for the terminal) when it refuses.

Trial rules (the same the API applies, `domain.accounts.trial_state`): a trial ends at an instant,
`Company.trial_ends_at`; its last day is the Stockholm date just before that instant.

* `extend_trial(days)`: a running trial ends `days` days later than it would have. An expired one
  gets `days` days from now, as a new sign-up gets its trial from the moment it signs up (so
  "days left" then reads `days`, and no day of the extension is spent before it was granted).
* `end_trial()`: the trial ends now: the company's next request answers TRIAL_EXPIRED.

Both refuse on an activated company (it has no trial left to change) and write an audit event in
the same transaction: no user did it, so `actor_user_id` is null and the operator's name, the
rule and the trial end before and after are in `details`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.audit import NO_USER, record
from gql_portal.clock import STOCKHOLM, Clock
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.domain.accounts import Role, TrialState, trial_state
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.collaborations import CollaborationState
from gql_portal.domain.identity import (
    InvalidNumber,
    format_organisation_number,
    normalize_organisation_number,
)

# An extension longer than this is more likely a typo (300 for 30) than a decision.
MAX_EXTENSION_DAYS = 365


class OperatorError(Exception):
    """A refusal, said in one line; `exit_code` 2 for "no such thing", 1 for "not allowed"."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def trial_of(company: Company, now: datetime) -> TrialState:
    """The API's own rule, so the operator sees what the company's users see."""
    return trial_state(company.trial_ends_at, company.activated_at, now)


def trial_json(trial: TrialState) -> dict[str, Any]:
    return {
        "endsAt": trial.ends_at.isoformat(),
        "endsOn": trial.ends_on.isoformat(),
        "daysLeft": trial.days_left,
        "expired": trial.expired,
        "activated": trial.activated,
        "activatedAt": trial.activated_at.isoformat() if trial.activated_at else None,
    }


@dataclass(frozen=True)
class CompanyReport:
    id: int
    name: str
    organisation_number: str  # formatted, 556677-8899
    accounting_firm: bool
    created_at: datetime
    trial: TrialState
    user_count: int
    admin_emails: list[str]
    # Collaborations the company is in, as client or as firm, by state.
    collaborations: dict[str, int]

    def as_json(self) -> dict[str, Any]:
        return {
            "company": {
                "id": self.id,
                "name": self.name,
                "organisationNumber": self.organisation_number,
                "accountingFirm": self.accounting_firm,
                "createdAt": self.created_at.isoformat(),
            },
            "trial": trial_json(self.trial),
            "users": {"count": self.user_count, "adminEmails": self.admin_emails},
            "collaborations": {
                "count": sum(self.collaborations.values()),
                "byState": self.collaborations,
            },
        }

    def as_text(self) -> str:
        trial = self.trial
        if trial.activated:
            status = f"activated {_day(trial.activated_at)}"
        elif trial.expired:
            status = "EXPIRED"
        else:
            status = f"{trial.days_left} days left"
        by_state = ", ".join(
            f"{count} {state.lower()}" for state, count in self.collaborations.items()
        )
        lines = [
            f"{self.name} ({self.organisation_number})",
            f"  accounting firm:  {'yes' if self.accounting_firm else 'no'}",
            f"  company id:       {self.id}",
            f"  created:          {_day(self.created_at)}",
            f"  trial ends on:    {trial.ends_on.isoformat()} ({status})",
            f"  days left:        {trial.days_left}",
            f"  expired:          {'yes' if trial.expired else 'no'}",
            f"  activated:        {_day(trial.activated_at) if trial.activated else 'no'}",
            f"  users:            {self.user_count}",
            f"  admins:           {', '.join(self.admin_emails) or '-'}",
            f"  collaborations:   {sum(self.collaborations.values())}"
            + (f" ({by_state})" if by_state else ""),
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class TrialChange:
    name: str
    organisation_number: str
    before: TrialState
    after: TrialState
    rule: str  # how the new end was reached, for the operator and the audit trail
    changed: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "organisationNumber": self.organisation_number,
            "changed": self.changed,
            "rule": self.rule,
            "before": trial_json(self.before),
            "after": trial_json(self.after),
        }

    def as_text(self) -> str:
        head = f"{self.name} ({self.organisation_number}): "
        if not self.changed:
            return head + f"{self.rule}; nothing changed."
        after = self.after
        left = "it has ended" if after.expired else f"{after.days_left} days left"
        return (
            head + f"{self.rule}. The trial ended on {self.before.ends_on.isoformat()}"
            f"{' (expired)' if self.before.expired else ''}; it now ends on "
            f"{after.ends_on.isoformat()} ({left})."
        )


def _day(moment: datetime | None) -> str:
    return moment.astimezone(STOCKHOLM).date().isoformat() if moment else "-"


def organisation_number_of(raw: str) -> str:
    """The 10 digits of an organisation number given with or without the dash."""
    try:
        return normalize_organisation_number(raw.strip())
    except InvalidNumber as error:
        raise OperatorError(f"{raw.strip()!r} is not an organisation number: {error}") from None


async def _company(session: AsyncSession, raw_number: str, *, for_update: bool = False) -> Company:
    digits = organisation_number_of(raw_number)
    statement = select(Company).where(Company.organisation_number == digits)
    if for_update:  # PostgreSQL: no activation or second operator in between (SQLite: one writer)
        statement = statement.with_for_update()
    company = await session.scalar(statement)
    if company is None:
        raise OperatorError(
            f"no company has organisation number {format_organisation_number(digits)}"
        )
    return company


async def show(database: Database, clock: Clock, raw_number: str) -> CompanyReport:
    async with database.session() as session:
        company = await _company(session, raw_number)
        user_count = await session.scalar(
            select(func.count()).where(Membership.company_id == company.id)
        )
        admin_emails = (
            await session.scalars(
                select(User.email)
                .join(Membership, Membership.user_id == User.id)
                .where(Membership.company_id == company.id, Membership.role == Role.ADMIN)
                .order_by(User.email)
            )
        ).all()
        states = await session.execute(
            select(Collaboration.state, func.count())
            .where(or_(Collaboration.company_id == company.id, Collaboration.firm_id == company.id))
            .group_by(Collaboration.state)
        )
        counts = Counter({state: count for state, count in states})
    return CompanyReport(
        id=company.id,
        name=company.name,
        organisation_number=format_organisation_number(company.organisation_number),
        accounting_firm=company.is_accounting_firm,
        created_at=company.created_at,
        trial=trial_of(company, clock.now()),
        user_count=user_count or 0,
        admin_emails=list(admin_emails),
        collaborations={
            state.value: counts[state] for state in CollaborationState if counts[state]
        },
    )


def _check_operator(operator: str) -> str:
    name = operator.strip()
    if not name:
        raise OperatorError("say who you are: --operator NAME (or set $USER)")
    return name[:100]


def _refuse_if_activated(company: Company) -> None:
    if company.activated_at is not None:
        raise OperatorError(
            f"{company.name} ({format_organisation_number(company.organisation_number)}) was "
            f"activated on {_day(company.activated_at)}: it has no trial to change",
            exit_code=1,
        )


def _audit(
    session: AsyncSession,
    now: datetime,
    action: AuditAction,
    company: Company,
    operator: str,
    before: TrialState,
    after: TrialState,
    **details: Any,
) -> None:
    # No user did it: support staff at the operator's terminal, named in the details.
    record(
        session,
        NO_USER,
        action,  # an account event (no area), as ACTIVATED is
        at=now,
        company_id=company.id,
        operator=operator,
        via="gql-portal accounts trial",
        **details,
        before={"trialEndsAt": before.ends_at.isoformat(), "endsOn": str(before.ends_on)},
        after={"trialEndsAt": after.ends_at.isoformat(), "endsOn": str(after.ends_on)},
    )


async def extend_trial(
    database: Database, clock: Clock, raw_number: str, days: int, *, operator: str
) -> TrialChange:
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise OperatorError(f"--extend takes 1 to {MAX_EXTENSION_DAYS} days, not {days}")
    name = _check_operator(operator)
    async with database.transaction() as session:
        company = await _company(session, raw_number, for_update=True)
        _refuse_if_activated(company)
        now = clock.now()
        before = trial_of(company, now)
        if before.expired:
            rule = f"extended by {days} days from now (the trial had expired)"
            company.trial_ends_at = now + timedelta(days=days)
        else:
            rule = f"extended by {days} days from its end"
            company.trial_ends_at = company.trial_ends_at + timedelta(days=days)
        after = trial_of(company, now)
        _audit(
            session,
            now,
            AuditAction.TRIAL_EXTENDED,
            company,
            name,
            before,
            after,
            days=days,
            rule=rule,
        )
    return TrialChange(
        company.name,
        format_organisation_number(company.organisation_number),
        before,
        after,
        rule,
        changed=True,
    )


async def end_trial(
    database: Database, clock: Clock, raw_number: str, *, operator: str
) -> TrialChange:
    name = _check_operator(operator)
    async with database.transaction() as session:
        company = await _company(session, raw_number, for_update=True)
        _refuse_if_activated(company)
        now = clock.now()
        before = trial_of(company, now)
        number = format_organisation_number(company.organisation_number)
        if before.expired:  # already over: nothing to do, nothing to audit
            rule = f"the trial already ended on {before.ends_on.isoformat()}"
            return TrialChange(company.name, number, before, before, rule, changed=False)
        rule = "trial ended now"
        company.trial_ends_at = now
        after = trial_of(company, now)
        _audit(session, now, AuditAction.TRIAL_ENDED, company, name, before, after, rule=rule)
    return TrialChange(company.name, number, before, after, rule, changed=True)
