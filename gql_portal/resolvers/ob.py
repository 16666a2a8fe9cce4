"""The company's OB windows (SETTINGS): read them, replace them all at once, or apply a preset.

None means no OB: a company starts without windows (the firm decides from the client's
collective agreement), and `applyObPreset` writes a typical set to start from."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from sqlalchemy import delete, select

from gql_portal.db.ob import ObWindow
from gql_portal.domain import ob as domain
from gql_portal.domain.audit import AuditAction
from gql_portal.errors import Problems
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx
from gql_portal.schema import ob as gql
from gql_portal.schema.fields import field, mutation

SETTINGS_READ = AreaRule(Area.SETTINGS)
SETTINGS_WRITE = AreaRule(Area.SETTINGS, Op.WRITE)
ORDER = (ObWindow.code, ObWindow.id)


async def ob_windows(info: Ctx) -> list[gql.ObWindow]:
    """The company's OB windows, by code."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        rows = (await session.scalars(select(ObWindow).order_by(*ORDER))).all()
    return [gql.ObWindow.from_row(row) for row in rows]


def _checked(problems: Problems, windows: list[gql.ObWindowInput]) -> list[domain.ObWindow]:
    """The windows as the domain has them; what is wrong named by its place in the list."""
    if len(windows) > domain.MAX_OB_WINDOWS:
        problems.add("windows", "TOO_MANY", f"at most {domain.MAX_OB_WINDOWS} windows")
        return []
    checked = []
    for index, given in enumerate(windows):
        window = domain.ObWindow(
            code=given.code.strip().upper(),
            weekdays=frozenset(day.value for day in given.weekdays),
            holidays=given.holidays,
            start=given.start_time,
            end=given.end_time,
        )
        for name, reason, message in domain.window_problems(window):
            problems.add(f"windows.{index}.{name}", reason, message)
        checked.append(window)
    return checked


async def _replace(
    info: Ctx, windows: Sequence[domain.ObWindow], preset: domain.ObPreset | None
) -> gql.ObWindowsPayload:
    """The company's windows replaced by `windows`, in one transaction, audited."""
    ctx = info.context
    company_id = ctx.access.company_id
    assert company_id is not None
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        # Scoped: the statement reaches the session company's rows only.
        await session.execute(delete(ObWindow).execution_options(synchronize_session=False))
        rows = [
            ObWindow(
                company_id=company_id,
                code=window.code,
                weekdays=domain.weekday_mask(window.weekdays),
                holidays=window.holidays,
                start_time=window.start,
                end_time=window.end,
                created_at=now,
            )
            for window in windows
        ]
        session.add_all(rows)
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.OB_WINDOWS_SET,
            preset=preset.value if preset else None,
            windows=[_described(window) for window in windows],
        )
    rows.sort(key=lambda row: (row.code, row.id))
    return gql.ObWindowsPayload(ob_windows=[gql.ObWindow.from_row(row) for row in rows])


def _described(window: domain.ObWindow) -> str:
    """A window in one line for the audit trail: `OB2 0,1,2,3,4 22:00-06:00`, `OB4 holidays`."""
    days = ",".join(str(day) for day in sorted(window.weekdays))
    holidays = " holidays" if window.holidays else ""
    return f"{window.code} {days}{holidays} {window.start:%H:%M}-{window.end:%H:%M}".replace(
        "  ", " "
    )


async def set_ob_windows(
    info: Ctx,
    input: Annotated[
        gql.SetObWindowsInput,
        strawberry.argument(
            description="Every OB window of the company: they replace the ones there are."
        ),
    ],
) -> gql.ObWindowsPayload:
    problems = Problems()
    windows = _checked(problems, input.windows)
    problems.raise_if_any()
    return await _replace(info, windows, None)


async def apply_ob_preset(
    info: Ctx,
    preset: Annotated[
        domain.ObPreset,
        strawberry.argument(description="The ready set of windows to replace the company's with."),
    ],
) -> gql.ObWindowsPayload:
    return await _replace(info, domain.PRESETS[preset], preset)


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    ob_windows = field(
        SETTINGS_READ,
        ob_windows,
        description="The company's OB windows (inconvenient working hours), by code; none: no OB.",
        bound=gql.OB_WINDOWS_BOUND,
    )


@strawberry.type
class Mutations:
    set_ob_windows = mutation(
        SETTINGS_WRITE,
        set_ob_windows,
        description="Replace all of the company's OB windows at once (codes OB1-OB5, whole "
        "minutes). Problems name the window: windows.2.startTime.",
    )
    apply_ob_preset = mutation(
        SETTINGS_WRITE,
        apply_ob_preset,
        description="Replace the company's OB windows with a preset, to adjust from there.",
    )
