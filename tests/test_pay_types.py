"""The company's pay-type table (lönearter), the presets per payroll program and the PAXml
export's encoding (SETTINGS): the standard codes are the XSD's, and the table is edited through
HTTP by the company's admin and FULL partners inside the company, nobody else."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from gql_portal.db.accounts import Company
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.settings import paxml_encodings, pay_type_table, pay_type_tables
from gql_portal.domain.paytypes import (
    CODE_NAMES,
    CODE_ORDER,
    DEFAULT_CODES,
    LONKOD,
    MAX_LONART_LENGTH,
    PAYROLL_PROGRAM_PRESETS,
    PAYROLL_PROGRAMS,
    STANDARD_CODES,
    TIDKOD,
    PayCodeKind,
    code_kind,
    lonart_for,
    pay_code,
)
from gql_portal.domain.time import PAXML_TIME_CODES
from tests.conftest import Api, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ACCEPT, ENTER, INVITE, collaboration_of, setting

PAXML_DIR = Path(__file__).parents[1].parent / "shared" / "paxml"
XS = "{http://www.w3.org/2001/XMLSchema}"

PAY_TYPES = "query($all: Boolean!) { payTypes(all: $all) { code name kind lonart } }"
PROGRAMS = "{ payrollPrograms { program name description payTypes { code lonart } } }"
EXPORT_SETTINGS = "{ companySettings { paxmlEncoding payrollProgram } }"
PAYLOAD = "payTypes { code lonart } settings { payrollProgram paxmlEncoding }"
SET = f"""mutation($input: SetPayTypesInput!) {{ setPayTypes(input: $input) {{ {PAYLOAD} }} }}"""
APPLY = f"""mutation($p: String!) {{ applyPayrollProgramPreset(program: $p) {{ {PAYLOAD} }} }}"""
ENCODING = """mutation($e: PaxmlEncoding!) { updateCompanySettings(input: {paxmlEncoding: $e}) {
  settings { paxmlEncoding } } }"""


def mapped(pay_types: list[dict[str, Any]]) -> dict[str, str]:
    """code -> lonart of the listed codes that have one."""
    return {item["code"]: item["lonart"] for item in pay_types if item["lonart"] is not None}


def set_input(*pairs: tuple[str, str | None]) -> dict[str, Any]:
    return {"input": {"payTypes": [{"code": code, "lonart": lonart} for code, lonart in pairs]}}


def data(body: dict[str, Any], name: str) -> Any:
    assert "errors" not in body, body
    return body["data"][name]


async def audit_rows(database: Database, company: Company) -> list[AuditEvent]:
    async with database.session() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.company_id == company.id, AuditEvent.action.like("PAY_TYPES%"))
            .order_by(AuditEvent.id)
        )
        return list(rows.all())


# --- the standard codes -------------------------------------------------------------------------


def enumeration(schema: ET.Element, type_name: str) -> frozenset[str]:
    simple_type = schema.find(f"{XS}simpleType[@name='{type_name}']")
    assert simple_type is not None, type_name
    return frozenset(value.attrib["value"] for value in simple_type.iter(f"{XS}enumeration"))


def test_the_codes_are_exactly_the_xsd_enumerations() -> None:
    path = PAXML_DIR / "paxml-2.0.xsd"
    if not path.is_file():
        pytest.skip(f"the PAXml 2.0 schema is not at {path} (../shared/paxml beside the checkout)")
    schema = ET.parse(path).getroot()  # the file declares ISO-8859-1 itself
    assert enumeration(schema, "tidkodTYPE") == TIDKOD
    assert enumeration(schema, "lonekodTYPE") == LONKOD
    assert PAXML_TIME_CODES == TIDKOD  # what time codes may map to


def test_every_code_has_a_name_a_kind_and_a_place_in_the_order() -> None:
    assert set(CODE_NAMES) == STANDARD_CODES
    assert sorted(CODE_ORDER) == sorted(STANDARD_CODES)
    assert CODE_NAMES["ÖT1"] == "Övertid 1 (enkel)"
    assert CODE_NAMES["SJK"] == "Sjukfrånvaro"
    assert CODE_NAMES["MILPRI_FRI"] == "Milersättning egen bil, skattefri"
    assert CODE_NAMES["UTLÄGG"] == "Utlägg"
    assert (code_kind("SJK"), code_kind("ÖT1"), code_kind("UTLÄGG")) == (
        PayCodeKind.TIME,
        PayCodeKind.TIME,  # a time code that may also be a pay code
        PayCodeKind.MONEY,
    )
    assert (pay_code(" öt1 "), pay_code("milpri_fri"), pay_code("OT1")) == (
        "ÖT1",
        "MILPRI_FRI",
        None,
    )


def test_the_portals_own_codes_and_the_presets_are_standard_codes() -> None:
    must = {"ARB", "TIMLÖN", "MÅNLÖN", "MER", "JR1", "BE1", "SJK", "SEM", "VAB", "FPE", "TJL"}
    must |= {"PER", "UTB", "KOM", "UTLÄGG", "MILPRI_FRI", "MILPRI_SKT", "MILFTG_FRI"}
    must |= {"MILFTG_SKT", "MILEL_FRI", "MIL_SKT"}
    must |= {f"ÖT{n}" for n in range(1, 6)} | {f"OB{n}" for n in range(1, 6)}
    assert must <= DEFAULT_CODES <= STANDARD_CODES
    assert PAYROLL_PROGRAM_PRESETS["PAXML_ONLY"] == {}
    assert set(PAYROLL_PROGRAM_PRESETS) == {program.key for program in PAYROLL_PROGRAMS}
    for table in PAYROLL_PROGRAM_PRESETS.values():
        assert set(table) <= STANDARD_CODES
        assert all(0 < len(lonart) <= MAX_LONART_LENGTH for lonart in table.values())


def test_lonart_for_reads_the_table_and_nothing_else() -> None:
    table = {"ÖT1": "310", "SJK": ""}
    assert lonart_for("ÖT1", table) == "310"
    assert lonart_for("SJK", table) is None  # an empty pay type is none
    assert lonart_for("UTLÄGG", table) is None
    assert lonart_for("ÖT1", PAYROLL_PROGRAM_PRESETS["FORTNOX_LON"]) == "ÖB1"


# --- reading ------------------------------------------------------------------------------------


async def test_a_new_company_has_no_pay_types_but_lists_the_codes_it_uses(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    listed = data(await api(PAY_TYPES, {"all": False}, token=admin.token), "payTypes")
    assert {item["code"] for item in listed} == DEFAULT_CODES  # the default time codes' too
    assert mapped(listed) == {}
    by_code = {item["code"]: item for item in listed}
    assert by_code["ÖT1"] == {
        "code": "ÖT1",
        "name": "Övertid 1 (enkel)",
        "kind": "TIME",
        "lonart": None,
    }
    assert by_code["MILEL_FRI"]["kind"] == "MONEY"
    assert [item["code"] for item in listed] == [c for c in CODE_ORDER if c in DEFAULT_CODES]

    every = data(await api(PAY_TYPES, {"all": True}, token=admin.token), "payTypes")
    assert [item["code"] for item in every] == list(CODE_ORDER)

    settings = data(await api(EXPORT_SETTINGS, token=admin.token), "companySettings")
    assert settings == {"paxmlEncoding": "UTF_8", "payrollProgram": None}


async def test_a_time_code_mapped_to_another_standard_code_is_listed(
    api: Api, factory: Factory
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    travel = """mutation { createTimeCode(input: {code: "RES", name: "Restid", kind: WORK,
      paxmlCode: "RE1", payType: "370", unit: HOURS}) { timeCode { paxmlCode } } }"""
    assert "errors" not in await api(travel, token=admin.token)
    listed = data(await api(PAY_TYPES, {"all": False}, token=admin.token), "payTypes")
    assert "RE1" in {item["code"] for item in listed}


async def test_the_presets_are_offered_for_a_picker(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    programs = data(await api(PROGRAMS, token=admin.token), "payrollPrograms")
    assert [program["program"] for program in programs] == [p.key for p in PAYROLL_PROGRAMS]
    by_key = {program["program"]: program for program in programs}
    assert by_key["PAXML_ONLY"]["payTypes"] == []
    assert mapped(by_key["FORTNOX_LON"]["payTypes"]) == PAYROLL_PROGRAM_PRESETS["FORTNOX_LON"]
    assert all(program["name"] and program["description"] for program in programs)


# --- writing ------------------------------------------------------------------------------------


async def test_an_admin_sets_adjusts_and_clears_pay_types(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    changed = data(
        await api(
            SET,
            set_input(("öt1", " 310 "), ("UTLÄGG", "810"), ("INRHEL_FRI", "720")),
            token=admin.token,
        ),
        "setPayTypes",
    )
    expected = {"ÖT1": "310", "UTLÄGG": "810", "INRHEL_FRI": "720"}
    assert mapped(changed["payTypes"]) == expected  # a mapped code is listed too (INRHEL_FRI)
    listed = data(await api(PAY_TYPES, {"all": False}, token=admin.token), "payTypes")
    assert mapped(listed) == expected

    # Codes left out keep theirs; an empty or null pay type clears the code.
    changed = data(
        await api(
            SET, set_input(("ÖT1", "311"), ("UTLÄGG", ""), ("INRHEL_FRI", None)), token=admin.token
        ),
        "setPayTypes",
    )
    assert mapped(changed["payTypes"]) == {"ÖT1": "311"}
    assert "INRHEL_FRI" not in {item["code"] for item in changed["payTypes"]}
    # Setting what is already there changes nothing and records nothing.
    data(await api(SET, set_input(("ÖT1", "311"), ("SJK", None)), token=admin.token), "setPayTypes")

    events = await audit_rows(database, company)
    assert [(event.action, event.details) for event in events] == [
        ("PAY_TYPES_UPDATED", {"set": expected, "cleared": []}),
        ("PAY_TYPES_UPDATED", {"set": {"ÖT1": "311"}, "cleared": ["INRHEL_FRI", "UTLÄGG"]}),
    ]
    async with database.session() as session:
        assert await pay_type_table(session, company.id) == {"ÖT1": "311"}


async def test_bad_pay_types_name_the_item_and_write_nothing(api: Api, factory: Factory) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    wrong = set_input(
        ("ARB", "100"),
        ("SJK", "x" * (MAX_LONART_LENGTH + 1)),
        ("OT1", "310"),  # not a PAXml code (ÖT1 is)
        ("ARB", "101"),
        ("MER", "12\n0"),  # whitespace inside is kept, control characters are not
        ("MER", "€"),
    )
    error = only_error(await api(SET, wrong, token=admin.token))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "input.payTypes[1].lonart",
        "TOO_LONG",
    )
    assert {(problem["field"], problem["reason"]) for problem in error["problems"]} == {
        ("input.payTypes[1].lonart", "TOO_LONG"),
        ("input.payTypes[2].code", "NOT_A_PAXML_CODE"),
        ("input.payTypes[3].code", "DUPLICATE"),
        ("input.payTypes[4].lonart", "UNSUPPORTED_CHARACTER"),
        ("input.payTypes[5].code", "DUPLICATE"),
        ("input.payTypes[5].lonart", "UNSUPPORTED_CHARACTER"),
    }
    listed = data(await api(PAY_TYPES, {"all": False}, token=admin.token), "payTypes")
    assert mapped(listed) == {}

    unknown = only_error(await api(APPLY, {"p": "VISMA_9000"}, token=admin.token))
    assert (unknown["code"], unknown["field"], unknown["reason"]) == (
        "BAD_USER_INPUT",
        "program",
        "UNKNOWN_PAYROLL_PROGRAM",
    )


async def test_a_preset_replaces_the_table_and_is_then_adjusted(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    data(await api(SET, set_input(("BONUS", "150")), token=admin.token), "setPayTypes")

    applied = data(
        await api(APPLY, {"p": "PORTAL_PREVIOUS"}, token=admin.token), "applyPayrollProgramPreset"
    )
    assert mapped(applied["payTypes"]) == PAYROLL_PROGRAM_PRESETS["PORTAL_PREVIOUS"]  # no BONUS
    assert applied["settings"] == {"payrollProgram": "PORTAL_PREVIOUS", "paxmlEncoding": "UTF_8"}

    adjusted = data(
        await api(SET, set_input(("ÖT1", "315"), ("MILPRI_FRI", None)), token=admin.token),
        "setPayTypes",
    )
    expected = PAYROLL_PROGRAM_PRESETS["PORTAL_PREVIOUS"] | {"ÖT1": "315"}
    del expected["MILPRI_FRI"]
    assert mapped(adjusted["payTypes"]) == expected
    assert adjusted["settings"]["payrollProgram"] == "PORTAL_PREVIOUS"  # the preset it came from

    emptied = data(
        await api(APPLY, {"p": "paxml_only"}, token=admin.token), "applyPayrollProgramPreset"
    )
    assert mapped(emptied["payTypes"]) == {}
    assert emptied["settings"]["payrollProgram"] == "PAXML_ONLY"
    settings = data(await api(EXPORT_SETTINGS, token=admin.token), "companySettings")
    assert settings["payrollProgram"] == "PAXML_ONLY"

    events = await audit_rows(database, company)
    assert [event.action for event in events] == [
        "PAY_TYPES_UPDATED",
        "PAY_TYPES_PRESET_APPLIED",
        "PAY_TYPES_UPDATED",
        "PAY_TYPES_PRESET_APPLIED",
    ]
    assert events[1].details == {
        "program": "PORTAL_PREVIOUS",
        "pay_types": PAYROLL_PROGRAM_PRESETS["PORTAL_PREVIOUS"],
    }


async def test_the_paxml_encoding_is_a_company_setting(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    changed = data(
        await api(ENCODING, {"e": "ISO_8859_1"}, token=admin.token), "updateCompanySettings"
    )
    assert changed == {"settings": {"paxmlEncoding": "ISO_8859_1"}}
    settings = data(await api(EXPORT_SETTINGS, token=admin.token), "companySettings")
    assert settings["paxmlEncoding"] == "ISO_8859_1"
    refused = await api(ENCODING, {"e": "UTF-16"}, token=admin.token)
    assert error_codes(refused) == ["BAD_USER_INPUT"]

    other = await factory.company("Annan AB")
    async with database.session() as session:
        assert await paxml_encodings(session, [company.id, other.id]) == {
            company.id: "ISO-8859-1",
            other.id: "UTF-8",
        }
        event = await session.scalar(
            select(AuditEvent).where(
                AuditEvent.company_id == company.id,
                AuditEvent.action == "COMPANY_SETTINGS_UPDATED",
            )
        )
    assert event is not None and event.details == {"fields": ["paxml_encoding"]}


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

    applied = data(
        await api(APPLY, {"p": "FORTNOX_LON"}, token=s.firm_token), "applyPayrollProgramPreset"
    )
    assert mapped(applied["payTypes"]) == PAYROLL_PROGRAM_PRESETS["FORTNOX_LON"]
    data(await api(SET, set_input(("UTLÄGG", "810")), token=s.firm_token), "setPayTypes")
    # The client's own admin sees the firm's work.
    listed = data(await api(PAY_TYPES, {"all": False}, token=s.client_token), "payTypes")
    assert mapped(listed) == PAYROLL_PROGRAM_PRESETS["FORTNOX_LON"] | {"UTLÄGG": "810"}
    async with database.session() as session:
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action.like("PAY_TYPES%")))
        ).all()
    assert {(event.company_id, event.actor_firm_id) for event in events} == {
        (s.client_id, s.firm_id)
    }


async def test_limited_partners_and_employees_have_no_pay_types(api: Api, factory: Factory) -> None:
    s = await setting(factory)
    invited = collaboration_of(
        await api(INVITE, {"n": s.firm_number, "l": "LIMITED"}, token=s.client_token), "inviteFirm"
    )
    collaboration_of(
        await api(ACCEPT, {"id": invited["id"]}, token=s.firm_token), "acceptCollaboration"
    )
    company = await factory.company()
    employee = await factory.staff(company)
    for token in (s.firm_token, employee.token):
        for query, variables in (
            (PAY_TYPES, {"all": True}),
            (PROGRAMS, {}),
            (EXPORT_SETTINGS, {}),
            (SET, set_input(("ÖT1", "310"))),
            (APPLY, {"p": "PAXML_ONLY"}),
            (ENCODING, {"e": "ISO_8859_1"}),
        ):
            assert set(error_codes(await api(query, variables, token=token))) == {
                "GRAPHQL_VALIDATION_FAILED"
            }
    assert set(error_codes(await api(PAY_TYPES, {"all": False}))) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_another_companys_table_is_out_of_reach(
    api: Api, factory: Factory, database: Database
) -> None:
    mine = await factory.company("Min AB")
    theirs = await factory.company("Annan AB")
    me = await factory.admin(mine)
    they = await factory.admin(theirs)
    data(await api(SET, set_input(("ÖT1", "310"), ("SJK", "410")), token=they.token), "setPayTypes")

    listed = data(await api(PAY_TYPES, {"all": True}, token=me.token), "payTypes")
    assert mapped(listed) == {}
    # Writing and applying a preset touch only the viewer's own company.
    data(await api(SET, set_input(("ÖT1", "999"), ("SJK", None)), token=me.token), "setPayTypes")
    data(await api(APPLY, {"p": "PAXML_ONLY"}, token=me.token), "applyPayrollProgramPreset")
    async with database.session() as session:
        assert await pay_type_tables(session, [mine.id, theirs.id]) == {
            mine.id: {},
            theirs.id: {"ÖT1": "310", "SJK": "410"},
        }
    theirs_listed = data(await api(PAY_TYPES, {"all": False}, token=they.token), "payTypes")
    assert mapped(theirs_listed) == {"ÖT1": "310", "SJK": "410"}
    settings = data(await api(EXPORT_SETTINGS, token=they.token), "companySettings")
    assert settings["payrollProgram"] is None
