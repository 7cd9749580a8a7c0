"""cycles own their structure

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:58:10.558478
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cycle_edges",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("cycle_id", sa.String(length=36), nullable=False),
        sa.Column("tail_step_id", sa.String(length=36), nullable=False),
        sa.Column("head_step_id", sa.String(length=36), nullable=False),
        sa.Column("edge_type", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["cycles.id"],
            name=op.f("fk_cycle_edges_cycle_id_cycles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["head_step_id"],
            ["cycle_steps.id"],
            name=op.f("fk_cycle_edges_head_step_id_cycle_steps"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tail_step_id"],
            ["cycle_steps.id"],
            name=op.f("fk_cycle_edges_tail_step_id_cycle_steps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cycle_edges")),
    )
    with op.batch_alter_table("cycle_edges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cycle_edges_cycle_id"), ["cycle_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cycle_edges_head_step_id"), ["head_step_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cycle_edges_tail_step_id"), ["tail_step_id"], unique=False
        )

    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document", json_type, nullable=True))
    _copy_structure_into_cycles(json_type)
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.alter_column("document", existing_type=json_type, nullable=False)
        batch_op.drop_column("mappings")

    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.alter_column("template_id", existing_type=sa.VARCHAR(length=36), nullable=True)
        batch_op.alter_column("template_release_id", existing_type=sa.INTEGER(), nullable=True)


def _copy_structure_into_cycles(json_type: sa.types.TypeEngine[Any]) -> None:
    """Existing cycles read their steps and edges from their release: copy them in."""
    bind = op.get_bind()
    releases = sa.table("template_releases", sa.column("id"), sa.column("document", json_type))
    cycles = sa.table("cycles", sa.column("id"), sa.column("template_release_id"))
    steps = sa.table(
        "cycle_steps",
        sa.column("id"),
        sa.column("cycle_id"),
        sa.column("step_key"),
        sa.column("mappings", json_type),
        sa.column("document", json_type),
    )
    edges = sa.table(
        "cycle_edges",
        sa.column("id"),
        sa.column("cycle_id"),
        sa.column("tail_step_id"),
        sa.column("head_step_id"),
        sa.column("edge_type"),
    )
    rows = bind.execute(
        sa.select(cycles.c.id, releases.c.document).join(
            releases, releases.c.id == cycles.c.template_release_id
        )
    ).all()
    for cycle_id, release_document in rows:
        by_key = {step["Key"]: step for step in release_document.get("Steps", [])}
        ids: dict[str, str] = {}
        for step_id, key, mappings in bind.execute(
            sa.select(steps.c.id, steps.c.step_key, steps.c.mappings).where(
                steps.c.cycle_id == cycle_id
            )
        ).all():
            ids[key] = step_id
            document = {**by_key.get(key, {"Key": key, "Name": key}), **(mappings or {})}
            bind.execute(steps.update().where(steps.c.id == step_id).values(document=document))
        for edge in release_document.get("Edges", []):
            tail, head = ids.get(edge["TailStepKey"]), ids.get(edge["HeadStepKey"])
            if tail and head:
                bind.execute(
                    edges.insert().values(
                        id=str(uuid.uuid4()),
                        cycle_id=cycle_id,
                        tail_step_id=tail,
                        head_step_id=head,
                        edge_type=edge.get("EdgeType", "Forward"),
                    )
                )


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def downgrade() -> None:
    # Cycles built in an account have no template, which the older schema cannot hold.
    op.execute("DELETE FROM cycles WHERE template_id IS NULL OR template_release_id IS NULL")
    with op.batch_alter_table("cycles", schema=None) as batch_op:
        batch_op.alter_column("template_release_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("template_id", existing_type=sa.VARCHAR(length=36), nullable=False)

    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mappings", _json(), nullable=True))
    # The release holds the rest of each step; only the mappings go back.
    bind = op.get_bind()
    steps = sa.table(
        "cycle_steps",
        sa.column("id"),
        sa.column("mappings", sa.JSON()),
        sa.column("document", sa.JSON()),
    )
    for step_id, document in bind.execute(sa.select(steps.c.id, steps.c.document)).all():
        mappings = {
            "Parameters": document.get("Parameters", []),
            "FieldMappings": document.get("FieldMappings", []),
        }
        bind.execute(steps.update().where(steps.c.id == step_id).values(mappings=mappings))
    with op.batch_alter_table("cycle_steps", schema=None) as batch_op:
        batch_op.alter_column("mappings", existing_type=_json(), nullable=False)
        batch_op.drop_column("document")

    with op.batch_alter_table("cycle_edges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cycle_edges_tail_step_id"))
        batch_op.drop_index(batch_op.f("ix_cycle_edges_head_step_id"))
        batch_op.drop_index(batch_op.f("ix_cycle_edges_cycle_id"))

    op.drop_table("cycle_edges")
