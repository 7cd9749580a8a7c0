"""transactions found by account and status, newest first (the reports list's status filter)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_transactions_account_status_created",
        "transactions",
        ["account_id", "status", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_transactions_account_status_created", table_name="transactions")
