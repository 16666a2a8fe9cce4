"""Account vocabulary shared by the database, the schema and the permission matrix."""

from __future__ import annotations

from enum import StrEnum


class Industry(StrEnum):
    ACCOUNTING_PARTNER = "ACCOUNTING_PARTNER"  # Byråpartner: an accounting firm
    CONSTRUCTION = "CONSTRUCTION"
    CONSULTING = "CONSULTING"
    HEALTHCARE = "HEALTHCARE"
    HOSPITALITY = "HOSPITALITY"
    MANUFACTURING = "MANUFACTURING"
    RETAIL = "RETAIL"
    TRANSPORT = "TRANSPORT"
    CLEANING = "CLEANING"
    IT = "IT"
    OTHER = "OTHER"


INDUSTRY_LABELS_SV = {
    Industry.ACCOUNTING_PARTNER: "Byråpartner",
    Industry.CONSTRUCTION: "Bygg",
    Industry.CONSULTING: "Konsult",
    Industry.HEALTHCARE: "Vård och omsorg",
    Industry.HOSPITALITY: "Hotell och restaurang",
    Industry.MANUFACTURING: "Tillverkning",
    Industry.RETAIL: "Handel",
    Industry.TRANSPORT: "Transport",
    Industry.CLEANING: "Städ",
    Industry.IT: "IT",
    Industry.OTHER: "Övrigt",
}


class PayrollProgram(StrEnum):
    VISMA_LON_SMART = "VISMA_LON_SMART"
    VISMA_LON_300 = "VISMA_LON_300"
    VISMA_LON_600 = "VISMA_LON_600"
    FORTNOX_LON = "FORTNOX_LON"
    HOGIA = "HOGIA"
    CRONA = "CRONA"
    KONTEK = "KONTEK"
    OTHER = "OTHER"


class Role(StrEnum):
    """A user's role in one company (a membership)."""

    ADMIN = "ADMIN"
    EMPLOYEE = "EMPLOYEE"


class SessionContext(StrEnum):
    """Where a logged-in session is: inside one company, or in the partner portal."""

    COMPANY = "COMPANY"
    PORTAL = "PORTAL"


class TokenPurpose(StrEnum):
    VERIFY_EMAIL = "VERIFY_EMAIL"  # the login link of the welcome mail
    RESET_PASSWORD = "RESET_PASSWORD"
