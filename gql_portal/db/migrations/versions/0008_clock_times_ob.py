"""clock times on time entries and the company's OB windows

Revision ID: 0008_clock_times_ob
Revises: 0007_pay_types
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401  (filled in by the work that owns this revision)

revision: str = "0008_clock_times_ob"
down_revision: str | None = "0007_pay_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
