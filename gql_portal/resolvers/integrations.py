"""The payroll-program integration: read, activate, deactivate (INTEGRATIONS).

Only the company context reaches INTEGRATIONS: the company's admins and FULL partners who logged
in to the client's company (`enterClientCompany`). The portal and employees have none of these
fields in their schemas. The external payroll service is not called here: the state, who changed
it and when, is what this domain keeps."""

from __future__ import annotations

import strawberry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, User
from gql_portal.db.integrations import IntegrationState, PayrollIntegration
from gql_portal.domain.audit import AuditAction
from gql_portal.errors import bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, not_found
from gql_portal.resolvers.loading import by_id
from gql_portal.schema import integrations as gql
from gql_portal.schema.fields import field, mutation

TYPE = "PayrollIntegration"


async def _to_node(session: AsyncSession, row: PayrollIntegration) -> gql.PayrollIntegration:
    """The row with the names of who activated it (the user; the firm, if a partner did)."""
    user_name = (
        await session.scalar(select(User.name).where(User.id == row.activated_by_user_id))
        if row.activated_by_user_id is not None
        else None
    )
    firm_name = (
        await session.scalar(select(Company.name).where(Company.id == row.activated_by_firm_id))
        if row.activated_by_firm_id is not None
        else None
    )
    return gql.PayrollIntegration.from_row(row, user_name, firm_name)


# --- reading ------------------------------------------------------------------------------


async def payroll_integration(info: Ctx) -> gql.PayrollIntegration | None:
    """The session company's integration; null if it was never activated."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        row = await session.scalar(select(PayrollIntegration))
        return await _to_node(session, row) if row else None


async def payroll_integration_by_id(
    ctx: RequestContext, integration_id: int
) -> gql.PayrollIntegration | None:
    row = await by_id(ctx, PayrollIntegration).load(integration_id)
    if row is None:
        return None
    async with ctx.database.scoped(ctx.access) as session:
        return await _to_node(session, row)


# --- writing ------------------------------------------------------------------------------


async def _activate(ctx: RequestContext) -> gql.PayrollIntegrationPayload:
    access = ctx.access
    company_id = access.company_id
    assert company_id is not None
    now = ctx.clock.now()
    async with ctx.database.scoped(access, Op.MANAGE) as session:
        company = await session.get_one(Company, company_id)
        program = company.payroll_program
        if program is None:
            raise bad_input(
                "payrollProgram",
                "NO_PAYROLL_PROGRAM",
                "the company has no payroll program to integrate with",
            )
        row = await session.scalar(select(PayrollIntegration).with_for_update())
        if row is None:
            row = PayrollIntegration(company_id=company_id)
            session.add(row)
        elif row.state is IntegrationState.ACTIVE and row.program is program:
            return gql.PayrollIntegrationPayload(payroll_integration=await _to_node(session, row))
        row.program, row.state = program, IntegrationState.ACTIVE
        row.activated_at, row.deactivated_at = now, None
        row.activated_by_user_id = access.user_id
        row.activated_by_firm_id = access.acting_firm_id
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.PAYROLL_INTEGRATION_ACTIVATED,
            integration_id=row.id,
            program=program.value,
        )
        payload = gql.PayrollIntegrationPayload(payroll_integration=await _to_node(session, row))
    return payload


async def activate_payroll_integration(info: Ctx) -> gql.PayrollIntegrationPayload:
    """Activate the integration with the company's payroll program (again, after a
    deactivation). Activating an active integration changes nothing."""
    try:
        return await _activate(info.context)
    except IntegrityError:
        # Another request created the company's integration first: it is there now.
        return await _activate(info.context)


async def deactivate_payroll_integration(info: Ctx) -> gql.PayrollIntegrationPayload:
    """Switch the integration off; it keeps its history and can be activated again."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await session.scalar(select(PayrollIntegration).with_for_update())
        if row is None:
            raise not_found(TYPE)
        if row.state is IntegrationState.ACTIVE:
            row.state, row.deactivated_at = IntegrationState.INACTIVE, ctx.clock.now()
            audit(
                session,
                ctx,
                AuditAction.PAYROLL_INTEGRATION_DEACTIVATED,
                integration_id=row.id,
                program=row.program.value,
            )
        payload = gql.PayrollIntegrationPayload(payroll_integration=await _to_node(session, row))
    return payload


# --- the domain's root fields ---------------------------------------------------------------

MANAGE = AreaRule(Area.INTEGRATIONS, Op.MANAGE)


@strawberry.type
class Queries:
    payroll_integration = field(
        AreaRule(Area.INTEGRATIONS),
        payroll_integration,
        description="The company's payroll-program integration; null if never activated.",
    )


@strawberry.type
class Mutations:
    activate_payroll_integration = mutation(
        MANAGE,
        activate_payroll_integration,
        description="Activate the integration with the company's payroll program (in the company "
        "context: its admin, or a FULL partner logged in to the company). BAD_USER_INPUT "
        "(payrollProgram, NO_PAYROLL_PROGRAM) when the company has none.",
    )
    deactivate_payroll_integration = mutation(
        MANAGE,
        deactivate_payroll_integration,
        description="Deactivate the payroll integration; it can be activated again.",
    )
