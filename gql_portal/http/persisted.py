"""Automatic persisted queries (Apollo's APQ protocol): a client sends a document's SHA-256
instead of the document, and the document only when the server does not know it yet.

- `extensions.persistedQuery {version: 1, sha256Hash}` without `query`: the document stored
  under that hash, or the error `PERSISTED_QUERY_NOT_FOUND` (message "PersistedQueryNotFound",
  HTTP 200: what Apollo's PersistedQueryLink waits for before it sends the document; a 400
  would make it turn persisted queries off);
- with `query`: the hash must be the document's (else BAD_USER_INPUT, reason
  PERSISTED_QUERY_HASH_MISMATCH); the document is remembered once it has passed validation.

A hash names a document, not a permission: the document is validated against the caller's role
schema every time, as any document. The store is this worker's own, a LRU bounded by count and
by total size (`PersistedQueries`); another worker asks for the document once more. A shared
store (the database or Redis) could sit behind the same two methods later.

With trusted documents on (http/trusted.py) the manifest replaces the store: a hash, a
`documentId` or Relay's `doc_id`/`id` finds a manifest document or is PERSISTED_QUERY_NOT_FOUND
(HTTP 200 for Apollo's hash, as above; 400 for the ids, whose clients have nothing to send
next); a free-text `query` that is not one of the manifest's documents is
PERSISTED_QUERY_NOT_ALLOWED (HTTP 400), and nothing is ever registered.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections import OrderedDict
from typing import Any

from gql_portal.http.body import Operation
from gql_portal.http.trusted import TrustedDocuments

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
HASH_FIELD = "extensions.persistedQuery.sha256Hash"
MAX_ENTRIES = 2_000
MAX_TOTAL_BYTES = 16 * 1024 * 1024
MAX_DOCUMENT_BYTES = 200_000  # larger documents run, but are not kept
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class PersistedQueries:
    """Documents by their SHA-256 (lower-case hex), the least recently used dropped first."""

    def __init__(
        self, max_entries: int = MAX_ENTRIES, max_total_bytes: int = MAX_TOTAL_BYTES
    ) -> None:
        self.max_entries = max_entries
        self.max_total_bytes = max_total_bytes
        self._documents: OrderedDict[str, str] = OrderedDict()
        self.total_bytes = 0

    def __len__(self) -> int:
        return len(self._documents)

    def get(self, sha256_hash: str) -> str | None:
        document = self._documents.get(sha256_hash)
        if document is not None:
            self._documents.move_to_end(sha256_hash)
        return document

    def put(self, sha256_hash: str, document: str) -> None:
        size = len(document.encode())
        if size > MAX_DOCUMENT_BYTES or sha256_hash in self._documents:
            return
        self._documents[sha256_hash] = document
        self.total_bytes += size
        while len(self._documents) > self.max_entries or self.total_bytes > self.max_total_bytes:
            _, dropped = self._documents.popitem(last=False)
            self.total_bytes -= len(dropped.encode())


class PersistedQueryProblem(Exception):
    """A persisted query that cannot run: its GraphQL error's message and extensions, and the
    HTTP status of an answer that is only this error."""

    def __init__(self, status: int, message: str, extensions: dict[str, Any]) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extensions = extensions


def _bad(reason: str, message: str, field: str = HASH_FIELD) -> PersistedQueryProblem:
    return PersistedQueryProblem(
        400, message, {"code": "BAD_USER_INPUT", "field": field, "reason": reason}
    )


def requested_hash(operation: Operation) -> str | None:
    """The hash of `extensions.persistedQuery`, checked; None when the operation has none."""
    persisted = (operation.extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise _bad(
            "PERSISTED_QUERY_VERSION_UNSUPPORTED",
            "Only version 1 of persisted queries is supported.",
            "extensions.persistedQuery.version",
        )
    sha256_hash = persisted.get("sha256Hash")
    if not isinstance(sha256_hash, str) or not _SHA256_HEX.fullmatch(sha256_hash):
        raise _bad("INVALID_HASH", "sha256Hash must be 64 lower-case hexadecimal digits.")
    return sha256_hash


def _not_found(status: int = 200) -> PersistedQueryProblem:
    return PersistedQueryProblem(
        status, "PersistedQueryNotFound", {"code": PERSISTED_QUERY_NOT_FOUND}
    )


def with_document(
    operation: Operation, store: PersistedQueries, trusted: TrustedDocuments | None = None
) -> Operation:
    """The operation with its document: as sent (its hash checked when it has one), or the one
    stored under its hash (the manifest's, in trusted mode). Raises PersistedQueryProblem."""
    if operation.document_id is not None:  # only ever without a query (body.py)
        document = trusted.find(operation.document_id) if trusted is not None else None
        if document is None:
            raise _not_found(400)
        return dataclasses.replace(operation, query=document)
    sha256_hash = requested_hash(operation)
    if sha256_hash is not None and operation.query is None:
        document = trusted.find(sha256_hash) if trusted is not None else store.get(sha256_hash)
        if document is None:
            raise _not_found()
        return dataclasses.replace(operation, query=document)
    if operation.query is None:  # `"persistedQuery": null`
        raise _bad("MISSING_QUERY", "Send a query, or a persisted query's hash.", "query")
    if sha256_hash is not None and hashlib.sha256(operation.query.encode()).hexdigest() != (
        sha256_hash
    ):
        raise _bad("PERSISTED_QUERY_HASH_MISMATCH", "sha256Hash is not the SHA-256 of the query.")
    if trusted is not None and not trusted.allows(operation.query):
        raise PersistedQueryProblem(
            400,
            "Only the documents of the trusted-documents manifest run here; send a document "
            "id (documentId) of the client's build.",
            {"code": PERSISTED_QUERY_NOT_ALLOWED},
        )
    return operation


def remember(
    operation: Operation, store: PersistedQueries, trusted: TrustedDocuments | None = None
) -> None:
    """Keep a document sent with its (checked) hash, once it has passed validation; never in
    trusted mode (the manifest is the only source of documents)."""
    if trusted is not None:
        return
    sha256_hash = requested_hash(operation)
    if sha256_hash is not None and operation.query is not None:
        store.put(sha256_hash, operation.query)
