"""The demo's calendar: Swedish days off, Stockholm wall-clock times, and the three months of
data up to the clock's today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from gql_portal.clock import STOCKHOLM, Clock
from gql_portal.domain.calendar import public_holidays
from gql_portal.domain.payroll import month_period
from gql_portal.domain.time import week_start


def swedish_days_off(year: int) -> set[date]:
    """Public holidays and the customary days off (midsummer eve, Christmas eve, New Year's eve):
    the product's own calendar (gql_portal.domain.calendar)."""
    return set(public_holidays(year))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time on `day`, as UTC."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def months_back(day: date, months: int) -> date:
    """The first day of the month `months` before `day`'s."""
    month = day.month - months
    year = day.year
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


@dataclass
class Calendar:
    now: datetime
    today: date
    start: date  # the first day of the first of the three months
    periods: list[tuple[date, date]]
    days: list[date]  # every day from start to yesterday
    days_off: set[date]
    weeks: list[date]  # the Mondays of the weeks with reported days
    evening: dict[date, datetime]  # 16:00 on each day, UTC

    @classmethod
    def of(cls, clock: Clock) -> Calendar:
        now, today = clock.now(), clock.today()
        start = months_back(today, 2)
        periods = [month_period(months_back(today, back)) for back in (2, 1, 0)]
        days = [start + timedelta(days=n) for n in range((today - start).days)]
        days_off = set().union(*(swedish_days_off(year) for year in {start.year, today.year}))
        weeks = sorted({week_start(day) for day in days})
        evening = {day: at(day, 16) for day in days}
        return cls(now, today, start, periods, days, days_off, weeks, evening)

    @property
    def yesterday(self) -> date:
        return self.today - timedelta(days=1)

    def working_days(self, week: tuple[int, ...], since: date) -> list[date]:
        """The days from `since` on that `week` (hours Monday..Sunday) has hours, not days off."""
        return [
            day
            for day in self.days
            if week[day.weekday()] and day >= since and day not in self.days_off
        ]
