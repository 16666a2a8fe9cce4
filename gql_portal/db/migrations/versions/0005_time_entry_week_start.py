"""time entries: the stored Monday of their week (week_start), and a (company, date) index

The portal board counts a page of clients' employees with unattested weeks by matching time
entries to week_attestations on the week: with the week stored, the match needs no date
arithmetic per row, and ix_time_entries_company_id_date (company_id, date, employee_id,
week_start) reads a company's date range from the index alone. It replaces
ix_time_entries_company_id (its first column).

Revision ID: 0005_time_entry_week_start
Revises: 0004_cost_spent
Create Date: 2026-11-27 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_time_entry_week_start"
down_revision: str | None = "0004_cost_spent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The Monday of the ISO week of `date`, as gql_portal.db.functions.week_start compiles it.
BACKFILL = {
    "sqlite": "UPDATE time_entries SET week_start = "
    "date(date, '-' || ((CAST(strftime('%w', date) AS INTEGER) + 6) % 7) || ' days')",
    "postgresql": "UPDATE time_entries SET week_start = CAST(date_trunc('week', date) AS DATE)",
}


def upgrade() -> None:
    op.add_column("time_entries", sa.Column("week_start", sa.Date(), nullable=True))
    op.execute(BACKFILL[op.get_bind().dialect.name])
    op.drop_index("ix_time_entries_company_id", table_name="time_entries")
    # SQLite cannot alter a column: batch mode copies the table (PostgreSQL: ALTER COLUMN).
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.alter_column("week_start", existing_type=sa.Date(), nullable=False)
    op.create_index(
        "ix_time_entries_company_id_date",
        "time_entries",
        ["company_id", "date", "employee_id", "week_start"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_time_entries_company_id_date", table_name="time_entries")
    op.create_index("ix_time_entries_company_id", "time_entries", ["company_id"], unique=False)
    with op.batch_alter_table("time_entries", schema=None) as batch_op:
        batch_op.drop_column("week_start")
