"""GraphQL types of time reporting (TIME): time codes, time entries and attested weeks."""

import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.dataloader import DataLoader

from gql_portal.db import projects as project_rows
from gql_portal.db import settings as setting_rows
from gql_portal.db import time as db
from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.domain.time import TimeCodeKind, Unit, week_start
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx
from gql_portal.resolvers.loading import by_id, request_loader
from gql_portal.schema.employees import Employee
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.projects import Activity, Project

strawberry.enum(TimeCodeKind, description="Worked time, or a kind of absence.")
strawberry.enum(Unit, description="What a time code's quantity counts.")
describe_values(
    TimeCodeKind,
    {
        "WORK": "Worked time (PAXml ARB/TID, or another presence code such as NV1): paid by the "
        "salary form.",
        "OVERTIME": "Övertid: paid overtime (ÖT1-ÖT5) or overtime as comp time (ÖK1-ÖK5).",
        "ADDED_TIME": "Mertid: a part-timer's hours beyond their schedule (MER).",
        "OB": "Obekväm arbetstid: a supplement on top of the hours worked (OB1-OB5).",
        "ON_CALL": "Jour (JR1-JR3) or beredskap (BE1-BE3).",
        "ABSENCE": "Absence: sick leave, vacation, VAB, parental leave, leave of absence.",
    },
)
describe_values(
    Unit,
    {
        "HOURS": "Hours, two decimals.",
        "DAYS": "Whole or part days.",
        "KILOMETRES": "Kilometres: only in payroll bases frozen before mileage was paid by mil.",
        "MIL": "Swedish mil (10 km): what mileage is paid by.",
        "PIECES": "Pieces (a count, e.g. meals or allowances).",
    },
)

TIME = AreaRule(Area.TIME)
PROJECTS = AreaRule(Area.PROJECTS)
CONTACT = AreaRule(Area.EMPLOYEE_CONTACT)
STRUCTURAL = Structural()

EmployeeType = Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")]
ProjectType = Annotated["Project", strawberry.lazy("gql_portal.schema.projects")]
ActivityType = Annotated["Activity", strawberry.lazy("gql_portal.schema.projects")]


async def load_employee(info: Ctx, employee_id: int) -> EmployeeType | None:
    row = await by_id(info.context, EmployeeRow).load(employee_id)
    return Employee.from_row(row) if row else None


def attested_weeks_loader(info: Ctx) -> DataLoader[tuple[int, datetime.date], bool]:
    """Whether (employee id, Monday) is attested: one statement for every week of a request."""
    ctx = info.context

    async def load(keys: list[tuple[int, datetime.date]]) -> list[bool]:
        employees = {employee_id for employee_id, _ in keys}
        weeks = {monday for _, monday in keys}
        statement = select(db.WeekAttestation.employee_id, db.WeekAttestation.week_start).where(
            db.WeekAttestation.employee_id.in_(employees),
            db.WeekAttestation.week_start.in_(weeks),
        )
        async with ctx.database.scoped(ctx.access) as session:
            found = {(row[0], row[1]) for row in (await session.execute(statement)).all()}
        return [key in found for key in keys]

    return request_loader(ctx, "attested_weeks", lambda: DataLoader(load_fn=load))


@strawberry.type(
    description="A time code of the company, mapped to a PAXml time code and a pay type of its "
    "payroll program."
)
class TimeCode(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    code: str = field(TIME)
    name: str = field(TIME)
    kind: TimeCodeKind = field(TIME)
    paxml_code: str = field(TIME, description="The PAXml 2.0 time code (tidkod), e.g. ARB, SEM.")
    pay_type: str = field(TIME, description="The pay type (löneart) in the payroll program.")
    unit: Unit = field(TIME)
    active: bool = field(TIME, description="Inactive codes stay on old entries; no new reports.")

    @classmethod
    def from_row(cls, row: setting_rows.TimeCode) -> "TimeCode":
        return cls(
            id=row.id,
            company_id=row.company_id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            paxml_code=row.paxml_code,
            pay_type=row.pay_type,
            unit=row.unit,
            active=row.active,
        )


@strawberry.type(description="Time an employee reported for one day, with a time code.")
class TimeEntry(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    time_code_id: strawberry.Private[int]
    project_id: strawberry.Private[int | None]
    activity_id: strawberry.Private[int | None]
    date: datetime.date = field(TIME)
    hours: Decimal = field(
        TIME,
        description="Hours, with at most two decimals; with clock times, end - start - break.",
    )
    start_time: datetime.time | None = field(
        TIME,
        description="When the work started, local time (Europe/Stockholm), if it was reported.",
    )
    end_time: datetime.time | None = field(
        TIME,
        description="When the work ended, local time; before the start: on the next day.",
    )
    break_minutes: int | None = field(
        TIME, description="The unpaid break within the clock times, in minutes."
    )
    comment: str | None = field(TIME)

    @resolver_field(TIME)
    async def time_code(self, info: Ctx) -> TimeCode | None:
        row = await by_id(info.context, setting_rows.TimeCode).load(self.time_code_id)
        return TimeCode.from_row(row) if row else None

    @resolver_field(
        PROJECTS, description="The project, when reported on one (null where out of reach)."
    )
    async def project(self, info: Ctx) -> ProjectType | None:
        if self.project_id is None:
            return None
        row = await by_id(info.context, project_rows.Project).load(self.project_id)
        return Project.from_row(row) if row else None

    @resolver_field(PROJECTS, description="The project's activity, when one was given.")
    async def activity(self, info: Ctx) -> ActivityType | None:
        if self.activity_id is None:
            return None
        row = await by_id(info.context, project_rows.Activity).load(self.activity_id)
        return Activity.from_row(row) if row else None

    @resolver_field(CONTACT, description="Whose time this is.")
    async def employee(self, info: Ctx) -> EmployeeType | None:
        return await load_employee(info, self.owner_employee_id)

    @resolver_field(
        TIME, description="Whether the entry's ISO week is attested (then it cannot be changed)."
    )
    async def attested(self, info: Ctx) -> bool:
        loader = attested_weeks_loader(info)
        return await loader.load((self.owner_employee_id, week_start(self.date)))

    @classmethod
    def from_row(cls, row: db.TimeEntry) -> "TimeEntry":
        return cls(
            id=row.id,
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            time_code_id=row.time_code_id,
            project_id=row.project_id,
            activity_id=row.activity_id,
            date=row.date,
            hours=row.hours,
            start_time=row.start_time,
            end_time=row.end_time,
            break_minutes=row.break_minutes,
            comment=row.comment,
        )


@strawberry.type(description="An attested ISO week of one employee: its time is locked.")
class WeekAttestation:
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    week_start: datetime.date = field(TIME, description="The Monday of the week.")
    attested_at: datetime.datetime = field(TIME)

    @resolver_field(CONTACT)
    async def employee(self, info: Ctx) -> EmployeeType | None:
        return await load_employee(info, self.owner_employee_id)

    @classmethod
    def from_row(cls, row: db.WeekAttestation) -> "WeekAttestation":
        return cls(
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            week_start=row.week_start,
            attested_at=row.attested_at,
        )


CLOCK_TIME = 'local time (Europe/Stockholm) in whole minutes: "07:30".'


@strawberry.input(description="Time to report for one day.")
class ReportTimeInput:
    employee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Whose time; defaults to the viewer's own employee record."
    )
    date: datetime.date = strawberry.field(description="The day worked (Europe/Stockholm).")
    hours: Decimal | None = strawberry.field(
        default=None,
        description='Above 0, at most 24, two decimals: "7.5". With clock times it may be left '
        "out (it is end - start - break); given, it must be exactly that.",
    )
    start_time: datetime.time | None = strawberry.field(
        default=None, description=f"When the work started, {CLOCK_TIME}"
    )
    end_time: datetime.time | None = strawberry.field(
        default=None,
        description=f"When the work ended, {CLOCK_TIME} Before the start: on the next day.",
    )
    break_minutes: int | None = strawberry.field(
        default=None, description="The unpaid break in minutes (with clock times only)."
    )
    time_code_id: relay.GlobalID = strawberry.field(
        description="What the time is: an active `TimeCode` of the company (see `timeCodes`)."
    )
    project_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The `Project` worked on, if any: an employee may report only on projects "
        "they are assigned to.",
    )
    activity_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An activity of the project."
    )
    comment: str | None = strawberry.field(
        default=None, description="A note for the attester, at most 500 characters."
    )


@strawberry.input(
    description="Changes to a time entry. Date, hours and time code left out (or null) are not "
    "changed; project, activity, comment and clock times left out are not changed, null removes "
    "them. With clock times the hours follow them: left out, they are computed again."
)
class UpdateTimeEntryInput:
    date: datetime.date | None = strawberry.field(
        default=None, description="Move the entry to this day (Europe/Stockholm)."
    )
    hours: Decimal | None = strawberry.field(
        default=None,
        description='The hours: above 0, at most 24, two decimals ("7.5"); with clock times, '
        "exactly end - start - break.",
    )
    start_time: datetime.time | None = strawberry.field(
        default=strawberry.UNSET, description=f"When the work started, {CLOCK_TIME}"
    )
    end_time: datetime.time | None = strawberry.field(
        default=strawberry.UNSET,
        description=f"When the work ended, {CLOCK_TIME} Before the start: on the next day.",
    )
    break_minutes: int | None = strawberry.field(
        default=strawberry.UNSET, description="The unpaid break in minutes."
    )
    time_code_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Another active `TimeCode` of the company."
    )
    project_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Another `Project` (one the employee is assigned to); null removes it, and "
        "the activity with it.",
    )
    activity_id: relay.GlobalID | None = strawberry.field(
        default=strawberry.UNSET, description="An activity of the project; null removes it."
    )
    comment: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A note for the attester, at most 500 characters; null removes it.",
    )


@strawberry.type(description="The time entry the mutation created or changed.")
class TimeEntryPayload:
    time_entry: TimeEntry = field(STRUCTURAL)


@strawberry.type(description="What a removed time entry leaves: its id.")
class DeleteTimeEntryPayload:
    deleted_id: relay.GlobalID = field(STRUCTURAL, description="The id of the removed entry.")


@strawberry.type(description="An employee's ISO week after it was attested or unattested.")
class WeekAttestationPayload:
    week_start: datetime.date = field(STRUCTURAL)
    attestation: WeekAttestation | None = field(
        STRUCTURAL, description="The attestation; null once the week is no longer attested."
    )


@strawberry.enum(description="What `timeEntries` can be ordered by.")
class TimeEntryOrderField(Enum):
    DATE = strawberry.enum_value("DATE", description="The day worked.")
    HOURS = strawberry.enum_value("HOURS", description="The hours reported.")


@strawberry.input(description="An order for `timeEntries`: a field and a direction.")
class TimeEntryOrder:
    field: TimeEntryOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
