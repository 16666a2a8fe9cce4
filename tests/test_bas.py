"""The BAS accounts the expenses are booked on, and a company's defaults per category."""

from __future__ import annotations

import pytest

from gql_portal.domain.bas import (
    BAS_ACCOUNTS,
    DEFAULT_ACCOUNT_BY_CATEGORY,
    EMPLOYEE_LIABILITY_ACCOUNT,
    FALLBACK_COST_ACCOUNT,
    REVERSE_CHARGE_VAT_ACCOUNT,
    TAX_FREE_MILEAGE_ACCOUNT,
    TAXABLE_MILEAGE_ACCOUNT,
    VAT_ACCOUNT,
    InvalidBasAccount,
    account_name,
    default_account,
    is_bas_account_number,
    validate_bas_account,
)
from gql_portal.domain.expenses import ExpenseCategory


def test_every_category_has_a_named_cost_account_of_classes_4_to_7() -> None:
    for category in ExpenseCategory:
        number = default_account(category)
        assert 4000 <= number <= 7999, category
        assert account_name(number), (category, number)


def test_the_defaults_are_those_of_bas_2026() -> None:
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.TRAVEL] == 5800
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.ACCOMMODATION] == 5831
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.FUEL] == 5611
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.OFFICE_SUPPLIES] == 6110
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.BOOKS_NEWSPAPERS] == 6970
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.REPRESENTATION] == 6072
    # A restaurant bill of a business trip; culture tickets for the staff.
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.RESTAURANT] == 5831
    assert account_name(5831) == "Kost och logi i Sverige"
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.CULTURE] == 7690
    assert account_name(7690) == "Övriga personalkostnader"
    assert DEFAULT_ACCOUNT_BY_CATEGORY[ExpenseCategory.OTHER] == FALLBACK_COST_ACCOUNT == 6990


def test_the_balance_sheet_accounts_of_an_utlagg() -> None:
    assert (VAT_ACCOUNT, account_name(VAT_ACCOUNT)) == (2641, "Debiterad ingående moms")
    assert REVERSE_CHARGE_VAT_ACCOUNT == 2645
    assert account_name(EMPLOYEE_LIABILITY_ACCOUNT) == "Kortfristiga skulder till anställda"
    assert account_name(TAX_FREE_MILEAGE_ACCOUNT) == "Skattefria bilersättningar"
    assert account_name(TAXABLE_MILEAGE_ACCOUNT) == "Skattepliktiga bilersättningar"


def test_the_chart_is_keyed_by_its_own_numbers_and_all_are_valid() -> None:
    for number, account in BAS_ACCOUNTS.items():
        assert account.number == number
        assert validate_bas_account(number) == number
    assert account_name(4010) is None  # valid, but not one the portal names


@pytest.mark.parametrize("number", [1000, 1930, 2641, 8999])
def test_four_digits_of_class_1_to_8_are_accounts(number: int) -> None:
    assert is_bas_account_number(number)
    assert validate_bas_account(number) == number


@pytest.mark.parametrize("number", [999, 9000, 9999, 10000, 0, -2641, "2641", 2641.0, True, None])
def test_anything_else_is_refused_with_a_code(number: object) -> None:
    assert not is_bas_account_number(number)
    with pytest.raises(InvalidBasAccount) as refused:
        validate_bas_account(number)
    assert refused.value.code == "BAS_ACCOUNT_INVALID"
