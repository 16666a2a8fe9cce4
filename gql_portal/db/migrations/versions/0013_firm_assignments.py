"""consultants assigned to clients inside a firm (reserved; filled by issue 20's work)

Revision ID: 0013_firm_assignments
Revises: 0012_expense_currency_vouchers
Create Date: 2026-12-07 13:40:00
"""

from collections.abc import Sequence

revision: str = "0013_firm_assignments"
down_revision: str | None = "0012_expense_currency_vouchers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
