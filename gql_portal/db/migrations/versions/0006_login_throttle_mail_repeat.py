"""log-in throttling and mail repeats: indexes for the (account, address) failure count and for
"was this kind of mail sent to this address in the last few minutes"

Failed log-ins slow down per (account, address) pair instead of locking an account out, so the
pair's failures within the window are counted on every log-in. Password-reset, new-link and
"an account exists" mails go out at most once per address and kind per few minutes, looked up
in the outbox. The outbox status DROPPED (a row never sent) needs no change: statuses are
stored as plain strings.

Revision ID: 0006_login_throttle_mail_repeat
Revises: 0005_time_entry_week_start
Create Date: 2026-11-28 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006_login_throttle_mail_repeat"
down_revision: str | None = "0005_time_entry_week_start"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_login_failures_email_client_address_at",
        "login_failures",
        ["email", "client_address", "at"],
        unique=False,
    )
    op.create_index(
        "ix_email_outbox_to_address_kind_created_at",
        "email_outbox",
        ["to_address", "kind", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_email_outbox_to_address_kind_created_at", table_name="email_outbox")
    op.drop_index("ix_login_failures_email_client_address_at", table_name="login_failures")
