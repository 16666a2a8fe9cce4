"""A validated operation as a plan: for every object of the answer, the fields it gets (collected
as the GraphQL specification's CollectFields says: aliases, merged fields, named and inline
fragments with type conditions, `__typename`, `@skip`/`@include`), each knowing where its value
comes from (gql_portal/compiled/sources.py). A field of an abstract type (the `Node`
interface: `node(id:)`) has one selection per concrete type, collected the first time an object
of that type is met (`Variants`): a document reaching twenty kinds of node compiles only those
it meets. A document with anything else (mutations, subscriptions, introspection, other
directives, a field without a declared source) is `NotCompilable`: the resolver path answers it.

Plans are kept in a bounded LRU cache keyed by (document, operation, role, the values of the
variables `@skip`/`@include` read): argument values are read per request from the field's
nodes, so one plan serves every page and filter of a document.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLField,
    GraphQLIncludeDirective,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLSkipDirective,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    is_leaf_type,
)
from graphql.execution.values import get_directive_values
from graphql.language import Visitor, visit

from gql_portal.compiled.sources import NotCompilable, Source, source_of
from gql_portal.permissions.rules import Rule
from gql_portal.schema.internals import strawberry_definition

PLAN_CACHE_SIZE = 512
HANDLED_DIRECTIVES = frozenset({"skip", "include"})


@dataclass(eq=False)
class Shape:
    """How a field's value is shaped in the answer: lists and non-nulls around a leaf, an
    object type or an abstract type (an interface or union: the object's own type decides)."""

    non_null: bool
    item: Shape | None  # a list's items
    leaf: Any | None  # a GraphQLLeafType
    object_type: GraphQLObjectType | None
    abstract: GraphQLAbstractType | None = None


@dataclass(eq=False)
class PlanField:
    key: str  # the response key (alias or name)
    name: str
    parent_type: GraphQLObjectType
    definition: GraphQLField | None  # None for __typename
    node: FieldNode  # the first of the merged nodes: its arguments (validation made them equal)
    path: tuple[str, ...]  # response keys from the root, as the limits count lists
    shape: Shape
    source: Source
    selection: Selection | None = None  # the fields of the objects it returns
    variants: Variants | None = None  # the same per concrete type, for an abstract type
    nodes: list[FieldNode] = field(default_factory=list)  # all merged: an error's locations


@dataclass(eq=False)
class Selection:
    """The fields every object of `object_type` at one place of the answer gets, and what the
    compiled path decides per object: the distinct rules of those fields (with the area whose
    reads are audited, if any)."""

    object_type: GraphQLObjectType
    fields: list[PlanField] = field(default_factory=list)
    rules: list[tuple[Rule, str | None]] = field(default_factory=list)
    type_name: str = ""  # the Strawberry class's name (the audit names it)
    private: tuple[str, ...] = ()  # the type's private attributes (what rules read)
    steps: list[Any] = field(default_factory=list)  # how run.py builds an object (run._steps)

    def prepare(self) -> None:
        seen: set[int] = set()
        for planned in self.fields:
            rule, allowed = planned.source.rule, planned.source.allowed
            if rule is not None and id(rule) not in seen:
                seen.add(id(rule))
                self.rules.append((rule, allowed.audited_area if allowed else None))
        definition = strawberry_definition(self.object_type)
        origin = getattr(definition, "origin", None)
        self.type_name = origin.__name__ if origin is not None else self.object_type.name
        if origin is not None and dataclasses.is_dataclass(origin):
            public = {f.python_name for f in definition.fields}
            self.private = tuple(
                f.name
                for f in dataclasses.fields(origin)
                if f.name not in public and not f.name.startswith("_")
            )


@dataclass(eq=False)
class Plan:
    operation: OperationDefinitionNode
    root: Selection


def _shape(type_: GraphQLOutputType) -> Shape:
    non_null = isinstance(type_, GraphQLNonNull)
    inner = type_.of_type if isinstance(type_, GraphQLNonNull) else type_
    if isinstance(inner, GraphQLList):
        return Shape(non_null, _shape(inner.of_type), None, None)
    if is_leaf_type(inner):
        return Shape(non_null, None, inner, None)
    if isinstance(inner, GraphQLObjectType):
        return Shape(non_null, None, None, inner)
    if isinstance(inner, GraphQLInterfaceType | GraphQLUnionType):
        return Shape(non_null, None, None, None, inner)
    raise NotCompilable(f"type {inner}")


def _innermost(shape: Shape) -> Shape:
    while shape.item is not None:
        shape = shape.item
    return shape


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Any,  # graphql-core's VariableValues
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def selection(
        self,
        object_type: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        path: tuple[str, ...],
    ) -> Selection:
        grouped: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(object_type, selection_set, grouped, set())
        selection = Selection(object_type)
        for key, nodes in grouped.items():
            selection.fields.append(self._field(object_type, key, nodes, (*path, key)))
        selection.prepare()
        return selection

    def _collect(
        self,
        object_type: GraphQLObjectType,
        selection_set: SelectionSetNode,
        grouped: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        for node in selection_set.selections:
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                key = node.alias.value if node.alias else node.name.value
                grouped.setdefault(key, []).append(node)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                if condition is None or self._applies(condition.name.value, object_type):
                    self._collect(object_type, node.selection_set, grouped, visited)
            elif isinstance(node, FragmentSpreadNode):
                name = node.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None or fragment.variable_definitions:
                    raise NotCompilable("fragment arguments")
                if self._applies(fragment.type_condition.name.value, object_type):
                    self._collect(object_type, fragment.selection_set, grouped, visited)

    def _included(self, node: Any) -> bool:
        for directive in node.directives or ():
            if directive.name.value not in HANDLED_DIRECTIVES:
                raise NotCompilable(f"directive @{directive.name.value}")
        skip = get_directive_values(GraphQLSkipDirective, node, self.variables)
        if skip and skip["if"] is True:
            return False
        include = get_directive_values(GraphQLIncludeDirective, node, self.variables)
        return not (include and include["if"] is False)

    def _applies(self, type_name: str, object_type: GraphQLObjectType) -> bool:
        condition = self.schema.get_type(type_name)
        if condition is object_type:
            return True
        if condition is None or isinstance(condition, GraphQLObjectType):
            return False
        return self.schema.is_sub_type(condition, object_type)  # type: ignore[arg-type]

    def _field(
        self,
        parent_type: GraphQLObjectType,
        key: str,
        nodes: list[FieldNode],
        path: tuple[str, ...],
    ) -> PlanField:
        name = nodes[0].name.value
        if name == "__typename":
            shape = Shape(True, None, self.schema.get_type("String"), None)
            source = source_of(None, parent_type, name)
            return PlanField(
                key, name, parent_type, None, nodes[0], path, shape, source, nodes=nodes
            )
        if name.startswith("__"):
            raise NotCompilable("introspection")
        definition = parent_type.fields.get(name)
        if definition is None:
            raise NotCompilable(f"unknown field {parent_type.name}.{name}")
        shape = _shape(definition.type)
        source = source_of(definition, parent_type, name)
        planned = PlanField(
            key, name, parent_type, definition, nodes[0], path, shape, source, nodes=nodes
        )
        inner = _innermost(shape)
        sets = [node.selection_set for node in nodes if node.selection_set is not None]
        if inner.object_type is not None:
            planned.selection = self.selection(inner.object_type, sets, path)
        elif inner.abstract is not None:
            planned.variants = Variants(self, sets, path)
        source.check(planned)
        return planned


class Variants:
    """The selections of an abstract type's field, one per concrete type (fragments apply by
    their type conditions), each compiled when the first object of its type is met: a
    concrete type whose fields do not compile refuses (the run falls back) only when it is
    met, and it is remembered either way."""

    def __init__(
        self, compiler: _Compiler, sets: list[SelectionSetNode], path: tuple[str, ...]
    ) -> None:
        self.compiler = compiler
        self.sets = sets
        self.path = path
        self.by_type: dict[str, Selection | NotCompilable] = {}

    def of(self, object_type: GraphQLObjectType) -> Selection:
        """The selection of objects of `object_type` (NotCompilable if it does not compile)."""
        selection = self.by_type.get(object_type.name)
        if selection is None:
            try:
                selection = self.compiler.selection(object_type, self.sets, self.path)
            except NotCompilable as refused:
                selection = refused
            self.by_type[object_type.name] = selection
        if isinstance(selection, NotCompilable):
            raise selection
        return selection


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def compile_plan(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    variables: Any,  # graphql-core's VariableValues
) -> Plan:
    if operation.operation is not OperationType.QUERY:
        raise NotCompilable(operation.operation.value)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    query_type = schema.query_type
    assert query_type is not None
    compiler = _Compiler(schema, fragments, variables)
    return Plan(operation, compiler.selection(query_type, [operation.selection_set], ()))


class _DirectiveVariables(Visitor):
    """The variables `@skip`/`@include` read: they change which fields a plan has."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: Any, *_: Any) -> None:
        for argument in node.arguments or ():
            if isinstance(argument.value, VariableNode):
                self.names.add(argument.value.name.value)


def directive_variables(document: DocumentNode) -> tuple[str, ...]:
    visitor = _DirectiveVariables()
    visit(document, visitor)
    return tuple(sorted(visitor.names))


class PlanCache:
    """Plans (or why a document does not compile) by (document, operation, role, directive
    variables), least recently used first out."""

    def __init__(self, size: int = PLAN_CACHE_SIZE) -> None:
        self.size = size
        self.entries: OrderedDict[Hashable, Plan | NotCompilable] = OrderedDict()
        self.directive_names: OrderedDict[Hashable, tuple[str, ...]] = OrderedDict()

    def names(self, key: Hashable, document: DocumentNode) -> tuple[str, ...]:
        names = self.directive_names.get(key)
        if names is None:
            names = self.directive_names[key] = directive_variables(document)
            if len(self.directive_names) > self.size:
                self.directive_names.popitem(last=False)
        return names

    def get(self, key: Hashable) -> Plan | NotCompilable | None:
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: Plan | NotCompilable) -> None:
        self.entries[key] = entry
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)
