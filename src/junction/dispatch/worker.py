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
- procrastinate's worker stops by itself when it loses the database (its heartbeat, job
  fetch or LISTEN connection fails). Unless a stop was asked for, a new one is started
  every ``RESTART_DELAY`` seconds until the database answers again: an outage of the
  database pauses the worker, it does not end the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from datetime import timedelta
from typing import Any

from procrastinate import worker as procrastinate_worker
from procrastinate.jobs import Status

from junction.clock import Clock
from junction.db.engine import Database
from junction.dispatch.jobs import HOUSEKEEPING, QUEUE, RUN_TRANSACTION, SWEEP, TICK, JobQueue
from junction.dispatch.upkeep import Housekeeping, housekeep, keep_leases
from junction.engine import scheduler
from junction.engine import transactions as tx
from junction.engine.runner import Engine

log = logging.getLogger("junction.dispatch")

RESTART_DELAY = 1.0  # seconds between attempts to start procrastinate's worker again


PERIODIC_PRIORITY = 10  # transaction jobs have procrastinate's default, 0
# The housekeeping task looks every ten seconds whether its turn has come
# (JUNCTION_HOUSEKEEPING_INTERVAL_SECONDS, kept in a `leases` row): a cron alone cannot
# express every interval (90 minutes, 45 seconds).
HOUSEKEEPING_CRON = "* * * * * */10"


class Worker:
    def __init__(
        self,
        *,
        engine: Engine,
        queue: JobQueue,
        database: Database,
        clock: Clock,
        concurrency: int,
        poll_interval: float,
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
        self.poll_interval = poll_interval
        self.stopped_queue_after = stopped_queue_after
        self.shutdown_grace = shutdown_grace
        self.housekeeping = housekeeping
        self.install_signal_handlers = install_signal_handlers
        self.owner = engine.options.owner
        self._running: dict[str, tx.Claimed] = {}
        self._jobs: procrastinate_worker.Worker | None = None
        self._worker: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
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
            await self.housekeeping_turn()

        app.task(name=RUN_TRANSACTION, queue=QUEUE)(run_transaction)
        # The queueing lock keeps one job of each waiting, and the priority puts it before
        # any backlog of transactions. The tick and the housekeeping also have a lock, so
        # that a slow run never overlaps the next on another worker; the sweep has none:
        # it is what clears the jobs of dead workers, so it must never wait behind one.
        periodic: list[tuple[str, Any, str, str | None]] = [
            (TICK, tick, "* * * * * *", TICK),
            (SWEEP, sweep, "* * * * * *", None),
            (HOUSEKEEPING, housekeeping, HOUSEKEEPING_CRON, HOUSEKEEPING),
        ]
        for name, func, cron, lock in periodic:
            task = app.task(
                name=name, queue=QUEUE, lock=lock, queueing_lock=name, priority=PERIODIC_PRIORITY
            )(func)
            app.periodic(cron=cron)(task)
        self.housekeeping_interval = timedelta(seconds=housekeeping_interval)

    # -- jobs -------------------------------------------------------------------------

    async def run_transaction(self, transaction_id: str) -> None:
        if transaction_id in self._running:
            # A second job for what runs here (its first was handed back as stalled after
            # a long pause): the lease is ours, so the claim would succeed and run it twice.
            return
        async with self.database.transaction() as session:
            item = await tx.claim_one(
                session,
                transaction_id,
                owner=self.owner,
                now=self.clock(),
                lease=self.engine.options.lease,
            )
        if item is None:
            return
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
            queued = await scheduler.tick(session, now=self.clock())
        if queued:
            self.queue.wake()
        return queued

    async def sweep(self) -> int:
        manager = self.queue.app.job_manager
        lease = self.engine.options.lease.total_seconds()
        # A worker that stopped sending heartbeats for a lease is dead or hung: its jobs
        # are deleted (a job is only a wake-up call). They would otherwise hold their locks
        # (an account lane, the tick) for ever; and putting them back in the queue would
        # clash with the job of the same queueing lock that is usually waiting already.
        # Their transactions get new jobs from the dispatch below once their leases end.
        for job in await manager.get_stalled_jobs(seconds_since_heartbeat=lease):
            try:
                await manager.finish_job(job, status=Status.FAILED, delete_job=True)
            except Exception:
                log.warning("could not clear the stalled job %s", job.id, exc_info=True)
        return await self.queue.dispatch()

    async def housekeeping_turn(self) -> None:
        """The periodic task: housekeeping, when its interval has passed since the last."""
        async with self.database.transaction() as session:
            due = await scheduler.hold_lease(
                session,
                name=HOUSEKEEPING,
                owner=self.owner,
                now=self.clock(),
                ttl=self.housekeeping_interval,
                renewable=False,
            )
        if due:
            await self.housekeep()

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
        if self.install_signal_handlers:
            # Ours, not procrastinate's: a stop by signal must be told apart from
            # procrastinate's worker stopping because the database went away.
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, self._on_signal)
        self._stopping = asyncio.Event()  # of this loop, should the worker start again
        self._worker = loop.create_task(self._run_jobs(), name="junction-worker")

    def _new_jobs(self) -> procrastinate_worker.Worker:
        lease = self.engine.options.lease.total_seconds()
        return procrastinate_worker.Worker(
            app=self.queue.app,
            queues=[QUEUE],
            name=self.owner,
            concurrency=self.concurrency,
            shutdown_graceful_timeout=self.shutdown_grace,
            install_signal_handlers=False,
            delete_jobs="always",
            # Also how soon a freed account lane is noticed (procrastinate fetches again when
            # a job is queued, not when one ends; the periodic tasks also wake it each second).
            fetch_job_polling_interval=self.poll_interval,
            # procrastinate's own stalled-worker detection, in step with our leases.
            update_heartbeat_interval=min(10.0, lease / 3),
            stalled_worker_timeout=lease,
        )

    async def _run_jobs(self) -> None:
        """procrastinate's worker until a stop is asked for; started anew when it ends
        by itself (it does when the database is unreachable)."""
        while not self._stopping.is_set():
            self._jobs = self._new_jobs()
            try:
                # run() forgets stop requests made before it starts; none can come in
                # between the check above and here (no await), later ones reach it.
                await self._jobs.run()  # type: ignore[no-untyped-call]
            except Exception:
                if self._stopping.is_set():
                    log.warning("the job worker did not stop cleanly", exc_info=True)
                    return
                log.exception("the job worker stopped (is the database down?)")
            if self._stopping.is_set():
                return
            log.warning("starting the job worker again in %.0f s", RESTART_DELAY)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RESTART_DELAY):
                    await self._stopping.wait()

    def _on_signal(self) -> None:
        # The next signal has its default effect again: a second Ctrl-C ends the process.
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        self._request_stop()

    def _request_stop(self) -> None:
        self._stopping.set()
        if self._jobs is not None:
            # Stops fetching, waits for running jobs up to the grace, then cancels them.
            self._jobs.stop()  # type: ignore[no-untyped-call]

    @property
    def alive(self) -> bool:
        """Taking jobs: started, not asked to stop. procrastinate's own worker may be
        between restarts while the database is away; readiness reports that separately."""
        return self._worker is not None and not self._worker.done() and not self._stopping.is_set()

    async def wait(self) -> None:
        """Until the worker stops (SIGTERM when it installed signal handlers)."""
        if self._worker is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def stop(self, grace: float | None = None) -> None:
        if self._worker is not None:
            if grace is not None:
                self.shutdown_grace = grace
                if self._jobs is not None:
                    self._jobs.shutdown_graceful_timeout = grace
            self._request_stop()
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
