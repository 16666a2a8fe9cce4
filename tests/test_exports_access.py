"""Who may export, who sees an export, and who may still download it, through HTTP.

- A partner (LIMITED or FULL) exports a client's locked period in the portal; the client's admin
  sees that export with the firm's name; the signed link works until the collaboration ends.
- A FULL partner logged in to the client's company exports as that firm: the client's audit
  trail names the firm.
- An employee has no export in their schema; another company's admin finds neither the period
  nor the export; a link is bound to the session it was made for.
- The `exports` list costs the same SQL statements for 3 exports as for 30.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from sqlalchemy import select

from gql_portal.auth import SESSION_COOKIE
from gql_portal.db.accounts import AuthSession, Company, User
from gql_portal.db.audit import AuditEvent
from gql_portal.db.engine import Database
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.domain.accounts import Role, SessionContext
from gql_portal.domain.identity import format_organisation_number
from gql_portal.domain.payroll import PeriodState
from gql_portal.permissions.matrix import Area
from tests.conftest import Api, StatementCounter, error_codes, only_error
from tests.factories import Factory, gid
from tests.test_collaborations import ACCEPT, AUDIT, CHANGE, END, ENTER, INVITE, collaboration_of
from tests.test_exports import EXPORT_BASIS, download, exported, locked_february
from tests.test_payroll import row_id

EXPORTS = """query($companyId: ID) { exports(companyId: $companyId) {
  edges { node { id kind state fileName firmName createdByName } } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on Export { id state firmName downloadUrl } } }"""
EXPORT_EXPENSES = """mutation($input: ExpenseExportInput!) {
  exportExpenses(input: $input) { export { id state } } }"""
PAXML_FEB = {"format": "PAXML", "exportDate": "2026-03-02"}


@dataclass
class Partner:
    """A firm's user logged in to the portal, and the firm's collaboration with one client."""

    firm_id: int
    user_id: int
    token: str
    collaboration_id: str


async def partner_of(api: Api, factory: Factory, client_token: str, level: str) -> Partner:
    """Byrån AB, invited by the client at `level` and accepting: an ACTIVE collaboration."""
    firm = await factory.company("Byrån AB", firm=True)
    user = await factory.user(firm, Role.ADMIN, name="Birgitta Byrå")
    token = await factory.log_in(user, firm, SessionContext.PORTAL)
    number = format_organisation_number(firm.organisation_number)
    invited = collaboration_of(
        await api(INVITE, {"n": number, "l": level}, token=client_token), "inviteFirm"
    )
    collaboration_of(await api(ACCEPT, {"id": invited["id"]}, token=token), "acceptCollaboration")
    return Partner(firm.id, user.id, token, invited["id"])


def export_nodes(body: dict[str, Any]) -> list[dict[str, Any]]:
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["exports"]["edges"]]


async def test_a_limited_partner_exports_in_the_portal_until_the_client_ends_the_collaboration(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    partner = await partner_of(api, factory, admin.token, "LIMITED")

    made = exported(
        await api(
            EXPORT_BASIS, {"input": {"periodId": period["id"], **PAXML_FEB}}, token=partner.token
        )
    )
    assert (made["state"], made["firmName"], made["createdByName"]) == (
        "DONE",
        "Byrån AB",
        "Birgitta Byrå",
    )
    assert made["payrollPeriod"] == {"id": period["id"], "state": "EXPORTED"}

    # The client's admin sees the export the firm made of its data, with the firm's name.
    assert export_nodes(await api(EXPORTS, token=admin.token)) == [
        {
            "id": made["id"],
            "kind": "PAYROLL_BASIS",
            "state": "DONE",
            "fileName": made["fileName"],
            "firmName": "Byrån AB",
            "createdByName": "Birgitta Byrå",
        }
    ]
    # ... and so does the firm, narrowed to that client.
    client = {"companyId": gid("Company", admin.company_id)}
    assert [e["id"] for e in export_nodes(await api(EXPORTS, client, token=partner.token))] == [
        made["id"]
    ]

    response = await download(api, made["downloadUrl"], token=partner.token)
    assert response.status_code == 200, response.text
    assert hashlib.sha256(response.content).hexdigest() == made["sha256"]
    # The client's audit trail has the firm's export and its download.
    trail = await api(AUDIT, {"firm": gid("Company", partner.firm_id)}, token=admin.token)
    assert "errors" not in trail, trail
    assert [
        (edge["node"]["action"], edge["node"]["actorFirmName"])
        for edge in trail["data"]["auditEvents"]["edges"]
        if edge["node"]["action"].startswith("PAYROLL_EXPORT")
    ] == [("PAYROLL_EXPORT_DOWNLOADED", "Byrån AB"), ("PAYROLL_EXPORTED", "Byrån AB")]

    # The client ends the collaboration: from the next request on, the client's export does not
    # exist for the firm. The link answers 404, not 403: the row is out of the session's reach
    # (row scoping hides it, exactly like every other row of a former client), so even its
    # existence is not confirmed.
    collaboration_of(
        await api(END, {"id": partner.collaboration_id}, token=admin.token), "endCollaboration"
    )
    gone = await download(api, made["downloadUrl"], token=partner.token)
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert error_codes(await api(NODE, {"id": made["id"]}, token=partner.token)) == ["NOT_FOUND"]
    assert export_nodes(await api(EXPORTS, token=partner.token)) == []
    # The client keeps its export, and downloads it with a link of its own.
    [own] = export_nodes(await api(EXPORTS, token=admin.token))
    assert own["id"] == made["id"]
    link = (await api(NODE, {"id": made["id"]}, token=admin.token))["data"]["node"]["downloadUrl"]
    assert (await download(api, link, token=admin.token)).status_code == 200


async def test_a_level_change_from_full_to_limited_keeps_a_limited_download(
    api: Api, factory: Factory, database: Database
) -> None:
    """Exporting the payroll basis is LIMITED work: a downgrade takes nothing away from it,
    whether the export was made in the portal or inside the client's company."""
    admin, _, period = await locked_february(api, factory, database)
    partner = await partner_of(api, factory, admin.token, "FULL")
    variables = {"input": {"periodId": period["id"], **PAXML_FEB}}
    in_portal = exported(await api(EXPORT_BASIS, variables, token=partner.token))
    entered = await api(ENTER, {"id": gid("Company", admin.company_id)}, token=partner.token)
    assert entered["data"]["enterClientCompany"]["viewer"]["context"] == "COMPANY", entered
    inside = exported(await api(EXPORT_BASIS, variables, token=partner.token))
    # the same data: the same transactions (the second file says it is a re-export: nyexport)
    assert inside["lineCount"] == in_portal["lineCount"]

    collaboration_of(
        await api(CHANGE, {"id": partner.collaboration_id, "l": "LIMITED"}, token=admin.token),
        "changeCollaborationLevel",
    )
    for made in (in_portal, inside):
        response = await download(api, made["downloadUrl"], token=partner.token)
        assert response.status_code == 200, response.text
        assert hashlib.sha256(response.content).hexdigest() == made["sha256"]
    # Back in the portal (the session left the company with the downgrade), both are listed.
    listed = export_nodes(await api(EXPORTS, token=partner.token))
    assert [e["id"] for e in listed] == [inside["id"], in_portal["id"]]


async def test_a_full_partner_inside_the_company_exports_as_the_firm_and_the_client_sees_it(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, _, period = await locked_february(api, factory, database)
    partner = await partner_of(api, factory, admin.token, "FULL")
    entered = await api(ENTER, {"id": gid("Company", admin.company_id)}, token=partner.token)
    assert entered["data"]["enterClientCompany"]["viewer"]["role"] == "ADMIN", entered
    made = exported(
        await api(
            EXPORT_BASIS,
            {"input": {"periodId": period["id"], "format": "CSV"}},
            token=partner.token,
        )
    )
    assert made["firmName"] == "Byrån AB"

    async with database.session() as session:
        [event] = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "PAYROLL_EXPORTED"))
        ).all()
    assert (event.company_id, event.actor_firm_id, event.actor_user_id, event.area) == (
        admin.company_id,
        partner.firm_id,
        partner.user_id,
        Area.PAYROLL_BASIS.value,
    )
    assert event.details["export_id"] == row_id(made["id"])
    assert event.details["file_name"] == made["fileName"]

    # The client's admin sees it in the company's audit trail, filtered by firm and area.
    trail = await api(
        AUDIT,
        {"firm": gid("Company", partner.firm_id), "area": "PAYROLL_BASIS"},
        token=admin.token,
    )
    assert "errors" not in trail, trail
    exports = [
        edge["node"]
        for edge in trail["data"]["auditEvents"]["edges"]
        if edge["node"]["action"] == "PAYROLL_EXPORTED"
    ]
    assert len(exports) == 1
    assert (exports[0]["actorFirmName"], exports[0]["actorName"], exports[0]["area"]) == (
        "Byrån AB",
        "Birgitta Byrå",
        "PAYROLL_BASIS",
    )
    details = json.loads(exports[0]["details"])
    assert (details["format"], details["export_id"]) == ("CSV", row_id(made["id"]))


async def session_id_of(database: Database, user_id: int) -> int:
    async with database.session() as session:
        found = await session.scalar(select(AuthSession.id).where(AuthSession.user_id == user_id))
    assert found is not None
    return int(found)


async def test_employees_other_companies_and_other_sessions_reach_no_export(
    api: Api, factory: Factory, database: Database
) -> None:
    admin, month, period = await locked_february(api, factory, database)
    made = exported(
        await api(
            EXPORT_BASIS, {"input": {"periodId": period["id"], **PAXML_FEB}}, token=admin.token
        )
    )
    employee = month.karin  # factory.staff: an employee who can log in

    # Exporting is not an employee's: the mutations are not in the employee schema at all (the
    # per-role schemas), so no FORBIDDEN can even be reached; the refusal is the validation.
    for query, variables in (
        (EXPORT_BASIS, {"input": {"periodId": period["id"], "format": "PAXML"}}),
        (EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}),
    ):
        refused = await api(query, variables, token=employee.token)
        assert set(error_codes(refused)) == {"GRAPHQL_VALIDATION_FAILED"}
        assert refused["data"] is None
    # Export records are seen by those who may export (PAYROLL_BASIS export): not in the
    # employee's schema at all, and the node does not exist for them.
    assert error_codes(await api(EXPORTS, token=employee.token)) == ["GRAPHQL_VALIDATION_FAILED"]
    bare = "query($id: ID!) { node(id: $id) { id } }"
    assert error_codes(await api(bare, {"id": made["id"]}, token=employee.token)) == ["NOT_FOUND"]

    # Another company's admin: neither the period nor the export exists.
    other_company = await factory.company("Annat AB")
    other = await factory.admin(other_company)
    for query, variables in (
        (EXPORT_BASIS, {"input": {"periodId": period["id"], "format": "PAXML"}}),
        (EXPORT_EXPENSES, {"input": {"periodId": period["id"]}}),
    ):
        missing = only_error(await api(query, variables, token=other.token))
        assert (missing["code"], missing["field"]) == ("NOT_FOUND", "periodId")
    assert error_codes(await api(NODE, {"id": made["id"]}, token=other.token)) == ["NOT_FOUND"]
    assert export_nodes(await api(EXPORTS, token=other.token)) == []
    async with database.session() as session:
        assert (await session.scalar(select(PayrollPeriod.state))) is PeriodState.EXPORTED
        assert len((await session.scalars(select(Export))).all()) == 1  # nothing was made

    # A link names its session and is signed for it: another session's id in it fails (404,
    # like any link whose signature does not match), whoever's session that is.
    parsed = urlparse(made["downloadUrl"])
    params = {key: values[0] for key, values in parse_qs(parsed.query).items()}
    assert int(params["session"]) == await session_id_of(database, admin.user_id)
    for session_id in (
        await session_id_of(database, other.user_id),
        await session_id_of(database, employee.user_id),
    ):
        swapped = urlencode({**params, "session": session_id})
        response = await download(api, f"{parsed.path}?{swapped}", token=other.token)
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert (await download(api, made["downloadUrl"], token=admin.token)).status_code == 200


async def test_a_download_link_works_only_with_the_session_that_asked_for_it(
    api: Api, factory: Factory, database: Database
) -> None:
    """The link is signed and expires, and in addition the download must present the very
    session it was made for, by bearer token or cookie: without a session 401; with any other
    session (another user's, or the same admin's second session) 404, like a link whose
    signature does not match. Only the asking session's downloads are sent and audited."""
    admin, _, period = await locked_february(api, factory, database)
    made = exported(
        await api(
            EXPORT_BASIS, {"input": {"periodId": period["id"], **PAXML_FEB}}, token=admin.token
        )
    )
    url = made["downloadUrl"]
    async with database.session() as session:
        admin_user = await session.get_one(User, admin.user_id)
        company = await session.get_one(Company, admin.company_id)
    second_session = await factory.log_in(admin_user, company)
    colleague = await factory.admin(company)

    # Anyone merely holding the link: 401, with a coded error and the request id.
    for token in (None, "not-a-session"):
        anonymous = await download(api, url, token=token)
        assert anonymous.status_code == 401, anonymous.text
        [error] = anonymous.json()["errors"]
        assert error["extensions"] == {
            "code": "UNAUTHENTICATED",
            "requestId": anonymous.headers["x-request-id"],
        }
        assert "session" in error["message"]
        assert "content-disposition" not in anonymous.headers
    # Another session, even the same user's: 404.
    for token in (second_session, colleague.token):
        other = await download(api, url, token=token)
        assert other.status_code == 404, other.text
        assert other.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        assert "content-disposition" not in other.headers

    # The asking session, by bearer token or by cookie (a browser following the link).
    by_bearer = await download(api, url, token=admin.token)
    assert by_bearer.status_code == 200, by_bearer.text
    assert hashlib.sha256(by_bearer.content).hexdigest() == made["sha256"]
    parsed = urlparse(url)
    api.http.cookies.set(SESSION_COOKIE, admin.token)
    try:
        by_cookie = await api.http.get(f"{parsed.path}?{parsed.query}")
    finally:
        api.http.cookies.clear()
    assert by_cookie.status_code == 200, by_cookie.text
    assert by_cookie.content == by_bearer.content

    # Only the two real downloads are audited.
    async with database.session() as session:
        downloads = (
            await session.scalars(
                select(AuditEvent.actor_user_id).where(
                    AuditEvent.action == "PAYROLL_EXPORT_DOWNLOADED"
                )
            )
        ).all()
    assert downloads == [admin.user_id, admin.user_id]

    # The second session asks for a link of its own: that one is its.
    node = await api(NODE, {"id": made["id"]}, token=second_session)
    own_link = node["data"]["node"]["downloadUrl"]
    assert own_link != url
    assert (await download(api, own_link, token=second_session)).status_code == 200
    assert (await download(api, own_link, token=admin.token)).status_code == 404


def _export_row(
    company_id: int, index: int, user_id: int, firm_id: int | None, period_id: int, now: Any
) -> Export:
    return Export(
        company_id=company_id,
        firm_id=firm_id,
        kind=ExportKind.PAYROLL_BASIS,
        format=ExportFormat.PAXML,
        area=Area.PAYROLL_BASIS,
        state=ExportState.DONE,
        progress=100,
        period_id=period_id,
        options={},
        file_name=f"lonunderlag_{index}.xml",
        storage_key=f"exports/{company_id}/{index}/lonunderlag_{index}.xml",
        size_bytes=100 + index,
        sha256=f"{index:064x}",
        summary={"lines": index, "total_amount": f"{index}.00"},
        created_by_user_id=user_id,
        created_at=now - timedelta(minutes=index),
        finished_at=now,
    )


async def test_the_exports_list_costs_the_same_statements_for_3_and_30(
    api: Api, factory: Factory, database: Database, sql_statements: StatementCounter
) -> None:
    """Who made each export, the firm's name, the period and the link: no statement per row."""
    company = await factory.company("Listbolaget AB")
    admin = await factory.admin(company)
    firms = [await factory.company(f"Byrå {n} AB", firm=True) for n in range(3)]
    users = [await factory.user(company, Role.ADMIN, name=f"Admin {n}") for n in range(3)]
    periods = []
    async with database.transaction() as session:
        for month in range(1, 4):
            row = PayrollPeriod(
                company_id=company.id,
                start_date=factory.clock.today().replace(month=month, day=1),
                end_date=factory.clock.today().replace(month=month, day=28),
                state=PeriodState.EXPORTED,
                created_at=factory.clock.now(),
            )
            session.add(row)
            periods.append(row)
        await session.flush()
        period_ids = [row.id for row in periods]

    async def add_exports(indexes: range) -> None:
        async with database.transaction() as session:
            session.add_all(
                _export_row(
                    company.id,
                    index,
                    users[index % 3].id,
                    firms[index % 3].id if index % 2 else None,
                    period_ids[index % 3],
                    factory.clock.now(),
                )
                for index in indexes
            )

    # 50 a page: a batch's manifest may hold up to 1,000 clients, and the cost counts them.
    query = """{ exports(first: 50) { totalCount edges { node {
      id state fileName createdByName firmName lineCount totalAmount manifest { status }
      downloadUrl downloadUrlExpiresAt payrollPeriod { id month state } } } } }"""

    async def statements_for(count: int) -> int:
        before = sql_statements.count
        body = await api(query, token=admin.token)
        after = sql_statements.count
        assert "errors" not in body, body
        nodes = [edge["node"] for edge in body["data"]["exports"]["edges"]]
        assert len(nodes) == body["data"]["exports"]["totalCount"] == count
        expected = {firms[i % 3].name if i % 2 else None for i in range(1, count + 1)}
        assert {node["firmName"] for node in nodes} == expected
        assert {node["createdByName"] for node in nodes} == {"Admin 0", "Admin 1", "Admin 2"}
        assert all(node["downloadUrl"] and node["payrollPeriod"] for node in nodes)
        return after - before

    await add_exports(range(1, 4))
    few = await statements_for(3)
    await add_exports(range(4, 31))
    many = await statements_for(30)
    assert few == many
