"""Leaf values serialised as their type's own `serialize` does, with a fast path for the common
value of each type: a str for String and ID, an int in range for Int, a bool for Boolean, an
enum member for an enum (looked up in a table made once from the type's own answers). Anything
else goes to the type's `serialize` itself. graphql-core's enum serialisation scans the enum's
values for every value, and its scalars check several types before the common one: per leaf of
a 20-field list of a few thousand rows this was most of the compiled path's own time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLLeafType
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_boolean,
    serialize_id,
    serialize_int,
    serialize_string,
)

Serialize = Callable[[Any], Any]

_made: dict[GraphQLLeafType, Serialize] = {}


def serializer(leaf: GraphQLLeafType) -> Serialize:
    """The leaf type's serialisation, with its fast path (made once per type)."""
    made = _made.get(leaf)
    if made is None:
        made = _made[leaf] = _serializer(leaf)
    return made


def _serializer(leaf: GraphQLLeafType) -> Serialize:
    serialize: Serialize = leaf.serialize
    if serialize is serialize_string or serialize is serialize_id:
        return lambda value: value if type(value) is str else serialize(value)
    if serialize is serialize_int:
        return lambda value: (
            value
            if type(value) is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT
            else serialize(value)
        )
    if serialize is serialize_boolean:
        return lambda value: value if type(value) is bool else serialize(value)
    members = getattr(leaf, "wrapped_cls", None)  # Strawberry's enums: their Python enum
    if isinstance(leaf, GraphQLEnumType) and isinstance(members, type):
        names = _names(serialize, members)
        return lambda value: (
            names[value] if type(value) is members and value in names else serialize(value)
        )
    return serialize


def _names(serialize: Serialize, members: Any) -> dict[Any, Any]:
    """Each member's name as the type serialises it (a member it refuses is left out: the
    type's serialize answers it, with its own error)."""
    names: dict[Any, Any] = {}
    for member in members:
        try:
            names[member] = serialize(member)
        except Exception:  # the type's own serialize refuses it, per value
            continue
    return names
