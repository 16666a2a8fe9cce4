"""VAT lines and representation (issue 14, points 1 and 2).

- The rates an expense may carry come from one table by date and category: food (livsmedel)
  12 %, 6 % from 2026-04-01 to 2027-12-31, 12 % again from 2028; restaurant and catering 12 %
  on every date; passenger transport, books and newspapers, culture 6 %.
- An expense has one or more VAT lines (rate, net, VAT) that add up to its amount to the öre:
  a restaurant receipt with food at 12 % and drinks at 25 % is one expense.
- Representation (internal or external) needs its participants and purpose; the VAT of a meal
  is deductible on at most 300 kr excluding VAT per participant, the rest is shown as not
  deductible on the expense and in the expenses CSV.
- An employee does it for their own expenses only; a LIMITED partner reads it all for its
  clients and exports it.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.domain.expenses import (
    ExpenseCategory,
    VatLine,
    deductible_vat,
    single_line,
    vat_rates_on,
)
from gql_portal.domain.exports import EXPENSE_CSV_COLUMNS, ExportExpense, write_expense_summary_csv
from gql_portal.errors import Problems
from gql_portal.resolvers.expenses import _given_lines
from gql_portal.schema.expenses import VatLineInput
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_exports import download, exported
from tests.test_exports_access import partner_of
from tests.test_exports_files import read_csv

FIELDS = """id amount vatAmount vatRate netAmount deductibleVat nonDeductibleVat category
  vatLines { rate net vat } representationKind participants { name company } purpose"""
SUBMIT = f"""mutation($input: SubmitExpenseInput!) {{
  submitExpense(input: $input) {{ expense {{ {FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateExpenseInput!) {{
  updateExpense(id: $id, input: $input) {{ expense {{ {FIELDS} }} }} }}"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ id ... on Expense {{ {FIELDS} }} }} }}"""
PORTAL_LIST = f"""query($c: ID!) {{ expenses(companyId: $c) {{ nodes {{ {FIELDS} }} }} }}"""
APPROVE = "mutation($id: ID!) { approveExpense(id: $id) { expense { id status } } }"
EXPORT_EXPENSES = """mutation($input: ExpenseExportInput!) {
  exportExpenses(input: $input) { export { id state downloadUrl } } }"""

D = Decimal
CENT = D("0.01")
MAY_2026 = datetime(2026, 5, 10, 12, 0, tzinfo=STOCKHOLM)

# A restaurant receipt of 2026-04-15: food 800.00 + 96.00 VAT (12 %), drinks 270.00 + 67.50
# VAT (25 %): 1,233.50 in all, 163.50 VAT, 1,070.00 net.
RESTAURANT_RECEIPT = {
    "date": "2026-04-15",
    "amount": "1233.50",
    "category": "RESTAURANT",
    "description": "Middag efter kundmöte, Restaurang Tranan",
    "vatLines": [{"rate": "12", "net": "800.00"}, {"rate": "25", "net": "270.00"}],
}
# A representation lunch for 4 at 2,400 kr including 12 % VAT: 2,142.86 net, 257.14 VAT. The
# VAT is deductible on 4 x 300 kr = 1,200 kr net: 144.00; the other 113.14 is not.
LUNCH_FOR_FOUR = {
    "date": "2026-04-20",
    "amount": "2400.00",
    "vatRate": "12",
    "category": "REPRESENTATION",
    "description": "Lunch med Kund AB",
    "representation": {
        "kind": "EXTERNAL",
        "participants": [
            {"name": "Anna Andersson"},
            {"name": "Bo Berg", "company": "Kund AB"},
            {"name": "Cecilia Carlsson", "company": "Kund AB"},
            {"name": "David Dahl", "company": "Kund AB"},
        ],
        "purpose": "Avtalsförhandling inför 2027",
    },
}


async def submit(api: Api, token: str, values: dict[str, Any]) -> dict[str, Any]:
    return await api.ok(SUBMIT, {"input": values}, token=token, path="submitExpense.expense")


async def refused(api: Api, token: str, values: dict[str, Any]) -> tuple[str, str, str]:
    error = only_error(await api(SUBMIT, {"input": values}, token=token))
    return error["code"], error["field"], error.get("reason", "")


# --- the rates table, by date on both sides of each change -----------------------------------


@pytest.mark.parametrize(
    ("category", "day", "usual", "refused_rate"),
    [
        # Food (livsmedel): the cut to 6 % from 2026-04-01 to 2027-12-31.
        (ExpenseCategory.FOOD, date(2026, 3, 31), "12", "6"),
        (ExpenseCategory.FOOD, date(2026, 4, 1), "6", "12"),
        (ExpenseCategory.FOOD, date(2027, 12, 31), "6", "12"),
        (ExpenseCategory.FOOD, date(2028, 1, 1), "12", "6"),
        # Restaurant and catering services stay at 12 % on both sides of each change.
        (ExpenseCategory.RESTAURANT, date(2026, 3, 31), "12", "6"),
        (ExpenseCategory.RESTAURANT, date(2026, 4, 1), "12", "6"),
        (ExpenseCategory.RESTAURANT, date(2027, 12, 31), "12", "6"),
        (ExpenseCategory.RESTAURANT, date(2028, 1, 1), "12", "6"),
        # Books and newspapers, culture: 6 %, never 12 %.
        (ExpenseCategory.BOOKS_NEWSPAPERS, date(2026, 3, 31), "6", "12"),
        (ExpenseCategory.BOOKS_NEWSPAPERS, date(2026, 4, 1), "6", "12"),
        (ExpenseCategory.CULTURE, date(2026, 3, 31), "6", "12"),
        (ExpenseCategory.CULTURE, date(2028, 1, 1), "6", "12"),
        # Hotel 12 %; office supplies any standard rate but none other.
        (ExpenseCategory.ACCOMMODATION, date(2026, 4, 1), "12", "7"),
        (ExpenseCategory.OFFICE_SUPPLIES, date(2026, 4, 1), "25", "12.5"),
    ],
)
def test_the_rates_of_a_category_follow_the_date(
    category: ExpenseCategory, day: date, usual: str, refused_rate: str
) -> None:
    rates = vat_rates_on(day, category)
    assert D(usual) in rates and D(refused_rate) not in rates
    assert D("25") in rates and D("0") in rates  # drinks, goods beside; exempt


def test_passenger_transport_is_six_percent() -> None:
    for day in (date(2026, 3, 31), date(2026, 4, 1), date(2028, 1, 1)):
        assert vat_rates_on(day, ExpenseCategory.TRAVEL)[0] == D("6")  # the usual rate first


# --- representation: the deductible VAT, by hand -----------------------------------------------


def test_a_representation_lunch_for_four_deducts_the_vat_on_1200_kr() -> None:
    line = single_line(D("2400.00"), D("12"))
    assert (line.net, line.vat) == (D("2142.86"), D("257.14"))
    assert deductible_vat([line], 4) == D("144.00")  # 4 x 300 x 12 %
    # Under the cap all of it: two people at 500 kr net each... 1,120.00 incl. 12 %.
    cheap = single_line(D("1120.00"), D("12"))
    assert deductible_vat([cheap], 4) == cheap.vat == D("120.00")


def test_the_cap_is_shared_by_the_rates_in_proportion_to_their_net() -> None:
    # Food 800 net (96 VAT), wine 400 net (100 VAT), 2 people: 600 kr net deductible, two
    # thirds of it at 12 % (400 -> 48.00), a third at 25 % (200 -> 50.00).
    lines = [
        VatLine(D("12.00"), D("800.00"), D("96.00")),
        VatLine(D("25.00"), D("400.00"), D("100.00")),
    ]
    assert deductible_vat(lines, 2) == D("98.00")


@settings(max_examples=200, deadline=None)
@given(
    nets=st.lists(st.integers(min_value=0, max_value=5_000_000), min_size=1, max_size=4),
    rates=st.lists(st.sampled_from(["25", "12", "6", "0"]), min_size=4, max_size=4),
    rest=st.integers(min_value=0, max_value=5_000_000),
    persons=st.integers(min_value=1, max_value=50),
    rest_line=st.booleans(),
)
def test_vat_lines_reconcile_for_any_amounts_and_rates(
    nets: list[int], rates: list[str], rest: int, persons: int, rest_line: bool
) -> None:
    """Lines with a net (VAT computed), and maybe one without (it takes the rest of the amount):
    they add up to the amount to the öre, each line's VAT is its rate's within one öre, and
    the deductible VAT of a representation meal is never more than the VAT."""
    inputs = [
        VatLineInput(rate=D(rate), net=D(net).scaleb(-2))  # type: ignore[arg-type]
        for rate, net in zip(rates, nets, strict=False)
    ][: 3 if rest_line else 4]
    # Each given line's gross: net + its VAT, rounded half up to the öre.
    amount = sum(
        (
            D(net).scaleb(-2) + (D(net).scaleb(-2) * D(rate) / 100).quantize(CENT, ROUND_HALF_UP)
            for rate, net in zip(rates, nets[: len(inputs)], strict=False)
        ),
        D("0.00"),
    )
    if rest_line:
        inputs.append(VatLineInput(rate=D(rates[-1])))
        amount += D(rest).scaleb(-2)
    if amount <= 0:
        return
    problems = Problems()
    lines = _given_lines(problems, amount, date(2026, 2, 1), ExpenseCategory.OTHER, inputs)
    assert not problems.items and lines is not None
    assert sum((line.net + line.vat for line in lines), D(0)) == amount
    for line in lines:
        assert line.net >= 0 and line.vat >= 0
        assert abs(line.vat - line.net * line.rate / 100) <= D("0.01")
    assert D(0) <= deductible_vat(lines, persons) <= sum((line.vat for line in lines), D(0))


# --- through HTTP ------------------------------------------------------------------------------


async def test_a_restaurant_receipt_with_food_and_drinks_is_one_expense(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token, RESTAURANT_RECEIPT)
    assert {key: expense[key] for key in ("amount", "vatAmount", "netAmount", "vatRate")} == {
        "amount": "1233.50",
        "vatAmount": "163.50",
        "netAmount": "1070.00",
        "vatRate": None,  # several rates: read vatLines
    }
    assert expense["vatLines"] == [
        {"rate": "12.00", "net": "800.00", "vat": "96.00"},
        {"rate": "25.00", "net": "270.00", "vat": "67.50"},
    ]
    assert (expense["deductibleVat"], expense["nonDeductibleVat"]) == ("163.50", "0.00")
    seen = (await api(NODE, {"id": expense["id"]}, token=me.token))["data"]["node"]
    assert seen["vatLines"] == expense["vatLines"]

    # The drinks' line may leave out its net: it takes the rest of the amount.
    rest = await submit(
        api,
        me.token,
        {**RESTAURANT_RECEIPT, "vatLines": [{"rate": "12", "net": "800.00"}, {"rate": "25"}]},
    )
    assert rest["vatLines"] == expense["vatLines"]
    # One rate as before: vatRate, the VAT computed from the gross amount.
    lunch = await submit(
        api,
        me.token,
        {
            "date": "2026-04-15",
            "amount": "112.00",
            "vatRate": "12",
            "category": "RESTAURANT",
            "description": "Lunch",
        },
    )
    assert (lunch["vatRate"], lunch["vatLines"]) == (
        "12.00",
        [{"rate": "12.00", "net": "100.00", "vat": "12.00"}],
    )


async def test_vat_lines_that_do_not_reconcile_are_refused_naming_the_line(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    food, drinks = RESTAURANT_RECEIPT["vatLines"]  # type: ignore[misc]
    wrong_vat = [food, {**drinks, "vat": "67.52"}]
    assert await refused(api, me.token, {**RESTAURANT_RECEIPT, "vatLines": wrong_vat}) == (
        "BAD_USER_INPUT",
        "input.vatLines[1].vat",
        "VAT_MISMATCH",
    )
    assert await refused(api, me.token, {**RESTAURANT_RECEIPT, "amount": "1240.00"}) == (
        "BAD_USER_INPUT",
        "input.vatLines[1].vat",
        "VAT_MISMATCH",
    )
    six_in_a_restaurant = [food, {"rate": "6", "net": "270.00"}]
    assert await refused(
        api, me.token, {**RESTAURANT_RECEIPT, "vatLines": six_in_a_restaurant}
    ) == ("BAD_USER_INPUT", "input.vatLines[1].rate", "VAT_RATE_NOT_VALID_ON_DATE")
    both = {**RESTAURANT_RECEIPT, "vatRate": "12"}
    assert (await refused(api, me.token, both))[1:] == ("input.vatLines", "NOT_BOTH")
    neither = {key: value for key, value in RESTAURANT_RECEIPT.items() if key != "vatLines"}
    assert (await refused(api, me.token, neither))[1:] == ("vatRate", "REQUIRED")
    two_rests = [{"rate": "12"}, {"rate": "25"}]
    assert (await refused(api, me.token, {**RESTAURANT_RECEIPT, "vatLines": two_rests}))[1:] == (
        "input.vatLines[1].net",
        "REQUIRED",
    )
    # The case: a restaurant lunch at 12 % after 2026-04-01 is no longer refused
    # (category RESTAURANT); food bought in a shop (FOOD) at 12 % is, as before.
    lunch = {"date": "2026-04-15", "amount": "112.00", "vatRate": "12", "description": "Lunch"}
    assert (await submit(api, me.token, {**lunch, "category": "RESTAURANT"}))["vatAmount"] == (
        "12.00"
    )
    assert (await refused(api, me.token, {**lunch, "category": "FOOD"}))[1:] == (
        "vatRate",
        "VAT_RATE_NOT_VALID_ON_DATE",
    )


async def test_a_mixed_expense_keeps_its_lines_through_changes(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token, RESTAURANT_RECEIPT)
    renamed = await api(
        UPDATE, {"id": expense["id"], "input": {"description": "Middag, Kund AB"}}, token=me.token
    )
    assert renamed["data"]["updateExpense"]["expense"]["vatLines"] == expense["vatLines"]
    # A new amount needs new lines: the stored ones no longer add up.
    error = only_error(
        await api(UPDATE, {"id": expense["id"], "input": {"amount": "1300.00"}}, token=me.token)
    )
    assert (error["field"], error["reason"]) == ("input.vatLines[1].vat", "VAT_MISMATCH")
    one_rate = await api(
        UPDATE,
        {"id": expense["id"], "input": {"amount": "1120.00", "vatRate": "12"}},
        token=me.token,
    )
    changed = one_rate["data"]["updateExpense"]["expense"]
    assert (changed["vatRate"], changed["vatLines"]) == (
        "12.00",
        [{"rate": "12.00", "net": "1000.00", "vat": "120.00"}],
    )


async def test_representation_needs_participants_and_purpose_and_caps_the_vat(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    without = {key: value for key, value in LUNCH_FOR_FOUR.items() if key != "representation"}
    assert await refused(api, me.token, without) == (
        "BAD_USER_INPUT",
        "input.representation",
        "REQUIRED",
    )
    blank = {**LUNCH_FOR_FOUR["representation"], "purpose": " ", "participants": []}  # type: ignore[dict-item]
    error = only_error(
        await api(SUBMIT, {"input": {**LUNCH_FOR_FOUR, "representation": blank}}, token=me.token)
    )
    assert [(problem["field"], problem["reason"]) for problem in error["problems"]] == [
        ("input.representation.participants", "OUT_OF_RANGE"),
        ("input.representation.purpose", "REQUIRED"),
    ]
    assert (
        await refused(
            api,
            me.token,
            {
                **without,
                "category": "RESTAURANT",
                "representation": LUNCH_FOR_FOUR["representation"],
            },
        )
    )[1:] == ("input.representation", "NOT_APPLICABLE")

    lunch = await submit(api, me.token, LUNCH_FOR_FOUR)
    assert {
        key: lunch[key]
        for key in ("amount", "vatAmount", "netAmount", "deductibleVat", "nonDeductibleVat")
    } == {
        "amount": "2400.00",
        "vatAmount": "257.14",
        "netAmount": "2142.86",
        "deductibleVat": "144.00",  # 4 x 300 x 12 %
        "nonDeductibleVat": "113.14",
    }
    assert lunch["representationKind"] == "EXTERNAL"
    assert lunch["purpose"] == "Avtalsförhandling inför 2027"
    assert lunch["participants"][:2] == [
        {"name": "Anna Andersson", "company": None},
        {"name": "Bo Berg", "company": "Kund AB"},
    ]
    # Two more guests: 6 x 300 = 1,800 kr net, 216.00 deductible.
    more = LUNCH_FOR_FOUR["representation"]["participants"] + [  # type: ignore[index]
        {"name": "Eva Ek", "company": "Kund AB"},
        {"name": "Filip Fors", "company": "Kund AB"},
    ]
    changed = await api(
        UPDATE,
        {
            "id": lunch["id"],
            "input": {
                "representation": {**LUNCH_FOR_FOUR["representation"], "participants": more}  # type: ignore[dict-item]
            },
        },
        token=me.token,
    )
    assert changed["data"]["updateExpense"]["expense"]["deductibleVat"] == "216.00"


PERIOD_LINES = """mutation($month: String!) { openPayrollPeriod(month: $month) {
  payrollPeriod { basis { lines { code amount vat source } } } } }"""


async def test_the_payroll_basis_carries_only_the_deductible_vat_as_moms(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    """A payroll program that books an UTLÄGG line's cost and VAT itself takes its moms to 2641:
    for the lunch for four only the 144.00 deductible, the 113.14 above the cap being cost, as in
    the SIE voucher. A restaurant receipt's moms is all of its VAT."""
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    for values in (LUNCH_FOR_FOUR, RESTAURANT_RECEIPT):
        expense = await submit(api, me.token, values)
        await api.ok(APPROVE, {"id": expense["id"]}, token=admin.token, path="approveExpense")
    period = await api.ok(
        PERIOD_LINES, {"month": "2026-04"}, token=admin.token, path="openPayrollPeriod"
    )
    [basis] = period["payrollPeriod"]["basis"]
    assert sorted(
        (line["code"], line["amount"], line["vat"])
        for line in basis["lines"]
        if line["source"] == "EXPENSE"
    ) == [("UTLÄGG", "1233.50", "163.50"), ("UTLÄGG", "2400.00", "144.00")]


def test_the_expenses_csv_shows_the_lines_and_the_deductible_vat() -> None:
    lunch = ExportExpense(
        id=7,
        employee_number="17",
        employee_name="Åsa Öberg",
        date=date(2026, 4, 20),
        kind="EXPENSE",
        category="REPRESENTATION",
        description="Lunch med Kund AB",
        amount=D("2400.00"),
        vat_rate=D("12.00"),
        vat_amount=D("257.14"),
        status="APPROVED",
        vat_lines=((D("12.00"), D("2142.86"), D("257.14")),),
        deductible_vat=D("144.00"),
        representation="EXTERNAL",
        participants=("Åsa Öberg", "Bo Berg (Kund AB)"),
        purpose="Avtal",
    )
    dinner = ExportExpense(
        id=8,
        employee_number="17",
        employee_name="Åsa Öberg",
        date=date(2026, 4, 15),
        kind="EXPENSE",
        category="RESTAURANT",
        description="Middag",
        amount=D("1233.50"),
        vat_rate=None,
        vat_amount=D("163.50"),
        status="APPROVED",
        vat_lines=((D("12.00"), D("800.00"), D("96.00")), (D("25.00"), D("270.00"), D("67.50"))),
        deductible_vat=D("163.50"),
    )
    out = io.BytesIO()
    totals = write_expense_summary_csv(out, [dinner, lunch])
    rows = read_csv(out.getvalue())
    header = rows[0]
    assert header == [name for name, _ in EXPENSE_CSV_COLUMNS]
    by_name = [dict(zip(header, row, strict=True)) for row in rows[1:3]]
    assert {
        key: by_name[0][key]
        for key in ("vat_rate", "vat", "vat_lines", "deductible_vat", "non_deductible_vat")
    } == {
        "vat_rate": "",
        "vat": "163,50",
        "vat_lines": "12,00:800,00:96,00 | 25,00:270,00:67,50",
        "deductible_vat": "163,50",
        "non_deductible_vat": "0,00",
    }
    assert {
        key: by_name[1][key]
        for key in (
            "deductible_vat",
            "non_deductible_vat",
            "representation",
            "participants",
            "purpose",
        )
    } == {
        "deductible_vat": "144,00",
        "non_deductible_vat": "113,14",
        "representation": "EXTERNAL",
        "participants": "Åsa Öberg | Bo Berg (Kund AB)",
        "purpose": "Avtal",
    }
    # The VAT split is per line's rate: the dinner's drinks under 25 %, its food under 12 %.
    assert {rate: (t.gross, t.vat) for rate, t in totals.by_rate.items()} == {
        D("25.00"): (D("337.50"), D("67.50")),
        D("12.00"): (D("896.00") + D("2400.00"), D("96.00") + D("257.14")),
    }
    assert totals.total.gross == D("3633.50") and totals.total.vat == D("420.64")


# --- who may ---------------------------------------------------------------------------------


async def test_an_employee_only_for_their_own_and_a_limited_partner_for_its_clients(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    theirs = await submit(api, colleague.token, RESTAURANT_RECEIPT)
    # Not mine: out of reach, as if it did not exist; nor may I submit for them.
    assert error_codes(await api(NODE, {"id": theirs["id"]}, token=me.token)) == ["NOT_FOUND"]
    for_them = {**LUNCH_FOR_FOUR, "employeeId": gid("Employee", colleague.employee_id or 0)}
    assert (await refused(api, me.token, for_them))[:2] == ("NOT_FOUND", "employeeId")
    mine = await submit(api, me.token, LUNCH_FOR_FOUR)
    await api(APPROVE, {"id": mine["id"]}, token=admin.token)

    # A LIMITED partner reads both with their lines and deductible VAT, and exports them.
    partner = await partner_of(api, factory, admin.token, "LIMITED")
    client = gid("Company", admin.company_id)
    body = await api(PORTAL_LIST, {"c": client}, token=partner.token)
    assert "errors" not in body, body
    seen = {node["id"]: node for node in body["data"]["expenses"]["nodes"]}
    assert seen[theirs["id"]]["vatLines"] == theirs["vatLines"]
    assert seen[mine["id"]]["nonDeductibleVat"] == "113.14"
    assert seen[mine["id"]]["participants"] == mine["participants"]
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
    assert [
        (row["category"], row["deductible_vat"], row["non_deductible_vat"]) for row in table
    ] == [
        ("RESTAURANT", "163,50", "0,00"),
        ("REPRESENTATION", "144,00", "113,14"),
    ]


def test_the_readme_lists_the_expenses_csv_columns() -> None:
    """README's table of `utlagg.csv` is EXPENSE_CSV_COLUMNS (pipes escaped for Markdown)."""
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name, meaning in EXPENSE_CSV_COLUMNS:
        assert f"| `{name}` | {meaning.replace('|', chr(92) + '|')} |" in readme, name
