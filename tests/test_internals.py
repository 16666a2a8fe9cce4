"""What gql_portal/schema/internals.py assumes of Strawberry and graphql-core, checked on the
installed versions: an upgrade that changes one fails here, naming the assumption, instead of
making the schema's fast path silently slower or open."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import pytest
import strawberry
from graphql import GraphQLObjectType, ValidationContext, parse
from packaging.specifiers import SpecifierSet
from strawberry.schema.schema_converter import get_arguments
from strawberry.types.execution import ExecutionContext
from strawberry.types.field import StrawberryField

import gql_portal.http.graphql as graphql_endpoint
from gql_portal.execution import PortalExecutionContext
from gql_portal.permissions.roles import SchemaRole
from gql_portal.schema import internals
from gql_portal.schema.build import (
    RoleSchema,
    full_schema,
    role_schema,
    strawberry_path_schema,
)
from gql_portal.schema.fields import rule_of
from tests.conftest import Api, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ACCEPT, EMPLOYEES, ENTER, INVITE, setting
from tests.test_employees import LIST as EMPLOYEE_LIST

BROKEN = "gql_portal/schema/internals.py relies on this; an upgrade changed it"


def assumption(holds: bool, what: str) -> None:
    assert holds, f"assumption broken: {what} ({BROKEN})"


# --- the pinned versions ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("package", "allowed"),
    [
        ("strawberry-graphql", internals.STRAWBERRY_RANGE),
        ("graphql-core", internals.GRAPHQL_CORE_RANGE),
    ],
)
def test_the_installed_versions_are_the_checked_ones(
    package: str, allowed: tuple[str, ...]
) -> None:
    specifier = SpecifierSet(",".join(allowed))
    installed = version(package)
    assumption(installed in specifier, f"{package} {installed} is within {specifier}")


# --- Strawberry ------------------------------------------------------------------------------


def plain_and_resolved_fields(
    schema: RoleSchema,
) -> list[tuple[str, Any, StrawberryField]]:
    found = []
    for graphql_type in internals.graphql_schema(schema).type_map.values():
        if isinstance(graphql_type, GraphQLObjectType) and not graphql_type.name.startswith("__"):
            for name, graphql_field in graphql_type.fields.items():
                found.append(
                    (
                        f"{graphql_type.name}.{name}",
                        graphql_field,
                        internals.strawberry_definition(graphql_field),
                    )
                )
    return found


def test_every_converted_field_carries_its_strawberry_field() -> None:
    assumption(
        internals.DEFINITION_BACKREF == "strawberry-definition",
        "GraphQLCoreConverter.DEFINITION_BACKREF is 'strawberry-definition'",
    )
    schema = full_schema()
    assumption(
        isinstance(schema._schema, type(internals.graphql_schema(schema)))
        and internals.graphql_schema(schema).query_type is not None,
        "strawberry.Schema._schema is the graphql-core schema",
    )
    missing = [
        name
        for name, _, definition in plain_and_resolved_fields(schema)
        if not isinstance(definition, StrawberryField)
    ]
    assumption(missing == [], f"every field's extensions hold its StrawberryField: {missing[:5]}")
    args = [
        argument
        for _, graphql_field, _ in plain_and_resolved_fields(schema)
        for argument in graphql_field.args.values()
    ]
    assumption(
        args != [] and all(internals.strawberry_definition(a) is not None for a in args),
        "every argument's extensions hold its StrawberryArgument",
    )


def test_type_wrappers_unwrap_to_the_declared_type() -> None:
    @strawberry.type
    class Holder:
        ids: list[strawberry.ID | None] | None

    (field,) = Holder.__strawberry_definition__.fields  # type: ignore[attr-defined]
    assumption(
        internals.unwrapped_type(field.type) is strawberry.ID,
        "StrawberryList/StrawberryOptional are StrawberryContainers holding `of_type`",
    )


def test_the_schemas_have_no_exception_handlers() -> None:
    specs = getattr(full_schema().schema_converter, "_exception_handler_specs", None)
    assumption(isinstance(specs, tuple), "GraphQLCoreConverter._exception_handler_specs is a tuple")
    assumption(
        not internals.has_exception_handlers(full_schema()),
        "no exception handlers are configured (else the fast path is off for resolvers)",
    )


def test_get_arguments_and_info_take_the_keywords_used() -> None:
    parameters = inspect.signature(get_arguments).parameters
    assumption(
        set(parameters) == {"field", "source", "info", "kwargs", "config", "scalar_registry"}
        and all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values()),
        "schema_converter.get_arguments(*, field, source, info, kwargs, config, scalar_registry)",
    )
    info_parameters = list(inspect.signature(full_schema().config.info_class).parameters)
    assumption(
        info_parameters == ["_raw_info", "_field"],
        "the info class is built as info_class(_raw_info=..., _field=...)",
    )
    assumption(
        isinstance(full_schema().schema_converter.scalar_registry, dict),
        "schema_converter.scalar_registry is a mapping",
    )


def test_the_extensions_execution_context_has_the_fields_set() -> None:
    fields = {f.name for f in ExecutionContext.__dataclass_fields__.values()}
    for name in ("parse_options", "pre_execution_errors", "validation_rules", "graphql_document"):
        assumption(name in fields, f"strawberry's ExecutionContext has `{name}`")


def test_the_requested_operation_name_is_the_one_sent_not_the_first_operations() -> None:
    def context(name: str | None) -> ExecutionContext:
        made = ExecutionContext(
            query=None, schema=full_schema(), allowed_operations=(), provided_operation_name=name
        )
        made.graphql_document = parse("query A { viewer { role } } query B { viewer { role } }")
        return made

    assumption(
        context(None).operation_name == "A",
        "ExecutionContext.operation_name falls back to the first operation's name",
    )
    assumption(
        internals.requested_operation_name(context(None)) is None
        and internals.requested_operation_name(context("B")) == "B",
        "ExecutionContext keeps the name as sent in `_provided_operation_name`",
    )


def qualified(resolve: Callable[..., Any] | None) -> str:
    return getattr(resolve, "__qualname__", "")


@pytest.mark.parametrize("role", list(SchemaRole))
def test_the_fast_path_is_installed_on_every_role_schema(role: SchemaRole) -> None:
    schema = role_schema(role)
    plain = resolved = 0
    for name, graphql_field, field in plain_and_resolved_fields(schema):
        if rule_of(field.metadata) is None or len(field.extensions) != 1:
            continue
        where = qualified(graphql_field.resolve)
        if field.base_resolver is None:
            plain += 1
            assumption(
                where.startswith(("_guarded_attribute.", "_bounded.")),
                f"{role.value}: the plain field {name} resolves through the guarded getter "
                f"(found {where or None})",
            )
            assumption(
                internals.is_default_resolver(graphql_field.resolve),
                f"{role.value}: {name}'s getter is marked as a default resolver",
            )
        elif where.startswith(("_guarded_resolver.", "_bounded.")):
            resolved += 1
    assumption(
        plain > 0 and resolved > 0, f"{role.value}: the fast path is on ({plain}, {resolved})"
    )
    # Without the fast path, Strawberry resolves them: the comparison below compares two paths.
    slow = strawberry_path_schema(role)
    assumption(
        not any(
            qualified(graphql_field.resolve).startswith(("_guarded", "_bounded"))
            for _, graphql_field, _ in plain_and_resolved_fields(slow)
        ),
        "a schema built with fast_path=False keeps Strawberry's resolvers",
    )


# --- graphql-core ------------------------------------------------------------------------------


def test_the_executor_overrides_match_graphql_cores_signatures() -> None:
    for name, expected in internals.EXECUTION_CONTEXT_METHODS.items():
        method = getattr(internals.ExecutionContextBase, name, None)
        assumption(method is not None, f"the executor has `{name}`")
        found = tuple(inspect.signature(method).parameters)
        assumption(found == expected, f"executor.{name}{expected} (found {found})")
    assumption(
        isinstance(
            inspect.getattr_static(internals.ExecutionContextBase, "complete_leaf_value"),
            staticmethod,
        ),
        "executor.complete_leaf_value is a staticmethod (overridden as a method)",
    )
    for name in internals.EXECUTION_CONTEXT_ATTRIBUTES:
        assumption(
            name in dir(internals.ExecutionContextBase)
            or name in inspect.signature(internals.ExecutionContextBase.__init__).parameters
            or _set_in_init(name),
            f"the executor has `{name}`",
        )
    assumption(
        issubclass(PortalExecutionContext, internals.ExecutionContextBase),
        "PortalExecutionContext extends Strawberry's executor",
    )
    assumption(
        "execution_context_class" in inspect.signature(strawberry.Schema.__init__).parameters,
        "strawberry.Schema takes an execution_context_class",
    )


def _set_in_init(name: str) -> bool:
    return any(
        f"self.{name}" in inspect.getsource(cls.__init__)
        for cls in internals.ExecutionContextBase.__mro__
        if "__init__" in vars(cls)
    )


def test_the_value_rule_sends_every_literal_through_one_method() -> None:
    source = inspect.getsource(internals.ValuesRuleBase)
    for kind in ("null", "list", "object", "enum", "int", "float", "string", "boolean"):
        method = getattr(internals.ValuesRuleBase, f"enter_{kind}_value", None)
        assumption(
            method is not None and "self.is_valid_value_node(" in inspect.getsource(method),
            f"ValuesOfCorrectTypeRule.enter_{kind}_value calls is_valid_value_node",
        )
    assumption("def is_valid_value_node(" in source, "ValuesOfCorrectTypeRule.is_valid_value_node")
    parameters = list(inspect.signature(internals.validate_input_literal).parameters)
    assumption(
        parameters
        == [
            "value_node",
            "type_",
            "on_error",
            "variables",
            "fragment_variable_values",
            "hide_suggestions",
        ],
        f"validate_input_literal's positional parameters (found {parameters})",
    )
    assumption(
        "hide_suggestions" in inspect.signature(ValidationContext.__init__).parameters,
        "ValidationContext has hide_suggestions",
    )


# --- the same answers through both paths --------------------------------------------------------


async def test_the_fast_path_answers_and_refuses_as_strawberrys_own_path(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = await setting(factory)
    invited = (await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token))[
        "data"
    ]["inviteFirm"]["collaboration"]
    await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token)
    company = await factory.company("Egen AB")
    admin = await factory.admin(company)
    await factory.employee(company, first_name="Karin")
    await factory.employee(company, first_name="Nils")

    async def answers() -> list[Any]:
        bodies = [
            await api(EMPLOYEE_LIST, {"first": 10, "search": "Karin"}, token=admin.token),
            await api(EMPLOYEE_LIST, {"first": 101}, token=admin.token),
            await api(EMPLOYEES, token=s.firm_token),
            await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token),
        ]
        for body in bodies:  # each request's own id; the rest (cost included) must match
            body.get("extensions", {}).pop("requestId", None)
            for error in body.get("errors", []):
                error["extensions"].pop("requestId", None)
        return bodies

    fast = await answers()
    monkeypatch.setattr(
        graphql_endpoint,
        "role_schema",
        lambda role, suggestions=False: strawberry_path_schema(role),
    )
    slow = await answers()
    assert fast == slow
    # They answer something: the list, its refusal, the partner's read and refusal.
    assert len(fast[0]["data"]["employees"]["edges"]) == 1
    assert only_error(fast[1])["code"] == "BAD_USER_INPUT"
    assert fast[2]["data"]["employees"]["edges"] != []
    assert only_error(fast[3])["code"] == "FORBIDDEN"
