"""One migration history that builds the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from junction.db import migrate
from junction.db.engine import Database
from junction.db.models import Base
from tests.fixtures.databases import BACKENDS, fresh_database


def _run(url: str, check: Any) -> Any:
    async def main() -> Any:
        database = Database(url)
        try:
            async with database.engine.connect() as connection:
                return await connection.run_sync(check)
        finally:
            await database.dispose()

    return asyncio.run(main())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models_and_downgrade(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        assert _run(url, _differences) == []
        migrate.upgrade(url)  # a second run is a no-op
        migrate.downgrade(url, "base")
        tables = _run(url, lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        migrate.upgrade(url)
        assert _run(url, _differences) == []


def test_sqlite_connection_settings(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pragmas.db'}"

    def pragmas(connection: Connection) -> tuple[Any, ...]:
        return tuple(
            connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout")
        )

    assert _run(url, pragmas) == ("wal", 1, 30000)
