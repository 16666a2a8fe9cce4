"""Companies, users, memberships, sessions and the tokens behind email links."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gql_portal.db.base import Base, CompanyOwned, IdMixin
from gql_portal.domain.accounts import (
    Industry,
    PayrollProgram,
    Role,
    SessionContext,
    TokenPurpose,
    is_accounting_firm,
)
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


def _enum(enum_class: type) -> Enum:
    # Stored as plain strings with a CHECK-free VARCHAR: new members need no migration dance.
    return Enum(enum_class, native_enum=False, create_constraint=False, length=32)


class Company(IdMixin, Base):
    __tablename__ = "companies"

    name: Mapped[str] = mapped_column(String(200))
    organisation_number: Mapped[str] = mapped_column(String(10), unique=True)
    industry: Mapped[Industry] = mapped_column(_enum(Industry))
    payroll_program: Mapped[PayrollProgram | None] = mapped_column(_enum(PayrollProgram))
    created_at: Mapped[datetime]
    trial_ends_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]

    @property
    def is_accounting_firm(self) -> bool:
        return is_accounting_firm(self.industry)


class User(IdMixin, Base):
    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(200))
    email_verified_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime]
    created_at: Mapped[datetime]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="raise", order_by="Membership.id"
    )


class Membership(IdMixin, CompanyOwned, Base):
    """A user's role in one company (USERS). Row scoping lets a viewer reach the company's
    memberships where they reach USERS; "own" is the viewer's own membership."""

    __tablename__ = "memberships"
    __area__: ClassVar[Area] = Area.USERS
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(_enum(Role))
    created_at: Mapped[datetime]

    user: Mapped[User] = relationship(back_populates="memberships", lazy="raise")
    company: Mapped[Company] = relationship(lazy="raise")

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return cls.user_id == access.user_id


class AuthSession(IdMixin, Base):
    """A logged-in session. Only a hash of its token is stored."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    context: Mapped[SessionContext] = mapped_column(_enum(SessionContext))
    # The company the session is in (company context) or the firm (portal context).
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"))
    # Set while a partner firm's user works inside a client's company (FULL collaboration).
    acting_firm_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class AccountToken(IdMixin, Base):
    """A single-use token behind an email link (verification / login link, password reset)."""

    __tablename__ = "account_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[TokenPurpose] = mapped_column(_enum(TokenPurpose))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginFailure(IdMixin, Base):
    """One failed log-in; counted per (account, address), per account and per address within
    a window (gql_portal.domain.login_throttle)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        # The (account, address) pair's failures: what the growing delays count.
        Index("ix_login_failures_email_client_address_at", "email", "client_address", "at"),
        Index("ix_login_failures_address_at", "client_address", "at"),
    )

    email: Mapped[str] = mapped_column(String(254))
    client_address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
