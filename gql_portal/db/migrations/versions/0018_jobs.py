"""background jobs in the database with leases (issue 18 point 2)

jobs: one row per queued piece of background work (today: an export's file), claimed by any
worker on any machine and held by a lease (`lease_owner`, `lease_expires_at`) it renews while
running; a job whose lease ran out is taken over or failed. Exports made before this revision
have no job row: the start-up recovery's old rules still apply to them.

Revision ID: 0018_jobs
Revises: 0017_named_assignment
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0018_jobs"
down_revision: str | None = "0017_named_assignment"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column(
            "kind",
            sa.Enum(
                "EXPORT", name="jobkind", native_enum=False, create_constraint=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("export_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "QUEUED",
                "RUNNING",
                "DONE",
                "FAILED",
                name="jobstate",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=200), nullable=True),
        sa.Column("lease_expires_at", gql_portal.db.base.UTCDateTime(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", gql_portal.db.base.UTCDateTime(), nullable=False),
        sa.Column("started_at", gql_portal.db.base.UTCDateTime(), nullable=True),
        sa.Column("finished_at", gql_portal.db.base.UTCDateTime(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["exports.id"],
            name=op.f("fk_jobs_export_id_exports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_export_id"), "jobs", ["export_id"], unique=False)
    op.create_index(
        "ix_jobs_state_lease_expires_at", "jobs", ["state", "lease_expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_state_lease_expires_at", table_name="jobs")
    op.drop_index(op.f("ix_jobs_export_id"), table_name="jobs")
    op.drop_table("jobs")
