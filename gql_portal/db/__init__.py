"""The data layer: one module per domain; importing this package registers every table."""

from gql_portal.db import (
    absence,
    accounts,
    audit,
    bas,
    collaborations,
    employees,
    expenses,
    exports,
    files,
    firm,
    integrations,
    limits,
    mail,
    ob,
    payroll,
    projects,
    schedules,
    settings,
    time,
)
from gql_portal.db.base import Base
from gql_portal.db.engine import Database

__all__ = [
    "Base",
    "Database",
    "absence",
    "accounts",
    "audit",
    "bas",
    "collaborations",
    "employees",
    "expenses",
    "exports",
    "files",
    "firm",
    "integrations",
    "limits",
    "mail",
    "ob",
    "payroll",
    "projects",
    "schedules",
    "settings",
    "time",
]
