"""GraphiQL's documentation explains the schema and its access rules to a frontend team: every
type, enum, input and scalar of the full schema has a description, and every field's description
ends with its access sentence (`gql_portal.schema.fields.field` appends "Access: ..." from the
field's rule, the same rule that decides who may resolve it)."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLInterfaceType, GraphQLNamedType, GraphQLObjectType
from strawberry.types.base import StrawberryObjectDefinition

from gql_portal.schema.build import field_is_structural, full_schema
from gql_portal.schema.fields import rule_of

BUILT_IN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def named_types() -> list[GraphQLNamedType]:
    schema = full_schema()._schema
    return [
        type_
        for name, type_ in sorted(schema.type_map.items())
        if not name.startswith("__") and name not in BUILT_IN_SCALARS
    ]


def object_types() -> list[GraphQLObjectType | GraphQLInterfaceType]:
    return [
        type_
        for type_ in named_types()
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType)
    ]


def access_paragraph(description: str | None) -> str:
    """The last paragraph of a description: where the access sentence belongs."""
    return (description or "").strip().split("\n\n")[-1]


def strawberry_fields(type_name: str) -> dict[str, Any]:
    """The Strawberry fields behind a GraphQL object type, by their GraphQL names."""
    schema = full_schema()
    definition = schema.get_type_by_name(type_name)
    assert isinstance(definition, StrawberryObjectDefinition), type_name
    names = schema.config.name_converter
    return {names.get_graphql_name(f): f for f in schema.get_fields(definition)}


def test_every_type_enum_input_and_scalar_has_a_description() -> None:
    missing = [type_.name for type_ in named_types() if not (type_.description or "").strip()]
    assert not missing, f"without a description: {missing}"


def test_every_field_has_a_description_that_ends_with_its_access_sentence() -> None:
    wrong = []
    checked = 0
    for type_ in object_types():
        fields = strawberry_fields(type_.name) if isinstance(type_, GraphQLObjectType) else {}
        definition = full_schema().get_type_by_name(type_.name)
        for name, graphql_field in type_.fields.items():
            strawberry_field = fields.get(name)
            if (
                isinstance(definition, StrawberryObjectDefinition)
                and strawberry_field is not None
                and field_is_structural(definition, strawberry_field)
            ) or isinstance(type_, GraphQLInterfaceType):
                continue  # relay's `id` (see the test below) and the Node interface itself
            checked += 1
            last = access_paragraph(graphql_field.description)
            if not last.startswith("Access: ") or len(last) <= len("Access: "):
                wrong.append(f"{type_.name}.{name}: {graphql_field.description!r}")
                continue
            rule = rule_of(strawberry_field.metadata) if strawberry_field else None
            if rule is not None and last != f"Access: {rule.describe()}":
                wrong.append(f"{type_.name}.{name}: says {last!r}, its rule {rule.describe()!r}")
    assert checked > 300
    assert not wrong, "\n".join(wrong)


def test_the_relay_ids_end_with_their_access_sentence() -> None:
    wrong = [
        f"{type_.name}.id"
        for type_ in object_types()
        if "id" in type_.fields
        and any(interface.name == "Node" for interface in getattr(type_, "interfaces", []))
        and not access_paragraph(type_.fields["id"].description).startswith("Access: ")
    ]
    assert not wrong, wrong
