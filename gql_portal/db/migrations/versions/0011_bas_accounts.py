"""the company's BAS account per expense category

Revision ID: 0011_bas_accounts
Revises: 0010_expense_vat_lines
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401  (filled in by the work that owns this revision)

revision: str = "0011_bas_accounts"
down_revision: str | None = "0010_expense_vat_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
