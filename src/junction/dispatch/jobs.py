"""The job queue of the procrastinate dispatcher (``JUNCTION_DISPATCHER=procrastinate``).

The database stays the source of truth for every transaction; a procrastinate job only
says "run transaction X now". ``JobQueue.dispatch`` finds the transactions that are due and
have no job waiting or running (new ones, waits that came due, orphans of a dead worker,
work handed back at shutdown) and queues one job for each. ``junction serve`` dispatches
after every change that queues work; every worker dispatches after its own checkpoints and
on the ``sweep`` periodic task, so a job lost in any way delays its transaction by about a
second, never loses it.

Each job carries a procrastinate lock, one of ``JUNCTION_ACCOUNT_CONCURRENCY_LIMIT`` lanes
of its account (chosen from the transaction id): procrastinate never runs two jobs of one
lock at once, on any worker, which is how the per-account limit holds across workers. The
queueing lock ``transaction:{id}`` keeps a second job of the same transaction out of the
queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import Job
from sqlalchemy import column, exists, literal, literal_column, select, table
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from junction.clock import Clock
from junction.cycles import lifecycle
from junction.cycles.models import Cycle
from junction.db.engine import Database
from junction.engine import transactions as tx
from junction.engine.models import Transaction
from junction.errors import ConfigurationError

log = logging.getLogger("junction.dispatch")

QUEUE = "junction"
RUN_TRANSACTION = "junction.run_transaction"
TICK = "junction.tick"
SWEEP = "junction.sweep"
HOUSEKEEPING = "junction.housekeeping"
JOB_KEY_PREFIX = "transaction:"

# procrastinate's table, as far as dispatch reads it.
_JOBS = table("procrastinate_jobs", column("queueing_lock"), column("status"))
# Its status column is an enum: compare with literals, not (varchar) parameters.
_WAITING_OR_RUNNING: tuple[ColumnElement[Any], ...] = (
    literal_column("'todo'"),
    literal_column("'doing'"),
)


def job_app(database_url: str, *, pool_size: int = 10) -> App:
    """A procrastinate app on Junction's PostgreSQL database (its own psycopg pool)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigurationError(
            "JUNCTION_DISPATCHER=procrastinate needs PostgreSQL: set JUNCTION_DATABASE_URL to "
            "a postgresql:// database, or use JUNCTION_DISPATCHER=local with SQLite"
        )
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    # A short wait for a connection: with the database down, a stop (which still tries to
    # unregister the worker) and each restart attempt give up after 10 s, not the pool's 30.
    connector = PsycopgConnector(conninfo=conninfo, min_size=1, max_size=pool_size, timeout=10)
    # Periodic ticks missed while no worker ran are not made up for, beyond a minute.
    return App(connector=connector, periodic_defaults={"max_delay": 60})


def job_key(transaction_id: str) -> str:
    return JOB_KEY_PREFIX + transaction_id


def lane(account_id: str, transaction_id: str, lanes: int) -> str:
    """The account lane (procrastinate lock) a transaction's jobs run in."""
    return f"account:{account_id}:{zlib.crc32(transaction_id.encode()) % max(lanes, 1)}"


@dataclass(frozen=True)
class Due:
    transaction_id: str
    account_id: str


async def without_jobs(session: AsyncSession, *, now: object, limit: int) -> list[Due]:
    """Due transactions of running cycles that have no job waiting or running."""
    has_job = exists().where(
        _JOBS.c.queueing_lock == literal(JOB_KEY_PREFIX) + Transaction.id,
        _JOBS.c.status.in_(_WAITING_OR_RUNNING),
    )
    rows = await session.execute(
        select(Transaction.id, Transaction.account_id)
        .join(Cycle, Cycle.id == Transaction.cycle_id)
        .where(tx.runnable(now), lifecycle.running(), ~has_job)
        .order_by(Transaction.due_at.nulls_first())
        .limit(limit)
    )
    return [Due(transaction_id, account_id) for transaction_id, account_id in rows.all()]


class JobQueue:
    """Queues procrastinate jobs for due transactions; ``wake`` asks for a dispatch soon."""

    def __init__(
        self, *, app: App, database: Database, clock: Clock, lanes: int, batch: int = 500
    ) -> None:
        self.app = app
        self.database = database
        self.clock = clock
        self.lanes = lanes
        self.batch = batch
        self._wake = asyncio.Event()
        self._sweep = False  # a wake-up without ids: look for what is due
        self._new: list[Due] = []  # new transactions named by whoever created them
        self._loop: asyncio.Task[None] | None = None
        self._users = 0

    def wake(self) -> None:
        self._sweep = True
        self._wake.set()

    def wake_for(self, transaction_id: str, account_id: str) -> None:
        """A new transaction, committed: its job is queued without a look for due work
        (which costs a scan of the backlog, too much to do for every webhook call)."""
        self._new.append(Due(transaction_id, account_id))
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._loop is not None and not self._loop.done()

    async def start(self) -> None:
        # Counted: a server and a worker in one process (tests) share one queue.
        self._users += 1
        if self._users > 1:
            return
        await self.app.open_async()
        self._loop = asyncio.get_running_loop().create_task(
            self._dispatch_loop(), name="junction-dispatch"
        )
        self.wake()  # whatever is already due

    async def stop(self, grace: float = 10.0) -> None:
        """``grace`` is the workers' business: queuing stops at once."""
        self._users = max(0, self._users - 1)
        if self._users:
            return
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
            self._loop = None
        await self.app.close_async()

    async def _dispatch_loop(self) -> None:
        while True:
            await self._wake.wait()
            # Cleared before the read: a wake-up during a dispatch gets a dispatch of its own.
            self._wake.clear()
            new, self._new = self._new, []
            sweep, self._sweep = self._sweep, False
            try:
                if new:
                    await self._defer([self._job(item) for item in new])
                if sweep:
                    await self.dispatch()
            except Exception:
                # What was not queued is found by the sweep (a periodic task of the workers).
                log.exception("queueing jobs failed")
                await asyncio.sleep(1)

    async def dispatch(self) -> int:
        """Queue a job for every due transaction without one; returns how many."""
        queued = 0
        while True:
            async with self.database.transaction(read_only=True) as session:
                due = await without_jobs(session, now=self.clock(), limit=self.batch)
            if due:
                await self._defer([self._job(item) for item in due])
                queued += len(due)
            if len(due) < self.batch:
                return queued

    def _job(self, due: Due) -> Job:
        return Job(
            queue=QUEUE,
            task_name=RUN_TRANSACTION,
            lock=lane(due.account_id, due.transaction_id, self.lanes),
            queueing_lock=job_key(due.transaction_id),
            task_kwargs={"transaction_id": due.transaction_id},
        )

    async def _defer(self, jobs: list[Job]) -> None:
        manager = self.app.job_manager
        try:
            await manager.batch_defer_jobs_async(jobs)
        except AlreadyEnqueued:
            # Another process queued some of them meanwhile: queue the rest one by one.
            for job in jobs:
                with contextlib.suppress(AlreadyEnqueued):
                    await manager.defer_job_async(job)
