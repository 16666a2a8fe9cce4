"""Small pieces every domain's resolvers share: ids, not-found, timestamps."""

from __future__ import annotations

from typing import Any

from strawberry import relay
from strawberry.types import Info

from gql_portal.context import RequestContext
from gql_portal.errors import AppError, Code, bad_input

Ctx = Info[RequestContext, None]


# Primary keys are `integer` columns: on PostgreSQL a larger number cannot even be a parameter.
MAX_ROW_ID = 2**31 - 1


def row_id(text: str) -> int | None:
    """The row id in a global id's node part; None when it is not a number."""
    try:
        return int(text)
    except ValueError:
        return None


def node_id(global_id: relay.GlobalID, type_name: str, field: str = "id") -> int:
    """The database id behind a Relay global id of `type_name`: BAD_USER_INPUT naming the field
    when it is not one, NOT_FOUND when no row can have it."""
    if global_id.type_name != type_name:
        raise bad_input(field, "WRONG_TYPE", f"must be the id of a {type_name}")
    key = row_id(global_id.node_id)
    if key is None:
        raise bad_input(field, "INVALID_ID", "is not a valid id")
    if not 1 <= key <= MAX_ROW_ID:
        raise not_found(type_name, field)
    return key


def company_filter(column: Any, company_id: relay.GlobalID | None) -> list[Any]:
    """Narrow a list to one company (a client, in the portal): a filter chosen by the client
    of the API, not a permission; rows out of reach are already gone below the resolvers."""
    if company_id is None:
        return []
    return [column == node_id(company_id, "Company", "companyId")]


def not_found(type_name: str, field: str = "id") -> AppError:
    """What an unreachable row answers: it does not exist for this viewer."""
    return AppError(Code.NOT_FOUND, f"No such {type_name}.", field=field)


def changed_fields(values: dict[str, Any]) -> list[str]:
    return sorted(name for name, value in values.items() if value is not None)
