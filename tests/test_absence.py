"""Absence (ABSENCE): employees request, admins approve, reject or register; through HTTP."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gql_portal.db.engine import Database
from gql_portal.domain.absence import longer_than_a_year, overlaps
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_time import audit_actions

ABSENCE = (
    """id kind startDate endDate extentPercent status comment rejectionReason employee { id }"""
)
REQUEST = f"""mutation($input: RequestAbsenceInput!) {{
  requestAbsence(input: $input) {{ absence {{ {ABSENCE} }} }} }}"""
APPROVE = f"""mutation($id: ID!) {{ approveAbsence(id: $id) {{ absence {{ {ABSENCE} }} }} }}"""
REJECT = f"""mutation($id: ID!, $reason: String!) {{
  rejectAbsence(id: $id, reason: $reason) {{ absence {{ {ABSENCE} }} }} }}"""
CANCEL = """mutation($id: ID!) { cancelAbsence(id: $id) { cancelledId } }"""
LIST = f"""query($first: Int, $after: String, $employeeId: ID, $status: AbsenceStatus, $from: Date,
  $to: Date) {{ absences(first: $first, after: $after, employeeId: $employeeId, status: $status,
  from: $from, to: $to) {{ totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {ABSENCE} }} }} }} }}"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Absence { status } } }"""


def absence(**fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "kind": "VACATION",
        "startDate": "2026-07-06",
        "endDate": "2026-07-24",
    }
    values.update(fields)
    return {"input": values}


async def test_an_employee_requests_and_an_admin_approves(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    requested = await api(REQUEST, absence(comment=" Sommar "), token=me.token)
    assert "errors" not in requested, requested
    mine = requested["data"]["requestAbsence"]["absence"]
    assert mine | {"id": None} == {
        "id": None,
        "kind": "VACATION",
        "startDate": "2026-07-06",
        "endDate": "2026-07-24",
        "extentPercent": "100.00",
        "status": "REQUESTED",
        "comment": "Sommar",
        "rejectionReason": None,
        "employee": {"id": gid("Employee", me.employee_id or 0)},
    }
    waiting = await api(LIST, {"status": "REQUESTED"}, token=admin.token)
    assert [edge["node"]["id"] for edge in waiting["data"]["absences"]["edges"]] == [mine["id"]]

    found = await api(NODE, {"id": mine["id"]}, token=me.token)
    assert found["data"]["node"] == {"id": mine["id"], "status": "REQUESTED"}
    approved = await api(APPROVE, {"id": mine["id"]}, token=admin.token)
    assert approved["data"]["approveAbsence"]["absence"]["status"] == "APPROVED"
    again = await api(APPROVE, {"id": mine["id"]}, token=admin.token)
    assert again["data"]["approveAbsence"]["absence"]["status"] == "APPROVED"  # idempotent
    refused = only_error(await api(REJECT, {"id": mine["id"], "reason": "Nej"}, token=admin.token))
    assert (refused["field"], refused["reason"]) == ("id", "ALREADY_DECIDED")

    nested = await api(
        """{ viewer { employee { absences(from: "2026-07-24", to: "2026-08-01") { status } } } }""",
        token=me.token,
    )
    assert nested["data"]["viewer"]["employee"]["absences"] == [{"status": "APPROVED"}]
    outside = await api(
        """{ viewer { employee { absences(from: "2026-07-25") { status } } } }""", token=me.token
    )
    assert outside["data"]["viewer"]["employee"]["absences"] == []
    assert await audit_actions(database, company) == ["ABSENCE_REQUESTED", "ABSENCE_APPROVED"]


async def test_an_admin_registers_an_approved_absence_an_employee_cannot(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    employee = gid("Employee", me.employee_id or 0)
    registered = await api(
        REQUEST,
        absence(
            employeeId=employee,
            kind="SICK",
            startDate="2026-03-02",
            endDate="2026-03-03",
            extentPercent="50",
            approved=True,
        ),
        token=admin.token,
    )
    assert "errors" not in registered, registered
    assert registered["data"]["requestAbsence"]["absence"] | {"id": None} == {
        "id": None,
        "kind": "SICK",
        "startDate": "2026-03-02",
        "endDate": "2026-03-03",
        "extentPercent": "50.00",
        "status": "APPROVED",
        "comment": None,
        "rejectionReason": None,
        "employee": {"id": employee},
    }
    forbidden = only_error(await api(REQUEST, absence(approved=True), token=me.token))
    assert (forbidden["code"], forbidden["area"], forbidden["field"]) == (
        "FORBIDDEN",
        "ABSENCE",
        "approved",
    )
    missing = only_error(await api(REQUEST, absence(), token=admin.token))  # no employee record
    assert (missing["field"], missing["reason"]) == ("employeeId", "REQUIRED")
    assert await audit_actions(database, company) == ["ABSENCE_REGISTERED"]


async def test_absence_input_is_validated(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)

    async def problem(**fields: Any) -> tuple[str, str]:
        error = only_error(await api(REQUEST, absence(**fields), token=me.token))
        assert error["code"] == "BAD_USER_INPUT", error
        return error["field"], error["reason"]

    assert await problem(endDate="2026-07-05") == ("endDate", "BEFORE_START")
    assert await problem(startDate="2026-01-01", endDate="2027-01-01") == ("endDate", "TOO_LONG")
    assert await problem(startDate="2028-02-29", endDate="2029-03-01") == ("endDate", "TOO_LONG")
    for extent, reason in (
        ("0", "OUT_OF_RANGE"),
        ("100.01", "OUT_OF_RANGE"),
        ("50.555", "TOO_MANY_DECIMALS"),
    ):
        assert await problem(extentPercent=extent) == ("extentPercent", reason)
    assert await problem(comment="x" * 501) == ("comment", "TOO_LONG")
    a_year = await api(
        REQUEST,
        absence(
            startDate="2026-01-01", endDate="2026-12-31", kind="PARENTAL_LEAVE", extentPercent="25"
        ),
        token=me.token,
    )
    assert "errors" not in a_year, a_year
    one_day = await api(
        REQUEST, absence(startDate="2027-01-04", endDate="2027-01-04", kind="VAB"), token=me.token
    )
    assert "errors" not in one_day, one_day


async def test_absences_of_one_employee_do_not_overlap(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    first = await api(REQUEST, absence(), token=me.token)
    first_id = first["data"]["requestAbsence"]["absence"]["id"]
    for start, end in (
        ("2026-07-24", "2026-07-31"),
        ("2026-07-01", "2026-07-06"),
        ("2026-07-10", "2026-07-10"),
    ):
        overlap = only_error(
            await api(REQUEST, absence(startDate=start, endDate=end), token=me.token)
        )
        assert (overlap["field"], overlap["reason"]) == ("startDate", "OVERLAPS"), (start, end)
    # The admin registering it for the employee is held to the same rule.
    by_admin = only_error(
        await api(
            REQUEST,
            absence(
                employeeId=gid("Employee", me.employee_id or 0),
                kind="SICK",
                approved=True,
                startDate="2026-07-20",
                endDate="2026-07-20",
            ),
            token=admin.token,
        )
    )
    assert (by_admin["field"], by_admin["reason"]) == ("startDate", "OVERLAPS")
    # Next to it is fine, and so is another employee's absence on the same days.
    beside = await api(
        REQUEST, absence(startDate="2026-07-25", endDate="2026-07-26"), token=me.token
    )
    assert "errors" not in beside, beside
    colleague = await factory.staff(company)
    assert "errors" not in await api(REQUEST, absence(), token=colleague.token)
    # A rejected absence no longer holds its days.
    await api(REJECT, {"id": first_id, "reason": "Semesterstopp i juli"}, token=admin.token)
    after_rejection = await api(
        REQUEST, absence(startDate="2026-07-10", endDate="2026-07-10"), token=me.token
    )
    assert "errors" not in after_rejection, after_rejection


async def test_rejecting_needs_a_reason_and_cancelling_follows_the_status(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    ids = []
    for start in ("2026-04-06", "2026-05-04", "2026-06-01", "2026-08-03"):
        created = await api(REQUEST, absence(startDate=start, endDate=start), token=me.token)
        ids.append(created["data"]["requestAbsence"]["absence"]["id"])
    to_reject, to_approve, to_cancel, to_cancel_by_admin = ids

    blank = only_error(await api(REJECT, {"id": to_reject, "reason": "  "}, token=admin.token))
    assert (blank["field"], blank["reason"]) == ("reason", "REQUIRED")
    rejected = await api(
        REJECT, {"id": to_reject, "reason": "Inventering den veckan"}, token=admin.token
    )
    assert rejected["data"]["rejectAbsence"]["absence"] | {"id": None, "employee": None} == {
        "id": None,
        "employee": None,
        "kind": "VACATION",
        "startDate": "2026-04-06",
        "endDate": "2026-04-06",
        "extentPercent": "100.00",
        "status": "REJECTED",
        "comment": None,
        "rejectionReason": "Inventering den veckan",
    }
    late = only_error(await api(APPROVE, {"id": to_reject}, token=admin.token))
    assert (late["field"], late["reason"]) == ("id", "ALREADY_DECIDED")
    await api(APPROVE, {"id": to_approve}, token=admin.token)

    # The owner cancels while it is requested, not once it is decided; an admin cancels any.
    cancelled = await api(CANCEL, {"id": to_cancel}, token=me.token)
    assert cancelled["data"]["cancelAbsence"] == {"cancelledId": to_cancel}
    decided = only_error(await api(CANCEL, {"id": to_approve}, token=me.token))
    assert (decided["field"], decided["reason"]) == ("id", "ALREADY_DECIDED")
    assert "errors" not in await api(CANCEL, {"id": to_approve}, token=admin.token)
    assert "errors" not in await api(CANCEL, {"id": to_cancel_by_admin}, token=admin.token)
    assert error_codes(await api(NODE, {"id": to_cancel}, token=me.token)) == ["NOT_FOUND"]
    remaining = (await api(LIST, {}, token=me.token))["data"]["absences"]["edges"]
    assert [edge["node"]["status"] for edge in remaining] == ["REJECTED"]
    assert await audit_actions(database, company) == [
        "ABSENCE_REQUESTED",
        "ABSENCE_REQUESTED",
        "ABSENCE_REQUESTED",
        "ABSENCE_REQUESTED",
        "ABSENCE_REJECTED",
        "ABSENCE_APPROVED",
        "ABSENCE_CANCELLED",
        "ABSENCE_CANCELLED",
        "ABSENCE_CANCELLED",
    ]


async def test_absences_are_listed_by_first_day_and_filtered(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.employee(company)
    bo = await factory.employee(company)
    for employee, starts in (
        (anna, ("2026-01-05", "2026-03-02", "2026-05-04")),
        (bo, ("2026-02-02", "2026-04-06")),
    ):
        for start in starts:
            created = await api(
                REQUEST,
                absence(
                    employeeId=gid("Employee", employee.id),
                    startDate=start,
                    endDate=start,
                    kind="SICK",
                ),
                token=admin.token,
            )
            assert "errors" not in created, created
    seen = []
    after = None
    while True:
        page = (await api(LIST, {"first": 2, "after": after}, token=admin.token))["data"][
            "absences"
        ]
        assert page["totalCount"] == 5
        seen += [edge["node"]["startDate"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["2026-01-05", "2026-02-02", "2026-03-02", "2026-04-06", "2026-05-04"]
    annas = await api(
        LIST,
        {"employeeId": gid("Employee", anna.id), "from": "2026-02-01", "to": "2026-04-30"},
        token=admin.token,
    )
    assert [edge["node"]["startDate"] for edge in annas["data"]["absences"]["edges"]] == [
        "2026-03-02"
    ]


async def test_an_employee_cannot_see_or_decide_a_colleagues_absence(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    theirs = await api(REQUEST, absence(), token=colleague.token)
    their_id = theirs["data"]["requestAbsence"]["absence"]["id"]
    assert (await api(LIST, {}, token=me.token))["data"]["absences"]["totalCount"] == 0
    assert error_codes(await api(NODE, {"id": their_id}, token=me.token)) == ["NOT_FOUND"]
    assert error_codes(await api(CANCEL, {"id": their_id}, token=me.token)) == ["NOT_FOUND"]
    for_them = only_error(
        await api(
            REQUEST, absence(employeeId=gid("Employee", colleague.employee_id or 0)), token=me.token
        )
    )
    assert (for_them["code"], for_them["field"]) == ("NOT_FOUND", "employeeId")
    # Approving and rejecting are admin work: not in an employee's schema.
    assert set(error_codes(await api(APPROVE, {"id": their_id}, token=me.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }
    assert set(error_codes(await api(REJECT, {"id": their_id, "reason": "x"}, token=me.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }


async def test_another_companys_absences_do_not_exist(api: Api, factory: Factory) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.staff(other)
    theirs = await api(REQUEST, absence(), token=stranger.token)
    their_id = theirs["data"]["requestAbsence"]["absence"]["id"]
    assert error_codes(await api(APPROVE, {"id": their_id}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(CANCEL, {"id": their_id}, token=admin.token)) == ["NOT_FOUND"]
    registered = await api(
        REQUEST, absence(employeeId=gid("Employee", stranger.employee_id or 0)), token=admin.token
    )
    assert error_codes(registered) == ["NOT_FOUND"]
    assert (await api(LIST, {}, token=admin.token))["data"]["absences"]["totalCount"] == 0


@given(st.dates(), st.dates(), st.dates(), st.dates())
def test_overlap_is_sharing_a_day(a: date, b: date, c: date, d: date) -> None:
    start, end = sorted((a, b))
    other_start, other_end = sorted((c, d))
    shared = max(start, other_start) <= min(end, other_end)
    assert overlaps(start, end, other_start, other_end) is shared
    assert overlaps(other_start, other_end, start, end) is shared


def test_an_absence_covers_at_most_a_year() -> None:
    assert not longer_than_a_year(date(2026, 1, 1), date(2026, 12, 31))
    assert longer_than_a_year(date(2026, 1, 1), date(2027, 1, 1))
    assert not longer_than_a_year(date(2028, 1, 1), date(2028, 12, 31))  # 366 days in a leap year
    assert not longer_than_a_year(date(2028, 2, 29), date(2029, 2, 28))
    assert longer_than_a_year(date(2028, 2, 29), date(2029, 3, 1))
