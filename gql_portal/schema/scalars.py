"""Scalars: exact money as decimal strings, never floats."""

from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

TWO_PLACES = Decimal("0.01")


def _parse_money(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('Money is a decimal string such as "1234.50" (floats are not exact)')
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f'{value!r} is not an amount such as "1234.50"') from None
    if not amount.is_finite():
        raise ValueError("an amount must be a finite number")
    if amount != amount.quantize(TWO_PLACES):
        raise ValueError("an amount has at most two decimals (öre)")
    return amount.quantize(TWO_PLACES)


def _parse_decimal(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError('a decimal number is a string such as "7.50" (floats are not exact)')
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(f'{value!r} is not a decimal number such as "7.50"') from None
    if not number.is_finite():
        raise ValueError("a decimal number must be finite")
    return number


Money = NewType("Money", Decimal)

# Passed to every schema's StrawberryConfig.
SCALAR_MAP: dict[object, ScalarDefinition] = {
    Money: strawberry.scalar(
        name="Money",
        serialize=lambda value: str(Decimal(value).quantize(TWO_PLACES)),
        parse_value=_parse_money,
        description='An exact amount with two decimals, as a string: "1234.50"; in SEK unless '
        "its field names another currency (Expense.originalAmount).",
    ),
    Decimal: strawberry.scalar(
        name="Decimal",
        serialize=str,
        parse_value=_parse_decimal,
        description='An exact decimal number as a string, e.g. hours "7.50" or percent "80".',
    ),
}
