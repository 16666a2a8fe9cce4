"""named assignment as a collaboration condition (issue 20, point 3)

company_settings gets require_named_assignment: a client that requires it is reached only by
the firm's users assigned to it (and the firm's admins), whatever the firm's policy. False for
every existing row, so that existing collaborations keep today's behaviour. (The leaver report,
point 4, needs no table: it reads the USER_REMOVED audit event.)

Revision ID: 0017_named_assignment
Revises: 0016_firm_assistant
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_named_assignment"
down_revision: str | None = "0016_firm_assistant"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_named_assignment",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.drop_column("require_named_assignment")
