"""files stored in the database and jobs in the database (reserved; filled by issue 18's work)

Revision ID: 0014_stored_files
Revises: 0013_firm_assignments
Create Date: 2026-12-07 13:40:00
"""

from collections.abc import Sequence

revision: str = "0014_stored_files"
down_revision: str | None = "0013_firm_assignments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
