"""Retention purging alone: step data rows per second, and each statement's share.

A fresh SQLite database (or a new PostgreSQL one with ``--database postgres``) gets
``--transactions`` ended transactions with two steps of step data each (bench/growth.py),
all due for purging; then ``junction.reports.retention``'s chunk purge runs until none is
left, with nothing else running, and the time of each SQL statement is added up by kind
(SQLAlchemy's cursor events). bench/retention_purge_bench.py measures the same purge
inside ``junction serve`` under live load.

    uv run --frozen python bench/purge_chunks_bench.py [--transactions 200000] [--chunk 500]
        [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))

from growth import (
    add_database_options,
    add_history_cycles,
    database_command,
    database_label,
    environment_line,
    fresh_database,
    seed_history,
    utcnow,
)

from junction.db import migrate
from junction.db.engine import Database
from junction.reports import retention


def _kind(statement: str) -> str:
    words = statement.split()
    table = words[2] if words[0] in ("DELETE", "INSERT") else words[1]
    if words[0] == "SELECT" and " FROM " in statement:
        table = statement.split(" FROM ", 1)[1].split()[0]
    return f"{words[0]} {table}"


async def _run(url: str, args: argparse.Namespace) -> None:
    database = Database(url)
    try:
        now = utcnow()
        targets = await add_history_cycles(
            database, accounts=["purge-a", "purge-b"], cycles_per_account=5, now=now
        )
        await seed_history(
            database,
            targets,
            args.transactions,
            end=now,
            purge_after=lambda ended: now - timedelta(hours=1),
            progress="  history",
        )
        spent: collections.Counter[str] = collections.Counter()
        counts: collections.Counter[str] = collections.Counter()
        engine = database.engine.sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            kind = _kind(statement)
            spent[kind] += time.perf_counter() - conn.info.pop("bench_started")
            counts[kind] += 1

        started = time.perf_counter()
        chunks = 0
        while True:
            due, _, _ = await retention._purge_chunk(
                database=database, now=utcnow(), chunk=args.chunk
            )
            chunks += 1
            if due < args.chunk:
                break
        elapsed = time.perf_counter() - started
    finally:
        await database.dispose()
    rows = 2 * args.transactions
    print(
        "\ncommand: uv run --frozen python bench/purge_chunks_bench.py "
        f"--transactions {args.transactions} --chunk {args.chunk}{database_command(args)}"
    )
    print(environment_line())
    print(f"database: {database_label(args)}; chunks of {args.chunk} transactions\n")
    print(
        f"{rows:,} step data rows purged in {elapsed:.2f} s: {rows / elapsed:,.0f} rows/s, "
        f"{elapsed / chunks * 1000:.1f} ms per chunk ({chunks} chunks)"
    )
    print("\n| statement | count | seconds | ms per chunk |\n|---|---|---|---|")
    for kind, seconds in spent.most_common():
        print(f"| {kind} | {counts[kind]} | {seconds:.2f} | {seconds / chunks * 1000:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=500)
    add_database_options(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, fresh_database(args, folder) as (_, url):
        migrate.upgrade(url)
        asyncio.run(_run(url, args))


if __name__ == "__main__":
    main()
