"""The company's BAS account per expense category (SETTINGS).

A row overrides the BAS 2026 default (domain.bas) of one category; a category without a row books
on its default. The SIE export reads the whole table through `bas_account_table`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, String, UniqueConstraint, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gql_portal.db.base import Base, CompanyOwned, IdMixin, company_fk, enum_column
from gql_portal.domain.bas import default_account
from gql_portal.domain.expenses import ExpenseCategory
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area

MAX_BAS_ACCOUNT_NAME_LENGTH = 100


class CompanyBasAccount(IdMixin, CompanyOwned, Base):
    """The company's own BAS account (and optionally its own name for it) for one expense
    category, instead of the default."""

    __tablename__ = "bas_accounts"
    __area__: ClassVar[Area] = Area.SETTINGS
    __table_args__ = (UniqueConstraint("company_id", "category"),)

    company_id: Mapped[int] = company_fk()
    category: Mapped[ExpenseCategory] = enum_column(ExpenseCategory)
    account: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(MAX_BAS_ACCOUNT_NAME_LENGTH))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    @classmethod
    def own_rows(cls, access: Access) -> ColumnElement[bool]:
        return true()  # an employee's own expenses book on the company's accounts


def default_account_table() -> dict[ExpenseCategory, int]:
    """Every expense category on its BAS 2026 default account."""
    return {category: default_account(category) for category in ExpenseCategory}


async def bas_account_table(
    session: AsyncSession, company_ids: Iterable[int]
) -> dict[int, dict[ExpenseCategory, int]]:
    """Each company's account per expense category: its own where it has set one, the default
    elsewhere (every company asked for has every category). One statement; what the viewer
    reaches, a scoped session's row scope decides."""
    companies = sorted(set(company_ids))
    tables = {company_id: default_account_table() for company_id in companies}
    rows = await session.execute(
        select(
            CompanyBasAccount.company_id, CompanyBasAccount.category, CompanyBasAccount.account
        ).where(CompanyBasAccount.company_id.in_(companies))
    )
    for company_id, category, account in rows:
        tables[company_id][category] = account
    return tables
