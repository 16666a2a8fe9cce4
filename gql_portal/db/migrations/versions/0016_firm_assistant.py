"""the firm's read-only assistant role (reserved; filled by issue 20 point 2)

Revision ID: 0016_firm_assistant
Revises: 0015_integration_deliveries
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

revision: str = "0016_firm_assistant"
down_revision: str | None = "0015_integration_deliveries"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
