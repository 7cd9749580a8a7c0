"""Retention: step data rows purged per second, and the live webhook p99 with and without it.

One `junction serve` (SQLite in a fresh data folder, or a new PostgreSQL database with
``--database postgres``) runs the webhook → POST cycle of bench/webhook_cycle.py against its
loopback target, with housekeeping (retention) every ``--housekeeping-interval`` seconds.
``--transactions`` ended transactions (default 200,000), each with two steps of step data
and an incident when it errored, are stored beforehand with SQLAlchemy Core bulk inserts,
their purge time far ahead (retention already scheduled, as it is for every ended
transaction); ``--kept`` more are stored that stay (a grown database). Then:

1. live load without the purge: webhook calls at a fixed ``--rate``, one every 1/rate s
   whatever the answers, for ``--seconds``; the latency from sending a call to its item
   reaching the target (p50, p99), and the webhook's answer time;
2. the stored transactions' purge time is moved into the past (one UPDATE, no load
   running), and the same live load starts again at once; the server's next housekeeping
   pass purges their step data in its chunks while the calls arrive. This client watches
   the purge through two index look-ups every 0.1 s (the first transaction purged, any
   left due), and keeps the load running until the purge has ended and ``--seconds`` have
   passed. The p99 with the purge running counts the calls sent between its start and end.

Step data rows/s: the stored transactions' step data rows over the purge's duration.

    uv run --frozen python bench/retention_purge_bench.py [--transactions 200000]
        [--kept 0] [--rate 50] [--seconds 20] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import exists, func, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import _free_port, _wait_for
from growth import (
    Server,
    Target,
    add_database_options,
    add_history_cycles,
    analyze,
    database_command,
    database_label,
    environment_line,
    fresh_database,
    open_loop,
    percentile,
    running,
    seed_history,
    utcnow,
)
from webhook_cycle import _forget, _prepare, _serve_target, _until_received

from junction.db.engine import Database
from junction.engine.models import StepRun, Transaction

HISTORY_CYCLES = 5
MS = 1000


def _poster(url: str) -> Any:
    async def post(session: aiohttp.ClientSession, item: int) -> None:
        async with session.post(url, json={"item": item}) as response:
            if response.status != 200:
                raise SystemExit(f"the webhook answered {response.status}: {await response.text()}")
            await response.read()

    return post


def _far(ended: datetime) -> datetime:
    return ended + timedelta(hours=744)


async def _seed(seed_url: str, total: int, kept: int) -> tuple[list[Target], int, float]:
    """``total`` transactions to purge (their cycles answered) and ``kept`` that stay."""
    database = Database(seed_url)
    try:
        targets = await add_history_cycles(
            database, accounts=["bench"], cycles_per_account=HISTORY_CYCLES, now=utcnow()
        )
        started = time.monotonic()
        _, steps = await seed_history(
            database, targets, total, end=utcnow(), purge_after=_far, progress="history"
        )
        if kept:
            others = await add_history_cycles(
                database, accounts=["kept"], cycles_per_account=HISTORY_CYCLES, now=utcnow()
            )
            await seed_history(
                database, others, kept, end=utcnow(), purge_after=_far, seed=8, progress="kept"
            )
        await analyze(database)
        return targets, steps, time.monotonic() - started
    finally:
        await database.dispose()


async def _load(
    target: str, url: str, rate: float, seconds: float, first_item: int
) -> tuple[dict[int, float], dict[int, float], dict[int, float]]:
    """(send times, answer times, arrival times at the target) of an open-loop load."""
    await _forget(target)
    sent, answered = await open_loop(rate, seconds, first_item, _poster(url))
    got = await _until_received(target, len(sent), 600)
    arrived: dict[int, float] = {}
    for item, at in got:
        arrived.setdefault(item, at)
    return sent, answered, arrived


async def _purge_run(
    seed_url: str,
    target: str,
    url: str,
    args: argparse.Namespace,
    cycle_ids: list[str],
) -> dict[str, Any]:
    database = Database(seed_url)
    try:
        started = time.monotonic()
        async with database.transaction() as session:
            await session.execute(
                update(Transaction)
                .where(Transaction.cycle_id.in_(cycle_ids))
                .values(purge_after=utcnow() - timedelta(hours=1))
                .execution_options(synchronize_session=False)
            )
        update_seconds = time.monotonic() - started
        ours = Transaction.cycle_id.in_(cycle_ids)
        any_purged = select(exists().where(ours, Transaction.purged_at.is_not(None)))
        cutoff = utcnow()  # every stored transaction is due by then
        any_due = select(
            exists().where(ours, Transaction.purged_at.is_(None), Transaction.purge_after <= cutoff)
        )
        marks: dict[str, float] = {}

        async def watch() -> None:
            while "end" not in marks:
                async with database.transaction(read_only=True) as session:
                    if "start" not in marks and await session.scalar(any_purged):
                        marks["start"] = time.monotonic()
                    if "start" in marks and not await session.scalar(any_due):
                        marks["end"] = time.monotonic()
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        await _forget(target)
        sent: dict[int, float] = {}
        answered: dict[int, float] = {}
        load_started = time.monotonic()
        first_item = 10_000_000
        while True:  # rounds of load until the purge is over and --seconds have passed
            round_sent, round_answered = await open_loop(
                args.rate, 2.0, first_item + len(sent), _poster(url)
            )
            sent |= round_sent
            answered |= round_answered
            if watcher.done() and time.monotonic() - load_started >= args.seconds:
                break
            if time.monotonic() - load_started > 1800:
                raise SystemExit("the purge did not end within 30 minutes")
        await watcher
        got = await _until_received(target, len(sent), 600)
        async with database.transaction(read_only=True) as session:
            left = await session.scalar(
                select(func.count())
                .select_from(StepRun)
                .join(Transaction, Transaction.id == StepRun.transaction_id)
                .where(ours)
            )
    finally:
        await database.dispose()
    arrived: dict[int, float] = {}
    for item, at in got:
        arrived.setdefault(item, at)
    return {
        "sent": sent,
        "answered": answered,
        "arrived": arrived,
        "start": marks["start"],
        "end": marks["end"],
        "update_seconds": update_seconds,
        "left": left or 0,
    }


def _figures(
    sent: dict[int, float],
    answered: dict[int, float],
    arrived: dict[int, float],
    between: tuple[float, float] | None = None,
) -> dict[str, float]:
    items = [item for item in sent if between is None or between[0] <= sent[item] <= between[1]]
    latencies = [arrived[item] - sent[item] for item in items]
    answers = [answered[item] - sent[item] for item in items]
    return {
        "calls": len(items),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies) if latencies else float("nan"),
        "answer_p99": percentile(answers, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=200_000, help="history stored")
    parser.add_argument(
        "--kept",
        type=int,
        default=0,
        help="more history stored that stays (its purge time ahead): a grown database",
    )
    parser.add_argument("--rate", type=float, default=50, help="live webhook calls per second")
    parser.add_argument("--seconds", type=float, default=20, help="length of each live load")
    parser.add_argument(
        "--housekeeping-interval",
        type=float,
        default=5,
        help="JUNCTION_HOUSEKEEPING_INTERVAL_SECONDS of the server (default 5)",
    )
    add_database_options(parser)
    args = parser.parse_args()

    target_port = _free_port()
    target_server = multiprocessing.Process(
        target=_serve_target, args=(target_port, 0), daemon=True
    )
    target_server.start()
    _wait_for(target_port)
    target = f"http://127.0.0.1:{target_port}"
    extra = {"JUNCTION_HOUSEKEEPING_INTERVAL_SECONDS": f"{args.housekeeping_interval:g}"}
    try:
        with tempfile.TemporaryDirectory() as folder, fresh_database(args, folder) as urls:
            database_url, seed_url = urls
            server = Server(folder, database_url, extra)
            with running(server):
                _, _, url = asyncio.run(_prepare(server.base, server.env, target))
                targets, steps, seconds = asyncio.run(_seed(seed_url, args.transactions, args.kept))
                print(
                    f"stored {args.transactions:,} transactions, {steps:,} step data rows "
                    f"in {seconds:.0f} s",
                    flush=True,
                )
                # Warm up, then the live load without the purge.
                asyncio.run(_load(target, url, args.rate, 4, 0))
                time.sleep(1)
                quiet = asyncio.run(_load(target, url, args.rate, args.seconds, 1_000_000))
                time.sleep(1)
                cycle_ids = [t.cycle_id for t in targets]
                purge = asyncio.run(_purge_run(seed_url, target, url, args, cycle_ids))
    finally:
        target_server.terminate()
        target_server.join()

    without = _figures(*quiet)
    during = _figures(
        purge["sent"], purge["answered"], purge["arrived"], (purge["start"], purge["end"])
    )
    whole = _figures(purge["sent"], purge["answered"], purge["arrived"])
    purge_seconds = purge["end"] - purge["start"]
    print()
    print(
        "command: uv run --frozen python bench/retention_purge_bench.py "
        f"--transactions {args.transactions} --rate {args.rate:g} --seconds {args.seconds:g}"
        + (f" --kept {args.kept}" if args.kept else "")
        + (
            f" --housekeeping-interval {args.housekeeping_interval:g}"
            if args.housekeeping_interval != 5
            else ""
        )
        + database_command(args)
    )
    print(environment_line())
    print(
        f"database: {database_label(args)}; {args.transactions:,} transactions, {steps:,} step "
        f"data rows to purge; {args.kept:,} more transactions kept; live load "
        f"{args.rate:g} calls/s"
    )
    print()
    print(
        f"purge: {steps:,} step data rows in {purge_seconds:.2f} s (±0.1 s): "
        f"{steps / purge_seconds:,.0f} rows/s (target: at least 20,000); "
        f"{args.transactions / purge_seconds:,.0f} transactions/s; "
        f"rows left afterwards: {purge['left']:,}"
    )
    print(f"(moving their purge time into the past took {purge['update_seconds']:.2f} s, unloaded)")
    print()
    print("| live webhook → target | calls | p50 | p99 | max | webhook answer p99 |")
    print("|---|---|---|---|---|---|")
    for label, figures in (
        ("without the purge", without),
        ("while the purge ran", during),
        ("whole second load (purge and after)", whole),
    ):
        print(
            f"| {label} | {figures['calls']:,.0f} | {figures['p50'] * MS:,.1f} ms "
            f"| {figures['p99'] * MS:,.1f} ms | {figures['max'] * MS:,.1f} ms "
            f"| {figures['answer_p99'] * MS:,.1f} ms |"
        )
    print()
    print(
        f"p99 while purging / without: {during['p99'] / without['p99']:.2f} (target: at most 1.20)"
    )
    if during["calls"] < 100:
        print(
            f"only {during['calls']:.0f} calls were sent while the purge ran: store more "
            "transactions (or raise --rate) for a p99 that means something"
        )


if __name__ == "__main__":
    main()
