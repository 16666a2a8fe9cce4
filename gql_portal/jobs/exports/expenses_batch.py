"""An accounting firm's batch of its clients' expenses: one ZIP with a folder per client that
has expenses in the range (its .SI file as SIE4I, its receipts in `kvitton/`, its `utlagg.csv`:
what the client's own export holds) and `manifest.csv` listing every client, exported or skipped
(NO_EXPENSES). The firm reads each client's expenses with the rights of the user who asked
(row scoping as in their request), like the payroll batch (batch.py)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import anyio.to_thread

from gql_portal.db.accounts import Company
from gql_portal.domain import exports as files
from gql_portal.domain.export_rules import batch_order, manifest_status
from gql_portal.jobs.exports.common import ExportWork, Progress, Written
from gql_portal.jobs.exports.expenses import ClientExpenses, add_client, read_clients
from gql_portal.jobs.exports.request import ExpenseBatchOptions, ExpenseOptions
from gql_portal.permissions.matrix import Area
from gql_portal.permissions.rules import sees_owner_identity

MANIFEST_NAME = "manifest.csv"


async def write_expenses_batch(work: ExportWork) -> Written:
    request = work.request
    options = request.options
    assert isinstance(options, ExpenseBatchOptions)
    assert request.date_from is not None and request.date_to is not None
    async with work.runtime.database.session() as session:  # the firm itself: no row scope
        firm = await session.get_one(Company, request.company_id)
        firm_number = files.organisation_number_in_names(
            firm.organisation_number, in_full=sees_owner_identity(request.access, firm.id)
        )
    async with work.reading(as_area=Area.EXPENSES_RECEIPTS) as session:
        found = await read_clients(work, session, options.client_ids, options.expenses)
    names = {client.company_id: client.company.name for client in found}
    by_id = {client.company_id: client for client in found}
    clients = [by_id[key] for key in batch_order(options.client_ids, names)]
    folders = _folders(clients)
    progress = work.progress(max(1, sum(len(client.expenses) for client in clients)))
    totals = await anyio.to_thread.run_sync(
        lambda: _write_archive(work, clients, folders, options.expenses, progress)
    )
    manifest = [_manifest_entry(client, totals.get(client.company_id)) for client in clients]
    exported = [client.company_id for client in clients if client.company_id in totals]
    summary = {
        "lines": sum(int(t["lines"]) for t in totals.values()),
        "total_amount": str(
            sum((Decimal(t["total_amount"]) for t in totals.values()), Decimal("0.00"))
        ),
        "clients": manifest,
    }
    kind = "utlagg_sie" if options.expenses.sie else "utlagg"
    span = f"{request.date_from}_{request.date_to}_{len(exported)}-klienter"
    return Written(f"{kind}_{firm_number}_{span}.zip", summary, expense_clients=tuple(exported))


def _folders(clients: Sequence[ClientExpenses]) -> dict[int, str]:
    """Each client's folder (those with expenses): organisation number as the asker may see it
    in names, and name; unique even for two masked sole traders of one birthday and name."""
    taken: set[str] = set()
    return {
        client.company_id: files.unique_name(
            files.client_folder_name(client.company, number=client.name_number), taken
        )
        for client in clients
        if client.expenses
    }


def _write_archive(
    work: ExportWork,
    clients: Sequence[ClientExpenses],
    folders: dict[int, str],
    options: ExpenseOptions,
    progress: Progress,
) -> dict[int, dict[str, Any]]:
    """In the worker thread: one ZIP, each client's folder, then the manifest; the totals of
    each exported client by company id."""
    assert work.request.date_to is not None
    totals: dict[int, dict[str, Any]] = {}
    with files.DeterministicZip(work.tmp, timestamp=work.request.date_to) as archive:
        for client in clients:
            folder = folders.get(client.company_id)
            if folder is not None:
                totals[client.company_id] = add_client(
                    archive, f"{folder}/", client, options, progress
                )
        rows = [_manifest_row(client, totals.get(client.company_id)) for client in clients]
        archive.add_writer(
            MANIFEST_NAME,
            lambda out: files.write_manifest_csv(out, rows, decimal_comma=options.decimal_comma),
        )
    return totals


def _skip_reason(totals: dict[str, Any] | None) -> files.SkipReason | None:
    return None if totals is not None else files.SkipReason.NO_EXPENSES


def _file_name(totals: dict[str, Any]) -> str:
    """The client's file the manifest names: its .SI file, or its summary."""
    return str(totals.get("sie_file") or totals["summary_file"])


def _manifest_row(client: ClientExpenses, totals: dict[str, Any] | None) -> files.ManifestEntry:
    reason = _skip_reason(totals)
    return files.ManifestEntry(
        organisation_number=client.shown_number,
        company_name=client.company.name,
        status=manifest_status(reason),
        reason=reason,
        file_name=_file_name(totals) if totals else None,
        line_count=int(totals["lines"]) if totals else 0,
        total_amount=Decimal(totals["total_amount"]) if totals else Decimal("0.00"),
    )


def _manifest_entry(client: ClientExpenses, totals: dict[str, Any] | None) -> dict[str, Any]:
    """The client as the export's summary keeps it (the `manifest` field reads it)."""
    reason = _skip_reason(totals)
    entry: dict[str, Any] = {
        "company_id": client.company_id,
        "organisation_number": client.shown_number,
        "company_name": client.company.name,
        "status": manifest_status(reason).value,
    }
    if totals is None:
        entry["reason"] = reason
    else:
        entry["file_name"] = _file_name(totals)
        entry["lines"] = totals["lines"]
        entry["total_amount"] = totals["total_amount"]
        if "vouchers" in totals:
            entry["vouchers"] = totals["vouchers"]
            entry["mileage_left_out"] = totals["mileage_left_out"]
    return entry
