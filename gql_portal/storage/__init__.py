"""Files (receipts, exports): stored through one small interface, `FileStore`, by the backend
`GQL_PORTAL_STORAGE_URL` names: the local storage folder (`file:///...`, the default), the
app's own PostgreSQL database (`postgresql:`) or S3-compatible object storage (`s3://...`, the
`s3` extra)."""

from __future__ import annotations

from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.storage.database import DatabaseStore
from gql_portal.storage.folder import PARTIAL_PREFIX, FolderStore, Storage
from gql_portal.storage.interface import (
    CHUNK_BYTES,
    FileStore,
    IntegrityFailure,
    StoredEntry,
    StoredFile,
    check,
    verifying,
)
from gql_portal.storage.s3 import S3Store

__all__ = [
    "CHUNK_BYTES",
    "PARTIAL_PREFIX",
    "DatabaseStore",
    "FileStore",
    "FolderStore",
    "IntegrityFailure",
    "S3Store",
    "Storage",
    "StoredEntry",
    "StoredFile",
    "check",
    "store_for",
    "verifying",
]


def store_for(settings: Settings, database: Database, folder: Storage) -> FileStore:
    """The backend the settings name (config.py has checked the URL)."""
    if settings.storage_url.startswith("postgresql:"):
        return DatabaseStore(database)
    if settings.storage_url.startswith("s3://"):
        return S3Store.from_url(settings.storage_url)
    return FolderStore(folder)
