"""an expense's currency and voucher data; the company's gap-free expense voucher series

expenses gains original_amount and exchange_rate (a receipt in another currency than SEK keeps
its own gross and the rate; amount stays the SEK paid out), the supplier (name, org no), cost
centre, project and the voucher number given on approval (unique per company). Existing rows
keep NULL: SEK, no supplier, no number (numbers start with the first approval after this).
expense_voucher_series holds each company's last number, raised in the approving transaction.

Revision ID: 0012_expense_currency_vouchers
Revises: 0011_bas_accounts
Create Date: 2026-12-07 12:20:20.804163
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0012_expense_currency_vouchers"
down_revision: str | None = "0011_bas_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "expense_voucher_series",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_expense_voucher_series_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_voucher_series")),
    )
    with op.batch_alter_table("expense_voucher_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expense_voucher_series_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index("uq_expense_voucher_series_company_id", ["company_id"], unique=True)

    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("original_amount", gql_portal.db.base.Money(), nullable=True))
        batch_op.add_column(
            sa.Column("exchange_rate", gql_portal.db.base.ScaledDecimal(), nullable=True)
        )
        batch_op.add_column(sa.Column("supplier_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("supplier_org_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("cost_centre", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("voucher_number", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_expenses_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            "uq_expenses_company_id_voucher_number", ["company_id", "voucher_number"], unique=True
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_expenses_project_id_projects"),
            "projects",
            ["project_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_expenses_project_id_projects"), type_="foreignkey")
        batch_op.drop_index("uq_expenses_company_id_voucher_number")
        batch_op.drop_index(batch_op.f("ix_expenses_project_id"))
        batch_op.drop_column("voucher_number")
        batch_op.drop_column("project_id")
        batch_op.drop_column("cost_centre")
        batch_op.drop_column("supplier_org_number")
        batch_op.drop_column("supplier_name")
        batch_op.drop_column("exchange_rate")
        batch_op.drop_column("original_amount")

    with op.batch_alter_table("expense_voucher_series", schema=None) as batch_op:
        batch_op.drop_index("uq_expense_voucher_series_company_id")
        batch_op.drop_index(batch_op.f("ix_expense_voucher_series_company_id"))

    op.drop_table("expense_voucher_series")
