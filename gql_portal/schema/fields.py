"""`field` and `mutation`: Strawberry's, plus the rule every field must carry.

The rule is stored in the field's metadata (read when each role's schema is projected), turned
into the field's permission class, and printed into its description.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import strawberry
from strawberry.permission import PermissionExtension

from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import Allowed, Rule

RULE_KEY = "gql_portal.rule"

# The matrix's areas are a GraphQL enum too. Registered here, the module every schema and
# resolver module imports first: a resolver argument typed with an unregistered enum makes
# Strawberry wrap it on its own, and the schema then holds two enums named Area.
strawberry.enum(Area, description="An area of a company's data in the permission matrix.")


def described(description: str | None, rule: Rule) -> str:
    """A field's description ending with its access sentence, as GraphiQL shows it."""
    access = f"Access: {rule.describe()}"
    return f"{description}\n\n{access}" if description else access


def _extensions(rule: Rule) -> list[Any]:
    return [PermissionExtension(permissions=[Allowed(rule)], use_directives=False)]


def field(
    rule: Rule,
    resolver: Callable[..., Any] | None = None,
    *,
    description: str | None = None,
    name: str | None = None,
) -> Any:
    kwargs: dict[str, Any] = {
        "description": described(description, rule),
        "extensions": _extensions(rule),
        "metadata": {RULE_KEY: rule},
        "name": name,
    }
    if resolver is not None:
        return strawberry.field(resolver=resolver, **kwargs)
    return strawberry.field(**kwargs)


def resolver_field(
    rule: Rule, *, description: str | None = None
) -> Callable[[Callable[..., Any]], Any]:
    """Decorator form of `field` for resolver methods defined in a type's body."""

    def decorate(resolver: Callable[..., Any]) -> Any:
        return field(rule, resolver, description=description)

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


def rule_of(field_metadata: Mapping[str, Any] | None) -> Rule | None:
    return (field_metadata or {}).get(RULE_KEY)
