"""utility storage

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:04:11.218908
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "utility_counters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("cycle_scope", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_utility_counters_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utility_counters")),
        sa.UniqueConstraint(
            "account_connector_id",
            "cycle_scope",
            "name",
            name=op.f("uq_utility_counters_account_connector_id_cycle_scope_name"),
        ),
    )
    op.create_table(
        "utility_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("cycle_scope", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_utility_items_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utility_items")),
        sa.UniqueConstraint(
            "account_connector_id",
            "cycle_scope",
            "key",
            name=op.f("uq_utility_items_account_connector_id_cycle_scope_key"),
        ),
    )
    with op.batch_alter_table("utility_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_utility_items_scope", ["account_connector_id", "cycle_scope"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("utility_items", schema=None) as batch_op:
        batch_op.drop_index("ix_utility_items_scope")

    op.drop_table("utility_items")
    op.drop_table("utility_counters")
