"""job queue: procrastinate's schema, for JUNCTION_DISPATCHER=procrastinate

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 06:50:00.000000
"""

from __future__ import annotations

from alembic import op

from junction.db import job_queue_schema

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    connection = op.get_bind()
    # Installed on every PostgreSQL database, used or not: switching a deployment to the
    # procrastinate dispatcher then needs no migration step of its own.
    if connection.dialect.name == "postgresql":
        job_queue_schema.upgrade(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        job_queue_schema.drop(connection)
