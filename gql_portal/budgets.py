"""Cost budgets: how many cost points (see schema/limits.py) each session and each client
address may spend per minute before requests are refused with RATE_LIMITED.

Budgets are kept in the database so that every worker shares them, without a statement per
request: each worker charges requests in memory and adds what it charged to the database about
once a second (`flush`, one upsert per key), learning the totals of all workers back. A burst
spread over several workers can therefore overshoot by up to a second's spending; the budget is
a brake on abuse, not an invoice.

Windows are whole minutes (UTC), the same for every worker; a refused client is told how many
seconds remain of the current one. Addresses are stored as keyed hashes, never as IP addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.db.limits import CostSpent

log = logging.getLogger("gql_portal.budgets")

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class Refusal:
    """Why a request was refused: which budget ran out, and when the next window opens."""

    budget: str  # "session" or "address"
    limit: int
    retry_after_seconds: int


def window_of(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


class CostBudgets:
    """One worker's view of the shared budgets (see the module's text)."""

    def __init__(self, database: Database, clock: Clock, settings: Settings) -> None:
        self.database = database
        self.clock = clock
        self.per_session = settings.cost_budget_per_session
        self.per_address = settings.cost_budget_per_address
        self._secret = settings.secret_key.encode()
        self._window = window_of(clock.now())
        # Totals of every worker as of this worker's last flush, for the current window.
        self._known: dict[str, int] = {}
        # Charged here and not yet added to the database, by key and window.
        self._pending: defaultdict[tuple[str, datetime], int] = defaultdict(int)
        self._swept: datetime | None = None

    def address_key(self, address: str) -> str:
        digest = hmac.new(self._secret, address.encode(), hashlib.sha256).hexdigest()
        return "a:" + digest[:40]

    def charge(self, session_id: int | None, address: str, cost: int) -> Refusal | None:
        """Charge a request's cost to its session and address, or refuse it (nothing charged)
        when either budget would be passed. Every request costs at least one point."""
        now = self.clock.now()
        window = window_of(now)
        if window != self._window:
            self._window = window
            self._known.clear()
        points = max(cost, 1)
        budgets = [(self.address_key(address), self.per_address, "address")]
        if session_id is not None:
            budgets.insert(0, (f"s:{session_id}", self.per_session, "session"))
        for key, limit, name in budgets:
            spent = self._known.get(key, 0) + self._pending.get((key, window), 0)
            if spent + points > limit:
                remaining = (window + WINDOW - now).total_seconds()
                return Refusal(name, limit, max(1, math.ceil(remaining)))
        for key, _, _ in budgets:
            self._pending[(key, window)] += points
        return None

    async def flush(self) -> None:
        """Add what this worker charged to the shared totals and learn them back; delete the
        rows of past windows (once a minute). Run about once a second, and at shutdown."""
        pending, self._pending = self._pending, defaultdict(int)
        current = window_of(self.clock.now())
        sweep = self._swept != current
        if not pending and not sweep:
            return
        dialect = postgresql if self.database.engine.dialect.name == "postgresql" else sqlite
        try:
            async with self.database.transaction() as session:
                for (key, window), points in pending.items():
                    upsert = dialect.insert(CostSpent).values(
                        key=key, window_start=window, spent=points
                    )
                    upsert = upsert.on_conflict_do_update(
                        index_elements=[CostSpent.key, CostSpent.window_start],
                        set_={"spent": CostSpent.spent + upsert.excluded.spent},
                    ).returning(CostSpent.spent)
                    total = await session.scalar(upsert)
                    if window == self._window and total is not None:
                        self._known[key] = total
                if sweep:
                    await session.execute(
                        delete(CostSpent).where(CostSpent.window_start < current - WINDOW)
                    )
        except Exception:
            # Keep what was charged for the next round rather than forgetting it.
            for entry, points in pending.items():
                self._pending[entry] += points
            raise
        if sweep:
            self._swept = current
