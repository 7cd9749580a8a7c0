"""How SQLite plans the claim: by index, never by reading the whole queue.

A claim that reads every queued row costs more the longer the queue is, and a backlog then
drains slower than a short queue (bench/backlog_bench.py measures it). SQLite plans without
statistics, so these plans are fixed by the statements' shape, and checked here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.dialects import sqlite

from junction.engine import transactions as tx
from tests.fixtures.databases import fresh_database

NOW = "2026-01-01 00:00:00.000000"


@pytest.fixture
def connection(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    with fresh_database("sqlite", tmp_path, migrated=True) as url:
        db = sqlite3.connect(url.split("///", 1)[1])
        try:
            yield db
        finally:
            db.close()


def _plan(connection: sqlite3.Connection, statement: Any, lists: dict[str, list[str]]) -> str:
    """EXPLAIN QUERY PLAN of ``statement`` with each expanding list parameter of ``lists``."""
    compiled = statement.compile(dialect=sqlite.dialect())
    sql = str(compiled)
    parameters: list[Any] = []
    for name in compiled.positiontup:
        if name in lists:
            sql = sql.replace(
                f"(__[POSTCOMPILE_{name}])", "(" + ", ".join("?" * len(lists[name])) + ")", 1
            )
            parameters.extend(lists[name])
        else:
            value = compiled.binds[name].value
            parameters.append(NOW if value is None else value)
    rows = connection.execute("EXPLAIN QUERY PLAN " + sql, parameters).fetchall()
    return "\n".join(row[3] for row in rows)


@pytest.mark.parametrize("chosen", [1, 2, 16])
def test_the_claim_takes_its_rows_by_primary_key(
    connection: sqlite3.Connection, chosen: int
) -> None:
    _, take = tx._CLAIM[False]
    plan = _plan(connection, take, {"chosen": [f"t{n}" for n in range(chosen)]})
    assert "sqlite_autoindex_transactions_1 (id=?)" in plan
    assert "ix_transactions_status_due" not in plan


def test_the_candidates_are_read_from_the_head_of_each_status(
    connection: sqlite3.Connection,
) -> None:
    candidates, _ = tx._CLAIM[False]
    plan = _plan(connection, candidates, {"exclude": ["t1"], "full": []})
    assert plan.count("USING INDEX ix_transactions_status_due") == 3
    assert "SCAN transactions" not in plan
