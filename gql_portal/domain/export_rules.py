"""Which clients an accounting firm's batch export skips, and why: pure rules over what the
export job read about each client's payroll month (no database, no files).

A client gets a file when its month has a LOCKED (or already EXPORTED) payroll period with at
least one line, and, for PAXml, every employee with a line has a personal identity number.
Otherwise the manifest lists it as SKIPPED with the first reason that applies, in this order:
NO_PERIOD, PERIOD_NOT_LOCKED, MISSING_PERSONAL_IDENTITY_NUMBER, NO_LINES.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from gql_portal.domain.exports import ManifestStatus, SkipReason
from gql_portal.domain.payroll import PeriodState


@dataclass(frozen=True, slots=True)
class ClientMonth:
    """What a batch knows about one client's payroll month."""

    period_state: PeriodState | None  # None: the month's period was never opened
    # Employees with a line in the period but no personal identity number.
    employees_without_identity: int = 0
    line_count: int = 0


def skip_reason(month: ClientMonth, *, paxml: bool) -> SkipReason | None:
    """Why the client has no file in the batch, or None when it is exported."""
    if month.period_state is None:
        return SkipReason.NO_PERIOD
    if month.period_state is PeriodState.OPEN:
        return SkipReason.PERIOD_NOT_LOCKED  # not ready for payroll: its basis may change
    if paxml and month.employees_without_identity > 0:
        return SkipReason.MISSING_PERSONAL_IDENTITY_NUMBER  # PAXml names each by personnummer
    if month.line_count == 0:
        return SkipReason.NO_LINES
    return None


def manifest_status(reason: SkipReason | None) -> ManifestStatus:
    return ManifestStatus.SKIPPED if reason is not None else ManifestStatus.EXPORTED


def batch_order(clients: Iterable[int], names: Mapping[int, str]) -> list[int]:
    """The clients in the order of the batch (by name; equal names keep the order asked),
    leaving out those without a name: deleted since the batch was asked for."""
    return sorted((client for client in clients if client in names), key=lambda c: names[c])
