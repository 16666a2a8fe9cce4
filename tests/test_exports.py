"""Exports through HTTP: a locked period's payroll basis as PAXml 2.0 (validated against the XSD
and reconciled to the öre) and CSV, expenses with receipts as a ZIP, a firm's batch over its
clients, and the signed download links that check the session's rights at every download."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import select, update

from gql_portal import jobs
from gql_portal.clock import FrozenClock
from gql_portal.db.audit import AuditEvent
from gql_portal.db.employees import Employee
from gql_portal.db.engine import Database
from gql_portal.db.payroll import PayrollLine
from gql_portal.db.settings import CompanySettings, PayType
from gql_portal.domain import paxml
from tests.conftest import Api, only_error
from tests.factories import Factory
from tests.test_payroll import LOCK, February, get_period, open_period

XSD = Path(__file__).resolve().parents[1].parent / "shared" / "paxml" / "paxml-2.0.xsd"
EXPORT = """id kind format state progress fileName sizeBytes sha256 lineCount totalAmount
  dateFrom dateTo error createdByName firmName downloadUrl downloadUrlExpiresAt
  payrollPeriod { id state }"""
EXPORT_BASIS = f"""mutation($input: PayrollExportInput!) {{
  exportPayrollBasis(input: $input) {{ export {{ {EXPORT} }} }} }}"""
BASIS_TOTALS = """query($id: ID!) { node(id: $id) { ... on PayrollPeriod {
  state basis { totalAmount lines { amount timeCode hours informational } } } } }"""


async def locked_february(
    api: Api, factory: Factory, database: Database
) -> tuple[Any, February, dict[str, Any]]:
    company = await factory.company("Exportbolaget AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    async with database.transaction() as session:
        for actor, number in ((month.karin, "198503123385"), (month.olle, "197912249183")):
            await session.execute(
                update(Employee)
                .where(Employee.id == actor.employee_id)
                .values(personal_identity_number=number)
            )
    period = await open_period(api, admin.token)
    locked = await api(LOCK, {"id": period["id"]}, token=admin.token)
    assert "errors" not in locked, locked
    return admin, month, period


async def download(api: Api, url: str, *, token: str | None) -> Any:
    """GET a download link as the session `token`: a link works only for the session that
    asked for it."""
    parsed = urlparse(url)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await api.http.get(f"{parsed.path}?{parsed.query}", headers=headers)


def exported(body: dict[str, Any], name: str = "exportPayrollBasis") -> dict[str, Any]:
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"][name]["export"]
    return result


async def test_a_locked_period_exports_to_paxml_that_validates_and_reconciles(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    variables = {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}}
    export = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert (export["kind"], export["format"], export["state"], export["progress"]) == (
        "PAYROLL_BASIS",
        "PAXML",
        "DONE",
        100,
    )
    assert export["fileName"].endswith("_2026-02.xml")
    assert export["payrollPeriod"] == {"id": period["id"], "state": "EXPORTED"}
    assert export["createdByName"] == "Admin Adminsson" and export["firmName"] is None

    response = await download(api, export["downloadUrl"], token=admin.token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert export["fileName"] in response.headers["content-disposition"]
    data = response.content
    assert len(data) == export["sizeBytes"]
    if XSD.exists():
        assert paxml.validate_paxml(io.BytesIO(data), XSD) == []

    # The file reconciles with the payroll basis: every öre, every hour per time code.
    basis = (await api(BASIS_TOTALS, {"id": period["id"]}, token=admin.token))["data"]["node"]
    assert basis["state"] == "EXPORTED"
    document = paxml.read_paxml(io.BytesIO(data))
    basis_total = sum(Decimal(b["totalAmount"]) for b in basis["basis"])
    assert sum(t.belopp or Decimal(0) for t in document.lonetrans) == basis_total
    assert Decimal(export["totalAmount"]) == basis_total
    # Lines without money are time transactions: their hours per time code, exactly; a
    # monthly salary's scheduled hours (informational TID lines) are not in the file.
    sent = [line for b in basis["basis"] for line in b["lines"] if not line["informational"]]
    expected: dict[str, Decimal] = {}
    for line in sent:
        if line["timeCode"] and line["amount"] is None:
            code, hours = line["timeCode"], Decimal(line["hours"])
            expected[code] = expected.get(code, Decimal(0)) + hours
    written: dict[str, Decimal] = {}
    for trans in document.tidtrans:
        written[trans.tidkod] = written.get(trans.tidkod, Decimal(0)) + (trans.timmar or 0)
    assert written == expected and set(written) == {"SEM", "SJK", "VAB", "ÖT1"}
    assert export["lineCount"] == len(sent) == len(document.lonetrans) + len(document.tidtrans)

    # Exporting again is allowed and audited. The file says it replaces the one exported
    # before (nyexport: that export's day and the period), with the same transactions under
    # the same postids (each the frozen line's id), so the program replaces, not adds.
    again = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert again["id"] != export["id"] and again["sha256"] != export["sha256"]
    second = paxml.read_paxml(
        io.BytesIO((await download(api, again["downloadUrl"], token=admin.token)).content)
    )
    assert document.header.nyexport is None
    assert second.header.nyexport == paxml.ReExport(
        earlier_export=date(2026, 3, 2), period_start=date(2026, 2, 1), period_end=date(2026, 2, 28)
    )
    assert (second.lonetrans, second.tidtrans) == (document.lonetrans, document.tidtrans)
    postids = [t.postid for t in (*document.lonetrans, *document.tidtrans)]
    async with database.session() as session:
        frozen = set((await session.scalars(select(PayrollLine.id))).all())
    assert len(set(postids)) == len(postids) and set(postids) <= frozen
    third = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert third["sha256"] == again["sha256"]  # a re-export the same day repeats byte for byte
    async with database.session() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.action.like("PAYROLL_EXPORT%"))
            )
        ).all()
    assert sorted(actions) == [
        "PAYROLL_EXPORTED",
        "PAYROLL_EXPORTED",
        "PAYROLL_EXPORTED",
        "PAYROLL_EXPORT_DOWNLOADED",
        "PAYROLL_EXPORT_DOWNLOADED",
    ]


async def test_the_csv_export_reads_back_in_excel_form(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    export = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "CSV", "decimalComma": True}},
            token=admin.token,
        )
    )
    response = await download(api, export["downloadUrl"], token=admin.token)
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel keeps å ä ö
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) - 1 == export["lineCount"]
    amount = rows[0].index("amount")
    amounts = [row[amount] for row in rows[1:] if row[amount]]
    assert all("." not in amount for amount in amounts)
    total = sum(Decimal(amount.replace(",", ".")) for amount in amounts)
    assert total == Decimal(export["totalAmount"])


async def test_an_open_period_or_a_missing_identity_number_is_refused(
    api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    await February.seed(database, factory, company)
    period = await open_period(api, admin.token)
    refused = only_error(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "PAXML"}},
            token=admin.token,
        )
    )
    assert (refused["code"], refused["field"], refused["problems"][0]["reason"]) == (
        "BAD_USER_INPUT",
        "periodId",
        "NOT_LOCKED",
    )
    await api(LOCK, {"id": period["id"]}, token=admin.token)
    missing = only_error(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "PAXML"}},
            token=admin.token,
        )
    )
    assert missing["problems"][0]["reason"] == "MISSING_PERSONAL_IDENTITY_NUMBER"
    assert "Karin" in missing["problems"][0]["message"]


async def test_a_download_link_expires_and_cannot_be_altered(
    api: Api, factory: Factory, database: Database, clock: FrozenClock
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    export = exported(
        await api(
            EXPORT_BASIS, {"input": {"periodId": period["id"], "format": "CSV"}}, token=admin.token
        )
    )
    url = export["downloadUrl"]
    tampered = url.replace("expires=", "expires=9")
    assert (await download(api, tampered, token=admin.token)).status_code == 404
    clock.advance(timedelta(minutes=11))
    expired = await download(api, url, token=admin.token)
    assert expired.status_code == 410
    assert expired.json()["errors"][0]["extensions"]["code"] == "LINK_EXPIRED"


async def test_a_basis_of_many_chunks_streams_into_the_same_file(
    api: Api, factory: Factory, database: Database, monkeypatch: Any
) -> None:
    """The job streams lines chunk by chunk (memory holds one chunk): a file written in chunks
    of 3 lines is the file written in one go."""
    admin, _, period = await locked_february(api, factory, database)
    variables = {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}}
    exported(await api(EXPORT_BASIS, variables, token=admin.token))
    whole = exported(await api(EXPORT_BASIS, variables, token=admin.token))  # both re-exports
    monkeypatch.setattr(jobs.exports.basis, "CHUNK_ROWS", 3)
    chunked = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    assert chunked["lineCount"] == whole["lineCount"] > 3 * 5
    assert chunked["sha256"] == whole["sha256"]


async def test_the_file_carries_the_companys_lonart_per_code_and_its_encoding(
    api: Api, factory: Factory, database: Database
) -> None:
    """The pay-type table gives the lonart beside the standard code (a code without one goes
    out with its code alone); the company's encoding setting is the file's."""
    company = await factory.company("Kodbolaget AB")
    admin = await factory.admin(company)
    month = await February.seed(database, factory, company)
    now = factory.clock.now()
    async with database.transaction() as session:
        session.add_all(
            PayType(company_id=company.id, code=code, lonart=lonart, created_at=now, updated_at=now)
            for code, lonart in (("TIMLÖN", "011"), ("UTLÄGG", "7300"), ("ÖT1", "310b"))
        )
        await session.execute(
            update(CompanySettings)
            .where(CompanySettings.company_id == company.id)
            .values(paxml_encoding="ISO-8859-1")
        )
        for actor, number in ((month.karin, "198503123385"), (month.olle, "197912249183")):
            await session.execute(
                update(Employee)
                .where(Employee.id == actor.employee_id)
                .values(personal_identity_number=number)
            )
    period = await open_period(api, admin.token)
    assert "errors" not in await api(LOCK, {"id": period["id"]}, token=admin.token)
    variables = {"input": {"periodId": period["id"], "format": "PAXML", "exportDate": "2026-03-02"}}
    export = exported(await api(EXPORT_BASIS, variables, token=admin.token))
    data = (await download(api, export["downloadUrl"], token=admin.token)).content
    assert data.startswith(b'<?xml version="1.0" encoding="ISO-8859-1"?>')
    if XSD.exists():
        assert paxml.validate_paxml(io.BytesIO(data), XSD) == []
    document = paxml.read_paxml(io.BytesIO(data))
    pairs = {(t.lonkod, t.lonart) for t in document.lonetrans}
    assert pairs == {("TIMLÖN", "011"), ("UTLÄGG", "7300"), ("MILPRI_FRI", None)}
    assert {t.tidkod for t in document.tidtrans} == {"SEM", "SJK", "VAB", "ÖT1"}
    basis = (await get_period(api, admin.token, period["id"]))["basis"]
    overtime = [line for b in basis for line in b["lines"] if line["code"] == "ÖT1"]
    assert overtime and {line["payType"] for line in overtime} == {"310b"}
