"""Absence kinds and how they reach the payroll basis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
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


# --- requesting absence ---------------------------------------------------------------------

# Absences that hold their days: another absence of the same employee must not overlap them.
BLOCKING_STATUSES = (AbsenceStatus.REQUESTED, AbsenceStatus.APPROVED)
EXTENT_PLACES = Decimal("0.01")


def longer_than_a_year(start: date, end: date) -> bool:
    """Whether `start`-`end` (ends included) is longer than a year: one absence covers at most
    a year, i.e. it ends before the same date a year later (29 February: before 1 March)."""
    try:
        anniversary = start.replace(year=start.year + 1)
    except ValueError:
        anniversary = date(start.year + 1, 3, 1)
    return end >= anniversary


def overlaps(start: date, end: date, other_start: date, other_end: date) -> bool:
    """Whether two date ranges (ends included) share a day."""
    return start <= other_end and other_start <= end


def extent_problem(extent: Decimal) -> tuple[str, str] | None:
    """Why `extent` cannot be an absence's extent in percent (1-100, two decimals), or None."""
    if not extent.is_finite() or not Decimal(1) <= extent <= Decimal(100):
        return "OUT_OF_RANGE", "must be a percentage from 1 to 100"
    if extent != extent.quantize(EXTENT_PLACES):
        return "TOO_MANY_DECIMALS", "has at most two decimals"
    return None
