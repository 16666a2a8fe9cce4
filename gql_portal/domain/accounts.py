"""Account vocabulary shared by the database, the schema and the permission matrix, and the
trial's rule (the API's viewer and the operator's `gql-portal accounts` read it alike)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from gql_portal.clock import STOCKHOLM


class Industry(StrEnum):
    ACCOUNTING_PARTNER = "ACCOUNTING_PARTNER"  # Byråpartner: an accounting firm
    CONSTRUCTION = "CONSTRUCTION"
    CONSULTING = "CONSULTING"
    HEALTHCARE = "HEALTHCARE"
    HOSPITALITY = "HOSPITALITY"
    MANUFACTURING = "MANUFACTURING"
    RETAIL = "RETAIL"
    TRANSPORT = "TRANSPORT"
    CLEANING = "CLEANING"
    IT = "IT"
    OTHER = "OTHER"


def is_accounting_firm(industry: Industry) -> bool:
    """A company of this industry is a partner firm (the partner portal is theirs)."""
    return industry is Industry.ACCOUNTING_PARTNER


INDUSTRY_LABELS_SV = {
    Industry.ACCOUNTING_PARTNER: "Byråpartner",
    Industry.CONSTRUCTION: "Bygg",
    Industry.CONSULTING: "Konsult",
    Industry.HEALTHCARE: "Vård och omsorg",
    Industry.HOSPITALITY: "Hotell och restaurang",
    Industry.MANUFACTURING: "Tillverkning",
    Industry.RETAIL: "Handel",
    Industry.TRANSPORT: "Transport",
    Industry.CLEANING: "Städ",
    Industry.IT: "IT",
    Industry.OTHER: "Övrigt",
}


class PayrollProgram(StrEnum):
    VISMA_LON_SMART = "VISMA_LON_SMART"
    VISMA_LON_300 = "VISMA_LON_300"
    VISMA_LON_600 = "VISMA_LON_600"
    FORTNOX_LON = "FORTNOX_LON"
    HOGIA = "HOGIA"
    CRONA = "CRONA"
    KONTEK = "KONTEK"
    OTHER = "OTHER"


class Role(StrEnum):
    """A user's role in one company (a membership). In an accounting firm, EMPLOYEE is a
    consultant; ASSISTANT exists only there: the partner portal, read-only."""

    ADMIN = "ADMIN"
    EMPLOYEE = "EMPLOYEE"
    ASSISTANT = "ASSISTANT"


class SessionContext(StrEnum):
    """Where a logged-in session is: inside one company, or in the partner portal."""

    COMPANY = "COMPANY"
    PORTAL = "PORTAL"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"  # the login link of the welcome mail
    RESET_PASSWORD = "RESET_PASSWORD"


# --- the trial ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialState:
    """Where a company's trial stands at one instant."""

    ends_at: datetime
    ends_on: date  # its last day
    days_left: int  # whole days, rounded up; 0 once it has ended
    expired: bool  # ended without activation
    activated: bool
    activated_at: datetime | None


def last_day_of_trial(ends_at: datetime) -> date:
    """The Stockholm date just before the instant the trial ends (an end at midnight leaves the
    day before as the last)."""
    return (ends_at - timedelta(microseconds=1)).astimezone(STOCKHOLM).date()


def trial_state(ends_at: datetime, activated_at: datetime | None, now: datetime) -> TrialState:
    """The trial that ends at `ends_at`, seen at `now`; activation ends the trial for good."""
    remaining = (ends_at - now).total_seconds()
    return TrialState(
        ends_at=ends_at,
        ends_on=last_day_of_trial(ends_at),
        days_left=max(0, math.ceil(remaining / 86400)),
        expired=activated_at is None and remaining <= 0,
        activated=activated_at is not None,
        activated_at=activated_at,
    )
