"""The orders a list is paged in (keyset pagination, resolvers/loading.py `paginate`): its default
order, or the one its `orderBy` argument picks, always ending in a unique column (the id) so that
every row has one place. A cursor carries the order's key values and, for an `orderBy` order,
the order itself: a cursor of one order given with another is INVALID_CURSOR.

Every key of an order runs in the order's direction (the id tie-break too), so a page's bounds
over plain columns are one row-value comparison (as the default orders always were). A key that
may be NULL keeps its NULLs last in both directions, and a computed one (a name's sort key) is
compared as computed: their bounds are spelled out key by key (a row-value comparison with a
NULL in it is NULL, and would drop the rows)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, and_, false, literal, or_, tuple_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import TypeEngine

from gql_portal.context import RequestContext
from gql_portal.db.base import ScaledDecimal, UTCDateTime
from gql_portal.errors import bad_input
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import require_order_readable
from gql_portal.schema.ordering import OrderDirection

Column = ColumnElement[Any] | InstrumentedAttribute[Any]


@dataclass(frozen=True)
class SortKey:
    """One value rows are ordered by. `value` is what a cursor holds (a column, or SQL such as a
    client's name); rows are compared on `compare(value)` (e.g. a name's sort key), cursor
    values run through the same SQL. `nullable`: NULLs sort last, in either direction."""

    value: Column
    compare: Callable[[Any], ColumnElement[Any]] | None = None
    nullable: bool = False

    @property
    def sorted_on(self) -> ColumnElement[Any]:
        return self.compare(self.value) if self.compare else self.value  # type: ignore[return-value]

    def bound(self, value: Any) -> ColumnElement[Any]:
        """A cursor's value as SQL, compared as the column is."""
        literal_value = literal(value, type_=self.value.type)
        return self.compare(literal_value) if self.compare else literal_value

    def attribute_of(self, entity: Any) -> str | None:
        """The name of the attribute of the listed rows (`entity`) that `value` is: its cursor
        value is read off the row. Other values (a joined row's) are selected with the page."""
        value = self.value
        if isinstance(value, InstrumentedAttribute) and value.class_ is entity:
            return value.key
        return None


@dataclass(frozen=True)
class Keyset:
    """An order of a list: its keys (the last one unique) and direction. `name` tells an
    `orderBy` order's cursors from another's; the default order (None) has the plain cursors
    it always had."""

    keys: Sequence[SortKey]
    descending: bool = False
    name: str | None = None

    @property
    def plain(self) -> bool:
        """Compared as one row value: no key NULLable or computed."""
        return not any(key.nullable or key.compare for key in self.keys)


def default_order(columns: Sequence[Column], *, descending: bool = False) -> Keyset:
    return Keyset([SortKey(column) for column in columns], descending=descending)


@dataclass(frozen=True)
class OrderChoice:
    """What an `orderBy` field value orders by: its keys before the id tie-break, and the area
    its values belong to when that is not the list's own (ordering by a value tells how the
    values compare: the viewer must read it on every row of the list)."""

    keys: Sequence[SortKey]
    area: Area | None = None


def chosen_order(
    ctx: RequestContext,
    order_by: Any,
    choices: Mapping[Any, OrderChoice],
    unique: Column,
    default: Keyset,
    *,
    listed: Area,
) -> Keyset:
    """The keyset `order_by` (an `XOrder` input: `field`, `direction`) picks, the id last in the
    same direction; `default` without one. A field of another area than the list's (`listed`)
    only for a viewer who reads that area on every row listed (permissions/rules.py)."""
    if order_by is None:
        return default
    choice = choices[order_by.field]
    if choice.area is not None and choice.area is not listed:
        require_order_readable(ctx.access, listed=listed, ordered_by=choice.area)
    descending = order_by.direction is OrderDirection.DESC
    return Keyset(
        [*choice.keys, SortKey(unique)],
        descending=descending,
        name=f"{order_by.field.value} {order_by.direction.value}",
    )


# --- cursors ------------------------------------------------------------------------------------


def cursor_payload(keyset: Keyset, values: Sequence[Any]) -> Any:
    """What a cursor encodes: the key values (JSON-able), with the order's name if it has one."""
    plain = [_cursor_value(value) for value in values]
    return plain if keyset.name is None else {"order": keyset.name, "keys": plain}


def cursor_values(keyset: Keyset, payload: Any, argument: str) -> list[Any]:
    """The key values of a decoded cursor, typed as the keys' columns; INVALID_CURSOR naming
    `argument` for a cursor of another list or another order."""
    if keyset.name is None:
        values = payload
    elif isinstance(payload, dict) and payload.get("order") == keyset.name:
        values = payload.get("keys")
    else:
        values = None
    if not isinstance(values, list) or len(values) != len(keyset.keys):
        raise _invalid(argument)
    typed: list[Any] = []
    for key, value in zip(keyset.keys, values, strict=True):
        if value is None:
            if not key.nullable:
                raise _invalid(argument)
            typed.append(None)
        else:
            typed.append(_typed(key.value.type, value, argument))
    return typed


def _invalid(argument: str) -> Exception:
    return bad_input(argument, "INVALID_CURSOR", "is not a cursor of this list in this order")


def _cursor_value(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _python_type(column_type: TypeEngine[Any]) -> type:
    if isinstance(column_type, ScaledDecimal):
        return Decimal
    if isinstance(column_type, UTCDateTime):
        return datetime
    try:
        return column_type.python_type
    except NotImplementedError:
        return object


# A cursor is the client's to send back: whatever it holds, a value the database would refuse
# (an integer beyond 64 bits, a time without its zone, NaN, a NUL character) is INVALID_CURSOR
# here, never an error of the statement.
LARGEST_INTEGER = 2**63 - 1


def _typed(column_type: TypeEngine[Any], value: Any, argument: str) -> Any:
    python_type = _python_type(column_type)
    try:
        typed = _as_type(python_type, value)
    except (ValueError, ArithmeticError, TypeError):
        raise _invalid(argument) from None
    return typed


def _as_type(python_type: type, value: Any) -> Any:
    if python_type is date:
        return date.fromisoformat(value) if isinstance(value, str) else _refused()
    if python_type is datetime:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else _refused()
        return moment if moment.tzinfo is not None else _refused()
    if python_type is Decimal:
        number = Decimal(value) if isinstance(value, str) else _refused()
        return number if number.is_finite() and abs(number) <= LARGEST_INTEGER else _refused()
    if issubclass(python_type, Enum):
        return python_type(value)
    if python_type is int:
        integer = isinstance(value, int) and not isinstance(value, bool)
        return value if integer and abs(value) <= LARGEST_INTEGER else _refused()
    if python_type is str:
        return value if isinstance(value, str) and "\x00" not in value else _refused()
    return _refused()  # a key of another type: none is ordered by yet


def _refused() -> Any:
    raise ValueError


# --- SQL ---------------------------------------------------------------------------------------


def order_by_clauses(keyset: Keyset, *, backward: bool) -> list[ColumnElement[Any]]:
    """ORDER BY for reading the keyset forward, or (`backward`) in exact reverse."""
    descending = keyset.descending != backward
    clauses: list[ColumnElement[Any]] = []
    for key in keyset.keys:
        clause: ColumnElement[Any] = key.sorted_on.desc() if descending else key.sorted_on.asc()
        if key.nullable:  # last going forward, so first going backward
            clause = clause.nulls_first() if backward else clause.nulls_last()
        clauses.append(clause)
    return clauses


def ahead_of(
    keyset: Keyset, values: Sequence[Any], *, backward: bool, or_at: bool = False
) -> ColumnElement[bool]:
    """Rows after the cursor's `values` in reading order (forward, or `backward`), and with
    `or_at` the cursor's row itself."""
    descending = keyset.descending != backward
    if keyset.plain:
        keys = tuple_(*(key.value for key in keyset.keys))
        cursor = tuple_(*(key.bound(value) for key, value in zip(keyset.keys, values, strict=True)))
        if or_at:
            return keys <= cursor if descending else keys >= cursor
        return keys < cursor if descending else keys > cursor
    # Key by key: ahead on the first key that differs, equal on every key before it.
    alternatives: list[ColumnElement[bool]] = []
    equal_so_far: list[ColumnElement[bool]] = []
    for key, value in zip(keyset.keys, values, strict=True):
        alternatives.append(and_(*equal_so_far, _ahead(key, value, descending, backward)))
        equal_so_far.append(at_value(key, value))
    if or_at:
        alternatives.append(and_(*equal_so_far))
    return or_(*alternatives)


def at_cursor(keyset: Keyset, values: Sequence[Any]) -> ColumnElement[bool]:
    """The cursor's own row (it is read with the page to tell whether it is still listed)."""
    if keyset.plain:
        keys = tuple_(*(key.value for key in keyset.keys))
        return keys == tuple_(
            *(key.bound(value) for key, value in zip(keyset.keys, values, strict=True))
        )
    return and_(*(at_value(key, value) for key, value in zip(keyset.keys, values, strict=True)))


def at_value(key: SortKey, value: Any) -> ColumnElement[bool]:
    if value is None:
        return key.value.is_(None)
    return key.sorted_on == key.bound(value)


def _ahead(key: SortKey, value: Any, descending: bool, backward: bool) -> ColumnElement[bool]:
    """One key's value is past the cursor's in reading order. NULLs are last going forward
    (first going backward)."""
    if value is None:
        return false() if not backward else key.value.is_not(None)
    bound = key.bound(value)
    beyond = key.sorted_on < bound if descending else key.sorted_on > bound
    if key.nullable and not backward:
        return or_(beyond, key.value.is_(None))
    return beyond
