"""named assignment as a collaboration condition, leaver report (reserved; filled by issue 20 points 3-4)

Revision ID: 0017_named_assignment
Revises: 0016_firm_assistant
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

revision: str = "0017_named_assignment"
down_revision: str | None = "0016_firm_assistant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
