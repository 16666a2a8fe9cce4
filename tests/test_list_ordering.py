"""`orderBy` on the lists a dashboard sorts: a field and a direction, ties by id the same way.

Paged forward (`first`/`after`) or backward (`last`/`before`) in any page size, every order is
the one in-memory sort of the rows: NULLs last in both directions, names as in Swedish (case
aside, å ä ö after z, the same in SQLite and PostgreSQL), no row twice and none left out. A
cursor belongs to its order; without `orderBy` a list keeps the order (and cursors) it had. An
order by a value of another area needs that area on every row listed."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gql_portal.db.functions import swedish_sort_text
from gql_portal.db.scope import scope_options
from gql_portal.permissions import matrix
from gql_portal.permissions.matrix import Actor, Area
from tests.conftest import Api, only_error
from tests.factories import Factory, gid

# Moderate: each example pages every order both ways, through the real HTTP endpoint.
EXAMPLES = 5
ORDERING = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Few letters, so that names tie; both cases, and the Swedish letters after z.
NAMES = st.text(alphabet="abzABZåäöÅÄÖ", min_size=1, max_size=3)
PAGE_SIZES = st.integers(1, 4)
DIRECTIONS = ("ASC", "DESC")


@dataclass(frozen=True)
class Listed:
    """A list with `orderBy`: its root field, order input type, fixed arguments, node type."""

    field: str
    order_type: str
    node_type: str
    arguments: str = ""

    def query(self) -> str:
        return (
            f"query($first: Int, $after: String, $last: Int, $before: String, "
            f"$orderBy: {self.order_type}) {{ {self.field}(first: $first, after: $after, "
            f"last: $last, before: $before, orderBy: $orderBy{self.arguments}) {{ "
            "pageInfo { hasNextPage hasPreviousPage startCursor endCursor } "
            "edges { cursor node { id } } } }"
        )


EMPLOYEES = Listed("employees", "EmployeeOrder", "Employee", ", active: null")

Row = dict[str, Any]
SortValue = Callable[[Row], Any]


async def page(api: Api, token: str, listed: Listed, **variables: Any) -> dict[str, Any]:
    body = await api(listed.query(), variables, token=token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][listed.field]
    return result


async def walk(
    api: Api, token: str, listed: Listed, order: dict[str, str] | None, size: int, *, back: bool
) -> list[str]:
    """Every item's id, `size` a page, from the start forward or from the end backward, with
    each page's info checked on the way."""
    seen: list[str] = []
    cursor: str | None = None
    while True:
        if back:
            current = await page(api, token, listed, last=size, before=cursor, orderBy=order)
        else:
            current = await page(api, token, listed, first=size, after=cursor, orderBy=order)
        info, edges = current["pageInfo"], current["edges"]
        ids = [edge["node"]["id"] for edge in edges]
        seen = ids + seen if back else seen + ids
        more = info["hasPreviousPage"] if back else info["hasNextPage"]
        assert info["hasNextPage" if back else "hasPreviousPage"] is (cursor is not None)
        assert len(edges) == size or not more
        if edges:
            assert (info["startCursor"], info["endCursor"]) == (
                edges[0]["cursor"],
                edges[-1]["cursor"],
            )
        if not more:
            return seen
        cursor = info["startCursor"] if back else info["endCursor"]


def in_memory(rows: Sequence[Row], value: SortValue, direction: str) -> list[int]:
    """The ids in the order's sort: by `value` then id, both one way; NULLs last either way."""
    descending = direction == "DESC"
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    present.sort(key=lambda row: (value(row), row["id"]), reverse=descending)
    missing.sort(key=lambda row: row["id"], reverse=descending)
    return [row["id"] for row in present + missing]


@dataclass(frozen=True)
class Paging:
    """How one example pages: `forward` items a page in `direction` (from the start), `backward`
    a page in the other direction (from the end)."""

    forward: int
    backward: int
    direction: str


PAGINGS = st.builds(Paging, PAGE_SIZES, PAGE_SIZES, st.sampled_from(DIRECTIONS))


async def check_every_order(
    api: Api,
    token: str,
    listed: Listed,
    rows: Sequence[Row],
    orders: dict[str, SortValue],
    paging: Paging,
) -> None:
    """Every field in both directions: one paged forward, the other backward (which is which,
    hypothesis draws), each walk equal to the in-memory sort."""
    other = "ASC" if paging.direction == "DESC" else "DESC"
    for field, value in orders.items():
        for direction, size, back in (
            (paging.direction, paging.forward, False),
            (other, paging.backward, True),
        ):
            order = {"field": field, "direction": direction}
            expected = [gid(listed.node_type, key) for key in in_memory(rows, value, direction)]
            walked = await walk(api, token, listed, order, size, back=back)
            assert walked == expected, (field, direction, back)


def decoded(cursor: str) -> Any:
    return orjson.loads(base64.urlsafe_b64decode(cursor))


def encoded(payload: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()


# --- employees ----------------------------------------------------------------------------------

EMPLOYEE_ORDERS: dict[str, SortValue] = {
    "NAME": lambda row: (swedish_sort_text(row["last_name"]), swedish_sort_text(row["first_name"])),
    "EMPLOYEE_NUMBER": lambda row: row["employee_number"],
    "EMPLOYMENT_START": lambda row: row["employment_start"],
}
EMPLOYEE_ROWS = st.lists(
    st.fixed_dictionaries(
        {
            "last_name": NAMES,
            "first_name": NAMES,
            "employee_number": st.sampled_from(["1", "10", "2", "A-1", "a1", "B"]),
            "employment_start": st.none() | st.dates(date(2024, 1, 1), date(2024, 1, 4)),
            "active": st.booleans(),
        }
    ),
    max_size=9,
)


async def staffed(factory: Factory, rows: list[Row]) -> tuple[str, list[Row]]:
    """A new company (hypothesis's examples share the test's database) with these employees;
    an employee number repeats only among former staff, as the table requires."""
    company = await factory.company()
    admin = await factory.admin(company)
    active_numbers: set[str] = set()
    made = []
    for row in rows:
        if row["active"] and row["employee_number"] in active_numbers:
            row = {**row, "active": False}
        if row["active"]:
            active_numbers.add(row["employee_number"])
        employee = await factory.employee(company, **row)
        made.append({**row, "id": employee.id})
    return admin.token, made


@ORDERING
@given(rows=EMPLOYEE_ROWS, paging=PAGINGS)
async def test_employees_in_every_order_either_way_in_any_page_size(
    api: Api, factory: Factory, rows: list[Row], paging: Paging
) -> None:
    token, made = await staffed(factory, rows)
    await check_every_order(api, token, EMPLOYEES, made, EMPLOYEE_ORDERS, paging)


async def test_without_order_by_employees_keep_their_order_and_cursors(
    api: Api, factory: Factory
) -> None:
    rows = [
        {"last_name": last, "first_name": first, "employee_number": str(number), "active": True}
        for number, (last, first) in enumerate(
            [("berg", "Bo"), ("Åberg", "Ida"), ("Berg", "Bo"), ("Ek", "Ola"), ("Berg", "Al")]
        )
    ]
    token, made = await staffed(factory, rows)
    # By the stored names' bytes, as always: capitals first, then lower case, Å after all.
    expected = [
        row["id"]
        for row in sorted(made, key=lambda row: (row["last_name"], row["first_name"], row["id"]))
    ]
    whole = await page(api, token, EMPLOYEES, first=10)
    assert [edge["node"]["id"] for edge in whole["edges"]] == [
        gid("Employee", row_id) for row_id in expected
    ]
    # The cursors are the key values, as before: one a client kept still pages on.
    berg = next(row for row in made if (row["last_name"], row["first_name"]) == ("Berg", "Bo"))
    assert decoded(whole["edges"][1]["cursor"]) == ["Berg", "Bo", berg["id"]]
    after = await page(api, token, EMPLOYEES, first=10, after=encoded(["Berg", "Bo", berg["id"]]))
    assert [edge["node"]["id"] for edge in after["edges"]] == [
        gid("Employee", row_id) for row_id in expected[2:]
    ]
    # In Swedish order, the same rows sort otherwise.
    swedish = await page(api, token, EMPLOYEES, first=10, orderBy={"field": "NAME"})
    assert [edge["node"]["id"] for edge in swedish["edges"]] == [
        gid("Employee", row_id) for row_id in in_memory(made, EMPLOYEE_ORDERS["NAME"], "ASC")
    ]


@pytest.mark.parametrize(
    ("taken", "given_order"),
    [
        ({"field": "NAME", "direction": "ASC"}, {"field": "NAME", "direction": "DESC"}),
        ({"field": "NAME", "direction": "ASC"}, {"field": "EMPLOYEE_NUMBER"}),
        ({"field": "EMPLOYMENT_START"}, None),
        (None, {"field": "NAME"}),
    ],
)
async def test_a_cursor_of_one_order_is_invalid_in_another(
    api: Api, factory: Factory, taken: dict[str, str] | None, given_order: dict[str, str] | None
) -> None:
    token, _ = await staffed(
        factory,
        [
            {"last_name": "Ek", "first_name": "Bo", "employee_number": "1", "active": True},
            {"last_name": "Al", "first_name": "Li", "employee_number": "2", "active": True},
        ],
    )
    cursor = (await page(api, token, EMPLOYEES, first=1, orderBy=taken))["pageInfo"]["endCursor"]
    for argument, paging in (("after", "first"), ("before", "last")):
        body = await api(
            EMPLOYEES.query(), {paging: 1, argument: cursor, "orderBy": given_order}, token=token
        )
        error = only_error(body)
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            argument,
            "INVALID_CURSOR",
        )


async def test_ordering_by_another_area_needs_it_on_every_row_listed(
    api: Api, factory: Factory, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """An employee who read every colleague's contact details but only their own salary details
    could rank the colleagues' start dates by ordering on them: refused, naming `orderBy`."""
    company = await factory.company()
    await factory.employee(company, employment_start=date(2020, 1, 1))
    staff = await factory.staff(company, employment_start=date(2021, 1, 1))
    order = {"field": "EMPLOYMENT_START", "direction": "DESC"}
    # As the matrix stands: contact and salary details alike, their own row only.
    mine = await page(api, staff.token, EMPLOYEES, first=10, orderBy=order)
    assert [edge["node"]["id"] for edge in mine["edges"]] == [
        gid("Employee", staff.employee_id or 0)
    ]

    everyone = matrix.Grant(read=matrix.Reach.ALL)
    monkeypatch.setitem(matrix.MATRIX[Area.EMPLOYEE_CONTACT], Actor.EMPLOYEE, everyone)
    scope_options.cache_clear()  # the row filters are built once per viewer

    def restored() -> None:
        monkeypatch.undo()
        scope_options.cache_clear()

    request.addfinalizer(restored)
    by_name = await page(api, staff.token, EMPLOYEES, first=10, orderBy={"field": "NAME"})
    assert len(by_name["edges"]) == 2
    body = await api(EMPLOYEES.query(), {"first": 10, "orderBy": order}, token=staff.token)
    error = only_error(body)
    assert (error["code"], error["area"], error["field"]) == (
        "FORBIDDEN",
        "EMPLOYEE_SALARY",
        "orderBy",
    )
    assert body["data"] is None or body["data"].get("employees") is None
