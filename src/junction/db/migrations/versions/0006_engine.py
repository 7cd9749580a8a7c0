"""engine

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:40:42.142293
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=True),
        sa.Column("step_id", sa.String(length=36), nullable=True),
        sa.Column("step_name", sa.String(length=255), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("short_message", sa.String(length=255), nullable=False),
        sa.Column("full_message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_incidents_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_incidents_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incidents_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_incidents_cycle_created", ["cycle_id", "created_at"], unique=False
        )

    op.create_table(
        "transactions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_id", sa.String(length=36), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column(
            "values",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("steps_run", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purge_after", sa.DateTime(timezone=True), nullable=True),
        sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_transactions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_transactions_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transactions")),
    )
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_transactions_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_transactions_cycle_created", ["cycle_id", "created_at"], unique=False
        )
        batch_op.create_index("ix_transactions_purge", ["purged_at", "purge_after"], unique=False)
        batch_op.create_index("ix_transactions_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "transaction_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("step_id", sa.String(length=36), nullable=False),
        sa.Column("step_name", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column(
            "exchanges",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "output",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["transaction_id"],
            ["transactions.id"],
            name=op.f("fk_transaction_steps_transaction_id_transactions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transaction_steps")),
        sa.UniqueConstraint(
            "transaction_id", "sequence", name=op.f("uq_transaction_steps_transaction_id_sequence")
        ),
    )
    op.create_table(
        "trigger_seen_items",
        sa.Column("cycle_step_id", sa.String(length=36), nullable=False),
        sa.Column("item_key", sa.String(length=255), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_step_id"],
            ["cycle_steps.id"],
            name=op.f("fk_trigger_seen_items_cycle_step_id_cycle_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cycle_step_id", "item_key", name=op.f("pk_trigger_seen_items")),
    )
    with op.batch_alter_table("trigger_seen_items", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trigger_seen_items_seen_at"), ["seen_at"], unique=False
        )

    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_identifier", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("last_successful_run_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_cycle_steps_webhook_identifier"), ["webhook_identifier"]
        )

    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_run_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("draining", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("consecutive_errors", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.create_index(batch_op.f("ix_cycles_next_run_at"), ["next_run_at"], unique=False)
    _backfill()


def _backfill() -> None:
    """Steps stored before webhook identifiers existed get one, and cycles activated before
    the engine existed get their first scheduled run (at their StartTime, or at once)."""
    bind = op.get_bind()
    steps = sa.table("cycle_steps", sa.column("id", sa.String), sa.column("webhook_identifier"))
    missing = bind.execute(sa.select(steps.c.id).where(steps.c.webhook_identifier.is_(None)))
    for (step_id,) in missing.all():
        bind.execute(
            steps.update()
            .where(steps.c.id == step_id)
            .values(webhook_identifier=secrets.token_urlsafe(24))
        )
    cycles = sa.table(
        "cycles",
        sa.column("status", sa.String),
        sa.column("interval_minutes", sa.Integer),
        sa.column("run_once", sa.Boolean),
        sa.column("start_time", sa.DateTime(timezone=True)),
        sa.column("next_run_at", sa.DateTime(timezone=True)),
    )
    bind.execute(
        cycles.update()
        .where(
            cycles.c.status == "Active",
            cycles.c.start_time.is_not(None),
            sa.or_(cycles.c.interval_minutes.is_not(None), cycles.c.run_once == sa.true()),
        )
        .values(next_run_at=cycles.c.start_time)
    )


def downgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycles_next_run_at"))
        batch_op.drop_column("consecutive_errors")
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("draining")
        batch_op.drop_column("next_run_at")

    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_cycle_steps_webhook_identifier"), type_="unique")
        batch_op.drop_column("last_successful_run_at")
        batch_op.drop_column("webhook_identifier")

    with op.batch_alter_table("trigger_seen_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trigger_seen_items_seen_at"))

    op.drop_table("trigger_seen_items")
    op.drop_table("transaction_steps")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_index("ix_transactions_status_due")
        batch_op.drop_index("ix_transactions_purge")
        batch_op.drop_index("ix_transactions_cycle_created")
        batch_op.drop_index("ix_transactions_account_created")

    op.drop_table("transactions")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_cycle_created")
        batch_op.drop_index("ix_incidents_account_created")

    op.drop_table("incidents")
    op.drop_table("leases")
