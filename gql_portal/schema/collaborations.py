"""GraphQL types of collaborations between accounting firms and their clients."""

import datetime
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import strawberry
from strawberry import relay
from strawberry.types import Info

from gql_portal.context import RequestContext
from gql_portal.db import collaborations as db
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.domain.identity import shown_organisation_number
from gql_portal.permissions.matrix import LIMITED_PARTNER_AREAS, Area, Op
from gql_portal.permissions.rules import (
    AreaRule,
    CollaborationRule,
    FirmAdmin,
    Structural,
    sees_owner_identity,
)
from gql_portal.schema.fields import describe_values, field, resolver_field
from gql_portal.schema.plugs import Plug

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
describe_values(
    AccessLevel,
    {
        "FULL": "The firm's users may log in to the client's company with its admin's rights "
        "(`enterClientCompany`); in the portal they see what LIMITED sees.",
        "LIMITED": "The firm sees and exports employees' contact and salary details, the "
        "payroll basis, expenses and receipts; it edits contact and salary details.",
    },
)
describe_values(
    CollaborationState,
    {
        "PENDING": "Proposed by one side, waiting for the other to accept or decline.",
        "ACTIVE": "Accepted: the firm reaches the client's data at the collaboration's level.",
        "DECLINED": "The other side declined the proposal; the firm reaches nothing.",
        "ENDED": "Ended by either side; the firm's sessions lost the client at once.",
    },
)
describe_values(
    Initiator,
    {
        "CLIENT": "The client's admin invited the firm (`inviteFirm`).",
        "FIRM": "The firm asked the client (`requestCollaboration`).",
    },
)

READ = CollaborationRule()
MASKED = (
    "NNNNNN-NNNN. A sole trader's (its owner's personnummer) is YYMMDD-**** to all but the "
    "company's own admins and FULL partners inside it (`Company.organisationNumber`)."
)
STRUCTURAL = Structural()


# The client's admins (COLLABORATIONS, manage: the client's side of the collaboration) see who
# of the firm's users work on the company; the firm's partners do not see it here.
CLIENTS_SIDE = AreaRule(Area.COLLABORATIONS, Op.MANAGE)
if TYPE_CHECKING:
    AssigneesOf = Callable[[RequestContext, int, int], Awaitable[list["FirmAssignee"]]]
# Read by the firm's resolvers: schema/root.py plugs them in.
ASSIGNEES: "Plug[AssigneesOf]" = Plug("Collaboration.assignedFirmUsers")
FIRM_ASSIGNEES_BOUND = 100


@strawberry.type(description="A user of the firm assigned to work on the client company.")
class FirmAssignee:
    company_id: strawberry.Private[int]  # the client's
    name: str = field(CLIENTS_SIDE, description="The firm's user's name.")
    since: datetime.datetime = field(
        CLIENTS_SIDE,
        description="Since when they are assigned to the company (directly or through a team "
        "of the firm).",
    )
    by_name: bool = field(
        CLIENTS_SIDE,
        description="Assigned to the company by name; false: only through a team of the firm "
        "(the team's members are listed by name all the same).",
    )


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
    client_digits: strawberry.Private[str]
    firm_digits: strawberry.Private[str]
    client_name: str = field(READ)
    firm_name: str = field(READ)
    created_at: datetime.datetime = field(READ)
    activated_at: datetime.datetime | None = field(READ, description="Since when it is active.")
    ended_at: datetime.datetime | None = field(READ)
    allows: list[Area] = field(
        READ, description="The client's areas the firm reaches through this collaboration."
    )
    can_enter_company: bool = field(
        READ, description="The firm may log in to the client's company (ACTIVE and FULL)."
    )
    named_assignment_required: bool = field(
        READ,
        description="The client requires named assignment (`CompanySettings."
        "requireNamedAssignment`): only the firm's users assigned to the client, by name or "
        "through a team, reach it (and the firm's admins), whatever the firm's policy.",
    )

    @resolver_field(
        CLIENTS_SIDE,
        description="The firm's users assigned to work on the company, by name. (The firm's "
        "admins reach the company whether assigned or not, and so do its other users unless "
        "the firm lets only assigned users in.) Null, with a FORBIDDEN error, for the firm's "
        "partners inside the company: the rest of the collaboration still answers.",
        bound=FIRM_ASSIGNEES_BOUND,
    )
    async def assigned_firm_users(
        self, info: Info[RequestContext, None]
    ) -> list[FirmAssignee] | None:
        return await ASSIGNEES.resolver(info.context, self.firm_id, self.company_id)

    @resolver_field(READ, description=MASKED)
    def client_organisation_number(self, info: Info[RequestContext, None]) -> str:
        in_full = sees_owner_identity(info.context.access, self.company_id)
        return shown_organisation_number(self.client_digits, in_full=in_full)

    @resolver_field(READ, description=MASKED)
    def firm_organisation_number(self, info: Info[RequestContext, None]) -> str:
        in_full = sees_owner_identity(info.context.access, self.firm_id)
        return shown_organisation_number(self.firm_digits, in_full=in_full)

    @classmethod
    def from_row(
        cls,
        row: db.Collaboration,
        client: tuple[str, str],
        firm: tuple[str, str],
        *,
        named_assignment_required: bool,
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
            client_digits=client[1],
            firm_digits=firm[1],
            client_name=client[0],
            firm_name=firm[0],
            created_at=row.created_at,
            activated_at=row.activated_at,
            ended_at=row.ended_at,
            allows=(list(Area) if full else list(LIMITED_PARTNER_AREAS)) if active else [],
            can_enter_company=active and full,
            named_assignment_required=named_assignment_required,
        )


@strawberry.type(description="The collaboration the mutation created or changed.")
class CollaborationPayload:
    collaboration: Collaboration = field(STRUCTURAL)


# The clients one bulk change may name (a firm's clients, as its lists hold them).
BULK_BOUND = 1000
FIRM_ADMIN = FirmAdmin()


@strawberry.type(
    description="One client of a bulk change of the firm's collaborations: what changed (on a "
    "dry run: what would change), or why not."
)
class BulkCollaborationResult:
    client_id: relay.GlobalID = field(FIRM_ADMIN, description="The client (a `Company` id).")
    collaboration: Collaboration | None = field(
        FIRM_ADMIN,
        description="The firm's open collaboration with the client, after the change (on a dry "
        "run: as it is); null when there is none (NOT_FOUND).",
    )
    changes: bool = field(
        FIRM_ADMIN, description="The change was made (on a dry run: would be made)."
    )
    state: CollaborationState | None = field(
        FIRM_ADMIN,
        description="The collaboration's state after the change (on a dry run: would be); "
        "null when it does not change.",
    )
    requested_level: AccessLevel | None = field(
        FIRM_ADMIN,
        description="The level asked of the client after the change (on a dry run: would be); "
        "null when it does not change or none is asked.",
    )
    error_code: str | None = field(
        FIRM_ADMIN,
        description="Why not, when it does not change: NOT_FOUND (no ACTIVE or PENDING "
        "collaboration of the firm with the client), NOT_ACTIVE (a level needs an ACTIVE one), "
        "UNCHANGED (it has the level already), ALREADY_REQUESTED (the level is asked already).",
    )
    message: str | None = field(FIRM_ADMIN, description="Why not, in words.")


@strawberry.type(description="Per client, in the order asked, what the bulk change did.")
class BulkCollaborationsPayload:
    dry_run: bool = field(FIRM_ADMIN, description="Nothing was changed: only answered.")
    results: list[BulkCollaborationResult] = field(
        FIRM_ADMIN, description="One per client named (once each).", bound=BULK_BOUND
    )
