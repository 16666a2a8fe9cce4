"""Company settings, time codes and the pay-type table (SETTINGS)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    String,
    UniqueConstraint,
    false,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk, enum_column
from gql_portal.domain.paytypes import DEFAULT_PAXML_ENCODING, MAX_LONART_LENGTH
from gql_portal.domain.time import DEFAULT_TIME_CODES, TimeCodeKind, Unit
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area


class CompanySettings(IdMixin, CompanyOwned, Base):
    __tablename__ = "company_settings"
    __area__: ClassVar[Area] = Area.SETTINGS

    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), unique=True
    )
    # The payroll period: a calendar month, paid in the month (day) given.
    period_kind: Mapped[str] = mapped_column(String(20), default="CALENDAR_MONTH")
    pay_day: Mapped[int] = mapped_column(default=25)
    # The PAXml export: its encoding (a domain.paytypes.PaxmlEncoding value), and the payroll
    # program whose preset pay-type table was applied last (None: none applied).
    paxml_encoding: Mapped[str] = mapped_column(String(20), default=DEFAULT_PAXML_ENCODING.value)
    payroll_program: Mapped[str | None] = mapped_column(String(40))
    # An accounting firm's: whether its users without an assignment reach every ACTIVE client
    # (true, the default: small firms) or none (gql_portal/db/firm.py).
    unassigned_users_see_all_clients: Mapped[bool] = mapped_column(
        default=True, server_default=true()
    )
    # A client's condition on its collaborations: only the firm's users assigned to it (and the
    # firm's admins) reach it, whatever the firm's policy (gql_portal/permissions/firm_reach.py).
    require_named_assignment: Mapped[bool] = mapped_column(default=False, server_default=false())
    updated_at: Mapped[datetime]


class TimeCode(IdMixin, CompanyOwned, Base):
    """A company's time code, mapped to a PAXml time code and a pay type of its payroll program.

    Readable wherever time is (employees report with them); written under SETTINGS."""

    __tablename__ = "time_codes"
    __area__: ClassVar[Area] = Area.TIME
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[int] = company_fk()
    code: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TimeCodeKind] = enum_column(TimeCodeKind)
    paxml_code: Mapped[str] = mapped_column(String(10))
    pay_type: Mapped[str] = mapped_column(String(20))
    unit: Mapped[Unit] = enum_column(Unit)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return true()  # every employee of the company reads the codes they report with


class PayType(IdMixin, CompanyOwned, Base):
    """One row of the company's pay-type table: the client's own pay type (`lonart`) for a
    standard PAXml code (domain.paytypes.STANDARD_CODES). A code without a row has no lonart."""

    __tablename__ = "pay_types"
    __area__: ClassVar[Area] = Area.SETTINGS
    __table_args__ = (UniqueConstraint("company_id", "code"),)

    company_id: Mapped[int] = company_fk()
    code: Mapped[str] = mapped_column(String(20))
    lonart: Mapped[str] = mapped_column(String(MAX_LONART_LENGTH))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return true()  # an employee's own basis lines carry the company's lonart


async def pay_type_tables(
    session: AsyncSession, company_ids: Iterable[int]
) -> dict[int, dict[str, str]]:
    """Each company's pay-type table, code -> lonart (every company asked for has an entry; an
    empty table: no lonart anywhere). One statement; what the viewer reaches, a scoped session's
    row scope decides."""
    companies = sorted(set(company_ids))
    tables: dict[int, dict[str, str]] = {company_id: {} for company_id in companies}
    rows = await session.execute(
        select(PayType.company_id, PayType.code, PayType.lonart).where(
            PayType.company_id.in_(companies)
        )
    )
    for company_id, code, lonart in rows:
        tables[company_id][code] = lonart
    return tables


async def pay_type_table(session: AsyncSession, company_id: int) -> dict[str, str]:
    """The company's pay-type table, code -> lonart (see `pay_type_tables`)."""
    return (await pay_type_tables(session, [company_id]))[company_id]


async def paxml_encodings(session: AsyncSession, company_ids: Iterable[int]) -> dict[int, str]:
    """Each company's PAXml encoding ("UTF-8" when it has no settings row)."""
    companies = sorted(set(company_ids))
    encodings = dict.fromkeys(companies, DEFAULT_PAXML_ENCODING.value)
    rows = await session.execute(
        select(CompanySettings.company_id, CompanySettings.paxml_encoding).where(
            CompanySettings.company_id.in_(companies)
        )
    )
    encodings.update({company_id: encoding for company_id, encoding in rows})
    return encodings


def add_company_defaults(session: AsyncSession, company_id: int, now: datetime) -> None:
    """What every new company starts with: settings and the Swedish default time codes."""
    session.add(CompanySettings(company_id=company_id, updated_at=now))
    session.add_all(
        TimeCode(
            company_id=company_id,
            code=default.code,
            name=default.name,
            kind=default.kind,
            paxml_code=default.paxml_code,
            pay_type=default.pay_type,
            unit=default.unit,
            active=True,
            created_at=now,
        )
        for default in DEFAULT_TIME_CODES
    )
