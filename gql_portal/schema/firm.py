"""GraphQL types of the firm's own organisation: which of its users work on which client."""

import datetime

import strawberry
from strawberry import relay

from gql_portal.permissions.rules import FirmAdmin
from gql_portal.schema.fields import field

FIRM_ADMIN = FirmAdmin()
# A firm's clients and users a team or a user's list may hold (the cost counts them).
FIRM_LIST_BOUND = 1000
# The firm's teams, and a team's members and clients: `teams` with both lists stays within the
# cost limit (100 + 100 × 2 × 500 nodes), and one team (a payload) may hold 500 of each.
TEAMS_BOUND = 100
TEAM_LIST_BOUND = 500


@strawberry.type(description="A client of the firm assigned to one of the firm's users.")
class FirmAssignment(relay.Node):
    id: relay.NodeID[int]
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
        FIRM_ADMIN, description="The team's members, by name.", bound=TEAM_LIST_BOUND
    )
    clients: list[FirmTeamClient] = field(
        FIRM_ADMIN, description="The team's clients, by name.", bound=TEAM_LIST_BOUND
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


# A user's teams through which one client is assigned: counted per client in the cost (one
# client may hold more).
LEAVER_TEAMS_BOUND = 10


@strawberry.type(description="A client in a leaver report: how it is assigned to the user.")
class FirmLeaverClient:
    client_id: relay.GlobalID = field(FIRM_ADMIN, description="The client (a `Company` id).")
    client_name: str = field(FIRM_ADMIN, description="The client company's name.")
    by_name: bool = field(
        FIRM_ADMIN, description="Assigned to the user directly (by name), not only through teams."
    )
    teams: list[str] = field(
        FIRM_ADMIN,
        description="The user's teams through which the client is assigned, by name.",
        bound=LEAVER_TEAMS_BOUND,
    )
    other_assignees: int = field(
        FIRM_ADMIN,
        description="How many other users of the firm are assigned to the client now, directly "
        "or through a team.",
    )
    only_assignee: bool = field(
        FIRM_ADMIN,
        description="The user is (or, removed, was) the client's only assignee: nobody else of "
        "the firm is assigned to it now. Reassign it (`reassignClients`) before the client is "
        "left to the firm's admins alone (or, with the firm's policy, to every user).",
    )


@strawberry.type(
    description="The clients a user of the firm is assigned to (directly or through teams), or "
    "was when removed from the firm, and where nobody else is."
)
class FirmLeaverReport:
    user_id: relay.GlobalID = field(FIRM_ADMIN, description="The user (a `User` id).")
    name: str = field(FIRM_ADMIN, description="The user's name.")
    removed_at: datetime.datetime | None = field(
        FIRM_ADMIN,
        description="When the user was removed from the firm (the report is then what they "
        "were assigned to at that moment); null while they are in the firm.",
    )
    clients: list[FirmLeaverClient] = field(
        FIRM_ADMIN,
        description="The clients, by name: only those still with an ACTIVE collaboration.",
        bound=FIRM_LIST_BOUND,
    )


@strawberry.type(description="The clients moved from one user of the firm to another.")
class ReassignClientsPayload:
    assignments: list[FirmAssignment] = field(
        FIRM_ADMIN,
        description="The receiving user's assignments after the change, by client name.",
        bound=FIRM_LIST_BOUND,
    )
    report: FirmLeaverReport = field(
        FIRM_ADMIN, description="The leaver report of the user the clients were moved from."
    )
