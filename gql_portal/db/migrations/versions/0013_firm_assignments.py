"""consultants assigned to clients inside a firm

firm_assignments (a firm's user -> one of its clients), firm_teams (a named group of the firm's
users), firm_team_members and firm_team_clients; company_settings gets
unassigned_users_see_all_clients, true for every existing row, so that existing firms keep
today's behaviour (every user of the firm reaches every ACTIVE client).

Revision ID: 0013_firm_assignments
Revises: 0012_expense_currency_vouchers
Create Date: 2026-12-07 13:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import gql_portal.db.base

revision: str = "0013_firm_assignments"
down_revision: str | None = "0012_expense_currency_vouchers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = gql_portal.db.base.UTCDateTime


def _company_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["companies.id"],
        name=op.f(f"fk_{table}_{column}_companies"),
        ondelete="CASCADE",
    )


def _user_fk(table: str, column: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"), ondelete=ondelete
    )


def _team_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["team_id"],
        ["firm_teams.id"],
        name=op.f(f"fk_{table}_team_id_firm_teams"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "unassigned_users_see_all_clients",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
    op.create_table(
        "firm_assignments",
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        _company_fk("firm_assignments", "firm_id"),
        _company_fk("firm_assignments", "client_id"),
        _user_fk("firm_assignments", "user_id"),
        _user_fk("firm_assignments", "created_by_user_id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_assignments")),
        sa.UniqueConstraint(
            "firm_id",
            "user_id",
            "client_id",
            name=op.f("uq_firm_assignments_firm_id_user_id_client_id"),
        ),
    )
    with op.batch_alter_table("firm_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_assignments_user_id"), ["user_id"])
        batch_op.create_index(batch_op.f("ix_firm_assignments_client_id"), ["client_id"])
    op.create_table(
        "firm_teams",
        sa.Column("firm_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        _company_fk("firm_teams", "firm_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_teams")),
        sa.UniqueConstraint("firm_id", "name", name=op.f("uq_firm_teams_firm_id_name")),
    )
    with op.batch_alter_table("firm_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_teams_firm_id"), ["firm_id"])
    op.create_table(
        "firm_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        _team_fk("firm_team_members"),
        _user_fk("firm_team_members", "user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_team_members")),
        sa.UniqueConstraint(
            "team_id", "user_id", name=op.f("uq_firm_team_members_team_id_user_id")
        ),
    )
    with op.batch_alter_table("firm_team_members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_team_members_user_id"), ["user_id"])
    op.create_table(
        "firm_team_clients",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        _team_fk("firm_team_clients"),
        _company_fk("firm_team_clients", "client_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firm_team_clients")),
        sa.UniqueConstraint(
            "team_id", "client_id", name=op.f("uq_firm_team_clients_team_id_client_id")
        ),
    )
    with op.batch_alter_table("firm_team_clients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_firm_team_clients_client_id"), ["client_id"])


def downgrade() -> None:
    for table, indexes in (
        ("firm_team_clients", ["client_id"]),
        ("firm_team_members", ["user_id"]),
        ("firm_teams", ["firm_id"]),
        ("firm_assignments", ["client_id", "user_id"]),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
    with op.batch_alter_table("company_settings", schema=None) as batch_op:
        batch_op.drop_column("unassigned_users_see_all_clients")
