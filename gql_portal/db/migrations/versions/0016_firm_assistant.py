"""the firm's read-only assistant role: nothing to change in the database (issue 20 point 2)

`memberships.role` is a VARCHAR(32) without a CHECK constraint on SQLite and PostgreSQL alike
(0001 made it a non-native `sa.Enum`, which SQLAlchemy 2 creates without a constraint): the new
member ASSISTANT of `Role` is stored as it is, and existing memberships keep their roles. The
revision stays, empty, to keep the reserved chain.

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
