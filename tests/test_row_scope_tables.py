"""The row scope applies the loader criteria of the company-owned tables a statement names
(db/scope.py `tables_of`), not all of them: so the walk must find every company-owned table
wherever a statement can name it, for every model, or a read would go unscoped. Run over every
company-owned model and every shape a statement takes in this code base, then once against a
real database: a table named only inside a subquery is still restricted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, exists, func, literal, select, union_all, update
from sqlalchemy.orm import aliased

from gql_portal.auth import access_for_token
from gql_portal.db.accounts import Company as CompanyRow
from gql_portal.db.base import Base, CompanyOwned
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.scope import company_owned_models, tables_of
from gql_portal.runtime import Runtime
from tests.factories import Factory


def _shapes() -> dict[str, Callable[[Any], Any]]:
    """Each way a statement can name a model `m` (its table `m.__table__`)."""
    return {
        "the entity": lambda m: select(m),
        "a column": lambda m: select(m.company_id),
        "an aliased entity's column": lambda m: select(aliased(m).company_id),
        "a subquery's column": lambda m: select(select(m.company_id).subquery().c.company_id),
        "a count over a subquery": lambda m: select(func.count()).select_from(select(m).subquery()),
        "a correlated EXISTS": lambda m: select(CompanyRow.id).where(
            exists(select(m.company_id).where(m.company_id == CompanyRow.id))
        ),
        "an IN subquery": lambda m: select(CompanyRow.id).where(
            CompanyRow.id.in_(select(m.company_id))
        ),
        "a scalar subquery": lambda m: select(select(func.max(m.company_id)).scalar_subquery()),
        "a CTE": lambda m: select(select(m.company_id).cte("owned").c.company_id),
        "a union": lambda m: select(
            union_all(select(m.company_id), select(CompanyRow.id)).subquery().c.company_id
        ),
        "a join": lambda m: select(CompanyRow.id).join(m, m.company_id == CompanyRow.id),
        "an UPDATE": lambda m: update(m).where(m.company_id == 0).values(company_id=0),
        "a DELETE": lambda m: delete(m).where(m.company_id == 0),
    }


@pytest.mark.parametrize("shape", list(_shapes()))
@pytest.mark.parametrize("model", company_owned_models(), ids=lambda model: model.__name__)
def test_every_company_owned_table_is_found_wherever_a_statement_names_it(
    model: type[CompanyOwned], shape: str
) -> None:
    statement = _shapes()[shape](model)
    assert model.__table__.name in tables_of(statement)  # type: ignore[attr-defined]


def test_a_statement_without_company_owned_tables_names_only_its_own() -> None:
    assert tables_of(select(CompanyRow.id)) == {"companies"}
    assert tables_of(select(literal(1))) == set()


async def test_a_table_named_only_in_a_subquery_is_restricted_to_the_viewer(
    database: Database, factory: Factory, runtime: Runtime
) -> None:
    ours = await factory.company("Vår AB")
    theirs = await factory.company("Deras AB")
    for company, staff in ((ours, 2), (theirs, 3)):
        for _ in range(staff):
            await factory.employee(company)
    admin = await factory.admin(ours)
    access = await access_for_token(runtime, admin.token)
    assert access.company_id == ours.id
    counted = select(func.count()).select_from(select(Employee.id).subquery())
    in_exists = select(CompanyRow.id).where(
        exists(select(Employee.id).where(Employee.company_id == CompanyRow.id))
    )
    async with database.scoped(access) as session:
        assert await session.scalar(counted) == 2
        assert set((await session.scalars(in_exists)).all()) == {ours.id}


def test_no_relationship_loads_eagerly_inside_a_statement() -> None:
    """`tables_of` sees the tables a statement names; a joined eager load would add one only
    when the ORM compiles it, and that table would go unscoped. Every relationship is lazy
    (each load is a statement of its own, scoped as any other) and no code asks for a joined
    load."""
    for mapper in Base.registry.mappers:
        for relationship in mapper.relationships:
            assert relationship.lazy != "joined", relationship
    package = Path(__file__).resolve().parent.parent / "gql_portal"
    for module in package.rglob("*.py"):
        assert "joinedload(" not in module.read_text(encoding="utf-8"), module
