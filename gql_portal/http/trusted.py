"""Trusted documents: a manifest of the documents a frontend's build produced, loaded at start;
with it on (GQL_PORTAL_TRUSTED_DOCUMENTS), /graphql runs those documents and no other.

The manifest is a JSON file in one of the formats the client tools write:

- graphql-codegen's client preset (`persistedDocuments: true`): `persisted-documents.json`,
  `{"sha256:<sha256 of the document>": "<document>"}` (the prefix is optional here);
- relay-compiler's local persistence (`persistConfig.file`): `persisted_queries.json`,
  `{"<id>": "<operation text>"}`, the id an MD5 (Relay's default), SHA-1 or SHA-256 of the text;
- Apollo's `generate-persisted-query-manifest`: `{"format": "apollo-persisted-query-manifest",
  "version": 1, "operations": [{"id": "<sha256>", "body": "<document>", ...}]}`.

It is checked whole at start (`load_manifest`, ConfigError naming the entry): every document
must parse, and a key that has the length of an MD5, SHA-1 or SHA-256 hex digest (or is
`sha256:` and a SHA-256 hex digest, as codegen writes it) must be that digest of its document
(a stale or edited manifest is refused, not served). Other keys are opaque ids (a Relay remote
persister's), kept as they are.

A document is asked for by any of these, whatever the manifest's format (`find`):
`documentId` (the GraphQL-over-HTTP persisted-documents appendix: `sha256:<hex>`, or a key as
the manifest has it), Relay's `doc_id` or `id`, Apollo's `extensions.persistedQuery.sha256Hash`.
A free-text `query` runs only when it is, character for character, one of the documents
(`allows`). A hash names a document, never a permission: the document is validated against the
caller's role schema as any other.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from graphql import GraphQLSyntaxError, parse

from gql_portal.config import ENV_PREFIX, ConfigError

SETTING = f"{ENV_PREFIX}TRUSTED_DOCUMENTS"
APOLLO_FORMAT = "apollo-persisted-query-manifest"
SHA256_PREFIX = "sha256:"
# Keys of these lengths in lower-case hex are digests, checked against their documents.
_DIGESTS = {32: "md5", 40: "sha1", 64: "sha256"}
_HEX = re.compile(r"[0-9a-f]+")


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class TrustedDocuments:
    """The manifest's documents, by their keys and by their SHA-256."""

    def __init__(self, documents: Mapping[str, str]) -> None:
        self.documents = dict(documents)
        self.by_sha256 = {sha256_of(document): document for document in documents.values()}

    def __len__(self) -> int:
        return len(self.documents)

    def find(self, identifier: str) -> str | None:
        """The document a client names by a manifest key, its SHA-256 hex, or `sha256:<hex>`."""
        if identifier.startswith(SHA256_PREFIX):
            return self.by_sha256.get(identifier.removeprefix(SHA256_PREFIX))
        return self.documents.get(identifier) or self.by_sha256.get(identifier)

    def allows(self, document: str) -> bool:
        """Whether a document sent as text is one of the manifest's (exactly as built)."""
        return sha256_of(document) in self.by_sha256


def load_manifest(path: Path) -> TrustedDocuments:
    """The manifest at `path`, checked whole. Raises ConfigError saying what is wrong where."""
    try:
        payload = orjson.loads(path.read_bytes())
    except OSError as error:
        raise ConfigError(f"{SETTING}: cannot read {path}: {error.strerror or error}") from None
    except orjson.JSONDecodeError as error:
        raise ConfigError(f"{SETTING}: {path} is not JSON: {error}") from None
    documents = _documents_of(payload, path)
    if not documents:
        raise ConfigError(f"{SETTING}: {path} holds no documents")
    for key, document in documents.items():
        _check_entry(key, document, path)
    return TrustedDocuments(documents)


def _documents_of(payload: Any, path: Path) -> dict[str, str]:
    """{key: document} from either manifest shape."""
    if isinstance(payload, dict) and payload.get("format") == APOLLO_FORMAT:
        if payload.get("version") != 1:
            raise ConfigError(f"{SETTING}: {path}: only version 1 of {APOLLO_FORMAT} is known")
        operations = payload.get("operations")
        if not isinstance(operations, list):
            raise ConfigError(f"{SETTING}: {path}: `operations` must be a list")
        documents: dict[str, str] = {}
        for index, operation in enumerate(operations):
            if not isinstance(operation, dict) or not all(
                isinstance(operation.get(name), str) for name in ("id", "body")
            ):
                raise ConfigError(
                    f"{SETTING}: {path}: operations[{index}] needs an `id` and a `body` (strings)"
                )
            documents[operation["id"]] = operation["body"]
        return documents
    if not isinstance(payload, dict):
        raise ConfigError(
            f"{SETTING}: {path} must be a JSON object of id -> document "
            f"(codegen's persisted-documents.json, Relay's persisted_queries.json) "
            f"or an {APOLLO_FORMAT}"
        )
    for key, document in payload.items():
        if not isinstance(document, str):
            raise ConfigError(f"{SETTING}: {path}: the document of {key!r} is not a string")
    return dict(payload)


def _check_entry(key: str, document: str, path: Path) -> None:
    digest_key = key.removeprefix(SHA256_PREFIX)
    algorithm = _DIGESTS.get(len(digest_key)) if _HEX.fullmatch(digest_key) else None
    if digest_key != key and algorithm != "sha256":
        algorithm = None  # `sha256:` and something else: an opaque id
    if algorithm is not None:
        digest = hashlib.new(algorithm, document.encode()).hexdigest()
        if digest != digest_key:
            raise ConfigError(
                f"{SETTING}: {path}: {key!r} is not the {algorithm.upper()} of its document "
                "(regenerate the manifest with the client's build)"
            )
    if not document.strip():
        raise ConfigError(f"{SETTING}: {path}: the document of {key!r} is empty")
    try:
        parse(document, no_location=True)
    except GraphQLSyntaxError as error:
        raise ConfigError(
            f"{SETTING}: {path}: the document of {key!r} does not parse: {error.message}"
        ) from None
