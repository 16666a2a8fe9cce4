"""Absence kinds and how they reach the payroll basis."""

from __future__ import annotations

from enum import StrEnum


class AbsenceKind(StrEnum):
    SICK = "SICK"
    VACATION = "VACATION"
    VAB = "VAB"  # vård av barn: care of a sick child
    PARENTAL_LEAVE = "PARENTAL_LEAVE"
    LEAVE_OF_ABSENCE = "LEAVE_OF_ABSENCE"


class AbsenceStatus(StrEnum):
    REQUESTED = "REQUESTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


# The default time code (DEFAULT_TIME_CODES) an absence kind is reported with.
ABSENCE_TIME_CODE = {
    AbsenceKind.SICK: "SJK",
    AbsenceKind.VACATION: "SEM",
    AbsenceKind.VAB: "VAB",
    AbsenceKind.PARENTAL_LEAVE: "FPE",
    AbsenceKind.LEAVE_OF_ABSENCE: "TJL",
}
