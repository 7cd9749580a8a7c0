"""Topics marked by table: what a transaction writes, however it writes it, is announced once
it commits, and nothing else is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, insert, select, update

import junction.connectors.calls.contexts  # noqa: F401 - registers the CONNECTIONS tables
from junction.accounts.models import Account, TaskUsage
from junction.db.changes import CONNECTIONS
from junction.db.engine import Database

NOW = datetime(2026, 1, 2, tzinfo=UTC)


async def _rolled_back_rename(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(update(Account).where(Account.id == "acme").values(name="Never"))
        raise RuntimeError("rolled back")


def test_each_kind_of_write_to_a_watched_table_is_heard_and_nothing_else(
    database_url: str,
) -> None:
    async def scenario() -> list[frozenset[str] | None]:
        database = Database(database_url)
        heard: list[frozenset[str] | None] = []
        database.changes.subscribe(heard.append)
        try:
            # Through the ORM's objects (a flush).
            async with database.transaction() as session:
                session.add(Account(id="acme", name="Acme", created_at=NOW))
            # By statements.
            async with database.transaction() as session:
                await session.execute(
                    update(Account).where(Account.id == "acme").values(name="Acme Ltd")
                )
            async with database.transaction() as session:
                await session.execute(
                    insert(Account).values(id="globex", name="Globex", created_at=NOW)
                )
            async with database.transaction() as session:
                await session.execute(delete(Account).where(Account.id == "globex"))
            marked = len(heard)
            # Reads, a table nobody watches, and a write rolled back: nothing.
            async with database.transaction(read_only=True) as session:
                await session.scalar(select(Account.name))
            async with database.transaction() as session:
                session.add(
                    TaskUsage(account_id="acme", source="DataOnDemand", tasks=1, counted_at=NOW)
                )
            with pytest.raises(RuntimeError):
                await _rolled_back_rename(database)
            assert len(heard) == marked
            async with database.transaction(read_only=True) as session:
                assert await session.scalar(select(Account.name)) == "Acme Ltd"
        finally:
            await database.dispose()
        return heard

    heard = asyncio.run(scenario())
    assert heard == [frozenset({CONNECTIONS})] * 4
