"""Row scoping below the resolvers: every ORM statement of a viewer's session is restricted to
the rows the permission matrix lets that viewer reach.

A session opened with `Database.scoped(access, op)` carries the viewer's Access; the
`do_orm_execute` hook adds a loader criterion for every company-owned model (SELECT, UPDATE and
DELETE alike, joins and relationship loads included). Unreachable rows simply do not exist:
a client without an ACTIVE collaboration answers NOT_FOUND, never FORBIDDEN.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Integer, and_, event, false, func, literal, select
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql import visitors
from sqlalchemy.sql.selectable import TableClause

from gql_portal.db.base import Base, CompanyOwned
from gql_portal.permissions.access import Access
from gql_portal.permissions.matrix import Area, Op

ACCESS_KEY = "gql_portal.access"
OP_KEY = "gql_portal.op"
AREA_KEY = "gql_portal.as_area"
OPTIONS_KEY = "gql_portal.scope_options"


@cache
def company_owned_models() -> tuple[type[CompanyOwned], ...]:
    return tuple(
        mapper.class_ for mapper in Base.registry.mappers if issubclass(mapper.class_, CompanyOwned)
    )


def row_criteria(
    model: type[CompanyOwned],
    access: Access,
    op: Op,
    as_area: Area | None = None,
    dialect: str = "sqlite",
) -> ColumnElement[bool]:
    if access.in_portal and as_area is None:
        firm_rows = model.firm_rows(access)
        if firm_rows is not None:
            return firm_rows
    scope = access.row_scope(as_area or model.__area__, op)
    if not scope:
        return false()
    condition = _company_in(model, sorted(scope.companies), dialect)
    if scope.own_only:
        assert access.user_id is not None
        condition = and_(condition, model.own_rows(access))
    return condition


def _company_in(
    model: type[CompanyOwned], companies: list[int], dialect: str
) -> ColumnElement[bool]:
    """`company_id IN (the reachable companies)`. On PostgreSQL as a semi-join on one array
    parameter: the statements restrict the company too (a page's ids), and a second IN list on
    the same column makes the planner cost the index scans out (seq scans, 10-30x slower);
    the semi-join leaves the statement's own restriction to pick the index."""
    if dialect == "postgresql":
        reachable = select(func.unnest(literal(companies, ARRAY(Integer))))
        return model.company_id.in_(reachable)
    return model.company_id.in_(companies)


def reaches(access: Access, model: type[CompanyOwned], op: Op, company_id: int, own: bool) -> bool:
    """`row_criteria` for one row already in hand (of `company_id`; `own`: whether
    `model.own_rows` holds for it), so that a caller need not read it back. False also where
    only SQL can decide (a firm's own rows in the portal): the caller reads, or refuses.
    For code below the resolvers (auth); resolvers ask `Access.admits` (permissions/), and
    tests/test_reach_in_permissions.py fails on a resolver that calls this."""
    if access.in_portal and model.firm_rows(access) is not None:
        return False
    return access.row_scope(model.__area__, op).admits(company_id, own)


@lru_cache(maxsize=512)
def scope_options(
    access: Access, op: Op, as_area: Area | None = None, dialect: str = "sqlite"
) -> dict[str, list[Any]]:
    """The loader criteria of every company-owned model for this viewer, op and area, by the
    model's table. Built once per distinct viewer (an Access is immutable and compares by
    value): a request opens many sessions, and a firm's IN list of a thousand clients is costly
    to build each time."""
    by_table: dict[str, list[Any]] = {}
    for model in company_owned_models():
        criteria = with_loader_criteria(
            model, row_criteria(model, access, op, as_area, dialect), include_aliases=True
        )
        by_table.setdefault(model.__table__.name, []).append(criteria)  # type: ignore[attr-defined]
    return by_table


def tables_of(statement: Any) -> set[str]:
    """The names of every table a statement reads or writes, wherever it appears: its FROM and
    joins, subqueries (correlated ones in WHERE too), aliases, CTEs, unions, and the tables of
    columns selected without a FROM of their own (a column's traversal includes its table).
    Only the walk SQLAlchemy's own visitors take: asking an ORM column for its `table` builds
    an annotated copy of the table, ten times the walk's cost."""
    return {
        element.name for element in visitors.iterate(statement) if isinstance(element, TableClause)
    }


@event.listens_for(Session, "do_orm_execute")
def _restrict_to_viewer(state: ORMExecuteState) -> None:
    """The viewer's row scope on the statement: the loader criteria of the company-owned tables
    it touches (the ORM loads nothing eagerly here: every relationship is lazy="raise", so what
    a statement reads is what it names). A statement naming no table at all gets every model's
    criteria, as before this was narrowed."""
    info = state.session.info
    access: Access | None = info.get(ACCESS_KEY)
    if access is None or not (state.is_select or state.is_update or state.is_delete):
        return
    by_table = info.get(OPTIONS_KEY)
    if by_table is None:
        dialect = state.session.get_bind().dialect.name
        by_table = info[OPTIONS_KEY] = scope_options(
            access, info[OP_KEY], info.get(AREA_KEY), dialect
        )
    named = tables_of(state.statement)
    options = [
        option
        for table, criteria in by_table.items()
        if not named or table in named
        for option in criteria
    ]
    if options:
        state.statement = state.statement.options(*options)
