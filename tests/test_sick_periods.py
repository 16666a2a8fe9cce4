"""Sick periods: day numbers across weekends and short returns, the day-8 medical certificate and
the day-15 hand-over to Försäkringskassan; and `sickPeriods` on the payroll basis over HTTP."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gql_portal.db.engine import Database
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.payroll import BasisAbsence
from gql_portal.domain.sick import SickPeriod, sick_periods, sick_periods_in
from tests.conftest import Api, StatementCounter
from tests.factories import Factory, gid
from tests.test_payroll import OPEN, Seeder

FULL = Decimal(100)


def sick(
    start: date,
    end: date,
    extent: Decimal = FULL,
    kind: AbsenceKind = AbsenceKind.SICK,
    status: AbsenceStatus = AbsenceStatus.APPROVED,
) -> BasisAbsence:
    return BasisAbsence(1, 1, kind, start, end, extent, status)


def mar(day: int) -> date:
    return date(2026, 3, day)


def test_a_spell_is_numbered_by_calendar_days_across_the_weekend() -> None:
    # Thursday 5 March to Tuesday 10 March: six calendar days, Saturday and Sunday included.
    assert sick_periods([sick(mar(5), mar(10))]) == (SickPeriod(mar(5), mar(10), 1, 6, None, None),)


def test_absences_day_after_day_are_one_spell_whatever_their_extents() -> None:
    periods = sick_periods([sick(mar(9), mar(11)), sick(mar(12), mar(20), Decimal(50))])
    assert periods == (SickPeriod(mar(9), mar(20), 1, 12, mar(16), None),)


def test_a_return_of_four_days_continues_the_numbering() -> None:
    # Sick Mon 2-Wed 4, healthy Thu 5-Sun 8 (four days), sick again Mon 9: återinsjuknande.
    first, again = sick_periods([sick(mar(2), mar(4)), sick(mar(9), mar(13))])
    assert (first.first_day_number, first.last_day_number) == (1, 3)
    assert (again.first_day_number, again.last_day_number) == (4, 8)
    assert again.continues_earlier and not first.continues_earlier


def test_a_return_of_five_days_starts_a_new_period() -> None:
    # Healthy Thu 5-Mon 9 (five days): sick again Tue 10 is day 1.
    _, again = sick_periods([sick(mar(2), mar(4)), sick(mar(10), mar(13))])
    assert (again.first_day_number, again.last_day_number) == (1, 4)


def test_the_medical_certificate_from_the_8th_day_of_each_spell() -> None:
    (long,) = sick_periods([sick(mar(2), mar(12))])
    assert long.medical_certificate_from == mar(9)  # day 8
    (week,) = sick_periods([sick(mar(2), mar(8))])
    assert week.medical_certificate_from is None  # seven days: no certificate needed
    # A continued spell counts its own days for the certificate (8 § sjuklönelagen).
    _, again = sick_periods([sick(mar(2), mar(6)), sick(mar(9), mar(20))])
    assert again.first_day_number == 6 and again.medical_certificate_from == mar(16)


def test_forsakringskassan_from_day_15_of_the_continued_numbering() -> None:
    (long,) = sick_periods([sick(mar(1), mar(20))])
    assert long.forsakringskassan_from == mar(15) and long.last_day_number == 20
    (fourteen,) = sick_periods([sick(mar(1), mar(14))])
    assert fourteen.forsakringskassan_from is None
    # Days 1-10, four days back at work, then days 11-20: day 15 is the second spell's 5th day.
    _, again = sick_periods([sick(mar(1), mar(10)), sick(mar(15), mar(24))])
    assert (again.first_day_number, again.forsakringskassan_from) == (11, mar(19))
    # A spell that continues past day 15 is Försäkringskassan's from its first day.
    _, late = sick_periods([sick(mar(1), mar(16)), sick(mar(18), mar(19))])
    assert (late.first_day_number, late.forsakringskassan_from) == (17, mar(18))


def test_only_approved_sick_absence_counts() -> None:
    assert (
        sick_periods(
            [
                sick(mar(2), mar(3), kind=AbsenceKind.VAB),
                sick(mar(4), mar(5), status=AbsenceStatus.REQUESTED),
                sick(mar(6), mar(6), status=AbsenceStatus.REJECTED),
            ]
        )
        == ()
    )


def test_a_period_shows_the_spells_that_overlap_it_numbered_from_before() -> None:
    absences = [sick(date(2026, 2, 20), date(2026, 2, 26)), sick(mar(2), mar(4))]
    (spell,) = sick_periods_in(absences, mar(1), mar(31))
    assert (spell.start, spell.first_day_number, spell.last_day_number) == (mar(2), 8, 10)
    assert spell.medical_certificate_from is None  # its own three days


NEW_YEAR = date(2026, 1, 1)
SPELLS = st.lists(
    st.tuples(st.integers(0, 120), st.integers(0, 20)).map(
        lambda pair: sick(
            NEW_YEAR + timedelta(days=pair[0]), NEW_YEAR + timedelta(days=pair[0] + pair[1])
        )
    ),
    min_size=1,
    max_size=12,
)


@given(SPELLS)
def test_numbering_counts_each_sick_day_once_and_flags_stay_inside(
    absences: list[BasisAbsence],
) -> None:
    periods = sick_periods(absences)
    sick_days = {
        absence.start_date + timedelta(days=offset)
        for absence in absences
        for offset in range((absence.end_date - absence.start_date).days + 1)
    }
    assert sum((p.end - p.start).days + 1 for p in periods) == len(sick_days)
    for before, after in pairwise(periods):
        gap = (after.start - before.end).days - 1
        assert gap >= 1  # spells are separated by at least one healthy day
        assert (after.first_day_number == before.last_day_number + 1) == (gap <= 4)
        if gap > 4:
            assert after.first_day_number == 1
    for period in periods:
        assert period.last_day_number - period.first_day_number == (period.end - period.start).days
        for flag in (period.medical_certificate_from, period.forsakringskassan_from):
            assert flag is None or period.start <= flag <= period.end
        day_15 = period.forsakringskassan_from
        if day_15 is not None:
            number = period.first_day_number + (day_15 - period.start).days
            assert number == 15 or (day_15 == period.start and number > 15)
        elif period.first_day_number <= 15:
            assert period.last_day_number < 15


# --- through HTTP ---------------------------------------------------------------------------

SICK_PERIODS = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod { basis {
  employee { id } sickPeriods { start end firstDayNumber lastDayNumber medicalCertificateFrom
  handOverToForsakringskassanFrom } } } } }"""
LOCK = """mutation($id: ID!) { lockPayrollPeriod(id: $id) { payrollPeriod { state } } }"""


def feb(day: int) -> date:
    return date(2026, 2, day)


async def sick_periods_of(api: Api, token: str, period_id: str) -> dict[str, list[Any]]:
    body = await api(SICK_PERIODS, {"id": period_id}, token=token)
    assert "errors" not in body, body
    return {
        basis["employee"]["id"]: basis["sickPeriods"] for basis in body["data"]["node"]["basis"]
    }


async def test_the_basis_shows_each_employees_sick_periods_numbered_from_before_the_month(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    seed = await Seeder(database, factory, company).load_codes()
    eva = await factory.staff(company, first_name="Eva", employment_start=date(2024, 1, 1))
    nils = await factory.staff(company, first_name="Nils", employment_start=date(2024, 1, 1))
    eva_id, nils_id = eva.employee_id or 0, nils.employee_id or 0
    await seed.add(
        # Eva: sick Wed 28 Jan-Fri 30 Jan (days 1-3), back Sat 31 Jan-Tue 3 Feb (four days),
        # sick again Wed 4 Feb-Wed 18 Feb: days 4-18, läkarintyg from 11 Feb, FK from 15 Feb.
        seed.absence(eva_id, AbsenceKind.SICK, date(2026, 1, 28), date(2026, 1, 30)),
        seed.absence(eva_id, AbsenceKind.SICK, feb(4), feb(10)),
        seed.absence(eva_id, AbsenceKind.SICK, feb(11), feb(18), extent="50"),
        # Requested sick leave and vacation are no sick periods.
        seed.absence(eva_id, AbsenceKind.SICK, feb(25), feb(25), status=AbsenceStatus.REQUESTED),
        seed.absence(eva_id, AbsenceKind.VACATION, feb(23), feb(24)),
        # Nils: a sick Friday that runs over the weekend into Monday; one in March is not shown.
        seed.absence(nils_id, AbsenceKind.SICK, feb(27), date(2026, 3, 2)),
    )
    body = await api(OPEN, {"month": "2026-02"}, token=admin.token)
    period_id = body["data"]["openPayrollPeriod"]["payrollPeriod"]["id"]
    eva_periods = [
        {
            "start": "2026-02-04",
            "end": "2026-02-18",
            "firstDayNumber": 4,
            "lastDayNumber": 18,
            "medicalCertificateFrom": "2026-02-11",
            "handOverToForsakringskassanFrom": "2026-02-15",
        }
    ]
    nils_periods = [
        {
            "start": "2026-02-27",
            "end": "2026-03-02",
            "firstDayNumber": 1,
            "lastDayNumber": 4,
            "medicalCertificateFrom": None,
            "handOverToForsakringskassanFrom": None,
        }
    ]
    expected = {gid("Employee", eva_id): eva_periods, gid("Employee", nils_id): nils_periods}
    assert await sick_periods_of(api, admin.token, period_id) == expected
    # An employee sees their own; a locked period shows them too.
    assert await sick_periods_of(api, nils.token, period_id) == {
        gid("Employee", nils_id): nils_periods
    }
    assert "errors" not in await api(LOCK, {"id": period_id}, token=admin.token)
    assert await sick_periods_of(api, admin.token, period_id) == expected


async def test_sick_periods_of_many_employees_are_one_statement(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    seed = await Seeder(database, factory, company).load_codes()
    body = await api(OPEN, {"month": "2026-02"}, token=admin.token)
    period_id = body["data"]["openPayrollPeriod"]["payrollPeriod"]["id"]
    counts = []
    for staff in (2, 12):
        while len(await sick_periods_of(api, admin.token, period_id)) < staff:
            worker = await factory.staff(company, employment_start=date(2024, 1, 1))
            await seed.add(seed.absence(worker.employee_id or 0, AbsenceKind.SICK, feb(2), feb(3)))
        without = await _statements(api, sql_statements, BASIS_ONLY, period_id, admin.token)
        with_sick = await _statements(api, sql_statements, SICK_PERIODS, period_id, admin.token)
        counts.append(with_sick - without)
    assert counts == [1, 1]


BASIS_ONLY = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod { basis {
  employee { id } } } } }"""


async def _statements(
    api: Api, counter: StatementCounter, query: str, period_id: str, token: str
) -> int:
    before = counter.count
    body = await api(query, {"id": period_id}, token=token)
    assert "errors" not in body, body
    return counter.count - before
