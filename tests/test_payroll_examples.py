"""Worked example months (issue 13): what a payroll program imports, written out by hand.

Each month is set up through the HTTP API as a firm's client would (employees, reported time,
approved absence, expenses and mileage, attested weeks), the period locked and exported as
PAXml 2.0, and the file read back and compared transaction by transaction with the expected
`tidtrans` and `lonetrans` below. The expectations are worked out from the PAXml 2.0
specification and the rules of `gql_portal.domain.payroll`, not from the code's output:

- a. monthly salary, full time, sick over Kristi himmelfärdsdag: SJK hours on working days only;
  the sick periods numbered across the weekend and a short return; no TID, no MÅNLÖN;
- b. hourly wage with overtime (ÖT1) and, from clock times and the company's OB windows, OB at
  night and on a Sunday;
- c. 50 % part-time with vacation over Christmas and New Year: no vacation day on julafton,
  juldagen, annandag jul, nyårsafton or nyårsdagen; each day half the normal day;
- d. mileage in an electric company car: the tax-free part at Skatteverket's rate (MILEL_FRI)
  and the employer's excess as taxable (MIL_SKT), in mil; the charging paid as UTLÄGG with moms.

And, for any expenses and mileage (hypothesis), the file's money reconciles to the öre with the
approved claims. Every file is valid against the XSD (skipped when the XSD is not present).
"""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db.accounts import Company
from gql_portal.db.engine import Database
from gql_portal.domain import paxml
from gql_portal.domain.expenses import (
    ExpenseKind,
    ExpenseStatus,
    VehicleKind,
    mileage_amount,
)
from gql_portal.domain.exports import ExportCompany, ExportEmployee, ExportLine
from gql_portal.domain.payroll import BasisEmployee, BasisExpense, compute_basis
from gql_portal.domain.time import week_start
from tests.conftest import Api
from tests.factories import Factory
from tests.test_exports import EXPORT_BASIS, download, exported
from tests.test_payroll import LOCK, Seeder, row_id

XSD = Path(__file__).resolve().parents[1].parent / "shared" / "paxml" / "paxml-2.0.xsd"
PROJECT = 6  # the resenhet dimension of a project (PAXml follows SIE: 6 = projekt)
KARIN_PNR = "198503123385"
OLLE_PNR = "197912249187"
SARA_PNR = "199004171238"
ELIN_PNR = "198806294560"


# --- the transactions, as the test writes them -------------------------------------------------


class Tid(NamedTuple):
    """A tidtrans: the time code, the day and the hours (or the clock times instead)."""

    anstid: str
    tidkod: str
    datum: date | None
    timmar: Decimal | None
    starttid: datetime | None = None
    sluttid: datetime | None = None
    omfattning: Decimal | None = None
    resenheter: tuple[tuple[int, str], ...] = ()


class Lon(NamedTuple):
    """A lonetrans: the standard pay code, the client's pay type, quantity x price = amount."""

    anstid: str
    lonkod: str
    lonart: str | None
    datum: date | None
    antal: Decimal | None
    apris: Decimal | None
    belopp: Decimal | None
    moms: Decimal | None = None
    resenheter: tuple[tuple[int, str], ...] = ()


def d(text: str) -> Decimal:
    return Decimal(text)


def tidtrans(document: paxml.PaxmlDocument) -> list[Tid]:
    return [
        Tid(
            t.anstid or "",
            t.tidkod,
            t.datum,
            t.timmar,
            t.starttid,
            t.sluttid,
            t.omfattning,
            t.resenheter,
        )
        for t in document.tidtrans
    ]


def lonetrans(document: paxml.PaxmlDocument) -> list[Lon]:
    return [
        Lon(
            t.anstid or "",
            t.lonkod or "",
            t.lonart,
            t.datum,
            t.antal,
            t.apris,
            t.belopp,
            t.moms,
            t.resenheter,
        )
        for t in document.lonetrans
    ]


def assert_valid(data: bytes) -> None:
    """Last in a test (it may skip): the file against the PAXml 2.0 schema."""
    if not XSD.exists():
        pytest.skip(f"the PAXml 2.0 schema is not at {XSD}: the file was not validated")
    assert paxml.validate_paxml(io.BytesIO(data), XSD) == []


# --- a client company's month through the API --------------------------------------------------

CREATE_EMPLOYEE = """mutation($input: CreateEmployeeInput!) {
  createEmployee(input: $input) { employee { id } } }"""
TIME_CODES = "{ timeCodes { id code } }"
REPORT = """mutation($input: ReportTimeInput!) { reportTime(input: $input) { timeEntry { id } } }"""
ATTEST = """mutation($employee: ID!, $monday: Date!) {
  attestWeek(employeeId: $employee, weekStart: $monday) { weekStart } }"""
ABSENCE = """mutation($input: RequestAbsenceInput!) {
  requestAbsence(input: $input) { absence { id status } } }"""
SUBMIT_EXPENSE = """mutation($input: SubmitExpenseInput!) {
  submitExpense(input: $input) { expense { id } } }"""
SUBMIT_MILEAGE = """mutation($input: SubmitMileageInput!) {
  submitMileage(input: $input) { expense { id amount } } }"""
APPROVE = """mutation($id: ID!) { approveExpense(id: $id) { expense { status } } }"""
CREATE_PROJECT = """mutation($input: CreateProjectInput!) {
  createProject(input: $input) { project { id } } }"""
SET_PAY_TYPES = """mutation($input: SetPayTypesInput!) {
  setPayTypes(input: $input) { payTypes { code lonart } } }"""
OPEN = """mutation($month: String!) {
  openPayrollPeriod(month: $month) { payrollPeriod { id } } }"""
OB_PRESET = """mutation { applyObPreset(preset: COMMON) { obWindows { code } } }"""
BASIS = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod { basis {
  preliminary unattestedWeeks
  lines { date code quantity unit hours informational source }
  sickPeriods { start end firstDayNumber lastDayNumber medicalCertificateFrom
    handOverToForsakringskassanFrom } } } } }"""


class ClientMonth:
    """A client company, its administrator (who reports, approves and attests for the
    employees, as a small company's does) and the calls the examples make."""

    def __init__(self, api: Api, company: Company, token: str) -> None:
        self.api = api
        self.company = company
        self.token = token
        self.codes: dict[str, str] = {}

    @classmethod
    async def start(
        cls, api: Api, factory: Factory, clock: FrozenClock, today: date
    ) -> ClientMonth:
        """The company as of `today` (after the month: nothing reported lies in the future)."""
        clock.set(datetime.combine(today, time(9, 0), tzinfo=STOCKHOLM))
        company = await factory.company("Exempelbolaget AB")
        admin = await factory.admin(company)
        month = cls(api, company, admin.token)
        body = await month.call(TIME_CODES)
        month.codes = {code["code"]: code["id"] for code in body["timeCodes"]}
        return month

    async def call(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.api(query, variables, token=self.token)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def employee(self, number: str, first_name: str, **salary: Any) -> str:
        employee = {"employeeNumber": number, "firstName": first_name, "lastName": "Exempel"}
        body = await self.call(CREATE_EMPLOYEE, {"input": {**employee, "salary": salary}})
        employee_id: str = body["createEmployee"]["employee"]["id"]
        return employee_id

    async def report(
        self,
        employee: str,
        day: date,
        hours: str | None = None,
        code: str = "ARB",
        *,
        clock: tuple[str, str, int] | None = None,
        project: str | None = None,
    ) -> None:
        """Time on `day`: hours, or clock times (start, end, break minutes)."""
        entry: dict[str, Any] = {
            "employeeId": employee,
            "date": day.isoformat(),
            "hours": hours,
            "timeCodeId": self.codes[code],
            "projectId": project,
        }
        if clock is not None:
            entry.update(startTime=clock[0], endTime=clock[1], breakMinutes=clock[2])
        await self.call(REPORT, {"input": entry})

    async def absence(self, employee: str, kind: str, start: date, end: date) -> None:
        absence = {
            "employeeId": employee,
            "kind": kind,
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "approved": True,  # registered by the administrator
        }
        body = await self.call(ABSENCE, {"input": absence})
        assert body["requestAbsence"]["absence"]["status"] == "APPROVED"

    async def attest(self, employee: str, first: date, last: date) -> None:
        """Every week that touches first..last."""
        monday = week_start(first)
        while monday <= last:
            await self.call(ATTEST, {"employee": employee, "monday": monday.isoformat()})
            monday += timedelta(days=7)

    async def approve(self, expense_id: str) -> None:
        body = await self.call(APPROVE, {"id": expense_id})
        assert body["approveExpense"]["expense"]["status"] == "APPROVED"

    async def project(self, code: str, name: str) -> str:
        body = await self.call(CREATE_PROJECT, {"input": {"code": code, "name": name}})
        project_id: str = body["createProject"]["project"]["id"]
        return project_id

    async def open(self, month: str) -> str:
        body = await self.call(OPEN, {"month": month})
        period_id: str = body["openPayrollPeriod"]["payrollPeriod"]["id"]
        return period_id

    async def basis(self, period_id: str) -> list[dict[str, Any]]:
        body = await self.call(BASIS, {"id": period_id})
        bases: list[dict[str, Any]] = body["node"]["basis"]
        return bases

    async def lock_and_export(self, period_id: str, export_date: date) -> bytes:
        """The period locked and exported as PAXml: the file's bytes."""
        await self.call(LOCK, {"id": period_id})
        variables = {
            "input": {"periodId": period_id, "format": "PAXML", "exportDate": str(export_date)}
        }
        export = exported(await self.api(EXPORT_BASIS, variables, token=self.token))
        response = await download(self.api, export["downloadUrl"], token=self.token)
        assert response.status_code == 200, response.text
        data: bytes = response.content
        return data


def read(data: bytes) -> paxml.PaxmlDocument:
    document = paxml.read_paxml(io.BytesIO(data))
    transactions: list[paxml.PaxmlLonetrans | paxml.PaxmlTidtrans] = [
        *document.lonetrans,
        *document.tidtrans,
    ]
    postids = [t.postid for t in transactions]
    assert None not in postids and len(set(postids)) == len(postids)  # each transaction its own
    persnr = {person.anstid: person.persnr for person in document.persons}
    assert all(t.persnr == persnr[t.anstid] for t in transactions)
    return document


# --- a. monthly salary, sick over a public holiday -----------------------------------------------


def may(day: int) -> date:
    return date(2026, 5, day)


async def test_a_monthly_employee_sick_over_kristi_himmelfardsdag(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    """May 2026: Karin (101) has a monthly salary and works full time, Monday to Friday. She
    is sick Wednesday 13 May to Monday 18 May, around Kristi himmelfärdsdag (Thursday 14 May),
    back at work Tuesday 19 and Wednesday 20, and sick again Thursday 21 to Friday 29 May."""
    client = await ClientMonth.start(api, factory, clock, date(2026, 6, 1))
    karin = await client.employee(
        "101",
        "Karin",
        salaryForm="MONTHLY",
        salaryAmount="38500.00",
        employmentStart="2024-01-01",
        personalIdentityNumber=KARIN_PNR,
    )
    worked = [4, 5, 6, 7, 8, 11, 12, 19, 20]  # 1 May (Friday) is första maj
    for day in worked:
        await client.report(karin, may(day), "8")
    await client.report(karin, may(12), "1.5", "OT1")  # overtime, paid by the agreement's rate
    await client.absence(karin, "SICK", may(13), may(18))
    await client.absence(karin, "SICK", may(21), may(29))
    # The week of 27 April has only första maj and a weekend in May: it needs no attestation.
    await client.attest(karin, may(4), may(31))
    period = await client.open("2026-05")

    (basis,) = await client.basis(period)
    assert (basis["preliminary"], basis["unattestedWeeks"]) == (False, [])
    # Her scheduled hours are shown (TID) but not exported: the monthly salary pays them.
    scheduled = [line for line in basis["lines"] if line["informational"]]
    assert {line["code"] for line in scheduled} == {"TID"} and len(scheduled) == len(worked)
    # One sick period: the return of two days (less than five) continues it. Days are calendar
    # days: 13-18 May are days 1-6, 21-29 May days 7-15. The medical certificate is needed
    # from the 8th day of the new spell (28 May); sick pay ends after day 14, Försäkringskassan
    # takes over on day 15 (29 May).
    assert basis["sickPeriods"] == [
        {
            "start": "2026-05-13",
            "end": "2026-05-18",
            "firstDayNumber": 1,
            "lastDayNumber": 6,
            "medicalCertificateFrom": None,
            "handOverToForsakringskassanFrom": None,
        },
        {
            "start": "2026-05-21",
            "end": "2026-05-29",
            "firstDayNumber": 7,
            "lastDayNumber": 15,
            "medicalCertificateFrom": "2026-05-28",
            "handOverToForsakringskassanFrom": "2026-05-29",
        },
    ]

    data = await client.lock_and_export(period, date(2026, 6, 1))
    document = read(data)
    assert [(p.anstid, p.persnr) for p in document.persons] == [("101", KARIN_PNR)]
    # No MÅNLÖN (the payroll program pays the monthly salary) and no money at all.
    assert lonetrans(document) == []
    # The deviations only: overtime, and SJK hours (8 h, her normal day) on each working day
    # she was sick: not on Kristi himmelfärdsdag, not on weekends. Karensavdrag and sick pay
    # are the program's.
    assert tidtrans(document) == [
        Tid("101", "ÖT1", may(12), d("1.50")),
        Tid("101", "SJK", may(13), d("8.00")),
        Tid("101", "SJK", may(15), d("8.00")),
        Tid("101", "SJK", may(18), d("8.00")),
        *(Tid("101", "SJK", may(day), d("8.00")) for day in (21, 22, 25, 26, 27, 28, 29)),
    ]
    assert_valid(data)


# --- b. hourly wage, overtime and OB -------------------------------------------------------------


def sep(day: int) -> date:
    return date(2026, 9, day)


WAGE = "182.50"


async def hourly_september(
    api: Api, factory: Factory, clock: FrozenClock
) -> tuple[ClientMonth, str, str]:
    """September 2026: Olle (102) is paid by the hour (182.50 kr) and works days with clock
    times, on the project P100 on Monday and Tuesday; on Tuesday he also works two hours of
    overtime (ÖT1) for the project, reported as hours."""
    client = await ClientMonth.start(api, factory, clock, date(2026, 10, 5))
    olle = await client.employee(
        "102",
        "Olle",
        salaryForm="HOURLY",
        salaryAmount=WAGE,
        employmentStart="2025-06-01",
        personalIdentityNumber=OLLE_PNR,
    )
    p100 = await client.project("P100", "Tillbyggnad Ekbacken")
    await client.report(olle, sep(7), clock=("07:00", "16:00", 60), project=p100)
    await client.report(olle, sep(8), clock=("07:00", "16:00", 60), project=p100)
    await client.report(olle, sep(8), "2", "OT1", project=p100)
    await client.report(olle, sep(9), clock=("07:00", "15:30", 30))
    return client, olle, p100


def olle_days() -> list[Lon]:
    """His day shifts: TIMLÖN hours at his wage, no amount (the program computes the pay). The
    pay type is the ARB time code's own (100): the company has no pay-type table."""
    project = ((PROJECT, "P100"),)
    return [
        Lon("102", "TIMLÖN", "100", sep(7), d("8.00"), d(WAGE), None, resenheter=project),
        Lon("102", "TIMLÖN", "100", sep(8), d("8.00"), d(WAGE), None, resenheter=project),
        Lon("102", "TIMLÖN", "100", sep(9), d("8.00"), d(WAGE), None),
    ]


OLLE_OVERTIME = Tid("102", "ÖT1", sep(8), d("2.00"), resenheter=((PROJECT, "P100"),))


async def test_an_hourly_employees_overtime_goes_out_as_ot1_hours(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    client, olle, _ = await hourly_september(api, factory, clock)
    await client.attest(olle, sep(1), sep(30))
    period = await client.open("2026-09")
    data = await client.lock_and_export(period, date(2026, 10, 5))
    document = read(data)
    assert lonetrans(document) == olle_days()
    # Overtime: hours under ÖT1, no price and no amount (the agreement's premium is the
    # program's), on the project's resenhet.
    assert tidtrans(document) == [OLLE_OVERTIME]
    assert_valid(data)


async def test_an_hourly_employees_night_and_sunday_shifts_give_ob(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    """The same September, with the common OB windows (OB1 weekday evenings 18-22, OB2 weekday
    nights 22-06, OB3 the weekend, OB4 holidays) and two more shifts: Thursday 10 September
    22:00 to Friday 06:00, and Sunday 13 September 10:00-16:30 with a 30 minute break."""
    client, olle, _ = await hourly_september(api, factory, clock)
    await client.call(OB_PRESET)
    await client.report(olle, sep(10), clock=("22:00", "06:00", 0))
    await client.report(olle, sep(13), clock=("10:00", "16:30", 30))
    await client.attest(olle, sep(1), sep(30))
    period = await client.open("2026-09")
    data = await client.lock_and_export(period, date(2026, 10, 5))
    document = read(data)
    assert lonetrans(document) == [
        *olle_days(),
        Lon("102", "TIMLÖN", "100", sep(10), d("8.00"), d(WAGE), None),
        Lon("102", "TIMLÖN", "100", sep(13), d("6.00"), d(WAGE), None),
    ]
    # The night is all OB2 (the Thursday window runs to 06:00 on Friday): its hours are the
    # time between its clock times, so the spec has them as starttid and sluttid alone (local
    # wall-clock time), no datum, no timmar. The Sunday's worked hours (6.5 h clocked less the
    # break) are all OB3: with a break inside, datum and timmar. Hours, never an amount: the
    # program applies the agreement's OB rates.
    assert tidtrans(document) == [
        OLLE_OVERTIME,
        Tid("102", "OB2", None, None, datetime(2026, 9, 10, 22, 0), datetime(2026, 9, 11, 6, 0)),
        Tid("102", "OB3", sep(13), d("6.00")),
    ]
    assert_valid(data)


# --- c. part-time, vacation over Christmas ----------------------------------------------------


async def test_a_part_timers_vacation_across_christmas_and_new_year(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    """Sara (103) works 50 % with a monthly salary, no schedule of her own: half the normal
    8 h day, Monday to Friday. She takes vacation Monday 21 December 2026 to Friday 1 January
    2027, back on Monday 4 January; on the 5th she also works one hour of mertid."""
    client = await ClientMonth.start(api, factory, clock, date(2027, 2, 1))
    sara = await client.employee(
        "103",
        "Sara",
        salaryForm="MONTHLY",
        salaryAmount="21000.00",
        employmentStart="2023-08-01",
        employmentExtent="50",
        personalIdentityNumber=SARA_PNR,
    )
    for day in range(14, 19):
        await client.report(sara, date(2026, 12, day), "4")
    for day in range(4, 9):
        await client.report(sara, date(2027, 1, day), "4")
    await client.report(sara, date(2027, 1, 5), "1", "MER")
    await client.absence(sara, "VACATION", date(2026, 12, 21), date(2027, 1, 1))
    await client.attest(sara, date(2026, 12, 1), date(2027, 1, 31))
    december = await client.open("2026-12")
    january = await client.open("2027-01")

    data = await client.lock_and_export(december, date(2027, 1, 4))
    # Vacation days (semesterlagen): not julafton (Thu 24), juldagen (Fri 25), annandag jul
    # (Sat 26), a Sunday (27) or nyårsafton (Thu 31). Each is a whole vacation day of her
    # 4 hours; her worked days are within her schedule (TID, not in the file).
    assert tidtrans(read(data)) == [
        Tid("103", "SEM", date(2026, 12, day), d("4.00")) for day in (21, 22, 23, 28, 29, 30)
    ]
    assert lonetrans(read(data)) == []
    assert_valid(data)

    data = await client.lock_and_export(january, date(2027, 2, 1))
    # Nyårsdagen (Fri 1 January) is no vacation day: the vacation leaves nothing in January.
    # Mertid (a part-timer's hours up to full time) goes out as MER hours. Trettondedag jul
    # (Wed 6 January) is a public holiday, no day of her schedule: the hours she worked on it
    # are ARB (work outside the schedule), for the program to value.
    assert tidtrans(read(data)) == [
        Tid("103", "MER", date(2027, 1, 5), d("1.00")),
        Tid("103", "ARB", date(2027, 1, 6), d("4.00")),
    ]
    assert lonetrans(read(data)) == []
    assert_valid(data)


# --- d. mileage in an electric company car --------------------------------------------------------


def apr(day: int) -> date:
    return date(2026, 4, day)


async def test_mileage_in_an_electric_company_car(
    api: Api, factory: Factory, clock: FrozenClock, database: Database
) -> None:
    """April 2026: Elin (104) drives an electric company car (förmånsbil). On 7 April she
    drives 123 km to a customer and pays 250 kr (25 % VAT) to charge the car; the company's
    payroll program has its own pay types for the codes. On 14 April she drives 87.5 km and
    the company pays its own rate of 25 kr/mil, above the tax-free one (the API pays the
    tax-free rate: that claim is written straight into the database)."""
    client = await ClientMonth.start(api, factory, clock, date(2026, 5, 4))
    elin = await client.employee(
        "104",
        "Elin",
        salaryForm="MONTHLY",
        salaryAmount="42000.00",
        employmentStart="2022-03-01",
        personalIdentityNumber=ELIN_PNR,
    )
    table = [("MILEL_FRI", "821"), ("MIL_SKT", "822"), ("UTLÄGG", "810")]
    await client.call(
        SET_PAY_TYPES,
        {"input": {"payTypes": [{"code": code, "lonart": lonart} for code, lonart in table]}},
    )
    trip = {
        "employeeId": elin,
        "date": "2026-04-07",
        "distanceKm": "123",
        "vehicle": "COMPANY_CAR_ELECTRIC",
        "description": "Kundbesök Uppsala",
    }
    body = await client.call(SUBMIT_MILEAGE, {"input": trip})
    assert body["submitMileage"]["expense"]["amount"] == "116.85"  # 12.3 mil x 9.50 kr
    await client.approve(body["submitMileage"]["expense"]["id"])
    charging = {
        "employeeId": elin,
        "date": "2026-04-07",
        "amount": "250.00",
        "vatRate": "25",
        "category": "FUEL",
        "description": "Laddning",
    }
    body = await client.call(SUBMIT_EXPENSE, {"input": charging})
    await client.approve(body["submitExpense"]["expense"]["id"])
    seed = Seeder(database, factory, client.company)
    await seed.add(
        seed.mileage(
            row_id(elin),
            apr(14),
            "87.5",
            rate_per_mil="25.00",
            vehicle=VehicleKind.COMPANY_CAR_ELECTRIC,
        )
    )
    await client.attest(elin, apr(1), apr(30))
    period = await client.open("2026-04")
    data = await client.lock_and_export(period, date(2026, 5, 4))
    document = read(data)
    assert lonetrans(document) == [
        # The charging: an expense with its VAT (250 x 25/125 = 50.00).
        Lon("104", "UTLÄGG", "810", apr(7), d("1"), d("250.00"), d("250.00"), d("50.00")),
        # 123 km = 12.3 mil at the tax-free rate for an electric company car, 9.50 kr/mil.
        Lon("104", "MILEL_FRI", "821", apr(7), d("12.3"), d("9.50"), d("116.85")),
        # 87.5 km = 8.75 mil at 25 kr = 218.75 kr: 8.75 x 9.50 = 83.125, 83.13 tax-free; the
        # rest, 135.62 (8.75 x 15.50 = 135.625, less the öre the first line took), is taxable:
        # MIL_SKT, as PAXml has no taxable code of its own for the electric car.
        Lon("104", "MILEL_FRI", "821", apr(14), d("8.75"), d("9.50"), d("83.13")),
        Lon("104", "MIL_SKT", "822", apr(14), d("8.75"), d("15.50"), d("135.62")),
    ]
    assert sum(t.belopp or 0 for t in document.lonetrans) == d("585.60")  # 250 + 116.85 + 218.75
    assert tidtrans(document) == []
    assert_valid(data)


# --- any claims: the file's money is the approved claims' ------------------------------------------

CLAIM_MONTH = (date(2026, 4, 1), date(2026, 4, 30))
EXPORT_COMPANY = ExportCompany("556677-8899", "Exempelbolaget AB")
CENTS = st.decimals(Decimal("0.01"), Decimal("99999.99"), places=2)


DAYS = st.dates(date(2026, 3, 25), date(2026, 5, 5))  # mostly April 2026, some outside it
STATUSES = st.sampled_from(list(ExpenseStatus))
EMPLOYEES = st.integers(1, 3)


@st.composite
def expense(draw: st.DrawFn, claim_id: int) -> BasisExpense:
    """An expense, with or without VAT (at most its amount)."""
    amount = draw(CENTS)
    return BasisExpense(
        claim_id,
        draw(EMPLOYEES),
        ExpenseKind.EXPENSE,
        draw(DAYS),
        "Utlägg",
        amount,
        draw(STATUSES),
        vat_amount=draw(st.none() | st.decimals(Decimal("0.00"), amount, places=2)),
    )


@st.composite
def mileage(draw: st.DrawFn, claim_id: int) -> BasisExpense:
    """A trip by any vehicle at any rate the company pays: below, at or above the tax-free one."""
    km = draw(st.decimals(Decimal("0.1"), Decimal("2000"), places=1))
    rate = draw(st.decimals(Decimal("0.50"), Decimal("60.00"), places=2))
    return BasisExpense(
        claim_id,
        draw(EMPLOYEES),
        ExpenseKind.MILEAGE,
        draw(DAYS),
        "Resa",
        mileage_amount(km, rate),
        draw(STATUSES),
        distance_km=km,
        rate_per_mil=rate,
        vehicle=draw(st.sampled_from(list(VehicleKind))),
    )


@st.composite
def claims(draw: st.DrawFn) -> list[BasisExpense]:
    """Expenses and mileage, approved or not, numbered 1.. (a claim's id)."""
    count = draw(st.integers(0, 12))
    return [draw(expense(claim_id) | mileage(claim_id)) for claim_id in range(1, count + 1)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sources=claims())
def test_the_files_money_reconciles_with_the_approved_claims(sources: list[BasisExpense]) -> None:
    employees = [BasisEmployee(number) for number in (1, 2, 3)]
    bases = compute_basis(*CLAIM_MONTH, employees, [], set(), [], sources, [], [])
    # Each transaction numbered by its claim (postid = claim x 10 + its place), to regroup.
    lines = [
        replace(ExportLine.from_basis(line, str(basis.employee_id)), postid=line.source_id * 10 + i)
        for basis in bases
        for i, line in enumerate(basis.lines)
        if not line.informational
    ]
    out = io.BytesIO()
    people = [ExportEmployee(str(e.id), KARIN_PNR, "Anna", f"Exempel {e.id}") for e in employees]
    paxml.write_paxml(
        out, company=EXPORT_COMPANY, export_date=date(2026, 5, 4), employees=people, lines=lines
    )
    document = paxml.read_paxml(io.BytesIO(out.getvalue()))

    counted = [
        claim
        for claim in sources
        if claim.status is ExpenseStatus.APPROVED and CLAIM_MONTH[0] <= claim.date <= CLAIM_MONTH[1]
    ]
    belopp: dict[int, Decimal] = defaultdict(Decimal)
    moms: dict[int, Decimal] = defaultdict(Decimal)
    for trans in document.lonetrans:
        assert trans.postid is not None and trans.belopp is not None
        belopp[trans.postid // 10] += trans.belopp
        moms[trans.postid // 10] += trans.moms or 0
        if trans.apris is not None and trans.antal is not None and trans.lonkod != "UTLÄGG":
            # a mileage line's amount is its mil x its rate, but for the öre of rounding
            assert abs(trans.antal * trans.apris - trans.belopp) < Decimal("0.01")
    assert document.tidtrans == ()
    assert dict(belopp) == {claim.id: claim.amount for claim in counted}
    assert sum(belopp.values()) == sum(claim.amount for claim in counted)
    assert sum(moms.values()) == sum(claim.vat_amount or 0 for claim in counted)
    assert all(value == value.quantize(Decimal("0.01"), ROUND_HALF_UP) for value in belopp.values())
    if XSD.exists():
        assert paxml.validate_paxml(io.BytesIO(out.getvalue()), XSD) == []
