"""GraphQL types of collaborations between accounting firms and their clients."""

import datetime

import strawberry
from strawberry import relay

from gql_portal.db import collaborations as db
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.identity import format_organisation_number
from gql_portal.permissions.matrix import LIMITED_PARTNER_AREAS, Area
from gql_portal.permissions.rules import CollaborationRule, Structural
from gql_portal.schema.fields import field

strawberry.enum(
    AccessLevel,
    description=(
        "FULL: the client admin's rights after logging in to the company. "
        "LIMITED: employees, payroll basis, expenses and receipts."
    ),
)
strawberry.enum(
    CollaborationState, description="PENDING until the other side answers; ACTIVE; DECLINED; ENDED."
)
strawberry.enum(Initiator, description="Which side proposed the collaboration.")

READ = CollaborationRule()
STRUCTURAL = Structural()


@strawberry.type(description="A collaboration between an accounting firm and a client company.")
class Collaboration(relay.Node):
    id: relay.NodeID[int]
    company_id: strawberry.Private[int]
    firm_id: strawberry.Private[int]
    level: AccessLevel = field(READ)
    state: CollaborationState = field(READ)
    initiated_by: Initiator = field(READ)
    requested_level: AccessLevel | None = field(
        READ,
        description="A level change the firm asked for, waiting for the client admin's answer: "
        "`acceptCollaboration` applies it, `declineCollaboration` drops it.",
    )
    client_name: str = field(READ)
    client_organisation_number: str = field(READ)
    firm_name: str = field(READ)
    firm_organisation_number: str = field(READ)
    created_at: datetime.datetime = field(READ)
    activated_at: datetime.datetime | None = field(READ, description="Since when it is active.")
    ended_at: datetime.datetime | None = field(READ)
    allows: list[Area] = field(
        READ, description="The client's areas the firm reaches through this collaboration."
    )
    can_enter_company: bool = field(
        READ, description="The firm may log in to the client's company (ACTIVE and FULL)."
    )

    @classmethod
    def from_row(
        cls, row: db.Collaboration, client: tuple[str, str], firm: tuple[str, str]
    ) -> "Collaboration":
        active = row.state is CollaborationState.ACTIVE
        full = row.level is AccessLevel.FULL
        return cls(
            id=row.id,
            company_id=row.company_id,
            firm_id=row.firm_id,
            level=row.level,
            state=row.state,
            initiated_by=row.initiated_by,
            requested_level=row.requested_level,
            client_name=client[0],
            client_organisation_number=format_organisation_number(client[1]),
            firm_name=firm[0],
            firm_organisation_number=format_organisation_number(firm[1]),
            created_at=row.created_at,
            activated_at=row.activated_at,
            ended_at=row.ended_at,
            allows=(list(Area) if full else list(LIMITED_PARTNER_AREAS)) if active else [],
            can_enter_company=active and full,
        )


@strawberry.type(description="The collaboration the mutation created or changed.")
class CollaborationPayload:
    collaboration: Collaboration = field(STRUCTURAL)
