"""background jobs in the database with leases (reserved; filled by issue 18 point 2)

Revision ID: 0018_jobs
Revises: 0017_named_assignment
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

revision: str = "0018_jobs"
down_revision: str | None = "0017_named_assignment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
