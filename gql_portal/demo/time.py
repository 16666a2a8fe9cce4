"""An employee's absences, reported time and week attestations."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from gql_portal.demo.builder import HOURS, Batch, Builder, EmployeeContext, ProjectWork
from gql_portal.demo.calendar import Calendar, at
from gql_portal.demo.vocabulary import REJECTED_ABSENCE, WORK
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.accounts import Industry
from gql_portal.domain.employees import EmploymentForm
from gql_portal.domain.time import week_start

HUNDRED = Decimal("100")
MINUTES = [timedelta(minutes=m) for m in range(0, 180)]
# Industries where a day is now and then split between two projects.
SPLIT_DAYS = (Industry.CONSULTING, Industry.IT, Industry.CONSTRUCTION)


# --- absences -----------------------------------------------------------------------------


def add_absences(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext
) -> set[date]:
    """Vacation: an approved week in the past three months for some (sportlov and höstlov
    weeks preferred), a future request (summer, or a week or two ahead) for many.
    Returns the days away in the reported range."""
    away = _past_vacation(builder, batch, rng, who)
    if who.showcase or rng.random() < 0.55:
        _planned_vacation(builder, batch, rng, who)
    return away


def _past_vacation(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext
) -> set[date]:
    calendar = builder.calendar
    candidates = [m for m in calendar.weeks[1:-2] if m >= max(calendar.start, who.start)]
    if not candidates or not (who.showcase or rng.random() < 0.35):
        return set()
    school_breaks = [m for m in candidates if m.isocalendar().week in (7, 8, 9, 10, 44)]
    monday = rng.choice(school_breaks if school_breaks and rng.random() < 0.6 else candidates)
    end = monday + timedelta(days=6 if _works_weekends(who) else 4)
    asked = at(monday - timedelta(days=rng.randint(14, 60)), rng.randint(8, 20))
    asked = max(asked, at(who.start, 9) - timedelta(days=7))
    decided = asked + timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 5))
    kind, approved = AbsenceKind.VACATION, AbsenceStatus.APPROVED
    _add_absence(calendar, batch, who, kind, monday, end, approved, asked, decided)
    return {monday + timedelta(days=n) for n in range((end - monday).days + 1)}


def _planned_vacation(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext
) -> None:
    """Summer vacation when it is three weeks away or more, else a week or two soon; mostly
    still requested, some decided (no vacation after a fixed-term employment ends)."""
    calendar = builder.calendar
    today = calendar.today
    summer = week_start(date(today.year, 7, 1)) + timedelta(weeks=rng.randint(0, 2))
    if summer - today >= timedelta(days=21):
        first, weeks = summer, rng.choice((3, 3, 4))
    else:
        first = week_start(today) + timedelta(weeks=rng.randint(3, 12))
        weeks = rng.choice((1, 1, 2))
    end = first + timedelta(weeks=weeks, days=-1 if _works_weekends(who) else -3)
    if who.employment_end is not None and end > who.employment_end:
        return
    asked = at(today - timedelta(days=rng.randint(1, 40)), rng.randint(7, 21), rng.randint(0, 59))
    draw = rng.random()
    decided: datetime | None = None
    if who.showcase or draw < 0.6:
        status = AbsenceStatus.REQUESTED
    else:
        status = AbsenceStatus.APPROVED if draw < 0.93 else AbsenceStatus.REJECTED
        decided = min(calendar.now, asked + timedelta(days=rng.randint(1, 6)))
    _add_absence(calendar, batch, who, AbsenceKind.VACATION, first, end, status, asked, decided)


def _works_weekends(who: EmployeeContext) -> bool:
    return who.week[5] > 0 or who.week[6] > 0


def _add_absence(
    calendar: Calendar,
    batch: Batch,
    who: EmployeeContext,
    kind: AbsenceKind,
    start: date,
    end: date,
    status: AbsenceStatus,
    created: datetime,
    decided: datetime | None,
) -> None:
    batch.add(
        "absences",
        {
            "company_id": who.company_id,
            "employee_id": who.employee_id,
            "kind": kind,
            "start_date": start,
            "end_date": end,
            "extent_percent": HUNDRED,
            "status": status,
            "comment": absence_comment(kind, start),
            "decided_by_user_id": who.admin_id if decided else None,
            "decided_at": min(decided, calendar.now) if decided else None,
            "rejection_reason": REJECTED_ABSENCE if status is AbsenceStatus.REJECTED else None,
            "created_at": min(created, calendar.now),
        },
    )


def absence_comment(kind: AbsenceKind, start: date) -> str | None:
    if kind is not AbsenceKind.VACATION:
        return None
    if start.month in (6, 7, 8):
        return "Sommarsemester"
    week = start.isocalendar().week
    if week in (7, 8, 9, 10):
        return "Sportlov"
    if week == 44:
        return "Höstlov"
    return None


# --- time ---------------------------------------------------------------------------------


def report_time(
    builder: Builder, batch: Batch, rng: random.Random, who: EmployeeContext, away: set[date]
) -> None:
    """Reported days: ARB on projects, some overtime (OT1; MER for part-timers), a sick
    spell (SJK) or a VAB day now and then; weeks attested except the last one or two."""
    calendar = builder.calendar
    days = calendar.working_days(who.week, who.start)
    if not days:
        return
    sick: set[date] = set()
    vab: set[date] = set()
    for chance, length, target in ((0.45, 3, sick), (0.12, 2, sick), (0.25, 2, vab)):
        if rng.random() < chance:
            first = rng.randrange(len(days))
            target.update(days[first : first + rng.randint(1, length)])
    if rng.random() < 0.15:  # the last day or two of the (unattested) last week not reported
        unreported = days[-rng.randint(1, 2) :]
        days = [day for day in days if day < calendar.weeks[-1] or day not in unreported]
    sheet = _TimeSheet(calendar, batch, rng, who)
    for day in days:
        if day in away:
            continue
        if day in sick:
            sheet.entry(day, sheet.scheduled_halves(day), "SJK", None)
        elif day in vab:
            sheet.care_for_child(day)
        else:
            sheet.work(day)
    _attest_weeks(calendar, batch, rng, who)


class _TimeSheet:
    """An employee's time entries, day by day: they mostly stay on one customer project a
    while (`current`), now and then switching."""

    def __init__(
        self, calendar: Calendar, batch: Batch, rng: random.Random, who: EmployeeContext
    ) -> None:
        self.calendar, self.rows, self.rng, self.who = (
            calendar,
            batch.rows["time_entries"],
            rng,
            who,
        )
        self.full_time = sum(who.week) >= 40
        self.extra_code = "OT1" if self.full_time else "MER"
        self.comments = WORK[who.industry].comments
        self.internal, *self.customer = who.projects
        self.current: ProjectWork = rng.choice(self.customer) if self.customer else self.internal
        self.habit = rng.randrange(0, 120)  # when in the evening they usually report

    def scheduled_halves(self, day: date) -> int:
        return self.who.week[day.weekday()] * 2

    def care_for_child(self, day: date) -> None:
        """VAB: the whole day, or half of it with the rest worked."""
        halves = self.scheduled_halves(day)
        if self.rng.random() < 0.3:
            self.entry(day, halves // 2, "VAB", None)
            self.entry(day, halves - halves // 2, "ARB", self.current)
        else:
            self.entry(day, halves, "VAB", None)

    def work(self, day: date) -> None:
        """A working day (hourly staff: a shift of their own length, on call: some days off),
        sometimes split between two projects, sometimes with overtime."""
        rng, who = self.rng, self.who
        halves = self.scheduled_halves(day)
        if who.hourly:
            if who.form is EmploymentForm.ON_CALL and rng.random() < 0.25:
                return
            halves = rng.choice((8, 10, 12, 14, 15, 16, 16, 16, 18))
        if self.customer and rng.random() < 0.12:
            self.current = rng.choice(self.customer)
        on_current = rng.random() < 0.85 or not self.customer
        on = self.current if on_current else self.internal
        if who.industry in SPLIT_DAYS and halves >= 8 and rng.random() < 0.15:
            first = rng.randrange(2, halves - 1)
            self.entry(day, first, "ARB", on)
            # The rest of the day on the internal project, or a customer's when that was it.
            rest = self.internal if on_current else rng.choice(self.customer)
            self.entry(day, halves - first, "ARB", rest)
        else:
            self.entry(day, halves, "ARB", on)
        if not who.hourly and rng.random() < (0.08 if self.full_time else 0.05):
            self.entry(day, rng.choice((2, 3, 4, 6)), self.extra_code, on)

    def entry(self, day: date, halves: int, code: str, on: ProjectWork | None) -> None:
        rng = self.rng
        at_time = self.calendar.evening[day] + MINUTES[(self.habit + day.toordinal() * 7) % 180]
        self.rows.append(
            {
                "company_id": self.who.company_id,
                "employee_id": self.who.employee_id,
                "date": day,
                "week_start": day - timedelta(days=day.weekday()),
                "hours": HOURS[halves],
                "time_code_id": code,  # replaced by the company's time code id when written
                "project_id": on[0] if on else None,
                "activity_id": rng.choice(on[1]) if on else None,
                "comment": rng.choice(self.comments) if on and rng.random() < 0.04 else None,
                "created_at": at_time,
                "updated_at": at_time,
            }
        )


def _attest_weeks(
    calendar: Calendar, batch: Batch, rng: random.Random, who: EmployeeContext
) -> None:
    """The admin attests each week the employee worked, a day or two after it, except the last
    `who.unattested_weeks`."""
    for monday in calendar.weeks[: -who.unattested_weeks]:
        if monday + timedelta(days=6) < who.start:
            continue
        attested = at(
            monday + timedelta(days=7 + rng.randint(0, 1)), rng.randint(8, 11), rng.randint(0, 59)
        )
        batch.add(
            "week_attestations",
            {
                "company_id": who.company_id,
                "employee_id": who.employee_id,
                "week_start": monday,
                "attested_at": min(attested, calendar.now),
                "attested_by_user_id": who.admin_id,
            },
        )
