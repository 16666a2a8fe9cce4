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
