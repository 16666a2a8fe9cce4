"""Input checked before execution: a mistake in a request's variables (or in a value written
in the document for one of our scalars) answers BAD_USER_INPUT naming the path as the client
spelled it (`input.phone`, `input.lines[2].amount`, `id` for a missing `$id`) and what is wrong,
and never quotes the value.

graphql-core's own coercion errors quote the whole value (`found: {... 'password': ...}`), and
they reached the log as unexpected errors. `CheckedInput` (a schema extension, after
`QueryLimits`) walks the chosen operation's variables over their GraphQL input types once the
document is valid, so graphql-core only ever coerces values that are fine. Value literals in
the document go through `CodedValuesOfCorrectTypeRule` instead of graphql's
`ValuesOfCorrectTypeRule`: the same checks, and for our custom scalars (Date, DateTime,
Decimal, Money) and relay ids a coded BAD_USER_INPUT naming the argument's path. An Upload
takes anything here: the resolver taking the file refuses what is not one (NOT_A_FILE, naming
its argument).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from graphql import (
    ArgumentNode,
    EnumValueNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_input_type,
    is_required_input_field,
    specified_scalar_types,
    type_from_ast,
    value_from_ast_untyped,
)
from graphql.language import SKIP, VisitorAction
from graphql.pyutils import Undefined, did_you_mean, suggestion_list
from graphql.validation import ValuesOfCorrectTypeRule
from strawberry.extensions import SchemaExtension
from strawberry.relay import GlobalID, GlobalIDValueError

from gql_portal.errors import BadInput, FieldProblem
from gql_portal.schema.internals import (
    ValuesRuleBase,
    check_input_literal,
    graphql_schema,
    hides_suggestions,
    pre_execution_errors,
    requested_operation_name,
    set_pre_execution_errors,
    strawberry_definition,
    unwrapped_type,
)

# Why a value was refused (`reason` in the error's extensions and in each problem).
REQUIRED = "REQUIRED"
NULL_NOT_ALLOWED = "NULL_NOT_ALLOWED"
UNKNOWN_FIELD = "UNKNOWN_FIELD"
WRONG_TYPE = "WRONG_TYPE"
INVALID_VALUE = "INVALID_VALUE"
INVALID_ID = "INVALID_ID"
TOO_DEEP = "TOO_DEEP"

MAX_DEPTH = 32  # deeper than any input of ours; the walk stays far from Python's recursion limit
MAX_PROBLEMS = 50  # one request's list of problems stays short

BUILT_IN_SCALARS = frozenset(specified_scalar_types)  # their names

# What each scalar takes, said without the value.
EXPECTED = {
    "String": "a string",
    "ID": "an id (a string)",
    "Int": "a whole number from -2147483648 to 2147483647",
    "Float": "a number",
    "Boolean": "true or false",
    "Date": 'a date as YYYY-MM-DD, e.g. "2026-03-02"',
    "DateTime": 'a date and time in ISO 8601, e.g. "2026-03-02T09:00:00+01:00"',
    "Time": 'a time of day, e.g. "09:30"',
    "Decimal": 'a decimal number as a string, e.g. "7.50"',
    "Money": 'an amount in SEK as a string with at most two decimals, e.g. "1234.50"',
}
# The JSON types each scalar can take at all: anything else is WRONG_TYPE, not INVALID_VALUE.
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,),
    "ID": (str, int),
    "Int": (int, float),  # 3.0 is an Int to GraphQL
    "Float": (int, float),
    "Boolean": (bool,),
    "Date": (str,),
    "DateTime": (str,),
    "Time": (str,),
    "Decimal": (str, int),
    "Money": (str, int),
}
TWO_PLACES = Decimal("0.01")


def path_of(base: str, *keys: str | int) -> str:
    """`input`, "lines", 2, "amount" → `input.lines[2].amount`."""
    path = base
    for key in keys:
        if isinstance(key, int):
            path += f"[{key}]"
        elif path:
            path += f".{key}"
        else:
            path = key
    return path


def leaf_problem(
    leaf: GraphQLNamedType, value: Any, *, suggestions: bool, global_ids: bool
) -> tuple[str, str] | None:
    """(reason, message) when `value` is not one of `leaf`'s values; None when it is."""
    if isinstance(leaf, GraphQLEnumType):
        if isinstance(value, str) and value in leaf.values:
            return None
        if not isinstance(value, str):
            return WRONG_TYPE, f"must be one of the values of {leaf.name}, as a string"
        hint = did_you_mean(suggestion_list(value, list(leaf.values))) if suggestions else ""
        return INVALID_VALUE, f"is not a value of {leaf.name}.{hint}"
    if not isinstance(leaf, GraphQLScalarType):
        return None  # an object or list where a leaf was expected: reported by the walk
    name = leaf.name
    if name == "Upload":
        return None  # the resolver taking the file refuses anything else (NOT_A_FILE)
    kinds = JSON_TYPES.get(name)
    if kinds is not None and (isinstance(value, bool) is not (bool in kinds)):
        return WRONG_TYPE, _must_be(name, value)
    if kinds is not None and not isinstance(value, kinds):
        return WRONG_TYPE, _must_be(name, value)
    try:
        coerced = leaf.coerce_input_value(value)
    except Exception:  # the scalar's own message can quote the value: ours instead
        coerced = Undefined
    if coerced is Undefined:
        return INVALID_VALUE, _must_be(name, value)
    if name == "ID" and global_ids and not is_global_id(value):
        return INVALID_ID, "is not an id this service gave out"
    return None


def _must_be(name: str, value: Any) -> str:
    expected = EXPECTED.get(name, f"a valid {name}")
    if name in ("Money", "Decimal") and isinstance(value, float):
        return f"must be {expected} (floats are not exact)"
    if name == "Money" and isinstance(value, str):
        try:
            amount = Decimal(value.strip().replace(",", "."))
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite() and amount != amount.quantize(TWO_PLACES):
            return "has more than two decimals: an amount in SEK has at most two (öre)"
    if name == "Int" and isinstance(value, int | float):
        return "is outside the range of a 32-bit whole number"
    return f"must be {expected}"


def is_global_id(value: Any) -> bool:
    try:
        GlobalID.from_id(str(value))
    except GlobalIDValueError:
        return False
    return True


@cache
def ids_are_global(schema: GraphQLSchema) -> bool:
    """Whether every argument and input field of type ID is a relay GlobalID in Strawberry
    (true of this service): then a malformed id is refused with the other input mistakes,
    before execution, naming its path."""
    positions: list[Any] = []
    for named in schema.type_map.values():
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field in named.fields.values():
                positions.extend(field.args.values())
        elif isinstance(named, GraphQLInputObjectType):
            positions.extend(named.fields.values())
    for position in positions:
        if get_named_type(position.type).name != "ID":
            continue
        declared = unwrapped_type(getattr(strawberry_definition(position), "type", None))
        if declared is not GlobalID:
            return False
    return True


# -- variables ----------------------------------------------------------------------------------


class VariableWalk:
    """One walk over an operation's variables, collecting what is wrong with them."""

    def __init__(self, *, suggestions: bool, global_ids: bool) -> None:
        self.suggestions = suggestions
        self.global_ids = global_ids
        self.problems: list[FieldProblem] = []

    def add(self, path: str, reason: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(FieldProblem(path, reason, message))

    def value(self, value: Any, type_: GraphQLInputType, path: str, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            self.add(path, TOO_DEEP, "is nested too deeply")
            return
        if isinstance(type_, GraphQLNonNull):
            if value is None:
                self.add(path, NULL_NOT_ALLOWED, f"must not be null ({type_})")
                return
            type_ = type_.of_type
        if value is None:
            return
        if isinstance(type_, GraphQLList):
            if isinstance(value, list):
                for index, item in enumerate(value):
                    self.value(item, type_.of_type, path_of(path, index), depth + 1)
            else:  # a single value stands for a list of one (GraphQL's input coercion)
                self.value(value, type_.of_type, path, depth + 1)
            return
        if isinstance(type_, GraphQLInputObjectType):
            self.object(value, type_, path, depth)
            return
        problem = leaf_problem(
            type_, value, suggestions=self.suggestions, global_ids=self.global_ids
        )
        if problem is not None:
            self.add(path, *problem)

    def object(self, value: Any, type_: GraphQLInputObjectType, path: str, depth: int) -> None:
        if not isinstance(value, dict):
            self.add(path, WRONG_TYPE, f"must be an object ({type_.name})")
            return
        fields = type_.fields
        for name, field in fields.items():
            if name not in value:
                if is_required_input_field(field):
                    self.add(path_of(path, name), REQUIRED, f"is required ({field.type})")
                continue
            self.value(value[name], field.type, path_of(path, name), depth + 1)
        for name in value:
            if name not in fields:
                hint = did_you_mean(suggestion_list(name, list(fields))) if self.suggestions else ""
                self.add(
                    path_of(path, name), UNKNOWN_FIELD, f"is not a field of {type_.name}.{hint}"
                )
        if type_.is_one_of:
            given = [name for name in fields if value.get(name) is not None]
            if len(given) != 1 or len([name for name in value if name in fields]) != 1:
                self.add(path, INVALID_VALUE, f"must have exactly one field of {type_.name}")


def check_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: Mapping[str, Any] | None,
    *,
    suggestions: bool,
) -> list[FieldProblem]:
    """Every problem with the values sent for `operation`'s variables (validated document)."""
    walk = VariableWalk(suggestions=suggestions, global_ids=ids_are_global(schema))
    given = variables or {}
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if type_ is None or not is_input_type(type_):
            continue  # validation reports it
        if name not in given:
            # A default (validated with the document) or nothing, which a nullable allows.
            if isinstance(type_, GraphQLNonNull) and definition.default_value is None:
                walk.add(name, REQUIRED, f"is required (${name}: {type_})")
            continue
        walk.value(given[name], type_, name)
    return walk.problems


def variables_error(problems: list[FieldProblem], node: Node | None = None) -> GraphQLError:
    bad = BadInput(problems)
    return GraphQLError(bad.message, node, original_error=bad)


# -- value literals in the document -------------------------------------------------------------


def _type_at(type_: GraphQLInputType, path: list[str | int]) -> GraphQLNamedType | None:
    """The named type of the value at `path` below a value of `type_`."""
    current: Any = type_
    for key in path:
        while isinstance(current, GraphQLNonNull | GraphQLList):
            current = current.of_type
        if isinstance(key, int):
            continue
        if not isinstance(current, GraphQLInputObjectType) or key not in current.fields:
            return None
        current = current.fields[key].type
    named = get_named_type(current)
    return named


class CodedValuesOfCorrectTypeRule(ValuesRuleBase):
    """graphql's rule for value literals, naming the argument's path (`field`); for our custom
    scalars and relay ids a coded BAD_USER_INPUT with a message that does not quote the value
    (GRAPHQL_VALIDATION_FAILED for the rest, as before)."""

    base = ""  # the argument (or variable, for its default) whose value is being checked

    def enter_argument(self, node: ArgumentNode, *_args: Any) -> None:
        self.base = node.name.value

    def enter_variable_definition(self, node: VariableDefinitionNode, *_args: Any) -> None:
        self.base = node.variable.name.value

    def is_valid_value_node(
        self, node: ValueNode, input_type: GraphQLInputType | None
    ) -> VisitorAction:
        if not input_type:
            return SKIP
        suggestions = not hides_suggestions(self.context)
        global_ids = ids_are_global(self.context.schema)
        found = False

        def on_error(error: GraphQLError, path: list[str | int]) -> None:
            nonlocal found
            found = True
            field = path_of(self.base, *path)
            leaf = _type_at(input_type, path)
            if isinstance(leaf, GraphQLScalarType) and leaf.name not in BUILT_IN_SCALARS:
                # Our scalar refused the literal: say so without the literal.
                value = _literal_value(node, path)
                problem = leaf_problem(
                    leaf, value, suggestions=suggestions, global_ids=global_ids
                ) or (INVALID_VALUE, _must_be(leaf.name, value))
                self.report_error(variables_error([FieldProblem(field, *problem)], node))
                return
            extensions = {**(error.extensions or {}), "field": field}
            self.report_error(
                GraphQLError(error.message, error.nodes or node, extensions=extensions)
            )

        check_input_literal(node, input_type, on_error, hide_suggestions=not suggestions)
        if not found:
            problems = [
                FieldProblem(path_of(self.base, *path), *problem)
                for path, problem in _literal_leaves(node, input_type, [], global_ids)
            ]
            if problems:
                self.report_error(variables_error(problems, node))
        return SKIP


def _literal_value(node: ValueNode, path: list[str | int]) -> Any:
    for key in path:
        if isinstance(node, ListValueNode) and isinstance(key, int) and key < len(node.values):
            node = node.values[key]
        elif isinstance(node, ObjectValueNode):
            node = next((f.value for f in node.fields if f.name.value == key), node)
    if isinstance(node, EnumValueNode):
        return node.value
    return value_from_ast_untyped(node)


def _literal_leaves(
    node: ValueNode, type_: GraphQLInputType, path: list[str | int], global_ids: bool
) -> Iterator[tuple[list[str | int], tuple[str, str]]]:
    """Literals graphql accepts that our resolvers cannot: a malformed relay id. Variables in
    the literal are checked as variables."""
    if isinstance(node, VariableNode) or len(path) > MAX_DEPTH:
        return
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        for index, item in enumerate(items):
            yield from _literal_leaves(
                item, type_.of_type, [*path, index] if item is not node else path, global_ids
            )
        return
    if isinstance(type_, GraphQLInputObjectType):
        if isinstance(node, ObjectValueNode):
            for field in node.fields:
                definition = type_.fields.get(field.name.value)
                if definition is not None:
                    yield from _literal_leaves(
                        field.value, definition.type, [*path, field.name.value], global_ids
                    )
        return
    if not global_ids or not isinstance(type_, GraphQLScalarType) or type_.name != "ID":
        return
    value = value_from_ast_untyped(node)
    if value is not None and not is_global_id(value):
        yield path, (INVALID_ID, "is not an id this service gave out")


# -- the hook -----------------------------------------------------------------------------------


class CheckedInput(SchemaExtension):
    """Variables checked after validation (when the document is valid and within the limits:
    `QueryLimits` validates first); value literals checked by the coded rule."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = tuple(
            CodedValuesOfCorrectTypeRule if rule is ValuesOfCorrectTypeRule else rule
            for rule in context.validation_rules
        )
        yield

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        # The name as the client sent it: Strawberry's `operation_name` would name the first
        # operation of a document of several sent without one (and run it).
        name = requested_operation_name(self.execution_context)
        if document is not None and _operation(document.definitions, name) is None:
            # Strawberry would raise (a 500, the client's name in the message): answered here.
            raise _no_such_operation(document.definitions, name)

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if pre_execution_errors(context) == [] and context.graphql_document is not None:
            operation = _operation(context.graphql_document.definitions, context.operation_name)
            if operation is not None and operation.variable_definitions:
                schema = context.schema
                problems = check_variables(
                    graphql_schema(schema),
                    operation,
                    context.variables,
                    suggestions=not schema.config.disable_field_suggestions,
                )
                if problems:
                    named = problems[0].field.split(".")[0].split("[")[0]
                    definition = next(
                        (
                            d
                            for d in operation.variable_definitions
                            if d.variable.name.value == named
                        ),
                        None,
                    )
                    set_pre_execution_errors(context, [variables_error(problems, definition)])
        yield


def _operation(definitions: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _no_such_operation(definitions: Any, name: str | None) -> GraphQLError:
    operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
    if not operations:
        problem = FieldProblem("query", "NO_OPERATION", "the document has no operation to run")
    elif name is None:
        problem = FieldProblem(
            "operationName", REQUIRED, "the document has several operations: name the one to run"
        )
    else:  # the name is not quoted: it is the client's text
        problem = FieldProblem(
            "operationName", "UNKNOWN_OPERATION", "the document has no operation of that name"
        )
    return variables_error([problem])
