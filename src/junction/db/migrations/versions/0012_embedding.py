"""embedding: sign-in tokens, browser sessions, marketplaces and appearance

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _common() -> list[sa.Column[object]]:
    return [
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column(
            "account_id",
            sa.String(64),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("account_users.id", ondelete="CASCADE")),
        sa.Column("options", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False, index=True),
    ]


def upgrade() -> None:
    op.create_table("sign_in_tokens", *_common(), sa.Column("used_at", sa.DateTime(timezone=True)))
    op.create_table(
        "browser_sessions", *_common(), sa.Column("csrf", sa.String(64), nullable=False)
    )
    op.create_table(
        "marketplaces",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("document", JSON, nullable=False),
        sa.Column("signing_secret_sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "marketplace_installs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "marketplace_id",
            sa.Integer(),
            sa.ForeignKey("marketplaces.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id",
            sa.String(64),
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("cycle_ids", JSON, nullable=False),
        sa.Column("complete_parameter", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )

    op.create_table(
        "appearances",
        sa.Column("scope", sa.String(80), primary_key=True),
        sa.Column("document", JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("appearances")
    op.drop_table("marketplace_installs")
    op.drop_table("marketplaces")
    op.drop_table("browser_sessions")
    op.drop_table("sign_in_tokens")
