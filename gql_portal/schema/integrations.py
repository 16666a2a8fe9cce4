"""GraphQL types of the payroll-program integration (INTEGRATIONS): the integration, where it
delivers, and its delivery log."""

import datetime
from collections.abc import Awaitable, Callable
from typing import Annotated

import strawberry
from strawberry import relay

from gql_portal.db import integrations as db
from gql_portal.db.integrations import (
    AttemptOutcome,
    DeliveryEvent,
    DeliveryStatus,
    IntegrationState,
)
from gql_portal.domain.deliveries import MAX_ATTEMPTS, fingerprint
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.resolvers.common import Ctx
from gql_portal.schema.accounts import PayrollProgram
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.plugs import Plug
from gql_portal.schema.relay import After, Before, Connection, First, Last

strawberry.enum(
    IntegrationState,
    description="ACTIVE: the time service feeds the payroll program; INACTIVE: switched off.",
)
describe_values(
    IntegrationState,
    {
        "ACTIVE": "Switched on: the time service feeds the payroll program.",
        "INACTIVE": "Switched off; activating again reuses the integration.",
    },
)

strawberry.enum(DeliveryEvent, description="What a delivery carries.")
describe_values(
    DeliveryEvent,
    {
        "PERIOD_LOCKED": "A period was locked: its payroll basis as PAXml (the lock day's export).",
        "PERIOD_REEXPORTED": "A period was exported again: that export's PAXml file (nyexport).",
        "EXPENSE_CHANGED": "Webhook: expenses changed (their ids).",
        "PAYROLL_PERIOD_CHANGED": "Webhook: payroll periods changed (their ids).",
        "COLLABORATION_CHANGED": "Webhook: collaborations changed (their ids).",
    },
)
strawberry.enum(DeliveryStatus, description="Where a delivery stands.")
describe_values(
    DeliveryStatus,
    {
        "QUEUED": "Waiting for its first try, or for the next one after a failed attempt.",
        "SENDING": "Being sent by a worker now.",
        "DELIVERED": "The endpoint answered 2xx.",
        "FAILED": f"Given up: {MAX_ATTEMPTS} attempts failed, or it can no longer be sent.",
    },
)
strawberry.enum(AttemptOutcome, description="How one attempt of a delivery ended.")
describe_values(
    AttemptOutcome,
    {
        "DELIVERED": "The endpoint answered 2xx.",
        "REFUSED": "The endpoint answered another status (see responseCode).",
        "TIMEOUT": "No answer within the delivery timeout.",
        "ERROR": "No connection, or the delivery could not be sent (see error).",
    },
)

INTEGRATIONS = AreaRule(Area.INTEGRATIONS)
STRUCTURAL = Structural()

DeliveriesOf = Callable[..., Awaitable["Connection[IntegrationDelivery]"]]
AttemptsOf = Callable[..., Awaitable[list["DeliveryAttempt"]]]
# The delivery log is read by the domain's resolvers: schema/root.py plugs them in.
DELIVERIES: "Plug[DeliveriesOf]" = Plug("PayrollIntegration.deliveries")
ATTEMPTS: "Plug[AttemptsOf]" = Plug("IntegrationDelivery.attempts")


@strawberry.type(description="One attempt of a delivery: when, how it ended, how long it took.")
class DeliveryAttempt:
    company_id: strawberry.Private[int]
    number: int = field(INTEGRATIONS, description="1 for a delivery's first attempt.")
    started_at: datetime.datetime = field(INTEGRATIONS)
    outcome: AttemptOutcome = field(INTEGRATIONS)
    response_code: int | None = field(
        INTEGRATIONS, description="The endpoint's HTTP status; null without an answer."
    )
    duration_ms: int = field(INTEGRATIONS, description="From sending to the answer, in ms.")
    error: str | None = field(INTEGRATIONS, description="What went wrong, in short.")

    @classmethod
    def from_row(cls, row: db.DeliveryAttempt) -> "DeliveryAttempt":
        return cls(
            company_id=row.company_id,
            number=row.number,
            started_at=row.started_at,
            outcome=row.outcome,
            response_code=row.response_code,
            duration_ms=row.duration_ms,
            error=row.error,
        )


@strawberry.type(
    description="One delivery of the payroll integration: a period's PAXml basis POSTed to the "
    "endpoint, signed, under its id (`X-GqlPortal-Delivery`, the same on every retry)."
)
class IntegrationDelivery(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    event: DeliveryEvent = field(INTEGRATIONS)
    status: DeliveryStatus = field(INTEGRATIONS)
    attempt_count: int = field(INTEGRATIONS, description="Attempts started so far.")
    created_at: datetime.datetime = field(INTEGRATIONS, description="When it was queued.")
    delivered_at: datetime.datetime | None = field(INTEGRATIONS)
    next_attempt_at: datetime.datetime | None = field(
        INTEGRATIONS, description="QUEUED: when the next attempt is due; null otherwise."
    )
    last_response_code: int | None = field(INTEGRATIONS)
    last_error: str | None = field(INTEGRATIONS)
    payroll_period_id: relay.GlobalID | None = field(
        INTEGRATIONS, description="The period whose basis it carries (a `PayrollPeriod` id)."
    )
    redelivery_of_id: relay.GlobalID | None = field(
        INTEGRATIONS,
        description="Sent again: the delivery whose bytes this one carries (an "
        "`IntegrationDelivery` id).",
    )
    body_sha256: str | None = field(
        INTEGRATIONS, description="The SHA-256 of the body, once written (at the first attempt)."
    )

    @resolver_field(
        INTEGRATIONS,
        description="Its attempts, the first first.",
        bound=MAX_ATTEMPTS + 1,
    )
    async def attempts(self, info: Ctx) -> list[DeliveryAttempt]:
        return await ATTEMPTS.resolver(info, self.id)

    @classmethod
    def from_row(cls, row: db.IntegrationDelivery) -> "IntegrationDelivery":
        queued = row.status is DeliveryStatus.QUEUED
        return cls(
            id=row.id,
            company_id=row.company_id,
            event=row.event,
            status=row.status,
            attempt_count=row.attempts,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            next_attempt_at=row.next_attempt_at if queued else None,
            last_response_code=row.last_response_code,
            last_error=row.last_error,
            payroll_period_id=(
                relay.GlobalID("PayrollPeriod", str(row.period_id)) if row.period_id else None
            ),
            redelivery_of_id=(
                relay.GlobalID("IntegrationDelivery", str(row.redelivery_of_id))
                if row.redelivery_of_id
                else None
            ),
            body_sha256=row.body_sha256,
        )


@strawberry.type(
    description="The integration between the time service and the company's payroll program. "
    "Activated in the company context by its admin, or by a FULL partner logged in to the "
    "company (required for Visma Lön Smart)."
)
class PayrollIntegration(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    program: PayrollProgram = field(
        INTEGRATIONS, description="The payroll program it was (last) activated for."
    )
    state: IntegrationState = field(
        INTEGRATIONS, description="ACTIVE, or INACTIVE after a deactivation."
    )
    activated_at: datetime.datetime = field(INTEGRATIONS, description="When it was last activated.")
    activated_by_name: str | None = field(
        INTEGRATIONS, description="The person who last activated it."
    )
    activated_by_firm_name: str | None = field(
        INTEGRATIONS,
        description="The partner firm that activated it from inside the company, if a firm did.",
    )
    deactivated_at: datetime.datetime | None = field(
        INTEGRATIONS, description="When it was deactivated; null while ACTIVE."
    )
    endpoint_url: str | None = field(
        INTEGRATIONS,
        description="Where each locked or re-exported period's PAXml basis is POSTed; null "
        "until set (`setPayrollIntegrationEndpoint`).",
    )
    secret_set_at: datetime.datetime | None = field(
        INTEGRATIONS,
        description="When the signing secret was last set; the secret itself is never shown.",
    )
    secret_fingerprint: str | None = field(
        INTEGRATIONS,
        description="The first 8 hex digits of the secret's SHA-256: which secret is set.",
    )

    @resolver_field(
        INTEGRATIONS, description="The delivery log: the integration's deliveries, newest first."
    )
    async def deliveries(
        self,
        info: Ctx,
        first: First = None,
        after: After = None,
        last: Last = None,
        before: Before = None,
        status: Annotated[
            DeliveryStatus | None,
            strawberry.argument(description="Only deliveries in this state (default: all)."),
        ] = None,
    ) -> Connection[IntegrationDelivery]:
        return await DELIVERIES.resolver(info, self.id, first, after, last, before, status)

    @classmethod
    def from_row(
        cls, row: db.PayrollIntegration, user_name: str | None, firm_name: str | None
    ) -> "PayrollIntegration":
        return cls(
            id=row.id,
            company_id=row.company_id,
            program=row.program,
            state=row.state,
            activated_at=row.activated_at,
            activated_by_name=user_name,
            activated_by_firm_name=firm_name,
            deactivated_at=row.deactivated_at,
            endpoint_url=row.endpoint_url,
            secret_set_at=row.secret_set_at,
            secret_fingerprint=fingerprint(row.secret) if row.secret else None,
        )


@strawberry.type(description="The payroll integration after the change.")
class PayrollIntegrationPayload:
    payroll_integration: PayrollIntegration = field(STRUCTURAL)


@strawberry.type(description="The delivery queued again.")
class RedeliverPayload:
    delivery: IntegrationDelivery = field(STRUCTURAL)


@strawberry.input(description="Where the payroll integration delivers, and how it signs.")
class PayrollIntegrationEndpointInput:
    endpoint_url: str = strawberry.field(
        description="An https URL (plain http only to localhost, outside production); no user "
        "name or password in it (it is shown back)."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The HMAC-SHA256 key of `X-GqlPortal-Signature`, 24-200 printable "
        "characters; write-only. Leave out to keep the one set.",
    )


@strawberry.type(
    description="A generic webhook of the company: each live event of its kind (ids only) is "
    "POSTed as JSON to its URL, signed with its secret as the payroll deliveries are."
)
class Webhook:
    company_id: strawberry.Private[int]
    event: DeliveryEvent = field(INTEGRATIONS)
    url: str = field(INTEGRATIONS)
    secret_set_at: datetime.datetime = field(
        INTEGRATIONS, description="When its secret was set; the secret itself is never shown."
    )
    secret_fingerprint: str = field(
        INTEGRATIONS, description="The first 8 hex digits of the secret's SHA-256."
    )
    created_at: datetime.datetime = field(INTEGRATIONS)

    @classmethod
    def from_row(cls, row: db.Webhook) -> "Webhook":
        return cls(
            company_id=row.company_id,
            event=row.event,
            url=row.url,
            secret_set_at=row.secret_set_at,
            secret_fingerprint=fingerprint(row.secret),
            created_at=row.created_at,
        )


@strawberry.type(description="The webhook after the change.")
class WebhookPayload:
    webhook: Webhook | None = field(STRUCTURAL, description="Null once removed.")


@strawberry.input(description="A webhook for one kind of event.")
class WebhookInput:
    event: DeliveryEvent = strawberry.field(
        description="EXPENSE_CHANGED, PAYROLL_PERIOD_CHANGED or COLLABORATION_CHANGED."
    )
    url: str = strawberry.field(
        description="An https URL (plain http only to localhost, outside production)."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The HMAC-SHA256 key of its signature, 24-200 printable characters; "
        "write-only. Leave out to keep the one set.",
    )
