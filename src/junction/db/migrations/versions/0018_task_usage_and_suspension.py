"""task usage per account; suspended accounts and account users; custom connectors of
one account

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 19:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_usage",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_task_usage_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_usage")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_task_usage_account_counted", "task_usage", ["account_id", "counted_at"], unique=False
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("account_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.String(length=64), nullable=True))
        batch_op.create_index(op.f("ix_connectors_account_id"), ["account_id"], unique=False)
        batch_op.create_foreign_key(
            op.f("fk_connectors_account_id_accounts"),
            "accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )


def downgrade() -> None:
    with op.batch_alter_table("connectors", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("fk_connectors_account_id_accounts"), type_="foreignkey")
        batch_op.drop_index(op.f("ix_connectors_account_id"))
        batch_op.drop_column("account_id")
    with op.batch_alter_table("account_users", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("suspended_at")
    op.drop_index("ix_task_usage_account_counted", table_name="task_usage")
    op.drop_table("task_usage")
