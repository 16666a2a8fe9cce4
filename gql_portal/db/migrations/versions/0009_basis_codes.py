"""payroll basis lines carry the standard PAXml code, project and VAT

Frozen basis lines (payroll_lines) get the standard PAXml 2.0 code (code: the tidkod of a time
line, the lonkod of a money line), the moms of an expense (vat), the project (its code: the
resenhet on dimension 6), clock times (start_time/end_time, local wall-clock) and whether the
line is informational (a monthly employee's scheduled hours, not written to the file). The
quantity gets a third decimal (mileage in mil is km / 10); the pay type (lonart) may be empty
(a company without a lonart for a code). Lines frozen before keep what they said: their code is
their time code, UTLÄGG for an expense, MIL_FRI (milersättning, skattefri) for mileage in km.

Time codes get the kinds that say what they are (OVERTIME, ADDED_TIME, OB, ON_CALL): a WORK
code whose PAXml code is overtime, mertid, OB or on-call becomes that kind.

Revision ID: 0009_basis_codes
Revises: 0008_clock_times_ob
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0009_basis_codes"
down_revision: str | None = "0008_clock_times_ob"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (kind, the PAXml codes of WORK time codes that become it)
KINDS = (
    ("OVERTIME", ("ÖT1", "ÖT2", "ÖT3", "ÖT4", "ÖT5", "ÖK1", "ÖK2", "ÖK3", "ÖK4", "ÖK5")),
    ("ADDED_TIME", ("MER",)),
    ("OB", ("OB1", "OB2", "OB3", "OB4", "OB5")),
    ("ON_CALL", ("JR1", "JR2", "JR3", "BE1", "BE2", "BE3")),
)
BACKFILL_CODES = (
    "UPDATE payroll_lines SET code = CASE"
    " WHEN time_code IS NOT NULL THEN time_code"
    " WHEN source = 'EXPENSE' THEN :expense"
    " WHEN source = 'MILEAGE' THEN :mileage"
    " END"
)


def _work_codes_get_their_kind() -> None:
    for kind, codes in KINDS:
        op.get_bind().execute(
            sa.text(
                "UPDATE time_codes SET kind = :kind WHERE kind = 'WORK' AND paxml_code IN :codes"
            ).bindparams(sa.bindparam("codes", expanding=True)),
            {"kind": kind, "codes": list(codes)},
        )


def upgrade() -> None:
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("code", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("vat", gql_portal.db.base.Money(), nullable=True))
        batch_op.add_column(sa.Column("project", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("start_time", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("end_time", sa.DateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("informational", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.alter_column("pay_type", existing_type=sa.String(length=20), nullable=True)
    # Stored as scaled integers (ScaledDecimal): two places become three.
    op.execute("UPDATE payroll_lines SET quantity = quantity * 10")
    op.get_bind().execute(sa.text(BACKFILL_CODES), {"expense": "UTLÄGG", "mileage": "MIL_FRI"})
    _work_codes_get_their_kind()


def downgrade() -> None:
    op.get_bind().execute(
        sa.text("UPDATE time_codes SET kind = 'WORK' WHERE kind IN :kinds").bindparams(
            sa.bindparam("kinds", expanding=True)
        ),
        {"kinds": [kind for kind, _ in KINDS]},
    )
    # A third decimal (mileage in mil) is cut: the old column has two.
    op.execute("UPDATE payroll_lines SET quantity = quantity / 10")
    op.execute("UPDATE payroll_lines SET pay_type = '' WHERE pay_type IS NULL")
    with op.batch_alter_table("payroll_lines", schema=None) as batch_op:
        batch_op.alter_column("pay_type", existing_type=sa.String(length=20), nullable=False)
        batch_op.drop_column("informational")
        batch_op.drop_column("end_time")
        batch_op.drop_column("start_time")
        batch_op.drop_column("project")
        batch_op.drop_column("vat")
        batch_op.drop_column("code")
