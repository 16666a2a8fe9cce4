"""Payroll periods and the payroll basis (PAYROLL_BASIS), through HTTP.

The time, absence and expense APIs are written in parallel, so the sources are seeded straight
into the database here (`Seeder`).
"""

from __future__ import annotations

import asyncio
import base64
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from gql_portal.context import RequestContext
from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense
from gql_portal.db.payroll import PayrollEmployee, PayrollLine, PayrollPeriod
from gql_portal.db.schedules import Schedule
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.domain.employees import SalaryForm
from gql_portal.domain.expenses import (
    ExpenseCategory,
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    mileage_amount,
)
from gql_portal.domain.payroll import PeriodState
from gql_portal.permissions.access import Access
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from tests.conftest import Api, StatementCounter, error_codes, only_error
from tests.factories import Actor, Factory, gid

FEB = (date(2026, 2, 1), date(2026, 2, 28))
MONDAYS = [date(2026, 2, 2), date(2026, 2, 9), date(2026, 2, 16), date(2026, 2, 23)]

LINE = """date code payType description timeCode quantity unit unitPrice amount hours extentPercent
  vat project informational source sourceId"""
BASIS = f"""employee {{ id firstName }} preliminary unattestedWeeks totalAmount
  hoursByTimeCode {{ timeCode unit quantity hours }} lines {{ {LINE} }}"""
PERIOD = f"""id month startDate endDate state lockedAt basis {{ {BASIS} }}
  differences {{ employee {{ id }} added {{ {LINE} }} removed {{ {LINE} }} }}"""
OPEN = f"""mutation($month: String!) {{ openPayrollPeriod(month: $month) {{ payrollPeriod {{ {PERIOD} }} }} }}"""
GET = f"""query($id: ID!) {{ node(id: $id) {{ ... on PayrollPeriod {{ {PERIOD} }} }} }}"""
GET_SOME = f"""query($id: ID!, $employees: [ID!]) {{ node(id: $id) {{ ... on PayrollPeriod {{
  basis(employeeIds: $employees) {{ {BASIS} }} }} }} }}"""
LOCK = (
    """mutation($id: ID!) { lockPayrollPeriod(id: $id) { payrollPeriod { id state lockedAt } } }"""
)
UNLOCK = """mutation($id: ID!) { unlockPayrollPeriod(id: $id) { payrollPeriod { id state lockedAt } } }"""
LIST = """query($from: Date, $to: Date, $first: Int, $after: String) {
  payrollPeriods(from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { id month state company { name } } } }"""


class Seeder:
    """Sources of the payroll basis, written straight into the database."""

    def __init__(self, database: Database, factory: Factory, company: Company) -> None:
        self.database = database
        self.factory = factory
        self.company = company
        self.codes: dict[str, int] = {}

    async def load_codes(self) -> Seeder:
        async with self.database.session() as session:
            rows = await session.scalars(
                select(TimeCode).where(TimeCode.company_id == self.company.id)
            )
            self.codes = {row.code: row.id for row in rows}
        return self

    async def add(self, *rows: Any) -> list[Any]:
        async with self.database.transaction() as session:
            session.add_all(rows)
        return list(rows)

    def time(self, employee_id: int, day: date, hours: str, code: str = "ARB") -> TimeEntry:
        now = self.factory.clock.now()
        return TimeEntry(
            company_id=self.company.id,
            employee_id=employee_id,
            date=day,
            hours=Decimal(hours),
            time_code_id=self.codes[code],
            created_at=now,
            updated_at=now,
        )

    def attest(self, employee_id: int, monday: date) -> WeekAttestation:
        return WeekAttestation(
            company_id=self.company.id,
            employee_id=employee_id,
            week_start=monday,
            attested_at=self.factory.clock.now(),
        )

    def absence(
        self,
        employee_id: int,
        kind: AbsenceKind,
        start: date,
        end: date,
        extent: str = "100",
        status: AbsenceStatus = AbsenceStatus.APPROVED,
    ) -> Absence:
        return Absence(
            company_id=self.company.id,
            employee_id=employee_id,
            kind=kind,
            start_date=start,
            end_date=end,
            extent_percent=Decimal(extent),
            status=status,
            created_at=self.factory.clock.now(),
        )

    def expense(
        self,
        employee_id: int,
        day: date,
        amount: str,
        status: ExpenseStatus = ExpenseStatus.APPROVED,
        description: str = "Tågbiljett",
    ) -> Expense:
        now = self.factory.clock.now()
        return Expense(
            company_id=self.company.id,
            employee_id=employee_id,
            kind=ExpenseKind.EXPENSE,
            date=day,
            description=description,
            category=ExpenseCategory.TRAVEL,
            currency="SEK",
            amount=Decimal(amount),
            vat_amount=Decimal("0.00"),
            vat_rate=Decimal("6"),
            status=status,
            created_at=now,
            updated_at=now,
        )

    def mileage(
        self,
        employee_id: int,
        day: date,
        km: str,
        rate_per_mil: str = "25.00",
        status: ExpenseStatus = ExpenseStatus.APPROVED,
        description: str = "Kundbesök",
        vehicle: VehicleKind = VehicleKind.OWN_CAR,
    ) -> Expense:
        now = self.factory.clock.now()
        return Expense(
            company_id=self.company.id,
            employee_id=employee_id,
            kind=ExpenseKind.MILEAGE,
            date=day,
            description=description,
            category=ExpenseCategory.TRAVEL,
            currency="SEK",
            amount=mileage_amount(Decimal(km), Decimal(rate_per_mil)),
            vat_amount=Decimal("0.00"),
            vat_rate=Decimal("0"),
            distance_km=Decimal(km),
            vehicle=vehicle,
            rate_per_mil=Decimal(rate_per_mil),
            status=status,
            created_at=now,
            updated_at=now,
        )

    def schedule(self, employee_id: int, *hours: str) -> Schedule:
        days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        return Schedule(
            company_id=self.company.id,
            employee_id=employee_id,
            updated_at=self.factory.clock.now(),
            **{day: Decimal(value) for day, value in zip(days, hours, strict=True)},
        )


def row_id(global_id: str) -> int:
    return int(base64.b64decode(global_id).decode().split(":")[1])


def feb(day: int) -> date:
    return date(2026, 2, day)


async def open_period(api: Api, token: str, month: str = "2026-02") -> dict[str, Any]:
    body = await api(OPEN, {"month": month}, token=token)
    assert "errors" not in body, body
    period: dict[str, Any] = body["data"]["openPayrollPeriod"]["payrollPeriod"]
    return period


async def get_period(api: Api, token: str, period_id: str) -> dict[str, Any]:
    body = await api(GET, {"id": period_id}, token=token)
    assert "errors" not in body, body
    period: dict[str, Any] = body["data"]["node"]
    return period


SOURCE_TYPE = {
    "TIME": "TimeEntry",
    "ABSENCE": "Absence",
    "EXPENSE": "Expense",
    "MILEAGE": "Expense",
}


def line(
    day: date,
    source_id: int,
    spec: str,
    *,
    price: str | None = None,
    amount: str | None = None,
    hours: str | None = None,
    extent: str | None = None,
    code: str | None = None,
    vat: str | None = None,
    informational: bool = False,
) -> dict[str, Any]:
    """A basis line as the API answers it; `spec` is "SOURCE|pay type|description|time code|
    quantity|unit" (an empty pay type or time code is none). The standard code is the time
    code unless `code` says otherwise (a money line's lonkod)."""
    source, pay_type, description, time_code, quantity, unit = spec.split("|")
    return {
        "date": day.isoformat(),
        "code": code or time_code,
        "payType": pay_type or None,
        "description": description,
        "timeCode": time_code or None,
        "quantity": quantity,
        "unit": unit,
        "unitPrice": price,
        "amount": amount,
        "hours": hours,
        "extentPercent": extent,
        "vat": vat,
        "project": None,
        "informational": informational,
        "source": source,
        "sourceId": gid(SOURCE_TYPE[source], source_id),
    }


class February:
    """A month of two employees' time, absence and expenses (February 2026: four whole weeks,
    Monday 2 to Friday 27; the 1st is a Sunday, the 28th a Saturday)."""

    karin: Actor  # monthly salary; every week attested
    olle: Actor  # hourly wage, a schedule of 7.5 h Monday-Thursday; only the first week attested
    ids: dict[str, int]

    @classmethod
    async def seed(cls, database: Database, factory: Factory, company: Company) -> February:
        month = cls()
        seed = await Seeder(database, factory, company).load_codes()
        month.karin = await factory.staff(
            company,
            first_name="Karin",
            salary_form=SalaryForm.MONTHLY,
            salary_amount=Decimal("38500.00"),
            employment_start=date(2024, 1, 1),
        )
        month.olle = await factory.staff(
            company,
            first_name="Olle",
            salary_form=SalaryForm.HOURLY,
            salary_amount=Decimal("185.50"),
            employment_start=date(2025, 6, 1),
        )
        karin, olle = month.karin.employee_id or 0, month.olle.employee_id or 0
        karin_work = [
            seed.time(karin, feb(day), "8") for day in (2, 3, 4, 5, 6, 9, 13, 23, 24, 25, 26, 27)
        ]
        karin_overtime = seed.time(karin, feb(4), "2.5", "OT1")
        march = seed.time(karin, date(2026, 3, 2), "8")  # the next period
        olle_work = [seed.time(olle, feb(2), "7.5"), seed.time(olle, feb(3), "7.5")]
        olle_overtime = seed.time(olle, feb(3), "1.75", "OT1")
        olle_unattested = seed.time(olle, feb(9), "7.5")
        await seed.add(
            *karin_work, karin_overtime, march, *olle_work, olle_overtime, olle_unattested
        )
        await seed.add(
            *(seed.attest(karin, monday) for monday in [*MONDAYS, date(2026, 3, 2)]),
            seed.attest(olle, MONDAYS[0]),
            seed.schedule(olle, "7.5", "7.5", "7.5", "7.5", "0", "0", "0"),
        )
        vab, sick, vacation, olle_vab = await seed.add(
            seed.absence(karin, AbsenceKind.VAB, feb(10), feb(10)),
            seed.absence(karin, AbsenceKind.SICK, feb(11), feb(12)),
            seed.absence(karin, AbsenceKind.VACATION, feb(16), feb(20)),
            seed.absence(olle, AbsenceKind.VAB, feb(4), feb(6), extent="50"),
        )
        await seed.add(
            # Neither requested nor rejected absence counts.
            seed.absence(
                karin, AbsenceKind.VACATION, feb(27), feb(27), status=AbsenceStatus.REQUESTED
            ),
            seed.absence(karin, AbsenceKind.SICK, feb(26), feb(26), status=AbsenceStatus.REJECTED),
        )
        expense, mileage = await seed.add(
            seed.expense(karin, feb(12), "249.00"),
            seed.mileage(karin, feb(24), "123.4"),
        )
        await seed.add(
            seed.expense(karin, feb(13), "500.00", ExpenseStatus.REJECTED),
            seed.expense(karin, feb(13), "99.00", ExpenseStatus.SUBMITTED),
            seed.expense(karin, date(2026, 3, 1), "75.00"),  # approved, but in March
        )
        month.ids = {
            **{f"karin_work_{entry.date.day}": entry.id for entry in karin_work},
            "karin_overtime": karin_overtime.id,
            "olle_work_2": olle_work[0].id,
            "olle_work_3": olle_work[1].id,
            "olle_overtime": olle_overtime.id,
            "olle_unattested": olle_unattested.id,
            "vab": vab.id,
            "sick": sick.id,
            "vacation": vacation.id,
            "olle_vab": olle_vab.id,
            "expense": expense.id,
            "mileage": mileage.id,
        }
        return month

    def karin_lines(self) -> list[dict[str, Any]]:
        ids = self.ids

        def work(day: int) -> dict[str, Any]:
            # monthly salary: hours within the schedule (no schedule: 8 h Monday-Friday) are
            # TID, shown but not exported (the salary pays them)
            spec = "TIME|100|Arbetad tid|TID|8.00|HOURS"
            return line(feb(day), ids[f"karin_work_{day}"], spec, hours="8.00", informational=True)

        def off(day: int, key: str, spec: str) -> dict[str, Any]:
            return line(feb(day), ids[key], f"ABSENCE|{spec}", hours="8.00", extent="100.00")

        return [
            *(work(day) for day in (2, 3, 4)),
            line(
                feb(4), ids["karin_overtime"], "TIME|310|Övertid enkel|ÖT1|2.50|HOURS", hours="2.50"
            ),
            *(work(day) for day in (5, 6, 9)),
            off(10, "vab", "420|Vård av barn|VAB|8.00|HOURS"),
            off(11, "sick", "410|Sjukfrånvaro|SJK|8.00|HOURS"),
            off(12, "sick", "410|Sjukfrånvaro|SJK|8.00|HOURS"),
            line(
                feb(12),
                ids["expense"],
                "EXPENSE||Tågbiljett||1.00|PIECES",
                price="249.00",
                amount="249.00",
                code="UTLÄGG",  # no pay-type table: no lonart, the code goes out
                vat="0.00",
            ),
            work(13),
            *(off(day, "vacation", "510|Semester|SEM|1.00|DAYS") for day in range(16, 21)),
            work(23),
            work(24),
            # 123.4 km = 12.34 mil in her own car at 25.00 kr/mil, the tax-free rate: 308.50 kr
            line(
                feb(24),
                ids["mileage"],
                "MILEAGE||Kundbesök||12.34|MIL",
                price="25.00",
                amount="308.50",
                code="MILPRI_FRI",
            ),
            *(work(day) for day in (25, 26, 27)),
        ]

    def olle_lines(self) -> list[dict[str, Any]]:
        ids = self.ids

        def work(day: int) -> dict[str, Any]:
            # hourly wage: TIMLÖN hours at his wage; the payroll program computes the pay
            spec = "TIME|100|Arbetad tid||7.50|HOURS"
            return line(
                feb(day), ids[f"olle_work_{day}"], spec, price="185.50", hours="7.50", code="TIMLÖN"
            )

        def vab(day: int) -> dict[str, Any]:  # 50 % of 7.5 scheduled hours
            spec = "ABSENCE|420|Vård av barn|VAB|3.75|HOURS"
            return line(feb(day), ids["olle_vab"], spec, hours="3.75", extent="50.00")

        overtime = "TIME|310|Övertid enkel|ÖT1|1.75|HOURS"
        return [
            work(2),
            work(3),
            # overtime goes out as ÖT1 hours: the agreement's rate is the payroll program's
            line(feb(3), ids["olle_overtime"], overtime, hours="1.75"),
            vab(4),
            vab(5),  # Friday the 6th is not in his schedule: no line
        ]


async def test_the_basis_of_a_month_from_time_absence_and_expenses(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    assert (period["month"], period["startDate"], period["endDate"], period["state"]) == (
        "2026-02",
        "2026-02-01",
        "2026-02-28",
        "OPEN",
    )
    assert period["lockedAt"] is None and period["differences"] == []
    karin, olle = period["basis"]
    assert karin["employee"] == {
        "id": gid("Employee", month.karin.employee_id or 0),
        "firstName": "Karin",
    }
    assert karin["preliminary"] is False and karin["unattestedWeeks"] == []
    assert karin["lines"] == month.karin_lines()
    assert karin["totalAmount"] == "557.50"  # 249.00 + 308.50: time has no amount
    assert karin["hoursByTimeCode"] == [
        {"timeCode": "SEM", "unit": "DAYS", "quantity": "5.00", "hours": "40.00"},
        {"timeCode": "SJK", "unit": "HOURS", "quantity": "16.00", "hours": "16.00"},
        {"timeCode": "TID", "unit": "HOURS", "quantity": "96.00", "hours": "96.00"},
        {"timeCode": "VAB", "unit": "HOURS", "quantity": "8.00", "hours": "8.00"},
        {"timeCode": "ÖT1", "unit": "HOURS", "quantity": "2.50", "hours": "2.50"},
    ]

    # Olle reported on the 9th, but only his first week is attested: preliminary, and the 9th
    # is not in the basis. Weeks of scheduled work without reports need attestation too.
    assert olle["employee"]["firstName"] == "Olle"
    assert olle["preliminary"] is True
    assert olle["unattestedWeeks"] == ["2026-02-09", "2026-02-16", "2026-02-23"]
    assert olle["lines"] == month.olle_lines()
    assert olle["totalAmount"] == "0.00"  # hours only: the payroll program prices them
    assert olle["hoursByTimeCode"] == [
        {"timeCode": "TIMLÖN", "unit": "HOURS", "quantity": "15.00", "hours": "15.00"},
        {"timeCode": "VAB", "unit": "HOURS", "quantity": "7.50", "hours": "7.50"},
        {"timeCode": "ÖT1", "unit": "HOURS", "quantity": "1.75", "hours": "1.75"},
    ]

    some = await api(
        GET_SOME,
        {"id": period["id"], "employees": [gid("Employee", month.olle.employee_id or 0)]},
        token=admin.token,
    )
    assert [basis["employee"]["firstName"] for basis in some["data"]["node"]["basis"]] == ["Olle"]
    wrong = only_error(
        await api(GET_SOME, {"id": period["id"], "employees": [period["id"]]}, token=admin.token)
    )
    assert (wrong["code"], wrong["field"]) == ("BAD_USER_INPUT", "employeeIds")


async def test_an_employee_sees_only_their_own_basis(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)

    mine = await get_period(api, month.olle.token, period["id"])
    assert [basis["employee"]["firstName"] for basis in mine["basis"]] == ["Olle"]
    assert mine["basis"][0]["lines"] == month.olle_lines()
    karin_id = gid("Employee", month.karin.employee_id or 0)
    asked = only_error(
        await api(GET_SOME, {"id": period["id"], "employees": [karin_id]}, token=month.olle.token)
    )
    # A colleague does not exist for him: NOT_FOUND, as for node(id:), not an empty basis.
    assert (asked["code"], asked["field"]) == ("NOT_FOUND", "employeeIds")
    listed = await api(LIST, {}, token=month.olle.token)
    assert [node["month"] for node in listed["data"]["payrollPeriods"]["nodes"]] == ["2026-02"]
    # Locking is admin work: not in an employee's schema at all.
    assert set(error_codes(await api(LOCK, {"id": period["id"]}, token=month.olle.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }
    assert set(error_codes(await api(OPEN, {"month": "2026-03"}, token=month.olle.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }

    # Locked, the frozen basis is scoped the same way.
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    frozen = await get_period(api, month.olle.token, period["id"])
    assert [basis["employee"]["firstName"] for basis in frozen["basis"]] == ["Olle"]
    assert frozen["basis"][0]["lines"] == month.olle_lines()
    assert frozen["basis"][0]["preliminary"] is True


async def test_lock_freezes_the_basis_and_late_edits_show_as_differences(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    before = period["basis"]

    locked = await api(LOCK, {"id": period["id"]}, token=admin.token)
    assert "errors" not in locked, locked
    assert locked["data"]["lockPayrollPeriod"]["payrollPeriod"]["state"] == "LOCKED"
    assert locked["data"]["lockPayrollPeriod"]["payrollPeriod"]["lockedAt"] is not None
    frozen = await get_period(api, admin.token, period["id"])
    assert frozen["state"] == "LOCKED"
    assert frozen["basis"] == before
    assert frozen["differences"] == []

    # Late edits: an attested week gets an entry, an entry is removed, a week is attested.
    seed = await Seeder(database, factory, company).load_codes()
    karin, olle = month.karin.employee_id or 0, month.olle.employee_id or 0
    (late,) = await seed.add(seed.time(karin, feb(27), "1", "OT1"))
    async with database.transaction() as session:
        removed = await session.get(TimeEntry, month.ids["karin_work_2"])
        assert removed is not None
        await session.delete(removed)
    await seed.add(seed.attest(olle, MONDAYS[1]))

    after = await get_period(api, admin.token, period["id"])
    assert after["basis"] == before  # the frozen basis does not change
    karin_lines = month.karin_lines()
    assert after["differences"] == [
        {
            "employee": {"id": gid("Employee", karin)},
            "added": [
                line(feb(27), late.id, "TIME|310|Övertid enkel|ÖT1|1.00|HOURS", hours="1.00")
            ],
            "removed": [karin_lines[0]],
        },
        {
            "employee": {"id": gid("Employee", olle)},
            "added": [
                line(
                    feb(9),
                    month.ids["olle_unattested"],
                    "TIME|100|Arbetad tid||7.50|HOURS",
                    price="185.50",
                    hours="7.50",
                    code="TIMLÖN",
                )
            ],
            "removed": [],
        },
    ]

    again = only_error(await api(LOCK, {"id": period["id"]}, token=admin.token))
    assert (again["code"], again["field"], again["reason"]) == ("BAD_USER_INPUT", "id", "LOCKED")

    unlocked = await api(UNLOCK, {"id": period["id"]}, token=admin.token)
    assert unlocked["data"]["unlockPayrollPeriod"]["payrollPeriod"] == {
        "id": period["id"],
        "state": "OPEN",
        "lockedAt": None,
    }
    live = await get_period(api, admin.token, period["id"])
    assert live["differences"] == []
    karin_basis, olle_basis = live["basis"]
    assert len(karin_basis["lines"]) == len(karin_lines)  # one removed, one added
    assert olle_basis["unattestedWeeks"] == ["2026-02-16", "2026-02-23"]
    async with database.session() as session:
        assert (await session.scalars(select(PayrollLine))).all() == []
    not_locked = only_error(await api(UNLOCK, {"id": period["id"]}, token=admin.token))
    assert not_locked["reason"] == "NOT_LOCKED"

    # Exported: neither unlocked nor locked again.
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    async with database.transaction() as session:
        row = await session.get(PayrollPeriod, row_id(period["id"]))
        assert row is not None
        row.state = PeriodState.EXPORTED
    exported = only_error(await api(UNLOCK, {"id": period["id"]}, token=admin.token))
    assert (exported["code"], exported["field"], exported["reason"]) == (
        "BAD_USER_INPUT",
        "id",
        "EXPORTED",
    )
    assert (
        only_error(await api(LOCK, {"id": period["id"]}, token=admin.token))["reason"] == "EXPORTED"
    )
    still = await get_period(api, admin.token, period["id"])
    assert still["state"] == "EXPORTED" and len(still["basis"]) == 2

    async with database.session() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.like("PAYROLL_PERIOD_%"))
                .order_by(AuditEvent.id)
            )
        ).all()
    assert actions == [
        "PAYROLL_PERIOD_OPENED",
        "PAYROLL_PERIOD_LOCKED",
        "PAYROLL_PERIOD_UNLOCKED",
        "PAYROLL_PERIOD_LOCKED",
    ]


async def test_periods_are_opened_once_and_listed(api: Api, factory: Factory) -> None:
    company = await factory.company("Kund AB")
    admin = await factory.admin(company)
    first = await open_period(api, admin.token, "2026-01")
    assert (await open_period(api, admin.token, "2026-01"))["id"] == first["id"]  # idempotent
    await open_period(api, admin.token, "2026-02")
    await open_period(api, admin.token, "2025-12")
    for bad in ("2026-13", "2026-1", "januari", "1999-12"):
        error = only_error(await api(OPEN, {"month": bad}, token=admin.token))
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            "month",
            "INVALID_MONTH",
        )

    listed = (await api(LIST, {}, token=admin.token))["data"]["payrollPeriods"]
    assert [node["month"] for node in listed["nodes"]] == ["2026-02", "2026-01", "2025-12"]
    assert listed["nodes"][0]["company"] == {"name": "Kund AB"}
    ranged = await api(LIST, {"from": "2026-01-15", "to": "2026-02-01"}, token=admin.token)
    assert [node["month"] for node in ranged["data"]["payrollPeriods"]["nodes"]] == [
        "2026-02",
        "2026-01",
    ]
    page = (await api(LIST, {"first": 2}, token=admin.token))["data"]["payrollPeriods"]
    assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
    rest = await api(LIST, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=admin.token)
    assert [node["month"] for node in rest["data"]["payrollPeriods"]["nodes"]] == ["2025-12"]
    backwards = only_error(
        await api(LIST, {"from": "2026-02-01", "to": "2026-01-01"}, token=admin.token)
    )
    assert (backwards["field"], backwards["reason"]) == ("to", "BEFORE_FROM")


async def test_another_companys_periods_do_not_exist(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.admin(other)
    theirs = await open_period(api, stranger.token, "2026-02")
    assert error_codes(await api(GET, {"id": theirs["id"]}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(LOCK, {"id": theirs["id"]}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(UNLOCK, {"id": theirs["id"]}, token=admin.token)) == ["NOT_FOUND"]
    assert (await api(LIST, {}, token=admin.token))["data"]["payrollPeriods"]["nodes"] == []
    wrong_type = only_error(
        await api(LOCK, {"id": gid("Employee", admin.user_id)}, token=admin.token)
    )
    assert (wrong_type["field"], wrong_type["reason"]) == ("id", "WRONG_TYPE")


async def test_a_limited_partner_reads_the_whole_basis_but_no_time_reports(
    api: Api, factory: Factory, database: Database, runtime: Runtime
) -> None:
    """The portal reaches the basis (time and absence lines included) but not TIME or ABSENCE:
    the basis reads its sources in the viewer's PAYROLL_BASIS reach. (The portal's sessions do
    not yet carry their clients, so the partner's Access is built here and the query runs on
    the PARTNER_PORTAL schema directly, exactly as the HTTP layer runs it.)"""
    company = await factory.company()
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    firm = await factory.company("Byrå AB", firm=True)
    partner = await factory.user(firm)
    access = Access(
        role=SchemaRole.PARTNER_PORTAL,
        user_id=partner.id,
        company_id=firm.id,
        company_is_firm=True,
        client_ids=frozenset({company.id}),
    )

    async def run(query: str, variables: dict[str, Any]) -> Any:
        context = RequestContext(
            runtime=runtime, access=access, request_id="test", client_address="127.0.0.1"
        )
        return await role_schema(SchemaRole.PARTNER_PORTAL).execute(
            query, variable_values=variables, context_value=context
        )

    result = await run(GET_SOME, {"id": period["id"], "employees": None})
    assert result.errors is None, result.errors
    karin, olle = result.data["node"]["basis"]
    assert karin["lines"] == month.karin_lines()
    assert olle["lines"] == month.olle_lines()
    listed = await run(LIST, {})
    assert listed.data["payrollPeriods"]["nodes"][0]["company"] == {"name": "Kund AB"}
    # Whereas TIME itself is out of the partner's reach: the plain row scope shows nothing.
    async with database.scoped(access) as session:
        assert (await session.scalars(select(TimeEntry))).all() == []
        assert (await session.scalars(select(Absence))).all() == []
    # And lock/unlock are not in the portal's schema.
    assert (await run(LOCK, {"id": period["id"]})).errors


BASIS_ONLY = f"""query($id: ID!) {{ node(id: $id) {{ ... on PayrollPeriod {{
  basis {{ {BASIS} }} differences {{ employee {{ firstName }} added {{ {LINE} }} }} }} }} }}"""
# Every list counts in the cost (schema/limits.py): two periods' bases without their lines
# (computed all the same) stay within the limit.
TWO_PERIODS = """query { payrollPeriods(first: 2) { nodes { month basis {
  employee { id firstName } preliminary totalAmount hoursByTimeCode { timeCode hours } } } } }"""


async def _company_with_staff(
    database: Database, factory: Factory, name: str, staff: int
) -> tuple[Company, Actor]:
    company = await factory.company(name)
    admin = await factory.admin(company)
    seed = await Seeder(database, factory, company).load_codes()
    for index in range(staff):
        employee = await factory.employee(
            company,
            first_name=f"Anställd {index}",
            salary_form=SalaryForm.HOURLY if index % 2 else SalaryForm.MONTHLY,
            salary_amount=Decimal("200.00") if index % 2 else Decimal("35000.00"),
        )
        await seed.add(
            seed.time(employee.id, feb(2), "8"),
            seed.time(employee.id, feb(3), "2", "OT1"),
            seed.time(employee.id, feb(10), "8"),
            seed.attest(employee.id, MONDAYS[0]),
            seed.absence(employee.id, AbsenceKind.VACATION, feb(16), feb(17)),
            seed.expense(employee.id, feb(5), "120.00"),
            seed.mileage(employee.id, feb(6), "10"),
        )
        if index % 3 == 0:
            await seed.add(seed.schedule(employee.id, "8", "8", "8", "8", "4", "0", "0"))
    return company, admin


async def _count(
    api: Api, counter: StatementCounter, query: str, variables: dict[str, Any], token: str
) -> tuple[int, dict[str, Any]]:
    counter.count = 0
    body = await api(query, variables, token=token)
    assert "errors" not in body, body
    return counter.count, body


async def test_the_basis_loads_in_the_same_number_of_statements_for_5_or_50_employees(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    counts: dict[int, list[int]] = {}
    for staff in (5, 50):
        _, admin = await _company_with_staff(database, factory, f"Bolag {staff}", staff)
        period = await open_period(api, admin.token)
        await open_period(api, admin.token, "2026-01")
        live, body = await _count(
            api, sql_statements, BASIS_ONLY, {"id": period["id"]}, admin.token
        )
        assert len(body["data"]["node"]["basis"]) == staff
        both, body = await _count(api, sql_statements, TWO_PERIODS, {}, admin.token)
        assert [len(node["basis"]) for node in body["data"]["payrollPeriods"]["nodes"]] == [
            staff,
            staff,
        ]
        assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
        frozen, body = await _count(
            api, sql_statements, BASIS_ONLY, {"id": period["id"]}, admin.token
        )
        assert len(body["data"]["node"]["basis"]) == staff
        assert body["data"]["node"]["differences"] == []
        counts[staff] = [live, both, frozen]
    assert counts[5] == counts[50], counts


async def test_of_concurrent_locks_exactly_one_freezes_the_basis(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admins = [await factory.admin(company) for _ in range(3)]
    await February.seed(database, factory, company)
    period = await open_period(api, admins[0].token)
    answers = await asyncio.gather(
        *(api(LOCK, {"id": period["id"]}, token=admin.token) for admin in admins)
    )
    assert sorted("errors" in answer for answer in answers) == [False, True, True]
    assert {only_error(a)["reason"] for a in answers if "errors" in a} == {"LOCKED"}
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(PayrollEmployee)) == 2
    frozen = await get_period(api, admins[0].token, period["id"])
    assert [len(basis["lines"]) for basis in frozen["basis"]] == [23, 5]
