"""Every use of a private or undocumented API of Strawberry or graphql-core, in one place.

The schema's fast path (schema/build.py), the executor with turns and a size cap
(execution.py), the coded value rule (schema/variables.py) and the limits (schema/limits.py)
reach below what the two libraries document. Each such reach is a small function or name
here, with a comment saying what it relies on and since which version; nothing else in
gql_portal/ imports a private module or touches a private attribute of theirs.
pyproject.toml pins both to the range these were checked on (`strawberry-graphql>=0.341.2,<0.342`,
`graphql-core>=3.3.2,<3.4`), and tests/test_internals.py checks every assumption on the
installed versions, naming the one that broke: an upgrade fails loudly there rather than making
the fast path silently slower or open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSchema, ValidationContext
from graphql.utilities import validate_input_literal
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter, get_arguments
from strawberry.types.base import StrawberryContainer
from strawberry.types.field import StrawberryField

# The versions the assumptions below were checked on (tests/test_internals.py holds the
# installed ones to these ranges; pyproject.toml pins the same).
STRAWBERRY_RANGE = (">=0.341.2", "<0.342")
GRAPHQL_CORE_RANGE = (">=3.3.2", "<3.4")

# --- Strawberry: the field behind a GraphQL field ----------------------------------------------

# Strawberry 0.341: every GraphQLField/GraphQLArgument/GraphQLInputField it converts carries its
# StrawberryField/StrawberryArgument in `extensions[GraphQLCoreConverter.DEFINITION_BACKREF]`
# ("strawberry-definition"). Not documented; the converter's own class attribute.
DEFINITION_BACKREF: str = GraphQLCoreConverter.DEFINITION_BACKREF


def strawberry_definition(graphql_element: Any) -> Any:
    """The Strawberry field, argument or input field a GraphQL one was converted from (None for
    introspection's and anything Strawberry did not convert)."""
    return (graphql_element.extensions or {}).get(DEFINITION_BACKREF)


def graphql_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema a Strawberry schema built. Strawberry 0.341: `Schema._schema`
    (private; the public `as_str()`/`introspect()` give text, not the objects)."""
    return schema._schema


def unwrapped_type(declared: Any) -> Any:
    """A Strawberry field's or argument's type without its list/optional wrappers. Strawberry
    0.341: StrawberryList/StrawberryOptional derive from StrawberryContainer (in the undocumented
    `strawberry.types.base`) and hold the wrapped type in `of_type`."""
    while isinstance(declared, StrawberryContainer):
        declared = declared.of_type
    return declared


# --- Strawberry: resolving a field without its extension chain (schema/build.py) ---------------


def has_exception_handlers(schema: strawberry.Schema) -> bool:
    """Whether the schema's converter wraps resolvers in exception handlers (the fast path
    would bypass them). Strawberry 0.341.2: `GraphQLCoreConverter._exception_handler_specs`, a
    tuple, empty when none are configured; missing counts as "has some" (the safe answer)."""
    return bool(getattr(schema.schema_converter, "_exception_handler_specs", True))


# graphql-core 3.3 calls a field's `resolve`; Strawberry 0.341 marks the resolvers of plain
# attribute fields with `_is_default = True` and checks it (e.g. in its extensions' "is this a
# default resolver" tests) to skip work: our resolvers carry the same mark.
DEFAULT_RESOLVER_MARK = "_is_default"


def mark_default_resolver(resolve: Callable[..., Any], is_default: bool) -> None:
    setattr(resolve, DEFAULT_RESOLVER_MARK, is_default)


def is_default_resolver(resolve: Callable[..., Any]) -> bool:
    return bool(getattr(resolve, DEFAULT_RESOLVER_MARK, False))


ArgumentConverter = Callable[[Any, Any, dict[str, Any]], tuple[list[Any], dict[str, Any]]]


def argument_converter(schema: strawberry.Schema, field: StrawberryField) -> ArgumentConverter:
    """(source, raw info, GraphQL kwargs) -> the resolver's positional and keyword arguments,
    converted as Strawberry converts them (inputs, enums, ids, self/root/info). Strawberry
    0.341: `strawberry.schema.schema_converter.get_arguments(*, field, source, info, kwargs,
    config, scalar_registry)`, undocumented, and `schema_converter.scalar_registry`."""
    make_info = info_maker(schema, field)
    config = schema.config
    scalar_registry = schema.schema_converter.scalar_registry

    def convert(source: Any, info: Any, kwargs: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        return get_arguments(
            field=field,
            source=source,
            info=make_info(info),
            kwargs=kwargs,
            config=config,
            scalar_registry=scalar_registry,
        )

    return convert


def info_maker(schema: strawberry.Schema, field: StrawberryField) -> Callable[[Any], Any]:
    """raw GraphQLResolveInfo -> the `Info` a resolver asks for. Strawberry 0.341: the configured
    `info_class` is built as `info_class(_raw_info=..., _field=...)` (private keyword names)."""
    info_class = schema.config.info_class

    def make(info: Any) -> Any:
        return info_class(_raw_info=info, _field=field)

    return make


# --- Strawberry: the operation's execution context in schema extensions ------------------------
# Strawberry 0.341's `ExecutionContext` (strawberry.types.execution) fields that extensions set:
# `parse_options` (a dict handed to graphql-core's `parse`, whose `max_tokens` it honours since
# graphql-core 3.2) and `pre_execution_errors` (errors that stop the operation before execution;
# None until validation ran, [] when it found none). Neither is documented for extensions.


def set_token_limit(execution_context: Any, max_tokens: int) -> None:
    execution_context.parse_options["max_tokens"] = max_tokens


def pre_execution_errors(execution_context: Any) -> list[GraphQLError] | None:
    errors: list[GraphQLError] | None = execution_context.pre_execution_errors
    return errors


def set_pre_execution_errors(execution_context: Any, errors: list[GraphQLError]) -> None:
    execution_context.pre_execution_errors = errors


def requested_operation_name(execution_context: Any) -> str | None:
    """The `operationName` the client sent (None: none). Strawberry 0.341's public
    `ExecutionContext.operation_name` falls back to the document's first operation's name, so a
    document of several operations sent without a name would run its first one (the GraphQL
    specification requires the name then); the name as sent is the private
    `_provided_operation_name` its `__post_init__` keeps."""
    name: str | None = execution_context._provided_operation_name
    return name


# --- graphql-core: the executor (execution.py) --------------------------------------------------

# Strawberry 0.341's subclass of graphql-core 3.3's executor (in `strawberry.schema.schema`, not
# exported; graphql-core 3.3.2 names its base `IncrementalExecutor`), the class Strawberry
# expects a schema's `execution_context_class` to extend.
# graphql-core's ExecutionContext is public, but the signatures of the methods
# `PortalExecutionContext` overrides or calls are not: they are the ones below (graphql-core
# 3.3.2; `complete_leaf_value` is a staticmethod there). tests/test_internals.py compares them.
ExecutionContextBase = StrawberryGraphQLCoreExecutionContext

EXECUTION_CONTEXT_METHODS: dict[str, tuple[str, ...]] = {
    "complete_leaf_value": ("return_type", "result"),
    "handle_field_error": ("self", "raw_error", "return_type", "field_details_list", "path"),
    "execute_operation": ("self", "serially"),
    "complete_value": (
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ),
    "complete_list_value": (
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ),
    "complete_awaitable_value": (
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ),
    "complete_awaitable_list_item_value": (
        "self",
        "item",
        "item_type",
        "field_details_list",
        "info",
        "item_path",
        "position_context",
    ),
    "complete_list_item_value": (
        "self",
        "item",
        "complete_results",
        "item_type",
        "field_details_list",
        "info",
        "item_path",
        "position_context",
    ),
    "with_abort_signal": ("self", "awaitable"),
    "settle_in_background": ("self", "awaitables"),
}
# Attributes of an ExecutionContext instance used as they are (graphql-core 3.3.2).
EXECUTION_CONTEXT_ATTRIBUTES = ("background_futures", "is_awaitable", "context_value")


# --- graphql-core: the rule for value literals (schema/variables.py) ----------------------------

# graphql-core 3.3's ValuesOfCorrectTypeRule sends every value literal (null, list, object,
# enum, int, float, string, boolean) through `is_valid_value_node(node, input_type)`; the coded
# rule overrides only that method.
ValuesRuleBase = ValuesOfCorrectTypeRule


def hides_suggestions(context: ValidationContext) -> bool:
    """graphql-core 3.3: `ValidationContext.hide_suggestions` (no "did you mean")."""
    return bool(context.hide_suggestions)


def check_input_literal(
    node: Any,
    input_type: Any,
    on_error: Callable[[GraphQLError, list[str | int]], None],
    *,
    hide_suggestions: bool,
) -> None:
    """graphql-core 3.3's `validate_input_literal(value_node, type_, on_error, variables,
    fragment_variable_values, hide_suggestions)`, positional: reports each problem of a literal
    with its path inside the value."""
    validate_input_literal(node, input_type, on_error, None, None, hide_suggestions)
