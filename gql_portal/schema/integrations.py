"""GraphQL types of the payroll-program integration (INTEGRATIONS)."""

import datetime

import strawberry
from strawberry import relay

from gql_portal.db import integrations as db
from gql_portal.db.integrations import IntegrationState
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.schema.accounts import PayrollProgram
from gql_portal.schema.fields import describe_values, field

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

INTEGRATIONS = AreaRule(Area.INTEGRATIONS)
STRUCTURAL = Structural()


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
        )


@strawberry.type(description="The payroll integration after the change.")
class PayrollIntegrationPayload:
    payroll_integration: PayrollIntegration = field(STRUCTURAL)
