"""Sick periods (sjukperioder): an employee's approved sick absence as the firm follows it under
the sick pay act (lag (1991:1047) om sjuklön), with calendar day numbers and the two days the
firm must act on.

- **A spell** is a run of calendar days with approved SICK absence (any extent), weekends and
  holidays included: absences that overlap or follow each other day after day are one spell.
- **Day numbers** count sick calendar days: day 1 is the spell's first day. A spell that starts
  within five calendar days after the previous one ended (återinsjuknande, 7 § third paragraph:
  at most four healthy days between them) continues the previous one's numbering where it
  stopped; the healthy days between are not counted. A later spell starts again at day 1.
- **Medical certificate** (läkarintyg, 8 §): needed from the 8th calendar day of a spell. The
  certificate counts each spell on its own, even a continued one.
- **Försäkringskassan**: the employer's sick pay covers the first 14 days of the continued
  numbering; from day 15 the case goes to Försäkringskassan (sjukpenning).

Nothing here values the days: sick hours go out as SJK and the payroll program applies the
karensavdrag (20 % of an average week's sick pay) and the sick pay rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, Protocol

from gql_portal.domain.absence import AbsenceKind, AbsenceStatus

CONTINUES_WITHIN_DAYS: Final = 5  # återinsjuknande: a new spell within 5 days continues
MEDICAL_CERTIFICATE_DAY: Final = 8  # läkarintyg from the 8th calendar day of a spell
FORSAKRINGSKASSAN_DAY: Final = 15  # sick pay covers days 1-14; then Försäkringskassan
# How far before a period the sick absences are read to number its spells: a chain of
# continued spells reaching further back is numbered from the first day read.
SICK_HISTORY_DAYS: Final = 366


class SickAbsence(Protocol):
    """What a sick period is computed from (e.g. payroll's BasisAbsence, or an Absence row)."""

    @property
    def kind(self) -> AbsenceKind: ...
    @property
    def status(self) -> AbsenceStatus: ...
    @property
    def start_date(self) -> date: ...
    @property
    def end_date(self) -> date: ...


@dataclass(frozen=True)
class SickPeriod:
    """A spell of sick days (start to end, both included) and its day numbers."""

    start: date
    end: date
    first_day_number: int
    last_day_number: int
    medical_certificate_from: date | None  # the spell's 8th day, if it lasts that long
    forsakringskassan_from: date | None  # the day numbered 15, if the spell has it

    @property
    def continues_earlier(self) -> bool:
        return self.first_day_number > 1


def _spells(absences: Iterable[SickAbsence]) -> list[tuple[date, date]]:
    """The approved sick absences as runs of consecutive days, in date order."""
    ranges = sorted(
        (absence.start_date, absence.end_date)
        for absence in absences
        if absence.kind is AbsenceKind.SICK and absence.status is AbsenceStatus.APPROVED
    )
    spells: list[tuple[date, date]] = []
    for start, end in ranges:
        if spells and start <= spells[-1][1] + timedelta(days=1):
            spells[-1] = (spells[-1][0], max(spells[-1][1], end))
        else:
            spells.append((start, end))
    return spells


def _day_of(start: date, first_number: int, number: int, end: date) -> date | None:
    """The date numbered `number` in a spell from `start` (numbered `first_number`), on or
    after `start` (a number already passed: the spell's start); None after `end`."""
    day = start + timedelta(days=max(0, number - first_number))
    return day if day <= end else None


def sick_periods(absences: Iterable[SickAbsence]) -> tuple[SickPeriod, ...]:
    """One employee's sick periods, in date order, from their absences (other kinds and
    statuses are left out)."""
    periods: list[SickPeriod] = []
    for start, end in _spells(absences):
        previous = periods[-1] if periods else None
        continues = previous is not None and (
            start <= previous.end + timedelta(days=CONTINUES_WITHIN_DAYS)
        )
        first = previous.last_day_number + 1 if continues and previous else 1
        last = first + (end - start).days
        periods.append(
            SickPeriod(
                start=start,
                end=end,
                first_day_number=first,
                last_day_number=last,
                medical_certificate_from=_day_of(start, 1, MEDICAL_CERTIFICATE_DAY, end),
                forsakringskassan_from=_day_of(start, first, FORSAKRINGSKASSAN_DAY, end),
            )
        )
    return tuple(periods)


def sick_periods_in(
    absences: Iterable[SickAbsence], period_start: date, period_end: date
) -> tuple[SickPeriod, ...]:
    """The sick periods that overlap `period_start`-`period_end`, numbered from every absence
    given (give the earlier ones too: SICK_HISTORY_DAYS before the period)."""
    return tuple(
        period
        for period in sick_periods(absences)
        if period.start <= period_end and period.end >= period_start
    )
