"""clock times on time entries and the company's OB windows

A time entry may say when the work was done: start_time and end_time (local wall-clock times;
an end at or before the start is the next day) and break_minutes, all null on the entries
reported before (and on any entry without clock times). The company's OB windows (ob_windows,
SETTINGS) say which clock times give which OB code; a company without rows has no OB.

Revision ID: 0008_clock_times_ob
Revises: 0007_pay_types
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0008_clock_times_ob"
down_revision: str | None = "0007_pay_types"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns: SQLite adds them in place (batch mode copies the table only for what
    # it cannot ALTER).
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("end_time", sa.Time(), nullable=True))
        batch_op.add_column(sa.Column("break_minutes", sa.Integer(), nullable=True))

    op.create_table(
        "ob_windows",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("holidays", sa.Boolean(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("created_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_ob_windows_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ob_windows")),
    )
    with op.batch_alter_table("ob_windows", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ob_windows_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ob_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ob_windows_company_id"))
    op.drop_table("ob_windows")

    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_column("break_minutes")
        batch_op.drop_column("end_time")
        batch_op.drop_column("start_time")
