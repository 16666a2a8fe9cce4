"""Collaborations between an accounting firm and a client company."""

from __future__ import annotations

from enum import StrEnum


class AccessLevel(StrEnum):
    FULL = "FULL"  # the firm has the client admin's rights after logging in to the company
    LIMITED = "LIMITED"  # employees, payroll basis, expenses and receipts, in the portal


class CollaborationState(StrEnum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    DECLINED = "DECLINED"
    ENDED = "ENDED"


class Initiator(StrEnum):
    CLIENT = "CLIENT"  # the client admin invited the firm
    FIRM = "FIRM"  # the firm asked the client


def pending_level_request(
    state: CollaborationState, level: AccessLevel, requested_level: AccessLevel | None
) -> AccessLevel | None:
    """The level the firm asked for (requestLevelChange) while it still waits for the client's
    answer: only an ACTIVE collaboration has one, and only while it differs from the level."""
    if state is not CollaborationState.ACTIVE or requested_level in (None, level):
        return None
    return requested_level
