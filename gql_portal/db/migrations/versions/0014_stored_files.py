"""files stored in the database (the `postgresql:` storage backend)

stored_files holds one row per stored file (its content-addressed key, size, SHA-256 and whether
it is committed); stored_file_chunks its bytes in numbered chunks. Nothing else refers to them:
receipts and exports keep naming their file by storage key, whichever backend holds it.

Revision ID: 0014_stored_files
Revises: 0013_firm_assignments
Create Date: 2026-12-07 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_stored_files"
down_revision: str | None = "0013_firm_assignments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("committed", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("storage_key", name=op.f("pk_stored_files")),
    )
    op.create_table(
        "stored_file_chunks",
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["storage_key"],
            ["stored_files.storage_key"],
            name=op.f("fk_stored_file_chunks_storage_key_stored_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("storage_key", "seq", name=op.f("pk_stored_file_chunks")),
    )


def downgrade() -> None:
    op.drop_table("stored_file_chunks")
    op.drop_table("stored_files")
