"""GraphQL types of the firm's own organisation: which of its users work on which client."""

import datetime

import strawberry
from strawberry import relay

from gql_portal.permissions.rules import FirmAdmin
from gql_portal.schema.fields import field

FIRM_ADMIN = FirmAdmin()
# A firm's clients and users a team or a user's list may hold (the cost counts them).
FIRM_LIST_BOUND = 1000


@strawberry.type(description="A client of the firm assigned to one of the firm's users.")
class FirmAssignment:
    user_id: relay.GlobalID = field(FIRM_ADMIN, description="The firm's user (a `User` id).")
    user_name: str = field(FIRM_ADMIN, description="The user's name.")
    client_id: relay.GlobalID = field(FIRM_ADMIN, description="The client (a `Company` id).")
    client_name: str = field(FIRM_ADMIN, description="The client company's name.")
    since: datetime.datetime = field(FIRM_ADMIN, description="When the assignment was made.")


@strawberry.type(description="A user of the firm who is a member of a team.")
class FirmTeamMember:
    user_id: relay.GlobalID = field(FIRM_ADMIN, description="The firm's user (a `User` id).")
    name: str = field(FIRM_ADMIN, description="The user's name.")


@strawberry.type(description="A client assigned to a team.")
class FirmTeamClient:
    client_id: relay.GlobalID = field(FIRM_ADMIN, description="The client (a `Company` id).")
    name: str = field(FIRM_ADMIN, description="The client company's name.")


@strawberry.type(
    description="A named group of the firm's users: every member reaches the team's clients."
)
class FirmTeam:
    id: relay.GlobalID = field(FIRM_ADMIN, description="The team's id (a `FirmTeam` id).")
    name: str = field(FIRM_ADMIN, description="The team's name, unique in the firm.")
    members: list[FirmTeamMember] = field(
        FIRM_ADMIN, description="The team's members, by name.", bound=FIRM_LIST_BOUND
    )
    clients: list[FirmTeamClient] = field(
        FIRM_ADMIN, description="The team's clients, by name.", bound=FIRM_LIST_BOUND
    )


@strawberry.type(description="Who of the firm's users reach which clients.")
class FirmAccessPolicy:
    unassigned_users_see_all_clients: bool = field(
        FIRM_ADMIN,
        description="True (the default): a user of the firm without any assignment reaches "
        "every client with an ACTIVE collaboration. False: a user who is not the firm's admin "
        "reaches only the clients assigned to them, directly or through a team. The firm's "
        "admins always reach every client.",
    )


@strawberry.type(description="The firm's assignments after the change.")
class FirmAssignmentsPayload:
    assignments: list[FirmAssignment] = field(
        FIRM_ADMIN, description="The user's assignments, by client name.", bound=FIRM_LIST_BOUND
    )


@strawberry.type(description="The team after the change.")
class FirmTeamPayload:
    team: FirmTeam = field(FIRM_ADMIN, description="The team.")


@strawberry.type(description="The team removed.")
class DeleteFirmTeamPayload:
    deleted_team_id: relay.GlobalID = field(FIRM_ADMIN, description="The removed team's id.")
