"""Employment vocabulary."""

from __future__ import annotations

from enum import StrEnum


class EmploymentForm(StrEnum):
    PERMANENT = "PERMANENT"  # tillsvidareanställning
    FIXED_TERM = "FIXED_TERM"  # visstidsanställning
    PROBATION = "PROBATION"  # provanställning
    ON_CALL = "ON_CALL"  # timanställd vid behov


class SalaryForm(StrEnum):
    MONTHLY = "MONTHLY"
    HOURLY = "HOURLY"
