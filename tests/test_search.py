"""`search` arguments match the searched text literally (issue 21): `%`, `_` and the escape
character `\\` in it are not LIKE wildcards. A search for `%` finds only the names with a `%` in
them, not every name; the same on SQLite and PostgreSQL (CI runs this file on both).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from gql_portal.db.collaborations import Collaboration
from gql_portal.db.engine import Database
from gql_portal.db.projects import Customer, Project
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.collaborations import AccessLevel, CollaborationState, Initiator
from gql_portal.resolvers.common import like_escaped, search_pattern
from tests.conftest import Api
from tests.factories import Factory

NAMES = ["Rabatt 100% Bygg", "Bygg_Team", "Bygg\\Syd", "Byggare Nord"]

# What each search finds: the wildcard characters are themselves, and only themselves. (No
# digits: in `clients`, a search of digits and punctuation also matches organisation numbers.)
SEARCHES = {
    "%": ["Rabatt 100% Bygg"],
    "% b": ["Rabatt 100% Bygg"],
    "_": ["Bygg_Team"],
    "g_t": ["Bygg_Team"],
    "\\": ["Bygg\\Syd"],
    "g\\s": ["Bygg\\Syd"],
    "%_\\": [],
    " BYGG ": NAMES,  # trimmed, any case
}


@dataclass(frozen=True)
class Search:
    operation: str  # takes $search
    names: Callable[[dict[str, Any]], list[str]]
    portal: bool = False


def _names(field: str, key: str = "name") -> Callable[[dict[str, Any]], list[str]]:
    return lambda data: [node[key] for node in data[field]["nodes"]]


SEARCHABLE = {
    "employees": Search(
        "query($search: String) { employees(search: $search) { nodes { firstName } } }",
        _names("employees", "firstName"),
    ),
    "companyUsers": Search(
        "query($search: String) { companyUsers(search: $search) { nodes { name } } }",
        _names("companyUsers"),
    ),
    "customers": Search(
        "query($search: String) { customers(search: $search) { nodes { name } } }",
        _names("customers"),
    ),
    "projects": Search(
        "query($search: String) { projects(search: $search) { nodes { name } } }",
        _names("projects"),
    ),
    "clients": Search(
        "query($search: String) { clients(search: $search) { nodes { company { name } } } }",
        lambda data: [node["company"]["name"] for node in data["clients"]["nodes"]],
        portal=True,
    ),
}


def test_the_pattern_escapes_the_escape_character_first() -> None:
    assert like_escaped("100%_\\") == "100\\%\\_\\\\"
    assert search_pattern("  A_b ") == "%a\\_b%"
    assert search_pattern("   ") is None and search_pattern(None) is None


async def _seed(factory: Factory, database: Database) -> tuple[str, str]:
    """A company with an employee, a user, a customer and a project of each name; a firm with
    a client company of each name. The company admin's and the firm user's tokens."""
    company = await factory.company("Sökbolaget AB")
    admin = await factory.admin(company)
    firm = await factory.company("Sökbyrån AB", firm=True)
    firm_token = await factory.log_in(
        await factory.user(firm, Role.ADMIN), firm, SessionContext.PORTAL
    )
    now = factory.clock.now()
    for index, name in enumerate(NAMES):
        await factory.employee(company, first_name=name, last_name="Andersson")
        await factory.user(company, Role.EMPLOYEE, name=name)
        client = await factory.company(name)
        async with database.transaction() as session:
            customer = Customer(company_id=company.id, name=name, created_at=now)
            session.add(customer)
            await session.flush()
            session.add(
                Project(
                    company_id=company.id,
                    customer_id=None,
                    code=f"P{index}",
                    name=name,
                    created_at=now,
                )
            )
            session.add(
                Collaboration(
                    company_id=client.id,
                    firm_id=firm.id,
                    level=AccessLevel.LIMITED,
                    state=CollaborationState.ACTIVE,
                    initiated_by=Initiator.CLIENT,
                    created_at=now - timedelta(days=2),
                    activated_at=now - timedelta(days=1),
                    updated_at=now,
                )
            )
    return admin.token, firm_token


@pytest.mark.parametrize("field", sorted(SEARCHABLE))
async def test_wildcards_in_a_search_are_literal(
    field: str, api: Api, factory: Factory, database: Database
) -> None:
    admin_token, firm_token = await _seed(factory, database)
    search = SEARCHABLE[field]
    token = firm_token if search.portal else admin_token
    everyone = await api(search.operation, {"search": None}, token=token)
    assert "errors" not in everyone, everyone
    assert set(NAMES) <= set(search.names(everyone["data"]))
    for text, expected in SEARCHES.items():
        body = await api(search.operation, {"search": text}, token=token)
        assert "errors" not in body, (text, body)
        assert sorted(search.names(body["data"])) == sorted(expected), (field, text)
