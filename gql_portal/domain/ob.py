"""OB (obekväm arbetstid): the company's windows of inconvenient working hours, and how many of
a shift's hours fall in each. Pure: no I/O; whether a day is a public holiday is passed in
(`gql_portal.domain.calendar.is_public_holiday` in the service).

The rules, decided here once:

- **A window** has an OB code (OB1-OB5, the PAXml time codes), the weekdays it starts on, whether
  it also starts on public holidays and aftons (midsommarafton, julafton, nyårsafton: whatever
  their weekday), a start and an end time. An end at or before the start is on the next day
  (22:00-06:00 is a night; 00:00-00:00 a whole day).
- **A window starting on a day** applies when the day's weekday is one of its weekdays, or when
  it is marked for holidays and the day is one. It then covers the day's start time to its end.
- **Overlaps**: a minute counts for at most one code. Where windows overlap, the highest code
  wins (OB4 on a holiday evening beats OB1 of a weekday evening): agreements rank their OB
  supplements so, the higher paying the higher code.
- **Breaks** are taken out proportionally: a shift's break is not placed on the clock, so each
  code keeps its share of the worked time (code minutes x worked / clocked). Taking it from the
  end would always cost the late (OB) hours; proportional is the unbiased split.
- **Exact, then rounded once**: minutes are counted exactly, the break's shares are exact
  fractions, and only the result is rounded to hours with two decimals, by largest remainder so
  the codes' hours add up to their total rounded once. Never more than the worked hours.
- **Wall-clock time**: starts and ends are naive local datetimes (Europe/Stockholm, as the
  employee reads the clock). On the nights clocks change, a 22:00-06:00 shift is 8 hours long and
  its OB is counted on the wall clock too, the same as the entry's hours.
- **Overtime** is not derived from clock times here: it needs the day's schedule.
  `overtime_hours(worked, scheduled)` is the day's excess over its schedule; the payroll basis
  decides how it is used.

A company without windows has no OB. `COMMON_PRESET` is a starting point shaped like a typical
collective agreement; every firm adjusts it to its client's agreement.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as ClockTime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from math import floor

from gql_portal.domain.time import HOURS_PLACES, MINUTES_PER_HOUR, minutes_between

OB_CODES = ("OB1", "OB2", "OB3", "OB4", "OB5")
MAX_OB_WINDOWS = 50
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
ALL_WEEKDAYS = frozenset(range(7))

IsHoliday = Callable[[date], bool]


@dataclass(frozen=True)
class ObWindow:
    """An OB window: `code` from `start` to `end` on the days it starts on."""

    code: str
    weekdays: frozenset[int]  # 0 = Monday ... 6 = Sunday: the days the window starts on
    holidays: bool  # it also starts on public holidays and aftons, whatever their weekday
    start: ClockTime
    end: ClockTime  # at or before `start`: on the next day

    def starts_on(self, day: date, is_holiday: IsHoliday) -> bool:
        return day.weekday() in self.weekdays or (self.holidays and is_holiday(day))

    def on(self, day: date) -> tuple[datetime, datetime]:
        """The wall-clock span the window covers when it starts on `day`."""
        begins = datetime.combine(day, self.start)
        ends = datetime.combine(day, self.end)
        return begins, ends if ends > begins else ends + timedelta(days=1)


# --- the weekday set as stored: a bitmask, bit 0 Monday ... bit 6 Sunday ------------------------


def weekday_mask(weekdays: Iterable[int]) -> int:
    return sum(1 << weekday for weekday in set(weekdays))


def weekdays_of_mask(mask: int) -> frozenset[int]:
    return frozenset(weekday for weekday in range(7) if mask & (1 << weekday))


# --- checking windows -----------------------------------------------------------------------


def window_problems(window: ObWindow) -> list[tuple[str, str, str]]:
    """What is wrong with one window: (field, reason, message) each, fields as the API spells
    them (`code`, `weekdays`, `startTime`, `endTime`)."""
    problems: list[tuple[str, str, str]] = []
    if window.code not in OB_CODES:
        problems.append(("code", "NOT_AN_OB_CODE", "must be one of OB1, OB2, OB3, OB4, OB5"))
    if not window.weekdays <= ALL_WEEKDAYS:
        problems.append(("weekdays", "NOT_A_WEEKDAY", "weekdays are 0 (Monday) to 6 (Sunday)"))
    if not window.weekdays and not window.holidays:
        problems.append(
            ("weekdays", "NO_DAYS", "give the weekdays, or holidays, the window applies on")
        )
    for name, value in (("startTime", window.start), ("endTime", window.end)):
        if value.second or value.microsecond or value.tzinfo is not None:
            problems.append((name, "WHOLE_MINUTES", 'is a local time in whole minutes: "18:00"'))
    return problems


# --- splitting a shift ------------------------------------------------------------------------


def _check_span(start: datetime, end: datetime) -> None:
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("shifts are wall-clock: give naive local datetimes")
    if end <= start:
        raise ValueError("a shift ends after it starts")
    if (start.second, start.microsecond, end.second, end.microsecond) != (0, 0, 0, 0):
        raise ValueError("shifts start and end on whole minutes")


def _covering(
    start: datetime, end: datetime, windows: Sequence[ObWindow], is_holiday: IsHoliday
) -> list[tuple[datetime, datetime, str]]:
    """Every window's span that overlaps the shift (a window may start the day before)."""
    spans = []
    day = start.date() - timedelta(days=1)
    while day <= end.date():
        for window in windows:
            if window.starts_on(day, is_holiday):
                begins, ends = window.on(day)
                if begins < end and ends > start:
                    spans.append((max(begins, start), min(ends, end), window.code))
        day += timedelta(days=1)
    return spans


Stretch = tuple[datetime, datetime]


def stretches_by_code(
    start: datetime, end: datetime, windows: Sequence[ObWindow], is_holiday: IsHoliday
) -> dict[str, tuple[Stretch, ...]]:
    """The parts of the shift (clocked, no break taken out) under each OB code, the highest
    code winning where windows overlap; parts that meet are one stretch, in clock order."""
    _check_span(start, end)
    spans = _covering(start, end, windows, is_holiday)
    cuts = sorted({start, end, *(edge for span in spans for edge in span[:2])})
    stretches: dict[str, list[Stretch]] = defaultdict(list)
    for piece_start, piece_end in pairwise(cuts):
        codes = [
            code for begins, ends, code in spans if begins <= piece_start and piece_end <= ends
        ]
        if not codes:
            continue
        found = stretches[max(codes)]
        if found and found[-1][1] == piece_start:
            found[-1] = (found[-1][0], piece_end)
        else:
            found.append((piece_start, piece_end))
    return {code: tuple(parts) for code, parts in sorted(stretches.items())}


def minutes_by_code(
    start: datetime, end: datetime, windows: Sequence[ObWindow], is_holiday: IsHoliday
) -> dict[str, int]:
    """The shift's clocked minutes (no break taken out) per OB code, the highest code winning
    where windows overlap. Exact and additive: the minutes of two shifts that meet add up to the
    minutes of the shift they make together."""
    return {
        code: sum(minutes_between(begins, ends) for begins, ends in parts)
        for code, parts in stretches_by_code(start, end, windows, is_holiday).items()
    }


def _rounded_hours(exact: dict[str, Fraction]) -> dict[str, Decimal]:
    """Hours with two decimals that add up to the exact total rounded half up: each code gets
    its rounded-down hundredths, the hundredths left go to the largest remainders (ties: the
    higher code)."""
    hundredths = {code: value * 100 for code, value in exact.items()}
    floors = {code: floor(value) for code, value in hundredths.items()}
    left = floor(sum(hundredths.values()) + Fraction(1, 2)) - sum(floors.values())
    by_remainder = sorted(floors, key=lambda code: (hundredths[code] - floors[code], code))
    for code in by_remainder[len(by_remainder) - left :] if left > 0 else ():
        floors[code] += 1
    return {
        code: (Decimal(value) / 100).quantize(HOURS_PLACES)
        for code, value in floors.items()
        if value > 0
    }


def split_by_windows(
    start: datetime,
    end: datetime,
    break_minutes: int,
    windows: Sequence[ObWindow],
    is_holiday: IsHoliday,
) -> dict[str, Decimal]:
    """The worked hours of a shift per OB code (codes without OB time left out), two decimals.

    The break is taken out proportionally (see the module's rules); their sum never exceeds the
    shift's worked hours (end - start - break, rounded as the time entry's hours are)."""
    return hours_of_stretches(
        start, end, break_minutes, stretches_by_code(start, end, windows, is_holiday)
    )


def hours_of_stretches(
    start: datetime, end: datetime, break_minutes: int, stretches: dict[str, tuple[Stretch, ...]]
) -> dict[str, Decimal]:
    """`split_by_windows` of a shift whose `stretches_by_code` are known: a caller that needs
    both (the payroll basis: an OB line's hours and clock times) cuts the shift by the windows
    once."""
    _check_span(start, end)
    clocked = minutes_between(start, end)
    if not 0 <= break_minutes < clocked:
        raise ValueError("the break is 0 or more and shorter than the shift")
    worked_share = Fraction(clocked - break_minutes, clocked)
    exact = {
        code: Fraction(sum(minutes_between(begins, ends) for begins, ends in parts))
        * worked_share
        / MINUTES_PER_HOUR
        for code, parts in stretches.items()
    }
    return _rounded_hours(exact)


def overtime_hours(worked: Decimal, scheduled: Decimal) -> Decimal:
    """A day's hours above its schedule (0 when within it). A day off (scheduled 0, a public
    holiday) makes every worked hour overtime; whether that is overtime or mertid (part-time
    up to full time) is the basis' decision, not this helper's."""
    return max(worked - scheduled, Decimal(0)).quantize(HOURS_PLACES)


# --- presets ----------------------------------------------------------------------------------


class ObPreset(StrEnum):
    COMMON = "COMMON"


def _window(code: str, weekdays: Iterable[int], start: str, end: str) -> ObWindow:
    return ObWindow(
        code,
        frozenset(weekdays),
        False,
        ClockTime.fromisoformat(start),
        ClockTime.fromisoformat(end),
    )


# Shaped like a typical collective agreement (the firm adjusts times and codes to the client's):
# OB1 weekday evenings, OB2 weekday nights, OB3 the weekend from Friday 18:00 to Monday 06:00 (as
# three day windows), OB4 public holidays and aftons, the whole day.
COMMON_PRESET: tuple[ObWindow, ...] = (
    _window("OB1", (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY), "18:00", "22:00"),
    _window("OB2", (MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY), "22:00", "06:00"),
    _window("OB3", (FRIDAY,), "18:00", "00:00"),
    _window("OB3", (SATURDAY, SUNDAY), "00:00", "00:00"),
    _window("OB3", (MONDAY,), "00:00", "06:00"),
    ObWindow("OB4", frozenset(), True, ClockTime(0), ClockTime(0)),
)

PRESETS: dict[ObPreset, tuple[ObWindow, ...]] = {ObPreset.COMMON: COMMON_PRESET}
