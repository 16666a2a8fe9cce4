"""Accounts: sign-up, the email link, log-in and log-out, password reset, trial and activation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

import strawberry
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from gql_portal import mailtexts
from gql_portal.auth import access_for_token, session_rows
from gql_portal.context import CookieToSet, RequestContext
from gql_portal.db.accounts import (
    AccountToken,
    AuthSession,
    Company,
    LoginFailure,
    Membership,
    User,
)
from gql_portal.db.employees import Employee
from gql_portal.db.settings import add_company_defaults
from gql_portal.domain.accounts import (
    Role,
    SessionContext,
    TokenPurpose,
    last_day_of_trial,
    trial_state,
)
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.identity import InvalidNumber, normalize_organisation_number
from gql_portal.domain.login_throttle import FailureCounts, ThrottleRules, seconds_to_wait
from gql_portal.domain.validation import check_password, clean_email, clean_phone, clean_text
from gql_portal.errors import AppError, Code, Problems, bad_input
from gql_portal.live import publish_after_commit, sessions_changed
from gql_portal.mailer import queue_mail, recently_mailed
from gql_portal.permissions.access import ANONYMOUS, Access
from gql_portal.permissions.menus import open_menus
from gql_portal.permissions.roles import SchemaRole
from gql_portal.permissions.rules import Anyone, SignedIn
from gql_portal.resolvers.audit import audit
from gql_portal.schema import accounts as gql
from gql_portal.schema.employees import Employee as EmployeeType
from gql_portal.schema.fields import field, mutation
from gql_portal.security import LINK_TOKEN_PREFIX, SESSION_TOKEN_PREFIX, new_token, token_hash

Ctx = Info[RequestContext, None]


# --- the viewer ---------------------------------------------------------------------------


def _trial(company: Company, now: datetime) -> gql.Trial:
    state = trial_state(company.trial_ends_at, company.activated_at, now)
    return gql.Trial(
        ends_at=state.ends_at,
        ends_on=state.ends_on,
        days_left=state.days_left,
        expired=state.expired,
        activated=state.activated,
        activated_at=state.activated_at,
    )


async def build_viewer(ctx: RequestContext, access: Access) -> gql.Viewer:
    if not access.signed_in or access.company_id is None:
        return gql.Viewer(
            context=gql.ViewerContext.PUBLIC,
            role=None,
            user=None,
            company=None,
            employee=None,
            open_menus=[],
            trial=None,
        )
    rows = session_rows(access)
    user: User | None
    company: Company | None
    employee: Employee | None
    if rows is not None:  # what the session lookup of this request read: no second read
        user, company, employee = rows.user, rows.company, rows.employee
    else:
        async with ctx.database.session() as session:
            user = await session.get(User, access.user_id)
            company = await session.get(Company, access.company_id)
            employee = (
                await session.get(Employee, access.employee_id) if access.employee_id else None
            )
    assert user is not None and company is not None
    portal = access.in_portal
    role = {SchemaRole.COMPANY_ADMIN: Role.ADMIN, SchemaRole.EMPLOYEE: Role.EMPLOYEE}.get(
        access.role
    )
    return gql.Viewer(
        context=gql.ViewerContext.PORTAL if portal else gql.ViewerContext.COMPANY,
        role=role,
        user=gql.User.from_row(user),
        company=gql.Company.from_row(company),
        employee=EmployeeType.from_row(employee) if employee else None,
        open_menus=list(open_menus(access)),
        trial=_trial(company, ctx.clock.now()),
    )


async def viewer(info: Ctx) -> gql.Viewer:
    return await build_viewer(info.context, info.context.access)


# --- sign-up and the email link -----------------------------------------------------------


def _link(ctx: RequestContext, path: str, token: str) -> str:
    return f"{ctx.settings.public_url}{path}?token={token}"


def issue_link_token(
    session: AsyncSession, ctx: RequestContext, user_id: int, purpose: TokenPurpose, hours: int
) -> tuple[str, datetime]:
    """A single-use email-link token for `user_id`; only its keyed hash is stored."""
    token = new_token(LINK_TOKEN_PREFIX)
    now = ctx.clock.now()
    expires_at = now + timedelta(hours=hours)
    session.add(
        AccountToken(
            token_hash=token_hash(ctx.settings.secret_key, token),
            user_id=user_id,
            purpose=purpose,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


async def _retire_tokens(
    session: AsyncSession, user_id: int, purpose: TokenPurpose, now: datetime
) -> None:
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


@dataclass(frozen=True)
class _SignUp:
    """A sign-up's input, checked and cleaned."""

    company_name: str
    organisation_number: str
    name: str
    phone: str
    email: str


async def _checked_sign_up(
    ctx: RequestContext, input: gql.SignUpInput
) -> tuple[_SignUp, User | None]:
    """The cleaned input (every problem at once), and the account its address already has."""
    problems = Problems()
    company_name = clean_text(problems, "companyName", input.company_name)
    organisation_number = ""
    try:
        organisation_number = normalize_organisation_number(input.organisation_number)
    except InvalidNumber as error:
        problems.add("organisationNumber", error.reason, str(error))
    name = clean_text(problems, "name", input.name)
    phone = clean_phone(problems, "phone", input.phone)
    email = clean_email(problems, "email", input.email)
    check_password(problems, "password", input.password, email=email)
    async with ctx.database.session() as session:
        if organisation_number and await session.scalar(
            select(Company.id).where(Company.organisation_number == organisation_number)
        ):
            problems.add("organisationNumber", "TAKEN", "a company with this number already exists")
        # A taken address is not refused: that would tell anyone who has an account.
        owner = await session.scalar(select(User).where(User.email == email)) if email else None
    problems.raise_if_any()
    return _SignUp(company_name, organisation_number, name, phone, email), owner


async def _create_company(
    session: AsyncSession,
    ctx: RequestContext,
    input: gql.SignUpInput,
    new: _SignUp,
    password_hash: str,
    now: datetime,
    trial_ends_at: datetime,
) -> None:
    """The company in its trial, its first admin, and the welcome mail with the email link."""
    company = Company(
        name=new.company_name,
        organisation_number=new.organisation_number,
        industry=input.industry,
        payroll_program=input.payroll_program,
        created_at=now,
        trial_ends_at=trial_ends_at,
    )
    user = User(
        email=new.email,
        name=new.name,
        phone=new.phone,
        password_hash=password_hash,
        password_changed_at=now,
        created_at=now,
    )
    session.add_all([company, user])
    await session.flush()
    session.add(Membership(user_id=user.id, company_id=company.id, role=Role.ADMIN, created_at=now))
    add_company_defaults(session, company.id, now)
    token, expires_at = issue_link_token(
        session, ctx, user.id, TokenPurpose.VERIFY_EMAIL, ctx.settings.verify_link_hours
    )
    link = _link(ctx, "/login", token)
    text = mailtexts.welcome(new.name, new.company_name, link, expires_at)
    queue_mail(
        session,
        ctx.clock,
        to=new.email,
        subject=text.subject,
        body=text.body,
        kind="WELCOME",
        links=[link],
        company_id=company.id,
    )
    audit(
        session,
        ctx,
        AuditAction.SIGNED_UP,
        company_id=company.id,
        user_id=user.id,
        email=new.email,
        industry=input.industry.value,
    )


async def sign_up(
    info: Ctx,
    input: Annotated[
        gql.SignUpInput,
        strawberry.argument(description="The company, its first administrator and their password."),
    ],
) -> gql.SignUpPayload:
    ctx = info.context
    new, owner = await _checked_sign_up(ctx, input)
    # Hashed either way, so a taken address answers after the same time as a new one.
    password_hash = await ctx.runtime.passwords.hash(input.password)
    now = ctx.clock.now()
    trial_ends_at = now + timedelta(days=ctx.settings.trial_days)
    answer = gql.SignUpPayload(
        email=new.email,
        company_name=new.company_name,
        trial_ends_on=last_day_of_trial(trial_ends_at),
    )
    if owner is not None:
        await _tell_owner_of_sign_up(ctx, owner)
        return answer
    try:
        async with ctx.database.transaction() as session:
            await _create_company(session, ctx, input, new, password_hash, now, trial_ends_at)
    except IntegrityError:
        # A concurrent sign-up took the number or the address between our check and commit.
        async with ctx.database.session() as session:
            owner = await session.scalar(select(User).where(User.email == new.email))
        if owner is None:
            raise bad_input(
                "organisationNumber", "TAKEN", "a company with this number already exists"
            ) from None
        await _tell_owner_of_sign_up(ctx, owner)
        return answer
    ctx.runtime.wake_mailer()
    return answer


async def _tell_owner_of_sign_up(ctx: RequestContext, owner: User) -> None:
    """Someone signed up with an address that has an account: nothing is created, and the
    owner (not the asker) is told, at most once per few minutes."""
    now = ctx.clock.now()
    async with ctx.database.transaction() as session:
        since = now - timedelta(minutes=ctx.settings.mail_repeat_minutes)
        if not await recently_mailed(session, to=owner.email, kind="SIGN_UP_TAKEN", since=since):
            login_link = f"{ctx.settings.public_url}/login"
            text = mailtexts.sign_up_with_taken_address(owner.name, login_link)
            queue_mail(
                session,
                ctx.clock,
                to=owner.email,
                subject=text.subject,
                body=text.body,
                kind="SIGN_UP_TAKEN",
                links=[login_link],
            )
        audit(
            session,
            ctx,
            AuditAction.SIGN_UP_WITH_TAKEN_EMAIL,
            company_id=await _first_company_id(session, owner.id),
            user_id=owner.id,
            email=owner.email,
        )
    ctx.runtime.wake_mailer()


async def _use_token(
    session: AsyncSession, ctx: RequestContext, token: str, purpose: TokenPurpose
) -> AccountToken:
    """Consume a single-use link token, or raise BAD_USER_INPUT naming `token`."""
    now = ctx.clock.now()
    row = await session.scalar(
        select(AccountToken).where(
            AccountToken.token_hash == token_hash(ctx.settings.secret_key, token.strip()),
            AccountToken.purpose == purpose,
        )
    )
    if row is None:
        raise bad_input("token", "INVALID", "the link is not valid")
    if row.used_at is not None:
        raise bad_input("token", "USED", "the link has already been used; ask for a new one")
    if row.expires_at <= now:
        raise bad_input("token", "EXPIRED", "the link has expired; ask for a new one")
    claimed = await session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise bad_input("token", "USED", "the link has already been used; ask for a new one")
    return row


async def verify_email(
    info: Ctx,
    token: Annotated[
        str,
        strawberry.argument(
            description="The single-use token of the link in the sign-up or verification "
            "email (its `token` query parameter)."
        ),
    ],
) -> gql.VerifyEmailPayload:
    ctx = info.context
    async with ctx.database.transaction() as session:
        row = await _use_token(session, ctx, token, TokenPurpose.VERIFY_EMAIL)
        user = await session.get_one(User, row.user_id)
        if user.email_verified_at is None:
            user.email_verified_at = ctx.clock.now()
        audit(
            session,
            ctx,
            AuditAction.EMAIL_VERIFIED,
            company_id=await _first_company_id(session, user.id),
            user_id=user.id,
            email=user.email,
        )
    return gql.VerifyEmailPayload(email=user.email)


async def _first_company_id(session: AsyncSession, user_id: int) -> int | None:
    return await session.scalar(
        select(Membership.company_id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.id)
        .limit(1)
    )


@dataclass(frozen=True)
class _LinkMail:
    """A mail with a single-use link that anyone may ask to be sent to an address."""

    kind: str  # the outbox kind: at most one per address per mail_repeat_minutes
    purpose: TokenPurpose
    hours: int
    path: str
    text: Callable[[str, str, datetime], mailtexts.MailText]
    action: AuditAction
    # Whether the address's account gets the mail (else the row is written DROPPED).
    wanted: Callable[[User], bool]


async def _mail_link(ctx: RequestContext, email: str, mail: _LinkMail) -> None:
    """Mail a link to `email`'s account, doing the same work whether or not there is one.

    Whoever asks learns nothing: the same statements run (the account's SELECT, the recent-mail
    SELECT, retiring old tokens, the outbox row, the audit row) in one committed transaction,
    and an address without a (wanting) account gets an outbox row that is never delivered
    (DROPPED) instead of a mail. At most one such mail per address and kind per
    `mail_repeat_minutes`, whoever asks: no flooding someone's inbox.
    """
    address = email.strip().lower()
    now = ctx.clock.now()
    since = now - timedelta(minutes=ctx.settings.mail_repeat_minutes)
    token = new_token(LINK_TOKEN_PREFIX)
    hashed = token_hash(ctx.settings.secret_key, token)
    expires_at = now + timedelta(hours=mail.hours)
    link = _link(ctx, mail.path, token)
    async with ctx.database.transaction() as session:
        user = await session.scalar(select(User).where(User.email == address))
        if await recently_mailed(session, to=address, kind=mail.kind, since=since):
            return
        target = user if user is not None and mail.wanted(user) else None
        user_id = target.id if target is not None else 0  # 0: no user has it; same statements
        await _retire_tokens(session, user_id, mail.purpose, now)
        if target is not None:
            session.add(
                AccountToken(
                    token_hash=hashed,
                    user_id=target.id,
                    purpose=mail.purpose,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        text = mail.text(target.name if target is not None else "", link, expires_at)
        queue_mail(
            session,
            ctx.clock,
            to=address,
            subject=text.subject,
            body=text.body if target is not None else "(not sent: no account that wants it)",
            kind=mail.kind,
            links=[link] if target is not None else [],
            send=target is not None,
        )
        audit(
            session,
            ctx,
            mail.action,
            company_id=await _first_company_id(session, user_id),
            user_id=target.id if target is not None else None,
            email=address,
            sent=target is not None,
        )
    ctx.runtime.wake_mailer()


def _unverified(user: User) -> bool:
    return user.email_verified_at is None


def _any_account(user: User) -> bool:
    return True


async def resend_verification_email(
    info: Ctx,
    email: Annotated[
        str,
        strawberry.argument(
            description="The address of an account not yet confirmed; a new link is mailed "
            "there if there is one."
        ),
    ],
) -> bool:
    """Always true: whether an account exists (or is confirmed) is not revealed."""
    ctx = info.context
    await _mail_link(
        ctx,
        email,
        _LinkMail(
            kind="VERIFY_AGAIN",
            purpose=TokenPurpose.VERIFY_EMAIL,
            hours=ctx.settings.verify_link_hours,
            path="/login",
            text=mailtexts.verify_again,
            action=AuditAction.VERIFICATION_RESENT,
            wanted=_unverified,
        ),
    )
    return True


# --- log-in and log-out -------------------------------------------------------------------


def _throttle_rules(ctx: RequestContext) -> ThrottleRules:
    settings = ctx.settings
    return ThrottleRules(
        free_per_pair=settings.login_free_failures_per_pair,
        slowdown_per_account=settings.login_slowdown_failures_per_account,
        free_per_address=settings.login_free_failures_per_address,
        max_delay_seconds=settings.login_max_delay_seconds,
    )


async def _wait_before_log_in(ctx: RequestContext, email: str) -> FailureCounts:
    """Refuse (RATE_LIMITED, retryAfterSeconds) an attempt that comes too soon after failures:
    growing delays per (account, address), never a lock-out (domain.login_throttle). No
    sleeping here: the client is told how long to wait. Returns the counts."""
    now = ctx.clock.now()
    window_start = now - timedelta(minutes=ctx.settings.login_failure_window_minutes)
    recent = LoginFailure.at > window_start
    from_here = LoginFailure.client_address == ctx.client_address
    async with ctx.database.session() as session:
        account, pair, pair_last = (
            await session.execute(
                select(
                    func.count(),
                    func.count().filter(from_here),
                    func.max(LoginFailure.at).filter(from_here),
                ).where(LoginFailure.email == email, recent)
            )
        ).one()
        address, address_last = (
            await session.execute(
                select(func.count(), func.max(LoginFailure.at)).where(from_here, recent)
            )
        ).one()
    counts = FailureCounts(
        pair=pair or 0,
        pair_last=pair_last,
        account=account or 0,
        address=address or 0,
        address_last=address_last,
    )
    wait = seconds_to_wait(counts, _throttle_rules(ctx), now)
    if wait > 0:
        raise AppError(
            Code.RATE_LIMITED,
            f"Too many failed log-ins from here. Try again in {wait} seconds.",
            field="email",
            retryAfterSeconds=wait,
        )
    return counts


async def _record_failure(
    ctx: RequestContext, email: str, user: User | None, counts: FailureCounts
) -> None:
    """Count the failure; past the account's slow-down threshold its owner is told, at most
    once per window (whatever the addresses)."""
    settings = ctx.settings
    now = ctx.clock.now()
    failures = counts.account + 1
    async with ctx.database.transaction() as session:
        session.add(LoginFailure(email=email, client_address=ctx.client_address, at=now))
        audit(
            session,
            ctx,
            AuditAction.LOGIN_FAILED,
            company_id=await _first_company_id(session, user.id if user else 0),
            user_id=user.id if user else None,
            email=email,
        )
        if user is None or failures <= settings.login_slowdown_failures_per_account:
            return
        since = now - timedelta(minutes=settings.login_failure_window_minutes)
        if await recently_mailed(session, to=user.email, kind="LOGIN_FAILURES", since=since):
            return
        text = mailtexts.repeated_login_failures(
            user.name, failures, settings.login_failure_window_minutes
        )
        queue_mail(
            session,
            ctx.clock,
            to=user.email,
            subject=text.subject,
            body=text.body,
            kind="LOGIN_FAILURES",
        )
    ctx.runtime.wake_mailer()


async def _checked_credentials(ctx: RequestContext, email: str, password: str) -> User:
    """The confirmed account that `email` and `password` open, after the throttle's wait; an
    unknown address and a wrong password are refused alike."""
    counts = await _wait_before_log_in(ctx, email)
    async with ctx.database.session() as session:
        user = await session.scalar(select(User).where(User.email == email))
    # An unknown address spends a hash verification too (a dummy one): the same time.
    valid = await ctx.runtime.passwords.verify(user.password_hash if user else None, password)
    if user is None or not valid:
        await _record_failure(ctx, email, user, counts)
        raise bad_input("password", "INVALID_CREDENTIALS", "wrong email or password")
    if user.email_verified_at is None:
        raise AppError(
            Code.EMAIL_NOT_VERIFIED,
            "Confirm your email address first: open the link in the email we sent you, or ask "
            "for a new one with resendVerificationEmail.",
            field="email",
        )
    return user


async def log_in(
    info: Ctx,
    input: Annotated[
        gql.LogInInput, strawberry.argument(description="The account's email address and password.")
    ],
) -> gql.LogInPayload:
    ctx = info.context
    email = input.email.strip().lower()
    if not email:
        raise bad_input("email", "REQUIRED", "must not be empty")
    user = await _checked_credentials(ctx, email, input.password)
    now = ctx.clock.now()
    async with ctx.database.transaction() as session:
        membership = await session.scalar(
            select(Membership).where(Membership.user_id == user.id).order_by(Membership.id).limit(1)
        )
        if membership is None:
            raise AppError(
                Code.FORBIDDEN, "This account belongs to no company any more.", area="USERS"
            )
        company = await session.get_one(Company, membership.company_id)
        portal = company.is_accounting_firm and company.activated_at is not None
        token = new_token(SESSION_TOKEN_PREFIX)
        expires_at = now + timedelta(days=ctx.settings.session_days)
        session.add(
            AuthSession(
                token_hash=token_hash(ctx.settings.secret_key, token),
                user_id=user.id,
                context=SessionContext.PORTAL if portal else SessionContext.COMPANY,
                company_id=company.id,
                created_at=now,
                expires_at=expires_at,
                client_address=ctx.client_address,
                user_agent=(ctx.user_agent or "")[:300] or None,
            )
        )
        # Only this address's failures are forgiven: a guesser elsewhere keeps their delays.
        await session.execute(
            delete(LoginFailure).where(
                LoginFailure.email == email, LoginFailure.client_address == ctx.client_address
            )
        )
        audit(
            session, ctx, AuditAction.LOGGED_IN, company_id=company.id, user_id=user.id, email=email
        )
    ctx.cookie = CookieToSet(token, max_age=ctx.settings.session_days * 86400)
    # The rest of this operation (the payload's viewer) runs as the new session.
    ctx.access = await access_for_token(ctx.runtime, token)
    ctx.session_token = token
    return gql.LogInPayload(
        token=token, expires_at=expires_at, viewer=await build_viewer(ctx, ctx.access)
    )


async def _revoke_sessions(
    session: AsyncSession, ctx: RequestContext, user_id: int, *, keep: int | None
) -> None:
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    await session.execute(statement.values(revoked_at=ctx.clock.now()))
    publish_after_commit(session, ctx.runtime.bus, sessions_changed(user_id))  # live updates


async def log_out(
    info: Ctx,
    everywhere: Annotated[
        bool,
        strawberry.argument(
            description="End every session of the user, on all devices, not only this one."
        ),
    ] = False,
) -> bool:
    ctx = info.context
    async with ctx.database.transaction() as session:
        if everywhere:  # every tab and device of the user: they are anonymous from now on
            assert ctx.access.user_id is not None  # SignedIn
            await _revoke_sessions(session, ctx, ctx.access.user_id, keep=None)
        else:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.id == ctx.access.session_id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=ctx.clock.now())
            )
            assert ctx.access.user_id is not None  # SignedIn
            publish_after_commit(session, ctx.runtime.bus, sessions_changed(ctx.access.user_id))
        audit(session, ctx, AuditAction.LOGGED_OUT, everywhere=everywhere)
    ctx.cookie = CookieToSet(None)
    ctx.access = ANONYMOUS
    ctx.session_token = None
    return True


# --- passwords ----------------------------------------------------------------------------


async def request_password_reset(
    info: Ctx,
    email: Annotated[
        str,
        strawberry.argument(
            description="The account's email address; a single-use reset link is mailed "
            "there if the account exists."
        ),
    ],
) -> bool:
    """Always true: whether an account exists is not revealed."""
    ctx = info.context
    await _mail_link(
        ctx,
        email,
        _LinkMail(
            kind="PASSWORD_RESET",
            purpose=TokenPurpose.RESET_PASSWORD,
            hours=ctx.settings.reset_link_hours,
            path="/reset-password",
            text=mailtexts.password_reset,
            action=AuditAction.PASSWORD_RESET_REQUESTED,
            wanted=_any_account,
        ),
    )
    return True


async def _set_password(
    session: AsyncSession, ctx: RequestContext, user: User, password: str
) -> None:
    user.password_hash = await ctx.runtime.passwords.hash(password)
    user.password_changed_at = ctx.clock.now()
    text = mailtexts.password_changed(user.name)
    queue_mail(
        session,
        ctx.clock,
        to=user.email,
        subject=text.subject,
        body=text.body,
        kind="PASSWORD_CHANGED",
    )


async def reset_password(
    info: Ctx,
    token: Annotated[
        str,
        strawberry.argument(
            description="The single-use token of the link in the reset (or invitation) "
            "email (its `token` query parameter)."
        ),
    ],
    new_password: Annotated[
        str,
        strawberry.argument(
            description="The password to set: at least 10 characters, not a well-known "
            "password nor the email address."
        ),
    ],
) -> bool:
    ctx = info.context
    async with ctx.database.transaction() as session:
        row = await _use_token(session, ctx, token, TokenPurpose.RESET_PASSWORD)
        user = await session.get_one(User, row.user_id)
        problems = Problems()
        check_password(problems, "newPassword", new_password, email=user.email)
        problems.raise_if_any()  # rolls back: the link stays usable
        await _set_password(session, ctx, user, new_password)
        if user.email_verified_at is None:  # the link proved the address
            user.email_verified_at = ctx.clock.now()
        await _revoke_sessions(session, ctx, user.id, keep=None)
        audit(
            session,
            ctx,
            AuditAction.PASSWORD_RESET,
            company_id=await _first_company_id(session, user.id),
            user_id=user.id,
            email=user.email,
        )
    ctx.runtime.wake_mailer()
    return True


async def change_password(
    info: Ctx,
    current_password: Annotated[
        str, strawberry.argument(description="The viewer's password now, to confirm it is them.")
    ],
    new_password: Annotated[
        str,
        strawberry.argument(
            description="The password to set: at least 10 characters, not a well-known "
            "password nor the email address."
        ),
    ],
) -> bool:
    ctx = info.context
    async with ctx.database.session() as session:
        user = await session.get_one(User, ctx.access.user_id)
    if not await ctx.runtime.passwords.verify(user.password_hash, current_password):
        raise bad_input("currentPassword", "INVALID_CREDENTIALS", "the current password is wrong")
    problems = Problems()
    check_password(problems, "newPassword", new_password, email=user.email)
    if new_password == current_password:
        problems.add("newPassword", "UNCHANGED", "must differ from the current password")
    problems.raise_if_any()
    async with ctx.database.transaction() as session:
        user = await session.get_one(User, ctx.access.user_id)
        await _set_password(session, ctx, user, new_password)
        await _revoke_sessions(session, ctx, user.id, keep=ctx.access.session_id)
        audit(session, ctx, AuditAction.PASSWORD_CHANGED, email=user.email)
    ctx.runtime.wake_mailer()
    return True


# --- trial and activation -----------------------------------------------------------------


async def activate(info: Ctx) -> gql.ViewerPayload:
    """Keep the service after the trial. Free for a firm, which from then on has only the portal."""
    ctx = info.context
    access = ctx.access
    async with ctx.database.transaction() as session:
        is_admin = await session.scalar(
            select(Membership.id).where(
                Membership.user_id == access.user_id,
                Membership.company_id == access.company_id,
                Membership.role == Role.ADMIN,
            )
        )
        if not is_admin:
            raise AppError(
                Code.FORBIDDEN, "Only an administrator can activate the account.", area="SETTINGS"
            )
        company = await session.get_one(Company, access.company_id)
        if company.activated_at is None:
            company.activated_at = ctx.clock.now()
            audit(session, ctx, AuditAction.ACTIVATED, firm=company.is_accounting_firm)
        if company.is_accounting_firm:
            await session.execute(
                update(AuthSession)
                .where(AuthSession.id == access.session_id)
                .values(context=SessionContext.PORTAL)
            )
    ctx.access = await access_for_token(ctx.runtime, ctx.session_token)
    return gql.ViewerPayload(viewer=await build_viewer(ctx, ctx.access))


# --- the domain's root fields ---------------------------------------------------------------

ANYONE = Anyone()


@strawberry.type
class Queries:
    viewer = field(ANYONE, viewer, description="Who is asking, and what is open to them.")


@strawberry.type
class Mutations:
    sign_up = mutation(
        ANYONE,
        sign_up,
        description="Create a company with its first administrator and a 14-day trial, and "
        "email a single-use login link that confirms the address.",
    )
    verify_email = mutation(
        ANYONE,
        verify_email,
        description="Confirm the email address with the link's token.",
    )
    resend_verification_email = mutation(
        ANYONE,
        resend_verification_email,
        description="Send a new login link to an unconfirmed address. Always true: it does not "
        "reveal whether an account exists.",
    )
    log_in = mutation(
        ANYONE,
        log_in,
        description="Log in with email and password. Sets the session cookie and returns the "
        "token for API clients.",
    )
    log_out = mutation(
        SignedIn(trial_exempt=True),
        log_out,
        description="End this session; with everywhere: true every session of the user (other "
        "tabs and devices are logged out at their next request).",
    )
    request_password_reset = mutation(
        ANYONE,
        request_password_reset,
        description="Email a link for choosing a new password. Always true.",
    )
    reset_password = mutation(
        ANYONE,
        reset_password,
        description="Set a new password with the reset link's token; logs out every session.",
    )
    change_password = mutation(
        SignedIn(),
        change_password,
        description="Change the password; every other session of the user is logged out.",
    )
    activate = mutation(
        SignedIn(trial_exempt=True),
        activate,
        description="Activate the account, during or after the trial. Free for accounting "
        "firms, which from then on have only the partner portal.",
    )
