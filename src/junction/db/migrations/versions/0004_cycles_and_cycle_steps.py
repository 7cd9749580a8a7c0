"""cycles and cycle steps

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:19:12.023400
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=36), nullable=False),
        sa.Column("template_release_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("interval_minutes", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("run_once", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_cycles_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["templates.id"],
            name=op.f("fk_cycles_template_id_templates"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["template_release_id"],
            ["template_releases.id"],
            name=op.f("fk_cycles_template_release_id_template_releases"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycles")),
    )
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycles_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cycles_template_id"), ["template_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cycles_template_release_id"), ["template_release_id"], unique=False
        )

    op.create_table(
        "cycle_steps",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("step_key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("account_connector_id", sa.Integer(), nullable=True),
        sa.Column(
            "mappings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_connector_id"],
            ["account_connectors.id"],
            name=op.f("fk_cycle_steps_account_connector_id_account_connectors"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_cycle_steps_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_steps")),
    )
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cycle_steps_account_connector_id"),
            ["account_connector_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_cycle_steps_cycle_id"), ["cycle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_steps_cycle_id"))
        batch_op.drop_index(batch_op.f("ix_cycle_steps_account_connector_id"))

    op.drop_table("cycle_steps")
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycles_template_release_id"))
        batch_op.drop_index(batch_op.f("ix_cycles_template_id"))
        batch_op.drop_index(batch_op.f("ix_cycles_account_id"))

    op.drop_table("cycles")
