"""an expense's VAT lines (rate, net, VAT) and representation details

An expense gets one or more VAT lines (expense_vat_lines: rate, net, VAT; they add up to its
amount). Every existing expense gets one line from its rate and VAT (net = amount - VAT). The
expense keeps vat_amount as the lines' sum and vat_rate as their one rate (NULL when they have
several); deductible_vat is the VAT the company may deduct (all of it until now).
Representation: its kind (INTERNAL/EXTERNAL), participants (JSON: name, company) and purpose.

Revision ID: 0010_expense_vat_lines
Revises: 0009_basis_codes
Create Date: 2026-12-07 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0010_expense_vat_lines"
down_revision: str | None = "0009_basis_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Money and rates are scaled integers (öre, hundredths of a percent): plain SQL arithmetic.
BACKFILL_LINES = (
    "INSERT INTO expense_vat_lines (company_id, expense_id, employee_id, position, rate, net, vat)"
    " SELECT company_id, id, employee_id, 0, vat_rate, amount - vat_amount, vat_amount"
    " FROM expenses"
)


def _create_vat_lines() -> None:
    op.create_table(
        "expense_vat_lines",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("expense_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rate", gql_portal.db.base.ScaledDecimal(), nullable=False),
        sa.Column("net", gql_portal.db.base.Money(), nullable=False),
        sa.Column("vat", gql_portal.db.base.Money(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_expense_vat_lines_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_expense_vat_lines_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["expense_id"],
            ["expenses.id"],
            name=op.f("fk_expense_vat_lines_expense_id_expenses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_vat_lines")),
    )
    with op.batch_alter_table("expense_vat_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expense_vat_lines_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            "uq_expense_vat_lines_expense_id_position", ["expense_id", "position"], unique=True
        )


def upgrade() -> None:
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deductible_vat", gql_portal.db.base.Money(), nullable=True))
        batch_op.add_column(sa.Column("representation_kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("participants", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("purpose", sa.String(length=500), nullable=True))
        batch_op.alter_column(
            "vat_rate", existing_type=gql_portal.db.base.ScaledDecimal(), nullable=True
        )
    op.execute("UPDATE expenses SET deductible_vat = vat_amount")
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.alter_column(
            "deductible_vat", existing_type=gql_portal.db.base.Money(), nullable=False
        )
    _create_vat_lines()
    op.execute(BACKFILL_LINES)


def downgrade() -> None:
    # A mixed-rate expense keeps its VAT sum; its rate becomes the first line's.
    op.execute(
        "UPDATE expenses SET vat_rate = (SELECT rate FROM expense_vat_lines"
        " WHERE expense_vat_lines.expense_id = expenses.id ORDER BY position LIMIT 1)"
        " WHERE vat_rate IS NULL"
    )
    op.execute("UPDATE expenses SET vat_rate = 0 WHERE vat_rate IS NULL")
    with op.batch_alter_table("expense_vat_lines", schema=None) as batch_op:
        batch_op.drop_index("uq_expense_vat_lines_expense_id_position")
        batch_op.drop_index(batch_op.f("ix_expense_vat_lines_company_id"))
    op.drop_table("expense_vat_lines")
    with op.batch_alter_table("expenses", schema=None) as batch_op:
        batch_op.alter_column(
            "vat_rate", existing_type=gql_portal.db.base.ScaledDecimal(), nullable=False
        )
        batch_op.drop_column("purpose")
        batch_op.drop_column("participants")
        batch_op.drop_column("representation_kind")
        batch_op.drop_column("deductible_vat")
