"""Files (receipts, exports) in the storage folder, never in the database.

A file is stored once under its SHA-256 (content-addressed, per company), written to a temporary
name and renamed, so a crash never leaves half a file under a real name.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StoredFile:
    storage_key: str  # relative to the storage folder
    sha256: str
    size_bytes: int


class Storage:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, storage_key: str) -> Path:
        path = (self.root / storage_key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise ValueError("storage key outside the storage folder")
        return path

    def put(self, kind: str, company_id: int, data: bytes, suffix: str = "") -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        key = f"{kind}/{company_id}/{digest[:2]}/{digest}{suffix}"
        target = self.path(key)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, target)
        return StoredFile(key, digest, len(data))

    def read(self, storage_key: str) -> bytes:
        return self.path(storage_key).read_bytes()
