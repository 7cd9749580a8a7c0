"""sign-in tokens and browser sessions

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


def downgrade() -> None:
    op.drop_table("browser_sessions")
    op.drop_table("sign_in_tokens")
