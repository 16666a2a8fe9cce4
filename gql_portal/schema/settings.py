"""GraphQL types of company settings, of writing time codes and of the pay-type table (SETTINGS).

Reading time codes is the TIME domain's `timeCodes` query; the SETTINGS mutations answer with
that domain's `TimeCode` type (referenced lazily), so ids are the same on both paths.
"""

import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry

from gql_portal.db import settings as db
from gql_portal.domain.paytypes import (
    PaxmlEncoding,
    PayCode,
    PayCodeKind,
    PayrollProgram,
    code_kind,
    code_name,
)
from gql_portal.domain.time import TimeCodeKind, Unit
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.schema.fields import describe_values, field

if TYPE_CHECKING:
    from gql_portal.schema.time import TimeCode

# TimeCodeKind and Unit become GraphQL enums in the TIME domain's types; an enum registered
# twice is a duplicate type to Strawberry, so this module only makes sure that happened first.
import gql_portal.schema.time  # noqa: F401

SETTINGS = AreaRule(Area.SETTINGS)
STRUCTURAL = Structural()
TIME_CODE_TYPE_NAME = "TimeCode"  # the Node type of time codes (gql_portal.schema.time)
PAY_TYPES_BOUND = 200  # every standard PAXml code (168) fits
PAYROLL_PROGRAMS_BOUND = 20

strawberry.enum(
    PaxmlEncoding,
    description="The character encoding of the company's PAXml files: UTF-8, or ISO-8859-1 "
    "for payroll programs that need it.",
)
strawberry.enum(
    PayCodeKind,
    description="TIME: a PAXml time code (tidkod: hours or days; many are also pay codes). "
    "MONEY: a pay code only (lonkod: an amount, or a quantity at a price).",
)


@strawberry.enum(description="How payroll periods are cut. Only calendar months for now.")
class PayrollPeriodKind(StrEnum):
    CALENDAR_MONTH = "CALENDAR_MONTH"


describe_values(
    PayrollPeriodKind,
    {"CALENDAR_MONTH": "One period per calendar month, the 1st to the last day."},
)
describe_values(
    PaxmlEncoding,
    {
        "UTF_8": "UTF-8: what PAXml 2.0 files are by default.",
        "ISO_8859_1": "ISO-8859-1 (Latin-1), for payroll programs that read only that.",
    },
)
describe_values(
    PayCodeKind,
    {
        "TIME": "A PAXml time code (tidkod): hours or days in a tidtrans; many are also pay codes.",
        "MONEY": "A PAXml pay code only (lonkod): an amount, or a quantity at a price, in a "
        "lonetrans.",
    },
)


@strawberry.type(description="The company's payroll settings.")
class CompanySettings:
    company_id: strawberry.Private[int]
    period_kind: PayrollPeriodKind = field(SETTINGS, description="How payroll periods are cut.")
    pay_day: int = field(SETTINGS, description="Day of the month salaries are paid, 1-28.")
    paxml_encoding: PaxmlEncoding = field(
        SETTINGS, description="How the company's PAXml files are encoded."
    )
    payroll_program: str | None = field(
        SETTINGS,
        description="The payroll program whose preset pay-type table was applied last (a "
        "`payrollPrograms` key); null when none was.",
    )
    require_named_assignment: bool = field(
        SETTINGS,
        description="A condition on the company's collaborations: only the users of a partner "
        "firm assigned to the company (by name or through a team of the firm, "
        "`Collaboration.assignedFirmUsers`) reach it, never the firm's other users, whatever "
        "the firm's policy (the firm's admins, who make the assignments, reach it too). Set by "
        "the company's admins with `setRequireNamedAssignment`.",
    )
    updated_at: datetime.datetime | None = field(SETTINGS)

    @classmethod
    def from_row(cls, row: db.CompanySettings) -> "CompanySettings":
        return cls(
            company_id=row.company_id,
            period_kind=PayrollPeriodKind(row.period_kind),
            pay_day=row.pay_day,
            paxml_encoding=PaxmlEncoding(row.paxml_encoding),
            payroll_program=row.payroll_program,
            require_named_assignment=row.require_named_assignment,
            updated_at=row.updated_at,
        )


@strawberry.input(description="Company settings. Fields left out (null) are not changed.")
class UpdateCompanySettingsInput:
    period_kind: PayrollPeriodKind | None = strawberry.field(
        default=None, description="How payroll periods are cut (CALENDAR_MONTH only, for now)."
    )
    pay_day: int | None = strawberry.field(default=None, description="1-28.")
    paxml_encoding: PaxmlEncoding | None = strawberry.field(
        default=None, description="How the company's PAXml files are encoded."
    )


@strawberry.type(description="The company's settings after the change.")
class CompanySettingsPayload:
    settings: CompanySettings = field(STRUCTURAL)


@strawberry.input(description="A new time code.")
class CreateTimeCodeInput:
    code: str = strawberry.field(description="1-10 characters A-Z, 0-9, _; unique in the company.")
    name: str = strawberry.field(
        description="The code's name as the basis shows it (Benämning), at most 100 characters."
    )
    kind: TimeCodeKind = strawberry.field(
        description="Worked time or a kind of absence: decides how the basis carries it."
    )
    paxml_code: str = strawberry.field(description="A PAXml 2.0 time code, e.g. ARB, SJK, ÖT1.")
    pay_type: str = strawberry.field(description="The payroll program's pay type, 1-20 chars.")
    unit: Unit = strawberry.field(description="HOURS or DAYS.")


@strawberry.input(description="A time code's changes. Fields left out (null) are not changed.")
class UpdateTimeCodeInput:
    code: str | None = strawberry.field(
        default=None, description="A new code: 1-10 characters A-Z, 0-9, _; unique."
    )
    name: str | None = strawberry.field(
        default=None, description="A new name (Benämning), at most 100 characters."
    )
    kind: TimeCodeKind | None = strawberry.field(
        default=None, description="Another kind: worked time or a kind of absence."
    )
    paxml_code: str | None = strawberry.field(
        default=None, description="Another PAXml 2.0 time code, e.g. ARB, SJK, ÖT1."
    )
    pay_type: str | None = strawberry.field(
        default=None, description="The payroll program's pay type, 1-20 characters."
    )
    unit: Unit | None = strawberry.field(default=None, description="HOURS or DAYS.")


@strawberry.type(description="The time code the mutation created or changed.")
class TimeCodePayload:
    time_code: Annotated["TimeCode", strawberry.lazy("gql_portal.schema.time")] = field(STRUCTURAL)


# --- the pay-type table (lönearter) ------------------------------------------------------------


@strawberry.type(
    description="A standard PAXml code and the client's own pay type (löneart) for it, if any."
)
class PayType:
    company_id: strawberry.Private[int]
    code: str = field(
        SETTINGS, description="The PAXml 2.0 code (tidkod or lonkod), e.g. ÖT1, SJK, UTLÄGG."
    )
    name: str = field(SETTINGS, description="The code's Swedish name.")
    kind: PayCodeKind = field(SETTINGS, description="A time code, or a pay code only.")
    lonart: str | None = field(
        SETTINGS,
        description="The client's own pay type in its payroll program, written next to the "
        "standard code; null: none (the standard code alone goes out).",
    )

    @classmethod
    def of(cls, company_id: int, code: PayCode, lonart: str | None) -> "PayType":
        return cls(
            company_id=company_id,
            code=code,
            name=code_name(code),
            kind=code_kind(code),
            lonart=lonart,
        )


@strawberry.type(
    description="A payroll program's preset: a starting pay-type table to apply to the company "
    "and then adjust to the client's own set-up in that program."
)
class PayrollProgramPreset:
    company_id: strawberry.Private[int]
    program: str = field(SETTINGS, description="The key `applyPayrollProgramPreset` takes.")
    name: str = field(SETTINGS, description="The program's name, for a picker.")
    description: str = field(SETTINGS, description="What the preset maps, and what to check.")
    pay_types: list[PayType] = field(
        SETTINGS,
        description="The codes the preset gives a pay type (none: standard codes only).",
        bound=PAY_TYPES_BOUND,
    )

    @classmethod
    def of(
        cls, company_id: int, program: PayrollProgram, pay_types: list[PayType]
    ) -> "PayrollProgramPreset":
        return cls(
            company_id=company_id,
            program=program.key,
            name=program.name,
            description=program.description,
            pay_types=pay_types,
        )


@strawberry.input(description="A code's pay type: a löneart to set, or none to clear it.")
class PayTypeInput:
    code: str = strawberry.field(
        description="A PAXml 2.0 code (tidkod or lonkod), e.g. ÖT1, SJK, UTLÄGG, MILPRI_FRI."
    )
    lonart: str | None = strawberry.field(
        default=None,
        description="The client's pay type, 1-20 characters; null or empty clears it.",
    )


@strawberry.input(description="Pay types to set or clear; codes left out are not changed.")
class SetPayTypesInput:
    pay_types: list[PayTypeInput] = strawberry.field(description="At most one entry per code.")


@strawberry.type(description="The company's pay types and settings after the change.")
class PayTypesPayload:
    pay_types: list[PayType] = field(
        STRUCTURAL,
        description="As `payTypes` lists them: the codes in use or mapped.",
        bound=PAY_TYPES_BOUND,
    )
    settings: CompanySettings = field(STRUCTURAL)
