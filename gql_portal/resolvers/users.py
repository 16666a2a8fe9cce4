"""The company's users and their roles (USERS): list, invite, change role, remove.

Memberships are company-owned rows (area USERS): every read and write goes through the viewer's
row scope, so "the company's users" needs no company filter here. Users themselves are global
(one login, possibly in several companies), found by email.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated

import strawberry
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager
from strawberry import relay

from gql_portal import mailtexts
from gql_portal.context import RequestContext
from gql_portal.db.accounts import AuthSession, Company, Membership, User
from gql_portal.db.employees import Employee
from gql_portal.db.firm import end_assignments
from gql_portal.db.functions import in_byte_order, swedish_sort_key
from gql_portal.domain.accounts import Role, TokenPurpose
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.validation import clean_email, clean_text
from gql_portal.errors import Problems, bad_input
from gql_portal.live import publish_after_commit, sessions_changed
from gql_portal.mailer import queue_mail
from gql_portal.pages import LOGIN_PATH, RESET_PASSWORD_PATH
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.accounts import issue_link_token
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx, like, node_id, not_found, search_pattern
from gql_portal.resolvers.loading import by_id, paginate
from gql_portal.resolvers.ordering import OrderChoice, SortKey, chosen_order, default_order
from gql_portal.schema import users as gql
from gql_portal.schema.fields import field, mutation
from gql_portal.schema.relay import After, Before, Connection, First, Last

# How long an invitation's link lets the new user choose a password. After that, "Glömt
# lösenordet?" on the login page mails a fresh (short-lived) reset link to the same account.
INVITATION_LINK_HOURS = 72


# --- reading ------------------------------------------------------------------------------


OLDEST_MEMBERSHIP = default_order([Membership.id])
# The users' own columns come from the list's join of User.
USER_ORDERS = {
    gql.CompanyUserOrderField.NAME: OrderChoice([SortKey(User.name, swedish_sort_key)]),
    gql.CompanyUserOrderField.EMAIL: OrderChoice([SortKey(User.email, in_byte_order)]),
    gql.CompanyUserOrderField.ROLE: OrderChoice([SortKey(Membership.role, in_byte_order)]),
    gql.CompanyUserOrderField.MEMBER_SINCE: OrderChoice([SortKey(Membership.created_at)]),
}


async def company_users(
    info: Ctx,
    first: First = None,
    after: After = None,
    last: Last = None,
    before: Before = None,
    role: Annotated[
        Role | None, strawberry.argument(description="Only users with this role (default: all).")
    ] = None,
    search: Annotated[
        str | None,
        strawberry.argument(
            description="Text anywhere in the name or the email address (case-insensitive; "
            "blank: no filter)."
        ),
    ] = None,
    order_by: Annotated[
        gql.CompanyUserOrder | None,
        strawberry.argument(description="The order (default: oldest membership first, by id)."),
    ] = None,
) -> Connection[gql.CompanyUser]:
    """The users of the session's company, oldest membership first."""
    ctx = info.context
    statement = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.user))
    )
    if role is not None:
        statement = statement.where(Membership.role == role)
    pattern = search_pattern(search)
    if pattern:
        statement = statement.where(
            or_(like(func.lower(User.name), pattern), like(func.lower(User.email), pattern))
        )

    def to_node(row: Membership) -> gql.CompanyUser:
        return gql.CompanyUser.from_row(row, row.user, ctx.access.user_id)

    order = chosen_order(
        ctx, order_by, USER_ORDERS, Membership.id, OLDEST_MEMBERSHIP, listed=Area.USERS
    )
    return await paginate(
        ctx,
        statement,
        order,
        to_node,
        first=first,
        after=after,
        last=last,
        before=before,
    )


async def company_user_by_id(ctx: RequestContext, membership_id: int) -> gql.CompanyUser | None:
    """A user of a company the viewer reaches USERS of, by the membership's id."""
    membership = await by_id(ctx, Membership).load(membership_id)
    if membership is None:
        return None
    user = await by_id(ctx, User).load(membership.user_id)
    return gql.CompanyUser.from_row(membership, user, ctx.access.user_id) if user else None


# --- writing ------------------------------------------------------------------------------


async def _membership(session: AsyncSession, user_id: int) -> Membership:
    membership = await session.scalar(
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .options(contains_eager(Membership.user))
        .where(Membership.user_id == user_id)
    )
    if membership is None:
        raise not_found("User", "userId")
    return membership


async def _is_last_admin(session: AsyncSession, membership: Membership) -> bool:
    """Whether `membership` is the company's only administrator.

    The admin memberships are locked (FOR UPDATE on PostgreSQL) until the transaction ends, so
    two admins demoting or removing each other at once cannot leave the company without one.
    """
    admins = (
        await session.scalars(
            select(Membership.id).where(Membership.role == Role.ADMIN).with_for_update()
        )
    ).all()
    return membership.role is Role.ADMIN and list(admins) == [membership.id]


def _check_role_fits_company(problems: Problems, access: Access, role: Role) -> None:
    """Only accounting firms have assistants (their portal is all an assistant has)."""
    if role is Role.ASSISTANT and not access.company_is_firm:
        problems.add("role", "NOT_A_FIRM", "only an accounting firm's users can be ASSISTANT")


async def _linked_employee(
    session: AsyncSession, employee_id: int | None, user: User | None, problems: Problems
) -> Employee | None:
    """The employee an invitee is to be linked to: in reach, still employed, and not linked to
    another user (problems are added, not raised)."""
    if employee_id is None:
        return None
    employee = await session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None:
        raise not_found("Employee", "employeeId")
    if not employee.active:
        problems.add("employeeId", "INACTIVE", "the employee is no longer employed")
    elif employee.user_id is not None and (user is None or employee.user_id != user.id):
        problems.add("employeeId", "ALREADY_LINKED", "another user is linked to this employee")
    return employee


async def _new_account(
    session: AsyncSession, email: str, name: str, unusable_hash: str, now: datetime
) -> User:
    """An invitee's account: unconfirmed, its password unusable until they choose one."""
    user = User(
        email=email,
        name=name,
        password_hash=unusable_hash,
        email_verified_at=None,
        password_changed_at=now,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def _mail_invitation(
    session: AsyncSession, ctx: RequestContext, user: User, company_id: int
) -> None:
    """Queue the invitation: a link to choose a password, or (a confirmed account) to log in."""
    company = await session.get_one(Company, company_id)
    inviter = await session.get(User, ctx.access.user_id) if ctx.access.user_id else None
    expires_at: datetime | None = None
    if user.email_verified_at is None:
        # No confirmed account yet: the link chooses a password and confirms the address.
        token, expires_at = issue_link_token(
            session, ctx, user.id, TokenPurpose.RESET_PASSWORD, INVITATION_LINK_HOURS
        )
        link = f"{ctx.settings.public_url}{RESET_PASSWORD_PATH}?token={token}"
    else:
        link = f"{ctx.settings.public_url}{LOGIN_PATH}"
    text = mailtexts.invitation(
        user.name, company.name, inviter.name if inviter else None, link, expires_at
    )
    queue_mail(
        session,
        ctx.clock,
        to=user.email,
        subject=text.subject,
        body=text.body,
        kind="INVITATION",
        links=[link],
        company_id=company_id,
    )


async def invite_user(
    info: Ctx,
    input: Annotated[
        gql.InviteUserInput,
        strawberry.argument(
            description="The person's email, name and role, and optionally the employee "
            "record to link."
        ),
    ],
) -> gql.CompanyUserPayload:
    """Add a person to the company, creating their account when they have none, and mail them."""
    ctx = info.context
    problems = Problems()
    email = clean_email(problems, "email", input.email)
    name = clean_text(problems, "name", input.name)
    employee_id = (
        node_id(input.employee_id, "Employee", "employeeId") if input.employee_id else None
    )
    _check_role_fits_company(problems, ctx.access, input.role)
    problems.raise_if_any()
    company_id = ctx.access.company_id
    assert company_id is not None
    # A new account's password is unusable until the invitee chooses one through the link.
    # Hashed before the transaction: argon2 takes a while.
    unusable_hash = await ctx.runtime.passwords.hash(secrets.token_urlsafe(32))
    now = ctx.clock.now()
    try:
        async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
            user = await session.scalar(select(User).where(User.email == email))
            if user is not None and await session.scalar(
                select(Membership.id).where(Membership.user_id == user.id)
            ):
                problems.add("email", "TAKEN", "this person is already a user of the company")
            employee = await _linked_employee(session, employee_id, user, problems)
            problems.raise_if_any()
            new_account = user is None
            if user is None:
                user = await _new_account(session, email, name, unusable_hash, now)
            membership = Membership(
                user_id=user.id, company_id=company_id, role=input.role, created_at=now
            )
            session.add(membership)
            if employee is not None:
                employee.user_id = user.id
                employee.updated_at = now
            await session.flush()
            await _mail_invitation(session, ctx, user, company_id)
            audit(
                session,
                ctx,
                AuditAction.USER_INVITED,
                email=user.email,
                target_user_id=user.id,
                role=input.role.value,
                employee_id=employee.id if employee else None,
                new_account=new_account,
            )
    except IntegrityError:
        # A concurrent invitation of the same address got there first.
        raise bad_input("email", "TAKEN", "this person is already a user of the company") from None
    ctx.runtime.wake_mailer()
    return gql.CompanyUserPayload(
        user=gql.CompanyUser.from_row(membership, user, ctx.access.user_id)
    )


async def change_user_role(
    info: Ctx,
    user_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The user whose role to change (a `User` id, as `CompanyUser.userId`)."
        ),
    ],
    role: Annotated[
        Role,
        strawberry.argument(
            description="The new role; the company's last administrator keeps ADMIN."
        ),
    ],
) -> gql.CompanyUserPayload:
    ctx = info.context
    target = node_id(user_id, "User", "userId")
    problems = Problems()
    _check_role_fits_company(problems, ctx.access, role)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        membership = await _membership(session, target)
        previous = membership.role
        if previous is not role:
            if await _is_last_admin(session, membership):
                raise bad_input(
                    "role", "LAST_ADMIN", "the company must keep at least one administrator"
                )
            membership.role = role
            audit(
                session,
                ctx,
                AuditAction.USER_ROLE_CHANGED,
                email=membership.user.email,
                target_user_id=target,
                role=role.value,
                previous_role=previous.value,
            )
    return gql.CompanyUserPayload(
        user=gql.CompanyUser.from_row(membership, membership.user, ctx.access.user_id)
    )


async def remove_user(
    info: Ctx,
    user_id: Annotated[
        relay.GlobalID,
        strawberry.argument(
            description="The user to remove from the company (a `User` id, as "
            "`CompanyUser.userId`); not the last administrator."
        ),
    ],
) -> gql.RemoveUserPayload:
    """End a user's membership: their sessions in the company end at once, their employee
    record stays (unlinked). The account itself remains for any other company it belongs to."""
    ctx = info.context
    target = node_id(user_id, "User", "userId")
    if target == ctx.access.user_id:
        raise bad_input("userId", "SELF", "you cannot remove yourself; another administrator can")
    company_id = ctx.access.company_id
    now = ctx.clock.now()
    async with ctx.database.scoped(ctx.access, Op.MANAGE) as session:
        membership = await _membership(session, target)
        if await _is_last_admin(session, membership):
            raise bad_input(
                "userId", "LAST_ADMIN", "the company must keep at least one administrator"
            )
        email, role = membership.user.email, membership.role
        await session.delete(membership)
        unlinked = await session.execute(
            update(Employee)
            .where(Employee.user_id == target)
            .values(user_id=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        # Sessions are not company data: end exactly this user's sessions in this company.
        revoked = await session.execute(
            update(AuthSession)
            .where(
                AuthSession.user_id == target,
                AuthSession.company_id == company_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        publish_after_commit(session, ctx.runtime.bus, sessions_changed(target))  # live updates
        # A firm's user: their assignments and team memberships end with them. The event keeps
        # what they were: the firm's leaver report reads it back (resolvers/firm.py).
        former = (
            await end_assignments(session, company_id, target)
            if ctx.access.company_is_firm and company_id is not None
            else None
        )
        audit(
            session,
            ctx,
            AuditAction.USER_REMOVED,
            email=email,
            target_user_id=target,
            role=role.value,
            employees_unlinked=unlinked.rowcount,  # type: ignore[attr-defined]
            sessions_revoked=revoked.rowcount,  # type: ignore[attr-defined]
            **(former.as_details() if former is not None else {}),
        )
    return gql.RemoveUserPayload(removed_user_id=relay.GlobalID("User", str(target)))


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    company_users = field(
        AreaRule(Area.USERS),
        company_users,
        description="The company's users and their roles; filter by `role` and a `search` over "
        "name and email.",
    )


@strawberry.type
class Mutations:
    invite_user = mutation(
        AreaRule(Area.USERS, Op.MANAGE),
        invite_user,
        description="Invite a person as ADMIN or EMPLOYEE (optionally linked to their employee "
        "record), or in an accounting firm as ASSISTANT (read-only, in the partner portal; "
        "elsewhere BAD_USER_INPUT naming `role`, NOT_A_FIRM). A new account gets an email "
        "link for choosing a password; someone who already has an account is added and told "
        "to log in.",
    )
    change_user_role = mutation(
        AreaRule(Area.USERS, Op.MANAGE),
        change_user_role,
        description="Change a user's role (ASSISTANT: accounting firms only, as in `inviteUser`; "
        "it counts from the user's next request). The last administrator cannot be demoted.",
    )
    remove_user = mutation(
        AreaRule(Area.USERS, Op.MANAGE),
        remove_user,
        description="Remove a user from the company and end their sessions in it. Not "
        "yourself, and not the last administrator. In an accounting firm their client "
        "assignments and team memberships end too (the removal's audit event keeps them for "
        "`firmLeaverReport`).",
    )
