"""GraphQL types of company settings and of writing time codes (SETTINGS).

Reading time codes is the TIME domain's `timeCodes` query; the SETTINGS mutations answer with
that domain's `TimeCode` type (referenced lazily), so ids are the same on both paths.
"""

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql_portal.db import settings as db
from gql_portal.domain.time import TimeCodeKind, Unit
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.schema.fields import field

if TYPE_CHECKING:
    from gql_portal.schema.time import TimeCode

# TimeCodeKind and Unit become GraphQL enums in the TIME domain's types; an enum registered
# twice is a duplicate type to Strawberry, so this module only makes sure that happened first.
import gql_portal.schema.time  # noqa: F401

SETTINGS = AreaRule(Area.SETTINGS)
STRUCTURAL = Structural()
TIME_CODE_TYPE_NAME = "TimeCode"  # the Node type of time codes (gql_portal.schema.time)


@strawberry.enum(description="How payroll periods are cut. Only calendar months for now.")
class PayrollPeriodKind(StrEnum):
    CALENDAR_MONTH = "CALENDAR_MONTH"


@strawberry.type(description="The company's payroll settings.")
class CompanySettings:
    company_id: strawberry.Private[int]
    period_kind: PayrollPeriodKind = field(SETTINGS, description="How payroll periods are cut.")
    pay_day: int = field(SETTINGS, description="Day of the month salaries are paid, 1-28.")
    updated_at: datetime.datetime | None = field(SETTINGS)

    @classmethod
    def from_row(cls, row: db.CompanySettings) -> "CompanySettings":
        return cls(
            company_id=row.company_id,
            period_kind=PayrollPeriodKind(row.period_kind),
            pay_day=row.pay_day,
            updated_at=row.updated_at,
        )


@strawberry.input(description="Company settings. Fields left out (null) are not changed.")
class UpdateCompanySettingsInput:
    period_kind: PayrollPeriodKind | None = None
    pay_day: int | None = strawberry.field(default=None, description="1-28.")


@strawberry.type(description="The company's settings after the change.")
class CompanySettingsPayload:
    settings: CompanySettings = field(STRUCTURAL)


@strawberry.input(description="A new time code.")
class CreateTimeCodeInput:
    code: str = strawberry.field(description="1-10 characters A-Z, 0-9, _; unique in the company.")
    name: str
    kind: TimeCodeKind
    paxml_code: str = strawberry.field(description="A PAXml 2.0 time code, e.g. ARB, SJK, ÖT1.")
    pay_type: str = strawberry.field(description="The payroll program's pay type, 1-20 chars.")
    unit: Unit = strawberry.field(description="HOURS or DAYS.")


@strawberry.input(description="A time code's changes. Fields left out (null) are not changed.")
class UpdateTimeCodeInput:
    code: str | None = None
    name: str | None = None
    kind: TimeCodeKind | None = None
    paxml_code: str | None = None
    pay_type: str | None = None
    unit: Unit | None = None


@strawberry.type(description="The time code the mutation created or changed.")
class TimeCodePayload:
    time_code: Annotated["TimeCode", strawberry.lazy("gql_portal.schema.time")] = field(STRUCTURAL)
