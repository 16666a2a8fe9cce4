"""Expenses and mileage (EXPENSES_RECEIPTS): employees submit their own, admins decide, through
HTTP. Receipt files and their downloads: tests/test_receipts.py."""

from __future__ import annotations

import struct
import zlib
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Expense, Receipt
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind, ExpenseStatus
from gql_portal.permissions.roles import SchemaRole
from gql_portal.runtime import Runtime
from gql_portal.schema.build import role_schema
from gql_portal.schema.internals import graphql_schema
from gql_portal.storage import Storage
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

FIELDS = """id kind date description category currency amount vatAmount vatRate netAmount
  distanceKm vehicle ratePerMil status rejectionReason decidedAt employee { id }
  receipts { id fileName contentType sizeBytes sha256 url }"""
SUBMIT = f"""mutation($input: SubmitExpenseInput!) {{ submitExpense(input: $input) {{ expense {{ {FIELDS} }} }} }}"""
MILEAGE = f"""mutation($input: SubmitMileageInput!) {{ submitMileage(input: $input) {{ expense {{ {FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateExpenseInput!) {{ updateExpense(id: $id, input: $input) {{ expense {{ {FIELDS} }} }} }}"""
DELETE = "mutation($id: ID!) { deleteExpense(id: $id) { deletedId } }"
APPROVE = "mutation($id: ID!) { approveExpense(id: $id) { expense { id status decidedAt rejectionReason } } }"
REJECT = "mutation($id: ID!, $reason: String!) { rejectExpense(id: $id, reason: $reason) { expense { id status decidedAt rejectionReason } } }"
NODE = f"""query($id: ID!) {{ node(id: $id) {{ id ... on Expense {{ {FIELDS} }} }} }}"""
LIST = """query($first: Int, $after: String, $employeeId: ID, $status: ExpenseStatus, $from: Date, $to: Date) {
  expenses(first: $first, after: $after, employeeId: $employeeId, status: $status, from: $from, to: $to) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id date amount status employee { id } } } } }"""
ATTACH = """mutation($expenseId: ID!, $file: Upload!) { attachReceipt(expenseId: $expenseId, file: $file) {
  receipt { id fileName contentType sizeBytes sha256 uploadedAt url }
  expense { id receipts { id fileName } } } }"""


# --- helpers shared with tests/test_receipts.py ----------------------------------------------


@pytest.fixture(autouse=True)
def storage(runtime: Runtime, tmp_path: Path) -> Storage:
    """Files of this test in its own folder (the runtime's default is ./storage)."""
    runtime.storage = Storage(tmp_path / "storage")
    return runtime.storage


def new_expense(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "date": "2026-02-20",
        "amount": "112.00",
        "vatRate": "12",
        "category": "FOOD",
        "description": "Lunch med kund",
    }
    values.update(overrides)
    return values


async def submit(api: Api, token: str, **overrides: Any) -> dict[str, Any]:
    body = await api(SUBMIT, {"input": new_expense(**overrides)}, token=token)
    assert "errors" not in body, body
    expense: dict[str, Any] = body["data"]["submitExpense"]["expense"]
    return expense


async def refused(api: Api, token: str, **overrides: Any) -> dict[str, Any]:
    return only_error(await api(SUBMIT, {"input": new_expense(**overrides)}, token=token))


def tiny_jpeg() -> bytes:
    """A real 1×1 grey baseline JPEG: one DC and one AC Huffman code, both of length 1."""

    def segment(marker: int, payload: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload

    return b"".join(
        [
            b"\xff\xd8",
            segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
            segment(0xDB, b"\x00" + bytes([1] * 64)),
            segment(0xC0, struct.pack(">BHHB", 8, 1, 1, 1) + b"\x01\x11\x00"),
            segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00"),  # DC: category 0
            segment(0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"),  # AC: end of block
            segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
            b"\x3f",  # DC category 0, end of block, padding
            b"\xff\xd9",
        ]
    )


def tiny_png() -> bytes:
    """A real 1×1 white PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def tiny_pdf() -> bytes:
    """A real one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


async def upload(
    http: httpx.AsyncClient,
    token: str | None,
    expense_id: str,
    content: bytes,
    *,
    file_name: str = "kvitto.jpg",
    content_type: str = "image/jpeg",
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """attachReceipt as a GraphQL multipart request (operations, map, then the file)."""
    operations = {"query": ATTACH, "variables": {"expenseId": expense_id, "file": None}}
    sent = {"graphql-preflight": "1"} if headers is None else headers
    if token:
        sent = {**sent, "authorization": f"Bearer {token}"}
    return await http.post(
        "/graphql",
        data={"operations": orjson.dumps(operations).decode(), "map": '{"0": ["variables.file"]}'},
        files={"0": (file_name, content, content_type)},
        headers=sent,
    )


async def attach(
    http: httpx.AsyncClient, token: str, expense_id: str, content: bytes, **kwargs: Any
) -> dict[str, Any]:
    response = await upload(http, token, expense_id, content, **kwargs)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["attachReceipt"]
    return payload


async def audit_actions(database: Database) -> list[str]:
    async with database.session() as session:
        return list(
            (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        )


# --- submitting and deciding ------------------------------------------------------------------


async def test_an_employee_submits_and_an_admin_approves(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    assert expense == {
        "id": expense["id"],
        "kind": "EXPENSE",
        "date": "2026-02-20",
        "description": "Lunch med kund",
        "category": "FOOD",
        "currency": "SEK",
        "amount": "112.00",
        "vatAmount": "12.00",
        "vatRate": "12.00",
        "netAmount": "100.00",
        "distanceKm": None,
        "vehicle": None,
        "ratePerMil": None,
        "status": "SUBMITTED",
        "rejectionReason": None,
        "decidedAt": None,
        "employee": {"id": gid("Employee", me.employee_id or 0)},
        "receipts": [],
    }
    mine = (await api(LIST, {}, token=me.token))["data"]["expenses"]
    assert [edge["node"]["id"] for edge in mine["edges"]] == [expense["id"]]

    # Deciding is admin work: not in an employee's schema at all.
    assert set(error_codes(await api(APPROVE, {"id": expense["id"]}, token=me.token))) == {
        "GRAPHQL_VALIDATION_FAILED"
    }
    approved = await api(APPROVE, {"id": expense["id"]}, token=admin.token)
    assert approved["data"]["approveExpense"]["expense"]["status"] == "APPROVED"
    assert approved["data"]["approveExpense"]["expense"]["decidedAt"].startswith("2026-03-02")
    seen = (await api(NODE, {"id": expense["id"]}, token=me.token))["data"]["node"]
    assert seen["status"] == "APPROVED"

    again = only_error(await api(APPROVE, {"id": expense["id"]}, token=admin.token))
    assert (again["code"], again["field"], again["reason"]) == (
        "BAD_USER_INPUT",
        "id",
        "NOT_SUBMITTED",
    )
    changed = only_error(
        await api(UPDATE, {"id": expense["id"], "input": {"amount": "1.00"}}, token=me.token)
    )
    assert (changed["field"], changed["reason"]) == ("id", "NOT_SUBMITTED")
    assert only_error(await api(DELETE, {"id": expense["id"]}, token=me.token))["reason"] == (
        "NOT_SUBMITTED"
    )
    assert await audit_actions(database) == ["EXPENSE_SUBMITTED", "EXPENSE_APPROVED"]


async def test_an_admin_rejects_with_a_reason(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    blank = only_error(await api(REJECT, {"id": expense["id"], "reason": "  "}, token=admin.token))
    assert (blank["field"], blank["reason"]) == ("reason", "REQUIRED")
    rejected = await api(
        REJECT, {"id": expense["id"], "reason": "Privat  lunch"}, token=admin.token
    )
    assert rejected["data"]["rejectExpense"]["expense"]["status"] == "REJECTED"
    assert rejected["data"]["rejectExpense"]["expense"]["rejectionReason"] == "Privat lunch"
    twice = only_error(await api(REJECT, {"id": expense["id"], "reason": "x"}, token=admin.token))
    assert (twice["field"], twice["reason"]) == ("id", "NOT_SUBMITTED")
    assert (await api(NODE, {"id": expense["id"]}, token=me.token))["data"]["node"][
        "rejectionReason"
    ] == "Privat lunch"
    async with database.session() as session:
        row = await session.scalar(select(Expense))
        assert row is not None and row.decided_by_user_id == admin.user_id
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "EXPENSE_REJECTED")
        )
        assert event is not None and event.actor_user_id == admin.user_id
        assert event.details["reason"] == "Privat lunch"


async def test_bad_expense_input_names_the_field(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    negative = await refused(api, me.token, amount="-10.00")
    assert (negative["code"], negative["field"], negative["reason"]) == (
        "BAD_USER_INPUT",
        "amount",
        "NEGATIVE",
    )
    assert ((await refused(api, me.token, amount="0"))["reason"]) == "ZERO"
    currency = await refused(api, me.token, currency="EURO")
    assert (currency["field"], currency["reason"]) == ("currency", "UNKNOWN_CURRENCY")
    gold = await refused(api, me.token, currency="XAU")  # ISO 4217, but a metal
    assert (gold["field"], gold["reason"]) == ("currency", "UNSUPPORTED_CURRENCY")
    future = await refused(api, me.token, date="2026-03-03")
    assert (future["field"], future["reason"]) == ("date", "IN_FUTURE")
    wrong_rate = await refused(api, me.token, category="OFFICE_SUPPLIES", vatRate="12.5")
    assert (wrong_rate["field"], wrong_rate["reason"]) == ("vatRate", "VAT_RATE_NOT_VALID_ON_DATE")
    not_a_number = await refused(api, me.token, vatRate="NaN")
    # Refused by the Decimal scalar before the resolver: named by its path in the variables.
    assert (not_a_number["field"], not_a_number["reason"]) == ("input.vatRate", "INVALID_VALUE")
    mismatch = await refused(api, me.token, vatAmount="12.02")
    assert (mismatch["field"], mismatch["reason"]) == ("vatAmount", "VAT_MISMATCH")
    blank = await refused(api, me.token, description=" ")
    assert (blank["field"], blank["reason"]) == ("description", "REQUIRED")
    # Every problem at once, the first one named.
    several = await refused(api, me.token, amount="-1.00", currency="US$", description="")
    assert [problem["field"] for problem in several["problems"]] == [
        "currency",  # first: what the amount is in
        "amount",
        "description",
    ]
    assert (await api(LIST, {}, token=me.token))["data"]["expenses"]["totalCount"] == 0


async def test_an_amount_with_more_than_two_decimals_is_bad_input(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    body = await api(SUBMIT, {"input": new_expense(amount="112.005")}, token=me.token)
    assert (await api(LIST, {}, token=me.token))["data"]["expenses"]["totalCount"] == 0
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_food_vat_follows_the_date(api: Api, factory: Factory, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 5, 10, 12, 0, tzinfo=STOCKHOLM))
    company = await factory.company()
    me = await factory.staff(company)
    # Food goes from 12 to 6 % on 2026-04-01.
    twelve = await refused(api, me.token, date="2026-05-01", vatRate="12")
    assert (twelve["code"], twelve["field"], twelve["reason"]) == (
        "BAD_USER_INPUT",
        "vatRate",
        "VAT_RATE_NOT_VALID_ON_DATE",
    )
    six = await submit(api, me.token, date="2026-05-01", amount="106.00", vatRate="6")
    assert (six["vatRate"], six["vatAmount"], six["netAmount"]) == ("6.00", "6.00", "100.00")
    before = await submit(api, me.token, date="2026-03-31", vatRate="12")
    assert before["vatAmount"] == "12.00"
    assert (await refused(api, me.token, date="2026-03-31", vatRate="6"))["field"] == "vatRate"
    # Alcohol stays at 25 %; books are 6 % on any date.
    assert (await submit(api, me.token, date="2026-05-01", amount="125", vatRate="25"))[
        "vatAmount"
    ] == "25.00"
    books = await submit(
        api, me.token, category="BOOKS_NEWSPAPERS", amount="53.00", vatRate="6", vatAmount="3.00"
    )
    assert books["vatAmount"] == "3.00"


async def test_a_given_vat_amount_may_differ_by_one_ore(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    # 99.90 at 25 % includes 19.98; a receipt rounding to 19.97 or 19.99 is accepted as it is.
    taken = await submit(
        api, me.token, category="OFFICE_SUPPLIES", amount="99.90", vatRate="25", vatAmount="19.99"
    )
    assert (taken["vatAmount"], taken["netAmount"]) == ("19.99", "79.91")
    computed = await submit(api, me.token, category="OFFICE_SUPPLIES", amount="99.90", vatRate="25")
    assert computed["vatAmount"] == "19.98"
    off = await refused(
        api, me.token, category="OFFICE_SUPPLIES", amount="99.90", vatRate="25", vatAmount="19.96"
    )
    assert (off["field"], off["reason"]) == ("vatAmount", "VAT_MISMATCH")
    exempt = await submit(api, me.token, category="TRAVEL", amount="450.00", vatRate="0")
    assert (exempt["vatAmount"], exempt["netAmount"]) == ("0.00", "450.00")


async def test_mileage_is_paid_per_mil(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    body = await api(
        MILEAGE,
        {
            "input": {
                "date": "2026-02-10",
                "distanceKm": "123.4",
                "vehicle": "OWN_CAR",
                "description": "Kundbesök Borås",
            }
        },
        token=me.token,
    )
    assert "errors" not in body, body
    mileage = body["data"]["submitMileage"]["expense"]
    assert {
        key: mileage[key]
        for key in (
            "kind",
            "category",
            "distanceKm",
            "vehicle",
            "ratePerMil",
            "amount",
            "vatAmount",
            "vatRate",
            "netAmount",
        )
    } == {
        "kind": "MILEAGE",
        "category": "TRAVEL",
        "distanceKm": "123.40",
        "vehicle": "OWN_CAR",
        "ratePerMil": "25.00",
        "amount": "308.50",
        "vatAmount": "0.00",
        "vatRate": "0.00",
        "netAmount": "308.50",
    }
    electric = await api(
        MILEAGE,
        {
            "input": {
                "date": "2026-02-11",
                "distanceKm": "100",
                "vehicle": "COMPANY_CAR_ELECTRIC",
                "description": "Elbil",
            }
        },
        token=me.token,
    )
    assert electric["data"]["submitMileage"]["expense"]["amount"] == "95.00"
    for distance, reason in (("0", "ZERO"), ("-5", "NEGATIVE"), ("1.234", "TOO_MANY_DECIMALS")):
        error = only_error(
            await api(
                MILEAGE,
                {
                    "input": {
                        "date": "2026-02-10",
                        "distanceKm": distance,
                        "vehicle": "OWN_CAR",
                        "description": "x",
                    }
                },
                token=me.token,
            )
        )
        assert (error["field"], error["reason"]) == ("distanceKm", reason)

    # Changing the distance or the vehicle recomputes the amount; expense fields do not apply.
    changed = await api(
        UPDATE,
        {"id": mileage["id"], "input": {"distanceKm": "50", "vehicle": "COMPANY_CAR_FOSSIL"}},
        token=me.token,
    )
    assert changed["data"]["updateExpense"]["expense"]["amount"] == "60.00"
    wrong = only_error(
        await api(UPDATE, {"id": mileage["id"], "input": {"amount": "1.00"}}, token=me.token)
    )
    assert (wrong["field"], wrong["reason"]) == ("amount", "NOT_APPLICABLE")


async def test_an_expense_changes_and_goes_while_submitted(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token, vatAmount="11.99")
    kept = await api(
        UPDATE, {"id": expense["id"], "input": {"description": "Lunch, Kund AB"}}, token=me.token
    )
    assert kept["data"]["updateExpense"]["expense"]["vatAmount"] == "11.99"  # as on the receipt
    recomputed = await api(
        UPDATE, {"id": expense["id"], "input": {"amount": "224.00"}}, token=me.token
    )
    updated = recomputed["data"]["updateExpense"]["expense"]
    assert (updated["amount"], updated["vatAmount"], updated["netAmount"]) == (
        "224.00",
        "24.00",
        "200.00",
    )
    no_food_rate = only_error(
        await api(
            UPDATE, {"id": expense["id"], "input": {"category": "BOOKS_NEWSPAPERS"}}, token=me.token
        )
    )
    assert (no_food_rate["field"], no_food_rate["reason"]) == (
        "vatRate",
        "VAT_RATE_NOT_VALID_ON_DATE",
    )
    mileage_only = only_error(
        await api(UPDATE, {"id": expense["id"], "input": {"distanceKm": "10"}}, token=me.token)
    )
    assert (mileage_only["field"], mileage_only["reason"]) == ("distanceKm", "NOT_APPLICABLE")

    deleted = await api(DELETE, {"id": expense["id"]}, token=me.token)
    assert deleted["data"]["deleteExpense"]["deletedId"] == expense["id"]
    assert error_codes(await api(NODE, {"id": expense["id"]}, token=me.token)) == ["NOT_FOUND"]
    assert await audit_actions(database) == [
        "EXPENSE_SUBMITTED",
        "EXPENSE_UPDATED",
        "EXPENSE_UPDATED",
        "EXPENSE_DELETED",
    ]


async def test_employees_reach_only_their_own_expenses(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    theirs = await submit(api, colleague.token, description="Kollegans")
    mine = await submit(api, me.token)

    listed = (await api(LIST, {}, token=me.token))["data"]["expenses"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [mine["id"]]
    assert error_codes(await api(NODE, {"id": theirs["id"]}, token=me.token)) == ["NOT_FOUND"]
    update = await api(UPDATE, {"id": theirs["id"], "input": {"amount": "1.00"}}, token=me.token)
    assert error_codes(update) == ["NOT_FOUND"]
    assert error_codes(await api(DELETE, {"id": theirs["id"]}, token=me.token)) == ["NOT_FOUND"]
    for_colleague = only_error(
        await api(
            SUBMIT,
            {"input": new_expense(employeeId=gid("Employee", colleague.employee_id or 0))},
            token=me.token,
        )
    )
    assert (for_colleague["code"], for_colleague["field"]) == ("NOT_FOUND", "employeeId")

    # Admins submit for anyone, and must say for whom when they have no employee record.
    by_admin = await submit(
        api, admin.token, employeeId=gid("Employee", colleague.employee_id or 0)
    )
    assert by_admin["employee"]["id"] == gid("Employee", colleague.employee_id or 0)
    nobody = only_error(await api(SUBMIT, {"input": new_expense()}, token=admin.token))
    assert (nobody["field"], nobody["reason"]) == ("employeeId", "REQUIRED")
    everyone = (await api(LIST, {}, token=admin.token))["data"]["expenses"]
    assert everyone["totalCount"] == 3


async def test_another_companys_expenses_do_not_exist(api: Api, factory: Factory) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    stranger = await factory.staff(other)
    theirs = await submit(api, stranger.token)
    assert error_codes(await api(NODE, {"id": theirs["id"]}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(await api(APPROVE, {"id": theirs["id"]}, token=admin.token)) == ["NOT_FOUND"]
    assert error_codes(
        await api(REJECT, {"id": theirs["id"], "reason": "nej"}, token=admin.token)
    ) == ["NOT_FOUND"]
    for_stranger = only_error(
        await api(
            SUBMIT,
            {"input": new_expense(employeeId=gid("Employee", stranger.employee_id or 0))},
            token=admin.token,
        )
    )
    assert (for_stranger["code"], for_stranger["field"]) == ("NOT_FOUND", "employeeId")
    assert (await api(LIST, {}, token=admin.token))["data"]["expenses"]["totalCount"] == 0


def test_limited_partners_and_employees_get_only_their_mutations() -> None:
    def mutations(role: SchemaRole) -> set[str]:
        mutation_type = graphql_schema(role_schema(role)).mutation_type
        assert mutation_type is not None
        return set(mutation_type.fields)

    ours = {
        "submitExpense",
        "submitMileage",
        "updateExpense",
        "deleteExpense",
        "approveExpense",
        "rejectExpense",
        "attachReceipt",
        "removeReceipt",
    }
    assert ours <= mutations(SchemaRole.COMPANY_ADMIN)
    assert ours & mutations(SchemaRole.EMPLOYEE) == ours - {"approveExpense", "rejectExpense"}
    assert ours & mutations(SchemaRole.PARTNER_PORTAL) == set()
    assert ours & mutations(SchemaRole.PUBLIC) == set()
    portal_query = graphql_schema(role_schema(SchemaRole.PARTNER_PORTAL)).query_type
    assert portal_query is not None and "expenses" in portal_query.fields


async def test_expenses_are_listed_newest_first_filtered_and_paged(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    anna = await factory.staff(company)
    bo = await factory.staff(company)
    ids: dict[str, list[str]] = {}
    for day in ("2026-01-05", "2026-02-01", "2026-02-01", "2026-02-15", "2026-03-01"):
        expense = await submit(api, anna.token, date=day)
        ids.setdefault(day, []).append(expense["id"])
    other = await submit(api, bo.token, date="2026-02-10")
    await api(APPROVE, {"id": ids["2026-02-15"][0]}, token=admin.token)

    seen: list[str] = []
    after = None
    while True:
        page = (await api(LIST, {"first": 2, "after": after}, token=admin.token))["data"][
            "expenses"
        ]
        assert page["totalCount"] == 6
        seen += [edge["node"]["id"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [
        ids["2026-03-01"][0],
        ids["2026-02-15"][0],
        other["id"],
        ids["2026-02-01"][1],  # the same date: the later one first
        ids["2026-02-01"][0],
        ids["2026-01-05"][0],
    ]

    async def listed(**variables: Any) -> list[str]:
        body = await api(LIST, variables, token=admin.token)
        return [edge["node"]["id"] for edge in body["data"]["expenses"]["edges"]]

    assert await listed(employeeId=gid("Employee", bo.employee_id or 0)) == [other["id"]]
    assert await listed(status="APPROVED") == ids["2026-02-15"]
    assert await listed(**{"from": "2026-02-01", "to": "2026-02-10"}) == [
        other["id"],
        ids["2026-02-01"][1],
        ids["2026-02-01"][0],
    ]
    backwards = only_error(
        await api(LIST, {"from": "2026-02-10", "to": "2026-02-01"}, token=admin.token)
    )
    assert (backwards["field"], backwards["reason"]) == ("to", "BEFORE_FROM")
    wrong_id = only_error(await api(LIST, {"employeeId": ids["2026-01-05"][0]}, token=admin.token))
    assert (wrong_id["field"], wrong_id["reason"]) == ("employeeId", "WRONG_TYPE")


async def test_an_employees_expenses_nested(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    first = await submit(api, me.token, date="2026-01-10")
    second = await submit(api, me.token, date="2026-02-10")
    await api(APPROVE, {"id": first["id"]}, token=admin.token)
    query = """query($from: Date, $status: ExpenseStatus) { viewer { employee {
      all: expenses { id } recent: expenses(from: $from) { id } approved: expenses(status: $status) { id } } } }"""
    nested = await api(query, {"from": "2026-02-01", "status": "APPROVED"}, token=me.token)
    employee = nested["data"]["viewer"]["employee"]
    assert employee == {
        "all": [{"id": second["id"]}, {"id": first["id"]}],
        "recent": [{"id": second["id"]}],
        "approved": [{"id": first["id"]}],
    }


# --- no N+1 ---------------------------------------------------------------------------------


async def add_expenses_with_receipts(
    database: Database, factory: Factory, company: Any, employees: int
) -> None:
    """Employees, each with two expenses of one receipt each, straight into the database."""
    now = factory.clock.now()
    made = [await factory.employee(company) for _ in range(employees)]
    async with database.transaction() as session:
        for employee in made:
            for day in (date(2026, 2, 1), date(2026, 2, 2)):
                expense = Expense(
                    company_id=company.id,
                    employee_id=employee.id,
                    kind=ExpenseKind.EXPENSE,
                    date=day,
                    description="Tåg",
                    category=ExpenseCategory.TRAVEL,
                    currency="SEK",
                    amount=Decimal("112.00"),
                    vat_amount=Decimal("12.00"),
                    vat_rate=Decimal("6"),
                    status=ExpenseStatus.SUBMITTED,
                    created_at=now,
                    updated_at=now,
                )
                session.add(expense)
                await session.flush()
                session.add(
                    Receipt(
                        company_id=company.id,
                        expense_id=expense.id,
                        employee_id=employee.id,
                        file_name="kvitto.pdf",
                        content_type="application/pdf",
                        size_bytes=3,
                        sha256=f"{expense.id:064x}",
                        storage_key=f"receipts/{company.id}/{expense.id}.pdf",
                        uploaded_at=now,
                    )
                )


@pytest.mark.parametrize(
    "query",
    [
        "{ expenses(first: 100) { edges { node { amount receipts { fileName } } } } }",
        "{ employees(first: 100) { edges { node { expenses { amount receipts { sha256 } } } } } }",
        "{ expenses(first: 100) { edges { node { employee { firstName } receipts { url } } } } }",
    ],
)
async def test_nested_lists_cost_the_same_for_5_and_50_employees(
    api: Api, factory: Factory, database: Database, sql_statements: Any, query: str
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    counts = []
    for employees in (5, 45):  # 5, then 50 in all
        await add_expenses_with_receipts(database, factory, company, employees)
        before = sql_statements.count
        body = await api(query, token=admin.token)
        counts.append(sql_statements.count - before)
        assert "errors" not in body, body
        text = orjson.dumps(body).decode()
        assert text.count('"receipts":[{') == min(100, 2 * (5 if employees == 5 else 50))
    assert counts[0] == counts[1], counts
