"""The demo's log-ins: the password every demo user has, and the addresses worth knowing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEMO_PASSWORD = "demo-losenord-2026"

FIRM_USER = "byra@demo.example"
CLIENT_ADMIN = "admin@demo.example"
EMPLOYEE = "anna@demo.example"

# `--big-company N`: one more client, of N employees, numbered far from the others' (its
# organisation number from this index; its admin admin500000@demo.example).
BIG_COMPANY_INDEX = 500_000
BIG_COMPANY_ADMIN = f"admin{BIG_COMPANY_INDEX}@demo.example"


@dataclass(frozen=True)
class DemoLogins:
    firm_user: str
    client_admin: str
    employee: str
    password: str
    rows: Mapping[str, int] = field(default_factory=dict)  # table name -> rows in the database
