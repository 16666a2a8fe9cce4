"""The files of a running export in `exports/tmp` and the blocking file work of a job (run in a
worker thread): `<export id>.part` is the file being written, `<export id>.lock` its owner file,
`<export id>.receipts/` the copies of its receipts when they are stored elsewhere than the
storage folder (jobs/exports/receipt_copies.py).

While a job runs it holds a lock (flock) on its owner file: the operating system lets go of it
when the process dies, even by SIGKILL, so recovery knows at once that nobody runs the export.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from gql_portal.runtime import Runtime

TMP_FOLDER = "exports/tmp"  # <export id>.part: the file being written; <export id>.lock: its owner
LEFTOVER_SUFFIXES = (".part", ".lock", ".receipts")


def part_path(runtime: Runtime, export_id: int) -> Path:
    """Where the export's file is written before it is renamed to its final name."""
    return runtime.storage.path(f"{TMP_FOLDER}/{export_id}.part")


def receipts_path(runtime: Runtime, export_id: int) -> Path:
    """The folder of the export's receipt copies (receipts stored outside the storage folder)."""
    return runtime.storage.path(f"{TMP_FOLDER}/{export_id}.receipts")


def owner_path(runtime: Runtime, export_id: int) -> Path:
    """The file a running export's job keeps locked (flock): the lock goes with its process."""
    return runtime.storage.path(f"{TMP_FOLDER}/{export_id}.lock")


def hold(path: Path) -> int:
    """Open and lock an owner file (waiting for it), for as long as the job runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def let_go(owner: tuple[Path, int], *, remove: bool) -> None:
    """Unlock an owner file; removed once the export is DONE or FAILED, else (cancelled at
    shutdown) left for the next start, which then knows at once that nobody runs it."""
    path, descriptor = owner
    try:
        if remove:
            path.unlink(missing_ok=True)
    finally:
        os.close(descriptor)


def abandoned(path: Path) -> int | None:
    """The owner file, opened and locked, when it exists and no process holds it any more."""
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError:
        return None
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # held: its job is running
        os.close(descriptor)
        return None
    return descriptor


def leftovers(folder: Path) -> dict[int, list[Path]]:
    """The files in exports/tmp by export id."""
    found: dict[int, list[Path]] = {}
    if folder.is_dir():
        for path in folder.iterdir():
            if path.suffix in LEFTOVER_SUFFIXES and path.stem.isdigit():
                found.setdefault(int(path.stem), []).append(path)
    return found


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
