"""Payroll periods and the vocabulary of the payroll basis."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from enum import StrEnum


class PeriodState(StrEnum):
    OPEN = "OPEN"
    LOCKED = "LOCKED"  # ready for payroll: the basis is frozen
    EXPORTED = "EXPORTED"


class LineSource(StrEnum):
    TIME = "TIME"
    ABSENCE = "ABSENCE"
    EXPENSE = "EXPENSE"
    MILEAGE = "MILEAGE"


def month_period(day: date) -> tuple[date, date]:
    """The calendar month `day` is in (the default payroll period)."""
    return date(day.year, day.month, 1), date(
        day.year, day.month, monthrange(day.year, day.month)[1]
    )
