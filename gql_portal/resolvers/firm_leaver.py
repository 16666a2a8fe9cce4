"""When a user leaves the firm (issue 20, point 4): the leaver report and moving clients in bulk.

The report lists the clients a user of the firm is assigned to, directly or through teams, and
where nobody else of the firm is. For a user still in the firm it is read from the assignments;
a removed user's assignments were deleted with their membership (`removeUser`), and the removal's
USER_REMOVED event in the firm's audit trail kept what they were (db/firm.py `UserAssignments`):
the report of a removed user is read from the newest such event, so it outlives the removal
without a table of its own. Either way it lists only clients whose collaboration is still ACTIVE,
and counts their other assignees as they are now.

`reassignClients` moves clients from one user (present or removed) to another: each client gets
a direct assignment of the receiving user, the giving user's direct assignment of it ends (their
teams are left as they are: `updateTeam`); audited per client. Statements do not grow with the
number of clients.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import delete, desc, insert, select
from strawberry import relay

from gql_portal.audit import record_all
from gql_portal.context import RequestContext
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.firm import FirmAssignment, UserAssignments, user_assignments
from gql_portal.db.functions import swedish_sort_key
from gql_portal.domain.audit import AuditAction
from gql_portal.errors import bad_input
from gql_portal.permissions.matrix import Op
from gql_portal.permissions.rules import firm_clients_among, managed_firm, require_firm_clients
from gql_portal.resolvers.audit import audit_values
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.resolvers.firm import (
    assignees,
    assignments_of_user,
    company_gid,
    firm_changed,
    firm_users,
    user_gid,
)
from gql_portal.schema import firm as gql
from gql_portal.schema.fields import field, mutation


@dataclass(frozen=True)
class Leaver:
    """A user of the firm, or one removed from it, with what they are (were) assigned to."""

    user_id: int
    name: str
    removed_at: datetime | None
    assignments: UserAssignments


async def _leaver(ctx: RequestContext, firm_id: int, user_id: int, field: str) -> Leaver:
    """The user as a member of the firm, else as removed from it (the removal's event); a user
    never in the firm does not exist here: NOT_FOUND naming `field`."""
    async with ctx.database.scoped(ctx.access) as session:
        # The scoped session reaches the memberships of the viewer's firm only.
        name = await session.scalar(
            select(User.name)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.user_id == user_id)
        )
        if name is not None:
            return Leaver(user_id, name, None, await user_assignments(session, firm_id, user_id))
    # The firm's own trail, read as its admin (managed_firm decided): not a client's data.
    async with ctx.database.session() as session:
        removal = (
            await session.execute(
                select(AuditEvent.at, AuditEvent.details, User.name)
                .join(User, User.id == user_id)
                .where(
                    AuditEvent.company_id == firm_id,
                    AuditEvent.action == AuditAction.USER_REMOVED.value,
                    AuditEvent.details["target_user_id"].as_integer() == user_id,
                )
                .order_by(desc(AuditEvent.id))
                .limit(1)
            )
        ).first()
    if removal is None:
        raise not_found("User", field)
    at, details, name = removal
    return Leaver(user_id, name, at, UserAssignments.from_details(details))


async def _report(ctx: RequestContext, firm_id: int, leaver: Leaver) -> gql.FirmLeaverReport:
    """The report of `leaver`: three statements, whatever the number of clients."""
    clients = firm_clients_among(ctx.access, leaver.assignments.all_clients)
    async with ctx.database.scoped(ctx.access) as session:
        names = list(
            await session.execute(
                select(Company.id, Company.name)
                .where(Company.id.in_(clients))
                .order_by(swedish_sort_key(Company.name), Company.id)
            )
        )
    # Everyone assigned to these clients now, for all of them at once (two statements).
    now_assigned = await asyncio.gather(*(assignees(ctx, firm_id, client) for client, _ in names))
    direct = set(leaver.assignments.clients)
    report = []
    for (client, name), everyone in zip(names, now_assigned, strict=True):
        others = sum(1 for assignee in everyone if assignee.user_id != leaver.user_id)
        report.append(
            gql.FirmLeaverClient(
                client_id=company_gid(client),
                client_name=name,
                by_name=client in direct,
                teams=sorted(
                    team
                    for team, team_clients in leaver.assignments.teams.items()
                    if client in team_clients
                ),
                other_assignees=others,
                only_assignee=others == 0,
            )
        )
    return gql.FirmLeaverReport(
        user_id=user_gid(leaver.user_id),
        name=leaver.name,
        removed_at=leaver.removed_at,
        clients=report,
    )


async def firm_leaver_report(
    info: Ctx,
    user_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="A user of the firm, or one removed from it (a `User` id)."
        ),
    ],
) -> gql.FirmLeaverReport:
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    leaver = await _leaver(ctx, firm_id, node_id(user_id, "User", "userId"), "userId")
    return await _report(ctx, firm_id, leaver)


async def reassign_clients(
    info: Ctx,
    from_user_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The user the clients move from: of the firm, or removed from it."
        ),
    ],
    to_user_id: Annotated[
        relay.GlobalID, strawberry.argument(description="The firm's user who takes them over.")
    ],
    client_ids: Annotated[
        list[relay.GlobalID] | None,
        strawberry.argument(
            description="Which of the giving user's clients (left out: all of them, directly "
            "and through teams, with an ACTIVE collaboration)."
        ),
    ] = None,
) -> gql.ReassignClientsPayload:
    """Each client: a direct assignment of the receiving user (kept if there is one), and the
    giving user's direct assignment of it ends; one audit event per client."""
    ctx = info.context
    firm_id = managed_firm(ctx.access)
    giver = node_id(from_user_id, "User", "fromUserId")
    leaver = await _leaver(ctx, firm_id, giver, "fromUserId")
    theirs = firm_clients_among(ctx.access, leaver.assignments.all_clients)
    if client_ids is None:
        clients = theirs
    else:
        clients = require_firm_clients(
            ctx.access, (node_id(i, "Company", "clientIds") for i in client_ids), "clientIds"
        )
        if not set(clients) <= set(theirs):
            raise bad_input(
                "clientIds", "NOT_ASSIGNED", "names a client not assigned to the giving user"
            )
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        (taker,) = await firm_users(ctx, session, [to_user_id], "toUserId")
        if taker == giver:
            raise bad_input("toUserId", "SAME_USER", "give the clients to another user")
        held = set(
            await session.scalars(
                select(FirmAssignment.client_id).where(
                    FirmAssignment.firm_id == firm_id,
                    FirmAssignment.user_id == taker,
                    FirmAssignment.client_id.in_(clients),
                )
            )
        )
        added = [
            {
                "firm_id": firm_id,
                "user_id": taker,
                "client_id": client,
                "created_at": now,
                "created_by_user_id": ctx.access.user_id,
            }
            for client in clients
            if client not in held
        ]
        if added:  # in one statement, as the events
            await session.execute(insert(FirmAssignment), added)
        await session.execute(
            delete(FirmAssignment)
            .where(
                FirmAssignment.firm_id == firm_id,
                FirmAssignment.user_id == giver,
                FirmAssignment.client_id.in_(clients),
            )
            .execution_options(synchronize_session=False)
        )
        await record_all(
            session,
            [
                audit_values(
                    ctx,
                    AuditAction.FIRM_CLIENTS_REASSIGNED,
                    client_id=client,
                    from_user_id=giver,
                    to_user_id=taker,
                )
                for client in clients
            ],
        )
        if clients:
            firm_changed(ctx, session, firm_id)
        assignments = await assignments_of_user(session, firm_id, taker)
    after = await _leaver(ctx, firm_id, giver, "fromUserId")
    return gql.ReassignClientsPayload(
        assignments=assignments, report=await _report(ctx, firm_id, after)
    )


# --- the domain's root fields -----------------------------------------------------------------


@strawberry.type
class Queries:
    firm_leaver_report = field(
        gql.FIRM_ADMIN,
        firm_leaver_report,
        description="The clients a user of the firm is assigned to, directly or through teams "
        "(a removed user: was, when removed), each with whether they are its only assignee.",
    )


@strawberry.type
class Mutations:
    reassign_clients = mutation(
        gql.FIRM_ADMIN,
        reassign_clients,
        description="Move clients from one user of the firm (or a removed one) to another: a "
        "direct assignment for the receiving user, the giving user's direct one ends. Audited "
        "per client (FIRM_CLIENTS_REASSIGNED).",
    )
