"""Receipt files: GraphQL multipart uploads, checks by content, and the download route."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import select

from gql_portal.auth import SESSION_COOKIE
from gql_portal.db.engine import Database
from gql_portal.db.expenses import Receipt
from gql_portal.domain.expenses import MAX_RECEIPT_BYTES, clean_file_name, sniff_receipt_type
from gql_portal.http.uploads import MAX_MULTIPART_BYTES
from gql_portal.runtime import Runtime
from gql_portal.storage import Storage
from tests.conftest import Api, error_codes, only_error
from tests.factories import Actor, Factory, gid
from tests.test_expenses import (
    APPROVE,
    NODE,
    attach,
    audit_actions,
    submit,
    tiny_jpeg,
    tiny_pdf,
    tiny_png,
    upload,
)


@pytest.fixture(autouse=True)
def storage(runtime: Runtime, tmp_path: Path) -> Storage:
    """Files of this test in its own folder (the runtime's default is ./storage)."""
    runtime.storage = Storage(tmp_path / "storage")
    return runtime.storage


REMOVE = (
    "mutation($id: ID!) { removeReceipt(id: $id) { removedId expense { id receipts { id } } } }"
)


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return only_error(response.json())


async def download(http: httpx.AsyncClient, url: str, token: str | None = None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await http.get(url, headers=headers)


async def test_an_employee_attaches_a_jpeg_a_png_and_a_pdf(
    client: httpx.AsyncClient, api: Api, factory: Factory, storage: Storage, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    made = []
    for content, name, declared, expected in (
        (tiny_jpeg(), "lunch.jpg", "image/jpeg", "image/jpeg"),
        (tiny_png(), "skärmdump.png", "image/png", "image/png"),
        (tiny_pdf(), "faktura.pdf", "application/octet-stream", "application/pdf"),
    ):
        payload = await attach(
            client, me.token, expense["id"], content, file_name=name, content_type=declared
        )
        receipt = payload["receipt"]
        assert receipt["fileName"] == name
        assert receipt["contentType"] == expected
        assert receipt["sizeBytes"] == len(content)
        assert receipt["sha256"] == hashlib.sha256(content).hexdigest()
        prefix, _, number = receipt["url"].rpartition("/")
        assert prefix == "/files/receipts" and gid("Receipt", int(number)) == receipt["id"]
        made.append(receipt["id"])
        assert payload["expense"]["receipts"][-1]["id"] == receipt["id"]
    node = (await api(NODE, {"id": expense["id"]}, token=me.token))["data"]["node"]
    assert [receipt["id"] for receipt in node["receipts"]] == made

    # In the storage folder under their checksum, never in the database.
    async with database.session() as session:
        rows = (await session.scalars(select(Receipt).order_by(Receipt.id))).all()
    for row in rows:
        stored = storage.path(row.storage_key)
        assert stored.is_file()
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == row.sha256
        assert row.storage_key.startswith(f"receipts/{company.id}/")
    assert await audit_actions(database) == ["EXPENSE_SUBMITTED"] + ["RECEIPT_ATTACHED"] * 3


async def test_a_file_is_judged_by_its_content_not_its_name(
    client: httpx.AsyncClient, api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    fake = error_of(
        await upload(
            client,
            me.token,
            expense["id"],
            b"just some text, honestly\n",
            file_name="receipt.jpg",
            content_type="image/jpeg",
        )
    )
    assert (fake["code"], fake["field"], fake["reason"]) == (
        "BAD_USER_INPUT",
        "file",
        "UNSUPPORTED_FILE_TYPE",
    )
    html = error_of(
        await upload(
            client, me.token, expense["id"], b"<html><script>alert(1)</script>", file_name="a.pdf"
        )
    )
    assert html["reason"] == "UNSUPPORTED_FILE_TYPE"
    empty = error_of(await upload(client, me.token, expense["id"], b""))
    assert (empty["field"], empty["reason"]) == ("file", "EMPTY_FILE")
    # A PNG called .jpg is a PNG; directories and control characters leave the name.
    png = await attach(
        client,
        me.token,
        expense["id"],
        tiny_png(),
        file_name="../../etc/\u202ekvitto.jpg",
        content_type="text/plain",
    )
    assert png["receipt"]["contentType"] == "image/png"
    assert png["receipt"]["fileName"] == "kvitto.png"
    long = await attach(client, me.token, expense["id"], tiny_pdf(), file_name="x" * 300 + ".pdf")
    assert long["receipt"]["fileName"] == "x" * 196 + ".pdf"
    twice = error_of(await upload(client, me.token, expense["id"], tiny_png()))
    assert (twice["field"], twice["reason"]) == ("file", "ALREADY_ATTACHED")
    async with database.session() as session:
        assert len((await session.scalars(select(Receipt))).all()) == 2


async def test_files_over_10_mb_are_refused(
    client: httpx.AsyncClient, api: Api, factory: Factory, storage: Storage
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    too_large = b"\xff\xd8\xff" + b"\0" * (MAX_RECEIPT_BYTES - 2)
    error = error_of(await upload(client, me.token, expense["id"], too_large))
    assert (error["code"], error["field"], error["reason"]) == (
        "BAD_USER_INPUT",
        "file",
        "FILE_TOO_LARGE",
    )
    assert not storage.root.exists() or not any(storage.root.rglob("*.jpg"))
    just_fits = b"\xff\xd8\xff" + b"\0" * (MAX_RECEIPT_BYTES - 3)
    fits = await attach(client, me.token, expense["id"], just_fits)
    assert fits["receipt"]["sizeBytes"] == MAX_RECEIPT_BYTES
    # A body over the multipart limit is refused by the HTTP layer before the operation runs.
    huge = await upload(
        client, me.token, expense["id"], b"\xff\xd8\xff" + b"\0" * MAX_MULTIPART_BYTES
    )
    assert huge.status_code == 413
    assert huge.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_receipts_change_only_while_the_expense_is_submitted(
    client: httpx.AsyncClient, api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    first = (await attach(client, me.token, expense["id"], tiny_jpeg()))["receipt"]
    second = (await attach(client, me.token, expense["id"], tiny_pdf()))["receipt"]
    removed = await api(REMOVE, {"id": first["id"]}, token=me.token)
    assert removed["data"]["removeReceipt"] == {
        "removedId": first["id"],
        "expense": {"id": expense["id"], "receipts": [{"id": second["id"]}]},
    }
    await api(APPROVE, {"id": expense["id"]}, token=admin.token)
    late = error_of(await upload(client, me.token, expense["id"], tiny_png()))
    assert (late["field"], late["reason"]) == ("expenseId", "NOT_SUBMITTED")
    kept = only_error(await api(REMOVE, {"id": second["id"]}, token=admin.token))
    assert (kept["field"], kept["reason"]) == ("id", "NOT_SUBMITTED")
    assert await audit_actions(database) == [
        "EXPENSE_SUBMITTED",
        "RECEIPT_ATTACHED",
        "RECEIPT_ATTACHED",
        "RECEIPT_REMOVED",
        "EXPENSE_APPROVED",
    ]


async def test_a_receipt_can_serve_a_resubmitted_expense(
    client: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    """Storage is shared by content: the same file on a rejected expense and its successor."""
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    rejected = await submit(api, me.token)
    old = (await attach(client, me.token, rejected["id"], tiny_jpeg()))["receipt"]
    await api(
        'mutation($id: ID!) { rejectExpense(id: $id, reason: "fel moms") { expense { id } } }',
        {"id": rejected["id"]},
        token=admin.token,
    )
    again = await submit(api, me.token, amount="106.00", vatRate="0", category="TRAVEL")
    new = (await attach(client, me.token, again["id"], tiny_jpeg()))["receipt"]
    assert new["sha256"] == old["sha256"] and new["id"] != old["id"]
    for receipt in (old, new):
        response = await download(client, receipt["url"], me.token)
        assert response.status_code == 200 and response.content == tiny_jpeg()


async def test_others_cannot_attach_to_or_remove_from_an_expense(
    client: httpx.AsyncClient, api: Api, factory: Factory, storage: Storage
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    stranger_admin = await factory.admin(await factory.company("Annan AB"))
    expense = await submit(api, me.token)
    receipt = (await attach(client, me.token, expense["id"], tiny_jpeg()))["receipt"]
    for actor in (colleague, stranger_admin):
        error = error_of(await upload(client, actor.token, expense["id"], tiny_png()))
        assert (error["code"], error["field"]) == ("NOT_FOUND", "expenseId")
        assert error_codes(await api(REMOVE, {"id": receipt["id"]}, token=actor.token)) == [
            "NOT_FOUND"
        ]
    assert not list(storage.root.rglob("*.png"))  # nothing was stored for them


async def test_multipart_requests_need_a_preflight_header(
    client: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    plain_form = await upload(client, me.token, expense["id"], tiny_jpeg(), headers={})
    assert plain_form.status_code == 400
    error = plain_form.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "GraphQL-Preflight" in error["message"]
    blank = await upload(
        client, me.token, expense["id"], tiny_jpeg(), headers={"graphql-preflight": " "}
    )
    assert blank.status_code == 400
    apollo = await upload(
        client, me.token, expense["id"], tiny_jpeg(), headers={"apollo-require-preflight": "true"}
    )
    assert apollo.status_code == 200 and "errors" not in apollo.json(), apollo.text


async def multipart(
    http: httpx.AsyncClient,
    actor: Actor,
    operations: str,
    file_map: str,
    files: dict[str, Any] | None = None,
    *,
    extra: dict[str, str] | None = None,
) -> httpx.Response:
    data = {"operations": operations, "map": file_map, **(extra or {})}
    return await http.post(
        "/graphql",
        data=data,
        files=files or {},
        headers={"authorization": f"Bearer {actor.token}", "graphql-preflight": "1"},
    )


def raw_form(fields: list[tuple[str, str]]) -> bytes:
    """A multipart body of plain fields only, in the given order (boundary `b`)."""
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    return b"".join(parts) + b"--b--\r\n"


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("operations not json", "`operations` field is not valid JSON"),
        ("map not json", "`map` field is not valid JSON"),
        ("batch", "no batching"),
        ("map outside variables", "must point into the operation's variables"),
        ("map to a missing variable", "does not point to a null"),
        ("map to a non-null value", "does not point to a null"),
        ("file missing", "is missing from the request"),
        ("file not in map", "is not in `map`"),
        ("map without paths", "non-empty list of paths"),
        ("map first", "must be `operations`, then `map`"),
        ("a third field", "Too many fields"),
    ],
)
async def test_malformed_multipart_requests_are_refused_clearly(
    client: httpx.AsyncClient, api: Api, factory: Factory, case: str, message: str
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    operations: dict[str, Any] = {
        "query": "mutation($e: ID!, $file: Upload!) { attachReceipt(expenseId: $e, file: $file) "
        "{ receipt { id } } }",
        "variables": {"e": expense["id"], "file": None},
    }
    good_ops = orjson.dumps(operations).decode()
    good_map = '{"0": ["variables.file"]}'
    jpeg = {"0": ("k.jpg", tiny_jpeg(), "image/jpeg")}
    if case in ("map first", "file missing"):
        fields = [("operations", good_ops), ("map", good_map)]
        response = await client.post(
            "/graphql",
            content=raw_form(fields[::-1] if case == "map first" else fields),
            headers={
                "content-type": "multipart/form-data; boundary=b",
                "authorization": f"Bearer {me.token}",
                "graphql-preflight": "1",
            },
        )
    else:
        ops, file_map, files, extra = good_ops, good_map, jpeg, None
        if case == "operations not json":
            ops = "{nope"
        elif case == "map not json":
            file_map = "[oops"
        elif case == "batch":
            ops = orjson.dumps([operations]).decode()
        elif case == "map outside variables":
            file_map = '{"0": ["query"]}'
        elif case == "map to a missing variable":
            file_map = '{"0": ["variables.other"]}'
        elif case == "map to a non-null value":
            file_map = '{"0": ["variables.e"]}'
        elif case == "file not in map":
            files = {**jpeg, "1": ("x.png", tiny_png(), "image/png")}
        elif case == "map without paths":
            file_map = '{"0": []}'
        elif case == "a third field":
            extra = {"extra": "1"}
        response = await multipart(client, me, ops, file_map, files, extra=extra)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert message in error["message"], error["message"]


async def test_a_file_must_come_as_an_upload(api: Api, factory: Factory) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    as_json = only_error(
        await api(
            "mutation($e: ID!, $f: Upload!) { attachReceipt(expenseId: $e, file: $f) { receipt { id } } }",
            {"e": expense["id"], "f": "/etc/passwd"},
            token=me.token,
        )
    )
    assert (as_json["field"], as_json["reason"]) == ("file", "NOT_A_FILE")


async def test_the_download_route_serves_only_those_who_reach_the_receipt(
    client: httpx.AsyncClient, api: Api, factory: Factory, database: Database
) -> None:
    company = await factory.company()
    admin = await factory.admin(company)
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    stranger_admin = await factory.admin(await factory.company("Annan AB"))
    expense = await submit(api, me.token)
    content = tiny_pdf()
    receipt = (
        await attach(client, me.token, expense["id"], content, file_name="Kvitto åäö 1:2.pdf")
    )["receipt"]

    for actor in (me, admin):
        response = await download(client, receipt["url"], actor.token)
        assert response.status_code == 200
        assert response.content == content
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-length"] == str(len(content))
        assert response.headers["content-disposition"] == (
            "attachment; filename*=UTF-8''Kvitto%20%C3%A5%C3%A4%C3%B6%201_2.pdf"
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "sandbox"
        assert response.headers["cache-control"] == "private, no-store"

    # Signed in but out of reach (a colleague's, another company's): 404, never 403.
    for token in (colleague.token, stranger_admin.token):
        response = await download(client, receipt["url"], token)
        assert response.status_code == 404
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    # Without a session (none, or a token that is not one): 401, for a receipt that exists as
    # for one that does not (the answer tells nothing about the receipt).
    for url in (receipt["url"], "/files/receipts/999999"):
        for token in (None, "not-a-session"):
            response = await download(client, url, token)
            assert response.status_code == 401
            error = response.json()["errors"][0]
            assert error["extensions"]["code"] == "UNAUTHENTICATED"
            assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    # The session works as a cookie too (a browser following the receipt's url).
    client.cookies.set(SESSION_COOKIE, me.token)
    try:
        assert (await download(client, receipt["url"])).content == content
    finally:
        client.cookies.clear()
    assert (await download(client, "/files/receipts/999999", admin.token)).status_code == 404
    assert (await download(client, "/files/receipts/abc", admin.token)).status_code == 404
    downloads = [action for action in await audit_actions(database) if "DOWNLOAD" in action]
    assert downloads == ["RECEIPT_DOWNLOADED"] * 3


async def test_a_tampered_file_is_not_sent(
    client: httpx.AsyncClient,
    api: Api,
    factory: Factory,
    storage: Storage,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    expense = await submit(api, me.token)
    receipt = (await attach(client, me.token, expense["id"], tiny_jpeg()))["receipt"]
    async with database.session() as session:
        row = await session.scalar(select(Receipt))
    assert row is not None
    path = storage.path(row.storage_key)
    path.write_bytes(path.read_bytes().replace(b"\x3f\xff\xd9", b"\x00\xff\xd9"))
    response = await download(client, receipt["url"], me.token)
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert b"\xff\xd8" not in response.content
    assert any("integrity" in record.getMessage() for record in caplog.records)
    path.unlink()
    assert (await download(client, receipt["url"], me.token)).status_code == 500


async def test_an_expense_node_and_receipt_node(
    client: httpx.AsyncClient, api: Api, factory: Factory
) -> None:
    company = await factory.company()
    me = await factory.staff(company)
    colleague = await factory.staff(company)
    expense = await submit(api, me.token)
    receipt = (await attach(client, me.token, expense["id"], tiny_png()))["receipt"]
    query = "query($id: ID!) { node(id: $id) { id ... on Receipt { fileName sha256 } } }"
    found = await api(query, {"id": receipt["id"]}, token=me.token)
    assert found["data"]["node"]["sha256"] == receipt["sha256"]
    assert error_codes(await api(query, {"id": receipt["id"]}, token=colleague.token)) == [
        "NOT_FOUND"
    ]
    assert receipt["id"] == gid("Receipt", int(receipt["url"].rsplit("/", 1)[1]))


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("kvitto.pdf", "kvitto.pdf"),
        ("Kvitto.PDF", "Kvitto.PDF"),
        ("C:\\Users\\anna\\Desktop\\lunch.jpg", "lunch.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("\u202efdp.exe", "fdp.exe.pdf"),
        ("a\x00b\r\nc.pdf", "abc.pdf"),
        ('what?<>"|*.pdf', "what______.pdf"),
        ("  ..  ", "kvitto.pdf"),
        (".pdf", "pdf.pdf"),  # no hidden files
        (None, "kvitto.pdf"),
        ("y" * 250, "y" * 196 + ".pdf"),
        ("z" * 250 + ".pdf", "z" * 196 + ".pdf"),
    ],
)
def test_file_names_are_cleaned(given: str | None, expected: str) -> None:
    assert clean_file_name(given, ".pdf") == expected


def test_receipt_types_come_from_magic_bytes() -> None:
    assert sniff_receipt_type(tiny_jpeg()) == ("image/jpeg", ".jpg")
    assert sniff_receipt_type(tiny_png()) == ("image/png", ".png")
    assert sniff_receipt_type(tiny_pdf()) == ("application/pdf", ".pdf")
    for content in (b"", b"\xff\xd8", b"GIF89a", b"%PD", b"\x89PNG\r\n", b"<svg/>"):
        assert sniff_receipt_type(content) is None
