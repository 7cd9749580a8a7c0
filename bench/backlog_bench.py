"""A backlog of queued transactions: the drain rate per block as it shrinks, against a small
backlog's (the steady state).

One `junction serve` (SQLite in a fresh data folder, or a new PostgreSQL database with
``--database postgres``) runs the webhook → POST cycle of bench/webhook_cycle.py against a
loopback target that records when each item arrives. With the server stopped,
``--backlog`` (default 100,000) Queued webhook transactions (each with its body, ``{"item":
n}``, due in arrival order, exactly as webhook intake stores them) are stored with
SQLAlchemy Core bulk inserts; the server is started again and runs them all. The drain rate
of each block of ``--block`` items (default 10,000), from the target's arrival times, shows
whether claiming slows down with the size of the queue (a claim that reads or sorts the
whole backlog makes the first blocks, drained with the most left queued, the slowest). The
steady-state rate is the same drain of a backlog of only ``--steady`` transactions (default
2,000), measured first in the same run. Server CPU per item is read from /proc for each
block, which is steadier than the rates on a shared machine.

    uv run --frozen python bench/backlog_bench.py [--backlog 100000] [--block 10000]
        [--steady 2000] [--account-limit 16] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import API_KEY, _free_port, _wait_for
from growth import (
    Server,
    add_database_options,
    database_command,
    database_label,
    environment_line,
    fresh_database,
    utcnow,
)
from webhook_cycle import _completed, _cpu_seconds, _prepare, _send

from junction.cycles.models import CycleStep
from junction.db.engine import Database
from junction.engine import transactions as tx
from junction.engine.models import Transaction

BATCH = 5_000
WARM_UP = 200


def _serve_target(port: int) -> None:
    """POST /items records the first arrival of each item (time.monotonic(), shared by the
    processes); GET /count answers how many; GET /times the arrival times in order."""
    arrived: dict[int, float] = {}

    async def create(request: web.Request) -> web.Response:
        at = time.monotonic()
        if request.headers.get("X-Api-Key") != API_KEY:
            return web.json_response({"error": "unauthorised"}, status=401)
        item = (await request.json())["item"]
        arrived.setdefault(item, at)
        return web.json_response({"id": item}, status=201)

    async def count(_request: web.Request) -> web.Response:
        return web.json_response(len(arrived))

    async def times(_request: web.Request) -> web.Response:
        return web.json_response(sorted(arrived.values()))

    async def forget(_request: web.Request) -> web.Response:
        arrived.clear()
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/items", create)
    app.router.add_get("/count", count)
    app.router.add_get("/times", times)
    app.router.add_delete("/times", forget)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


async def _target(target: str, method: str, path: str) -> Any:
    async with aiohttp.ClientSession() as session, session.request(method, target + path) as r:
        return await r.json()


async def _enqueue(seed_url: str, cycle_id: str, count: int, first_item: int) -> float:
    """Store ``count`` Queued webhook transactions; the seconds it took."""
    database = Database(seed_url)
    started = time.monotonic()
    try:
        async with database.transaction(read_only=True) as session:
            trigger = await session.scalar(
                select(CycleStep.id)
                .where(CycleStep.cycle_id == cycle_id)
                .order_by(CycleStep.position)
                .limit(1)
            )
        now = utcnow()
        done = 0
        while done < count:
            rows = [
                tx.new_row(
                    account_id="bench",
                    cycle_id=cycle_id,
                    step_id=trigger,
                    origin="Webhook",
                    now=now + timedelta(microseconds=number),  # due in arrival order
                    payload={"item": first_item + number},
                )
                for number in range(done, min(count, done + BATCH))
            ]
            async with database.transaction() as session:
                await session.execute(insert(Transaction), rows)
            done += len(rows)
    finally:
        await database.dispose()
    return time.monotonic() - started


async def _drain(
    server: Server, target: str, count: int
) -> tuple[list[float], list[tuple[int, float]]]:
    """Wait until ``count`` items arrived: (their arrival times in order, (arrived, server CPU
    seconds) samples every half second)."""
    samples: list[tuple[int, float]] = []
    deadline = time.monotonic() + max(600, count / 20)
    while True:
        got = int(await _target(target, "GET", "/count"))
        cpu = _cpu_seconds(server.pid)
        if cpu is not None:
            samples.append((got, cpu))
        if got >= count:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {got} of {count} items arrived in time")
        await asyncio.sleep(0.5)
    times = [float(at) for at in await _target(target, "GET", "/times")]
    return times, samples


def _cpu_at(samples: list[tuple[int, float]], arrived: int) -> float | None:
    """Server CPU seconds at the first sample with at least ``arrived`` items."""
    return next((cpu for got, cpu in samples if got >= arrived), None)


def _blocks(
    times: list[float], samples: list[tuple[int, float]], block: int
) -> list[tuple[int, int, float, float | None]]:
    """(first item, last item, items/s, server CPU ms per item) per block of arrivals."""
    rows = []
    for start in range(0, len(times), block):
        end = min(len(times), start + block)
        begin_at = times[start - 1] if start else times[0]
        span = times[end - 1] - begin_at
        items = end - start if start else end - start - 1
        cpu_before = _cpu_at(samples, start) if start else samples[0][1]
        cpu_after = _cpu_at(samples, end)
        cpu_ms = (
            None
            if cpu_before is None or cpu_after is None
            else (cpu_after - cpu_before) / (end - start) * 1000
        )
        rows.append((start, end, items / span if span > 0 else float("nan"), cpu_ms))
    return rows


def _phase(
    server: Server, target: str, seed_url: str, cycle_id: str, count: int, first_item: int
) -> tuple[list[float], list[tuple[int, float]], float]:
    """Stop the server, queue ``count`` transactions, start it and wait for them all."""
    server.stop()
    asyncio.run(_target(target, "DELETE", "/times"))
    seconds = asyncio.run(_enqueue(seed_url, cycle_id, count, first_item))
    server.start()
    times, samples = asyncio.run(_drain(server, target, count))
    return times, samples, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backlog", type=int, default=100_000, help="transactions queued")
    parser.add_argument("--block", type=int, default=10_000, help="items per measured block")
    parser.add_argument("--steady", type=int, default=2_000, help="the small backlog")
    parser.add_argument(
        "--account-limit",
        type=int,
        default=16,
        help="JUNCTION_ACCOUNT_CONCURRENCY_LIMIT (the workers stay 16; below 16 the one "
        "account is at its limit while workers are free, as with the shipped default of 8)",
    )
    add_database_options(parser)
    args = parser.parse_args()

    target_port = _free_port()
    target_server = multiprocessing.Process(target=_serve_target, args=(target_port,), daemon=True)
    target_server.start()
    _wait_for(target_port)
    target = f"http://127.0.0.1:{target_port}"
    try:
        with tempfile.TemporaryDirectory() as folder, fresh_database(args, folder) as urls:
            database_url, seed_url = urls
            limit = {"JUNCTION_ACCOUNT_CONCURRENCY_LIMIT": str(args.account_limit)}
            server = Server(folder, database_url, extra=limit)
            server.start()
            try:
                token, cycle_id, url = asyncio.run(_prepare(server.base, server.env, target))

                async def post(session: aiohttp.ClientSession, item: int) -> None:
                    async with session.post(url, json={"item": item}) as response:
                        if response.status != 200:
                            raise SystemExit(f"the webhook answered {response.status}")
                        await response.read()

                asyncio.run(_send(WARM_UP, 32, post))
                asyncio.run(_drain(server, target, WARM_UP))
                steady_times, steady_samples, _ = _phase(
                    server, target, seed_url, cycle_id, args.steady, 1_000_000
                )
                print(f"steady state measured ({args.steady:,} queued)", flush=True)
                times, samples, seconds = _phase(
                    server, target, seed_url, cycle_id, args.backlog, 10_000_000
                )
                errored = asyncio.run(_completed(server.base, token, cycle_id, "Errored"))
            finally:
                server.stop()
    finally:
        target_server.terminate()
        target_server.join()

    steady = _blocks(steady_times, steady_samples, args.steady)[0]
    blocks = _blocks(times, samples, args.block)
    print()
    print(
        "command: uv run --frozen python bench/backlog_bench.py "
        f"--backlog {args.backlog} --block {args.block} --steady {args.steady}"
        + (f" --account-limit {args.account_limit}" if args.account_limit != 16 else "")
        + database_command(args)
    )
    print(environment_line())
    print(
        f"database: {database_label(args)}; workers 16, "
        f"per-account limit {args.account_limit} (one account); "
        f"{args.backlog:,} transactions queued in {seconds:.1f} s"
    )
    print()
    print(
        "| items (queued left at the block's start) | items/s | of steady | server CPU per item |"
    )
    print("|---|---|---|---|")
    cpu = f"{steady[3]:.2f} ms" if steady[3] is not None else "-"
    print(f"| steady state: a backlog of {args.steady:,} | {steady[2]:,.0f} | 1.00 | {cpu} |")
    for start, end, rate, cpu_ms in blocks:
        cpu = f"{cpu_ms:.2f} ms" if cpu_ms is not None else "-"
        print(
            f"| {start:,} to {end:,} ({args.backlog - start:,} left) | {rate:,.0f} "
            f"| {rate / steady[2]:.2f} | {cpu} |"
        )
    whole = (len(times) - 1) / (times[-1] - times[0])
    print()
    print(
        f"whole backlog: {whole:,.0f} items/s ({whole / steady[2]:.2f} of steady); first "
        f"block / last block: {blocks[0][2] / blocks[-1][2]:.2f}; Errored transactions: {errored}"
    )


if __name__ == "__main__":
    main()
