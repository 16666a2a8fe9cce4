"""GraphQL types of absence and leave (ABSENCE)."""

import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from gql_portal.db import absence as db
from gql_portal.domain.absence import AbsenceKind, AbsenceStatus
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.ordering import DIRECTION_DESCRIPTION, OrderDirection
from gql_portal.schema.time import load_employee

if TYPE_CHECKING:
    from gql_portal.schema.employees import Employee

strawberry.enum(AbsenceKind, description="Sick leave, vacation, VAB, parental leave, leave.")
strawberry.enum(
    AbsenceStatus,
    description="REQUESTED by the employee, then APPROVED or REJECTED by an administrator.",
)
describe_values(
    AbsenceKind,
    {
        "SICK": "Sjukfrånvaro: sick leave (time code SJK; karensavdrag and sick pay by the "
        "payroll program).",
        "VACATION": "Semester: paid vacation, counted in vacation days (time code SEM).",
        "VAB": "Vård av barn: care of a sick child, paid by Försäkringskassan (time code VAB).",
        "PARENTAL_LEAVE": "Föräldraledighet: parental leave (time code FPE).",
        "LEAVE_OF_ABSENCE": "Tjänstledighet: unpaid leave of absence (time code TJL).",
    },
)
describe_values(
    AbsenceStatus,
    {
        "REQUESTED": "Asked for by the employee, waiting for an administrator; may be cancelled.",
        "APPROVED": "Approved (or registered) by an administrator: goes into the payroll basis.",
        "REJECTED": "Rejected by an administrator, with a reason.",
    },
)

ABSENCE = AreaRule(Area.ABSENCE)
CONTACT = AreaRule(Area.EMPLOYEE_CONTACT)
STRUCTURAL = Structural()


@strawberry.type(
    description="An absence of an employee: whole or part days, from one date to another."
)
class Absence(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    owner_employee_id: strawberry.Private[int]
    kind: AbsenceKind = field(ABSENCE)
    start_date: datetime.date = field(ABSENCE)
    end_date: datetime.date = field(ABSENCE, description="The last day of the absence.")
    extent_percent: Decimal = field(ABSENCE, description="Percent of each day: 1-100.")
    status: AbsenceStatus = field(ABSENCE)
    comment: str | None = field(ABSENCE)
    rejection_reason: str | None = field(ABSENCE)

    @resolver_field(CONTACT, description="Whose absence this is.")
    async def employee(
        self, info: Ctx
    ) -> Annotated["Employee", strawberry.lazy("gql_portal.schema.employees")] | None:
        return await load_employee(info, self.owner_employee_id)

    @classmethod
    def from_row(cls, row: db.Absence) -> "Absence":
        return cls(
            id=row.id,
            company_id=row.company_id,
            owner_employee_id=row.employee_id,
            kind=row.kind,
            start_date=row.start_date,
            end_date=row.end_date,
            extent_percent=row.extent_percent,
            status=row.status,
            comment=row.comment,
            rejection_reason=row.rejection_reason,
        )


@strawberry.input(description="An absence to request (or, for an administrator, to register).")
class RequestAbsenceInput:
    employee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Whose absence; defaults to the viewer's own employee record."
    )
    kind: AbsenceKind = strawberry.field(description="What kind of absence.")
    start_date: datetime.date = strawberry.field(description="The first day of the absence.")
    end_date: datetime.date = strawberry.field(
        description="The last day; at most a year after the first."
    )
    extent_percent: Decimal = strawberry.field(
        default=Decimal(100), description="Percent of each day, 1-100 (default 100)."
    )
    comment: str | None = strawberry.field(
        default=None, description="A note for the administrator, at most 500 characters."
    )
    approved: bool = strawberry.field(
        default=False,
        description="Register it as APPROVED at once (administrators only); otherwise REQUESTED.",
    )


@strawberry.type(description="The absence the mutation created or changed.")
class AbsencePayload:
    absence: Absence = field(STRUCTURAL)


@strawberry.type(description="What a cancelled absence leaves: its id.")
class CancelAbsencePayload:
    cancelled_id: relay.GlobalID = field(STRUCTURAL, description="The id of the removed absence.")


@strawberry.enum(description="What `absences` can be ordered by.")
class AbsenceOrderField(Enum):
    START_DATE = strawberry.enum_value("START_DATE", description="The first day.")
    END_DATE = strawberry.enum_value("END_DATE", description="The last day.")
    KIND = strawberry.enum_value(
        "KIND", description="The kind, by its name (one kind after another)."
    )


@strawberry.input(description="An order for `absences`: a field and a direction.")
class AbsenceOrder:
    field: AbsenceOrderField = strawberry.field(description="What to order by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description=DIRECTION_DESCRIPTION
    )
