"""Downloads of files: receipts, `GET /files/receipts/{id}` (the `url` of a Receipt), and
exports, `GET /files/exports/{id}?session=&expires=&signature=` (an Export's `downloadUrl`).

The viewer is authenticated exactly like at /graphql (bearer token or session cookie) and the
receipt is loaded through the viewer's row scope: a receipt out of reach, of another company,
or asked for anonymously answers 404, never 403 (its existence is not revealed). The file is
checked against its SHA-256 before a byte is sent and offered as an attachment that a browser
neither sniffs nor renders in our origin.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

import anyio.to_thread
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gql_portal.context import RequestContext
from gql_portal.db.expenses import Receipt
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.errors import Code
from gql_portal.permissions.roles import SchemaRole
from gql_portal.resolvers.audit import record
from gql_portal.runtime import Runtime
from gql_portal.security import link_signature_matches

log = logging.getLogger("gql_portal.files")

RECEIPT_ROUTE = "/files/receipts/{receipt_id:int}"
EXPORT_ROUTE = "/files/exports/{export_id:int}"
CHUNK = 64 * 1024


class IntegrityFailure(Exception):
    """A stored file is missing or no longer what was uploaded."""


def _open_verified(path: str, sha256: str, size: int) -> BinaryIO:
    """The file, opened and read once to check its digest, then rewound for sending (the
    same open file is sent: storage replaces files by rename, never writes into them)."""
    try:
        handle: BinaryIO = open(path, "rb")  # noqa: SIM115 (closed by the caller's stream)
    except OSError as error:
        raise IntegrityFailure(f"cannot open: {error}") from None
    try:
        digest = hashlib.sha256()
        length = 0
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            length += len(chunk)
        if digest.hexdigest() != sha256 or length != size:
            raise IntegrityFailure(f"sha256 {digest.hexdigest()}, {length} bytes")
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return handle


def _chunks(handle: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := handle.read(CHUNK):
            yield chunk
    finally:
        handle.close()


def content_disposition(file_name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"


async def receipt_file(request: Request) -> Response:
    from gql_portal.app import request_error, session_token  # app.py imports this module
    from gql_portal.auth import access_for_token

    runtime: Runtime = request.app.state.runtime
    request_id = request.headers.get("x-request-id", "")[:40] or uuid.uuid4().hex
    receipt_id: int = request.path_params["receipt_id"]
    token = session_token(request)
    access = await access_for_token(runtime, token)
    async with runtime.database.scoped(access) as session:
        receipt = await session.scalar(select(Receipt).where(Receipt.id == receipt_id))
    if receipt is None:
        return request_error(404, Code.NOT_FOUND, "No such receipt.", request_id)

    try:
        path = str(runtime.storage.path(receipt.storage_key))
        handle = await anyio.to_thread.run_sync(
            _open_verified, path, receipt.sha256, receipt.size_bytes
        )
    except (IntegrityFailure, ValueError) as error:
        log.error(
            "receipt %s (company %s, %s) failed its integrity check: %s (request %s)",
            receipt.id,
            receipt.company_id,
            receipt.storage_key,
            error,
            request_id,
        )
        return request_error(
            500, Code.INTERNAL_SERVER_ERROR, "The file failed its integrity check.", request_id
        )

    # Who read which receipt (partner access in particular) is part of the audit log.
    context = RequestContext(
        runtime=runtime,
        access=access,
        request_id=request_id,
        client_address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    details: dict[str, Any] = {"role": access.role.value}
    if access.role is SchemaRole.PARTNER_PORTAL:
        details["firm_id"] = access.company_id  # the portal's company is the reading firm
    try:
        async with runtime.database.transaction() as session:
            record(
                session,
                context,
                "RECEIPT_DOWNLOADED",
                company_id=receipt.company_id,
                receipt_id=receipt.id,
                expense_id=receipt.expense_id,
                **details,
            )
    except BaseException:
        handle.close()
        raise

    return StreamingResponse(
        _chunks(handle),
        media_type=receipt.content_type,
        headers={
            "content-length": str(receipt.size_bytes),
            "content-disposition": content_disposition(receipt.file_name),
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "cache-control": "private, no-store",
            "x-request-id": request_id,
        },
    )


async def export_file(request: Request) -> Response:
    """A signed link of one session: valid until it expires, and only while that session may
    still export the data (an ended collaboration or a removed user makes it fail)."""
    from gql_portal.app import request_error  # app.py imports this module
    from gql_portal.auth import access_for_session_id
    from gql_portal.resolvers.exports import batch_clients, downloadable

    runtime: Runtime = request.app.state.runtime
    request_id = request.headers.get("x-request-id", "")[:40] or uuid.uuid4().hex
    export_id: int = request.path_params["export_id"]
    params = request.query_params
    try:
        session_id, expires = int(params["session"]), int(params["expires"])
        signature = params["signature"]
    except (KeyError, ValueError):
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    if not link_signature_matches(
        runtime.settings.secret_key, signature, "export", export_id, session_id, expires
    ):
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    if runtime.clock.now().timestamp() >= expires:
        return request_error(
            410, Code.LINK_EXPIRED, "The link has expired: ask for a new one.", request_id
        )
    access = await access_for_session_id(runtime, session_id)
    async with runtime.database.scoped(access) as session:
        export = await session.scalar(select(Export).where(Export.id == export_id))
    if export is None or export.state is not ExportState.DONE or export.storage_key is None:
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    if not downloadable(access, export):
        return request_error(
            403, Code.FORBIDDEN, "No export access to this data any more.", request_id
        )
    try:
        path = str(runtime.storage.path(export.storage_key))
        assert export.sha256 is not None and export.size_bytes is not None
        handle = await anyio.to_thread.run_sync(
            _open_verified, path, export.sha256, export.size_bytes
        )
    except (IntegrityFailure, ValueError) as error:
        log.error(
            "export %s failed its integrity check: %s (request %s)", export.id, error, request_id
        )
        return request_error(
            500, Code.INTERNAL_SERVER_ERROR, "The file failed its integrity check.", request_id
        )
    context = RequestContext(
        runtime=runtime,
        access=access,
        request_id=request_id,
        client_address=request.client.host if request.client else "unknown",
        user_agent=request.headers.get("user-agent"),
    )
    action = (
        "EXPENSES_EXPORT_DOWNLOADED"
        if export.kind is ExportKind.EXPENSES
        else "PAYROLL_EXPORT_DOWNLOADED"
    )
    try:
        async with runtime.database.transaction() as session:
            record(
                session,
                context,
                action,
                company_id=export.company_id,
                export_id=export.id,
                file_name=export.file_name,
            )
            # A batch holds its clients' payroll bases (personal identity numbers among them):
            # each client's audit trail shows the download too, as it shows the export.
            for client_id in batch_clients(export):
                record(
                    session,
                    context,
                    action,
                    company_id=client_id,
                    export_id=export.id,
                    file_name=export.file_name,
                    batch=True,
                )
    except BaseException:
        handle.close()
        raise
    media_type = {
        ExportFormat.PAXML: "application/xml",
        ExportFormat.CSV: "text/csv; charset=utf-8",
        ExportFormat.ZIP: "application/zip",
    }[export.format]
    return StreamingResponse(
        _chunks(handle),
        media_type=media_type,
        headers={
            "content-length": str(export.size_bytes),
            "content-disposition": content_disposition(export.file_name or f"export-{export.id}"),
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "cache-control": "private, no-store",
            "x-request-id": request_id,
        },
    )


def routes() -> list[BaseRoute]:
    return [
        Route(RECEIPT_ROUTE, receipt_file, methods=["GET"]),
        Route(EXPORT_ROUTE, export_file, methods=["GET"]),
    ]
