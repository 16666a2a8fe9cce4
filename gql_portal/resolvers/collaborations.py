"""Collaborations: a client admin invites a firm or a firm asks a client; the other side
answers; the client sets the level, or answers the firm's level request; either side ends it.
FULL partners enter the client's company. Every step is audited and mailed to the other side's
admins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import strawberry
from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay

from gql_portal import mailtexts
from gql_portal.audit import record_all
from gql_portal.auth import access_for_token
from gql_portal.context import RequestContext
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.firm import named_assignment_required
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.collaborations import (
    AccessLevel,
    CollaborationState,
    Initiator,
    pending_level_request,
)
from gql_portal.domain.identity import InvalidNumber, normalize_organisation_number
from gql_portal.errors import bad_input
from gql_portal.live import Topic, company_access_changed, publish_after_commit, publish_change
from gql_portal.mailer import mail_values, queue_mails
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import (
    CollaborationRule,
    FirmAdmin,
    PartnerPortal,
    SignedIn,
    managed_firm,
    portal_firm,
    require_enterable_client,
    require_level_answerer,
)
from gql_portal.resolvers.accounts import build_viewer
from gql_portal.resolvers.audit import audit, audit_values
from gql_portal.resolvers.common import Ctx, node_id, not_found
from gql_portal.schema import collaborations as gql
from gql_portal.schema.accounts import ViewerPayload
from gql_portal.schema.fields import field, mutation

TYPE = "Collaboration"
OPEN_STATES = (CollaborationState.PENDING, CollaborationState.ACTIVE)


async def collaboration_nodes(
    session: AsyncSession, rows: list[Collaboration]
) -> list[gql.Collaboration]:
    return nodes_of_parties(rows, await collaboration_parties(session, rows))


async def collaboration_parties(
    session: AsyncSession, rows: list[Collaboration], *also: InstrumentedAttribute[Any]
) -> dict[int, Row[*tuple[Any, ...]]]:
    """The collaborations' parties (clients and firms) by id, as columns: `name`,
    `organisation_number`, `named_assignment_required` (the client's condition on its
    collaborations) and the `also` columns of Company (one read for a caller that shows more
    of the companies, the client board)."""
    ids = {row.company_id for row in rows} | {row.firm_id for row in rows}
    parties = await session.execute(
        select(
            Company.id,
            Company.name,
            Company.organisation_number,
            named_assignment_required(Company.id).label("named_assignment_required"),
            *also,
        ).where(Company.id.in_(ids))
    )
    return {party.id: party for party in parties}


def nodes_of_parties(
    rows: list[Collaboration], parties: dict[int, Row[*tuple[Any, ...]]]
) -> list[gql.Collaboration]:
    """The collaborations with their parties' names (`collaboration_parties`)."""
    nodes = []
    for row in rows:
        client, firm = parties[row.company_id], parties[row.firm_id]
        nodes.append(
            gql.Collaboration.from_row(
                row,
                (client.name, client.organisation_number),
                (firm.name, firm.organisation_number),
                named_assignment_required=bool(client.named_assignment_required),
            )
        )
    return nodes


async def collaborations_by_id(
    ctx: RequestContext, collaboration_id: int
) -> gql.Collaboration | None:
    async with ctx.database.scoped(ctx.access) as session:
        row = await session.scalar(
            select(Collaboration).where(Collaboration.id == collaboration_id)
        )
        return (await collaboration_nodes(session, [row]))[0] if row else None


async def collaborations(
    info: Ctx,
    states: Annotated[
        list[CollaborationState] | None,
        strawberry.argument(
            description="Only collaborations in these states (default: every state)."
        ),
    ] = None,
) -> list[gql.Collaboration]:
    """The collaborations the viewer's company is part of: as the client, or as the firm."""
    ctx = info.context
    statement = select(Collaboration).order_by(Collaboration.created_at.desc(), Collaboration.id)
    if states:
        statement = statement.where(Collaboration.state.in_(states))
    async with ctx.database.scoped(ctx.access) as session:
        rows = list((await session.scalars(statement)).all())
        return await collaboration_nodes(session, rows)


# --- helpers ----------------------------------------------------------------------------------


async def _company_by_number(session: AsyncSession, raw: str) -> Company:
    try:
        number = normalize_organisation_number(raw)
    except InvalidNumber as error:
        raise bad_input("organisationNumber", error.reason, str(error)) from None
    company = await session.scalar(select(Company).where(Company.organisation_number == number))
    if company is None:
        raise bad_input(
            "organisationNumber", "NO_SUCH_COMPANY", "no company with this number uses the service"
        )
    return company


async def _notify(
    session: AsyncSession,
    ctx: RequestContext,
    row: Collaboration,
    action: AuditAction,
    *,
    to_company: int,
    **details: Any,
) -> None:
    """Mail the admins of the other side, and audit the step for both companies."""
    await _notify_many(session, ctx, [(row, to_company)], action, **details)


async def _notify_many(
    session: AsyncSession,
    ctx: RequestContext,
    steps: Sequence[tuple[Collaboration, int]],
    action: AuditAction,
    **details: Any,
) -> None:
    """`_notify` for many collaborations at once (each with the company to mail): four
    statements, whatever their number."""
    ids = {row.company_id for row, _ in steps} | {row.firm_id for row, _ in steps}
    names: dict[int, str] = {
        company_id: name
        for company_id, name in await session.execute(
            select(Company.id, Company.name).where(Company.id.in_(ids))
        )
    }
    # The other side's admins are outside the viewer's row scope: a system read.
    admins: dict[int, list[str]] = defaultdict(list)
    async with ctx.database.session() as system:
        for company_id, email in await system.execute(
            select(Membership.company_id, User.email)
            .join(User, User.id == Membership.user_id)
            .where(
                Membership.company_id.in_({to_company for _, to_company in steps}),
                Membership.role == Role.ADMIN,
            )
            .order_by(Membership.id)
        ):
            admins[company_id].append(email)
    changed_access: set[int] = set()
    mails: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row, to_company in steps:
        text = mailtexts.collaboration_event(
            action.collaboration_event,
            firm=names[row.firm_id],
            client=names[row.company_id],
            level=(row.requested_level or row.level).value,
        )
        mails.extend(
            mail_values(
                ctx.clock,
                to=email,
                subject=text.subject,
                body=text.body,
                kind=action.value,
                company_id=to_company,
            )
            for email in admins[to_company]
        )
        # Live updates once committed: both sides' connections read their access again, and
        # `collaborationChanged` and the firm's client board hear of it.
        publish_change(session, ctx.runtime.bus, Topic.COLLABORATION, row.company_id, row.id)
        for company_id in (row.company_id, row.firm_id):
            changed_access.add(company_id)
            events.append(
                audit_values(
                    ctx,
                    action,
                    company_id=company_id,
                    collaboration_id=row.id,
                    firm_id=row.firm_id,
                    client_id=row.company_id,
                    level=row.level.value,
                    state=row.state.value,
                    **details,
                )
            )
    # Each written in one statement, with the change (the mails are sent once it commits).
    await queue_mails(session, mails)
    await record_all(session, events)
    for company_id in sorted(changed_access):
        publish_after_commit(session, ctx.runtime.bus, company_access_changed(company_id))


async def _load(session: AsyncSession, id: relay.GlobalID) -> Collaboration:
    row = await session.scalar(
        select(Collaboration).where(Collaboration.id == node_id(id, TYPE)).with_for_update()
    )
    if row is None:
        raise not_found(TYPE)
    return row


def _require_state(row: Collaboration, *states: CollaborationState) -> None:
    if row.state not in states:
        raise bad_input("id", f"NOT_{states[0].value}", f"the collaboration is {row.state.value}")


async def _payload(session: AsyncSession, row: Collaboration) -> gql.CollaborationPayload:
    return gql.CollaborationPayload(collaboration=(await collaboration_nodes(session, [row]))[0])


def _other_side(ctx: RequestContext, row: Collaboration) -> int:
    return (
        row.company_id
        if ctx.access.company_id == row.firm_id or ctx.access.acting_firm_id == row.firm_id
        else row.firm_id
    )


# --- the client's side ------------------------------------------------------------------------


async def invite_firm(
    info: Ctx,
    organisation_number: Annotated[
        str,
        strawberry.argument(
            description="The accounting firm's organisation number, 10 digits (556677-8899)."
        ),
    ],
    level: Annotated[
        AccessLevel, strawberry.argument(description="The access the firm gets once it accepts.")
    ],
) -> gql.CollaborationPayload:
    ctx = info.context
    now = ctx.clock.now()
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            firm = await _company_by_number(session, organisation_number)
            if not firm.is_accounting_firm:
                raise bad_input(
                    "organisationNumber",
                    "NOT_AN_ACCOUNTING_FIRM",
                    "only companies with industry ACCOUNTING_PARTNER can be partner firms",
                )
            if firm.id == ctx.access.company_id:
                raise bad_input(
                    "organisationNumber", "SELF", "a company cannot collaborate with itself"
                )
            row = Collaboration(
                company_id=ctx.access.company_id,
                firm_id=firm.id,
                level=level,
                state=CollaborationState.PENDING,
                initiated_by=Initiator.CLIENT,
                created_at=now,
                created_by_user_id=ctx.access.user_id,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            await _notify(session, ctx, row, AuditAction.COLLABORATION_INVITED, to_company=firm.id)
            payload = await _payload(session, row)
    except IntegrityError:
        raise bad_input(
            "organisationNumber",
            "TAKEN",
            "there already is a pending or active collaboration with this firm",
        ) from None
    ctx.runtime.wake_mailer()
    return payload


async def change_collaboration_level(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The ACTIVE collaboration to change (a `Collaboration` id)."
        ),
    ],
    level: Annotated[
        AccessLevel,
        strawberry.argument(description="The new level, in effect on the firm's next request."),
    ],
) -> gql.CollaborationPayload:
    """The client admin sets the level, with effect on the firm's very next request."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        row = await _load(session, id)
        _require_state(row, CollaborationState.ACTIVE)
        row.level, row.requested_level, row.updated_at = level, None, ctx.clock.now()
        await _notify(
            session, ctx, row, AuditAction.COLLABORATION_LEVEL_CHANGED, to_company=row.firm_id
        )
        payload = await _payload(session, row)
    ctx.runtime.wake_mailer()
    return payload


# --- either side ------------------------------------------------------------------------------


async def _answer_level_request(
    session: AsyncSession,
    ctx: RequestContext,
    row: Collaboration,
    requested: AccessLevel,
    *,
    accept: bool,
    level: AccessLevel | None = None,
) -> gql.CollaborationPayload:
    """The client admin's answer to the firm's pending level request: accepted, the requested
    level applies; declined, the collaboration stays ACTIVE at its level."""
    require_level_answerer(ctx.access, row.company_id)
    if accept and level not in (None, requested):
        raise bad_input(
            "level",
            "NOT_REQUESTED",
            f"the firm asked for {requested.value}; set another level with "
            "changeCollaborationLevel",
        )
    if accept:
        row.level = requested
    row.requested_level, row.updated_at = None, ctx.clock.now()
    action = (
        AuditAction.COLLABORATION_LEVEL_ACCEPTED
        if accept
        else AuditAction.COLLABORATION_LEVEL_DECLINED
    )
    await _notify(
        session, ctx, row, action, to_company=row.firm_id, requested_level=requested.value
    )
    return await _payload(session, row)


async def accept_collaboration(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The PENDING proposal to accept, or the ACTIVE collaboration whose "
            "level request to accept (a `Collaboration` id)."
        ),
    ],
    level: Annotated[
        AccessLevel | None,
        strawberry.argument(
            description="A client accepting a firm's request may set another level "
            "(default: the one proposed)."
        ),
    ] = None,
) -> gql.CollaborationPayload:
    """The invited side accepts; a client accepting a firm's request may change the level. On
    an ACTIVE collaboration, the client admin accepts the firm's pending level request."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _load(session, id)
        requested = pending_level_request(row.state, row.level, row.requested_level)
        if requested is not None:
            payload = await _answer_level_request(
                session, ctx, row, requested, accept=True, level=level
            )
        else:
            _require_state(row, CollaborationState.PENDING)
            client_side = (
                row.company_id == ctx.access.company_id and ctx.access.acting_firm_id is None
            )
            if (row.initiated_by is Initiator.CLIENT) == client_side:
                raise bad_input("id", "OWN_PROPOSAL", "the other side answers this proposal")
            if level is not None:
                if not client_side:
                    raise bad_input("level", "CLIENT_DECIDES", "only the client changes the level")
                row.level = level
            now = ctx.clock.now()
            row.state, row.activated_at, row.updated_at = CollaborationState.ACTIVE, now, now
            await _notify(
                session,
                ctx,
                row,
                AuditAction.COLLABORATION_ACCEPTED,
                to_company=_other_side(ctx, row),
            )
            payload = await _payload(session, row)
    ctx.runtime.wake_mailer()
    return payload


async def decline_collaboration(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The PENDING proposal, or the ACTIVE collaboration whose level "
            "request, to decline (a `Collaboration` id)."
        ),
    ],
) -> gql.CollaborationPayload:
    """Either side declines a PENDING proposal. On an ACTIVE collaboration, the client admin
    declines the firm's pending level request: it stays ACTIVE at its level."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _load(session, id)
        requested = pending_level_request(row.state, row.level, row.requested_level)
        if requested is not None:
            payload = await _answer_level_request(session, ctx, row, requested, accept=False)
        else:
            _require_state(row, CollaborationState.PENDING)
            row.state, row.updated_at = CollaborationState.DECLINED, ctx.clock.now()
            await _notify(
                session,
                ctx,
                row,
                AuditAction.COLLABORATION_DECLINED,
                to_company=_other_side(ctx, row),
            )
            payload = await _payload(session, row)
    ctx.runtime.wake_mailer()
    return payload


async def end_collaboration(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The ACTIVE or PENDING collaboration to end at once (a `Collaboration` id)."
        ),
    ],
) -> gql.CollaborationPayload:
    """Either side ends it at once: the firm's sessions lose the client on their next request."""
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _load(session, id)
        _require_state(row, CollaborationState.ACTIVE, CollaborationState.PENDING)
        now = ctx.clock.now()
        row.state, row.ended_at, row.updated_at = CollaborationState.ENDED, now, now
        await _notify(
            session, ctx, row, AuditAction.COLLABORATION_ENDED, to_company=_other_side(ctx, row)
        )
        payload = await _payload(session, row)
    ctx.runtime.wake_mailer()
    return payload


# --- the firm's side --------------------------------------------------------------------------


async def request_collaboration(
    info: Ctx,
    organisation_number: Annotated[
        str,
        strawberry.argument(
            description="The client company's organisation number, 10 digits (556677-8899), "
            "or a sole trader's personnummer."
        ),
    ],
    level: Annotated[
        AccessLevel,
        strawberry.argument(
            description="The access the firm asks for; the client may change it when accepting."
        ),
    ],
) -> gql.CollaborationPayload:
    ctx = info.context
    now = ctx.clock.now()
    try:
        async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
            client = await _company_by_number(session, organisation_number)
            if client.id == ctx.access.company_id:
                raise bad_input(
                    "organisationNumber", "SELF", "a company cannot collaborate with itself"
                )
            row = Collaboration(
                company_id=client.id,
                firm_id=ctx.access.company_id,
                level=level,
                state=CollaborationState.PENDING,
                initiated_by=Initiator.FIRM,
                created_at=now,
                created_by_user_id=ctx.access.user_id,
                updated_at=now,
            )
            session.add(row)
            await session.flush()
            await _notify(
                session, ctx, row, AuditAction.COLLABORATION_REQUESTED, to_company=client.id
            )
            payload = await _payload(session, row)
    except IntegrityError:
        raise bad_input(
            "organisationNumber",
            "TAKEN",
            "there already is a pending or active collaboration with this client",
        ) from None
    ctx.runtime.wake_mailer()
    return payload


async def request_level_change(
    info: Ctx,
    id: Annotated[
        relay.GlobalID,
        strawberry.argument(description="The ACTIVE collaboration (a `Collaboration` id)."),
    ],
    level: Annotated[
        AccessLevel, strawberry.argument(description="The level the firm asks the client for.")
    ],
) -> gql.CollaborationPayload:
    ctx = info.context
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        row = await _load(session, id)
        _require_state(row, CollaborationState.ACTIVE)
        if level is row.level:
            raise bad_input("level", "UNCHANGED", "the collaboration already has this level")
        row.requested_level, row.updated_at = level, ctx.clock.now()
        await _notify(
            session, ctx, row, AuditAction.COLLABORATION_LEVEL_REQUESTED, to_company=row.company_id
        )
        payload = await _payload(session, row)
    ctx.runtime.wake_mailer()
    return payload


async def enter_client_company(
    info: Ctx,
    client_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The client company to log in to (a `Company` id), with an ACTIVE "
            "FULL collaboration."
        ),
    ],
) -> ViewerPayload:
    """Log in to a FULL client's company with its admin's rights (audited as the firm)."""
    ctx = info.context
    access = ctx.access
    client = node_id(client_id, "Company", "clientId")
    require_enterable_client(access, client)
    async with ctx.database.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == access.session_id)
            .values(
                context=SessionContext.COMPANY, company_id=client, acting_firm_id=access.company_id
            )
        )
        audit(
            session,
            ctx,
            AuditAction.PARTNER_ENTERED_COMPANY,
            company_id=client,
            firm_id=access.company_id,
        )
    ctx.access = await access_for_token(ctx.runtime, ctx.session_token)
    return ViewerPayload(viewer=await build_viewer(ctx, ctx.access))


async def enter_partner_portal(info: Ctx) -> ViewerPayload:
    """Back to the portal from a client's company, or from the firm's own company (trial)."""
    ctx = info.context
    access = ctx.access
    firm_id = portal_firm(access)
    async with ctx.database.transaction() as session:
        await session.execute(
            update(AuthSession)
            .where(AuthSession.id == access.session_id)
            .values(context=SessionContext.PORTAL, company_id=firm_id, acting_firm_id=None)
        )
        if access.acting_firm_id:
            audit(
                session,
                ctx,
                AuditAction.PARTNER_LEFT_COMPANY,
                company_id=access.company_id,
                firm_id=firm_id,
            )
    ctx.access = await access_for_token(ctx.runtime, ctx.session_token)
    return ViewerPayload(viewer=await build_viewer(ctx, ctx.access))


# --- the firm's admins: many clients at once -------------------------------------------------


@dataclass(frozen=True)
class BulkStep:
    """One kind of bulk change: why a collaboration is left as it is (an error code and a
    message), what it becomes (its state and requested level), and how it is changed."""

    refusal: Callable[[Collaboration], tuple[str, str] | None]
    after: Callable[[Collaboration], tuple[CollaborationState, AccessLevel | None]]
    apply: Callable[[Collaboration, datetime], None]
    action: AuditAction


BulkClientIds = Annotated[
    list[relay.GlobalID],
    strawberry.argument(
        description=f"The clients (`Company` ids), at most {gql.BULK_BOUND}; each is answered "
        "in this order."
    ),
]
DryRun = Annotated[
    bool,
    strawberry.argument(
        description="True: answer what would change, and change nothing (no mail, no event)."
    ),
]


async def _bulk(
    ctx: RequestContext, client_ids: list[relay.GlobalID], dry_run: bool, step: BulkStep
) -> gql.BulkCollaborationsPayload:
    """The firm's open collaborations with the clients named, each changed by `step` unless it
    refuses; the same statements for one client as for a thousand."""
    firm_id = managed_firm(ctx.access)
    wanted = list(dict.fromkeys(node_id(i, "Company", "clientIds") for i in client_ids))
    if len(wanted) > gql.BULK_BOUND:
        raise bad_input("clientIds", "TOO_MANY", f"at most {gql.BULK_BOUND} clients at once")
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        statement = select(Collaboration).where(
            Collaboration.firm_id == firm_id,
            Collaboration.company_id.in_(wanted),
            Collaboration.state.in_(OPEN_STATES),
        )
        if not dry_run:
            statement = statement.with_for_update()
        rows = {row.company_id: row for row in await session.scalars(statement)}
        refusals = {
            client: refused
            for client, row in rows.items()
            if (refused := step.refusal(row)) is not None
        }
        changing = [row for client, row in rows.items() if client not in refusals]
        after = {row.company_id: step.after(row) for row in changing}
        if not dry_run and changing:
            for row in changing:
                step.apply(row, now)
            await _notify_many(
                session, ctx, [(row, row.company_id) for row in changing], step.action
            )
        nodes = {
            node.company_id: node
            for node in await collaboration_nodes(session, list(rows.values()))
        }
    if not dry_run and changing:
        ctx.runtime.wake_mailer()
    results = []
    for client in wanted:
        code, message = refusals.get(client) or (
            ("NOT_FOUND", "the firm has no ACTIVE or PENDING collaboration with this client")
            if client not in rows
            else (None, None)
        )
        state, requested = after.get(client, (None, None))
        results.append(
            gql.BulkCollaborationResult(
                client_id=relay.GlobalID("Company", str(client)),
                collaboration=nodes.get(client),
                changes=client in after,
                state=state,
                requested_level=requested,
                error_code=code,
                message=message,
            )
        )
    return gql.BulkCollaborationsPayload(dry_run=dry_run, results=results)


def _level_request(level: AccessLevel) -> BulkStep:
    def refusal(row: Collaboration) -> tuple[str, str] | None:
        if row.state is not CollaborationState.ACTIVE:
            return "NOT_ACTIVE", f"the collaboration is {row.state.value}"
        if row.level is level:
            return "UNCHANGED", "the collaboration already has this level"
        if row.requested_level is level:
            return "ALREADY_REQUESTED", "the client is already asked for this level"
        return None

    def apply(row: Collaboration, now: datetime) -> None:
        row.requested_level, row.updated_at = level, now

    return BulkStep(
        refusal, lambda row: (row.state, level), apply, AuditAction.COLLABORATION_LEVEL_REQUESTED
    )


def _ending() -> BulkStep:
    def apply(row: Collaboration, now: datetime) -> None:
        row.state, row.ended_at, row.updated_at = CollaborationState.ENDED, now, now

    return BulkStep(
        lambda row: None,
        lambda row: (CollaborationState.ENDED, row.requested_level),
        apply,
        AuditAction.COLLABORATION_ENDED,
    )


async def bulk_request_level(
    info: Ctx,
    client_ids: BulkClientIds,
    level: Annotated[
        AccessLevel, strawberry.argument(description="The level the firm asks each client for.")
    ],
    dry_run: DryRun,
) -> gql.BulkCollaborationsPayload:
    """`requestLevelChange` for many clients: each client's admins still answer their own."""
    return await _bulk(info.context, client_ids, dry_run, _level_request(level))


async def bulk_end_collaborations(
    info: Ctx, client_ids: BulkClientIds, dry_run: DryRun
) -> gql.BulkCollaborationsPayload:
    """`endCollaboration` for many clients, from the firm's side."""
    return await _bulk(info.context, client_ids, dry_run, _ending())


# --- the domain's root fields -----------------------------------------------------------------


@strawberry.type
class Queries:
    collaborations = field(
        CollaborationRule(),
        collaborations,
        description="The viewer's company's collaborations, as client or as firm; by state.",
        bound=1000,
    )


@strawberry.type
class Mutations:
    invite_firm = mutation(
        CollaborationRule(Op.MANAGE),
        invite_firm,
        description="As a client admin: invite an accounting firm by its organisation number.",
    )
    change_collaboration_level = mutation(
        CollaborationRule(Op.MANAGE),
        change_collaboration_level,
        description="As a client admin: set the level; counts from the firm's next request.",
    )
    accept_collaboration = mutation(
        CollaborationRule(Op.WRITE),
        accept_collaboration,
        description="Accept the other side's PENDING proposal; a client may set the level when "
        "accepting the firm's. On an ACTIVE collaboration with a `requestedLevel` (the firm's "
        "`requestLevelChange`), the client admin accepts that request: the requested level applies "
        "from the firm's next request (`level`, if given, must be the requested one; "
        "`changeCollaborationLevel` sets another). Only the client's admins answer a level "
        "request (the firm gets FORBIDDEN). Without a pending request, an ACTIVE collaboration "
        "answers NOT_PENDING. Audited for both sides and mailed to the other side's admins.",
    )
    decline_collaboration = mutation(
        CollaborationRule(Op.WRITE),
        decline_collaboration,
        description="Decline the other side's PENDING proposal (it becomes DECLINED). On an "
        "ACTIVE collaboration with a `requestedLevel` (the firm's `requestLevelChange`), the "
        "client admin declines that request: it is dropped and the collaboration stays ACTIVE "
        "at its level. Only the client's admins answer a level request (the firm gets "
        "FORBIDDEN). Without a pending request, an ACTIVE collaboration answers NOT_PENDING. "
        "Audited for both sides and mailed to the other side's admins.",
    )
    end_collaboration = mutation(
        CollaborationRule(Op.WRITE),
        end_collaboration,
        description="End the collaboration at once (either side).",
    )
    request_collaboration = mutation(
        PartnerPortal(Area.COLLABORATIONS, Op.WRITE),
        request_collaboration,
        description="As a firm: ask a client, by organisation number, to collaborate.",
    )
    request_level_change = mutation(
        PartnerPortal(Area.COLLABORATIONS, Op.WRITE),
        request_level_change,
        description="As a firm: ask the client for another level (shown as `requestedLevel`). "
        "The client admin answers with `acceptCollaboration` (the level applies) or "
        "`declineCollaboration` (the level stays), or sets a level with "
        "`changeCollaborationLevel`.",
    )
    bulk_request_level = mutation(
        FirmAdmin(),
        bulk_request_level,
        description="As the firm's admin: ask many clients at once for another level, as "
        "`requestLevelChange` does (each client's admins accept or decline their own). Answers "
        "per client what changed, or with `dryRun` what would change, or why not (`errorCode`: "
        "NOT_FOUND, NOT_ACTIVE, UNCHANGED, ALREADY_REQUESTED). Audited and mailed per client.",
    )
    bulk_end_collaborations = mutation(
        FirmAdmin(),
        bulk_end_collaborations,
        description="As the firm's admin: end the ACTIVE or PENDING collaborations with many "
        "clients at once, as `endCollaboration` does. Answers per client what changed, or with "
        "`dryRun` what would change, or why not (`errorCode`: NOT_FOUND). Audited and mailed "
        "per client.",
    )
    enter_client_company = mutation(
        PartnerPortal(Area.COLLABORATIONS, Op.WRITE),
        enter_client_company,
        description="Log in to a FULL client's company as its admin; audited as the firm.",
    )
    enter_partner_portal = mutation(
        SignedIn(),
        enter_partner_portal,
        description="Go to the partner portal: from a client's company, or from the firm's own.",
    )
