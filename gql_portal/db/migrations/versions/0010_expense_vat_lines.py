"""an expense's VAT lines (rate, net, VAT) and representation details

Revision ID: 0010_expense_vat_lines
Revises: 0009_basis_codes
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401  (filled in by the work that owns this revision)

revision: str = "0010_expense_vat_lines"
down_revision: str | None = "0009_basis_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
