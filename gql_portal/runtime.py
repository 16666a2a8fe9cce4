"""The long-lived parts of a running service, created once and shared by every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gql_portal.background import Jobs
from gql_portal.budgets import CostBudgets
from gql_portal.clock import Clock
from gql_portal.config import Settings
from gql_portal.db.engine import Database
from gql_portal.live import Bus, bus_for
from gql_portal.security import Passwords
from gql_portal.storage import FileStore, FolderStore, Storage, store_for


@dataclass
class Runtime:
    settings: Settings
    database: Database
    clock: Clock = field(default_factory=Clock)
    passwords: Passwords = field(default_factory=Passwords)
    # The storage folder: this machine's own files (running exports' temporary files, locks),
    # and the stored files too with the default backend.
    storage: Storage = field(default_factory=lambda: Storage(Path("./storage")))
    # The backend receipts and export files are stored in (`files`); None: the storage folder.
    file_store: FileStore | None = None
    jobs: Jobs = field(default_factory=Jobs)
    # Nudges the mail delivery worker after mail was queued (a no-op without SMTP).
    wake_mailer: Callable[[], None] = lambda: None
    # Nudges this worker's deliverer (jobs/deliveries.py) after a delivery was queued.
    wake_deliveries: Callable[[], None] = lambda: None
    budgets: CostBudgets = field(init=False)
    # Live updates' events between workers (gql_portal/live): NOTIFY on PostgreSQL.
    bus: Bus = field(init=False)

    def __post_init__(self) -> None:
        self.budgets = CostBudgets(self.database, self.clock, self.settings)
        self.bus = bus_for(self.settings.database_url, self.settings.live_coalesce_ms / 1000)

    @property
    def files(self) -> FileStore:
        """Where receipts and export files are stored (`GQL_PORTAL_STORAGE_URL`)."""
        return self.file_store or FolderStore(self.storage)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: object) -> Runtime:
        database = Database.from_url(settings.database_url)
        storage = overrides.setdefault("storage", Storage(settings.storage_dir))
        assert isinstance(storage, Storage)
        overrides.setdefault("file_store", store_for(settings, database, storage))
        return cls(settings=settings, database=database, **overrides)  # type: ignore[arg-type]
