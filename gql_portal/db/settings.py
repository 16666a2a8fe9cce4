"""Company settings and time codes (SETTINGS)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk, enum_column
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
