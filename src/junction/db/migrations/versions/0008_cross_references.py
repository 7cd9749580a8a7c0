"""cross references

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 05:11:44.961378
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "utility_cross_references",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("entity1_id", sa.String(length=255), nullable=False),
        sa.Column("entity2_id", sa.String(length=255), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_utility_cross_references_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_utility_cross_references")),
        sa.UniqueConstraint(
            "account_connector_id",
            "entity1_id",
            name=op.f("uq_utility_cross_references_account_connector_id_entity1_id"),
        ),
        sa.UniqueConstraint(
            "account_connector_id",
            "entity2_id",
            name=op.f("uq_utility_cross_references_account_connector_id_entity2_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("utility_cross_references")
