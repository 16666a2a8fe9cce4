"""the company's BAS account per expense category

bas_accounts holds the company's own BAS account (and optional name) for an expense category,
one row per (company, category); a category without a row books on the BAS 2026 default
(domain.bas). New and existing companies start with none: every category on its default.

Revision ID: 0011_bas_accounts
Revises: 0010_expense_vat_lines
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0011_bas_accounts"
down_revision: str | None = "0010_expense_vat_lines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bas_accounts",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "FOOD",
                "RESTAURANT",
                "ACCOMMODATION",
                "TRAVEL",
                "FUEL",
                "PARKING",
                "OFFICE_SUPPLIES",
                "BOOKS_NEWSPAPERS",
                "CULTURE",
                "REPRESENTATION",
                "OTHER",
                name="expensecategory",
                native_enum=False,
                create_constraint=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("account", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=True),
        sa.Column("created_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gql_portal.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_bas_accounts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bas_accounts")),
        sa.UniqueConstraint(
            "company_id", "category", name=op.f("uq_bas_accounts_company_id_category")
        ),
    )
    with op.batch_alter_table("bas_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bas_accounts_company_id"), ["company_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bas_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bas_accounts_company_id"))
    op.drop_table("bas_accounts")
