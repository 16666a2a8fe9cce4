"""Files (receipts, exports) in the storage folder, never in the database.

A file is stored once under its SHA-256 (content-addressed, per company), written to a temporary
name and renamed, so a crash never leaves half a file under a real name (and the temporary names
are swept at start-up).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

# Temporary files of `put` start with this; `sweep_partials` removes those a crash left behind.
PARTIAL_PREFIX = ".partial-"
PARTIAL_MAX_AGE_SECONDS = 3600.0


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
            with tempfile.NamedTemporaryFile(
                dir=target.parent, prefix=PARTIAL_PREFIX, delete=False
            ) as handle:
                try:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                except BaseException:
                    os.unlink(handle.name)
                    raise
            os.replace(handle.name, target)
        return StoredFile(key, digest, len(data))

    def sweep_partials(self, older_than: float = PARTIAL_MAX_AGE_SECONDS) -> int:
        """Remove the temporary files of writes a dead process left (a live write takes far
        less than `older_than` seconds); how many were removed."""
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        removed = 0
        for directory, _, names in os.walk(self.root):
            for name in names:
                if not name.startswith(PARTIAL_PREFIX):
                    continue
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    pass  # another worker swept it first
        return removed

    def read(self, storage_key: str) -> bytes:
        return self.path(storage_key).read_bytes()
