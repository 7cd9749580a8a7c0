"""Webhook → map → POST and the reports list, on an empty database and on a grown one.

One `junction serve` (SQLite in a fresh data folder, or a new PostgreSQL database with
``--database postgres``), the loopback target of bench/webhook_cycle.py and this client.
First, on the empty database: items/s of N webhook calls through the webhook → POST cycle
(32 in flight, after a warm-up), and the latency of the account's transactions list with
filters (``GET /v1.0/cycles/transactions``, the cycle's list too). Then, with the same
server running, ``--transactions`` ended transactions (default 1,000,000), each with two
steps of step data (an exchange, an output) and an incident when it errored, are stored
with SQLAlchemy Core bulk inserts: spread over 30 days, 10 accounts and 46 cycles, a tenth
of them in the measured account (a fifth of those in the measured cycle itself). The same
figures again on the grown database, in the same run.

    uv run --frozen python bench/grown_database_bench.py [--transactions 1000000]
        [--webhooks 2000] [--concurrency 32] [--requests 30] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

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
    percentile,
    running,
    seed_history,
    utcnow,
)
from webhook_cycle import (
    _cpu_seconds,
    _forget,
    _latencies,
    _prepare,
    _send,
    _serve_target,
    _until_received,
)

from junction.cycles.models import CycleStep
from junction.db.engine import Database

HISTORY_ACCOUNTS = 10  # the measured account "bench" and nine others
CYCLES_PER_ACCOUNT = 4  # history-only cycles; "bench" also has the measured cycle
WARM_UP = 200
MS = 1000


def _poster(url: str) -> Any:
    async def post(session: aiohttp.ClientSession, item: int) -> None:
        async with session.post(url, json={"item": item}) as response:
            if response.status != 200:
                raise SystemExit(f"the webhook answered {response.status}: {await response.text()}")
            await response.read()

    return post


async def throughput(
    server: Server, target: str, url: str, args: argparse.Namespace
) -> dict[str, Any]:
    """Items/s and latencies of ``--webhooks`` calls, ``--concurrency`` in flight."""
    post = _poster(url)
    await _forget(target)
    await _send(WARM_UP, args.concurrency, post)
    await _until_received(target, WARM_UP, 120)
    await asyncio.sleep(1)
    await _forget(target)
    cpu_before = _cpu_seconds(server.pid)
    sent, answered, first = await _send(args.webhooks, args.concurrency, post)
    received = await _until_received(target, args.webhooks, 900)
    cpu_after = _cpu_seconds(server.pid)
    last = max(at for _, at in received)
    latencies = _latencies(sent, received)
    answers = [answered[item] - sent[item] for item in sent]
    return {
        "rate": args.webhooks / (last - first),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "answer_p99": percentile(answers, 0.99),
        "cpu_ms": None
        if cpu_before is None or cpu_after is None
        else (cpu_after - cpu_before) / args.webhooks * MS,
        "duplicates": len(received) - args.webhooks,
    }


def _cases(cycle_id: str, window: dict[str, str]) -> dict[str, tuple[str, dict[str, str]]]:
    return {
        "account, newest 50": ("/v1.0/cycles/transactions", {}),
        "account + status=Errored": ("/v1.0/cycles/transactions", {"status": "Errored"}),
        "account + status=Completed": ("/v1.0/cycles/transactions", {"status": "Completed"}),
        "account + status=Errored + 10-day window": (
            "/v1.0/cycles/transactions",
            {"status": "Errored", **window},
        ),
        "account + status=Completed + 10-day window": (
            "/v1.0/cycles/transactions",
            {"status": "Completed", **window},
        ),
        "account + status=Completed + 10-day window, page 5": (
            "/v1.0/cycles/transactions",
            {"status": "Completed", "page": "5", **window},
        ),
        "cycle + status=Errored + 10-day window": (
            f"/v1.0/cycles/{cycle_id}/transactions",
            {"status": "Errored", **window},
        ),
    }


async def reports(
    server: Server, token: str, cycle_id: str, window: dict[str, str], count: int
) -> list[tuple[str, float, float, float, int]]:
    """(case, median ms, p95 ms, max ms, Total-Records) of ``count`` sequential requests."""
    headers = {"Authorization": f"Bearer {token}", "X-Cyclr-Account": "bench"}
    results = []
    async with aiohttp.ClientSession(server.base, headers=headers) as session:
        for name, (path, params) in _cases(cycle_id, window).items():
            times = []
            total = 0
            for number in range(count + 3):  # three warm-up requests
                started = time.perf_counter()
                async with session.get(path, params=params) as response:
                    body = await response.read()
                    if response.status != 200:
                        raise SystemExit(f"{path} answered {response.status}: {body[:300]!r}")
                    total = int(response.headers.get("Total-Records", "0"))
                if number >= 3:
                    times.append((time.perf_counter() - started) * MS)
            results.append(
                (name, statistics.median(times), percentile(times, 0.95), max(times), total)
            )
    return results


async def _measured_cycle(database: Database, cycle_id: str) -> Target:
    async with database.transaction(read_only=True) as session:
        steps = list(
            await session.scalars(
                select(CycleStep.id)
                .where(CycleStep.cycle_id == cycle_id)
                .order_by(CycleStep.position)
            )
        )
    return Target("bench", cycle_id, (steps[0], steps[-1]))


def _kept(ended: datetime) -> datetime:
    """Retention already set, as the housekeeping gives every ended transaction."""
    return ended + timedelta(hours=744)


async def grow(seed_url: str, cycle_id: str, total: int) -> tuple[int, int, float, datetime]:
    """Store the history; (transactions, step data rows, seconds, its end time)."""
    database = Database(seed_url)
    end = utcnow() - timedelta(minutes=5)
    try:
        measured = await _measured_cycle(database, cycle_id)
        accounts = ["bench"] + [f"history-{n}" for n in range(1, HISTORY_ACCOUNTS)]
        others = await add_history_cycles(
            database, accounts=accounts, cycles_per_account=CYCLES_PER_ACCOUNT, now=end
        )
        bench_share = total // HISTORY_ACCOUNTS
        in_cycle = bench_share // (CYCLES_PER_ACCOUNT + 1)
        bench_others = [t for t in others if t.account_id == "bench"]
        rest = [t for t in others if t.account_id != "bench"]
        started = time.monotonic()
        stored = [
            await seed_history(database, [measured], in_cycle, end=end, purge_after=_kept, seed=1),
            await seed_history(
                database, bench_others, bench_share - in_cycle, end=end, purge_after=_kept, seed=2
            ),
            await seed_history(
                database,
                rest,
                total - bench_share,
                end=end,
                purge_after=_kept,
                seed=3,
                progress="history",
            ),
        ]
        await analyze(database)
        seconds = time.monotonic() - started
    finally:
        await database.dispose()
    return sum(s[0] for s in stored), sum(s[1] for s in stored), seconds, end


def _print_throughput(label: str, figures: dict[str, Any]) -> None:
    cpu = f"{figures['cpu_ms']:.2f} ms" if figures["cpu_ms"] is not None else "-"
    print(
        f"| {label} | {figures['rate']:,.0f} | {figures['p50'] * MS:,.0f} ms "
        f"| {figures['p99'] * MS:,.0f} ms | {figures['answer_p99'] * MS:,.0f} ms | {cpu} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transactions", type=int, default=1_000_000, help="history stored")
    parser.add_argument("--webhooks", type=int, default=2000, help="webhook calls measured")
    parser.add_argument("--concurrency", type=int, default=32, help="calls in flight")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per list case")
    add_database_options(parser)
    args = parser.parse_args()

    target_port = _free_port()
    target_server = multiprocessing.Process(
        target=_serve_target, args=(target_port, 0), daemon=True
    )
    target_server.start()
    _wait_for(target_port)
    target = f"http://127.0.0.1:{target_port}"
    try:
        with tempfile.TemporaryDirectory() as folder, fresh_database(args, folder) as urls:
            database_url, seed_url = urls
            server = Server(folder, database_url)
            with running(server):
                token, cycle_id, url = asyncio.run(_prepare(server.base, server.env, target))
                empty = asyncio.run(throughput(server, target, url, args))
                window_end = utcnow() - timedelta(days=10)
                window = {
                    "after": (window_end - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "before": window_end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
                empty_lists = asyncio.run(reports(server, token, cycle_id, window, args.requests))
                print(
                    f"empty database: {empty['rate']:,.0f} items/s; storing the history", flush=True
                )
                stored, steps, seconds, _ = asyncio.run(grow(seed_url, cycle_id, args.transactions))
                print(
                    f"stored {stored:,} transactions, {steps:,} step data rows in {seconds:.0f} s",
                    flush=True,
                )
                grown = asyncio.run(throughput(server, target, url, args))
                grown_lists = asyncio.run(reports(server, token, cycle_id, window, args.requests))
    finally:
        target_server.terminate()
        target_server.join()

    print()
    print(
        "command: uv run --frozen python bench/grown_database_bench.py "
        f"--transactions {args.transactions} --webhooks {args.webhooks} "
        f"--concurrency {args.concurrency} --requests {args.requests}{database_command(args)}"
    )
    print(environment_line())
    print(
        f"database: {database_label(args)}; history: {stored:,} transactions, {steps:,} step "
        f"data rows ({stored / max(seconds, 1e-9):,.0f} transactions/s stored)"
    )
    print()
    print(
        "| database | items/s | p50 latency | p99 latency | webhook answer p99 "
        "| server CPU per item |"
    )
    print("|---|---|---|---|---|---|")
    _print_throughput("empty", empty)
    _print_throughput(f"{stored:,} transactions stored", grown)
    print()
    print(f"grown / empty items/s: {grown['rate'] / empty['rate']:.3f} (target: at least 0.90)")
    print(f"items the target received twice: {empty['duplicates'] + grown['duplicates']}")
    print()
    print(f"reports lists, {args.requests} requests a case (account 'bench'), ms; target < 100 ms")
    print("| case | empty median | grown median | grown p95 | grown max | grown Total-Records |")
    print("|---|---:|---:|---:|---:|---:|")
    for (name, e_median, _, _, _), (_, median, p95, most, total) in zip(
        empty_lists, grown_lists, strict=True
    ):
        print(f"| {name} | {e_median:.1f} | {median:.1f} | {p95:.1f} | {most:.1f} | {total:,} |")


if __name__ == "__main__":
    main()
