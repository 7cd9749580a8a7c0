"""scripting custom fields and webhook ids

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 09:11:14.812671
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_connector_fields",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=False),
        sa.Column("method_unique_identifier", sa.String(length=128), nullable=True),
        sa.Column("for_request_format", sa.Boolean(), nullable=False),
        sa.Column(
            "spec",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_account_connector_fields_account_connector_id_account_connectors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_connector_fields")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("account_connector_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_connector_fields_account_connector_id"),
            ["account_connector_id"],
            unique=False,
        )

    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_webhook_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.drop_column("external_webhook_id")

    with op.batch_alter_table("account_connector_fields", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_connector_fields_account_connector_id"))

    op.drop_table("account_connector_fields")
