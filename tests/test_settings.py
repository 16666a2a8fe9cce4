"""Company settings and time codes (SETTINGS): admin only, through HTTP."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.settings import TimeCode
from gql_portal.db.time import TimeEntry
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid

SETTINGS = "{ companySettings { periodKind payDay } }"
UPDATE_SETTINGS = """mutation($input: UpdateCompanySettingsInput!) {
  updateCompanySettings(input: $input) { settings { periodKind payDay updatedAt } } }"""
TIME_CODE_FIELDS = "id code name kind paxmlCode payType unit active"
CREATE_CODE = f"""mutation($input: CreateTimeCodeInput!) {{
  createTimeCode(input: $input) {{ timeCode {{ {TIME_CODE_FIELDS} }} }} }}"""
UPDATE_CODE = f"""mutation($id: ID!, $input: UpdateTimeCodeInput!) {{
  updateTimeCode(id: $id, input: $input) {{ timeCode {{ {TIME_CODE_FIELDS} }} }} }}"""
DEACTIVATE_CODE = "mutation($id: ID!) { deactivateTimeCode(id: $id) { timeCode { code active } } }"
REACTIVATE_CODE = "mutation($id: ID!) { reactivateTimeCode(id: $id) { timeCode { code active } } }"
TIME_CODES = "query($all: Boolean!) { timeCodes(includeInactive: $all) { id code } }"


def new_code(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": "ob1",
        "name": "OB-tillägg kväll",
        "kind": "WORK",
        "paxmlCode": "ob1",
        "payType": "350",
        "unit": "HOURS",
    }
    values.update(overrides)
    return values


async def time_code_id(database: Database, company: Company, code: str) -> int:
    async with database.session() as session:
        found = await session.scalar(
            select(TimeCode.id).where(TimeCode.company_id == company.id, TimeCode.code == code)
        )
    assert found is not None
    return found


async def audit_actions(database: Database, company: Company) -> list[str]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.company_id == company.id)
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


async def test_an_admin_reads_and_changes_the_company_settings(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    body = await api(SETTINGS, token=admin.token)
    assert body["data"]["companySettings"] == {"periodKind": "CALENDAR_MONTH", "payDay": 25}

    changed = await api(UPDATE_SETTINGS, {"input": {"payDay": 27}}, token=admin.token)
    assert "errors" not in changed, changed
    assert changed["data"]["updateCompanySettings"]["settings"]["payDay"] == 27
    assert (await api(SETTINGS, token=admin.token))["data"]["companySettings"]["payDay"] == 27

    for day in (0, 29, 31):
        error = only_error(
            await api(UPDATE_SETTINGS, {"input": {"payDay": day}}, token=admin.token)
        )
        assert (error["code"], error["field"], error["reason"]) == (
            "BAD_USER_INPUT",
            "payDay",
            "OUT_OF_RANGE",
        )
    assert (await api(SETTINGS, token=admin.token))["data"]["companySettings"]["payDay"] == 27
    assert await audit_actions(database, company) == ["COMPANY_SETTINGS_UPDATED"]


async def test_an_admin_creates_a_time_code_that_time_reporting_reads(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    created = await api(CREATE_CODE, {"input": new_code()}, token=admin.token)
    assert "errors" not in created, created
    code = created["data"]["createTimeCode"]["timeCode"]
    assert code == {
        "id": gid("TimeCode", await time_code_id(database, company, "OB1")),
        "code": "OB1",
        "name": "OB-tillägg kväll",
        "kind": "WORK",
        "paxmlCode": "OB1",
        "payType": "350",
        "unit": "HOURS",
        "active": True,
    }
    listed = await api(TIME_CODES, {"all": False}, token=admin.token)
    assert {"id": code["id"], "code": "OB1"} in listed["data"]["timeCodes"]

    swedish = await api(
        CREATE_CODE,
        {"input": new_code(code="OT3", paxmlCode="ÖT3", name="Övertid helg")},
        token=admin.token,
    )
    assert swedish["data"]["createTimeCode"]["timeCode"]["paxmlCode"] == "ÖT3"
    assert await audit_actions(database, company) == ["TIME_CODE_CREATED", "TIME_CODE_CREATED"]


async def test_bad_time_codes_name_every_field(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    wrong = new_code(
        code="för lång kod", name=" ", paxmlCode="XYZ", payType="x" * 21, unit="KILOMETRES"
    )
    error = only_error(await api(CREATE_CODE, {"input": wrong}, token=admin.token))
    assert error["code"] == "BAD_USER_INPUT"
    assert {(problem["field"], problem["reason"]) for problem in error["problems"]} == {
        ("code", "INVALID_CODE"),
        ("name", "REQUIRED"),
        ("paxmlCode", "NOT_A_PAXML_TIME_CODE"),
        ("payType", "TOO_LONG"),
        ("unit", "NOT_A_TIME_UNIT"),
    }
    taken = only_error(await api(CREATE_CODE, {"input": new_code(code="arb")}, token=admin.token))
    assert (taken["field"], taken["reason"]) == ("code", "TAKEN")
    empty_pay_type = only_error(
        await api(CREATE_CODE, {"input": new_code(payType="")}, token=admin.token)
    )
    assert (empty_pay_type["field"], empty_pay_type["reason"]) == ("payType", "REQUIRED")


async def test_an_admin_changes_deactivates_and_reactivates_a_time_code(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    mer = gid("TimeCode", await time_code_id(database, company, "MER"))
    renamed = await api(
        UPDATE_CODE,
        {"id": mer, "input": {"name": "Mertid (deltid)", "payType": "121"}},
        token=admin.token,
    )
    assert "errors" not in renamed, renamed
    assert renamed["data"]["updateTimeCode"]["timeCode"]["name"] == "Mertid (deltid)"
    assert renamed["data"]["updateTimeCode"]["timeCode"]["payType"] == "121"
    taken = only_error(
        await api(UPDATE_CODE, {"id": mer, "input": {"code": "ARB"}}, token=admin.token)
    )
    assert (taken["field"], taken["reason"]) == ("code", "TAKEN")
    not_paxml = only_error(
        await api(UPDATE_CODE, {"id": mer, "input": {"paxmlCode": "MERTID"}}, token=admin.token)
    )
    assert (not_paxml["field"], not_paxml["reason"]) == ("paxmlCode", "NOT_A_PAXML_TIME_CODE")

    off = await api(DEACTIVATE_CODE, {"id": mer}, token=admin.token)
    assert off["data"]["deactivateTimeCode"]["timeCode"] == {"code": "MER", "active": False}
    active_codes = (await api(TIME_CODES, {"all": False}, token=admin.token))["data"]["timeCodes"]
    assert "MER" not in {code["code"] for code in active_codes}
    on = await api(REACTIVATE_CODE, {"id": mer}, token=admin.token)
    assert on["data"]["reactivateTimeCode"]["timeCode"] == {"code": "MER", "active": True}
    assert await audit_actions(database, company) == [
        "TIME_CODE_UPDATED",
        "TIME_CODE_DEACTIVATED",
        "TIME_CODE_REACTIVATED",
    ]


async def test_a_time_code_in_use_keeps_its_kind_and_unit(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    employee = await factory.employee(company)
    arb = await time_code_id(database, company, "ARB")
    now = factory.clock.now()
    async with database.transaction() as session:
        session.add(
            TimeEntry(
                company_id=company.id,
                employee_id=employee.id,
                date=date(2026, 3, 2),
                hours=Decimal("8.00"),
                time_code_id=arb,
                created_at=now,
                updated_at=now,
            )
        )
    refused = only_error(
        await api(
            UPDATE_CODE,
            {"id": gid("TimeCode", arb), "input": {"unit": "DAYS", "kind": "ABSENCE"}},
            token=admin.token,
        )
    )
    assert {(p["field"], p["reason"]) for p in refused["problems"]} == {
        ("kind", "IN_USE"),
        ("unit", "IN_USE"),
    }
    renamed = await api(
        UPDATE_CODE, {"id": gid("TimeCode", arb), "input": {"name": "Arbete"}}, token=admin.token
    )
    assert renamed["data"]["updateTimeCode"]["timeCode"]["name"] == "Arbete"


async def test_another_companys_time_codes_do_not_exist(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    other = await factory.company("Annan AB")
    admin = await factory.admin(mine)
    theirs = gid("TimeCode", await time_code_id(database, other, "ARB"))
    for query, variables in (
        (UPDATE_CODE, {"id": theirs, "input": {"name": "Kapad"}}),
        (DEACTIVATE_CODE, {"id": theirs}),
    ):
        error = only_error(await api(query, variables, token=admin.token))
        assert error["code"] == "NOT_FOUND"
    wrong_type = only_error(
        await api(DEACTIVATE_CODE, {"id": gid("Employee", 1)}, token=admin.token)
    )
    assert (wrong_type["code"], wrong_type["field"]) == ("BAD_USER_INPUT", "id")


async def test_employees_have_no_settings_in_their_schema(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    for query, variables in (
        (SETTINGS, {}),
        (UPDATE_SETTINGS, {"input": {"payDay": 1}}),
        (CREATE_CODE, {"input": new_code()}),
        (DEACTIVATE_CODE, {"id": gid("TimeCode", 1)}),
    ):
        assert set(error_codes(await api(query, variables, token=me.token))) == {
            "GRAPHQL_VALIDATION_FAILED"
        }
    assert set(error_codes(await api(SETTINGS))) == {"GRAPHQL_VALIDATION_FAILED"}
