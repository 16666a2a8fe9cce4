"""The schemas: the full one (published as schema.graphql) and one projection per role.

Every role's schema is built once, at start-up, from the same types; a field is in a role's
schema only when its rule says so (Hasura's "a different schema for every role").
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any, cast

import strawberry
from graphql import GraphQLList, GraphQLObjectType, get_named_type, get_nullable_type, is_leaf_type
from strawberry.extensions import ParserCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types.base import StrawberryObjectDefinition, get_object_definition
from strawberry.types.field import StrawberryField

from gql_portal.compiled.hook import CompiledExecution
from gql_portal.execution import PortalExecutionContext
from gql_portal.permissions.roles import SchemaRole
from gql_portal.permissions.rules import Allowed, Structural
from gql_portal.schema.fields import (
    bound_of,
    described,
    list_too_long,
    only_permission,
    rule_of,
)
from gql_portal.schema.internals import (
    argument_converter,
    graphql_schema,
    has_exception_handlers,
    info_maker,
    is_default_resolver,
    mark_default_resolver,
    strawberry_definition,
)
from gql_portal.schema.limits import QueryLimits, RowsOverAllowance, allowances_of, path_key
from gql_portal.schema.root import Mutation, Query, Subscription
from gql_portal.schema.scalars import SCALAR_MAP
from gql_portal.schema.variables import CheckedInput
from gql_portal.tracing import schema_extensions as tracing_extensions

# Fields Strawberry's relay machinery adds itself: structural, guarded where the object is loaded.
STRUCTURAL_FIELDS = frozenset({"id", "_id"})
DOCUMENT_CACHE_SIZE = 256
NODE_ID_DESCRIPTION = described(
    "The object's global id: give it to `node(id:)` or to a mutation.", Structural()
)


class MissingRuleError(TypeError):
    """A field without a rule: every field must say who may resolve it."""


class MissingBoundError(TypeError):
    """A list of objects without a bound: the query cost could not count it."""


def field_is_structural(
    type_definition: StrawberryObjectDefinition, field: StrawberryField
) -> bool:
    return (
        field.python_name in STRUCTURAL_FIELDS
        and any(interface.name == "Node" for interface in type_definition.interfaces)
    ) or type_definition.name == "Node"


class RoleSchema(strawberry.Schema):
    """A schema that holds only the fields `role` may see."""

    def __init__(self, role: SchemaRole | None, *, fast_path: bool = True, **kwargs: Any) -> None:
        self.role = role
        super().__init__(**kwargs)
        if fast_path:  # off only to compare with Strawberry's own path (tests/test_internals.py)
            self._resolve_fields_directly()

    def _resolve_fields_directly(self) -> None:
        """Every field with a rule resolves through a small function that runs the field's own
        permission class once, then reads the attribute (plain fields) or calls the resolver
        (sync resolvers stay sync, an async one's coroutine is handed to graphql-core as it is):
        Strawberry's per-field extension chain around each of them costs more than the check
        itself, and a page of objects has tens of thousands of fields. The same `Allowed`
        decides, with the same errors; fields with any other extension keep Strawberry's path.
        Relay's `id` (structural, no rule, no extension) calls its resolver the same way."""
        # Exception handlers wrap Strawberry's resolvers: with any, resolvers keep its path.
        handlers = has_exception_handlers(self)
        for graphql_type in graphql_schema(self).type_map.values():
            if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith(
                "__"
            ):
                continue
            for field_name, graphql_field in graphql_type.fields.items():
                # The very field Strawberry converted (role schemas copy some, see `_node_id`).
                field = strawberry_definition(graphql_field)
                if not isinstance(field, StrawberryField) or field.is_subscription:
                    continue
                allowed = only_permission(field)
                bound = _list_bound(graphql_type, graphql_field, field)
                if rule_of(field.metadata) is not None and allowed is not None:
                    if field.base_resolver is None:
                        graphql_field.resolve = _bounded(
                            _guarded_attribute(allowed, field.python_name), field_name, bound
                        )
                        continue
                elif field.extensions or field.python_name not in STRUCTURAL_FIELDS:
                    continue  # another extension (or an unruled field): Strawberry's path
                resolver = field.base_resolver
                if resolver is not None and not handlers and callable(resolver.wrapped_func):
                    graphql_field.resolve = _bounded(
                        _guarded_resolver(allowed, field, self), field_name, bound
                    )

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


def _list_bound(owner: GraphQLObjectType, graphql_field: Any, field: StrawberryField) -> int | None:
    """The bound a list field declares (`fields.field(..., bound=N)`); a list of objects must
    declare one (a connection's edges and nodes are bounded by its page)."""
    bound = bound_of(field.metadata)
    if bound is not None or not isinstance(get_nullable_type(graphql_field.type), GraphQLList):
        return bound
    if owner.name.endswith("Connection") or is_leaf_type(get_named_type(graphql_field.type)):
        return None  # a page (counted on the connection); scalars (bounded by their domain)
    raise MissingBoundError(
        f"{owner.name}.{field.python_name} is a list without a bound: give it "
        "gql_portal.schema.fields.field(..., bound=N) (or make it a connection)"
    )


def _bounded(resolve: Callable[..., Any], name: str, bound: int | None) -> Callable[..., Any]:
    """`resolve`, refusing a list when its path holds more items than the cost counted there
    (schema/limits.py `ListAllowances`); every parent held to the bound where the request was
    not measured."""
    if bound is None:
        return resolve
    limit = bound

    def checked(result: Any, info: Any) -> Any:
        if result is None:
            return result
        allowances = allowances_of(info.context)
        if allowances is None:
            if len(result) > limit:
                raise list_too_long(name, limit)
        else:
            allowances.admit(path_key(info.path), name, len(result), limit)
        return result

    async def later(awaitable: Any, info: Any) -> Any:
        try:
            result = await awaitable
        except RowsOverAllowance as over:  # a loader's refusal, named for this field
            raise list_too_long(name, over.limit) from None
        return checked(result, info)

    def resolve_bounded(source: Any, info: Any, **kwargs: Any) -> Any:
        result = resolve(source, info, **kwargs)
        if hasattr(result, "__await__"):
            return later(result, info)
        return checked(result, info)

    mark_default_resolver(resolve_bounded, is_default_resolver(resolve))
    return resolve_bounded


def _guarded_attribute(allowed: Allowed, name: str) -> Callable[..., Any]:
    check = allowed.has_permission

    def resolve(source: Any, info: Any) -> Any:
        check(source, info)  # raises the field's coded error when the viewer may not
        return getattr(source, name)

    mark_default_resolver(resolve, True)  # as Strawberry marks plain fields
    return resolve


def _structural(source: Any, info: Any) -> bool:
    return True  # relay's `id`: decided where its object was loaded


async def _raise(error: Exception) -> Any:
    raise error


def _guarded_resolver(
    allowed: Allowed | None, field: StrawberryField, schema: strawberry.Schema
) -> Callable[..., Any]:
    """What Strawberry's resolver with the permission extension does, in one call: convert the
    arguments, check the permission, call the resolver. An async field's refusal (or failure
    before its resolver runs) still comes out of an awaitable, where Strawberry's coroutine
    raised it; its resolver's own coroutine is returned to graphql-core unwrapped."""
    check = allowed.has_permission if allowed is not None else _structural
    resolver = field.base_resolver
    assert resolver is not None
    call = cast("Callable[..., Any]", resolver.wrapped_func)  # bound, callable (checked)
    convert_arguments = argument_converter(schema, field)
    make_info = info_maker(schema, field)
    with_arguments = bool(field.arguments)
    with_self = resolver.self_parameter is not None
    info_name = resolver.info_parameter.name if resolver.info_parameter else None
    parent_names = tuple(
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    )

    def arguments(source: Any, info: Any, kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        if with_arguments:  # converted by Strawberry (inputs, enums, ids, names)
            return convert_arguments(source, info, kwargs)
        resolver_kwargs: dict[str, Any] = {}
        for name in parent_names:
            resolver_kwargs[name] = source
        if info_name is not None:
            resolver_kwargs[info_name] = make_info(info)
        return ((source,) if with_self else ()), resolver_kwargs

    def resolve(source: Any, info: Any, **kwargs: Any) -> Any:
        args, resolver_kwargs = arguments(source, info, kwargs)
        check(source, info)  # raises the field's coded error when the viewer may not
        return call(*args, **resolver_kwargs)

    def resolve_async(source: Any, info: Any, **kwargs: Any) -> Any:
        try:
            args, resolver_kwargs = arguments(source, info, kwargs)
            check(source, info)
            return call(*args, **resolver_kwargs)
        except Exception as error:  # handed on, in an awaitable
            return _raise(error)

    chosen = resolve_async if field.is_async else resolve
    mark_default_resolver(chosen, False)
    return chosen


def _build(
    role: SchemaRole | None, *, suggestions: bool = False, fast_path: bool = True
) -> RoleSchema:
    # Each schema gets its own root classes (Strawberry issue #3823: shared roots with
    # relay.node() fail to build).
    query = strawberry.type(type("Query", (Query,), {}), description="What can be read.")
    mutation = strawberry.type(type("Mutation", (Mutation,), {}), description="What can be done.")
    subscription = (
        strawberry.type(
            type("Subscription", (Subscription,), {}),
            description="What can be followed live, over WebSocket (graphql-transport-ws).",
        )
        if _has_subscriptions(role)
        else None
    )
    return RoleSchema(
        role,
        fast_path=fast_path,
        query=query,
        mutation=mutation,
        subscription=subscription,
        # "Did you mean ...?" tells a prober about fields of other roles' schemas: development
        # mode only.
        config=StrawberryConfig(scalar_map=SCALAR_MAP, disable_field_suggestions=not suggestions),
        # Takes turns with the event loop on big answers and caps their size (execution.py).
        execution_context_class=PortalExecutionContext,
        # The limits first (they set the parser's token limit and measure before validating).
        # Clients send the same few documents again and again: parse and validate each once;
        # the validation cache is keyed by the GraphQL schema too, so roles never share results.
        # Tracing (only when configured, gql_portal/tracing.py) before them: it only observes.
        extensions=[
            *tracing_extensions(),
            QueryLimits,
            lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
            CheckedInput,  # variables checked once the document is valid (schema/variables.py)
            # Last: a valid query the compiler handles is answered from its plan
            # (gql_portal/compiled); the resolver path stays the reference.
            *([CompiledExecution] if fast_path else []),
        ],
    )


def _has_subscriptions(role: SchemaRole | None) -> bool:
    """Whether `role` may follow anything live: a role without any has no `Subscription` root
    (an empty root type is not a valid schema)."""
    definition = get_object_definition(Subscription, strict=True)
    rules = (rule_of(field.metadata) for field in definition.fields)
    return role is None or any(rule is not None and rule.visible_in(role) for rule in rules)


@cache
def full_schema() -> RoleSchema:
    """Every field of every role: the published schema.graphql."""
    return _build(None)


@cache
def role_schema(role: SchemaRole, *, suggestions: bool = False) -> RoleSchema:
    """The schema of `role`; `suggestions` (development mode) keeps graphql's field hints."""
    return _build(role, suggestions=suggestions)


@cache
def strawberry_path_schema(role: SchemaRole) -> RoleSchema:
    """`role`'s schema resolving every field through Strawberry's own path (no fast path): what
    tests/test_internals.py compares the served schema with."""
    return _build(role, fast_path=False)


def all_role_schemas() -> dict[SchemaRole, RoleSchema]:
    return {role: role_schema(role) for role in SchemaRole}
