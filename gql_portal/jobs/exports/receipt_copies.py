"""Receipts inside an expenses export: the ZIP writer reads each receipt from a file. In the
storage folder that is the stored file itself; from any other backend (PostgreSQL) the job
first streams the export's receipts into `exports/tmp/<export id>.receipts/`, each checked
against its SHA-256, and the folder goes when the job ends (or with recovery's leftovers)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

import anyio
import anyio.to_thread

from gql_portal.db.expenses import Receipt
from gql_portal.jobs.exports.common import ExportFailed
from gql_portal.jobs.exports.tmpfiles import receipts_path
from gql_portal.runtime import Runtime
from gql_portal.storage import FolderStore, IntegrityFailure, verifying


def receipt_path(runtime: Runtime, export_id: int, receipt: Receipt) -> Path:
    """Where the export's writer reads the receipt from."""
    store = runtime.files
    if isinstance(store, FolderStore):
        return store.storage.path(receipt.storage_key)
    return receipts_path(runtime, export_id) / receipt.sha256


async def copy_receipts(runtime: Runtime, export_id: int, receipts: Sequence[Receipt]) -> None:
    """Stream the receipts out of a backend other than the folder, each once (by checksum)."""
    store = runtime.files
    if isinstance(store, FolderStore) or not receipts:
        return
    folder = receipts_path(runtime, export_id)
    await anyio.to_thread.run_sync(partial(folder.mkdir, parents=True, exist_ok=True))
    for receipt in {receipt.sha256: receipt for receipt in receipts}.values():
        target = receipt_path(runtime, export_id, receipt)
        chunks = verifying(store.open(receipt.storage_key), receipt.sha256, receipt.size_bytes)
        try:
            async with await anyio.open_file(target, "wb") as copy:
                async for chunk in chunks:
                    await copy.write(chunk)
        except IntegrityFailure:
            raise ExportFailed(
                "RECEIPT_MISSING", f"the receipt file of expense {receipt.expense_id} is missing"
            ) from None
