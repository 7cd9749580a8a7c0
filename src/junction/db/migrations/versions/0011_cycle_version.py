"""cycle version

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 17:19:21.178071
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing cycles start at 1: compiled plans live in memory, so no running process keys
    # on a version yet (they are restarted to run the new code).
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_column("version")
