"""Demo data for the whole company domain, deterministic from a seed.

`load_demo` creates accounting firms (ACCOUNTING_PARTNER, activated) and client companies, each
client with its collaborations (ACTIVE with one of the firms; a few PENDING, one ENDED), its
settings and Swedish time codes (`add_company_defaults`), an admin and N employees (each also a
user who can log in), schedules, customers, projects, activities and assignments,
three calendar months of reported time up to yesterday, week attestations, absences, expenses with
receipt images in the storage folder, mileage, and the three months' payroll periods.

Everything follows the domain rules: valid organisation and personal identity numbers (a few
coordination numbers), VAT rates valid on the expense's date (`vat_rates_on`), the mileage rate of
the year, time codes of the employee's own company, nothing dated after the clock's "now".

Same seed, same sizes and same clock: identical rows (ids included, on a fresh database), and
identical receipt files. Each client draws from its own random stream, so client 7 looks the same
whatever the number of clients.

The modules, by domain:

- `vocabulary`: Swedish names, streets, towns, company and firm names, work, banks, purchases
- `calendar`: Easter and the days off, Stockholm times, the three months (`Calendar`)
- `builder`: the shared state (`Builder`: ids, random streams, used numbers and names) and
  the `Batch` of rows; the per-domain builders are functions taking both
- `people` (persons, users, companies, firms), `clients`, `collaborations`, `projects`,
  `employees`, `time` (absences, time entries, attestations), `expenses`, `receipts` (images)
- `writing`: Core inserts in executemany chunks, one transaction per batch of clients, receipt
  files stored in a worker thread meanwhile; ids and PostgreSQL's sequences
- `load`: `load_demo`, the big company, the locked months, `describe`
- `logins`: the demo's password and the addresses worth knowing
"""

from gql_portal.demo.calendar import swedish_days_off
from gql_portal.demo.load import (
    CLIENTS_PER_TRANSACTION,
    LOCKED_CLIENTS,
    PROGRESS_EVERY,
    database_is_empty,
    describe,
    load_demo,
)
from gql_portal.demo.logins import (
    BIG_COMPANY_ADMIN,
    BIG_COMPANY_INDEX,
    CLIENT_ADMIN,
    DEMO_PASSWORD,
    EMPLOYEE,
    FIRM_USER,
    DemoLogins,
)
from gql_portal.demo.people import organisation_number
from gql_portal.demo.receipts import ReceiptImage
from gql_portal.demo.writing import CHUNK_ROWS, SQLITE_CACHE_KIB

__all__ = [
    "BIG_COMPANY_ADMIN",
    "BIG_COMPANY_INDEX",
    "CHUNK_ROWS",
    "CLIENTS_PER_TRANSACTION",
    "CLIENT_ADMIN",
    "DEMO_PASSWORD",
    "EMPLOYEE",
    "FIRM_USER",
    "LOCKED_CLIENTS",
    "PROGRESS_EVERY",
    "SQLITE_CACHE_KIB",
    "DemoLogins",
    "ReceiptImage",
    "database_is_empty",
    "describe",
    "load_demo",
    "organisation_number",
    "swedish_days_off",
]
