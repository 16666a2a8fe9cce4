"""Inside the firm (issue 20): its admins assign the firm's users to clients, directly or
through teams, and set whether unassigned users see every client.

These are the firm's own rows (gql_portal/db/firm.py): every function takes the firm from
`managed_firm` (permissions/rules.py), which only the firm's admins in the portal pass. What a
user then reaches is decided where the viewer's clients are read (gql_portal/auth.py), so the
board, every client's data, exports, downloads, enterClientCompany, node(id:) and the live
updates follow from the next request. Every change is audited and tells the firm's live
connections to read their access again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import Select, delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader

from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.firm import FirmAssignment, FirmTeam, FirmTeamClient, FirmTeamMember
from gql_portal.db.functions import swedish_sort_key
from gql_portal.db.settings import CompanySettings
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.validation import clean_text
from gql_portal.errors import AppError, Problems, bad_input
from gql_portal.live import company_access_changed, publish_after_commit
from gql_portal.permissions.matrix import Op
from gql_portal.permissions.rules import managed_firm, require_firm_clients
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.loading import paginate, request_loader
from gql_portal.resolvers.ordering import Keyset, SortKey
from gql_portal.schema import collaborations as collaboration_gql
from gql_portal.schema import firm as gql
from gql_portal.schema import portal as portal_gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.relay import After, Before, Connection, First, Last

TEAM = "FirmTeam"
UserIds = Annotated[
    list[relay.GlobalID],
    strawberry.argument(description="The firm's users (`User` ids)."),
]
ClientIds = Annotated[
    list[relay.GlobalID],
    strawberry.argument(description="Clients of the firm with an ACTIVE collaboration."),
]


def user_gid(user_id: int) -> relay.GlobalID:
    return relay.GlobalID("User", str(user_id))


def company_gid(company_id: int) -> relay.GlobalID:
    return relay.GlobalID("Company", str(company_id))


def _client_ids(ctx: RequestContext, ids: Iterable[relay.GlobalID], field: str) -> list[int]:
    return require_firm_clients(ctx.access, (node_id(i, "Company", field) for i in ids), field)


async def firm_users(
    ctx: RequestContext, session: AsyncSession, ids: Iterable[relay.GlobalID], field: str
) -> list[int]:
    """The users named, each a member of the viewer's firm (the scoped session reaches only
    the firm's memberships); NOT_FOUND naming `field` otherwise."""
    wanted = sorted({node_id(i, "User", field) for i in ids})
    if not wanted:
        return []
    found = set(
        (
            await session.execute(select(Membership.user_id).where(Membership.user_id.in_(wanted)))
        ).scalars()
    )
    if found != set(wanted):
        raise not_found("User", field)
    return wanted


def firm_changed(ctx: RequestContext, session: AsyncSession, firm_id: int) -> None:
    """The firm's users' reach changed: its live connections read their access again."""
    publish_after_commit(session, ctx.runtime.bus, company_access_changed(firm_id))


# --- assignments ------------------------------------------------------------------------------


def _assignment_rows(firm_id: int) -> Select[FirmAssignment, str, str]:
    """The firm's direct assignments with the user's and the client's names."""
    return (
        select(FirmAssignment, User.name, Company.name)
        .join(User, User.id == FirmAssignment.user_id)
        .join(Company, Company.id == FirmAssignment.client_id)
        .where(FirmAssignment.firm_id == firm_id)
    )


def _assignment_node(row: FirmAssignment, user_name: str, client_name: str) -> gql.FirmAssignment:
    return gql.FirmAssignment(
        id=row.id,
        user_id=user_gid(row.user_id),
        user_name=user_name,
        client_id=company_gid(row.client_id),
        client_name=client_name,
        since=row.created_at,
    )


async def assignments_of_user(
    session: AsyncSession, firm_id: int, user_id: int
) -> list[gql.FirmAssignment]:
    """One user's assignments, by client name (a user's list is bounded by the firm's clients)."""
    statement = (
        _assignment_rows(firm_id)
        .where(FirmAssignment.user_id == user_id)
        .order_by(swedish_sort_key(Company.name), FirmAssignment.id)
    )
    return [
        _assignment_node(row, user, client)
        for row, user, client in await session.execute(statement)
    ]


async def firm_assignment_by_id(
    ctx: RequestContext, assignment_id: int
) -> gql.FirmAssignment | None:
    """`node(id:)`: one of the firm's assignments, for the firm's admins (anyone else: none)."""
    try:
        firm_id = managed_firm(ctx.access)
    except AppError:
        return None
    async with ctx.database.scoped(ctx.access) as session:
        found = (
            await session.execute(
                _assignment_rows(firm_id).where(FirmAssignment.id == assignment_id)
            )
        ).first()
    return _assignment_node(*found) if found else None


# By user name, then client name: the order the firm's admins read them in.
BY_USER_AND_CLIENT = Keyset(
    [
        SortKey(User.name, swedish_sort_key),
        SortKey(Company.name, swedish_sort_key),
        SortKey(FirmAssignment.id),
    ]
)


async def firm_assignments(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    user_id: Annotated[
        relay.GlobalID | None,
        strawberry.argument(description="Only this user's assignments (a `User` id)."),
    ] = None,
) -> Connection[gql.FirmAssignment]:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    statement = select(FirmAssignment).where(FirmAssignment.firm_id == firm_id)
    statement = statement.join(User, User.id == FirmAssignment.user_id).join(
        Company, Company.id == FirmAssignment.client_id
    )
    if user_id is not None:
        async with ctx.database.scoped(ctx.access) as session:
            # A user outside the firm does not exist here (NOT_FOUND), as for the mutations.
            (user,) = await firm_users(ctx, session, [user_id], "userId")
        statement = statement.where(FirmAssignment.user_id == user)
    page: Connection[Any] = await paginate(
        ctx,
        statement,
        BY_USER_AND_CLIENT,
        lambda row: row,
        first=first,
        after=after,
        last=last,
        before=before,
    )
    # The page's names in one more statement (the keyset read them only as cursor values).
    ids = [edge.node.id for edge in page.edges]
    if ids:
        async with ctx.database.scoped(ctx.access) as session:
            rows = await session.execute(
                _assignment_rows(firm_id).where(FirmAssignment.id.in_(ids))
            )
            nodes = {row.id: _assignment_node(row, user, client) for row, user, client in rows}
        for edge in page.edges:
            edge.node = nodes[edge.node.id]
    return page


async def assign_clients(
    info: Ctx,
    user_id: Annotated[relay.GlobalID, strawberry.argument(description="The firm's user.")],
    client_ids: ClientIds,
) -> gql.FirmAssignmentsPayload:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    clients = _client_ids(ctx, client_ids, "clientIds")
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        (user,) = await firm_users(ctx, session, [user_id], "userId")
        existing = set(
            (
                await session.execute(
                    select(FirmAssignment.client_id).where(
                        FirmAssignment.firm_id == firm_id, FirmAssignment.user_id == user
                    )
                )
            ).scalars()
        )
        added = [client for client in clients if client not in existing]
        session.add_all(
            FirmAssignment(
                firm_id=firm_id,
                user_id=user,
                client_id=client,
                created_at=now,
                created_by_user_id=ctx.access.user_id,
            )
            for client in added
        )
        if added:
            audit(
                session, ctx, AuditAction.FIRM_CLIENTS_ASSIGNED, target_user_id=user, clients=added
            )
            firm_changed(ctx, session, firm_id)
        await session.flush()
        return gql.FirmAssignmentsPayload(
            assignments=await assignments_of_user(session, firm_id, user)
        )


async def unassign_clients(
    info: Ctx,
    user_id: Annotated[relay.GlobalID, strawberry.argument(description="The firm's user.")],
    client_ids: ClientIds,
) -> gql.FirmAssignmentsPayload:
    """Takes effect on the user's next request (and their live connections at once)."""
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    clients = _client_ids(ctx, client_ids, "clientIds")
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        (user,) = await firm_users(ctx, session, [user_id], "userId")
        removed = await session.execute(
            delete(FirmAssignment)
            .where(
                FirmAssignment.firm_id == firm_id,
                FirmAssignment.user_id == user,
                FirmAssignment.client_id.in_(clients),
            )
            .returning(FirmAssignment.client_id)
        )
        gone = sorted(removed.scalars())
        if gone:
            audit(
                session, ctx, AuditAction.FIRM_CLIENTS_UNASSIGNED, target_user_id=user, clients=gone
            )
            firm_changed(ctx, session, firm_id)
        return gql.FirmAssignmentsPayload(
            assignments=await assignments_of_user(session, firm_id, user)
        )


@dataclass(frozen=True)
class Assignee:
    user_id: int
    name: str
    since: datetime
    teams: tuple[str, ...]
    direct: bool  # assigned by name, not (only) through a team


async def assignees(ctx: RequestContext, firm_id: int, client_id: int) -> list[Assignee]:
    """The firm's users assigned to the client, directly or through teams, by name: for every
    (firm, client) asked for in the request at once, two statements."""

    async def load(pairs: Sequence[tuple[int, int]]) -> list[list[Assignee]]:
        wanted = sorted(set(pairs))
        found: dict[tuple[int, int, int], tuple[str, datetime, list[str], bool]] = {}

        def note(key: tuple[int, int, int], name: str, since: datetime, team: str | None) -> None:
            _, earliest, teams, direct = found.get(key, (name, since, [], False))
            if team is not None:
                teams.append(team)
            found[key] = (name, min(earliest, since), teams, direct or team is None)

        async with ctx.database.scoped(ctx.access) as session:
            for firm, client, user, name, since in await session.execute(
                select(
                    FirmAssignment.firm_id,
                    FirmAssignment.client_id,
                    User.id,
                    User.name,
                    FirmAssignment.created_at,
                )
                .join(User, User.id == FirmAssignment.user_id)
                .where(tuple_(FirmAssignment.firm_id, FirmAssignment.client_id).in_(wanted))
            ):
                note((firm, client, user), name, since, None)
            # Through a team: since the later of the client joining the team and the user.
            for firm, client, user, name, client_since, member_since, team in await session.execute(
                select(
                    FirmTeam.firm_id,
                    FirmTeamClient.client_id,
                    User.id,
                    User.name,
                    FirmTeamClient.created_at,
                    FirmTeamMember.created_at,
                    FirmTeam.name,
                )
                .join(FirmTeam, FirmTeam.id == FirmTeamClient.team_id)
                .join(FirmTeamMember, FirmTeamMember.team_id == FirmTeam.id)
                .join(User, User.id == FirmTeamMember.user_id)
                .where(tuple_(FirmTeam.firm_id, FirmTeamClient.client_id).in_(wanted))
                .order_by(FirmTeam.name)
            ):
                note((firm, client, user), name, max(client_since, member_since), team)
        by_pair: dict[tuple[int, int], list[Assignee]] = defaultdict(list)
        for (firm, client, user), (name, since, teams, direct) in sorted(
            found.items(), key=lambda item: (item[1][0].casefold(), item[0][2])
        ):
            by_pair[(firm, client)].append(Assignee(user, name, since, tuple(teams), direct))
        return [by_pair[pair] for pair in pairs]

    loader = request_loader(ctx, "firm_assignees", lambda: DataLoader(load))
    found: list[Assignee] = await loader.load((firm_id, client_id))
    return found


async def client_assigned_users(
    ctx: RequestContext, client_id: int
) -> list[portal_gql.AssignedUser]:
    """`PortalClient.assignedUsers`, for the firm's admins: with the teams."""
    firm_id = managed_firm(ctx.access)
    return [
        portal_gql.AssignedUser(
            user_id=user_gid(assignee.user_id),
            name=assignee.name,
            since=assignee.since,
            teams=list(assignee.teams),
        )
        for assignee in await assignees(ctx, firm_id, client_id)
    ]


async def collaboration_assignees(
    ctx: RequestContext, firm_id: int, client_id: int
) -> list[collaboration_gql.FirmAssignee]:
    """`Collaboration.assignedFirmUsers`, for the client's admins (the collaboration, already
    in the viewer's reach, names the firm and the client): names and since when, not the
    firm's teams."""
    return [
        collaboration_gql.FirmAssignee(
            company_id=client_id,
            name=assignee.name,
            since=assignee.since,
            by_name=assignee.direct,
        )
        for assignee in await assignees(ctx, firm_id, client_id)
    ]


# --- teams ------------------------------------------------------------------------------------


async def _teams(
    session: AsyncSession, firm_id: int, team_id: int | None = None
) -> list[gql.FirmTeam]:
    """The firm's teams by name, each with its members and clients: three statements."""
    statement = select(FirmTeam).where(FirmTeam.firm_id == firm_id)
    if team_id is not None:
        statement = statement.where(FirmTeam.id == team_id)
    teams = list(
        (await session.execute(statement.order_by(swedish_sort_key(FirmTeam.name)))).scalars()
    )
    ids = [team.id for team in teams]
    members: dict[int, list[gql.FirmTeamMember]] = defaultdict(list)
    for team, user, name in await session.execute(
        select(FirmTeamMember.team_id, User.id, User.name)
        .join(User, User.id == FirmTeamMember.user_id)
        .where(FirmTeamMember.team_id.in_(ids))
        .order_by(swedish_sort_key(User.name), User.id)
    ):
        members[team].append(gql.FirmTeamMember(user_id=user_gid(user), name=name))
    clients: dict[int, list[gql.FirmTeamClient]] = defaultdict(list)
    for team, company, name in await session.execute(
        select(FirmTeamClient.team_id, Company.id, Company.name)
        .join(Company, Company.id == FirmTeamClient.client_id)
        .where(FirmTeamClient.team_id.in_(ids))
        .order_by(swedish_sort_key(Company.name), Company.id)
    ):
        clients[team].append(gql.FirmTeamClient(client_id=company_gid(company), name=name))
    return [
        gql.FirmTeam(
            id=relay.GlobalID(TEAM, str(team.id)),
            name=team.name,
            members=members[team.id],
            clients=clients[team.id],
        )
        for team in teams
    ]


async def teams(info: Ctx) -> list[gql.FirmTeam]:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    async with ctx.database.scoped(ctx.access) as session:
        return await _teams(session, firm_id)


def _team_name(name: str) -> str:
    problems = Problems()
    cleaned = clean_text(problems, "name", name, max_length=100)
    problems.raise_if_any()
    return cleaned


async def _set_team(
    session: AsyncSession, team: FirmTeam, users: list[int] | None, clients: list[int] | None
) -> None:
    """Make the team's members and clients exactly those given (None: keep)."""
    now = team.updated_at
    if users is not None:
        await session.execute(delete(FirmTeamMember).where(FirmTeamMember.team_id == team.id))
        session.add_all(
            FirmTeamMember(team_id=team.id, user_id=user, created_at=now) for user in users
        )
    if clients is not None:
        await session.execute(delete(FirmTeamClient).where(FirmTeamClient.team_id == team.id))
        session.add_all(
            FirmTeamClient(team_id=team.id, client_id=client, created_at=now) for client in clients
        )
    await session.flush()


async def _save_team(ctx: RequestContext, session: AsyncSession, team: FirmTeam) -> None:
    try:
        async with session.begin_nested():
            session.add(team)
            await session.flush()
    except IntegrityError:
        raise bad_input("name", "TAKEN", "the firm already has a team of that name") from None


async def create_team(
    info: Ctx,
    name: Annotated[str, strawberry.argument(description="The team's name, unique in the firm.")],
    member_ids: UserIds,
    client_ids: ClientIds,
) -> gql.FirmTeamPayload:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    clean_name = _team_name(name)
    clients = _client_ids(ctx, client_ids, "clientIds")
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        users = await firm_users(ctx, session, member_ids, "memberIds")
        team = FirmTeam(firm_id=firm_id, name=clean_name, created_at=now, updated_at=now)
        await _save_team(ctx, session, team)
        await _set_team(session, team, users, clients)
        audit(
            session,
            ctx,
            AuditAction.FIRM_TEAM_CREATED,
            team=clean_name,
            members=users,
            clients=clients,
        )
        firm_changed(ctx, session, firm_id)
        (created,) = await _teams(session, firm_id, team.id)
    return gql.FirmTeamPayload(team=created)


async def _team(session: AsyncSession, firm_id: int, team_id: relay.GlobalID) -> FirmTeam:
    key = node_id(team_id, TEAM, "teamId")
    team = (
        await session.execute(
            select(FirmTeam).where(FirmTeam.id == key, FirmTeam.firm_id == firm_id)
        )
    ).scalar_one_or_none()
    if team is None:
        raise not_found(TEAM, "teamId")
    return team


async def update_team(
    info: Ctx,
    team_id: Annotated[
        relay.GlobalID, strawberry.argument(description="The team to change (a `FirmTeam` id).")
    ],
    name: Annotated[
        str | None, strawberry.argument(description="A new name (left out: kept).")
    ] = None,
    member_ids: Annotated[
        list[relay.GlobalID] | None,
        strawberry.argument(description="The team's members from now on (left out: kept)."),
    ] = None,
    client_ids: Annotated[
        list[relay.GlobalID] | None,
        strawberry.argument(description="The team's clients from now on (left out: kept)."),
    ] = None,
) -> gql.FirmTeamPayload:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    clients = _client_ids(ctx, client_ids, "clientIds") if client_ids is not None else None
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        team = await _team(session, firm_id, team_id)
        users = (
            await firm_users(ctx, session, member_ids, "memberIds")
            if member_ids is not None
            else None
        )
        if name is not None:
            team.name = _team_name(name)
        team.updated_at = ctx.clock.now()
        await _save_team(ctx, session, team)
        await _set_team(session, team, users, clients)
        audit(
            session,
            ctx,
            AuditAction.FIRM_TEAM_UPDATED,
            team=team.name,
            members=users,
            clients=clients,
        )
        firm_changed(ctx, session, firm_id)
        (updated,) = await _teams(session, firm_id, team.id)
    return gql.FirmTeamPayload(team=updated)


async def delete_team(
    info: Ctx,
    team_id: Annotated[relay.GlobalID, strawberry.argument(description="The team to remove.")],
) -> gql.DeleteFirmTeamPayload:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        team = await _team(session, firm_id, team_id)
        await session.delete(team)
        audit(session, ctx, AuditAction.FIRM_TEAM_DELETED, team=team.name)
        firm_changed(ctx, session, firm_id)
    return gql.DeleteFirmTeamPayload(deleted_team_id=relay.GlobalID(TEAM, str(team.id)))


# --- the firm's policy ------------------------------------------------------------------------


async def _policy(session: AsyncSession, firm_id: int) -> CompanySettings | None:
    return (
        await session.execute(select(CompanySettings).where(CompanySettings.company_id == firm_id))
    ).scalar_one_or_none()


async def firm_access_policy(info: Ctx) -> gql.FirmAccessPolicy:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    async with ctx.database.session() as session:  # the firm's own settings row
        settings = await _policy(session, firm_id)
    return gql.FirmAccessPolicy(
        unassigned_users_see_all_clients=settings is None
        or settings.unassigned_users_see_all_clients
    )


async def set_firm_access_policy(
    info: Ctx,
    unassigned_users_see_all_clients: Annotated[
        bool,
        strawberry.argument(
            description="True: users without an assignment reach every client; false: only "
            "their assigned ones (the firm's admins always reach all)."
        ),
    ],
) -> gql.FirmAccessPolicy:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    now = ctx.clock.now()
    # The firm's own settings row: its SETTINGS area is closed in the portal, the firm's
    # admin (managed_firm) is who may change this one column of it.
    async with ctx.database.transaction() as session:
        settings = await _policy(session, firm_id)
        if settings is None:
            settings = CompanySettings(company_id=firm_id, updated_at=now)
            session.add(settings)
        previous = settings.unassigned_users_see_all_clients is not False
        settings.unassigned_users_see_all_clients = unassigned_users_see_all_clients
        settings.updated_at = now
        if previous != unassigned_users_see_all_clients:
            audit(
                session,
                ctx,
                AuditAction.FIRM_ACCESS_POLICY_SET,
                unassigned_users_see_all_clients=unassigned_users_see_all_clients,
            )
            firm_changed(ctx, session, firm_id)
    return gql.FirmAccessPolicy(unassigned_users_see_all_clients=unassigned_users_see_all_clients)


# --- the domain's root fields -----------------------------------------------------------------


@strawberry.type
class Queries:
    firm_assignments = field(
        gql.FIRM_ADMIN,
        firm_assignments,
        description="The firm's users' direct assignments to clients (teams: `teams`), by "
        "user name, then client name.",
    )
    teams = field(
        gql.FIRM_ADMIN,
        teams,
        description="The firm's teams, by name, with their members and clients.",
        bound=gql.TEAMS_BOUND,
    )
    firm_access_policy = field(
        gql.FIRM_ADMIN,
        firm_access_policy,
        description="Whether the firm's users without an assignment reach every client.",
    )


@strawberry.type
class Mutations:
    assign_clients = mutation(
        gql.FIRM_ADMIN,
        assign_clients,
        description="Assign clients to a user of the firm (already assigned ones are kept).",
    )
    unassign_clients = mutation(
        gql.FIRM_ADMIN,
        unassign_clients,
        description="Take clients from a user of the firm; counts from their next request.",
    )
    create_team = mutation(
        gql.FIRM_ADMIN, create_team, description="A new team of the firm's users and clients."
    )
    update_team = mutation(
        gql.FIRM_ADMIN,
        update_team,
        description="Rename a team, or set its members or clients (each list replaces).",
    )
    delete_team = mutation(
        gql.FIRM_ADMIN,
        delete_team,
        description="Remove a team; its members keep only their other assignments.",
    )
    set_firm_access_policy = mutation(
        gql.FIRM_ADMIN,
        set_firm_access_policy,
        description="Whether the firm's users without an assignment reach every client.",
    )
