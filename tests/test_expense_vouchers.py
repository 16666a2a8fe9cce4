"""Voucher data on expenses (issue 14, point 4).

- An expense names its supplier (the counterparty: name, and a Swedish organisation number, a
  sole trader's personnummer or a foreign VAT number where the receipt shows one), optionally a
  cost centre and a project of its own company.
- Approval gives it the next number of the company's expense voucher series: 1, 2, 3... with
  no gaps and no duplicates, however many approvals run at once; an approval that fails after
  taking its number gives it back. An approved expense is final, so its number stays.
- It books on the company's BAS account for its category (the BAS 2026 default where the
  company has set none); mileage on 7331.
- The expenses CSV carries the voucher number, supplier, BAS account, cost centre and project.
- An employee does it for their own expenses only; a LIMITED partner reads it for its clients
  and exports it (it does not reach projects: no project field in its schema).
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from datetime import datetime
from typing import Any

import pytest

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.domain.expenses import ExpenseCategory, ExpenseKind
from gql_portal.domain.identity import InvalidNumber
from gql_portal.domain.vouchers import (
    booking_account,
    cost_centre_problem,
    normalize_supplier_number,
    shown_supplier_number,
)
from gql_portal.resolvers import expenses as expense_resolvers
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_exports import download, exported
from tests.test_exports_access import partner_of
from tests.test_exports_files import read_csv
from tests.test_projects import make_project

FIELDS = """id status voucherNumber supplier { name organisationNumber } costCentre basAccount"""
ADMIN_FIELDS = f"{FIELDS} project {{ code }}"
SUBMIT = f"""mutation($input: SubmitExpenseInput!) {{
  submitExpense(input: $input) {{ expense {{ {ADMIN_FIELDS} }} }} }}"""
SUBMIT_MILEAGE = f"""mutation($input: SubmitMileageInput!) {{
  submitMileage(input: $input) {{ expense {{ {ADMIN_FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateExpenseInput!) {{
  updateExpense(id: $id, input: $input) {{ expense {{ {ADMIN_FIELDS} }} }} }}"""
APPROVE = f"""mutation($id: ID!) {{ approveExpense(id: $id) {{ expense {{ {FIELDS} }} }} }}"""
APPROVE_NUMBER = "mutation($id: ID!) { approveExpense(id: $id) { expense { voucherNumber } } }"
REJECT = 'mutation($id: ID!) { rejectExpense(id: $id, reason: "Fel") { expense { id } } }'
DELETE = "mutation($id: ID!) { deleteExpense(id: $id) { deletedId } }"
NODE = f"""query($id: ID!) {{ node(id: $id) {{ ... on Expense {{ {ADMIN_FIELDS} }} }} }}"""
PORTAL_LIST = f"""query($c: ID!) {{ expenses(companyId: $c) {{ nodes {{ {FIELDS} }} }} }}"""
SET_BAS = """mutation($input: SetBasAccountsInput!) {
  setBasAccounts(input: $input) { basAccounts { category account } } }"""
EXPORT_EXPENSES = """mutation($input: ExpenseExportInput!) {
  exportExpenses(input: $input) { export { id state downloadUrl } } }"""

MAY_2026 = datetime(2026, 5, 10, 12, 0, tzinfo=STOCKHOLM)
# Valid by Luhn: a limited company's number, and a sole trader's (the owner's personnummer).
TRANAN = {"name": "Restaurang Tranan AB", "organisationNumber": "556677-8899"}
SOLE_TRADER = {"name": "Kalles Kaffe", "organisationNumber": "19851212-1230"}
# Fika for a workshop bought on 2026-04-15: 106.00 with 6 % VAT (livsmedel during the cut), on
# cost centre 20.
FIKA = {
    "date": "2026-04-15",
    "amount": "106.00",
    "vatRate": "6",
    "category": "FOOD",
    "description": "Fika till workshopen",
    "supplier": TRANAN,
    "costCentre": "20",
}


async def submit(api: Api, token: str, values: dict[str, Any]) -> dict[str, Any]:
    return await api.ok(SUBMIT, {"input": values}, token=token, path="submitExpense.expense")


async def approve(api: Api, token: str, expense_id: str) -> dict[str, Any]:
    return await api.ok(APPROVE, {"id": expense_id}, token=token, path="approveExpense.expense")


def refusal(body: dict[str, Any]) -> tuple[str, str, str]:
    error = only_error(body)
    return error["code"], error.get("field", ""), error.get("reason", "")


# --- the rules, without a database -----------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "stored", "shown"),
    [
        ("556677-8899", "5566778899", "556677-8899"),
        ("5566778899", "5566778899", "556677-8899"),
        # A Swedish VAT number, as receipts print it: SE + the organisation number + 01.
        ("SE556677889901", "5566778899", "556677-8899"),
        ("se 5566 7788 9901", "5566778899", "556677-8899"),
        # A sole trader's is the owner's personnummer, kept as 10 digits like any company's.
        ("19851212-1230", "8512121230", "851212-1230"),
        ("851212-1230", "8512121230", "851212-1230"),
        # A foreign supplier: its VAT number, kept upper case without separators.
        ("DE 123.456.789", "DE123456789", "DE123456789"),
        ("fr12345678901", "FR12345678901", "FR12345678901"),
    ],
)
def test_a_supplier_number_is_kept_normalized(given: str, stored: str, shown: str) -> None:
    assert normalize_supplier_number(given) == stored
    assert shown_supplier_number(stored) == shown


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("556677-8898", "CHECK_DIGIT"),
        ("19851212-1231", "CHECK_DIGIT"),  # a personnummer with a wrong check digit
        ("19851312-1234", "DATE"),  # month 13: no person, and below 20: no company
        ("SE556677889801", "CHECK_DIGIT"),
        ("SE5566778899", "FORMAT"),  # a Swedish VAT number ends in 01
        ("D1234", "FORMAT"),
        ("DE1", "FORMAT"),
        ("ABCDEFGHIJKLMNOPQ", "FORMAT"),
        ("12345", "FORMAT"),
    ],
)
def test_a_bad_supplier_number_says_why(given: str, reason: str) -> None:
    with pytest.raises(InvalidNumber) as refused:
        normalize_supplier_number(given)
    assert refused.value.reason == reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("20", None),
        ("Säljavdelningen Nord", None),  # 20 characters, å-ä-ö are in PC8
        ("Säljavdelningen Norr1", "TOO_LONG"),
        ('K"1', "UNSUPPORTED_CHARACTER"),
        ("{1 K1}", "UNSUPPORTED_CHARACTER"),
        ("K\\1", "UNSUPPORTED_CHARACTER"),
        ("Kostnad €", "UNSUPPORTED_CHARACTER"),  # not in the SIE file's PC8
    ],
)
def test_a_cost_centre_is_an_object_id_a_sie_file_can_carry(text: str, reason: str | None) -> None:
    problem = cost_centre_problem(text)
    assert (problem[0] if problem else None) == reason


def test_the_account_is_the_companys_for_the_category_and_7331_for_mileage() -> None:
    table = {ExpenseCategory.FOOD: 5831}
    assert booking_account(ExpenseKind.EXPENSE, ExpenseCategory.FOOD, table) == 5831
    # Not in the table: the BAS 2026 default (6072 Representation, ej avdragsgill).
    assert booking_account(ExpenseKind.EXPENSE, ExpenseCategory.REPRESENTATION, table) == 6072
    assert booking_account(ExpenseKind.MILEAGE, ExpenseCategory.TRAVEL, table) == 7331


# --- through HTTP ------------------------------------------------------------------------------


async def test_an_expense_carries_its_voucher_data_and_gets_its_number_on_approval(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    project = await make_project(database, company, "P-100")

    fika = await submit(
        api,
        admin.token,
        {
            **FIKA,
            "employeeId": gid("Employee", me.employee_id or 0),
            "projectId": gid("Project", project.id),
        },
    )
    assert {key: fika[key] for key in ("supplier", "costCentre", "project", "voucherNumber")} == {
        "supplier": {"name": "Restaurang Tranan AB", "organisationNumber": "556677-8899"},
        "costCentre": "20",
        "project": {"code": "P-100"},
        "voucherNumber": None,  # not yet approved
    }
    assert fika["basAccount"] == 7690  # FOOD's BAS 2026 default, Övriga personalkostnader

    # The company books staff meals on 5831 (Kost och logi i Sverige): the expense follows,
    # for its employee too (who does not reach the company's settings).
    body = await api(
        SET_BAS, {"input": {"accounts": [{"category": "FOOD", "account": 5831}]}}, token=admin.token
    )
    assert "errors" not in body, body
    for token in (admin.token, me.token):
        seen = (await api(NODE, {"id": fika["id"]}, token=token))["data"]["node"]
        assert seen["basAccount"] == 5831

    # Numbered in the order approved, 1 and 2; a rejected expense takes no number.
    coffee = await submit(api, me.token, {**FIKA, "supplier": SOLE_TRADER, "costCentre": None})
    assert coffee["supplier"] == {"name": "Kalles Kaffe", "organisationNumber": "851212-1230"}
    refused = await submit(api, me.token, {**FIKA, "supplier": None})
    assert refused["supplier"] is None
    assert "errors" not in await api(REJECT, {"id": refused["id"]}, token=admin.token)
    assert (await approve(api, admin.token, coffee["id"]))["voucherNumber"] == 1
    assert (await approve(api, admin.token, fika["id"]))["voucherNumber"] == 2

    # Approved is final: it cannot change, be rejected, deleted or approved again, so its
    # number is neither reused nor lost.
    for document, variables in (
        (UPDATE, {"id": fika["id"], "input": {"costCentre": "30"}}),
        (REJECT, {"id": fika["id"]}),
        (DELETE, {"id": fika["id"]}),
        (APPROVE, {"id": fika["id"]}),
    ):
        assert refusal(await api(document, variables, token=admin.token)) == (
            "BAD_USER_INPUT",
            "id",
            "NOT_SUBMITTED",
        )
    seen = (await api(NODE, {"id": fika["id"]}, token=admin.token))["data"]["node"]
    assert (seen["status"], seen["voucherNumber"], seen["costCentre"]) == ("APPROVED", 2, "20")

    # Another company's series is its own: it starts at 1.
    other = await factory.company("Annan AB")
    other_admin = await factory.admin(other)
    theirs = await submit(
        api,
        other_admin.token,
        {**FIKA, "employeeId": gid("Employee", (await factory.employee(other)).id)},
    )
    assert (await approve(api, other_admin.token, theirs["id"]))["voucherNumber"] == 1


async def test_updates_set_keep_or_remove_the_voucher_data(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    assert me.employee_id is not None
    async with database.session() as session:
        my_row = await session.get_one(Employee, me.employee_id)
    mine = await make_project(database, company, "P-1", employees=(my_row,))
    fika = await submit(api, me.token, FIKA)

    async def update(values: dict[str, Any]) -> dict[str, Any]:
        body = await api(UPDATE, {"id": fika["id"], "input": values}, token=me.token)
        assert "errors" not in body, body
        expense: dict[str, Any] = body["data"]["updateExpense"]["expense"]
        return expense

    # Left out: unchanged.
    changed = await update({"description": "Lunch"})
    assert (changed["supplier"], changed["costCentre"]) == (fika["supplier"], "20")
    changed = await update({"projectId": gid("Project", mine.id), "supplier": {"name": "Tranan"}})
    assert (changed["project"], changed["supplier"]) == (
        {"code": "P-1"},
        {"name": "Tranan", "organisationNumber": None},
    )
    # Null removes.
    changed = await update({"projectId": None, "supplier": None, "costCentre": None})
    assert (changed["project"], changed["supplier"], changed["costCentre"]) == (None, None, None)


async def test_bad_voucher_data_is_refused_naming_the_field(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    ours = await make_project(database, company, "P-1")
    closed = await make_project(database, company, "P-2", active=False)
    other = await factory.company("Annan AB")
    theirs = await make_project(database, other, "X-1")

    async def refused(values: dict[str, Any], token: str = me.token) -> tuple[str, str, str]:
        return refusal(await api(SUBMIT, {"input": {**FIKA, **values}}, token=token))

    assert await refused({"supplier": {**TRANAN, "organisationNumber": "556677-8898"}}) == (
        "BAD_USER_INPUT",
        "input.supplier.organisationNumber",
        "CHECK_DIGIT",
    )
    assert await refused({"supplier": {"name": " ", "organisationNumber": None}}) == (
        "BAD_USER_INPUT",
        "input.supplier.name",
        "REQUIRED",
    )
    assert await refused({"costCentre": "{20}"}) == (
        "BAD_USER_INPUT",
        "input.costCentre",
        "UNSUPPORTED_CHARACTER",
    )
    # An employee: only a project they are assigned to; never another company's.
    for project in (ours, theirs):
        assert await refused({"projectId": gid("Project", project.id)}) == (
            "BAD_USER_INPUT",
            "input.projectId",
            "NOT_FOUND",
        )
    # The admin reaches every project of the company, but not another company's, nor a closed one.
    for_me = {"employeeId": gid("Employee", me.employee_id or 0)}
    assert await refused({**for_me, "projectId": gid("Project", theirs.id)}, admin.token) == (
        "BAD_USER_INPUT",
        "input.projectId",
        "NOT_FOUND",
    )
    assert await refused({**for_me, "projectId": gid("Project", closed.id)}, admin.token) == (
        "BAD_USER_INPUT",
        "input.projectId",
        "INACTIVE",
    )
    assert await refused({"projectId": gid("Employee", 1)}) == (
        "BAD_USER_INPUT",
        "input.projectId",
        "WRONG_TYPE",
    )


async def test_mileage_takes_a_cost_centre_and_project_and_books_on_7331(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    project = await make_project(database, company, "P-7")
    body = await api(
        SUBMIT_MILEAGE,
        {
            "input": {
                "date": "2026-05-04",
                "distanceKm": "42",
                "vehicle": "OWN_CAR",
                "description": "Till kund",
                "employeeId": gid("Employee", me.employee_id or 0),
                "costCentre": "20",
                "projectId": gid("Project", project.id),
            }
        },
        token=admin.token,
    )
    assert "errors" not in body, body
    trip = body["data"]["submitMileage"]["expense"]
    assert (trip["basAccount"], trip["costCentre"], trip["project"]) == (
        7331,
        "20",
        {"code": "P-7"},
    )
    assert refusal(
        await api(UPDATE, {"id": trip["id"], "input": {"supplier": TRANAN}}, token=me.token)
    ) == ("BAD_USER_INPUT", "input.supplier", "NOT_APPLICABLE")


# --- gap-free, for real ------------------------------------------------------------------------

CONCURRENT_APPROVALS = 24


async def test_concurrent_approvals_number_1_to_n_without_gaps_or_duplicates(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    second = await factory.admin(company)
    me = await factory.staff(company)
    ids = [
        (await submit(api, me.token, {**FIKA, "amount": f"{100 + index}.00"}))["id"]
        for index in range(CONCURRENT_APPROVALS)
    ]
    # All at once, from two admins' sessions: the series' first number is among them too.
    approved = await asyncio.gather(
        *(
            approve(api, (admin if index % 2 else second).token, expense_id)
            for index, expense_id in enumerate(ids)
        )
    )
    numbers = sorted(expense["voucherNumber"] for expense in approved)
    assert numbers == list(range(1, CONCURRENT_APPROVALS + 1))


async def test_an_approval_that_fails_after_taking_its_number_leaves_no_gap(
    api: Api, factory: Factory, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    first, failing, third = [
        (await submit(api, me.token, {**FIKA, "amount": amount}))["id"]
        for amount in ("100.00", "200.00", "300.00")
    ]
    assert (await approve(api, admin.token, first))["voucherNumber"] == 1

    # The approval's audit record fails: after the number was taken, in the same transaction.
    real_audit = expense_resolvers.audit
    taken: list[int] = []

    def failing_audit(session: Any, ctx: Any, action: Any, **details: Any) -> None:
        if details.get("voucher_number") == 2 and not taken:
            taken.append(details["voucher_number"])
            raise RuntimeError("the audit log is full")
        real_audit(session, ctx, action, **details)

    monkeypatch.setattr(expense_resolvers, "audit", failing_audit)
    assert error_codes(await api(APPROVE, {"id": failing}, token=admin.token)) == [
        "INTERNAL_SERVER_ERROR"
    ]
    assert taken == [2]
    seen = (await api(NODE, {"id": failing}, token=admin.token))["data"]["node"]
    assert (seen["status"], seen["voucherNumber"]) == ("SUBMITTED", None)
    # Number 2 went back to the series: the next approval takes it, then the retried one 3.
    assert (await approve(api, admin.token, third))["voucherNumber"] == 2
    assert (await approve(api, admin.token, failing))["voucherNumber"] == 3


async def test_an_approval_is_the_same_statements_whatever_the_series(
    api: Api, factory: Factory, clock: FrozenClock, sql_statements: Any
) -> None:
    """Approval: the session, the expense (locked), the series' upsert (one statement that
    creates or raises it, with RETURNING), the expense's UPDATE, the audit INSERT."""
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    ids = [(await submit(api, me.token, FIKA))["id"] for _ in range(2)]
    counts = []
    for number, expense_id in enumerate(ids, start=1):  # creates the series' row, then raises it
        before = sql_statements.count
        body = await api(APPROVE_NUMBER, {"id": expense_id}, token=admin.token)
        counts.append(sql_statements.count - before)
        assert body["data"]["approveExpense"]["expense"]["voucherNumber"] == number
    assert counts == [5, 5]


# --- who may -------------------------------------------------------------------------------------


async def test_an_employee_for_their_own_and_a_limited_partner_reads_and_exports_for_its_client(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    project = await make_project(database, company, "P-100")
    theirs = await submit(api, colleague.token, FIKA)
    # Not mine: out of reach, as if it did not exist.
    assert error_codes(
        await api(UPDATE, {"id": theirs["id"], "input": {"costCentre": "30"}}, token=me.token)
    ) == ["NOT_FOUND"]
    mine = await submit(
        api,
        admin.token,
        {
            **FIKA,
            "employeeId": gid("Employee", me.employee_id or 0),
            "projectId": gid("Project", project.id),
        },
    )
    await approve(api, admin.token, mine["id"])

    partner = await partner_of(api, factory, admin.token, "LIMITED")
    client = gid("Company", admin.company_id)
    body = await api(PORTAL_LIST, {"c": client}, token=partner.token)
    assert "errors" not in body, body
    seen = {node["id"]: node for node in body["data"]["expenses"]["nodes"]}
    assert seen[mine["id"]] == {
        "id": mine["id"],
        "status": "APPROVED",
        "voucherNumber": 1,
        "supplier": TRANAN,
        "costCentre": "20",
        "basAccount": 7690,
    }
    assert seen[theirs["id"]]["voucherNumber"] is None
    # Projects are not a LIMITED partner's area: the field is not in its schema.
    asked = await api(
        "query($c: ID!) { expenses(companyId: $c) { nodes { project { code } } } }",
        {"c": client},
        token=partner.token,
    )
    assert error_codes(asked) == ["GRAPHQL_VALIDATION_FAILED"]

    made = exported(
        await api(
            EXPORT_EXPENSES,
            {
                "input": {
                    "from": "2026-04-01",
                    "to": "2026-04-30",
                    "companyId": client,
                    "statuses": ["APPROVED", "SUBMITTED"],
                }
            },
            token=partner.token,
        ),
        "exportExpenses",
    )
    assert made["state"] == "DONE", made
    archive = zipfile.ZipFile(
        io.BytesIO((await download(api, made["downloadUrl"], token=partner.token)).content)
    )
    rows = read_csv(archive.read("utlagg.csv"))
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1 : rows.index([])]]
    columns = (
        "voucher_number",
        "supplier",
        "supplier_org_number",
        "bas_account",
        "cost_centre",
        "project_code",
    )
    assert sorted(tuple(row[column] for column in columns) for row in table) == [
        ("", "Restaurang Tranan AB", "556677-8899", "7690", "20", ""),
        ("1", "Restaurang Tranan AB", "556677-8899", "7690", "20", "P-100"),
    ]
