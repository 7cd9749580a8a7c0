"""installation settings; transactions by creation time

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "installation_settings",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("value", _JSON, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(300), nullable=False),
    )
    # The console's overview counts the last day's transactions by status: an index-only
    # range on PostgreSQL.
    op.create_index("ix_transactions_created_status", "transactions", ["created_at", "status"])


def downgrade() -> None:
    op.drop_index("ix_transactions_created_status", table_name="transactions")
    op.drop_table("installation_settings")
