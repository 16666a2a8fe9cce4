"""retention of export files and orphaned stored files (issue 18 point 3)

exports.file_deleted_at: when the retention job deleted the export's file (the row, its state and
its periods' EXPORTED state stay; a download answers EXPORT_FILE_EXPIRED). stored_files.created_at:
when the `postgresql:` backend stored (or stored again) a file, the age the orphan sweep reads;
rows from before this revision have none and count as old.

Revision ID: 0019_retention
Revises: 0018_jobs
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0019_retention"
down_revision: str | None = "0018_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "file_deleted_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=True
            )
        )
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("created_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("stored_files", schema=None) as batch_op:
        batch_op.drop_column("created_at")
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_column("file_deleted_at")
