"""Where the compiled path takes each field's value from, and which fields it knows.

Most of it is derived from the types themselves: a field without a resolver is its object's
attribute of the same name (for rows read by the compiled path: the model's column of that
name), Relay's `id` is the global id of the object's id attribute, `__typename` the object's
type. A field with a resolver is compiled only when declared here:

- `RESOLVERS`: resolvers that read nothing but their object, their arguments and
  `info.context` (the root lists, a connection's `totalCount`, ...): the compiled path calls
  them as the resolver path does, with Strawberry's argument conversion, without graphql-core.
- `CHILD_LISTS`: list fields whose items are child rows of their parent (resolvers/loading.py
  `ChildRows`, the same declaration the resolver path loads through): one statement per list
  level for every parent of the level, only the asked columns.
- `PER_PARENT`: fields whose value is each parent's share of one read for all the parents of a
  level (resolvers/loading.py `PerParent`, which the resolver path loads through a DataLoader):
  its read called once per level, without a future per parent.

Anything else (a resolver not declared, an argument the declaration does not take) is
`NotCompilable`, and the resolver path answers the document.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLField, GraphQLObjectType
from strawberry import relay
from strawberry.types.base import get_object_definition
from strawberry.types.field import StrawberryField

from gql_portal.db.employees import Employee as EmployeeRow
from gql_portal.permissions.rules import Allowed, Rule
from gql_portal.resolvers import accounts as account_resolvers
from gql_portal.resolvers import employees as employee_resolvers
from gql_portal.resolvers import node as node_resolvers
from gql_portal.resolvers import payroll as payroll_resolvers
from gql_portal.resolvers import portal as portal_resolvers
from gql_portal.resolvers.loading import ChildRows, PerParent
from gql_portal.schema.accounts import Company
from gql_portal.schema.fields import bound_of, only_permission, rule_of
from gql_portal.schema.internals import strawberry_definition
from gql_portal.schema.payroll import (
    EmployeeBasis,
    EmployeeBasisDifference,
    PayrollBasisLine,
    PayrollPeriod,
)
from gql_portal.schema.portal import PortalClient
from gql_portal.schema.relay import Connection

if TYPE_CHECKING:
    from gql_portal.compiled.plan import PlanField


def _function(field: StrawberryField) -> Callable[..., Any]:
    """The function a field's resolver wraps (what the declarations name)."""
    assert field.base_resolver is not None
    function: Callable[..., Any] = field.base_resolver.wrapped_func  # type: ignore[assignment]
    return function


def _resolver(cls: type, python_name: str) -> Callable[..., Any]:
    definition = get_object_definition(cls, strict=True)
    field = next(f for f in definition.fields if f.python_name == python_name)
    assert field.base_resolver is not None
    return _function(field)


# Resolvers the compiled path may call itself (see the module's doc).
RESOLVERS: frozenset[Callable[..., Any]] = frozenset(
    {
        account_resolvers.viewer,
        employee_resolvers.employees,
        portal_resolvers.clients,
        _resolver(Connection, "total_count"),
        _resolver(Connection, "nodes"),
        _resolver(Company, "organisation_number"),
        # `node(id:)`: the resolver path's own loaders, scope and NOT_FOUND (resolvers/node.py).
        node_resolvers.node,
        _resolver(PayrollPeriod, "company"),
        # The basis is computed in Python (domain/payroll.py) by the resolver path's plug.
        _resolver(PayrollPeriod, "basis"),
        _resolver(PayrollPeriod, "differences"),
        payroll_resolvers.payroll_periods,
        _resolver(EmployeeBasis, "employee"),
        _resolver(EmployeeBasis, "sick_periods"),
        _resolver(EmployeeBasisDifference, "employee"),
        _resolver(PayrollBasisLine, "source_id"),
    }
)
CHILD_LISTS: dict[Callable[..., Any], ChildRows] = {
    _resolver(PortalClient, "employees"): employee_resolvers.CLIENT_EMPLOYEES,
}
PER_PARENT: dict[Callable[..., Any], PerParent] = {
    _resolver(PortalClient, "payroll_status"): portal_resolvers.PAYROLL_STATUSES,
}
# A type's private attributes (what its rules read) that are not its row's column of the same
# name, for objects read as rows.
ROW_ATTRIBUTES: dict[type, dict[str, Any]] = {
    EmployeeRow: {"owner_employee_id": EmployeeRow.id},
}


class NotCompilable(Exception):
    """The document needs the resolver path; the message says why."""


class Source:
    """A field's value, and the rule that decides who may resolve it (with the `Allowed` that
    carries it on the resolver path: its audit)."""

    def __init__(self, field: StrawberryField | None = None) -> None:
        self.field = field
        self.rule: Rule | None = rule_of(field.metadata) if field is not None else None
        self.allowed: Allowed | None = (
            only_permission(field) if field is not None and self.rule is not None else None
        )
        self.bound: int | None = bound_of(field.metadata) if field is not None else None
        if self.rule is not None and self.allowed is None:
            raise NotCompilable("a field with other extensions than its rule")

    def check(self, planned: PlanField) -> None:
        """Refuse what this source cannot serve below it (default: anything goes)."""


class Typename(Source):
    pass


class NodeId(Source):
    def __init__(self, field: StrawberryField, id_attribute: str) -> None:
        super().__init__(field)
        self.id_attribute = id_attribute


class Attribute(Source):
    def __init__(self, field: StrawberryField) -> None:
        super().__init__(field)
        self.python_name = field.python_name


class Resolver(Source):
    def __init__(self, field: StrawberryField) -> None:
        super().__init__(field)
        self.function = _function(field)


class PerParentRead(Source):
    def __init__(self, field: StrawberryField, read: PerParent) -> None:
        super().__init__(field)
        if field.arguments:
            raise NotCompilable(f"{field.python_name} takes arguments its read does not")
        self.function = _function(field)
        self.read = read


class Children(Source):
    def __init__(self, field: StrawberryField, rows: ChildRows) -> None:
        super().__init__(field)
        self.function = _function(field)
        self.rows = rows
        self.argument_names = {argument.python_name for argument in field.arguments}

    def check(self, planned: PlanField) -> None:
        """The items are rows: only fields that are columns of the row (or its id, its type)."""
        assert planned.selection is not None
        model = self.rows.model
        renamed = ROW_ATTRIBUTES.get(model, {})
        for item_field in planned.selection.fields:
            source = item_field.source
            if isinstance(source, Attribute):
                name = source.python_name
                if name not in renamed and not hasattr(model, name):
                    raise NotCompilable(f"{model.__name__} has no column {name}")
                if item_field.selection is not None:
                    raise NotCompilable("an object below a row")
            elif not isinstance(source, NodeId | Typename):
                raise NotCompilable(f"{item_field.name} below a row is not a column")

    def columns(self, planned: PlanField, private: tuple[str, ...]) -> list[Any]:
        """The asked columns, labelled with the type's attribute names, with the id, the parent
        key and the private attributes the rules read."""
        assert planned.selection is not None
        model = self.rows.model
        renamed = ROW_ATTRIBUTES.get(model, {})
        names = {"id", *private}
        for item_field in planned.selection.fields:
            if isinstance(item_field.source, Attribute):
                names.add(item_field.source.python_name)
        columns = [renamed.get(name, getattr(model, name, None)) for name in sorted(names)]
        missing = [name for name, column in zip(sorted(names), columns, strict=True) if not column]
        if missing:
            raise NotCompilable(f"{model.__name__} has no column {missing[0]}")
        labelled = [
            column.label(name)  # type: ignore[union-attr]  # none missing (above)
            for name, column in zip(sorted(names), columns, strict=True)
        ]
        return [*labelled, self.rows.parent.label(PARENT_LABEL)]


PARENT_LABEL = "parent_key_"


def _node_id_attribute(parent_type: GraphQLObjectType) -> str | None:
    """The id attribute of a Relay node type whose id is the plain `NodeID` (no own resolve)."""
    definition = strawberry_definition(parent_type)
    origin = getattr(definition, "origin", None)
    if origin is None or not issubclass(origin, relay.Node):
        return None
    if origin.resolve_id.__func__ is not relay.Node.resolve_id.__func__:  # type: ignore[attr-defined]
        return None
    return str(origin.resolve_id_attr())


def source_of(definition: GraphQLField | None, parent_type: GraphQLObjectType, name: str) -> Source:
    if definition is None:
        return Typename()
    field = strawberry_definition(definition)
    if not isinstance(field, StrawberryField) or field.is_subscription:
        raise NotCompilable(f"{parent_type.name}.{name} is not a Strawberry field")
    if rule_of(field.metadata) is None:
        id_attribute = _node_id_attribute(parent_type) if name == "id" else None
        if id_attribute is None:
            raise NotCompilable(f"{parent_type.name}.{name} has no rule")
        return NodeId(field, id_attribute)
    if field.base_resolver is None:
        return Attribute(field)
    function = _function(field)
    rows = CHILD_LISTS.get(function)
    if rows is not None:
        return Children(field, rows)
    read = PER_PARENT.get(function)
    if read is not None:
        return PerParentRead(field, read)
    if function in RESOLVERS:
        return Resolver(field)
    raise NotCompilable(f"{parent_type.name}.{name} has a resolver the compiler does not know")
