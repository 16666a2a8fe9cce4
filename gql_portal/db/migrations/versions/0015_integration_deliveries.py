"""outbound deliveries of the payroll integration and webhooks (reserved; filled by issue 16 point 9)

Revision ID: 0015_integration_deliveries
Revises: 0014_stored_files
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

revision: str = "0015_integration_deliveries"
down_revision: str | None = "0014_stored_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
