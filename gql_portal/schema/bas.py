"""GraphQL types of the company's BAS account table (SETTINGS): the account each expense
category is booked on, the company's own or the BAS 2026 default."""

import strawberry

# ExpenseCategory becomes a GraphQL enum in the EXPENSES domain's types; an enum registered
# twice is a duplicate type to Strawberry, so this module only makes sure that happened first.
import gql_portal.schema.expenses  # noqa: F401
from gql_portal.db.bas import MAX_BAS_ACCOUNT_NAME_LENGTH
from gql_portal.domain.bas import account_name, default_account
from gql_portal.domain.expenses import ExpenseCategory
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import AreaRule, Structural
from gql_portal.schema.fields import field

SETTINGS = AreaRule(Area.SETTINGS)
STRUCTURAL = Structural()
BAS_ACCOUNTS_BOUND = 50  # one per expense category (9 today)


@strawberry.type(description="The BAS account an expense category is booked on.")
class BasAccount:
    company_id: strawberry.Private[int]
    category: ExpenseCategory = field(SETTINGS, description="The expense category.")
    account: int = field(
        SETTINGS, description="The BAS account number (four digits, class 1-8), e.g. 5800."
    )
    name: str | None = field(
        SETTINGS,
        description="The account's name: the company's own, else BAS's; null when neither is "
        "known.",
    )
    is_default: bool = field(
        SETTINGS,
        description="True when the company has not chosen an account for the category: it is "
        "booked on the BAS 2026 default.",
    )
    default_account: int = field(
        SETTINGS, description="The category's BAS 2026 default account, for a reset button."
    )

    @classmethod
    def of(
        cls,
        company_id: int,
        category: ExpenseCategory,
        account: int | None = None,
        name: str | None = None,
    ) -> "BasAccount":
        """The category's account: `account` (the company's), or the default when None."""
        default = default_account(category)
        chosen = default if account is None else account
        return cls(
            company_id=company_id,
            category=category,
            account=chosen,
            name=name or account_name(chosen),
            is_default=account is None,
            default_account=default,
        )


@strawberry.input(description="An expense category's account: one to set, or none for the default.")
class BasAccountInput:
    category: str = strawberry.field(
        description="An expense category (an ExpenseCategory value), e.g. TRAVEL."
    )
    account: int | None = strawberry.field(
        default=None,
        description="A BAS account number, four digits of class 1-8 (1000-8999), not the "
        "vouchers' own 2641, 2645 or 2820; null or absent: back to the default.",
    )
    name: str | None = strawberry.field(
        default=None,
        description=f"The company's own name for the account, at most "
        f"{MAX_BAS_ACCOUNT_NAME_LENGTH} characters; null or empty: BAS's name.",
    )


@strawberry.input(description="Accounts to set or reset; categories left out are not changed.")
class SetBasAccountsInput:
    accounts: list[BasAccountInput] = strawberry.field(
        description="At most one entry per category."
    )


@strawberry.type(description="The company's BAS account table after the change.")
class BasAccountsPayload:
    bas_accounts: list[BasAccount] = field(
        STRUCTURAL,
        description="Every expense category with its account, as `basAccounts` lists them.",
        bound=BAS_ACCOUNTS_BOUND,
    )
