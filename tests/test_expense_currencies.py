"""Expenses in other currencies than SEK (issue 14, point 3).

- An expense keeps the receipt's currency (an active ISO 4217 code), its gross amount in that
  currency (originalAmount) and the exchange rate (SEK per unit, six decimals); `amount` is the
  SEK paid out. The employee gives the rate or the SEK amount from the card statement, and the
  other is derived: SEK = original × rate rounded half up to the öre, rate = SEK / original to
  six decimals. Both given, they must agree to the öre.
- VAT on a foreign receipt is not deductible in Sweden: one 0 % line of the whole SEK amount; a
  line with VAT is refused (FOREIGN_VAT_NOT_DEDUCTIBLE). Mileage stays SEK only.
- The expenses CSV shows the SEK amount and the receipt's currency, amount and rate.
- An employee does it for their own expenses; a LIMITED partner reads and exports it.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gql_portal.clock import STOCKHOLM, FrozenClock
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.domain.currencies import (
    ACTIVE_CODES,
    NOT_PAID_IN,
    RATE_QUANTUM,
    UNKNOWN_CURRENCY,
    UNSUPPORTED_CURRENCY,
    agrees,
    currency_problem,
    rate_of,
    sek_amount,
    tolerance,
)
from gql_portal.domain.exports import EXPENSE_CSV_COLUMNS, ExportExpense, write_expense_summary_csv
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_exports import download, exported
from tests.test_exports_access import partner_of
from tests.test_exports_files import read_csv

FIELDS = """id currency originalAmount exchangeRate amount vatAmount vatRate deductibleVat
  vatLines { rate net vat } description"""
SUBMIT = f"""mutation($input: SubmitExpenseInput!) {{
  submitExpense(input: $input) {{ expense {{ {FIELDS} }} }} }}"""
UPDATE = f"""mutation($id: ID!, $input: UpdateExpenseInput!) {{
  updateExpense(id: $id, input: $input) {{ expense {{ {FIELDS} }} }} }}"""
MILEAGE = """mutation($input: SubmitMileageInput!) {
  submitMileage(input: $input) { expense { id currency originalAmount exchangeRate } } }"""
NODE = f"""query($id: ID!) {{ node(id: $id) {{ id ... on Expense {{ {FIELDS} }} }} }}"""
COUNT = "query { expenses { totalCount } }"
PORTAL_LIST = f"""query($c: ID!) {{ expenses(companyId: $c) {{ nodes {{ {FIELDS} }} }} }}"""
APPROVE = "mutation($id: ID!) { approveExpense(id: $id) { expense { id status } } }"
EXPORT_EXPENSES = """mutation($input: ExpenseExportInput!) {
  exportExpenses(input: $input) { export { id state downloadUrl } } }"""

D = Decimal
MAY_2026 = datetime(2026, 5, 10, 12, 0, tzinfo=STOCKHOLM)

# A lunch in Berlin: 49.90 EUR on the receipt. At 11.4321 SEK per euro that is
# 49.90 × 11.4321 = 570.46179 -> 570.46 SEK.
BERLIN_LUNCH = {
    "date": "2026-04-15",
    "category": "RESTAURANT",
    "description": "Lunch, Mitte, Berlin",
    "currency": "EUR",
    "originalAmount": "49.90",
    "exchangeRate": "11.4321",
}
# The same lunch as the card statement shows it: 572.15 SEK. The rate is
# 572.15 / 49.90 = 11.46593186... -> 11.465932.
BY_THE_STATEMENT = {key: value for key, value in BERLIN_LUNCH.items() if key != "exchangeRate"} | {
    "amount": "572.15"
}
ZERO_LINE = [{"rate": "0.00", "net": "570.46", "vat": "0.00"}]


async def submit(api: Api, token: str, values: dict[str, Any]) -> dict[str, Any]:
    return await api.ok(SUBMIT, {"input": values}, token=token, path="submitExpense.expense")


async def update(api: Api, token: str, id: str, values: dict[str, Any]) -> dict[str, Any]:
    return await api.ok(
        UPDATE, {"id": id, "input": values}, token=token, path="updateExpense.expense"
    )


async def refused(api: Api, token: str, values: dict[str, Any]) -> tuple[str, str]:
    error = only_error(await api(SUBMIT, {"input": values}, token=token))
    assert error["code"] == "BAD_USER_INPUT", error
    return error["field"], error["reason"]


# --- the codes and the arithmetic, by hand ---------------------------------------------------


def test_the_active_iso_4217_codes_and_those_no_receipt_is_paid_in() -> None:
    assert len(ACTIVE_CODES) == 178  # List One of 2026-01-01
    assert {"SEK", "EUR", "USD", "NOK", "DKK", "GBP", "JPY", "XCG", "ZWG"} <= ACTIVE_CODES
    assert not {"ANG", "HRK", "SLL", "ZWL", "EURO", "sek"} & ACTIVE_CODES  # withdrawn, or none
    assert currency_problem("EUR") is None
    assert currency_problem("HRK") == UNKNOWN_CURRENCY  # the kuna, gone with the euro in 2023
    assert currency_problem("XAU") == UNSUPPORTED_CURRENCY  # gold
    assert NOT_PAID_IN <= ACTIVE_CODES


def test_the_worked_conversions() -> None:
    assert sek_amount(D("49.90"), D("11.4321")) == D("570.46")
    assert rate_of(D("49.90"), D("572.15")) == D("11.465932")
    # Half up to the öre: 10.00 USD at 10.4005 is 104.005 -> 104.01.
    assert sek_amount(D("10.00"), D("10.4005")) == D("104.01")
    # Yen: 12,800 JPY at 0.0651 SEK per yen.
    assert sek_amount(D("12800"), D("0.0651")) == D("833.28")
    # Both given: to the öre. 570.46 and 570.47 are within one öre of 570.46179; 570.48 not.
    assert agrees(D("49.90"), D("11.4321"), D("570.46"))
    assert agrees(D("49.90"), D("11.4321"), D("570.47"))
    assert not agrees(D("49.90"), D("11.4321"), D("570.48"))
    assert not agrees(D("49.90"), D("11"), D("570.46"))  # a rounded rate is not the rate
    # A hotel of 2,000,000 VND: the rate's sixth decimal is worth a whole krona there.
    assert tolerance(D("2000000")) == D("1.0000000")


@settings(max_examples=300, deadline=None)
@given(
    original_ore=st.integers(min_value=1, max_value=100_000_000_00),
    rate_millionths=st.integers(min_value=1, max_value=1_000_000_000),
)
def test_the_derived_amount_and_rate_round_trip_within_the_ore(
    original_ore: int, rate_millionths: int
) -> None:
    """For any original amount and rate: the SEK amount derived from the rate gives back a rate
    that agrees with it, and that rate differs from the first by no more than what one öre (or
    the sixth decimal) can tell over the original amount."""
    original = D(original_ore).scaleb(-2)
    rate = D(rate_millionths) * RATE_QUANTUM
    sek = sek_amount(original, rate)
    assert abs(sek - original * rate) <= D("0.005")
    assert agrees(original, rate, sek)
    if sek == 0:
        return  # refused as input (the SEK amount must be above zero)
    derived = rate_of(original, sek)
    assert agrees(original, derived, sek)
    assert abs(derived - rate) * original <= D("0.005") + original * RATE_QUANTUM / 2
    assert abs(sek_amount(original, derived) - sek) <= tolerance(original) + D("0.005")


# --- submitting ------------------------------------------------------------------------------


async def test_an_expense_in_euro_keeps_its_amount_rate_and_the_sek_paid_out(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)

    by_rate = await submit(api, me.token, BERLIN_LUNCH)
    assert {key: by_rate[key] for key in ("currency", "originalAmount", "exchangeRate")} == {
        "currency": "EUR",
        "originalAmount": "49.90",
        "exchangeRate": "11.432100",
    }
    # The SEK paid out, and foreign VAT not deductible: one 0 % line of the whole amount.
    assert (by_rate["amount"], by_rate["vatAmount"], by_rate["vatRate"]) == (
        "570.46",
        "0.00",
        "0.00",
    )
    assert (by_rate["vatLines"], by_rate["deductibleVat"]) == (ZERO_LINE, "0.00")
    seen = (await api(NODE, {"id": by_rate["id"]}, token=me.token))["data"]["node"]
    assert seen == by_rate

    by_statement = await submit(api, me.token, BY_THE_STATEMENT)
    assert (by_statement["amount"], by_statement["exchangeRate"]) == ("572.15", "11.465932")
    # Both, agreeing to the öre; the code in any case; a 0 % rate given is the default's.
    both = await submit(
        api, me.token, {**BERLIN_LUNCH, "currency": " eur ", "amount": "570.46", "vatRate": "0"}
    )
    assert (both["currency"], both["amount"], both["vatLines"]) == ("EUR", "570.46", ZERO_LINE)
    # Yen have no decimals: 12,800 JPY at 0.0651.
    tokyo = await submit(
        api,
        me.token,
        {**BERLIN_LUNCH, "currency": "JPY", "originalAmount": "12800", "exchangeRate": "0.0651"},
    )
    assert (tokyo["originalAmount"], tokyo["amount"]) == ("12800.00", "833.28")

    # SEK as before: no original amount, no rate; or given as the identity.
    sek = await submit(
        api,
        me.token,
        {
            "date": "2026-04-15",
            "amount": "112.00",
            "vatRate": "12",
            "category": "RESTAURANT",
            "description": "Lunch",
            "originalAmount": "112.00",
            "exchangeRate": "1",
        },
    )
    assert (sek["currency"], sek["originalAmount"], sek["exchangeRate"], sek["vatAmount"]) == (
        "SEK",
        None,
        None,
        "12.00",
    )


async def test_bad_currency_input_is_refused_naming_the_field_and_writes_nothing(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    without = {key: value for key, value in BERLIN_LUNCH.items() if key != "originalAmount"}
    assert await refused(api, me.token, without) == ("input.originalAmount", "REQUIRED")
    neither = {key: value for key, value in BERLIN_LUNCH.items() if key != "exchangeRate"}
    assert await refused(api, me.token, neither) == ("input.exchangeRate", "REQUIRED")
    # 49.90 EUR at 11.4321 is 570.46 SEK, not 571.00.
    disagreeing = {**BERLIN_LUNCH, "amount": "571.00"}
    field, reason = await refused(api, me.token, disagreeing)
    assert (field, reason) == ("input.exchangeRate", "EXCHANGE_RATE_MISMATCH")
    error = only_error(await api(SUBMIT, {"input": disagreeing}, token=me.token))
    assert "is 570.46 SEK, not 571.00" in error["problems"][0]["message"]

    assert await refused(api, me.token, {**BERLIN_LUNCH, "currency": "EURO"}) == (
        "currency",
        "UNKNOWN_CURRENCY",
    )
    assert await refused(api, me.token, {**BERLIN_LUNCH, "currency": "XAU"}) == (
        "currency",
        "UNSUPPORTED_CURRENCY",
    )
    assert await refused(api, me.token, {**BERLIN_LUNCH, "exchangeRate": "11.4321005"}) == (
        "input.exchangeRate",
        "TOO_MANY_DECIMALS",
    )
    assert await refused(api, me.token, {**BERLIN_LUNCH, "exchangeRate": "0"}) == (
        "input.exchangeRate",
        "ZERO",
    )
    assert await refused(api, me.token, {**BERLIN_LUNCH, "originalAmount": "-49.90"}) == (
        "input.originalAmount",
        "NEGATIVE",
    )
    yen_with_decimals = {**BERLIN_LUNCH, "currency": "JPY", "originalAmount": "12800.50"}
    assert await refused(api, me.token, yen_with_decimals) == (
        "input.originalAmount",
        "TOO_MANY_DECIMALS",
    )
    # 0.01 EUR at 0.1 SEK is nothing to pay out.
    assert await refused(
        api, me.token, {**BERLIN_LUNCH, "originalAmount": "0.01", "exchangeRate": "0.1"}
    ) == ("input.exchangeRate", "ZERO")
    # The SEK amount over the limit of one expense, derived or given.
    assert await refused(
        api, me.token, {**BERLIN_LUNCH, "originalAmount": "100000.00", "exchangeRate": "11"}
    ) == ("amount", "OUT_OF_RANGE")
    # 100 SEK for 0.01 EUR would be 10,000 SEK per euro: a typing error, not a rate.
    dear = {**BY_THE_STATEMENT, "originalAmount": "0.01", "amount": "100.00"}
    assert await refused(api, me.token, dear) == ("amount", "EXCHANGE_RATE_OUT_OF_RANGE")
    assert await refused(api, me.token, {**BERLIN_LUNCH, "exchangeRate": "1143.21"}) == (
        "input.exchangeRate",
        "OUT_OF_RANGE",
    )
    huge = {**BY_THE_STATEMENT, "originalAmount": "0.01", "amount": "100000000000000000000.00"}
    assert await refused(api, me.token, huge) == ("amount", "OUT_OF_RANGE")
    # SEK has no original amount or rate but the identity.
    in_sek = {
        "date": "2026-04-15",
        "amount": "112.00",
        "vatRate": "12",
        "category": "RESTAURANT",
        "description": "Lunch",
    }
    assert await refused(api, me.token, {**in_sek, "originalAmount": "10.00"}) == (
        "input.originalAmount",
        "NOT_APPLICABLE",
    )
    assert await refused(api, me.token, {**in_sek, "exchangeRate": "11.4321"}) == (
        "input.exchangeRate",
        "NOT_APPLICABLE",
    )
    no_amount = {key: value for key, value in in_sek.items() if key != "amount"}
    assert await refused(api, me.token, no_amount) == ("amount", "REQUIRED")

    # Foreign VAT: not deductible in Sweden, refused on the field that carries it.
    assert await refused(api, me.token, {**BERLIN_LUNCH, "vatRate": "12"}) == (
        "vatRate",
        "FOREIGN_VAT_NOT_DEDUCTIBLE",
    )
    assert await refused(api, me.token, {**BERLIN_LUNCH, "vatRate": "0", "vatAmount": "5.00"}) == (
        "vatAmount",
        "FOREIGN_VAT_NOT_DEDUCTIBLE",
    )
    mixed = {**BERLIN_LUNCH, "vatLines": [{"rate": "0", "net": "300.00"}, {"rate": "25"}]}
    assert await refused(api, me.token, mixed) == (
        "input.vatLines[1].rate",
        "FOREIGN_VAT_NOT_DEDUCTIBLE",
    )
    # Nothing half-written.
    assert (await api(COUNT, {}, token=me.token))["data"]["expenses"]["totalCount"] == 0

    # Mileage is SEK only: no currency fields, on submitting (no such input) or changing.
    trip = await api(
        MILEAGE,
        {
            "input": {
                "date": "2026-04-15",
                "distanceKm": "120",
                "vehicle": "OWN_CAR",
                "description": "Kundbesök",
            }
        },
        token=me.token,
    )
    mileage = trip["data"]["submitMileage"]["expense"]
    assert (mileage["currency"], mileage["originalAmount"], mileage["exchangeRate"]) == (
        "SEK",
        None,
        None,
    )
    for change in ({"currency": "EUR"}, {"originalAmount": "10.00"}, {"exchangeRate": "11"}):
        error = only_error(
            await api(UPDATE, {"id": mileage["id"], "input": change}, token=me.token)
        )
        assert (error["field"], error["reason"]) == (next(iter(change)), "NOT_APPLICABLE")


# --- changing --------------------------------------------------------------------------------


async def test_a_change_keeps_or_changes_the_currency(
    api: Api, factory: Factory, clock: FrozenClock, database: Database
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    me = await factory.staff(company)
    lunch = await submit(api, me.token, BERLIN_LUNCH)
    id = lunch["id"]

    # Another description: the conversion stays as it was.
    renamed = await update(api, me.token, id, {"description": "Lunch med kund, Berlin"})
    assert {
        key: renamed[key] for key in ("currency", "originalAmount", "exchangeRate", "amount")
    } == {
        "currency": "EUR",
        "originalAmount": "49.90",
        "exchangeRate": "11.432100",
        "amount": "570.46",
    }
    # A corrected receipt amount at the kept rate: 59.90 × 11.4321 = 684.78279 -> 684.78.
    corrected = await update(api, me.token, id, {"originalAmount": "59.90"})
    assert (corrected["amount"], corrected["exchangeRate"]) == ("684.78", "11.432100")
    assert corrected["vatLines"] == [{"rate": "0.00", "net": "684.78", "vat": "0.00"}]
    # The card statement's SEK amount: the rate follows, 690.00 / 59.90 = 11.519199 (half up).
    by_statement = await update(api, me.token, id, {"amount": "690.00"})
    assert (by_statement["amount"], by_statement["exchangeRate"]) == ("690.00", "11.519199")
    # A new rate: the SEK amount follows, 59.90 × 11.5 = 688.85.
    new_rate = await update(api, me.token, id, {"exchangeRate": "11.5"})
    assert (new_rate["amount"], new_rate["exchangeRate"]) == ("688.85", "11.500000")
    # Disagreeing rate and amount: refused, nothing changed.
    error = only_error(
        await api(
            UPDATE,
            {"id": id, "input": {"exchangeRate": "11.5", "amount": "700.00"}},
            token=me.token,
        )
    )
    assert (error["field"], error["reason"]) == ("input.exchangeRate", "EXCHANGE_RATE_MISMATCH")
    # Another currency needs its amounts again.
    error = only_error(await api(UPDATE, {"id": id, "input": {"currency": "USD"}}, token=me.token))
    assert (error["field"], error["reason"]) == ("input.originalAmount", "REQUIRED")
    in_dollars = await update(
        api,
        me.token,
        id,
        {"currency": "USD", "originalAmount": "64.00", "exchangeRate": "10.4005"},
    )
    # 64.00 × 10.4005 = 665.632 -> 665.63.
    assert (in_dollars["currency"], in_dollars["amount"]) == ("USD", "665.63")
    seen = (await api(NODE, {"id": id}, token=me.token))["data"]["node"]
    assert seen == in_dollars
    async with database.session() as session:
        event = (
            await session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        ).one()
    assert event.action == "EXPENSE_UPDATED"
    assert {key: event.details[key] for key in ("fields", "currency", "original_amount")} == {
        "fields": ["amount", "currency", "exchangeRate", "originalAmount", "vatLines"],
        "currency": "USD",
        "original_amount": "64.00",
    }

    # Back to SEK: the SEK amount stays, the receipt's amount and rate go; VAT as given.
    in_sek = await update(api, me.token, id, {"currency": "SEK", "vatRate": "12"})
    assert {
        key: in_sek[key]
        for key in ("currency", "originalAmount", "exchangeRate", "amount", "vatAmount")
    } == {
        "currency": "SEK",
        "originalAmount": None,
        "exchangeRate": None,
        "amount": "665.63",
        "vatAmount": "71.32",  # 665.63 × 12 / 112
    }
    # And to euro again: its VAT (Swedish, 12 %) gives way to the one 0 % line.
    abroad = await update(
        api, me.token, id, {"currency": "EUR", "originalAmount": "49.90", "amount": "572.15"}
    )
    assert (abroad["exchangeRate"], abroad["vatAmount"], abroad["vatRate"]) == (
        "11.465932",
        "0.00",
        "0.00",
    )
    error = only_error(await api(UPDATE, {"id": id, "input": {"vatRate": "25"}}, token=me.token))
    assert (error["field"], error["reason"]) == ("vatRate", "FOREIGN_VAT_NOT_DEDUCTIBLE")


# --- the expenses CSV ------------------------------------------------------------------------


def test_the_csv_shows_the_sek_amount_and_the_receipts_currency_amount_and_rate() -> None:
    common: dict[str, Any] = {
        "employee_number": "17",
        "employee_name": "Åsa Öberg",
        "date": date(2026, 4, 15),
        "kind": "EXPENSE",
        "category": "RESTAURANT",
        "status": "APPROVED",
    }
    berlin = ExportExpense(
        id=7,
        description="Lunch, Berlin",
        amount=D("570.46"),
        vat_rate=D("0.00"),
        vat_amount=D("0.00"),
        currency="EUR",
        original_amount=D("49.90"),
        exchange_rate=D("11.432100"),
        **common,
    )
    home = ExportExpense(
        id=8,
        description="Lunch",
        amount=D("112.00"),
        vat_rate=D("12.00"),
        vat_amount=D("12.00"),
        **common,
    )
    out = io.BytesIO()
    totals = write_expense_summary_csv(out, [berlin, home])
    rows = read_csv(out.getvalue())
    assert rows[0] == [name for name, _ in EXPENSE_CSV_COLUMNS]
    # Beside the SEK gross, in the order the README lists them.
    gross = rows[0].index("gross")
    assert rows[0][gross : gross + 4] == ["gross", "currency", "original_amount", "exchange_rate"]
    table = [dict(zip(rows[0], row, strict=True)) for row in rows[1:3]]
    assert [
        (row["gross"], row["currency"], row["original_amount"], row["exchange_rate"], row["vat"])
        for row in table
    ] == [
        ("570,46", "EUR", "49,90", "11,432100", "0,00"),
        ("112,00", "SEK", "", "", "12,00"),
    ]
    # The totals are SEK: the euro lunch counts at 0 % with its SEK amount.
    assert totals.by_rate[D("0.00")].gross == D("570.46")
    assert totals.total.gross == D("682.46")


# --- who may ---------------------------------------------------------------------------------


async def test_an_employee_for_their_own_and_a_limited_partner_reads_and_exports_both(
    api: Api, factory: Factory, clock: FrozenClock
) -> None:
    clock.set(MAY_2026)
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    theirs = await submit(api, colleague.token, BY_THE_STATEMENT)
    # Not mine: out of reach; nor may I submit or change one for them.
    assert error_codes(await api(NODE, {"id": theirs["id"]}, token=me.token)) == ["NOT_FOUND"]
    for_them = {**BERLIN_LUNCH, "employeeId": gid("Employee", colleague.employee_id or 0)}
    assert only_error(await api(SUBMIT, {"input": for_them}, token=me.token))["code"] == (
        "NOT_FOUND"
    )
    change = {"id": theirs["id"], "input": {"exchangeRate": "11"}}
    assert error_codes(await api(UPDATE, change, token=me.token)) == ["NOT_FOUND"]
    # An admin may, for anyone.
    by_admin = await submit(api, admin.token, for_them)
    mine = await submit(api, me.token, BERLIN_LUNCH)
    for expense in (mine, theirs, by_admin):
        await api(APPROVE, {"id": expense["id"]}, token=admin.token)

    partner = await partner_of(api, factory, admin.token, "LIMITED")
    client = gid("Company", admin.company_id)
    body = await api(PORTAL_LIST, {"c": client}, token=partner.token)
    assert "errors" not in body, body
    seen = {node["id"]: node for node in body["data"]["expenses"]["nodes"]}
    assert seen[mine["id"]] == mine
    assert (seen[theirs["id"]]["originalAmount"], seen[theirs["id"]]["exchangeRate"]) == (
        "49.90",
        "11.465932",
    )
    # A LIMITED partner reads, it does not write expenses.
    assert error_codes(await api(UPDATE, change, token=partner.token))
    made = exported(
        await api(
            EXPORT_EXPENSES,
            {"input": {"from": "2026-04-01", "to": "2026-04-30", "companyId": client}},
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
    assert sorted(
        (row["gross"], row["currency"], row["original_amount"], row["exchange_rate"])
        for row in table
    ) == [
        ("570,46", "EUR", "49,90", "11,432100"),
        ("570,46", "EUR", "49,90", "11,432100"),
        ("572,15", "EUR", "49,90", "11,465932"),
    ]
