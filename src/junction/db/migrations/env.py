"""Alembic environment: runs migrations over Junction's async engine on either database."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from junction.db import job_queue_schema
from junction.db.engine import create_engine
from junction.db.models import Base

MIGRATION_LOCK = 0x4A756E6374  # any constant shared by every Junction process


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite can only alter tables by copying them
        compare_type=True,
        include_name=job_queue_schema.include_name,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several `junction serve` replicas may start at once: one migrates, the others
            # wait here and then find nothing left to do.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()
        job_queue_schema.catch_up(connection)
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"A migration left broken references: {broken[:5]}")


def _without_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    # Altering a SQLite table copies it and drops the old one; with foreign keys enforced,
    # that drop would cascade and delete the rows of every table that refers to it. The
    # pragma has no effect inside a transaction, so it is set as the connection opens (after
    # the engine's own settings); _run checks afterwards that every reference is whole.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=OFF")
    cursor.close()


async def _run_async(url: str) -> None:
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _without_foreign_keys)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


asyncio.run(_run_async(context.config.attributes["database_url"]))
