"""the company's pay-type table (lönearter) and its PAXml export settings

Revision ID: 0007_pay_types
Revises: 0006_login_throttle_mail_repeat
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

from alembic import op  # noqa: F401  (filled in by the work that owns this revision)

revision: str = "0007_pay_types"
down_revision: str | None = "0006_login_throttle_mail_repeat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
