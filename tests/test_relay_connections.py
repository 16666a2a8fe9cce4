"""Relay connections as the Relay Cursor Connections specification has them: `first`/`after`
forward, `last`/`before` backward, `after` and `before` together a range; `pageInfo` with
`hasNextPage`, `hasPreviousPage`, `startCursor` and `endCursor`.

Paged either way from any item, in any page size, a list is the one big page: the same items in
the same order, with the same cursors. Page info is exact in the direction of paging; against
it, it tells whether the cursor paged from is still in the list (schema/relay.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.resolvers.node import NODE_LOADERS
from gql_portal.schema.build import full_schema
from tests.conftest import Api, error_codes, only_error
from tests.factories import Actor, Factory, gid
from tests.test_firm_assignments import ASSIGN, firm_with_clients

EMPLOYEES = """query($first: Int, $after: String, $last: Int, $before: String) {
  employees(first: $first, after: $after, last: $last, before: $before, active: null) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id firstName lastName } } } }"""
AUDIT = """query($first: Int, $after: String, $last: Int, $before: String) {
  auditEvents(first: $first, after: $after, last: $last, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { action } } } }"""
# Names with ties, so that the keyset order (last name, first name, id) needs every key.
LAST_NAMES = ["Berg", "Ek", "Berg", "Ahl", "Ek", "Berg", "Ahl", "Ek", "Berg", "Ek", "Ahl"]
FIRST_NAMES = ["Sara", "Olle", "Sara", "Ida", "Olle", "Bo", "Ida", "Olle", "Sara", "Ada", "Ida"]

Page = dict[str, Any]


@pytest.fixture
def state() -> dict[str, Any]:
    """The test's company, made once for all the examples hypothesis runs of a test (the
    database is emptied before each test, not before each example)."""
    return {}


async def staffed(state: dict[str, Any], factory: Factory) -> Actor:
    if "admin" not in state:
        company = await factory.company()
        state["admin"] = await factory.admin(company)
        for last_name, first_name in zip(LAST_NAMES, FIRST_NAMES, strict=True):
            await factory.employee(company, last_name=last_name, first_name=first_name)
    admin: Actor = state["admin"]
    return admin


async def page(api: Api, token: str, query: str = EMPLOYEES, **arguments: Any) -> Page:
    body = await api(query, arguments, token=token)
    assert "errors" not in body, body
    result: Page = next(iter(body["data"].values()))
    return result


def items(page: Page) -> list[tuple[str, str]]:
    return [(edge["cursor"], edge["node"]["id"]) for edge in page["edges"]]


async def forward(api: Api, token: str, size: int, after: str | None) -> list[tuple[str, str]]:
    """Every item after `after`, `size` a page, checking each page's info on the way."""
    seen: list[tuple[str, str]] = []
    while True:
        current = await page(api, token, first=size, after=after)
        info = current["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        assert len(current["edges"]) == size or not info["hasNextPage"]
        seen += items(current)
        if current["edges"]:
            assert (info["startCursor"], info["endCursor"]) == (
                seen[-len(current["edges"])][0],
                seen[-1][0],
            )
        if not info["hasNextPage"]:
            return seen
        after = info["endCursor"]


async def backward(api: Api, token: str, size: int, before: str | None) -> list[tuple[str, str]]:
    """Every item before `before`, `size` a page, read from the end towards the start."""
    seen: list[tuple[str, str]] = []
    while True:
        current = await page(api, token, last=size, before=before)
        info = current["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        assert len(current["edges"]) == size or not info["hasPreviousPage"]
        seen = items(current) + seen
        if current["edges"]:
            assert (info["startCursor"], info["endCursor"]) == (
                seen[0][0],
                seen[len(current["edges"]) - 1][0],
            )
        if not info["hasPreviousPage"]:
            return seen
        before = info["startCursor"]


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(size=st.integers(1, 12), start=st.integers(0, len(LAST_NAMES)))
async def test_paging_either_way_from_anywhere_gives_the_one_big_page(
    api: Api, factory: Factory, state: dict[str, Any], size: int, start: int
) -> None:
    admin = await staffed(state, factory)
    whole = await page(api, admin.token, first=100)
    everything = items(whole)
    names = [(edge["node"]["lastName"], edge["node"]["firstName"]) for edge in whole["edges"]]
    assert names == sorted(names) and len(everything) == len(LAST_NAMES)
    assert not whole["pageInfo"]["hasNextPage"] and not whole["pageInfo"]["hasPreviousPage"]

    after = everything[start - 1][0] if start > 0 else None
    assert await forward(api, admin.token, size, after) == everything[start:]
    before = everything[start][0] if start < len(everything) else None
    assert await backward(api, admin.token, size, before) == everything[:start]


async def test_last_without_before_is_the_end_of_the_list(
    api: Api, factory: Factory, state: dict[str, Any]
) -> None:
    admin = await staffed(state, factory)
    everything = items(await page(api, admin.token, first=100))
    tail = await page(api, admin.token, last=3)
    assert items(tail) == everything[-3:]
    assert tail["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": everything[-3][0],
        "endCursor": everything[-1][0],
    }
    all_of_it = await page(api, admin.token, last=100)
    assert items(all_of_it) == everything
    assert not all_of_it["pageInfo"]["hasPreviousPage"]


async def test_after_and_before_together_are_a_range(
    api: Api, factory: Factory, state: dict[str, Any]
) -> None:
    admin = await staffed(state, factory)
    everything = items(await page(api, admin.token, first=100))
    after, before = everything[2][0], everything[8][0]
    ahead = await page(api, admin.token, first=4, after=after, before=before)
    assert items(ahead) == everything[3:7]
    assert (ahead["pageInfo"]["hasNextPage"], ahead["pageInfo"]["hasPreviousPage"]) == (True, True)
    behind = await page(api, admin.token, last=4, after=after, before=before)
    assert items(behind) == everything[4:8]
    assert (behind["pageInfo"]["hasNextPage"], behind["pageInfo"]["hasPreviousPage"]) == (
        True,
        True,
    )
    whole_range = await page(api, admin.token, last=10, after=after, before=before)
    assert items(whole_range) == everything[3:8]
    assert not whole_range["pageInfo"]["hasPreviousPage"]


async def test_an_empty_page_has_no_cursors(
    api: Api, factory: Factory, state: dict[str, Any]
) -> None:
    admin = await staffed(state, factory)
    everything = items(await page(api, admin.token, first=100))
    past_the_end = await page(api, admin.token, first=5, after=everything[-1][0])
    assert past_the_end["edges"] == []
    assert past_the_end["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": True,
        "startCursor": None,
        "endCursor": None,
    }
    before_the_start = await page(api, admin.token, last=5, before=everything[0][0])
    assert before_the_start["edges"] == []
    assert before_the_start["pageInfo"]["hasNextPage"] is True
    assert before_the_start["pageInfo"]["hasPreviousPage"] is False


async def test_a_list_newest_first_pages_backward_too(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    now = factory.clock.now()
    async with database.transaction() as session:
        for minute in range(9):
            session.add(
                AuditEvent(
                    at=now + timedelta(minutes=minute),
                    action=f"TEST_EVENT_{minute}",
                    company_id=company.id,
                    details={},
                )
            )
    newest_first = await page(api, admin.token, AUDIT, first=100)
    everything = [edge["cursor"] for edge in newest_first["edges"]]
    assert everything
    read_back: list[str] = []
    before = None
    while True:
        current = await page(api, admin.token, AUDIT, last=2, before=before)
        read_back = [edge["cursor"] for edge in current["edges"]] + read_back
        if not current["pageInfo"]["hasPreviousPage"]:
            break
        before = current["pageInfo"]["startCursor"]
    assert read_back == everything


@pytest.mark.parametrize(
    ("arguments", "field", "reason"),
    [
        ({"first": 2, "last": 2}, "last", "FIRST_AND_LAST"),
        ({"last": 0}, "last", "OUT_OF_RANGE"),
        ({"last": 101}, "last", "OUT_OF_RANGE"),
        ({"last": 2, "before": "bm9wZQ=="}, "before", "INVALID_CURSOR"),
        ({"first": 2, "before": "WyJ4Il0="}, "before", "INVALID_CURSOR"),
        ({"last": 2, "after": "bm9wZQ=="}, "after", "INVALID_CURSOR"),
    ],
)
async def test_wrong_paging_arguments_name_the_argument(
    api: Api,
    factory: Factory,
    state: dict[str, Any],
    arguments: dict[str, Any],
    field: str,
    reason: str,
) -> None:
    admin = await staffed(state, factory)
    error = only_error(await api(EMPLOYEES, arguments, token=admin.token))
    assert (error["code"], error["field"]) == ("BAD_USER_INPUT", field), error
    assert reason in str(error), error


async def test_the_cost_counts_last_as_it_counts_first(
    api: Api, factory: Factory, state: dict[str, Any]
) -> None:
    admin = await staffed(state, factory)
    by_first = await api(EMPLOYEES, {"first": 7}, token=admin.token)
    by_last = await api(EMPLOYEES, {"last": 7}, token=admin.token)
    assert by_first["extensions"]["cost"] == by_last["extensions"]["cost"]
    by_default = await api(EMPLOYEES, {}, token=admin.token)
    assert by_default["extensions"]["cost"] != by_last["extensions"]["cost"]


async def test_against_the_paging_direction_page_info_tells_whether_the_cursor_is_still_there(
    api: Api, factory: Factory, database: Database
) -> None:
    """Paging forward, `hasPreviousPage` is true while the `after` cursor's item is in the list
    (it precedes the page); once that item is gone it is false, though older items may remain:
    the specification allows false where the server cannot tell cheaply."""
    company = await factory.company()
    admin = await factory.admin(company)
    now = factory.clock.now()
    async with database.transaction() as session:
        events = [
            AuditEvent(
                at=now + timedelta(minutes=minute),
                action="TEST_EVENT",
                company_id=company.id,
                details={},
            )
            for minute in range(5)
        ]
        session.add_all(events)
    newest_first = await page(api, admin.token, AUDIT, first=2)
    after = newest_first["pageInfo"]["endCursor"]
    assert (await page(api, admin.token, AUDIT, first=2, after=after))["pageInfo"][
        "hasPreviousPage"
    ]
    async with database.transaction() as session:
        await session.delete(await session.get(AuditEvent, events[3].id))
    after_deletion = await page(api, admin.token, AUDIT, first=2, after=after)
    assert after_deletion["pageInfo"]["hasPreviousPage"] is False
    assert [edge["node"]["action"] for edge in after_deletion["edges"]] == ["TEST_EVENT"] * 2


def test_every_connections_items_are_nodes_that_node_id_loads() -> None:
    """Relay's `@connection` and `@refetchable` need the items to be `Node`s; `node(id:)` then
    answers each of them through its by-id loader (row scoping and field rules as anywhere)."""
    schema = full_schema()._schema
    node_types = {
        type_.name
        for type_ in schema.type_map.values()
        if isinstance(type_, GraphQLObjectType)
        and any(interface.name == "Node" for interface in type_.interfaces)
    }
    connections = [name for name in schema.type_map if name.endswith("Connection")]
    assert len(connections) >= 11
    for name in connections:
        connection = schema.type_map[name]
        assert isinstance(connection, GraphQLObjectType)
        item = get_named_type(connection.fields["nodes"].type)
        assert isinstance(connection.fields["nodes"].type, GraphQLNonNull)
        assert item.name in node_types, f"{name}: {item.name} is no Node"
    assert node_types == set(NODE_LOADERS), "every Node type (and only those) has a loader"


NODE = "query($id: ID!) { node(id: $id) { id ... on AuditEvent { action } } }"
AUDIT_IDS = "{ auditEvents(first: 100) { nodes { id action } } }"


async def test_an_audit_event_is_a_node_of_its_own_company_only(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.admin(other)
    staff = await factory.staff(mine)
    async with database.transaction() as session:
        for company_id, action in ((mine.id, "TEST_MINE"), (other.id, "TEST_THEIRS")):
            session.add(
                AuditEvent(at=factory.clock.now(), action=action, company_id=company_id, details={})
            )
        nobodys = AuditEvent(at=factory.clock.now(), action="TEST_NOBODYS", details={})
        session.add(nobodys)
        await session.flush()
        nobodys_id = nobodys.id
    listed = (await api(AUDIT_IDS, token=admin.token))["data"]["auditEvents"]["nodes"]
    (my_event,) = [event for event in listed if event["action"] == "TEST_MINE"]
    assert (await api(NODE, {"id": my_event["id"]}, token=admin.token))["data"] == {
        "node": my_event
    }
    theirs = (await api(AUDIT_IDS, token=stranger.token))["data"]["auditEvents"]["nodes"]
    (their_event,) = [event for event in theirs if event["action"] == "TEST_THEIRS"]
    for refused_id, token in (
        (their_event["id"], admin.token),  # another company's
        (gid("AuditEvent", nobodys_id), admin.token),  # a company's none (a failed log-in)
        (my_event["id"], staff.token),  # employees have no audit trail
    ):
        body = await api(
            "query($id: ID!) { node(id: $id) { id } }", {"id": refused_id}, token=token
        )
        assert body["data"] == {"node": None}, (refused_id, body)
        assert error_codes(body) == ["NOT_FOUND"]


# --- the lists without `orderBy` (tests/test_list_ordering.py pages the others both ways) -----

CREATE_CUSTOMER = "mutation($n: String!) { createCustomer(input: {name: $n}) { customer { id } } }"
CREATE_PROJECT = """mutation($c: String!, $n: String!) {
  createProject(input: {code: $c, name: $n}) { project { id } } }"""
OPEN_PERIOD = "mutation($m: String!) { openPayrollPeriod(month: $m) { payrollPeriod { id } } }"


def connection_query(field: str) -> str:
    return (
        "query($first: Int, $after: String, $last: Int, $before: String) { "
        f"{field}(first: $first, after: $after, last: $last, before: $before) {{ totalCount "
        "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
        "edges { cursor node { id } } } }"
    )


async def filled(api: Api, factory: Factory, database: Database, field: str) -> str:
    """A token that sees five items in `field`, with ties where its order can tie (the same
    names: the id decides)."""

    async def ok(query: str, variables: dict[str, Any], token: str) -> None:
        body = await api(query, variables, token=token)
        assert "errors" not in body, body

    if field == "firmAssignments":
        firm = await firm_with_clients(factory, database, 5)
        clients = [gid("Company", client.id) for client in firm.clients]
        await ok(ASSIGN, {"u": gid("User", firm.consultant_id), "c": clients[:3]}, firm.admin)
        staff = await factory.user(firm.firm, name="Kalle Konsult")  # the same name
        await ok(ASSIGN, {"u": gid("User", staff.id), "c": clients[3:]}, firm.admin)
        return firm.admin
    admin = await factory.admin(await factory.company())
    for n in range(5):
        if field == "customers":
            await ok(CREATE_CUSTOMER, {"n": "Kund AB" if n % 2 else "Annan AB"}, admin.token)
        elif field == "projects":
            await ok(CREATE_PROJECT, {"c": f"P{n}", "n": "Bygget"}, admin.token)
        else:
            await ok(OPEN_PERIOD, {"m": f"2026-0{n + 1}"}, admin.token)
    return admin.token


@pytest.mark.parametrize("field", ["customers", "projects", "payrollPeriods", "firmAssignments"])
async def test_every_other_connection_pages_backward_as_forward(
    api: Api, factory: Factory, database: Database, field: str
) -> None:
    token = await filled(api, factory, database, field)
    query = connection_query(field)
    whole = await page(api, token, query, first=100)
    everything = items(whole)
    assert len(everything) == whole["totalCount"] == 5, whole
    for size in (1, 2, 3):
        forward_items: list[tuple[str, str]] = []
        after = None
        while True:
            current = await page(api, token, query, first=size, after=after)
            forward_items += items(current)
            if not current["pageInfo"]["hasNextPage"]:
                break
            after = current["pageInfo"]["endCursor"]
        backward_items: list[tuple[str, str]] = []
        before = None
        while True:
            current = await page(api, token, query, last=size, before=before)
            assert len(current["edges"]) <= size
            backward_items = items(current) + backward_items
            if not current["pageInfo"]["hasPreviousPage"]:
                break
            before = current["pageInfo"]["startCursor"]
        assert forward_items == backward_items == everything, (field, size)
