"""Running a plan: the answer's dicts built straight from objects and rows, without
graphql-core's per-field execution.

Values come from the declared resolvers (called as the resolver path calls them: Strawberry's
argument conversion, the same functions, awaited together so that their DataLoaders batch),
from attributes, and from child rows read one statement per list level for every parent of the
level (`IN` their keys), only the asked columns, through a scoped session: the row scope is the
one db/scope.py adds to every statement of the viewer's sessions. Field rules are decided per
object kind, company and owner with the fields' own `Rule` objects, as `Allowed` decides them
(and the same partner reads are audited); leaves are serialised by their scalar's own function.

A null in a non-null position, a coded error of a resolver (`AppError`, a malformed global id),
a field its rule refuses for the object and a list over its bound leave a `Failed` mark in the
answer where the value would be; once the run is done (only if it made one) a walk of the answer
along the plan words each as graphql-core would (message, path with list indices, locations of
the merged fields) and nulls the nearest nullable place above it. Errors whose nulled places
overlap depend on which of graphql-core's tasks ran first, so those, and anything else off the
fast path (an unexpected exception, a list over the rows' allowance, an answer over the size
cap, a scalar that does not serialise), raise `Fallback`: the resolver path answers the whole
request instead.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Hashable
from inspect import isawaitable, iscoroutinefunction
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLObjectType, GraphQLSchema, located_error
from graphql.execution.values import get_argument_values
from graphql.pyutils import Undefined
from strawberry.relay import GlobalID, GlobalIDValueError
from strawberry.relay.utils import to_base64

from gql_portal.compiled.leaves import serializer
from gql_portal.compiled.plan import Plan, PlanField, Selection, Shape
from gql_portal.compiled.sources import (
    PARENT_LABEL,
    Attribute,
    Children,
    NodeId,
    NotCompilable,
    PerParentRead,
    Resolver,
)
from gql_portal.context import RequestContext
from gql_portal.errors import AppError
from gql_portal.execution import DEFAULT_MAX_RESPONSE_BYTES, LEAF_BYTES, TURN_WORK, next_turn
from gql_portal.permissions.rules import Rule
from gql_portal.resolvers.loading import PerParent, child_statement, reading
from gql_portal.schema.fields import list_too_long
from gql_portal.schema.internals import argument_converter, graphql_schema
from gql_portal.schema.limits import RowsOverAllowance, allowances_of
from gql_portal.tracing import COMPILED_RESOLVE, COMPILED_ROWS, compiled_error, compiled_span

# Leaves built per turn of the event loop: a compiled leaf costs about a tenth of one completed
# by graphql-core, so this is about the executor's turn (execution.py TURN_WORK) in time; other
# requests (a poll, the deadline) get the loop between turns.
COMPILED_TURN_WORK = 10 * TURN_WORK


def _named(planned: PlanField) -> str:
    """A field as its traces name it."""
    return f"{planned.parent_type.name}.{planned.name}"


class Fallback(Exception):
    """The fast path stops: the resolver path answers the request."""


# Errors the compiled path words itself (the resolver path's words: its field's error); any
# other exception falls back.
WORDED_ERRORS = (AppError, GlobalIDValueError)


class Failed:
    """The mark of a place whose value failed: the error (None: a null in a non-null place),
    in the order it happened (graphql-core lists errors as they happen)."""

    __slots__ = ("error", "order")

    def __init__(self, error: Exception | None, order: int) -> None:
        self.error = error
        self.order = order


class _Nulled:
    """A place nulled by an error below it: its nearest nullable parent becomes null."""


NULLED = _Nulled()


async def _raise(error: Exception) -> Any:
    raise error


class TypeInfo:
    """What an abstract type's `resolve_type` reads of graphql-core's resolve info."""

    __slots__ = ("context", "field_name", "schema")

    def __init__(self, context: RequestContext, schema: GraphQLSchema, field_name: str) -> None:
        self.context = context
        self.schema = schema
        self.field_name = field_name


class RowValues:
    """A row read by the compiled path, its labelled columns as attributes: a SQLAlchemy Row's
    attribute access costs several times a plain object's, and every field, rule and audit of
    the row reads one (2,500 rows of 20 fields: 50,000 reads)."""

    def __init__(self, labels: tuple[str, ...], row: Any) -> None:
        self.__dict__ = dict(zip(labels, row, strict=True))


class RawInfo:
    """What a declared resolver reads of graphql-core's resolve info: the request's context."""

    __slots__ = ("context",)

    def __init__(self, context: RequestContext) -> None:
        self.context = context


_converters: dict[tuple[int, Any], Any] = {}

# What `Run.build` does for a field (`_steps`).
LEAF, VALUE, NODE_ID, RESOLVED, CHILD_ROWS, PER_PARENT, TYPENAME = (
    "leaf",
    "value",
    "node id",
    "resolved",
    "child rows",
    "per parent",
    "typename",
)
Step = tuple[str, str, str, Any, bool, PlanField]


def _steps(selection: Selection) -> list[Step]:
    """The selection's fields as (what, response key, attribute, serialise, non-null, field):
    made once per selection, read for every object."""
    if selection.steps or not selection.fields:
        return selection.steps
    steps: list[Step] = []
    for planned in selection.fields:
        source, shape = planned.source, planned.shape
        if isinstance(source, Attribute):
            if shape.leaf is not None and source.bound is None:
                steps.append(
                    (
                        LEAF,
                        planned.key,
                        source.python_name,
                        serializer(shape.leaf),
                        shape.non_null,
                        planned,
                    )
                )
            else:
                steps.append((VALUE, planned.key, source.python_name, None, False, planned))
        elif isinstance(source, NodeId):
            steps.append((NODE_ID, planned.key, source.id_attribute, None, True, planned))
        elif isinstance(source, Resolver):
            steps.append((RESOLVED, planned.key, "", None, False, planned))
        elif isinstance(source, Children):
            steps.append((CHILD_ROWS, planned.key, "", None, False, planned))
        elif isinstance(source, PerParentRead):
            steps.append((PER_PARENT, planned.key, "", None, False, planned))
        else:
            steps.append((TYPENAME, planned.key, "", None, True, planned))
    selection.steps = steps
    return steps


def _converter(schema: strawberry.Schema, field: Any) -> Any:
    key = (id(schema), field)
    converter = _converters.get(key)
    if converter is None:
        converter = _converters[key] = argument_converter(schema, field)
    return converter


class Run:
    """One request's run of a plan."""

    def __init__(
        self,
        schema: strawberry.Schema,
        plan: Plan,
        context: RequestContext,
        variables: Any,  # graphql-core's VariableValues
    ) -> None:
        self.schema = schema
        self.plan_schema = graphql_schema(schema)
        self.plan = plan
        self.context = context
        self.access = context.access
        self.variables = variables
        self.info = RawInfo(context)
        self.awaiting: list[tuple[PlanField, Any, dict[str, Any]]] = []
        self.below: dict[PlanField, list[tuple[Any, dict[str, Any]]]] = {}
        # Fields read once per level for all their parents (`PerParentRead`), awaited with the
        # level's resolvers.
        self.per_parent: dict[PlanField, list[tuple[Any, dict[str, Any]]]] = {}
        self.partner_reads: set[tuple[int, str, str, int]] = set()
        settings = getattr(getattr(context, "runtime", None), "settings", None)
        self.max_bytes: int = getattr(settings, "max_response_bytes", DEFAULT_MAX_RESPONSE_BYTES)
        self.answer_bytes = 0
        self.turn_work = 0
        self.partner = self.access.partner_firm_id is not None
        self.failures = 0
        self.errors: list[tuple[int, GraphQLError]] = []
        self.variant_of: dict[int, Selection] = {}  # an abstract place's object: its selection

    async def answer(self) -> dict[str, Any] | None:
        """The answer's data; its errors in `errors` (`located_errors`)."""
        try:
            data = self.build(self.plan.root, None)
            while self.awaiting or self.per_parent or self.below:
                if self.awaiting or self.per_parent:
                    await self._settle_awaiting()
                else:
                    below, self.below = self.below, {}
                    for planned, parents in below.items():
                        await self._read_children(planned, parents)
        except Fallback:
            raise
        except Exception as error:  # a refusal, a resolver's error, a failing scalar
            raise Fallback(type(error).__name__) from error
        finally:
            for _, awaitable, _ in self.awaiting:
                if asyncio.iscoroutine(awaitable):
                    awaitable.close()
        if self.answer_bytes > self.max_bytes:
            raise Fallback("too large")
        # Only now (it may fall back): a non-null root field that failed nulls the data.
        nulled = self.failures > 0 and self._settle_object(self.plan.root, data, ()) is NULLED
        self.context.partner_reads |= self.partner_reads
        return None if nulled else data

    # --- objects ----------------------------------------------------------------------------

    def build(self, selection: Selection, source: Any) -> dict[str, Any]:
        refused = self._permit(selection, source)
        out: dict[str, Any] = {}
        steps = _steps(selection)
        if refused is not None:
            steps = self._refuse(steps, refused, out)
        answer_bytes = 0
        leaves = 0
        type_name = selection.object_type.name
        for kind, key, name, serialize, non_null, planned in steps:
            if kind is LEAF:  # the common case, inline: a column or attribute, serialised
                value = getattr(source, name)
                if value is None:
                    out[key] = self._failed(None) if non_null else None
                    continue
                serialized = serialize(value)
                if serialized is None or serialized is Undefined:
                    raise Fallback("a scalar that did not serialise")
                out[key] = serialized
                answer_bytes += LEAF_BYTES + (len(serialized) if type(serialized) is str else 0)
                leaves += 1
            elif kind is VALUE:  # an object, a list, a bounded list
                value = getattr(source, name)
                out[key] = self._completed(planned, value)
            elif kind is NODE_ID:
                # relay.GlobalID's own encoding, without making one per object.
                global_id = to_base64(selection.object_type.name, str(getattr(source, name)))
                out[key] = self.leaf(planned.shape, global_id)
            elif kind is RESOLVED:
                try:
                    value = self._call(planned, source)
                except WORDED_ERRORS as error:
                    out[key] = self._failed(error)
                    continue
                if isawaitable(value):
                    out[key] = None  # its place in the answer's order
                    self.awaiting.append((planned, value, out))
                else:
                    out[key] = self._completed(planned, value)
            elif kind is CHILD_ROWS:
                out[key] = None
                self.below.setdefault(planned, []).append((source, out))
            elif kind is PER_PARENT:
                out[key] = None
                self.per_parent.setdefault(planned, []).append((source, out))
            else:  # __typename
                out[key] = self.leaf(planned.shape, type_name)
        self.answer_bytes += answer_bytes
        self.turn_work += leaves
        return out

    def _completed(self, planned: PlanField, value: Any) -> Any:
        """A field's value completed, a bounded list admitted first (its error: the field's)."""
        if planned.source.bound is not None:
            try:
                self._admit(planned, value)
            except WORDED_ERRORS as error:
                return self._failed(error)
        return self.complete(planned, planned.shape, value)

    def complete(self, planned: PlanField, shape: Shape, value: Any) -> Any:
        if value is None:
            return self._failed(None) if shape.non_null else None
        if shape.leaf is not None:
            return self.leaf(shape, value)
        if shape.object_type is not None:
            assert planned.selection is not None
            return self.build(planned.selection, value)
        if shape.abstract is not None:
            selection = self._variant(planned, shape.abstract, value)
            built = self.build(selection, value)
            self.variant_of[id(built)] = selection
            return built
        item = shape.item
        assert item is not None
        return [self.complete(planned, item, each) for each in value]

    def leaf(self, shape: Shape, value: Any) -> Any:
        serialized = serializer(shape.leaf)(value)  # type: ignore[arg-type]
        if serialized is None or serialized is Undefined:
            raise Fallback("a scalar that did not serialise")
        self.answer_bytes += LEAF_BYTES + (len(serialized) if type(serialized) is str else 0)
        self.turn_work += 1
        return serialized

    def _variant(self, planned: PlanField, abstract: Any, value: Any) -> Selection:
        """The selection of the value's concrete type, which the abstract type's own
        `resolve_type` (Strawberry's) names, as graphql-core asks it."""
        assert planned.variants is not None
        schema = self.plan_schema
        info = TypeInfo(self.context, schema, planned.name)
        name = abstract.resolve_type(value, info, abstract) if abstract.resolve_type else None
        object_type = schema.get_type(name) if isinstance(name, str) else None
        if not isinstance(object_type, GraphQLObjectType) or not schema.is_sub_type(
            abstract, object_type
        ):
            raise Fallback(f"no concrete type of {abstract.name} for the value")
        return self._variant_of_type(planned, object_type)

    def _variant_of_type(self, planned: PlanField, object_type: GraphQLObjectType) -> Selection:
        assert planned.variants is not None
        try:
            return planned.variants.of(object_type)
        except NotCompilable as refused:
            raise Fallback(str(refused)) from refused

    async def _take_turns(self) -> None:
        """A later turn of the loop once this one has done its work (see COMPILED_TURN_WORK)."""
        if self.turn_work >= COMPILED_TURN_WORK:
            self.turn_work = 0
            await next_turn()

    # --- permissions --------------------------------------------------------------------------

    def _permit(self, selection: Selection, source: Any) -> dict[Rule, Exception] | None:
        """Each distinct rule of the selection's fields, decided for this object as `Allowed`
        decides it: once per request and decision key (company, owner), else every time. The
        refused rules with their errors (None: none refused)."""
        access = self.access
        granted = self.context.granted
        refused: dict[Rule, Exception] | None = None
        for rule, audited_area in selection.rules:
            key: Hashable | None = rule.decision_key(source, access)
            try:
                if key is None:
                    rule.check(access, source)
                elif (rule, key) not in granted:
                    rule.check(access, source)
                    granted.add((rule, key))
            except WORDED_ERRORS as error:  # refusals are not kept: each field's own error
                refused = refused or {}
                refused[rule] = error
                continue
            if audited_area is not None and source is not None and self.partner:
                self.partner_reads.add(
                    (source.company_id, audited_area, selection.type_name, source.id)
                )
        return refused

    def _refuse(
        self, steps: list[Step], refused: dict[Rule, Exception], out: dict[str, Any]
    ) -> list[Step]:
        """The refused fields failed in their places (`out` gets every key, in order), the
        steps of the others: a plain field's refusal happens at once, an async resolver's when
        its awaitable is awaited, as on the resolver path (build.py `_guarded_resolver`)."""
        kept: list[Step] = []
        for step in steps:
            planned = step[5]
            error = refused.get(planned.source.rule) if planned.source.rule else None
            if error is None:
                out[planned.key] = None
                kept.append(step)
            elif isinstance(
                planned.source, Resolver | Children | PerParentRead
            ) and iscoroutinefunction(planned.source.function):
                out[planned.key] = None
                self.awaiting.append((planned, _raise(error), out))
            else:
                out[planned.key] = self._failed(error)
        return kept

    def _admit(self, planned: PlanField, items: Any) -> None:
        """A bounded list's items, counted against its path's allowance as the resolver path
        counts them (schema/build.py `_bounded`)."""
        if items is None:
            return
        bound = planned.source.bound
        assert bound is not None
        allowances = allowances_of(self.context)
        if allowances is None:
            if len(items) > bound:
                raise list_too_long(planned.name, bound)
        else:
            allowances.admit(planned.path, planned.name, len(items), bound)

    # --- resolvers and rows -------------------------------------------------------------------

    def _call(self, planned: PlanField, source: Any) -> Any:
        resolver = planned.source
        assert isinstance(resolver, Resolver) and planned.definition is not None
        raw = get_argument_values(planned.definition, planned.node, self.variables)
        args, kwargs = _converter(self.schema, resolver.field)(source, self.info, raw)
        if planned.variants is not None:
            self._compiled_kind_or_fallback(planned, kwargs.get("id"))
        return resolver.function(*args, **kwargs)

    def _compiled_kind_or_fallback(self, planned: PlanField, global_id: Any) -> None:
        """`node(id:)` names the kind of object it answers: a kind whose selection does not
        compile falls back before its row is read (the resolver path would read it again)."""
        if not isinstance(global_id, GlobalID):
            return
        shape = planned.shape
        while shape.item is not None:
            shape = shape.item
        object_type = self.plan_schema.get_type(global_id.type_name)
        if (
            shape.abstract is not None
            and isinstance(object_type, GraphQLObjectType)
            and self.plan_schema.is_sub_type(shape.abstract, object_type)
        ):
            self._variant_of_type(planned, object_type)

    async def _settle_awaiting(self) -> None:
        """The level's resolvers and per-parent reads, awaited together as graphql-core awaits
        a level's fields (their DataLoaders batch), then their values completed in order."""
        batch, self.awaiting = self.awaiting, []
        per_parent, self.per_parent = self.per_parent, {}
        # One read per declaration and level: aliases of a field share it, as they share the
        # resolver path's DataLoader.
        by_read: dict[PerParent, list[tuple[PlanField, list[tuple[Any, dict[str, Any]]]]]] = {}
        for planned, parents in per_parent.items():
            source = planned.source
            assert isinstance(source, PerParentRead)
            by_read.setdefault(source.read, []).append((planned, parents))
        reads = [
            read.of_parents(
                self.context, [parent for _, parents in fields for parent, _ in parents]
            )
            for read, fields in by_read.items()
        ]
        named = (*(planned for planned, _, _ in batch), *per_parent)
        with compiled_span(
            COMPILED_RESOLVE,
            tuple(dict.fromkeys(map(_named, named))),
            calls=len(batch) + len(reads),
        ) as span:
            results = await asyncio.gather(
                *(awaitable for _, awaitable, _ in batch), *reads, return_exceptions=True
            )
            failed = next((r for r in results if isinstance(r, BaseException)), None)
            if failed is not None:
                compiled_error(span, failed)
        settled: list[tuple[PlanField, dict[str, Any], Any]] = [
            (planned, out, result)
            for (planned, _, out), result in zip(batch, results[: len(batch)], strict=True)
        ]
        for fields, values in zip(by_read.values(), results[len(batch) :], strict=True):
            # A failed read fails every parent's field, as a DataLoader's failed batch does.
            each = iter(values) if isinstance(values, list) else None
            for planned, parents in fields:
                settled.extend(
                    (planned, out, values if each is None else next(each)) for _, out in parents
                )
        for planned, out, result in settled:
            if isinstance(result, RowsOverAllowance) and planned.source.bound is not None:
                # A loader's refusal, named for the bounded field it serves (build.py `_bounded`)
                result = list_too_long(planned.name, result.limit)
            if isinstance(result, WORDED_ERRORS):
                out[planned.key] = self._failed(result)
            elif isinstance(result, BaseException):
                raise Fallback(type(result).__name__) from result
            else:
                out[planned.key] = self._completed(planned, result)
            await self._take_turns()

    async def _read_children(
        self, planned: PlanField, parents: list[tuple[Any, dict[str, Any]]]
    ) -> None:
        """One statement for the list under every parent of this level."""
        source = planned.source
        assert isinstance(source, Children) and planned.definition is not None
        assert planned.selection is not None
        declared = source.rows
        raw = get_argument_values(planned.definition, planned.node, self.variables)
        _, kwargs = _converter(self.schema, source.field)(parents[0][0], self.info, raw)
        arguments = {name: value for name, value in kwargs.items() if name in source.argument_names}
        parent_ids = list(
            dict.fromkeys(getattr(parent, declared.parent_key) for parent, _ in parents)
        )
        allowances = allowances_of(self.context)
        most = allowances.rows_left if allowances is not None else declared.limit * len(parent_ids)
        statement = child_statement(
            declared.model,
            declared.parent,
            parent_ids,
            declared.order_by,
            declared.narrowing(**arguments),
            source.columns(planned, planned.selection.private),
        ).limit(most + 1)
        with compiled_span(COMPILED_ROWS, (_named(planned),), parents=len(parent_ids)) as span:
            async with reading(self.context) as session:
                result = await session.execute(statement)
                labels = tuple(result.keys())
                rows = result.all()
            span.set_attribute("gql_portal.compiled.rows", len(rows))
        if len(rows) > most:
            raise Fallback("rows over the allowance")
        if allowances is not None:
            allowances.rows_left -= len(rows)
        grouped: dict[Any, list[Any]] = defaultdict(list)
        for row in rows:
            values = RowValues(labels, row)
            grouped[getattr(values, PARENT_LABEL)].append(values)
        for parent, out in parents:
            items = grouped.get(getattr(parent, declared.parent_key), [])
            out[planned.key] = self._completed(planned, items)
            await self._take_turns()

    # --- errors -------------------------------------------------------------------------------

    def _failed(self, error: Exception | None) -> Failed:
        self.failures += 1
        return Failed(error, self.failures)

    def located_errors(self) -> list[GraphQLError] | None:
        """The answer's errors in the order they happened (None: there were none)."""
        if not self.errors:
            return None
        return [error for _, error in sorted(self.errors, key=lambda each: each[0])]

    def _settle_object(
        self, selection: Selection, out: dict[str, Any], path: tuple[str | int, ...]
    ) -> dict[str, Any] | _Nulled:
        """`out` with its failed places worded and nulled: NULLED if a non-null one was."""
        errors_before = len(self.errors)
        nulled = False
        for planned in selection.fields:
            settled = self._settle(planned, planned.shape, out[planned.key], (*path, planned.key))
            if settled is NULLED:
                nulled = True
            else:
                out[planned.key] = settled
        if nulled and len(self.errors) - errors_before > 1:
            # graphql-core stops a nulled object's other fields as soon as it can: which of
            # their errors it still reports depends on its tasks' order.
            raise Fallback("errors in one nulled object")
        return NULLED if nulled else out

    def _settle(
        self, planned: PlanField, shape: Shape, value: Any, path: tuple[str | int, ...]
    ) -> Any:
        if type(value) is Failed:
            error = value.error or TypeError(
                f"Cannot return null for non-nullable field {planned.parent_type.name}."
                f"{planned.name}."
            )
            self.errors.append((value.order, located_error(error, planned.nodes, list(path))))
            return NULLED if shape.non_null else None
        if value is None or shape.leaf is not None:
            return value
        settled: Any
        if shape.item is not None:
            errors_before = len(self.errors)
            nulled = False
            for index, item in enumerate(value):
                each = self._settle(planned, shape.item, item, (*path, index))
                if each is NULLED:
                    nulled = True
                else:
                    value[index] = each
            if nulled and len(self.errors) - errors_before > 1:
                raise Fallback("errors in one nulled list")
            settled = NULLED if nulled else value
        else:
            selection = planned.selection or self.variant_of[id(value)]
            settled = self._settle_object(selection, value, path)
        if settled is NULLED:
            return NULLED if shape.non_null else None
        return settled
