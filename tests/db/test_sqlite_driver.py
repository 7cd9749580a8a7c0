"""The SQLite adapter: statements run whole in one hop, and nothing else changes."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from junction.db.engine import Database


def _with_database(folder: Path, work: Callable[[Database], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        database = Database(f"sqlite+aiosqlite:///{folder / 'driver.db'}")
        try:
            async with database.transaction() as session:
                await session.execute(
                    text("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE)")
                )
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(main())


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function sent to a connection's thread."""
    sent: list[str] = []
    original: Any = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


def test_rows_counts_and_ids_come_back(tmp_path: Path) -> None:
    async def work(database: Database) -> tuple[Any, ...]:
        async with database.transaction() as session:
            inserted = await session.execute(
                text("INSERT INTO items (name) VALUES (:name)"), {"name": "first"}
            )
            many = await session.execute(
                text("INSERT INTO items (name) VALUES (:name)"),
                [{"name": "second"}, {"name": "third"}],
            )
            updated = await session.execute(text("UPDATE items SET name = name || '!'"))
        async with database.transaction(read_only=True) as session:
            rows = (await session.execute(text("SELECT id, name FROM items ORDER BY id"))).all()
            empty = (await session.execute(text("SELECT id FROM items WHERE id < 0"))).all()
        return inserted.lastrowid, many.rowcount, updated.rowcount, rows, empty  # type: ignore[attr-defined]

    lastrowid, many, updated, rows, empty = _with_database(tmp_path, work)
    assert lastrowid == 1
    assert many == 2
    assert updated == 3
    assert [tuple(row) for row in rows] == [(1, "first!"), (2, "second!"), (3, "third!")]
    assert empty == []


def test_a_read_costs_one_hop_per_statement(tmp_path: Path, hops: list[str]) -> None:
    async def work(database: Database) -> int:
        async with database.transaction(read_only=True) as session:
            await session.execute(text("SELECT 1"))  # the pool's first connection opens here
        hops.clear()
        async with database.transaction(read_only=True) as session:
            await session.execute(text("SELECT count(*) FROM items"))
            await session.execute(text("SELECT id FROM items"))
        return len(hops)

    # Two statements, and no COMMIT or ROLLBACK for a transaction SQLite never opened.
    assert _with_database(tmp_path, work) == 2


async def insert_twice(database: Database) -> None:
    async with database.transaction() as session:
        await session.execute(text("INSERT INTO items (name) VALUES ('lost')"))
        await session.execute(text("INSERT INTO items (name) VALUES ('kept')"))


def test_a_write_still_commits_and_a_failure_still_rolls_back(
    tmp_path: Path, hops: list[str]
) -> None:
    async def work(database: Database) -> tuple[list[str], list[Any]]:
        async with database.transaction() as session:
            await session.execute(text("INSERT INTO items (name) VALUES ('kept')"))
        committed = list(hops)
        with pytest.raises(IntegrityError):
            await insert_twice(database)
        async with database.transaction(read_only=True) as session:
            names = (await session.execute(text("SELECT name FROM items"))).scalars().all()
        return committed, list(names)

    committed, names = _with_database(tmp_path, work)
    assert names == ["kept"]  # the failed transaction's first insert was rolled back
    assert "commit" in committed


def test_database_errors_keep_their_sqlalchemy_types(tmp_path: Path) -> None:
    async def work(database: Database) -> None:
        async with database.transaction(read_only=True) as session:
            await session.execute(text("SELECT name FROM nowhere"))

    with pytest.raises(OperationalError, match="no such table: nowhere"):
        _with_database(tmp_path, work)
