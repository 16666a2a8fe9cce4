"""The company's BAS account table (SETTINGS): every expense category is booked on an account in
the vouchers to the client's books, the BAS 2026 default unless the company (its admin, or a FULL
partner inside it) chose another. Nobody else reads or writes it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.bas import bas_account_table, default_account_table
from gql_portal.db.engine import Database
from gql_portal.domain.bas import default_account
from gql_portal.domain.expenses import ExpenseCategory
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ACCEPT, ENTER, INVITE, collaboration_of, setting

ROW = "category account name isDefault defaultAccount"
LIST = f"{{ basAccounts {{ {ROW} }} }}"
SET = f"""mutation($input: SetBasAccountsInput!) {{
  setBasAccounts(input: $input) {{ basAccounts {{ {ROW} }} }} }}"""


def set_input(*items: dict[str, Any]) -> dict[str, Any]:
    return {"input": {"accounts": list(items)}}


def data(body: dict[str, Any], name: str) -> Any:
    assert "errors" not in body, body
    return body["data"][name]


def by_category(accounts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["category"]: item for item in accounts}


def chosen(accounts: list[dict[str, Any]]) -> dict[str, int]:
    """category -> account of the categories the company has chosen an account for."""
    return {item["category"]: item["account"] for item in accounts if not item["isDefault"]}


async def audit_rows(database: Database, company: Company) -> list[AuditEvent]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.company_id == company.id, AuditEvent.action == "BAS_ACCOUNTS_UPDATED")
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


# --- reading ------------------------------------------------------------------------------------


async def test_a_new_company_books_every_category_on_the_bas_default(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    listed = data(await api(LIST, token=admin.token), "basAccounts")
    assert [item["category"] for item in listed] == [category.value for category in ExpenseCategory]
    assert chosen(listed) == {}
    for item in listed:
        assert item["account"] == item["defaultAccount"]
        assert item["account"] == default_account(ExpenseCategory(item["category"]))
    assert by_category(listed)["TRAVEL"] == {
        "category": "TRAVEL",
        "account": 5800,
        "name": "Resekostnader",  # BAS's own name
        "isDefault": True,
        "defaultAccount": 5800,
    }
    async with database.session() as session:
        assert await bas_account_table(session, [company.id]) == {
            company.id: default_account_table()
        }


# --- writing ------------------------------------------------------------------------------------


async def test_an_admin_sets_renames_and_resets_accounts(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    changed = data(
        await api(
            SET,
            set_input(
                {"category": "travel", "account": 5810},  # not a BAS name the portal knows
                {"category": "FOOD", "account": 5831, "name": "  Kost   på resa "},
                {"category": "OTHER", "account": 6990},  # the default, chosen on purpose
            ),
            token=admin.token,
        ),
        "setBasAccounts",
    )["basAccounts"]
    assert chosen(changed) == {"TRAVEL": 5810, "FOOD": 5831, "OTHER": 6990}
    travel, food = by_category(changed)["TRAVEL"], by_category(changed)["FOOD"]
    assert (travel["name"], travel["isDefault"], travel["defaultAccount"]) == (None, False, 5800)
    assert food["name"] == "Kost på resa"
    assert by_category(changed)["OTHER"]["name"] == "Övriga externa kostnader"
    assert chosen(data(await api(LIST, token=admin.token), "basAccounts")) == chosen(changed)

    # Categories left out keep theirs; an entry without an account goes back to the default.
    changed = data(
        await api(
            SET,
            set_input({"category": "TRAVEL"}, {"category": "OTHER", "account": None}),
            token=admin.token,
        ),
        "setBasAccounts",
    )["basAccounts"]
    assert chosen(changed) == {"FOOD": 5831}
    assert by_category(changed)["TRAVEL"] == {
        "category": "TRAVEL",
        "account": 5800,
        "name": "Resekostnader",
        "isDefault": True,
        "defaultAccount": 5800,
    }
    # Setting what is already there changes nothing and records nothing.
    data(
        await api(
            SET,
            set_input({"category": "FOOD", "account": 5831, "name": "Kost på resa"}),
            token=admin.token,
        ),
        "setBasAccounts",
    )

    events = await audit_rows(database, company)
    assert [event.details for event in events] == [
        {
            "set": {
                "TRAVEL": {"account": 5810, "name": None},
                "FOOD": {"account": 5831, "name": "Kost på resa"},
                "OTHER": {"account": 6990, "name": None},
            },
            "reset": [],
        },
        {"set": {}, "reset": ["OTHER", "TRAVEL"]},
    ]
    async with database.session() as session:
        table = await bas_account_table(session, [company.id])
    assert table == {company.id: default_account_table() | {ExpenseCategory.FOOD: 5831}}


async def test_bad_accounts_name_the_item_and_write_nothing(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    wrong = set_input(
        {"category": "TRAVEL", "account": 5810},
        {"category": "FOOD", "account": 999},  # three digits
        {"category": "PETS", "account": 5800},
        {"category": "TRAVEL", "account": 9100},  # a duplicate, and class 9 is internal
        {"category": "FUEL", "account": 5611, "name": "x" * 101},
        {"category": "PARKING", "account": 5800, "name": "Parkering ☃"},  # not in PC8
        {"category": "OTHER", "account": 10000},
    )
    error = only_error(await api(SET, wrong, token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "input.accounts[1].account",
        "BAS_ACCOUNT_INVALID",
    )
    assert {(problem["field"], problem["reason"]) for problem in error["problems"]} == {
        ("input.accounts[1].account", "BAS_ACCOUNT_INVALID"),
        ("input.accounts[2].category", "UNKNOWN_CATEGORY"),
        ("input.accounts[3].category", "DUPLICATE"),
        ("input.accounts[3].account", "BAS_ACCOUNT_INVALID"),
        ("input.accounts[4].name", "TOO_LONG"),
        ("input.accounts[5].name", "UNSUPPORTED_CHARACTER"),
        ("input.accounts[6].account", "BAS_ACCOUNT_INVALID"),
    }
    assert chosen(data(await api(LIST, token=admin.token), "basAccounts")) == {}

    too_many = set_input(*({"category": "OTHER"} for _ in range(len(ExpenseCategory) + 1)))
    error = only_error(await api(SET, too_many, token=admin.token))
    assert (error["field"], error["reason"]) == ("input.accounts", "TOO_MANY")


async def test_the_vouchers_own_vat_and_liability_accounts_are_no_cost_account(
    api: Api, factory: Factory
) -> None:
    """Every voucher debits the deductible VAT to 2641 and credits the gross to 2820: a cost
    booked on either would make a voucher that books the utlägg against itself (debit 2820
    700.00, credit 2820 810.00), so neither is a category's account. 2645 (reverse charge VAT)
    is the books' own entry, never a receipt's cost."""
    company = await factory.company()
    admin = await factory.admin(company)
    wrong = set_input(
        {"category": "OFFICE_SUPPLIES", "account": 2820},
        {"category": "TRAVEL", "account": 2641},
        {"category": "OTHER", "account": 2645},
        {"category": "FOOD", "account": 1250},  # an asset (a computer bought as an utlägg): fine
    )
    error = only_error(await api(SET, wrong, token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "input.accounts[0].account",
        "BAS_ACCOUNT_RESERVED",
    )
    assert [(problem["field"], problem["reason"]) for problem in error["problems"]] == [
        ("input.accounts[0].account", "BAS_ACCOUNT_RESERVED"),
        ("input.accounts[1].account", "BAS_ACCOUNT_RESERVED"),
        ("input.accounts[2].account", "BAS_ACCOUNT_RESERVED"),
    ]
    assert chosen(data(await api(LIST, token=admin.token), "basAccounts")) == {}


# --- who reaches it -----------------------------------------------------------------------------


async def test_a_full_partner_inside_the_company_edits_the_table(
    api: Api, factory: Factory, database: Database
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "FULL"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    assert "errors" not in await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token)

    data(
        await api(SET, set_input({"category": "FUEL", "account": 5612}), token=s.firm_token),
        "setBasAccounts",
    )
    # The client's own admin sees the firm's work.
    listed = data(await api(LIST, token=s.client_token), "basAccounts")
    assert chosen(listed) == {"FUEL": 5612}
    async with database.session() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "BAS_ACCOUNTS_UPDATED")
            )
        ).all()
    assert [(event.company_id, event.actor_firm_id) for event in events] == [
        (s.client_id, s.firm_id)
    ]


async def test_limited_partners_and_employees_have_no_bas_accounts(
    api: Api, factory: Factory
) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    # A LIMITED partner works from the portal: it cannot enter the client's company.
    assert error_codes(await api(ENTER, {"id": gid("Company", s.client_id)}, token=s.firm_token))
    company = await factory.company()
    employee = await factory.staff(company)
    for token in (s.firm_token, employee.token, None):
        for query, variables in (
            (LIST, {}),
            (SET, set_input({"category": "FUEL", "account": 5612})),
        ):
            assert set(error_codes(await api(query, variables, token=token))) == {
                "GRAPHQL_VALIDATION_FAILED"
            }
    assert chosen(data(await api(LIST, token=s.client_token), "basAccounts")) == {}


async def test_another_companys_table_is_out_of_reach(
    api: Api, factory: Factory, database: Database, sql_statements: Any
) -> None:
    mine = await factory.company("Min AB")
    theirs = await factory.company("Annan AB")
    me = await factory.admin(mine)
    they = await factory.admin(theirs)
    data(
        await api(
            SET,
            set_input(
                {"category": "FUEL", "account": 5612, "name": "Drivmedel lastbil"},
                {"category": "TRAVEL", "account": 5810},
            ),
            token=they.token,
        ),
        "setBasAccounts",
    )
    assert chosen(data(await api(LIST, token=me.token), "basAccounts")) == {}
    # Writing touches only the viewer's own company.
    data(
        await api(
            SET,
            set_input({"category": "FUEL", "account": 5611}, {"category": "TRAVEL"}),
            token=me.token,
        ),
        "setBasAccounts",
    )
    async with database.session() as session:
        before = sql_statements.count
        tables = await bas_account_table(session, [mine.id, theirs.id, mine.id])
        assert sql_statements.count - before == 1  # one statement for any number of companies
    assert tables == {
        mine.id: default_account_table() | {ExpenseCategory.FUEL: 5611},
        theirs.id: default_account_table()
        | {ExpenseCategory.FUEL: 5612, ExpenseCategory.TRAVEL: 5810},
    }
    theirs_listed = data(await api(LIST, token=they.token), "basAccounts")
    assert chosen(theirs_listed) == {"FUEL": 5612, "TRAVEL": 5810}
    assert by_category(theirs_listed)["FUEL"]["name"] == "Drivmedel lastbil"
