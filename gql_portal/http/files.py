"""Downloads of files: receipts, `GET /files/receipts/{id}` (the `url` of a Receipt), and
exports, `GET /files/exports/{id}?session=&expires=&signature=` (an Export's `downloadUrl`).

Both need the viewer's session, presented exactly like at /graphql (bearer token or session
cookie): without one they answer 401 UNAUTHENTICATED. A receipt is loaded through the viewer's
row scope: one out of reach or of another company answers 404, never 403 (its existence is not
revealed). An export link is signed for the session that asked for it and works only when that
very session presents it: any other session (even the same user's other one) gets 404, like a
link whose signature does not match. The file is streamed from the storage backend, checked
against its SHA-256 before a byte is sent, and offered as an attachment that a browser neither
sniffs nor renders in our origin.

An id that is not a row id (not digits, or outside the integer columns' range) answers 404
before any SQL.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from gql_portal.audit import AuditActor, record
from gql_portal.auth import access_for_token
from gql_portal.db.expenses import Receipt
from gql_portal.db.exports import Export, ExportFormat, ExportKind, ExportState
from gql_portal.domain.audit import AuditAction
from gql_portal.errors import Code
from gql_portal.http.responses import request_error, request_id_of
from gql_portal.http.session import session_ended, session_token
from gql_portal.permissions.access import Access
from gql_portal.resolvers.common import MAX_ROW_ID
from gql_portal.resolvers.exports import batch_clients, downloadable
from gql_portal.runtime import Runtime
from gql_portal.security import link_signature_matches
from gql_portal.storage import IntegrityFailure, check, verifying

log = logging.getLogger("gql_portal.files")

# Any segment reaches the endpoint, which answers 404 itself for one that is not a row id.
RECEIPT_ROUTE = "/files/receipts/{receipt_id}"
EXPORT_ROUTE = "/files/exports/{export_id}"
# A link's expiry is a Unix time: anything longer is not one of our links.
MAX_EXPIRES_DIGITS = 12
NOT_SIGNED_IN = (
    "Sign in first: a file is sent only with the session (cookie or Authorization: Bearer)."
)


def content_disposition(file_name: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(file_name, safe='')}"


def parse_row_id(text: str) -> int | None:
    """A row id from a URL: ASCII digits within the id columns' range (int32 on PostgreSQL,
    where a larger number cannot even be a parameter), else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ROW_ID else None


@dataclass(frozen=True)
class StoredDownload:
    """A stored file about to be sent, and the audit events its download writes."""

    storage_key: str
    sha256: str
    size_bytes: int
    file_name: str
    media_type: str
    company_id: int
    action: AuditAction
    details: dict[str, Any]
    # Further companies whose audit trail shows the download too (a batch's clients).
    also_company_ids: tuple[int, ...] = ()


async def send_stored_file(
    request: Request, access: Access, request_id: str, download: StoredDownload
) -> Response:
    """Check the file against its SHA-256 (read once, in chunks), audit the download (as
    `access`), then stream it from the storage backend as an attachment that a browser neither
    sniffs nor renders in our origin. Chunks are checked again as they are sent: a file
    corrupted meanwhile breaks the transfer instead of ending it as if complete."""
    runtime: Runtime = request.app.state.runtime
    try:
        await check(runtime.files, download.storage_key, download.sha256, download.size_bytes)
    except (IntegrityFailure, ValueError) as error:
        log.error(
            "%s (company %s, %s) failed its integrity check: %s (request %s)",
            download.file_name,
            download.company_id,
            download.storage_key,
            error,
            request_id,
        )
        return request_error(
            500, Code.INTERNAL_SERVER_ERROR, "The file failed its integrity check.", request_id
        )
    who = AuditActor.acting(
        access,
        client_address=request.client.host if request.client else "unknown",
        request_id=request_id,
    )
    async with runtime.database.transaction() as session:
        for company_id in (download.company_id, *download.also_company_ids):
            record(
                session,
                who,
                download.action,
                at=runtime.clock.now(),
                company_id=company_id,
                **download.details,
            )
    return StreamingResponse(
        verifying(runtime.files.open(download.storage_key), download.sha256, download.size_bytes),
        media_type=download.media_type,
        headers={
            "content-length": str(download.size_bytes),
            "content-disposition": content_disposition(download.file_name),
            "x-content-type-options": "nosniff",
            "content-security-policy": "sandbox",
            "cache-control": "private, no-store",
            "x-request-id": request_id,
        },
    )


async def signed_in(request: Request, runtime: Runtime, request_id: str) -> Access | Response:
    """The session the request presents, or its 401: none at all (sign in first), or a dead
    one, answered as /graphql answers it (`session_ended`: the dead cookie deleted)."""
    token = session_token(request)
    access = await access_for_token(runtime, token)
    if access.signed_in:
        return access
    if token:
        return session_ended(request, token, request_id)
    return request_error(401, Code.UNAUTHENTICATED, NOT_SIGNED_IN, request_id)


async def receipt_file(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    request_id = request_id_of(request)
    receipt_id = parse_row_id(request.path_params["receipt_id"])
    if receipt_id is None:
        return request_error(404, Code.NOT_FOUND, "No such receipt.", request_id)
    access = await signed_in(request, runtime, request_id)
    if isinstance(access, Response):
        return access
    async with runtime.database.scoped(access) as session:
        receipt = await session.scalar(select(Receipt).where(Receipt.id == receipt_id))
    if receipt is None:
        return request_error(404, Code.NOT_FOUND, "No such receipt.", request_id)
    # Who read which receipt (a partner firm: named by the audit event itself) is audited.
    return await send_stored_file(
        request,
        access,
        request_id,
        StoredDownload(
            storage_key=receipt.storage_key,
            sha256=receipt.sha256,
            size_bytes=receipt.size_bytes,
            file_name=receipt.file_name,
            media_type=receipt.content_type,
            company_id=receipt.company_id,
            action=AuditAction.RECEIPT_DOWNLOADED,
            details={
                "receipt_id": receipt.id,
                "expense_id": receipt.expense_id,
                "role": access.role.value,
            },
        ),
    )


EXPORT_MEDIA_TYPES = {
    ExportFormat.PAXML: "application/xml",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.ZIP: "application/zip",
    ExportFormat.SIE4I: "application/zip",  # the .SI file with its receipts and summary
}


@dataclass(frozen=True)
class ExportLink:
    """The parts of an export's download link, as signed."""

    export_id: int
    session_id: int
    expires: int
    signature: str


def parse_export_link(export_segment: str, params: Any) -> ExportLink | None:
    """The link's parts when they are well-formed (the signature is checked separately)."""
    export_id = parse_row_id(export_segment)
    session_id = parse_row_id(params.get("session", ""))
    expires_text: str = params.get("expires", "")
    signature: str = params.get("signature", "")
    if (
        export_id is None
        or session_id is None
        or not (expires_text.isascii() and expires_text.isdigit())
        or len(expires_text) > MAX_EXPIRES_DIGITS
        # compare_digest refuses non-ASCII text (a TypeError, not a mismatch)
        or not (signature.isascii() and signature.isalnum())
    ):
        return None
    return ExportLink(export_id, session_id, int(expires_text), signature)


async def export_file(request: Request) -> Response:
    """A signed link of one session: valid until it expires, only when that same session
    presents it (cookie or bearer), and only while that session may still export the data (an
    ended collaboration or a removed user makes it fail)."""
    runtime: Runtime = request.app.state.runtime
    request_id = request_id_of(request)
    checked = await _link_holder(request, runtime, request_id)
    if isinstance(checked, Response):
        return checked
    access, export_id = checked
    async with runtime.database.scoped(access) as session:
        export = await session.scalar(select(Export).where(Export.id == export_id))
    if export is None or export.state is not ExportState.DONE:
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    if not downloadable(access, export):
        return request_error(
            403, Code.FORBIDDEN, "No export access to this data any more.", request_id
        )
    if export.file_deleted_at is not None:
        return request_error(
            410,
            Code.EXPORT_FILE_EXPIRED,
            "The export's file was deleted after the retention time: make the export again.",
            request_id,
        )
    if export.storage_key is None or export.sha256 is None or export.size_bytes is None:
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    return await send_stored_file(request, access, request_id, _export_download(export))


async def _link_holder(
    request: Request, runtime: Runtime, request_id: str
) -> tuple[Access, int] | Response:
    """The session holding an export link, and the export it names; the refusal otherwise (a
    link that is not ours, expired, or presented by another session)."""
    link = parse_export_link(request.path_params["export_id"], request.query_params)
    if link is None or not link_signature_matches(
        runtime.settings.secret_key,
        link.signature,
        "export",
        link.export_id,
        link.session_id,
        link.expires,
    ):
        return request_error(404, Code.NOT_FOUND, "No such export.", request_id)
    if runtime.clock.now().timestamp() >= link.expires:
        return request_error(
            410, Code.LINK_EXPIRED, "The link has expired: ask for a new one.", request_id
        )
    # The link alone is not enough: whoever holds it must also hold the session it was made
    # for (a forwarded or leaked link downloads nothing).
    access = await signed_in(request, runtime, request_id)
    if isinstance(access, Response):
        return access
    if access.session_id != link.session_id:
        return request_error(
            404,
            Code.NOT_FOUND,
            "No such export for this session: ask for a new link in the session that downloads.",
            request_id,
        )
    return access, link.export_id


def _export_download(export: Export) -> StoredDownload:
    """A finished export's file, and the download's audit entry."""
    assert export.storage_key is not None and export.sha256 is not None  # checked: DONE
    assert export.size_bytes is not None
    details: dict[str, Any] = {"export_id": export.id, "file_name": export.file_name}
    # A batch holds its clients' payroll bases (personal identity numbers among them): each
    # client's audit trail shows the download too, as it shows the export.
    clients = tuple(batch_clients(export))
    return StoredDownload(
        storage_key=export.storage_key,
        sha256=export.sha256,
        size_bytes=export.size_bytes,
        file_name=export.file_name or f"export-{export.id}",
        media_type=EXPORT_MEDIA_TYPES[export.format],
        company_id=export.company_id,
        action=(
            AuditAction.EXPENSES_EXPORT_DOWNLOADED
            if export.kind in (ExportKind.EXPENSES, ExportKind.EXPENSES_BATCH)
            else AuditAction.PAYROLL_EXPORT_DOWNLOADED
        ),
        details={**details, "batch": True} if clients else details,
        also_company_ids=clients,
    )


def routes() -> list[BaseRoute]:
    return [
        Route(RECEIPT_ROUTE, receipt_file, methods=["GET"]),
        Route(EXPORT_ROUTE, export_file, methods=["GET"]),
    ]
