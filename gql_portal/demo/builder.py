"""The core of the demo's builders: the shared state (ids, the calendar, the seed's random
streams, numbers and names already used) and the batch of rows being built.

The per-domain builders (`people`, `clients`, `collaborations`, `projects`, `employees`, `time`,
`expenses`) are functions taking the `Builder` and a `Batch`. Each draws from the random stream
it is given, in a fixed order: same seed, same draws, same rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from gql_portal.db.absence import Absence
from gql_portal.db.accounts import Company, Membership, User
from gql_portal.db.collaborations import Collaboration
from gql_portal.db.employees import Employee
from gql_portal.db.expenses import Expense, ExpenseVatLine, Receipt
from gql_portal.db.payroll import PayrollPeriod
from gql_portal.db.projects import Activity, Customer, Project, ProjectAssignment
from gql_portal.db.schedules import Schedule
from gql_portal.db.time import TimeEntry, WeekAttestation
from gql_portal.demo.calendar import Calendar
from gql_portal.demo.receipts import ReceiptJob
from gql_portal.domain.accounts import Industry
from gql_portal.domain.employees import EmploymentForm

Row = dict[str, Any]

# Insert order: every table after the ones it refers to.
TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (
        Company,
        User,
        Membership,
        Collaboration,
        Employee,
        Schedule,
        Customer,
        Project,
        Activity,
        ProjectAssignment,
        TimeEntry,
        WeekAttestation,
        Absence,
        Expense,
        ExpenseVatLine,
        Receipt,
        PayrollPeriod,
    )
)

HOURS = [Decimal(half) / 2 for half in range(0, 49)]  # by half hours, 0-24 h: HOURS[halves]

# An active project and its activities' ids.
ProjectWork = tuple[int, list[int]]


@dataclass
class Batch:
    """The rows of a batch of clients, written in one transaction."""

    rows: dict[str, list[Row]] = field(default_factory=lambda: {t.name: [] for t in TABLES})
    companies: list[tuple[int, datetime]] = field(default_factory=list)  # for the defaults
    receipts: list[ReceiptJob] = field(default_factory=list)

    def add(self, table: str, row: Row) -> None:
        self.rows[table].append(row)


@dataclass(frozen=True)
class Firm:
    company_id: int
    user_id: int  # the firm's first user (FIRM_USER for the first firm)
    created: datetime


@dataclass
class EmployeeContext:
    """What an employee's absences, time and expenses are built from."""

    company_id: int
    employee_id: int
    admin_id: int
    start: date
    week: tuple[int, ...]  # hours Monday..Sunday
    hourly: bool
    form: EmploymentForm
    industry: Industry
    projects: list[ProjectWork]  # internal first
    showcase: bool
    unattested_weeks: int
    employment_end: date | None


class Builder:
    """Shared across clients: ids, the calendar, the seed, used numbers and names."""

    def __init__(
        self, calendar: Calendar, next_ids: dict[str, int], password_hash: str, seed: int
    ) -> None:
        self.calendar = calendar
        self.ids = next_ids
        self.password_hash = password_hash
        self.seed = seed
        self.personal_numbers: set[str] = set()
        self.company_names: set[str] = set()
        self.receipt_serial = 0
        self.demo_firms: list[Firm] = []

    def take(self, table: str) -> int:
        """The next id of `table` (ids other rows refer to are assigned here, not by the
        database)."""
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def stream(self, *name: object) -> random.Random:
        """The random stream of one part of the demo (e.g. "client", 7): the same whatever
        else is built."""
        return random.Random(":".join(str(part) for part in (self.seed, *name)))

    def next_receipt_serial(self) -> int:
        self.receipt_serial += 1
        return self.receipt_serial
