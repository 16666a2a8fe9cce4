"""the company's pay-type table (lönearter) and its PAXml export settings

pay_types maps a standard PAXml 2.0 code (tidkod/lonkod) to the client's own pay type (lonart)
in its payroll program, one row per (company, code); a code without a row has no lonart. New
companies start with none. company_settings gains the PAXml file's encoding (UTF-8 for every
existing company) and the payroll program whose preset was applied last (none).

Revision ID: 0007_pay_types
Revises: 0006_login_throttle_mail_repeat
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0007_pay_types"
down_revision: str | None = "0006_login_throttle_mail_repeat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pay_types",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("lonart", sa.String(length=20), nullable=False),
        sa.Column("created_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_pay_types_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_types")),
        sa.UniqueConstraint("company_id", "code", name=op.f("uq_pay_types_company_id_code")),
    )
    with op.batch_alter_table("pay_types", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_types_company_id"), ["company_id"], unique=False)

    # Adding columns needs no table copy on SQLite; existing rows get UTF-8 from the server
    # default, which then stays (the model also writes it on every insert).
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "paxml_encoding", sa.String(length=20), nullable=False, server_default="UTF-8"
            )
        )
        batch_op.add_column(sa.Column("payroll_program", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.drop_column("payroll_program")
        batch_op.drop_column("paxml_encoding")
    with op.batch_alter_table("pay_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pay_types_company_id"))
    op.drop_table("pay_types")
