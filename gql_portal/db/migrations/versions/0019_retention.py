"""retention of export files and orphaned receipts (reserved; filled by issue 18 point 3)

Revision ID: 0019_retention
Revises: 0018_jobs
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

revision: str = "0019_retention"
down_revision: str | None = "0018_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
