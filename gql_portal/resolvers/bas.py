"""The company's BAS account table (SETTINGS): which account each expense category is booked on
in the vouchers to the client's books. A category the company has not set books on the BAS 2026
default (domain.bas)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gql_portal.context import RequestContext
from gql_portal.db.bas import MAX_BAS_ACCOUNT_NAME_LENGTH, CompanyBasAccount
from gql_portal.domain.audit import AuditAction
from gql_portal.domain.bas import (
    BAS_ACCOUNT_INVALID,
    BAS_ACCOUNT_RESERVED,
    NOT_A_COST_ACCOUNT,
    is_bas_account_number,
)
from gql_portal.domain.expenses import ExpenseCategory
from gql_portal.domain.validation import clean_text
from gql_portal.errors import Problems
from gql_portal.permissions.matrix import Area, Op
from gql_portal.permissions.rules import AreaRule
from gql_portal.resolvers.audit import audit
from gql_portal.resolvers.common import Ctx
from gql_portal.schema import bas as gql
from gql_portal.schema.fields import field, mutation

SIE_ENCODING = "cp437"  # the SIE file's PC8: a name the file cannot carry is refused up front


@dataclass(frozen=True)
class WantedAccount:
    """What the input asks for one category: an account and name, or the default (None)."""

    account: int | None
    name: str | None


def _session_company(ctx: RequestContext) -> int:
    company_id = ctx.access.company_id
    assert company_id is not None  # SETTINGS is only reached inside a company
    return company_id


async def _bas_account_list(ctx: RequestContext, session: AsyncSession) -> list[gql.BasAccount]:
    """Every expense category with its account, in the categories' order."""
    rows = {row.category: row for row in await session.scalars(select(CompanyBasAccount))}
    company_id = _session_company(ctx)
    accounts = []
    for category in ExpenseCategory:
        row = rows.get(category)
        if row is None:
            accounts.append(gql.BasAccount.of(company_id, category))
        else:
            accounts.append(gql.BasAccount.of(company_id, category, row.account, row.name))
    return accounts


async def bas_accounts(info: Ctx) -> list[gql.BasAccount]:
    ctx = info.context
    async with ctx.database.scoped(ctx.access) as session:
        return await _bas_account_list(ctx, session)


# --- setting accounts ---------------------------------------------------------------------------


def _item_field(index: int, name: str) -> str:
    return f"input.accounts[{index}].{name}"


def _check_category(problems: Problems, index: int, text: str) -> ExpenseCategory | None:
    try:
        return ExpenseCategory(text.strip().upper())
    except ValueError:
        problems.add(
            _item_field(index, "category"),
            "UNKNOWN_CATEGORY",
            "must be an expense category: " + ", ".join(ExpenseCategory),
        )
        return None


def _check_name(problems: Problems, index: int, text: str | None) -> str | None:
    """The cleaned name, or None for BAS's own."""
    field_name = _item_field(index, "name")
    name = clean_text(
        problems, field_name, text or "", max_length=MAX_BAS_ACCOUNT_NAME_LENGTH, required=False
    )
    if not name:
        return None
    try:
        name.encode(SIE_ENCODING)
    except UnicodeEncodeError:
        problems.add(
            field_name,
            "UNSUPPORTED_CHARACTER",
            "may hold letters (å, ä, ö too), digits and punctuation: the SIE file is PC8",
        )
    return name


def _check_item(problems: Problems, index: int, item: gql.BasAccountInput) -> WantedAccount:
    if item.account is None:
        return WantedAccount(None, None)  # back to the default: a name alone means nothing
    if not is_bas_account_number(item.account):
        problems.add(
            _item_field(index, "account"),
            BAS_ACCOUNT_INVALID,
            "must be a BAS account number: four digits of class 1-8 (1000-8999)",
        )
    elif item.account in NOT_A_COST_ACCOUNT:
        problems.add(
            _item_field(index, "account"),
            BAS_ACCOUNT_RESERVED,
            f"{item.account} is the vouchers' own VAT or liability account, not a cost account",
        )
    return WantedAccount(item.account, _check_name(problems, index, item.name))


def _check_accounts(
    problems: Problems, items: list[gql.BasAccountInput]
) -> dict[ExpenseCategory, WantedAccount]:
    """category -> what to set, from the input's items."""
    if len(items) > len(ExpenseCategory):
        problems.add(
            "input.accounts",
            "TOO_MANY",
            f"at most {len(ExpenseCategory)} entries, one per category",
        )
        return {}
    wanted: dict[ExpenseCategory, WantedAccount] = {}
    for index, item in enumerate(items):
        category = _check_category(problems, index, item.category)
        if category is not None and category in wanted:
            problems.add(_item_field(index, "category"), "DUPLICATE", "is given more than once")
        choice = _check_item(problems, index, item)
        if category is not None:
            wanted[category] = choice
    return wanted


async def _write_accounts(
    ctx: RequestContext, session: AsyncSession, wanted: dict[ExpenseCategory, WantedAccount]
) -> dict[ExpenseCategory, WantedAccount]:
    """Set or reset each category's account (a category on its default has no row); the
    categories that changed."""
    rows = {row.category: row for row in await session.scalars(select(CompanyBasAccount))}
    now = ctx.clock.now()
    changed: dict[ExpenseCategory, WantedAccount] = {}
    for category, choice in wanted.items():
        row = rows.get(category)
        if choice.account is None and row is not None:
            await session.delete(row)
        elif choice.account is not None and row is None:
            session.add(
                CompanyBasAccount(
                    company_id=_session_company(ctx),
                    category=category,
                    account=choice.account,
                    name=choice.name,
                    created_at=now,
                    updated_at=now,
                )
            )
        elif row is not None and (row.account, row.name) != (choice.account, choice.name):
            assert choice.account is not None
            row.account, row.name, row.updated_at = choice.account, choice.name, now
        else:
            continue
        changed[category] = choice
    await session.flush()
    return changed


def _audit_changes(
    session: AsyncSession, ctx: RequestContext, changed: dict[ExpenseCategory, WantedAccount]
) -> None:
    audit(
        session,
        ctx,
        AuditAction.BAS_ACCOUNTS_UPDATED,
        set={
            category.value: {"account": choice.account, "name": choice.name}
            for category, choice in changed.items()
            if choice.account is not None
        },
        reset=sorted(
            category.value for category, choice in changed.items() if choice.account is None
        ),
    )


async def set_bas_accounts(
    info: Ctx,
    input: Annotated[
        gql.SetBasAccountsInput,
        strawberry.argument(
            description="The BAS account per expense category; categories left out keep theirs."
        ),
    ],
) -> gql.BasAccountsPayload:
    ctx = info.context
    problems = Problems()
    wanted = _check_accounts(problems, input.accounts)
    problems.raise_if_any()
    async with ctx.database.scoped(ctx.access, Op.WRITE) as session:
        changed = await _write_accounts(ctx, session, wanted)
        if changed:
            _audit_changes(session, ctx, changed)
        return gql.BasAccountsPayload(bas_accounts=await _bas_account_list(ctx, session))


# --- the domain's root fields ---------------------------------------------------------------


@strawberry.type
class Queries:
    bas_accounts = field(
        AreaRule(Area.SETTINGS),
        bas_accounts,
        description="The company's BAS account table: every expense category with the account "
        "its expenses are booked on in the vouchers (SIE), the company's own or the BAS 2026 "
        "default. In the categories' order.",
        bound=gql.BAS_ACCOUNTS_BOUND,
    )


@strawberry.type
class Mutations:
    set_bas_accounts = mutation(
        AreaRule(Area.SETTINGS, Op.WRITE),
        set_bas_accounts,
        description="Set the company's BAS account (and optionally its name) for expense "
        "categories, many at once; an entry without an account puts its category back on the "
        "default, categories left out keep theirs.",
    )
