"""cost budgets: cost points spent per key and minute

Revision ID: 0004_cost_spent
Revises: 0003_exports
Create Date: 2026-11-27 10:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0004_cost_spent"
down_revision: str | None = "0003_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cost_spent",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("window_start", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "window_start", name=op.f("pk_cost_spent")),
    )
    with op.batch_alter_table("cost_spent", schema=None) as batch_op:
        batch_op.create_index("ix_cost_spent_window_start", ["window_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cost_spent", schema=None) as batch_op:
        batch_op.drop_index("ix_cost_spent_window_start")
    op.drop_table("cost_spent")
