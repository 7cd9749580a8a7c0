"""``junction worker``: runs the jobs of the procrastinate dispatcher.

- ``junction.run_transaction`` claims the transaction the job names (our lease, as in
  embedded mode) and runs it until it ends or waits. A job for something not due, already
  held by a live lease, or of a cycle that is not running, does nothing: jobs are wake-up
  calls, the database decides.
- Periodic tasks, which procrastinate defers once per tick whichever workers are up:
  ``junction.tick`` (the scheduler, every second), ``junction.sweep`` (due waits, orphans
  and lost jobs, every second; also hands the jobs of stalled workers back to the queue)
  and ``junction.housekeeping`` (retention, stale queues, drains).
- A heartbeat renews the leases of what runs here. SIGTERM (or ``stop``) stops fetching
  jobs, gives running transactions ``JUNCTION_WORKER_SHUTDOWN_GRACE_SECONDS`` to finish,
  then hands the rest back (Queued at their current step) for another worker to resume.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from procrastinate import worker as procrastinate_worker

from junction.clock import Clock
from junction.db.engine import Database
from junction.dispatch.jobs import HOUSEKEEPING, QUEUE, RUN_TRANSACTION, SWEEP, TICK, JobQueue
from junction.dispatch.upkeep import Housekeeping, housekeep, keep_leases
from junction.engine import scheduler
from junction.engine import transactions as tx
from junction.engine.runner import Engine
from junction.security.keyring import Keyring
from junction.settings import Settings

log = logging.getLogger("junction.dispatch")


def every(seconds: float) -> str:
    """A procrastinate cron (six fields: seconds first... last) for an interval."""
    whole = max(1, round(seconds))
    if whole < 60:
        return f"* * * * * */{whole}"
    return f"*/{max(1, round(whole / 60))} * * * *"


class Worker:
    def __init__(
        self,
        *,
        engine: Engine,
        queue: JobQueue,
        database: Database,
        clock: Clock,
        concurrency: int,
        stopped_queue_after: timedelta,
        shutdown_grace: float,
        housekeeping: Housekeeping | None = None,
        housekeeping_interval: float = 60.0,
        install_signal_handlers: bool = False,
    ) -> None:
        self.engine = engine
        self.queue = queue
        self.database = database
        self.clock = clock
        self.concurrency = concurrency
        self.stopped_queue_after = stopped_queue_after
        self.shutdown_grace = shutdown_grace
        self.housekeeping = housekeeping
        self.install_signal_handlers = install_signal_handlers
        self.owner = engine.options.owner
        self._running: dict[str, tx.Claimed] = {}
        self._jobs: procrastinate_worker.Worker | None = None
        self._worker: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        engine.on_checkpoint = queue.wake  # split-off transactions: dispatch them now
        self._register(housekeeping_interval)

    # The per-account limit is the number of lanes jobs are queued in.
    @property
    def account_limit(self) -> int:
        return self.queue.lanes

    @account_limit.setter
    def account_limit(self, value: int) -> None:
        self.queue.lanes = value

    @property
    def running(self) -> int:
        return len(self._running)

    def wake(self) -> None:
        self.queue.wake()

    def _register(self, housekeeping_interval: float) -> None:
        app = self.queue.app

        async def run_transaction(transaction_id: str) -> None:
            await self.run_transaction(transaction_id)

        async def tick(timestamp: int) -> None:
            await self.tick()

        async def sweep(timestamp: int) -> None:
            await self.sweep()

        async def housekeeping(timestamp: int) -> None:
            await self.housekeep()

        app.task(name=RUN_TRANSACTION, queue=QUEUE)(run_transaction)
        # A lock each: a slow tick never overlaps the next one on another worker.
        periodic: list[tuple[str, Any, str]] = [
            (TICK, tick, "* * * * * *"),
            (SWEEP, sweep, "* * * * * *"),
            (HOUSEKEEPING, housekeeping, every(housekeeping_interval)),
        ]
        for name, func, cron in periodic:
            task = app.task(name=name, queue=QUEUE, lock=name, queueing_lock=name)(func)
            app.periodic(cron=cron)(task)

    # -- jobs -------------------------------------------------------------------------

    async def run_transaction(self, transaction_id: str) -> None:
        async with self.database.transaction() as session:
            claimed = await tx.claim(
                session,
                owner=self.owner,
                now=self.clock(),
                lease=self.engine.options.lease,
                limit=1,
                only=[transaction_id],
            )
        if not claimed:
            return
        [item] = claimed
        self._running[item.id] = item
        try:
            await self.engine.run(item)
        except asyncio.CancelledError:
            # Shutdown after the grace period: hand it back at its current step.
            await self._release([item.id])
            raise
        finally:
            self._running.pop(item.id, None)

    async def tick(self) -> int:
        async with self.database.transaction() as session:
            queued = await scheduler.tick(session, now=self.clock(), plans=self.engine.plans)
        if queued:
            self.queue.wake()
        return queued

    async def sweep(self) -> int:
        manager = self.queue.app.job_manager
        lease = self.engine.options.lease.total_seconds()
        # A worker that stopped sending heartbeats for a lease is dead or hung: its jobs
        # go back to the queue (their transactions' leases have run out by then too).
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=lease):
            with contextlib.suppress(Exception):
                await manager.retry_job(job)
        return await self.queue.dispatch()

    async def housekeep(self) -> None:
        await housekeep(
            database=self.database,
            clock=self.clock,
            stopped_queue_after=self.stopped_queue_after,
            extra=self.housekeeping,
        )

    # -- life cycle --------------------------------------------------------------------

    async def start(self) -> None:
        await self.queue.start()
        lease = self.engine.options.lease.total_seconds()
        loop = asyncio.get_running_loop()
        self._heartbeat = loop.create_task(
            keep_leases(
                database=self.database,
                clock=self.clock,
                owner=self.owner,
                lease=self.engine.options.lease,
                running=lambda: self._running,
            ),
            name="junction-heartbeat",
        )
        self._jobs = procrastinate_worker.Worker(
            app=self.queue.app,
            queues=[QUEUE],
            name=self.owner,
            concurrency=self.concurrency,
            shutdown_graceful_timeout=self.shutdown_grace,
            install_signal_handlers=self.install_signal_handlers,
            delete_jobs="always",
            # procrastinate's own stalled-worker detection, in step with our leases.
            update_heartbeat_interval=min(10.0, lease / 3),
            stalled_worker_timeout=lease,
        )
        self._worker = loop.create_task(
            self._jobs.run(),  # type: ignore[no-untyped-call]
            name="junction-worker",
        )

    async def wait(self) -> None:
        """Until the worker stops (SIGTERM when it installed signal handlers)."""
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def stop(self, grace: float | None = None) -> None:
        if self._worker is not None and self._jobs is not None:
            if grace is not None:
                self._jobs.shutdown_graceful_timeout = grace
            # Stops fetching, waits for running jobs up to the grace, then cancels them.
            self._jobs.stop()  # type: ignore[no-untyped-call]
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
            self._jobs = None
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
            self._heartbeat = None
        if self._running:
            await self._release(list(self._running))
        await self.engine.notifier.drain()
        await self.queue.stop()

    async def _release(self, ids: list[str]) -> None:
        try:
            async with self.database.transaction() as session:
                await tx.release(session, owner=self.owner, ids=ids, now=self.clock())
        except Exception:
            log.exception("could not release %d transactions; their leases will expire", len(ids))


async def serve_worker(settings: Settings, *, keyring: Keyring, concurrency: int | None) -> None:
    """``junction worker``: run until SIGTERM or SIGINT, then shut down gracefully."""
    from junction.api.app import build_context
    from junction.dispatch.wiring import build_worker

    context = build_context(settings, keyring=keyring)
    worker = build_worker(context, concurrency=concurrency, install_signal_handlers=True)
    try:
        await worker.start()
        await worker.wait()
    finally:
        await worker.stop()
        await context.runtime.close()
        await context.database.dispose()
