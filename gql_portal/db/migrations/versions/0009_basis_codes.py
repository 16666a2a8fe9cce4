"""payroll basis lines carry the standard PAXml code, project and VAT

Revision ID: 0009_basis_codes
Revises: 0008_clock_times_ob
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401  (filled in by the work that owns this revision)

revision: str = "0009_basis_codes"
down_revision: str | None = "0008_clock_times_ob"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
