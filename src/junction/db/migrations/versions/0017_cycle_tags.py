"""cycle tags; account step data retention held to 744 hours

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 19:30:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
RETENTION_CAP_HOURS = 744
_cycles = sa.table(
    "cycles", sa.column("id", sa.String()), sa.column("tags", _JSON), sa.column("tag_index")
)


def _tokens(values: list[str]) -> str:
    # As junction.db.types.name_tokens, copied so the migration never changes with it.
    names = sorted({v.strip().lower().replace("|", "/") for v in values if v.strip()})
    return f"|{'|'.join(names)}|" if names else ""


def _document(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def upgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("tags", _JSON, nullable=False, server_default=sa.text("'[]'"))
        )
        batch_op.add_column(sa.Column("tag_index", sa.Text(), nullable=False, server_default=""))

    # Cycles installed from a template take the tags of the release they run.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT cycles.id, template_releases.document FROM cycles "
            "JOIN template_releases ON template_releases.id = cycles.template_release_id"
        )
    ).all()
    for cycle_id, document in rows:
        tags = [t for t in _document(document).get("Tags") or [] if isinstance(t, str)]
        if tags:
            bind.execute(
                sa.update(_cycles)
                .where(_cycles.c.id == cycle_id)
                .values(tags=tags, tag_index=_tokens(tags))
            )

    # Cyclr keeps an account's step data 744 hours (31 days) at most.
    accounts = sa.table(
        "accounts",
        sa.column("step_data_success_retention_hours", sa.Integer()),
        sa.column("step_data_errored_retention_hours", sa.Integer()),
    )
    for column in accounts.c:
        bind.execute(
            sa.update(accounts)
            .where(column > RETENTION_CAP_HOURS)
            .values({column.name: RETENTION_CAP_HOURS})
        )


def downgrade() -> None:
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.drop_column("tag_index")
        batch_op.drop_column("tags")
