"""GraphiQL's documentation explains the schema and its access rules to a frontend team: every
type, enum, input and scalar of the full schema has a description, and every field's description
ends with its access sentence (`gql_portal.schema.fields.field` appends "Access: ..." from the
field's rule, the same rule that decides who may resolve it). Every argument, enum value and
input field has one too (`strawberry.argument(description=)`, `strawberry.field(description=)`
on an input, `gql_portal.schema.fields.describe_values` for an enum), and says more than its
name: what it is, its format or unit, its default, what its values mean."""

from __future__ import annotations

import re
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
)
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


def words(text: str) -> list[str]:
    """The words of a name or a description, lower case (camelCase and SNAKE_CASE split)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    return re.findall(r"[a-z0-9]+", spaced.lower())


def undescribed(where: str, name: str, description: str | None) -> str | None:
    """Why `description` does not describe `name` (None when it does): missing, or the name's
    words again ("The id.", "Name") with at most a word or two around them."""
    if not (description or "").strip():
        return f"{where}: no description"
    said = words(description or "")
    if len(said) <= len(words(name)) + 2 and set(said) <= set(words(name)) | {"the", "a", "an"}:
        return f"{where}: {description!r} only repeats the name"
    return None


def test_every_argument_has_a_description() -> None:
    wrong = [
        problem
        for type_ in object_types()
        for field_name, graphql_field in type_.fields.items()
        for name, argument in graphql_field.args.items()
        if (
            problem := undescribed(f"{type_.name}.{field_name}({name})", name, argument.description)
        )
    ]
    assert not wrong, "\n".join(wrong)


def test_every_enum_value_has_a_description() -> None:
    wrong = [
        problem
        for type_ in named_types()
        if isinstance(type_, GraphQLEnumType)
        for name, value in type_.values.items()
        if (problem := undescribed(f"{type_.name}.{name}", name, value.description))
    ]
    assert not wrong, "\n".join(wrong)


def test_every_input_field_has_a_description() -> None:
    wrong = [
        problem
        for type_ in named_types()
        if isinstance(type_, GraphQLInputObjectType)
        for name, input_field in type_.fields.items()
        if (problem := undescribed(f"{type_.name}.{name}", name, input_field.description))
    ]
    assert not wrong, "\n".join(wrong)


def test_a_description_that_repeats_the_name_is_no_description() -> None:
    assert undescribed("X.id", "id", "The id.") is not None
    assert undescribed("X.firstName", "firstName", "First name") is not None
    assert undescribed("X.id", "id", None) is not None
    assert undescribed("X.id", "id", "The employee to deactivate (an `Employee` id).") is None
    assert undescribed("Area.TIME", "TIME", "Reported time and week attestation.") is None
