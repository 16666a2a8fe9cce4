"""Limits on what one GraphQL document may ask, checked before validation and execution.

- tokens: at most MAX_TOKENS (graphql-core stops parsing there);
- depth: fields nested at most MAX_DEPTH deep (through fragments);
- aliases: at most MAX_ALIASES, counted through fragments as often as they are spread;
- `first`/`last`: 1-100 (BAD_USER_INPUT naming the argument);
- cost: the objects a request may return, computed the way GitHub does, but with every list
  counted: every object field counts once per parent it can appear under, a connection's
  `first` (or `last`, by default 50) multiplies everything below it, and so does a plain list's
  declared bound (`fields.field(..., bound=N)`: the most items it returns per parent, enforced
  when it is resolved, in SQL where it is loaded); at most MAX_COST. The cost therefore bounds
  the rows read and the answer's size, and is returned in the response's `extensions.cost`.
- reads: a list whose items are each computed from other rows (`fields.field(..., reads=R)`:
  the payroll basis from its sources) costs at least R per item, whatever is selected below it
  (max(R, the selection's own cost per item): selecting its lines is not charged twice). The
  walk adds items × R to the request's `ReadBudget`: the rows all such computations of the
  request may read in all (each statement reads what is left + 1 and refuses beyond).
- allowances: the walk records, per field path (response keys, list indices left out), what it
  counted for a plain list there: the items above it × its bound. Execution then checks the total
  at each path against its allowance (`ListAllowances`), not every parent against the bound: one
  employee may have more than the bound as long as the path stays within what the cost counted.
  The rows the children loaders read come out of the sum of the allowances (`rows_left`).
- budget: the cost is then charged to the session's and the client address's budgets per
  minute (gql_portal/budgets.py); a spent budget answers RATE_LIMITED with retryAfterSeconds.

The walk itself is bounded (MAX_VISITS): fragments that spread each other many times cannot make
the checks expensive. Only documents within the limits reach graphql-core's validation (whose
rule for overlapping fields is quadratic in the number of fields), and its result is cached per
document and schema.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    validate,
)
from graphql.pyutils import Path as ResponsePath
from strawberry.extensions import SchemaExtension

from gql_portal.errors import AppError, Code
from gql_portal.schema.fields import bound_of, list_too_long, reads_of
from gql_portal.schema.internals import (
    graphql_schema,
    set_pre_execution_errors,
    set_token_limit,
    strawberry_definition,
)

MAX_TOKENS = 5_000
MAX_DEPTH = 15
MAX_ALIASES = 500
# Room for the largest legitimate answers: the payroll basis of a 500-employee period (500 ×
# lines and totals per employee, 96,001; with its differences' lines 116,201), two periods'
# bases of 500 employees without their lines (2 × 500 × the 110 rows of sources each
# employee's basis is charged: 110,004), a portal page of 100 clients with their employees.
MAX_COST = 120_000
MAX_VISITS = 20_000
MAX_PAGE = 100
DEFAULT_PAGE = 50
COST_KEY = "gql_portal.cost"
ALLOWANCES_KEY = "gql_portal.allowances"
READS_KEY = "gql_portal.reads"  # an unmeasured request's ReadBudget
REFUSAL_KEY = "gql_portal.budget_refusal"


class LimitExceeded(Exception):
    def __init__(self, error: GraphQLError) -> None:
        super().__init__(error.message)
        self.error = error


def too_complex(message: str, **extra: Any) -> LimitExceeded:
    return LimitExceeded(
        GraphQLError(message, extensions={"code": Code.QUERY_TOO_COMPLEX.value, **extra})
    )


Path = tuple[str, ...]  # response keys from the root, list indices left out


@dataclass
class Measure:
    depth: int = 0
    aliases: int = 0
    cost: int = 0
    visits: int = 0
    # Per path of a plain list: the items the cost counted there (items above × bound).
    allowances: dict[Path, int] = dataclasses.field(default_factory=dict)
    # The same per schema coordinate (type, field), summed over its paths.
    by_field: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)
    # Rows the lists computed from other rows may read in all: their items × their reads.
    reads: int = 0


class ListAllowances:
    """One request's list allowances (from its `Measure`) and what execution used of them: items
    per path, and rows the children loaders read (at most the sum of all allowances)."""

    __slots__ = ("allowances", "by_field", "reads", "rows_left", "totals")

    def __init__(self, measure: Measure) -> None:
        self.allowances = measure.allowances
        self.by_field = measure.by_field
        self.rows_left = sum(measure.allowances.values())
        self.reads = ReadBudget(measure.reads)
        self.totals: dict[Path, int] = {}

    def admit(self, path: Path, name: str, count: int, bound: int) -> None:
        """Count `count` items of the list `name` at `path`; QUERY_TOO_COMPLEX naming the field
        and the path's allowance once the path holds more than the cost counted there."""
        allowance = self.allowances.get(path, bound)
        total = self.totals.get(path, 0) + count
        self.totals[path] = total
        if total > allowance:
            raise list_too_long(name, allowance)


class RowsOverAllowance(AppError):
    """A children loader found more rows than the request's lists have left of their
    allowances: some list is longer than the cost counted (the field it serves names itself
    when it passes this on, build.py `_bounded`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            Code.QUERY_TOO_COMPLEX,
            f"The lists of this query hold more than the {limit} items its cost counted: narrow "
            "them (their arguments) or read them page by page through a connection.",
            limit=limit,
        )
        self.limit = limit


class ReadsOverAllowance(AppError):
    """A computation from other rows (the payroll basis from its sources) found more rows than
    the request's `ReadBudget`: the field it serves names itself when it passes this on
    (`reads_too_many`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            Code.QUERY_TOO_COMPLEX,
            f"This query's lists are computed from more than the {limit} rows its cost counted: "
            "narrow them (their arguments).",
            limit=limit,
        )
        self.limit = limit


def reads_too_many(name: str, limit: int) -> AppError:
    """`name` would be computed from more rows than the cost counted for it: refused before
    the rest are read, never computed from part of them."""
    return AppError(
        Code.QUERY_TOO_COMPLEX,
        f"`{name}` is computed here from more than the {limit} rows the query's cost counted "
        "for it: narrow it (its arguments, e.g. `employeeIds`).",
        field=name,
        limit=limit,
    )


class ReadBudget:
    """The rows one request's lists computed from other rows may read in all (`Measure.reads`):
    every statement of such a computation reads at most what is left + 1 (`cap`) and refuses
    once it got more (`spend`), so the request reads at most the budget + 1 row a statement."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    @property
    def cap(self) -> int:
        """The LIMIT of the next statement: one more row than is left tells it is over."""
        return self.left + 1

    def spend(self, rows: int) -> None:
        if rows > self.left:
            self.left = 0
            raise ReadsOverAllowance(self.limit)
        self.left -= rows


def read_budget(context: Any) -> ReadBudget:
    """The request's `ReadBudget`; outside the HTTP endpoint (not measured: schema tests) one of
    MAX_COST rows per request, the most a measured request may be counted."""
    allowances = allowances_of(context)
    if allowances is not None:
        return allowances.reads
    cache = getattr(context, "cache", None)
    if cache is None:
        return ReadBudget(MAX_COST)
    budget: ReadBudget = cache.setdefault(READS_KEY, ReadBudget(MAX_COST))
    return budget


def path_key(path: ResponsePath | None) -> Path:
    """An execution path as the walk records it: its response keys, without list indices."""
    keys: list[str] = []
    while path is not None:
        if isinstance(path.key, str):
            keys.append(path.key)
        path = path.prev
    keys.reverse()
    return tuple(keys)


def allowances_of(context: Any) -> ListAllowances | None:
    """The request's allowances; None outside the HTTP endpoint (schema tests), where every
    parent's list is held to its bound."""
    cache = getattr(context, "cache", None)
    return cache.get(ALLOWANCES_KEY) if cache is not None else None


def field_allowance(context: Any, type_name: str, field_name: str, bound: int) -> int:
    """The items the cost counted for `type_name.field_name` over all its paths (`bound` when
    the request was not measured): one parent's list longer than this is refused for sure."""
    allowances = allowances_of(context)
    if allowances is None:
        return bound
    return allowances.by_field.get((type_name, field_name), bound)


class Walker:
    """One walk over the operation to be executed, with fragments expanded where spread."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.measure = Measure()

    def walk(self, operation: OperationDefinitionNode) -> Measure:
        root = self.schema.get_root_type(operation.operation)
        self._selections(
            operation.selection_set, root, depth=1, multiplier=1, spreading=(), path=()
        )
        return self.measure

    def _visit(self) -> None:
        self.measure.visits += 1
        if self.measure.visits > MAX_VISITS:
            raise too_complex("The document is too large to run.", limit=MAX_VISITS)

    def _fields(
        self, selection_set: SelectionSetNode, spreading: tuple[str, ...]
    ) -> Iterator[tuple[FieldNode, str | None, tuple[str, ...]]]:
        """The fields of a selection set, through fragments: (field, type condition, spreads)."""
        for selection in selection_set.selections:
            self._visit()
            if isinstance(selection, FieldNode):
                yield selection, None, spreading
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    selection.type_condition.name.value if selection.type_condition else None
                )
                for field, inner, chain in self._fields(selection.selection_set, spreading):
                    yield field, inner or condition, chain
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in spreading:
                    raise too_complex(f"Fragment {name!r} is spread within itself.")
                fragment = self.fragments.get(name)
                if fragment is None:
                    continue  # validation reports it
                condition = fragment.type_condition.name.value
                for field, inner, chain in self._fields(fragment.selection_set, (*spreading, name)):
                    yield field, inner or condition, chain

    def _selections(
        self,
        selection_set: SelectionSetNode,
        parent: GraphQLNamedType | None,
        *,
        depth: int,
        multiplier: int,
        spreading: tuple[str, ...],
        path: Path,
    ) -> None:
        measure = self.measure
        if depth > MAX_DEPTH:
            raise too_complex(
                f"The query is nested deeper than {MAX_DEPTH} levels.", limit=MAX_DEPTH
            )
        measure.depth = max(measure.depth, depth)
        for node, condition, chain in self._fields(selection_set, spreading):
            if node.alias is not None:
                measure.aliases += 1
                if measure.aliases > MAX_ALIASES:
                    raise too_complex(
                        f"The query has more than {MAX_ALIASES} aliases.", limit=MAX_ALIASES
                    )
            if node.selection_set is None:
                continue
            owner = self.schema.get_type(condition) if condition else parent
            definition = _field(owner, node.name.value)
            named = get_named_type(definition.type) if definition else None
            inner = multiplier
            at = (*path, (node.alias or node.name).value)
            reads = 0
            if named is not None and named.name.endswith("Connection"):
                inner = multiplier * self._page(node)
            elif definition is not None and owner is not None:
                bound = declared_bound(owner, definition)
                if bound is not None:
                    inner = multiplier * bound
                    # A field merged from several places gets what each of them counted.
                    measure.allowances[at] = measure.allowances.get(at, 0) + inner
                    coordinate = (owner.name, node.name.value)
                    measure.by_field[coordinate] = measure.by_field.get(coordinate, 0) + inner
                    reads = declared_reads(definition)
            self._add(inner)
            before = measure.cost
            self._selections(
                node.selection_set,
                named,
                depth=depth + 1,
                multiplier=inner,
                spreading=chain,
                path=at,
            )
            if reads:
                # Each item costs at least what computing it reads: itself (counted above) and
                # its selection, or `reads`, whichever is more (its lines are not charged twice).
                below = measure.cost - before
                self._add(max(0, inner * (reads - 1) - below))
                measure.reads += inner * reads

    def _add(self, cost: int) -> None:
        self.measure.cost += cost
        if self.measure.cost > MAX_COST:
            raise too_complex(
                f"The query asks for more than {MAX_COST} nodes: ask for smaller pages.",
                limit=MAX_COST,
            )

    def _page(self, field: FieldNode) -> int:
        # `first` and `last` are one page size each (the resolver refuses both; were they
        # given, the larger counts).
        sizes: list[int] = []
        for argument in field.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            node = argument.value
            value: Any = None
            if isinstance(node, IntValueNode):
                value = int(node.value)
            elif isinstance(node, VariableNode):
                value = self.variables.get(node.name.value)
            elif not isinstance(node, NullValueNode):
                continue  # a wrong type: validation reports it
            if value is None:
                continue
            if not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
                raise LimitExceeded(
                    GraphQLError(
                        f"`{argument.name.value}` must be from 1 to {MAX_PAGE}.",
                        extensions={
                            "code": Code.BAD_USER_INPUT.value,
                            "field": argument.name.value,
                            "reason": "OUT_OF_RANGE",
                        },
                    )
                )
            sizes.append(value)
        return max(sizes, default=DEFAULT_PAGE)


def list_bound(owner: GraphQLNamedType, definition: GraphQLField) -> int:
    """How many items `definition` returns per parent object: 1 for a single object; a plain
    list's declared bound; a connection's `edges`/`nodes` are its page, counted on the
    connection itself. A list without a bound (schema build refuses one) counts as a page."""
    bound = declared_bound(owner, definition)
    return 1 if bound is None else bound


def declared_bound(owner: GraphQLNamedType, definition: GraphQLField) -> int | None:
    """A plain list's bound per parent (MAX_PAGE for one without: schema build refuses it);
    None for a single object, a connection's page (counted on the connection) or introspection
    (the schema's own size)."""
    if not isinstance(get_nullable_type(definition.type), GraphQLList):
        return None
    if owner.name.endswith("Connection") or owner.name.startswith("__"):
        return None
    strawberry_field = strawberry_definition(definition)
    bound = bound_of(getattr(strawberry_field, "metadata", None))
    return bound if bound is not None else MAX_PAGE


def declared_reads(definition: GraphQLField) -> int:
    """The rows computing each item of a bounded list reads whatever is selected below it
    (`fields.field(..., reads=R)`); 0 for a list of rows read as they are."""
    strawberry_field = strawberry_definition(definition)
    return reads_of(getattr(strawberry_field, "metadata", None)) or 0


def _field(owner: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(owner, GraphQLObjectType | GraphQLInterfaceType):
        return owner.fields.get(name)
    return None


def operation_of(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def measure(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> Measure:
    """The operation's depth, aliases and cost; LimitExceeded when one is over its limit."""
    operation = operation_of(document, operation_name)
    if operation is None:
        return Measure()  # validation or execution says which operation is missing
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return Walker(schema, fragments, variables or {}).walk(operation)


@lru_cache(maxsize=256)
def _validate(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[Any, ...]
) -> list[GraphQLError]:
    return validate(schema, document, rules)


class QueryLimits(SchemaExtension):
    """Parse with a token limit; measure the operation before validating it; validate once per
    document (cached)."""

    def on_parse(self) -> Iterator[None]:
        set_token_limit(self.execution_context, MAX_TOKENS)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None
        try:
            found = measure(
                graphql_schema(context.schema), document, context.operation_name, context.variables
            )
        except LimitExceeded as exceeded:
            set_pre_execution_errors(context, [exceeded.error])
            _charge(context.context, 1)
        else:
            errors = _validate(
                graphql_schema(context.schema), document, tuple(context.validation_rules)
            )
            request = context.context
            if hasattr(request, "cache"):
                request.cache[COST_KEY] = found.cost
                request.cache[ALLOWANCES_KEY] = ListAllowances(found)
            # An invalid document costs a point: refusing it is cheap, but not free.
            refused = _charge(request, 1 if errors else found.cost)
            set_pre_execution_errors(context, [refused] if refused else errors)
        yield


def _charge(request: Any, cost: int) -> GraphQLError | None:
    """Charge the request's cost to its session's and address's budgets (gql_portal/budgets.py);
    the error to answer with when one of them is spent."""
    runtime = getattr(request, "runtime", None)
    if runtime is None:  # executed outside the HTTP endpoint (schema tests)
        return None
    refusal = runtime.budgets.charge(request.access.session_id, request.client_address, cost)
    if refusal is None:
        return None
    request.cache[REFUSAL_KEY] = refusal
    return GraphQLError(
        f"The {refusal.budget}'s query budget of {refusal.limit} cost points a minute is spent; "
        f"try again in {refusal.retry_after_seconds} s.",
        extensions={
            "code": Code.RATE_LIMITED.value,
            "budget": refusal.budget,
            "limit": refusal.limit,
            "retryAfterSeconds": refusal.retry_after_seconds,
        },
    )
