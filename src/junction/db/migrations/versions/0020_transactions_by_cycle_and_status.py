"""transactions found by cycle and status (the scheduler's in-progress check)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 22:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_transactions_cycle_status", "transactions", ["cycle_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_transactions_cycle_status", table_name="transactions")
