"""The BAS chart of accounts (BAS 2026) as far as the expenses need it, and its defaults.

BAS is the Swedish standard chart (bas.se): four-digit accounts whose first digit is the class
(1 assets, 2 equity and liabilities, 3 revenue, 4-7 costs, 8 financial items; class 9 is the
company's internal accounts and not used in vouchers to the books). A company's own table (the
SETTINGS area, `gql_portal/db/bas.py`) starts from `DEFAULT_ACCOUNT_BY_CATEGORY` and may point a
category at any valid account; the names below are BAS's own.

Decided here:
- The liability for an employee's utlägg is 2820 "Kortfristiga skulder till anställda": the
  company owes the employee until the next salary, and BAS keeps debts to employees there
  (2890 "Övriga kortfristiga skulder" is for other creditors, so the firm would have to move them).
  The utlägg is paid with the salary (the payroll basis's UTLÄGG line), so the payroll program's
  UTLÄGG pay type debits the same account and 2820 comes back to zero once it is paid.
- Deductible input VAT is 2641 "Debiterad ingående moms"; 2645 is for VAT the company itself
  calculates on purchases from abroad (reverse charge), not for a Swedish receipt.
- Representation defaults to 6072 (ej avdragsgill): since 2017 meals at representation are not
  deductible for income tax, and meals are what the portal's receipts are; 6071 stays for the rest.
- Mileage (milersättning) is not a category: the tax-free part goes to 7331, any taxable excess
  to 7332 (the payroll program books them from the basis's MIL lines, with tax and fees on the
  taxable part; the accounts are here for the company's table and for reconciling).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from gql_portal.domain.expenses import ExpenseCategory


@dataclass(frozen=True, slots=True)
class BasAccount:
    number: int
    name: str


BAS_ACCOUNT_INVALID: Final = "BAS_ACCOUNT_INVALID"  # the error code of a bad account number
BAS_CLASSES: Final = range(1, 9)  # 1-8; class 9 (internal accounts) never reaches the books


class InvalidBasAccount(ValueError):
    """Not a four-digit BAS account of class 1-8."""

    code = BAS_ACCOUNT_INVALID


def is_bas_account_number(number: object) -> bool:
    """True for an int of four digits whose first digit (the class) is 1-8."""
    if not isinstance(number, int) or isinstance(number, bool):
        return False
    return 1000 <= number <= 8999


def validate_bas_account(number: object) -> int:
    """`number` as an account number, or InvalidBasAccount saying why it is not one."""
    if not is_bas_account_number(number):
        raise InvalidBasAccount(
            f"a BAS account is four digits of class 1-8 (1000-8999), not {number!r}"
        )
    assert isinstance(number, int)
    return number


_ACCOUNTS = (
    BasAccount(1930, "Företagskonto/checkkonto/affärskonto"),
    BasAccount(2641, "Debiterad ingående moms"),
    BasAccount(2645, "Beräknad ingående moms på förvärv från utlandet"),
    BasAccount(2820, "Kortfristiga skulder till anställda"),
    BasAccount(2890, "Övriga kortfristiga skulder"),
    BasAccount(5410, "Förbrukningsinventarier"),
    BasAccount(5460, "Förbrukningsmaterial"),
    BasAccount(5611, "Drivmedel för personbilar"),
    BasAccount(5800, "Resekostnader"),
    BasAccount(5831, "Kost och logi i Sverige"),
    BasAccount(5832, "Kost och logi i utlandet"),
    BasAccount(5890, "Övriga resekostnader"),
    BasAccount(6071, "Representation, avdragsgill"),
    BasAccount(6072, "Representation, ej avdragsgill"),
    BasAccount(6110, "Kontorsmateriel"),
    BasAccount(6212, "Mobiltelefon"),
    BasAccount(6540, "IT-tjänster"),
    BasAccount(6970, "Tidningar, tidskrifter och facklitteratur"),
    BasAccount(6990, "Övriga externa kostnader"),
    BasAccount(7331, "Skattefria bilersättningar"),
    BasAccount(7332, "Skattepliktiga bilersättningar"),
    BasAccount(7690, "Övriga personalkostnader"),
)
# The accounts the portal knows by name, by number (read-only).
BAS_ACCOUNTS: Final = MappingProxyType({account.number: account for account in _ACCOUNTS})

BANK_ACCOUNT: Final = 1930
VAT_ACCOUNT: Final = 2641  # deductible input VAT on a Swedish receipt
REVERSE_CHARGE_VAT_ACCOUNT: Final = 2645  # input VAT calculated on purchases from abroad
EMPLOYEE_LIABILITY_ACCOUNT: Final = 2820  # what the company owes the employee for an utlägg
TAX_FREE_MILEAGE_ACCOUNT: Final = 7331
TAXABLE_MILEAGE_ACCOUNT: Final = 7332
FALLBACK_COST_ACCOUNT: Final = 6990  # a category without a default of its own
# The accounts every expense voucher books itself (the deductible VAT, the liability to the
# employee) and the reverse-charge VAT that is the books' own entry: a cost booked on one of
# them would make a voucher that books the utlägg against itself, so no category takes them.
BAS_ACCOUNT_RESERVED: Final = "BAS_ACCOUNT_RESERVED"
NOT_A_COST_ACCOUNT: Final = frozenset(
    {VAT_ACCOUNT, REVERSE_CHARGE_VAT_ACCOUNT, EMPLOYEE_LIABILITY_ACCOUNT}
)

# Where an expense of each category is booked unless the company says otherwise.
DEFAULT_ACCOUNT_BY_CATEGORY: Final[dict[ExpenseCategory, int]] = {
    ExpenseCategory.FOOD: 7690,  # fika and meals for the staff; a trip's meals: 5831
    # A restaurant bill an employee pays and claims is, but for representation (its own
    # category), the meal of a business trip: 5831 "Kost och logi i Sverige" (abroad: 5832
    # "Kost och logi i utlandet", chosen per voucher). A meal for the staff at home is a taxable
    # benefit that payroll handles, not an utlägg; with guests it is REPRESENTATION (6072).
    ExpenseCategory.RESTAURANT: 5831,
    ExpenseCategory.ACCOMMODATION: 5831,
    ExpenseCategory.TRAVEL: 5800,
    ExpenseCategory.FUEL: 5611,
    ExpenseCategory.PARKING: 5800,  # part of the business trip (the employee's own car)
    ExpenseCategory.OFFICE_SUPPLIES: 6110,
    ExpenseCategory.BOOKS_NEWSPAPERS: 6970,
    # Concert, theatre and museum tickets the company pays for its staff (a team activity, the
    # staff's recreation: personalvård) are 7690 "Övriga personalkostnader"; with customers or
    # other guests they are representation, which has its own category (6071/6072). 6990
    # "Övriga externa kostnader", the fallback before, says nothing of whom the cost was for.
    ExpenseCategory.CULTURE: 7690,
    ExpenseCategory.REPRESENTATION: 6072,
    ExpenseCategory.OTHER: FALLBACK_COST_ACCOUNT,
}


def default_account(category: ExpenseCategory) -> int:
    """The BAS account a new company books `category` on (a category added later, without a
    default yet, goes to 6990 Övriga externa kostnader)."""
    return DEFAULT_ACCOUNT_BY_CATEGORY.get(category, FALLBACK_COST_ACCOUNT)


def account_name(number: int) -> str | None:
    """BAS's name of a known account; None for an account the portal has no name for."""
    account = BAS_ACCOUNTS.get(number)
    return account.name if account else None
