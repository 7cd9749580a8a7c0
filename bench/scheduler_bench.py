"""Scheduled cycles: what the scheduler's tick costs, and how late each run starts.

One `junction serve` (SQLite in a fresh data folder, or a new PostgreSQL database with
``--database postgres``; started through bench/tick_probe.py, which times its ticks) and a
loopback API answering ``GET /poll`` at once. ``--cycles`` (default 1,000) cycles across
``--accounts`` (default 100) accounts are installed from one template (a Get trigger
calling ``GET /poll``, which finds one new item each time, then a Stop step) and activated
through the API, every minute (``Interval`` 1). Their next run is then set in the
database: all at the same second (``--spread 0``, the default: a top-of-the-minute
schedule, the hardest case) or spread evenly over ``--spread`` seconds. They run for
``--minutes`` minutes; with ``--history``, that many ended transactions (with step data)
are stored across the cycles beforehand.

Figures:
- the tick: the local dispatcher's ``tick`` (scheduler lease, due cycles queued, commit;
  the scheduler loop runs one a second) and the scheduler's own work inside it, for ticks
  that queued runs and for idle ones;
- lateness of each run against its due time (the slot on the cycle's grid): when the tick
  queued it (the transaction's created time) and when it started (its first claim,
  ``started_at``): max, p99, p50; and runs due but never queued (missed slots).

    uv run --frozen python bench/scheduler_bench.py [--cycles 1000] [--accounts 100]
        [--minutes 3] [--spread 0] [--history 0] [--database sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import bindparam, select, update

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_api_bench import _credentials
from dod_bench import _free_port, _wait_for
from growth import (
    Server,
    Target,
    add_database_options,
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
from webhook_cycle import _call

from junction.cycles.models import Cycle, CycleStep
from junction.db.engine import Database
from junction.engine.models import Transaction

MS = 1000
PROBE = str(Path(__file__).resolve().parent / "tick_probe.py")


def _serve_poll(port: int) -> None:
    """``GET /poll`` answers one new item each time: a run that finds nothing leaves no
    transaction behind, and the transactions are what the lateness is read from."""
    counter = iter(range(1, 1 << 62))

    async def poll(_request: web.Request) -> web.Response:
        return web.json_response({"items": [{"id": next(counter)}]})

    app = web.Application()
    app.router.add_get("/poll", poll)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _connector(base: str) -> dict[str, Any]:
    return {
        "Name": "Bench Poll",
        "Version": "1",
        "ReleaseStatus": "Live",
        "BaseUrl": base,
        "Methods": [
            {
                "Name": "New items",
                "MethodUniqueIdentifier": "items-new",
                "HttpMethod": "GET",
                "Endpoint": "/poll",
                "ResponseFields": [
                    {"ConnectorField": "[items].id", "SystemField": "Id", "DataType": "Integer"}
                ],
            }
        ],
    }


_TEMPLATE: dict[str, Any] = {
    "Name": "Bench scheduled poll",
    "Steps": [
        {
            "Key": "poll",
            "Name": "New items",
            "ConnectorName": "Bench Poll",
            "MethodUniqueIdentifier": "items-new",
        },
        # A cycle needs two steps: the item found ends here.
        {"Key": "done", "Name": "Done", "StepType": "Stop"},
    ],
    "Edges": [{"TailStepKey": "poll", "HeadStepKey": "done"}],
}


async def _setup(server: Server, poll_base: str, args: argparse.Namespace) -> list[str]:
    """The accounts and the active cycles (first run a day away); their ids."""
    credentials = _credentials(server.env)
    far = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    async with aiohttp.ClientSession(server.base) as session:
        token = (
            await _call(
                session,
                "POST",
                "/oauth/token",
                (200,),
                data={
                    "grant_type": "client_credentials",
                    "client_id": credentials["ClientId"],
                    "client_secret": credentials["ClientSecret"],
                },
            )
        )["access_token"]
        partner = {"Authorization": f"Bearer {token}"}
        await _call(
            session, "POST", "/v1.0/connectors", (201,), json=_connector(poll_base), headers=partner
        )
        template = await _call(
            session, "POST", "/v1.0/templates", (201,), json=_TEMPLATE, headers=partner
        )
        await _call(
            session,
            "PUT",
            f"/v1.0/templates/{template['Id']}/releases/1/status",
            (200,),
            json={"Status": "Live"},
            headers=partner,
        )
        accounts = [f"sched-{number:03d}" for number in range(args.accounts)]
        for account_id in accounts:
            await _call(
                session,
                "POST",
                "/v1.0/accounts",
                (200,),
                json={"Id": account_id, "Name": f"Scheduled {account_id}"},
                headers=partner,
            )
        gate = asyncio.Semaphore(8)

        async def one(number: int) -> str:
            account = partner | {"X-Cyclr-Account": accounts[number % len(accounts)]}
            async with gate:
                cycle = await _call(
                    session,
                    "POST",
                    f"/v1.0/templates/{template['Id']}/install",
                    (200, 201),
                    json={},
                    headers=account,
                )
                await _call(
                    session,
                    "PUT",
                    f"/v1.0/cycles/{cycle['Id']}/activate",
                    (200,),
                    json={"StartTime": far, "Interval": 1},
                    headers=account,
                )
            return str(cycle["Id"])

        return list(await asyncio.gather(*(one(n) for n in range(args.cycles))))


async def _history(database: Database, cycle_ids: list[str], total: int) -> int:
    async with database.transaction(read_only=True) as session:
        rows = (
            await session.execute(
                select(Cycle.id, Cycle.account_id, CycleStep.id)
                .join(CycleStep, CycleStep.cycle_id == Cycle.id)
                .where(Cycle.id.in_(cycle_ids))
            )
        ).all()
    steps: dict[tuple[str, str], list[str]] = {}
    for cycle, account, step in rows:
        steps.setdefault((account, cycle), []).append(step)
    targets = [Target(a, c, (ids[0], ids[-1])) for (a, c), ids in steps.items()]
    _, stored = await seed_history(database, targets, total, end=utcnow(), progress="history")
    await analyze(database)
    return stored


async def _schedule(database: Database, cycle_ids: list[str], spread: float) -> dict[str, datetime]:
    """Each cycle's first due time, from a few seconds ahead; the cycle's grid runs on from
    it a minute apart."""
    start = (utcnow() + timedelta(seconds=5)).replace(microsecond=0) + timedelta(seconds=1)
    count = len(cycle_ids)
    due = {
        cycle_id: start + timedelta(seconds=spread * number / count)
        for number, cycle_id in enumerate(cycle_ids)
    }
    async with database.transaction() as session:
        await session.execute(
            update(Cycle.__table__)  # type: ignore[arg-type]
            .where(Cycle.__table__.c.id == bindparam("cycle"))
            .values(next_run_at=bindparam("due")),
            [{"cycle": cycle_id, "due": at} for cycle_id, at in due.items()],
        )
    return due


async def _runs(database: Database, cycle_ids: list[str]) -> list[tuple[str, Any, Any]]:
    async with database.transaction(read_only=True) as session:
        rows = (
            await session.execute(
                select(Transaction.cycle_id, Transaction.created_at, Transaction.started_at).where(
                    Transaction.origin == "Schedule", Transaction.cycle_id.in_(cycle_ids)
                )
            )
        ).all()
    return [(cycle_id, created, started) for cycle_id, created, started in rows]


def _lateness(
    runs: list[tuple[str, Any, Any]], first_due: dict[str, datetime], end: datetime, read: datetime
) -> dict[str, Any]:
    """Lateness of the runs due by ``end`` (the database read at ``read``)."""
    queued_late: list[float] = []
    started_late: list[float] = []
    unstarted = counted = 0
    for cycle_id, created, started in runs:
        origin = first_due[cycle_id]
        slot = int((created - origin).total_seconds() // 60)
        due = origin + timedelta(minutes=slot)
        if due > end:
            continue
        counted += 1
        queued_late.append((created - due).total_seconds())
        if started is None:
            unstarted += 1
            started_late.append((read - due).total_seconds())
        else:
            started_late.append((started - due).total_seconds())
    expected = sum(
        int((end - origin).total_seconds() // 60) + 1
        for origin in first_due.values()
        if origin <= end
    )
    return {
        "runs": counted,
        "expected": expected,
        "unstarted": unstarted,
        "queued": queued_late,
        "started": started_late,
    }


def _tick_rows(
    entries: list[list[Any]], since: float, until: float
) -> tuple[list[float], list[float], list[int]]:
    busy = [e[1] for e in entries if since <= e[0] <= until and e[2]]
    idle = [e[1] for e in entries if since <= e[0] <= until and not e[2]]
    queued = [int(e[2]) for e in entries if since <= e[0] <= until and e[2]]
    return busy, idle, queued


def _summary(values: list[float]) -> str:
    if not values:
        return "- | - | - | 0"
    return (
        f"{statistics.median(values) * MS:,.1f} ms | {percentile(values, 0.99) * MS:,.1f} ms "
        f"| {max(values) * MS:,.1f} ms | {len(values)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000, help="active scheduled cycles")
    parser.add_argument("--accounts", type=int, default=100, help="accounts they belong to")
    parser.add_argument("--minutes", type=int, default=3, help="minutes of runs measured")
    parser.add_argument(
        "--spread", type=float, default=0, help="seconds the due times are spread over"
    )
    parser.add_argument(
        "--history", type=int, default=0, help="ended transactions stored across the cycles"
    )
    add_database_options(parser)
    args = parser.parse_args()

    poll_port = _free_port()
    poll_server = multiprocessing.Process(target=_serve_poll, args=(poll_port,), daemon=True)
    poll_server.start()
    _wait_for(poll_port)
    try:
        with tempfile.TemporaryDirectory() as folder, fresh_database(args, folder) as urls:
            database_url, seed_url = urls
            stats = str(Path(folder) / "ticks")
            server = Server(
                folder,
                database_url,
                {"BENCH_TICK_STATS": stats, "JUNCTION_ACCOUNT_CONCURRENCY_LIMIT": "8"},
                command=[sys.executable, PROBE, "serve"],
            )
            with running(server):
                started = time.monotonic()
                cycle_ids = asyncio.run(_setup(server, f"http://127.0.0.1:{poll_port}", args))
                print(
                    f"{len(cycle_ids):,} cycles installed and activated in "
                    f"{time.monotonic() - started:.0f} s",
                    flush=True,
                )
                database = Database(seed_url)
                try:
                    if args.history:
                        asyncio.run(_history(database, cycle_ids, args.history))
                    first_due = asyncio.run(_schedule(database, cycle_ids, args.spread))
                finally:
                    asyncio.run(database.dispose())
                begin = min(first_due.values())
                # Runs due before ``end`` are counted: --minutes slots of each cycle.
                end = begin + timedelta(minutes=args.minutes - 1, seconds=max(30, args.spread))
                print(f"first runs due at {begin:%H:%M:%S}; counting runs due until {end:%H:%M:%S}")
                time.sleep(max(0.0, (end - utcnow()).total_seconds()) + 20)
                read_at = utcnow()
                database = Database(seed_url)
                try:
                    runs = asyncio.run(_runs(database, cycle_ids))
                finally:
                    asyncio.run(database.dispose())
                time.sleep(1.5)  # the probe writes its file every second
                data = json.loads(Path(f"{stats}.{server.pid}.json").read_text())
    finally:
        poll_server.terminate()
        poll_server.join()

    since, until = begin.timestamp() - 2, end.timestamp()
    late = _lateness(runs, first_due, end, read_at)
    busy, idle, queued = _tick_rows(data["ticks"], since, until)
    inner_busy, inner_idle, _ = _tick_rows(data["inner"], since, until)
    print()
    print(
        "command: uv run --frozen python bench/scheduler_bench.py "
        f"--cycles {args.cycles} --accounts {args.accounts} --minutes {args.minutes} "
        f"--spread {args.spread:g}"
        + (f" --history {args.history}" if args.history else "")
        + database_command(args)
    )
    print(environment_line())
    print(
        f"database: {database_label(args)}; {args.cycles:,} cycles every minute across "
        f"{args.accounts} accounts, due times spread over {args.spread:g} s; worker "
        "concurrency 16, per-account limit 8"
        + (f"; {args.history:,} ended transactions stored" if args.history else "")
    )
    print()
    print("| tick (target: under 50 ms) | p50 | p99 | max | ticks |")
    print("|---|---|---|---|---|")
    print(f"| whole tick, queuing runs | {_summary(busy)} |")
    print(f"| the scheduler's work in it, queuing runs | {_summary(inner_busy)} |")
    print(f"| whole tick, nothing due | {_summary(idle)} |")
    print(f"| the scheduler's work in it, nothing due | {_summary(inner_idle)} |")
    if queued:
        print(f"runs queued per busy tick: max {max(queued)}, mean {statistics.mean(queued):.1f}")
    print()
    print(
        f"runs: {late['runs']:,} queued of {late['expected']:,} slots due "
        f"({late['expected'] - late['runs']:,} not queued); {late['unstarted']} not started "
        "when read (counted late until then)"
    )
    print("| lateness against the due time (target: none over 2 s) | p50 | p99 | max |")
    print("|---|---|---|---|")
    for label, values in (("queued (created)", late["queued"]), ("started", late["started"])):
        if values:
            print(
                f"| {label} | {statistics.median(values):.2f} s | {percentile(values, 0.99):.2f} s "
                f"| {max(values):.2f} s |"
            )
    over = sum(1 for value in late["started"] if value > 2)
    print(f"runs started more than 2 s late: {over:,} of {len(late['started']):,}")


if __name__ == "__main__":
    main()
