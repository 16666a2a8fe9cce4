"""`field` and `mutation`: Strawberry's, plus the rule every field must carry.

The rule is stored in the field's metadata (read when each role's schema is projected), turned
into the field's permission class, and printed into its description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types.field import StrawberryField

from gql_portal.errors import AppError, Code
from gql_portal.permissions.document import area_sentence
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import Allowed, Rule

RULE_KEY = "gql_portal.rule"
BOUND_KEY = "gql_portal.bound"
READS_KEY = "gql_portal.reads"

# The matrix's areas are a GraphQL enum too. Registered here, the module every schema and
# resolver module imports first: a resolver argument typed with an unregistered enum makes
# Strawberry wrap it on its own, and the schema then holds two enums named Area.
strawberry.enum(Area, description="An area of a company's data in the permission matrix.")


def describe_values(enum_class: type[Enum], descriptions: Mapping[str, str]) -> None:
    """Descriptions of the values of an enum registered with `strawberry.enum` (the domain's
    enums know nothing of GraphQL), by member name. A name that is no member fails at import;
    a member left out is what tests/test_descriptions.py finds."""
    definition = getattr(enum_class, "__strawberry_definition__", None)
    if definition is None:
        raise TypeError(f"{enum_class.__name__} is not registered with strawberry.enum")
    values = {value.name: value for value in definition.values}
    unknown = set(descriptions) - set(values)
    if unknown:
        raise TypeError(f"{enum_class.__name__} has no members {sorted(unknown)}")
    for name, description in descriptions.items():
        values[name].description = description


describe_values(Area, {area.name: area_sentence(area) for area in Area})


def described(description: str | None, rule: Rule) -> str:
    """A field's description ending with its access sentence, as GraphiQL shows it."""
    access = f"Access: {rule.describe()}"
    return f"{description}\n\n{access}" if description else access


def bounded(description: str | None, bound: int | None, reads: int | None = None) -> str | None:
    """A list field's description ending with its bound (and what computing an item reads), as
    the client needs to know it."""
    if bound is None:
        return description
    if reads is not None:
        reading = (
            "Each item is computed from rows of other data, whatever is selected: the query's "
            f"cost counts at least {reads} per item, and sources holding more rows than the "
            "cost counted for them in all are an error QUERY_TOO_COMPLEX naming the limit."
        )
        description = f"{description} {reading}" if description else reading
    # The limit is checked per path (schema/limits.py): all of this list's items at one place
    # in the answer, against bound × the parents the cost counted there; one parent may hold more.
    sentence = (
        f"The query's cost counts {bound} per parent; at one place in the answer the lists "
        f"may hold {bound} × the parents counted there in all (one parent may hold more), more "
        "is an error QUERY_TOO_COMPLEX naming the limit: narrow the list, or page through it."
    )
    return f"{description} {sentence}" if description else sentence


def _extensions(rule: Rule) -> list[Any]:
    return [PermissionExtension(permissions=[Allowed(rule)], use_directives=False)]


def field(
    rule: Rule,
    resolver: Callable[..., Any] | None = None,
    *,
    description: str | None = None,
    name: str | None = None,
    bound: int | None = None,
    reads: int | None = None,
    deprecation_reason: str | None = None,
) -> Any:
    """A field with its rule; a list field also with `bound`, the most items it returns per
    parent object (the cost multiplies by it; more is an error, never a silent cut), and, for
    items computed from other rows, `reads`: the rows computing one item may read whatever is
    selected below it (each item costs at least that; schema/limits.py `ReadBudget`)."""
    if reads is not None and bound is None:
        raise ValueError("`reads` is per item of a bounded list: give the field a `bound` too")
    metadata: dict[str, Any] = {RULE_KEY: rule}
    if bound is not None:
        metadata[BOUND_KEY] = bound
    if reads is not None:
        metadata[READS_KEY] = reads
    kwargs: dict[str, Any] = {
        "description": described(bounded(description, bound, reads), rule),
        "extensions": _extensions(rule),
        "metadata": metadata,
        "name": name,
        "deprecation_reason": deprecation_reason,
    }
    if resolver is not None:
        return strawberry.field(resolver=resolver, **kwargs)
    return strawberry.field(**kwargs)


def resolver_field(
    rule: Rule,
    *,
    description: str | None = None,
    bound: int | None = None,
    reads: int | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Decorator form of `field` for resolver methods defined in a type's body."""

    def decorate(resolver: Callable[..., Any]) -> Any:
        return field(rule, resolver, description=description, bound=bound, reads=reads)

    return decorate


def mutation(
    rule: Rule,
    resolver: Callable[..., Any],
    *,
    description: str | None = None,
    name: str | None = None,
) -> Any:
    return strawberry.mutation(
        resolver=resolver,
        description=described(description, rule),
        extensions=_extensions(rule),
        metadata={RULE_KEY: rule},
        name=name,
    )


def subscription(
    rule: Rule,
    resolver: Callable[..., Any],
    *,
    description: str | None = None,
    name: str | None = None,
) -> Any:
    """A root field of `Subscription` (gql_portal/resolvers/live.py), with its rule like every
    field: a role whose rule hides it has no such subscription."""
    return strawberry.subscription(
        resolver=resolver,
        description=described(description, rule),
        extensions=_extensions(rule),
        metadata={RULE_KEY: rule},
        name=name,
    )


def only_permission(field: StrawberryField) -> Allowed | None:
    """The field's permission class when its only extension is the permission extension
    `field` gives it (one `Allowed`, failing loudly); None otherwise. Both execution paths
    decide such a field themselves, once, instead of through the extension per value."""
    if len(field.extensions) != 1:
        return None
    (extension,) = field.extensions
    if not isinstance(extension, PermissionExtension) or extension.fail_silently:
        return None
    if len(extension.permissions) != 1 or not isinstance(extension.permissions[0], Allowed):
        return None
    return extension.permissions[0]


def rule_of(field_metadata: Mapping[str, Any] | None) -> Rule | None:
    return (field_metadata or {}).get(RULE_KEY)


def bound_of(field_metadata: Mapping[str, Any] | None) -> int | None:
    return (field_metadata or {}).get(BOUND_KEY)


def reads_of(field_metadata: Mapping[str, Any] | None) -> int | None:
    return (field_metadata or {}).get(READS_KEY)


def list_too_long(name: str, bound: int) -> AppError:
    """A list longer than its declared bound: refused, never cut short in silence."""
    return AppError(
        Code.QUERY_TOO_COMPLEX,
        f"`{name}` has more than {bound} items here: narrow it (its arguments) or read it "
        "page by page through a connection.",
        field=name,
        limit=bound,
    )
