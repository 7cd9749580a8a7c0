"""Shared by the "costs as the database grows" benchmarks (grown_database_bench.py,
retention_purge_bench.py, scheduler_bench.py, backlog_bench.py): a fresh database (SQLite in
a temporary folder, or a new PostgreSQL database dropped afterwards), a `junction serve`
process on it, stored history seeded fast with SQLAlchemy Core bulk inserts, and an
open-loop webhook load (calls sent on a clock, whatever the answers)."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from sqlalchemy import insert, select, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dod_bench import _free_port, _wait_for
from webhook_cycle import junction_env

import junction.db.models  # noqa: F401 - every table, for the ORM's flush order
from junction.accounts.models import Account
from junction.cycles.models import Cycle
from junction.db.engine import Database
from junction.engine.models import Incident, StepRun, Transaction
from junction.engine.transactions import new_id as new_transaction_id

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
BATCH = 2_000  # transactions per insert (and their step data)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL server to create (and drop) a database on; with --database postgres",
    )


def database_command(args: argparse.Namespace) -> str:
    if args.database == "sqlite":
        return ""
    extra = "" if args.postgres_url == DEFAULT_POSTGRES else f" --postgres-url {args.postgres_url}"
    return f" --database postgres{extra}"


def database_label(args: argparse.Namespace) -> str:
    return "PostgreSQL" if args.database == "postgres" else "SQLite (WAL, synchronous=NORMAL)"


def _conninfo(admin_url: str) -> str:
    return make_url(admin_url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def fresh_database(args: argparse.Namespace, folder: str) -> Iterator[tuple[str | None, str]]:
    """(JUNCTION_DATABASE_URL or None for SQLite, the SQLAlchemy URL to seed through)."""
    if args.database == "sqlite":
        yield None, f"sqlite+aiosqlite:///{Path(folder).resolve() / 'junction.db'}"
        return
    name = f"junction_bench_{uuid.uuid4().hex[:10]}"
    conninfo = _conninfo(args.postgres_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(args.postgres_url).set(drivername="postgresql+psycopg", database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        yield rendered, rendered
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """One `junction serve` on the data folder and database given, started and stopped at
    will (the same database across restarts)."""

    def __init__(
        self,
        folder: str,
        database_url: str | None,
        extra: dict[str, str] | None = None,
        command: list[str] | None = None,
    ) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = junction_env(folder, self.port, 16, 16, database_url) | (extra or {})
        self.command = command or [sys.executable, "-m", "junction", "serve"]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, env=self.env)  # noqa: S603 - our own command
        # Migrating a fresh PostgreSQL database, or a grown one, on a busy machine may take
        # longer than _wait_for's 10 s.
        deadline = time.monotonic() + 300
        while True:
            try:
                _wait_for(self.port)
                return
            except SystemExit:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(60)
            self.process = None


@contextmanager
def running(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- stored history -------------------------------------------------------------------

# Roughly what a live installation's history holds: mostly completed, some errors.
ENDED_STATUSES = (("Completed", 0.89), ("Errored", 0.08), ("Stopped", 0.03))
_EXCHANGE = {
    "Request": {
        "Method": "POST",
        "Url": "https://api.example.com/v2/items",
        "Headers": {"Content-Type": "application/json", "X-Api-Key": "********"},
        "Body": '{"item": 1234567, "name": "An item of the history", "tags": ["a", "b"]}',
    },
    "Response": {
        "Status": 201,
        "Headers": {"Content-Type": "application/json", "Date": "Sun, 01 Mar 2026 00:00:00 GMT"},
        "Body": '{"id": 1234567, "created": "2026-03-01T00:00:00Z"}',
        "DurationMs": 41.5,
    },
}


@dataclass(frozen=True)
class Target:
    """A cycle that history transactions are stored under, with its two steps' ids."""

    account_id: str
    cycle_id: str
    step_ids: tuple[str, str]


def history_rows(
    target: Target,
    *,
    created: datetime,
    status: str,
    purge_after: datetime | None,
    rng: random.Random,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """One ended transaction with its two steps of step data (and an incident if it
    errored): (transaction row, step rows, incident row or None)."""
    transaction_id = new_transaction_id(created)  # as Junction makes them: time-ordered
    item = rng.randrange(10_000_000)
    ended = created + timedelta(seconds=2)
    errored = status == "Errored"
    transaction = {
        "id": transaction_id,
        "account_id": target.account_id,
        "cycle_id": target.cycle_id,
        "status": status,
        "step_id": target.step_ids[1] if errored else None,
        "due_at": None,
        "lease_owner": None,
        "lease_expires_at": None,
        "attempt": 0,
        "origin": "Webhook",
        "parent_id": None,
        "values": {"hook": {"Item": item}, "create": {"Id": item}},
        "payload": None,
        "steps_run": 2,
        "error_count": 1 if errored else 0,
        "warning_count": 0,
        "message": "Failed to call the method" if errored else None,
        "created_at": created,
        "started_at": created + timedelta(milliseconds=300),
        "ended_at": ended,
        "updated_at": ended,
        "purge_after": purge_after,
        "purged_at": None,
    }
    steps = [
        {
            "transaction_id": transaction_id,
            "sequence": sequence,
            "step_id": step_id,
            "step_name": name,
            "status": "Error" if errored and sequence == 2 else "Success",
            "attempt": 1,
            "started_at": created + timedelta(milliseconds=300 * sequence),
            "duration_ms": 40.0,
            "exchanges": [] if sequence == 1 else [_EXCHANGE],
            "output": {"Item": item} if sequence == 1 else {"Id": item},
            "message": None,
        }
        for sequence, step_id, name in (
            (1, target.step_ids[0], "Item sent"),
            (2, target.step_ids[1], "Create item"),
        )
    ]
    incident = None
    if errored:
        incident = {
            "id": str(uuid.uuid4()),
            "account_id": target.account_id,
            "cycle_id": target.cycle_id,
            "transaction_id": transaction_id,
            "step_id": target.step_ids[1],
            "step_name": "Create item",
            "level": "Error",
            "short_message": "Failed to call the method",
            "full_message": "POST https://api.example.com/v2/items answered 500: ...",
            "created_at": ended,
        }
    return transaction, steps, incident


async def add_history_cycles(
    database: Database, *, accounts: Sequence[str], cycles_per_account: int, now: datetime
) -> list[Target]:
    """Paused cycles (no steps stored: history only) under accounts, created when absent."""
    targets: list[Target] = []
    async with database.transaction() as session:
        existing = set(await session.scalars(select(Account.id)))
        for account_id in accounts:
            if account_id not in existing:
                session.add(Account(id=account_id, name=f"History {account_id}", created_at=now))
                await session.flush()
            for number in range(cycles_per_account):
                cycle_id = str(uuid.uuid4())
                session.add(
                    Cycle(
                        id=cycle_id,
                        account_id=account_id,
                        name=f"History {account_id} {number}",
                        settings={},
                        variables=[],
                        created_at=now,
                        updated_at=now,
                    )
                )
                targets.append(Target(account_id, cycle_id, (str(uuid.uuid4()), str(uuid.uuid4()))))
    return targets


async def seed_history(
    database: Database,
    targets: Sequence[Target],
    total: int,
    *,
    end: datetime,
    days: float = 30,
    purge_after: Callable[[datetime], datetime | None] = lambda ended: None,
    seed: int = 7,
    progress: str = "",
) -> tuple[int, int]:
    """``total`` ended transactions spread over ``targets`` and the ``days`` before ``end``,
    each with two steps of step data; answers (transactions, step data rows) stored."""
    rng = random.Random(seed)  # noqa: S311 - repeatable data, not secrets
    names = [name for name, _ in ENDED_STATUSES]
    weights = [weight for _, weight in ENDED_STATUSES]
    span = days * 86_400
    done = steps_stored = 0
    started = time.monotonic()
    reported = started
    while done < total:
        size = min(BATCH, total - done)
        transactions, steps, incidents = [], [], []
        for _ in range(size):
            created = end - timedelta(seconds=rng.uniform(0, span))
            row, step_rows, incident = history_rows(
                rng.choice(targets),
                created=created,
                status=rng.choices(names, weights)[0],
                purge_after=purge_after(created + timedelta(seconds=2)),
                rng=rng,
            )
            transactions.append(row)
            steps.extend(step_rows)
            if incident is not None:
                incidents.append(incident)
        async with database.transaction() as session:
            await session.execute(insert(Transaction), transactions)
            await session.execute(insert(StepRun), steps)
            if incidents:
                await session.execute(insert(Incident), incidents)
        done += size
        steps_stored += len(steps)
        if progress and time.monotonic() - reported > 15:
            reported = time.monotonic()
            print(
                f"  {progress}: {done:,} of {total:,} transactions "
                f"({done / (reported - started):,.0f}/s)",
                flush=True,
            )
    return done, steps_stored


async def analyze(database: Database) -> None:
    """Fresh planner statistics on PostgreSQL, as autovacuum gives a database that has been
    running a while. Not on SQLite: Junction never runs ANALYZE there, so neither does this."""
    if database.dialect == "postgresql":
        async with database.transaction() as session:
            await session.execute(text("ANALYZE"))


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- load ---------------------------------------------------------------------------------


async def open_loop(
    rate: float,
    duration: float,
    first_item: int,
    post: Callable[[aiohttp.ClientSession, int], Awaitable[None]],
) -> tuple[dict[int, float], dict[int, float]]:
    """Send one call every 1/rate s for ``duration`` s, whatever the answers (the load a
    live system sees): (send times, answer times) by item, time.monotonic()."""
    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    tasks: list[asyncio.Task[None]] = []
    count = max(1, round(rate * duration))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(item: int) -> None:
            sent[item] = time.monotonic()
            await post(session, item)
            answered[item] = time.monotonic()

        start = time.monotonic()
        for number in range(count):
            delay = start + number / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(first_item + number)))
        await asyncio.gather(*tasks)
    return sent, answered


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def environment_line() -> str:
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end"
    )
