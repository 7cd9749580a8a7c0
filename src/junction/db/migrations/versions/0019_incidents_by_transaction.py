"""incidents found by their transaction (the retention purge's chunks)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 20:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_transaction", "incidents", ["transaction_id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_transaction", table_name="incidents")
