"""outbound deliveries of the payroll integration and webhooks (issue 16 point 9)

payroll_integrations gains where it delivers (endpoint_url) and its signing secret;
integration_deliveries is the outbox (one row per delivery: what it sends, pinned, and its
status, attempts and claim deadline); integration_delivery_attempts the delivery log; webhooks a
company's generic webhooks, one per event kind.

Revision ID: 0015_integration_deliveries
Revises: 0014_stored_files
Create Date: 2026-12-07 15:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from gql_portal.db.base import UTCDateTime

revision: str = "0015_integration_deliveries"
down_revision: str | None = "0014_stored_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "PERIOD_LOCKED",
                "PERIOD_REEXPORTED",
                "EXPENSE_CHANGED",
                "PAYROLL_PERIOD_CHANGED",
                "COLLABORATION_CHANGED",
                name="deliveryevent",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("secret_set_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_webhooks_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
        sa.UniqueConstraint("company_id", "event", name=op.f("uq_webhooks_company_id_event")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhooks_company_id"), ["company_id"], unique=False)

    op.create_table(
        "integration_deliveries",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("integration_id", sa.Integer(), nullable=True),
        sa.Column("webhook_id", sa.Integer(), nullable=True),
        sa.Column(
            "event",
            sa.Enum(
                "PERIOD_LOCKED",
                "PERIOD_REEXPORTED",
                "EXPENSE_CHANGED",
                "PAYROLL_PERIOD_CHANGED",
                "COLLABORATION_CHANGED",
                name="deliveryevent",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("period_id", sa.Integer(), nullable=True),
        sa.Column("basis_version", UTCDateTime(timezone=True), nullable=True),
        sa.Column("export_date", sa.Date(), nullable=True),
        sa.Column("export_id", sa.Integer(), nullable=True),
        sa.Column("redelivery_of_id", sa.Integer(), nullable=True),
        sa.Column("body_key", sa.String(length=300), nullable=True),
        sa.Column("body_sha256", sa.String(length=64), nullable=True),
        sa.Column("body_size", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "QUEUED",
                "SENDING",
                "DELIVERED",
                "FAILED",
                name="deliverystatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_response_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_integration_deliveries_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["exports.id"],
            name=op.f("fk_integration_deliveries_export_id_exports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["payroll_integrations.id"],
            name=op.f("fk_integration_deliveries_integration_id_payroll_integrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["period_id"],
            ["payroll_periods.id"],
            name=op.f("fk_integration_deliveries_period_id_payroll_periods"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["redelivery_of_id"],
            ["integration_deliveries.id"],
            name=op.f("fk_integration_deliveries_redelivery_of_id_integration_deliveries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.id"],
            name=op.f("fk_integration_deliveries_webhook_id_webhooks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_deliveries")),
    )
    with op.batch_alter_table("integration_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_deliveries_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_deliveries_integration_id"), ["integration_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_deliveries_period_id"), ["period_id"], unique=False
        )
        batch_op.create_index(
            "ix_integration_deliveries_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_integration_deliveries_webhook_id"), ["webhook_id"], unique=False
        )

    op.create_table(
        "integration_delivery_attempts",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "DELIVERED",
                "REFUSED",
                "TIMEOUT",
                "ERROR",
                name="attemptoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("response_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_integration_delivery_attempts_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["integration_deliveries.id"],
            name=op.f("fk_integration_delivery_attempts_delivery_id_integration_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_delivery_attempts")),
    )
    with op.batch_alter_table("integration_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_integration_delivery_attempts_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_integration_delivery_attempts_delivery_id"),
            ["delivery_id"],
            unique=False,
        )

    with op.batch_alter_table("payroll_integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("secret", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("secret_set_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payroll_integrations", schema=None) as batch_op:
        batch_op.drop_column("secret_set_at")
        batch_op.drop_column("secret")
        batch_op.drop_column("endpoint_url")

    with op.batch_alter_table("integration_delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_delivery_attempts_delivery_id"))
        batch_op.drop_index(batch_op.f("ix_integration_delivery_attempts_company_id"))

    op.drop_table("integration_delivery_attempts")
    with op.batch_alter_table("integration_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_integration_deliveries_webhook_id"))
        batch_op.drop_index("ix_integration_deliveries_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_integration_deliveries_period_id"))
        batch_op.drop_index(batch_op.f("ix_integration_deliveries_integration_id"))
        batch_op.drop_index(batch_op.f("ix_integration_deliveries_company_id"))

    op.drop_table("integration_deliveries")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhooks_company_id"))

    op.drop_table("webhooks")
