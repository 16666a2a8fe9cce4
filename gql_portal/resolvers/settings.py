"""Company settings and time codes (SETTINGS)."""

from __future__ import annotations

import re
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.db.settings import CompanySettings, TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.time import PAXML_TIME_CODES, Unit
from gql_portal.domain.validation import clean_text
from gql_portal.errors import BadInput, Problems, bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.schema import settings as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.time import TimeCode as TimeCodeType  # the TIME domain's type

CALENDAR_MONTH = gql.PayrollPeriodKind.CALENDAR_MONTH.value
DEFAULT_PAY_DAY = 25
MIN_PAY_DAY, MAX_PAY_DAY = 1, 28


# --- company settings -----------------------------------------------------------------------


async def company_settings(info: Ctx) -> gql.CompanySettings:
    """The session company's settings (the defaults, if the company has no row yet)."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        row = await session.scalar(select(CompanySettings))
    if row is None:
        company_id = ctx.access.company_id
        assert company_id is not None
        return gql.CompanySettings(
            company_id=company_id,
            period_kind=gql.PayrollPeriodKind.CALENDAR_MONTH,
            pay_day=DEFAULT_PAY_DAY,
            updated_at=None,
        )
    return gql.CompanySettings.from_row(row)


async def update_company_settings(
    info: Ctx, input: gql.UpdateCompanySettingsInput
) -> gql.CompanySettingsPayload:
    ctx = info.context
    problems = Problems()
    values: dict[str, Any] = {}
    if input.period_kind is not None:
        values["period_kind"] = input.period_kind.value
    if input.pay_day is not None:
        if not MIN_PAY_DAY <= input.pay_day <= MAX_PAY_DAY:
            problems.add(
                "payDay",
                "OUT_OF_RANGE",
                f"must be a day of the month from {MIN_PAY_DAY} to {MAX_PAY_DAY}",
            )
        values["pay_day"] = input.pay_day
    problems.raise_if_any()
    company_id = ctx.access.company_id
    assert company_id is not None
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await session.scalar(select(CompanySettings))
        if row is None:  # a company from before settings existed
            row = CompanySettings(
                company_id=company_id,
                period_kind=CALENDAR_MONTH,
                pay_day=DEFAULT_PAY_DAY,
                updated_at=now,
            )
            session.add(row)
        changes = {name: value for name, value in values.items() if getattr(row, name) != value}
        for name, value in changes.items():
            setattr(row, name, value)
        if changes:
            row.updated_at = now
            audit(session, ctx, AuditAction.COMPANY_SETTINGS_UPDATED, fields=sorted(changes))
    return gql.CompanySettingsPayload(settings=gql.CompanySettings.from_row(row))


# --- time codes -----------------------------------------------------------------------------

_CODE = re.compile(r"^[A-Z0-9_]{1,10}$")
TIME_CODE_UNITS = (Unit.HOURS, Unit.DAYS)


def _check_time_code(
    problems: Problems, input: gql.CreateTimeCodeInput | gql.UpdateTimeCodeInput
) -> dict[str, Any]:
    """The cleaned values of the fields given (all of them when creating)."""
    values: dict[str, Any] = {}
    if input.code is not None:
        code = input.code.strip().upper()
        if not _CODE.match(code):
            problems.add(
                "code", "INVALID_CODE", "must be 1-10 characters: letters A-Z, digits 0-9 and _"
            )
        values["code"] = code
    if input.name is not None:
        values["name"] = clean_text(problems, "name", input.name, max_length=100)
    if input.kind is not None:
        values["kind"] = input.kind
    if input.paxml_code is not None:
        paxml_code = input.paxml_code.strip().upper()
        if paxml_code not in PAXML_TIME_CODES:
            problems.add(
                "paxmlCode",
                "NOT_A_PAXML_TIME_CODE",
                "must be one of the PAXml 2.0 time codes, e.g. ARB, SJK, SEM, VAB, ÖT1",
            )
        values["paxml_code"] = paxml_code
    if input.pay_type is not None:
        values["pay_type"] = clean_text(problems, "payType", input.pay_type, max_length=20)
    if input.unit is not None:
        if input.unit not in TIME_CODE_UNITS:
            problems.add("unit", "NOT_A_TIME_UNIT", "a time code counts HOURS or DAYS")
        values["unit"] = input.unit
    return values


async def _code_taken(session: AsyncSession, code: str, exclude: int | None) -> bool:
    statement = select(TimeCode.id).where(TimeCode.code == code)
    if exclude is not None:
        statement = statement.where(TimeCode.id != exclude)
    return (await session.scalar(statement.limit(1))) is not None


def _time_code_payload(row: TimeCode) -> gql.TimeCodePayload:
    return gql.TimeCodePayload(time_code=TimeCodeType.from_row(row))


def _code_taken_error() -> BadInput:
    return bad_input("code", "TAKEN", "the company already has a time code with this code")


async def create_time_code(info: Ctx, input: gql.CreateTimeCodeInput) -> gql.TimeCodePayload:
    ctx = info.context
    problems = Problems()
    values = _check_time_code(problems, input)
    company_id = ctx.access.company_id
    assert company_id is not None
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            if values.get("code") and await _code_taken(session, values["code"], None):
                problems.add("code", "TAKEN", "the company already has a time code with this code")
            problems.raise_if_any()
            row = TimeCode(company_id=company_id, active=True, created_at=ctx.clock.now(), **values)
            session.add(row)
            await session.flush()
            audit(session, ctx, AuditAction.TIME_CODE_CREATED, time_code_id=row.id, code=row.code)
    except IntegrityError:
        raise _code_taken_error() from None
    return _time_code_payload(row)


async def _load_time_code(session: AsyncSession, id: relay.GlobalID) -> TimeCode:
    row_id = node_id(id, gql.TIME_CODE_TYPE_NAME)
    row = await session.scalar(select(TimeCode).where(TimeCode.id == row_id))
    if row is None:
        raise not_found(gql.TIME_CODE_TYPE_NAME)
    return row


async def update_time_code(
    info: Ctx, id: relay.GlobalID, input: gql.UpdateTimeCodeInput
) -> gql.TimeCodePayload:
    ctx = info.context
    problems = Problems()
    values = _check_time_code(problems, input)
    problems.raise_if_any()
    try:
        async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
            row = await _load_time_code(session, id)
            changes = {name: value for name, value in values.items() if getattr(row, name) != value}
            if "code" in changes and await _code_taken(session, changes["code"], row.id):
                problems.add("code", "TAKEN", "the company already has a time code with this code")
            for name in ("kind", "unit"):
                if name in changes and await _in_use(session, row.id):
                    problems.add(
                        name,
                        "IN_USE",
                        "time has been reported with this code; create a new code instead",
                    )
            problems.raise_if_any()
            for name, value in changes.items():
                setattr(row, name, value)
            if changes:
                await session.flush()
                audit(
                    session,
                    ctx,
                    AuditAction.TIME_CODE_UPDATED,
                    time_code_id=row.id,
                    code=row.code,
                    fields=sorted(changes),
                )
    except IntegrityError:
        raise _code_taken_error() from None
    return _time_code_payload(row)


async def _in_use(session: AsyncSession, time_code_id: int) -> bool:
    used = select(TimeEntry.id).where(TimeEntry.time_code_id == time_code_id).limit(1)
    return (await session.scalar(used)) is not None


async def _set_time_code_active(info: Ctx, id: relay.GlobalID, active: bool) -> gql.TimeCodePayload:
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await _load_time_code(session, id)
        if row.active != active:
            row.active = active
            audit(
                session,
                ctx,
                AuditAction.TIME_CODE_REACTIVATED if active else AuditAction.TIME_CODE_DEACTIVATED,
                time_code_id=row.id,
                code=row.code,
            )
    return _time_code_payload(row)


async def deactivate_time_code(info: Ctx, id: relay.GlobalID) -> gql.TimeCodePayload:
    return await _set_time_code_active(info, id, False)


async def reactivate_time_code(info: Ctx, id: relay.GlobalID) -> gql.TimeCodePayload:
    return await _set_time_code_active(info, id, True)


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    company_settings = field(
        AreaRule(Area.SETTINGS),
        company_settings,
        description="The company's payroll settings: period kind and pay day.",
    )


@strawberry.type
class Mutations:
    update_company_settings = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        update_company_settings,
        description="Change the company's payroll settings.",
    )
    create_time_code = mutation(
        AreaRule(Area.SETTINGS, Op.MANAGE),
        create_time_code,
        description="Add a time code, mapped to a PAXml time code and a pay type.",
    )
    update_time_code = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        update_time_code,
        description="Change a time code. Its kind and unit are fixed once time is reported on it.",
    )
    deactivate_time_code = mutation(
        AreaRule(Area.SETTINGS, Op.MANAGE),
        deactivate_time_code,
        description="Stop new reporting with a time code; reported time keeps it.",
    )
    reactivate_time_code = mutation(
        AreaRule(Area.SETTINGS, Op.MANAGE),
        reactivate_time_code,
        description="Allow reporting with a deactivated time code again.",
    )
