"""Company settings, time codes and the pay-type table (SETTINGS)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.settings import CompanySettings, PayType, TimeCode
from gql_portal.db.time import TimeEntry
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.collaborations import CollaborationState
from gql_portal.domain.paytypes import (
    DEFAULT_CODES,
    DEFAULT_PAXML_ENCODING,
    MAX_LONART_LENGTH,
    PAYROLL_PROGRAMS,
    PAYROLL_PROGRAMS_BY_KEY,
    STANDARD_CODES,
    PayCode,
    in_code_order,
    pay_code,
)
from gql_portal.domain.time import PAXML_TIME_CODES, Unit
from gql_portal.domain.validation import clean_text
from gql_portal.errors import BadInput, Problems, bad_input
from gql_portal.live import company_access_changed, publish_after_commit
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
            paxml_encoding=DEFAULT_PAXML_ENCODING,
            payroll_program=None,
            require_named_assignment=False,
            updated_at=None,
        )
    return gql.CompanySettings.from_row(row)


async def update_company_settings(
    info: Ctx,
    input: Annotated[
        gql.UpdateCompanySettingsInput,
        strawberry.argument(
            description="The settings to change; fields left out keep their value."
        ),
    ],
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
    if input.paxml_encoding is not None:
        values["paxml_encoding"] = input.paxml_encoding.value
    problems.raise_if_any()
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _settings_row(ctx, session)
        changes = {name: value for name, value in values.items() if getattr(row, name) != value}
        for name, value in changes.items():
            setattr(row, name, value)
        if changes:
            row.updated_at = now
            audit(session, ctx, AuditAction.COMPANY_SETTINGS_UPDATED, fields=sorted(changes))
    return gql.CompanySettingsPayload(settings=gql.CompanySettings.from_row(row))


async def set_require_named_assignment(
    info: Ctx,
    required: Annotated[
        bool,
        strawberry.argument(
            description="True: only the firm's users assigned to the company reach it; false: "
            "each firm's own policy decides."
        ),
    ],
) -> gql.CompanySettingsPayload:
    """The client's condition on its collaborations, from every firm's users' next request."""
    ctx = info.context
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _settings_row(ctx, session)
        if row.require_named_assignment is not required:
            row.require_named_assignment = required
            row.updated_at = now
            audit(
                session,
                ctx,
                AuditAction.COLLABORATION_NAMED_ASSIGNMENT_SET,
                require_named_assignment=required,
            )
            # The firms' users' reach changed: their live connections read their access again.
            firms = await session.scalars(
                select(Collaboration.firm_id).where(
                    Collaboration.state == CollaborationState.ACTIVE
                )
            )
            for firm_id in sorted(set(firms)):
                publish_after_commit(session, ctx.runtime.bus, company_access_changed(firm_id))
    return gql.CompanySettingsPayload(settings=gql.CompanySettings.from_row(row))


async def _settings_row(ctx: RequestContext, session: AsyncSession) -> CompanySettings:
    """The session company's settings row, made with the defaults if the company has none yet
    (a company from before settings existed)."""
    row = await session.scalar(select(CompanySettings))
    if row is None:
        company_id = ctx.access.company_id
        assert company_id is not None
        row = CompanySettings(
            company_id=company_id,
            period_kind=CALENDAR_MONTH,
            pay_day=DEFAULT_PAY_DAY,
            paxml_encoding=DEFAULT_PAXML_ENCODING.value,
            updated_at=ctx.clock.now(),
        )
        session.add(row)
    return row


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


async def create_time_code(
    info: Ctx,
    input: Annotated[
        gql.CreateTimeCodeInput,
        strawberry.argument(description="The code, its name, kind, PAXml code, pay type and unit."),
    ],
) -> gql.TimeCodePayload:
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
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The time code to change (a `TimeCode` id)."),
    ],
    input: Annotated[
        gql.UpdateTimeCodeInput,
        strawberry.argument(description="What to change; fields left out keep their value."),
    ],
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


async def deactivate_time_code(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The time code no one may report with any more (a `TimeCode` id); "
            "reported time keeps it."
        ),
    ],
) -> gql.TimeCodePayload:
    return await _set_time_code_active(info, id, False)


async def reactivate_time_code(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The deactivated time code to allow again (a `TimeCode` id)."
        ),
    ],
) -> gql.TimeCodePayload:
    return await _set_time_code_active(info, id, True)


# --- the pay-type table (lönearter) -----------------------------------------------------------


def _session_company(ctx: RequestContext) -> int:
    company_id = ctx.access.company_id
    assert company_id is not None  # SETTINGS is only reached inside a company
    return company_id


async def _pay_type_list(
    ctx: RequestContext, session: AsyncSession, *, every_code: bool = False
) -> list[gql.PayType]:
    """The codes the company uses (the portal's own, its time codes') or has mapped, or every
    standard code, each with its lonart."""
    table = {row.code: row.lonart for row in await session.scalars(select(PayType))}
    codes: set[PayCode] = set(STANDARD_CODES)
    if not every_code:
        time_codes = await session.scalars(select(TimeCode.paxml_code).distinct())
        codes = set(DEFAULT_CODES) | set(time_codes) | set(table)
    company_id = _session_company(ctx)
    return [gql.PayType.of(company_id, code, table.get(code)) for code in in_code_order(codes)]


async def pay_types(
    info: Ctx,
    every_code: Annotated[
        bool,
        strawberry.argument(name="all", description="Every PAXml 2.0 code, mapped or not."),
    ] = False,
) -> list[gql.PayType]:
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        return await _pay_type_list(ctx, session, every_code=every_code)


def payroll_programs(info: Ctx) -> list[gql.PayrollProgramPreset]:
    company_id = _session_company(info.context)
    return [
        gql.PayrollProgramPreset.of(
            company_id,
            program,
            [
                gql.PayType.of(company_id, code, program.table[code])
                for code in in_code_order(program.table)
            ],
        )
        for program in PAYROLL_PROGRAMS
    ]


def _item_field(index: int, name: str) -> str:
    return f"input.payTypes[{index}].{name}"


def _check_lonart(problems: Problems, field: str, text: str | None) -> str | None:
    """The cleaned pay type, or None to clear it. Printable Latin-1 only: the file may be
    written in ISO-8859-1, and pay types are short numbers or codes."""
    lonart = (text or "").strip()
    if not lonart:
        return None
    if len(lonart) > MAX_LONART_LENGTH:
        problems.add(field, "TOO_LONG", f"must be at most {MAX_LONART_LENGTH} characters")
    elif not all(char.isprintable() and ord(char) < 256 for char in lonart):
        problems.add(
            field, "UNSUPPORTED_CHARACTER", "may hold letters, digits and punctuation (Latin-1)"
        )
    return lonart


def _check_pay_types(
    problems: Problems, items: list[gql.PayTypeInput]
) -> dict[PayCode, str | None]:
    """code -> the lonart to set (None: clear), from the input's items."""
    if len(items) > len(STANDARD_CODES):
        problems.add(
            "input.payTypes", "TOO_MANY", f"at most {len(STANDARD_CODES)} entries, one per code"
        )
        return {}
    wanted: dict[PayCode, str | None] = {}
    for index, item in enumerate(items):
        code = pay_code(item.code)
        if code is None:
            problems.add(
                _item_field(index, "code"),
                "NOT_A_PAXML_CODE",
                "must be a PAXml 2.0 tidkod or lonkod, e.g. ARB, ÖT1, SJK, UTLÄGG, MILPRI_FRI",
            )
        elif code in wanted:
            problems.add(_item_field(index, "code"), "DUPLICATE", "is given more than once")
        lonart = _check_lonart(problems, _item_field(index, "lonart"), item.lonart)
        if code is not None:
            wanted[code] = lonart
    return wanted


async def _write_pay_types(
    ctx: RequestContext, session: AsyncSession, wanted: dict[PayCode, str | None]
) -> dict[PayCode, str | None]:
    """Set or clear each code's pay type (a cleared code has no row); the codes that changed."""
    rows = {row.code: row for row in await session.scalars(select(PayType))}
    now = ctx.clock.now()
    changed: dict[PayCode, str | None] = {}
    for code, lonart in wanted.items():
        row = rows.get(code)
        if lonart is None and row is not None:
            await session.delete(row)
        elif lonart is not None and row is None:
            session.add(
                PayType(
                    company_id=_session_company(ctx),
                    code=code,
                    lonart=lonart,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif lonart is not None and row is not None and row.lonart != lonart:
            row.lonart, row.updated_at = lonart, now
        else:
            continue
        changed[code] = lonart
    await session.flush()
    return changed


async def _pay_types_payload(ctx: RequestContext, session: AsyncSession) -> gql.PayTypesPayload:
    settings = await _settings_row(ctx, session)
    await session.flush()
    return gql.PayTypesPayload(
        pay_types=await _pay_type_list(ctx, session),
        settings=gql.CompanySettings.from_row(settings),
    )


async def set_pay_types(
    info: Ctx,
    input: Annotated[
        gql.SetPayTypesInput,
        strawberry.argument(
            description="The client's pay type (löneart) per standard PAXml code to set or clear."
        ),
    ],
) -> gql.PayTypesPayload:
    ctx = info.context
    problems = Problems()
    wanted = _check_pay_types(problems, input.pay_types)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        changed = await _write_pay_types(ctx, session, wanted)
        if changed:
            audit(
                session,
                ctx,
                AuditAction.PAY_TYPES_UPDATED,
                set={code: lonart for code, lonart in changed.items() if lonart is not None},
                cleared=sorted(code for code, lonart in changed.items() if lonart is None),
            )
        return await _pay_types_payload(ctx, session)


async def apply_payroll_program_preset(
    info: Ctx,
    program: Annotated[
        str,
        strawberry.argument(
            description="The preset's key, as `payrollPrograms` lists it (e.g. FORTNOX_LON; "
            "any case)."
        ),
    ],
) -> gql.PayTypesPayload:
    """Replace the whole table with the program's preset and record the program."""
    ctx = info.context
    preset = PAYROLL_PROGRAMS_BY_KEY.get(program.strip().upper())
    if preset is None:
        raise bad_input(
            "program",
            "UNKNOWN_PAYROLL_PROGRAM",
            "must be one of " + ", ".join(PAYROLL_PROGRAMS_BY_KEY),
        )
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        current = await session.scalars(select(PayType.code))
        wanted: dict[PayCode, str | None] = dict.fromkeys(current)
        wanted.update(preset.table)
        await _write_pay_types(ctx, session, wanted)
        settings = await _settings_row(ctx, session)
        settings.payroll_program, settings.updated_at = preset.key, ctx.clock.now()
        audit(
            session,
            ctx,
            AuditAction.PAY_TYPES_PRESET_APPLIED,
            program=preset.key,
            pay_types=dict(preset.table),
        )
        return await _pay_types_payload(ctx, session)


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    company_settings = field(
        AreaRule(Area.SETTINGS),
        company_settings,
        description="The company's payroll settings: period kind, pay day, the PAXml file's "
        "encoding and the payroll program whose preset was applied last.",
    )
    pay_types = field(
        AreaRule(Area.SETTINGS),
        pay_types,
        description="The company's pay-type table (lönearter): each standard PAXml code the "
        "portal writes, the company's time codes map to or the company has mapped, with the "
        "client's own pay type; `all` lists every PAXml 2.0 code. In the codes' PAXml order.",
        bound=gql.PAY_TYPES_BOUND,
    )
    payroll_programs = field(
        AreaRule(Area.SETTINGS),
        payroll_programs,
        description="The presets per payroll program, for a picker: starting pay-type tables.",
        bound=gql.PAYROLL_PROGRAMS_BOUND,
    )


@strawberry.type
class Mutations:
    update_company_settings = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        update_company_settings,
        description="Change the company's payroll settings.",
    )
    set_pay_types = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        set_pay_types,
        description="Set or clear the client's pay types for standard PAXml codes, many at once; "
        "codes left out keep theirs.",
    )
    apply_payroll_program_preset = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        apply_payroll_program_preset,
        description="Replace the pay-type table with a payroll program's preset (a "
        "`payrollPrograms` key) and record the program; adjust it afterwards with setPayTypes.",
    )
    set_require_named_assignment = mutation(
        # The client's side of its collaborations (its admins): a FULL partner inside the
        # company, who may write its settings, may not lift the client's condition on the firm.
        AreaRule(Area.COLLABORATIONS, Op.MANAGE),
        set_require_named_assignment,
        description="Require named assignment of every partner firm (`CompanySettings."
        "requireNamedAssignment`): only the firm's users assigned to the company reach it. "
        "Counts from the firms' users' next request; audited.",
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
