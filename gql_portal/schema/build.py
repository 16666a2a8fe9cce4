"""The schemas: the full one (published as schema.graphql) and one projection per role.

Every role's schema is built once, at start-up, from the same types; a field is in a role's
schema only when its rule says so (Hasura's "a different schema for every role").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import strawberry
from graphql import GraphQLObjectType
from strawberry.extensions import ParserCache
from strawberry.permission import PermissionExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

from gql_portal.permissions.roles import SchemaRole
from gql_portal.permissions.rules import Structural
from gql_portal.schema.fields import described, rule_of
from gql_portal.schema.limits import QueryLimits
from gql_portal.schema.root import Mutation, Query
from gql_portal.schema.scalars import SCALAR_MAP

# Fields Strawberry's relay machinery adds itself: structural, guarded where the object is loaded.
STRUCTURAL_FIELDS = frozenset({"id", "_id"})
DOCUMENT_CACHE_SIZE = 256
NODE_ID_DESCRIPTION = described(
    "The object's global id: give it to `node(id:)` or to a mutation.", Structural()
)


class MissingRuleError(TypeError):
    """A field without a rule: every field must say who may resolve it."""


def field_is_structural(
    type_definition: StrawberryObjectDefinition, field: StrawberryField
) -> bool:
    return (
        field.python_name in STRUCTURAL_FIELDS
        and any(interface.name == "Node" for interface in type_definition.interfaces)
    ) or type_definition.name == "Node"


class RoleSchema(strawberry.Schema):
    """A schema that holds only the fields `role` may see."""

    def __init__(self, role: SchemaRole | None, **kwargs: Any) -> None:
        self.role = role
        super().__init__(**kwargs)
        self._resolve_plain_fields_directly()

    def _resolve_plain_fields_directly(self) -> None:
        """Plain attribute fields (no resolver of their own) resolve through a small function
        that runs the same permission class, then reads the attribute: Strawberry's extension
        wrapper around each of them costs more than the check itself, and a page of objects
        has tens of thousands of such fields. Fields with resolvers keep the full path."""
        for graphql_type in self._schema.type_map.values():
            if not isinstance(graphql_type, GraphQLObjectType):
                continue
            definition = self.get_type_by_name(graphql_type.name)
            if not isinstance(definition, StrawberryObjectDefinition):
                continue
            for field in definition.fields:
                rule = rule_of(field.metadata)
                if rule is None or field.base_resolver is not None:
                    continue
                graphql_field = graphql_type.fields.get(
                    self.config.name_converter.from_field(field)
                )
                guards = [e for e in field.extensions if isinstance(e, PermissionExtension)]
                if graphql_field is None or len(field.extensions) != 1 or len(guards) != 1:
                    continue
                (allowed,) = guards[0].permissions
                graphql_field.resolve = _guarded_attribute(allowed, field.python_name)

    def process_errors(self, errors: list[Any], execution_context: Any = None) -> None:
        """Errors are logged by the HTTP layer (unexpected ones only, with the request id)."""

    def get_fields(self, type_definition: StrawberryObjectDefinition) -> list[StrawberryField]:
        fields = super().get_fields(type_definition)
        if type_definition.is_input:
            return fields
        kept = []
        for field in fields:
            rule = rule_of(field.metadata)
            if rule is None:
                if field_is_structural(type_definition, field):
                    kept.append(self._node_id(type_definition, field))
                    continue
                raise MissingRuleError(
                    f"{type_definition.name}.{field.python_name} has no rule: use "
                    "gql_portal.schema.fields.field/mutation with a permissions rule"
                )
            if self.role is None or rule.visible_in(self.role):
                kept.append(field)
        return kept

    @staticmethod
    def _node_id(
        type_definition: StrawberryObjectDefinition, field: StrawberryField
    ) -> StrawberryField:
        """Relay's `id`, described like every other field (the interface keeps relay's own)."""
        if type_definition.name == "Node" or field.description == NODE_ID_DESCRIPTION:
            return field
        described_field = copy.copy(field)
        described_field.description = NODE_ID_DESCRIPTION
        return described_field


def _guarded_attribute(allowed: Any, name: str) -> Callable[..., Any]:
    check = allowed.has_permission

    def resolve(source: Any, info: Any) -> Any:
        check(source, info)  # raises the field's coded error when the viewer may not
        return getattr(source, name)

    return resolve


def _build(role: SchemaRole | None, *, suggestions: bool = False) -> RoleSchema:
    # Each schema gets its own root classes (Strawberry issue #3823: shared roots with
    # relay.node() fail to build).
    query = strawberry.type(type("Query", (Query,), {}), description="What can be read.")
    mutation = strawberry.type(type("Mutation", (Mutation,), {}), description="What can be done.")
    return RoleSchema(
        role,
        query=query,
        mutation=mutation,
        # "Did you mean ...?" tells a prober about fields of other roles' schemas: development
        # mode only.
        config=StrawberryConfig(scalar_map=SCALAR_MAP, disable_field_suggestions=not suggestions),
        # The limits first (they set the parser's token limit and measure before validating).
        # Clients send the same few documents again and again: parse and validate each once;
        # the validation cache is keyed by the GraphQL schema too, so roles never share results.
        extensions=[QueryLimits, lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE)],
    )


@cache
def full_schema() -> RoleSchema:
    """Every field of every role: the published schema.graphql."""
    return _build(None)


@cache
def role_schema(role: SchemaRole, *, suggestions: bool = False) -> RoleSchema:
    """The schema of `role`; `suggestions` (development mode) keeps graphql's field hints."""
    return _build(role, suggestions=suggestions)


def all_role_schemas() -> dict[SchemaRole, RoleSchema]:
    return {role: role_schema(role) for role in SchemaRole}
