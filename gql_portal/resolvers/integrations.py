"""The payroll-program integration: read, activate, deactivate, where it delivers, and its
delivery log (INTEGRATIONS).

Only the company context reaches INTEGRATIONS: the company's admins and FULL partners who logged
in to the client's company (`enterClientCompany`). The portal and employees have none of these
fields in their schemas. Locking a period (resolvers/payroll.py) and re-exporting one
(jobs/exports/lifecycle.py) queue a delivery in their own transaction; the deliverer
(jobs/deliveries.py) sends it."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, User
from gql_portal.db.integrations import (
    WEBHOOK_EVENTS,
    DeliveryAttempt,
    DeliveryEvent,
    DeliveryStatus,
    IntegrationDelivery,
    IntegrationState,
    PayrollIntegration,
    Webhook,
    queue_payroll_delivery,
)
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain import deliveries as rules
from gql_portal.domain.audit import AuditAction
from gql_portal.errors import bad_input
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import by_id, children, paginate
from gql_portal.schema import integrations as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.relay import Connection

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


# --- where it delivers ------------------------------------------------------------------------


async def set_payroll_integration_endpoint(
    info: Ctx,
    input: Annotated[
        gql.PayrollIntegrationEndpointInput,
        strawberry.argument(description="The endpoint URL, and the secret (required at first)."),
    ],
) -> gql.PayrollIntegrationPayload:
    """Set the endpoint URL and (the first time: must) the signing secret."""
    ctx = info.context
    production = ctx.runtime.settings.production
    url = rules.check_endpoint_url(input.endpoint_url, "input.endpointUrl", production=production)
    secret = rules.check_secret(input.secret, "input.secret") if input.secret is not None else None
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await session.scalar(select(PayrollIntegration).with_for_update())
        if row is None:
            raise not_found(TYPE)
        if secret is None and row.secret is None:
            raise bad_input("input.secret", "REQUIRED", "give a secret: none is set yet")
        row.endpoint_url = url
        if secret is not None:
            row.secret, row.secret_set_at = secret, ctx.clock.now()
        audit(
            session,
            ctx,
            AuditAction.PAYROLL_INTEGRATION_ENDPOINT_SET,
            integration_id=row.id,
            secret_changed=secret is not None,
        )
        payload = gql.PayrollIntegrationPayload(payroll_integration=await _to_node(session, row))
    return payload


# --- deliveries ----------------------------------------------------------------------------------


async def deliver_locked_basis(
    session: AsyncSession, ctx: RequestContext, period: PayrollPeriod
) -> bool:
    """Queue the delivery of a period just locked, in the lock's transaction, when the company's
    integration delivers: pinned to this lock (its `locked_at`) and the lock day as the file's
    export date. Whether one was queued (wake the deliverer once committed)."""
    integration = await session.scalar(
        select(PayrollIntegration).where(PayrollIntegration.company_id == period.company_id)
    )
    if integration is None or not integration.delivers:
        return False
    queue_payroll_delivery(
        session,
        integration,
        DeliveryEvent.PERIOD_LOCKED,
        now=ctx.clock.now(),
        period_id=period.id,
        basis_version=period.locked_at,
        export_date=ctx.clock.today(),
    )
    return True


async def integration_deliveries(
    info: Ctx,
    integration_id: int,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    status: DeliveryStatus | None,
) -> Connection[gql.IntegrationDelivery]:
    """`PayrollIntegration.deliveries`: newest first."""
    statement = select(IntegrationDelivery).where(
        IntegrationDelivery.integration_id == integration_id
    )
    if status is not None:
        statement = statement.where(IntegrationDelivery.status == status)
    page: Connection[Any] = await paginate(
        info.context,
        statement,
        [IntegrationDelivery.id],
        gql.IntegrationDelivery.from_row,
        first=first,
        after=after,
        last=last,
        before=before,
        descending=True,
    )
    return page


async def delivery_attempts(info: Ctx, delivery_id: int) -> list[gql.DeliveryAttempt]:
    """`IntegrationDelivery.attempts`: one statement for every delivery of a request."""
    loader = children(
        info.context,
        DeliveryAttempt,
        DeliveryAttempt.delivery_id,
        order_by=[DeliveryAttempt.number],
        limit=rules.MAX_ATTEMPTS + 1,
    )
    return [gql.DeliveryAttempt.from_row(row) for row in await loader.load(delivery_id)]


async def integration_delivery_by_id(
    ctx: RequestContext, delivery_id: int
) -> gql.IntegrationDelivery | None:
    row = await by_id(ctx, IntegrationDelivery).load(delivery_id)
    return gql.IntegrationDelivery.from_row(row) if row else None


async def redeliver(
    info: Ctx,
    delivery_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The delivery to send again (an `IntegrationDelivery` id)."
        ),
    ],
) -> gql.RedeliverPayload:
    """Send a delivery again: a new delivery (its own id) of the same bytes, queued now."""
    ctx = info.context
    original_id = node_id(delivery_id, "IntegrationDelivery", "deliveryId")
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        original = await session.scalar(
            select(IntegrationDelivery).where(IntegrationDelivery.id == original_id)
        )
        if original is None or original.integration_id is None:
            raise not_found("IntegrationDelivery")
        integration = await session.get_one(PayrollIntegration, original.integration_id)
        if not integration.delivers:
            raise bad_input(
                "deliveryId",
                "NOT_DELIVERING",
                "the integration is inactive or has no endpoint and secret",
            )
        body = (
            (original.body_key, original.body_sha256, original.body_size)
            if original.body_key and original.body_sha256 and original.body_size is not None
            else None
        )
        again = queue_payroll_delivery(
            session,
            integration,
            original.event,
            now=now,
            period_id=original.period_id,
            basis_version=original.basis_version,
            export_date=original.export_date,
            export_id=original.export_id,
            body=body,
        )
        again.redelivery_of_id = original.id
        await session.flush()
        audit(
            session,
            ctx,
            AuditAction.PAYROLL_INTEGRATION_REDELIVERED,
            integration_id=integration.id,
            delivery_id=again.id,
            redelivery_of_id=original.id,
        )
        payload = gql.RedeliverPayload(delivery=gql.IntegrationDelivery.from_row(again))
    ctx.runtime.wake_deliveries()
    return payload


# --- generic webhooks ----------------------------------------------------------------------


async def webhooks(info: Ctx) -> list[gql.Webhook]:
    """The company's webhooks, one per event kind."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        rows = await session.scalars(select(Webhook).order_by(Webhook.event))
        return [gql.Webhook.from_row(row) for row in rows]


async def set_webhook(
    info: Ctx,
    input: Annotated[
        gql.WebhookInput,
        strawberry.argument(description="The kind of event, the URL and (at first) the secret."),
    ],
) -> gql.WebhookPayload:
    """Create or change the company's webhook of one event kind."""
    ctx = info.context
    if input.event not in WEBHOOK_EVENTS:
        raise bad_input("input.event", "NOT_A_WEBHOOK_EVENT", "a live event's kind")
    production = ctx.runtime.settings.production
    url = rules.check_endpoint_url(input.url, "input.url", production=production)
    secret = rules.check_secret(input.secret, "input.secret") if input.secret is not None else None
    company_id = ctx.access.company_id
    assert company_id is not None
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await session.scalar(
            select(Webhook).where(Webhook.event == input.event).with_for_update()
        )
        if row is None:
            if secret is None:
                raise bad_input("input.secret", "REQUIRED", "give a secret for a new webhook")
            row = Webhook(company_id=company_id, event=input.event, created_at=now)
            session.add(row)
        row.url = url
        if secret is not None:
            row.secret, row.secret_set_at = secret, now
        await session.flush()
        audit(session, ctx, AuditAction.WEBHOOK_SET, event=input.event.value)
        return gql.WebhookPayload(webhook=gql.Webhook.from_row(row))


async def remove_webhook(
    info: Ctx,
    event: Annotated[
        DeliveryEvent, strawberry.argument(description="The kind whose webhook goes.")
    ],
) -> gql.WebhookPayload:
    """Remove the company's webhook of one event kind (its queued deliveries go with it)."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await session.scalar(select(Webhook).where(Webhook.event == event))
        if row is None:
            raise not_found("Webhook")
        await session.delete(row)
        audit(session, ctx, AuditAction.WEBHOOK_REMOVED, event=event.value)
    return gql.WebhookPayload(webhook=None)


# --- the domain's root fields ---------------------------------------------------------------

MANAGE = AreaRule(Area.INTEGRATIONS, Op.MANAGE)


@strawberry.type
class Queries:
    payroll_integration = field(
        AreaRule(Area.INTEGRATIONS),
        payroll_integration,
        description="The company's payroll-program integration; null if never activated.",
    )
    webhooks = field(
        AreaRule(Area.INTEGRATIONS),
        webhooks,
        description="The company's generic webhooks, one per event kind.",
        bound=len(WEBHOOK_EVENTS),
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
    set_payroll_integration_endpoint = mutation(
        MANAGE,
        set_payroll_integration_endpoint,
        description="Where the integration delivers each locked or re-exported period's PAXml "
        "basis, and the secret that signs it (write-only; required the first time). "
        "BAD_USER_INPUT naming input.endpointUrl (INVALID_URL, HTTPS_REQUIRED, "
        "CREDENTIALS_IN_URL) or input.secret (SECRET_LENGTH, SECRET_CHARACTERS, REQUIRED); "
        "NOT_FOUND before the integration was activated.",
    )
    set_webhook = mutation(
        MANAGE,
        set_webhook,
        description="Create or change the webhook of one event kind: each such live event of "
        "the company (its kind and the objects' ids) is POSTed to the URL as JSON, signed like "
        "the payroll deliveries (X-GqlPortal-Signature). BAD_USER_INPUT naming input.event, "
        "input.url or input.secret.",
    )
    remove_webhook = mutation(
        MANAGE,
        remove_webhook,
        description="Remove the webhook of one event kind. NOT_FOUND when there is none.",
    )
    redeliver = mutation(
        MANAGE,
        redeliver,
        description="Send a delivery again: a new delivery of the same bytes (its own delivery "
        "id), queued now. BAD_USER_INPUT (deliveryId, NOT_DELIVERING) while the integration is "
        "inactive or has no endpoint.",
    )
