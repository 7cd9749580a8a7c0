"""The local dispatcher: the engine inside ``junction serve`` (embedded mode).

- A claimer takes the leases of due transactions, as many as there are free workers (and
  as each account's concurrency limit allows), and runs each in its own task.
- Idle, it waits for a wake-up (a webhook, an activation, a finished transaction) or the
  poll interval, whichever comes first; the poll is also the sweeper: it finds Waiting
  transactions that became due and the expired leases of a process that died.
- A heartbeat renews the leases of what is running here.
- One process at a time (the ``scheduler`` lease holder) ticks the scheduler and does the
  housekeeping: retention, cancelling the queue of cycles stopped too long, ending drains.
- Shutdown stops claiming, gives running transactions a grace period to finish, and
  releases the leases of the rest so that the next start (or another process) resumes them
  at once instead of waiting for the leases to expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from datetime import timedelta

from junction.clock import Clock
from junction.db.engine import Database
from junction.dispatch.upkeep import Housekeeping, housekeep, keep_leases
from junction.engine import scheduler
from junction.engine import transactions as tx
from junction.engine.runner import Engine

log = logging.getLogger("junction.dispatch")


class LocalDispatcher:
    def __init__(
        self,
        *,
        engine: Engine,
        database: Database,
        clock: Clock,
        concurrency: int,
        account_limit: int,
        poll_interval: float,
        stopped_queue_after: timedelta,
        housekeeping: Housekeeping | None = None,
        housekeeping_interval: float = 60.0,
    ) -> None:
        self.engine = engine
        self.database = database
        self.clock = clock
        self.concurrency = concurrency
        self.account_limit = account_limit
        self.poll_interval = poll_interval
        self.stopped_queue_after = stopped_queue_after
        self.housekeeping = housekeeping
        self.housekeeping_interval = housekeeping_interval
        self.owner = engine.options.owner
        self._wake = asyncio.Event()
        self._tick_now = asyncio.Event()
        self._running: dict[str, tuple[tx.Claimed, asyncio.Task[None]]] = {}
        self._per_account: Counter[str] = Counter()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        engine.on_checkpoint = self.wake

    def wake(self) -> None:
        self._wake.set()

    def tick_soon(self) -> None:
        """Tick the scheduler now instead of at the next poll (and look for due work):
        for a caller that knows time has moved, such as a clock set forward."""
        self._tick_now.set()
        self._wake.set()

    def wake_for(self, transaction_id: str, account_id: str) -> None:
        # The claimer takes it with whatever else is due.
        self._wake.set()

    @property
    def running(self) -> int:
        return len(self._running)

    @property
    def alive(self) -> bool:
        # A loop that ended by itself (an unexpected error) means work is no longer claimed.
        return bool(self._loops) and not self._stopping and not any(t.done() for t in self._loops)

    async def start(self) -> None:
        self._stopping = False
        loop = asyncio.get_running_loop()
        self._loops = [
            loop.create_task(self._claim_loop(), name="junction-claimer"),
            loop.create_task(self._heartbeat_loop(), name="junction-heartbeat"),
            loop.create_task(self._scheduler_loop(), name="junction-scheduler"),
        ]

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping = True
        self.wake()
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        tasks = [task for _, task in self._running.values()]
        if tasks:
            await asyncio.wait(tasks, timeout=grace)
        left = {tid: task for tid, (_, task) in self._running.items() if not task.done()}
        for task in left.values():
            task.cancel()
        for task in left.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if left:
            try:
                async with self.database.transaction() as session:
                    await tx.release(session, owner=self.owner, ids=left, now=self.clock())
            except Exception:
                log.exception(
                    "could not release %d transactions; their leases will expire", len(left)
                )
        await self.engine.notifier.drain()

    # -- claiming ------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while not self._stopping:
            # Cleared before claiming: a wake-up during the claim is not lost.
            self._wake.clear()
            free = self.concurrency - len(self._running)
            claimed: list[tx.Claimed] = []
            if free > 0:
                try:
                    claimed = await self._claim(free)
                except Exception:
                    log.exception("claiming transactions failed; trying again shortly")
            for item in claimed:
                self._start(item)
            if not claimed or len(self._running) >= self.concurrency:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.poll_interval):
                        await self._wake.wait()

    async def _claim(self, free: int) -> list[tx.Claimed]:
        running = set(self._running)
        # A read first: the write lock (SQLite's only writer) is taken only when there is
        # something to claim.
        async with self.database.transaction(read_only=True) as session:
            if not await tx.any_due(session, now=self.clock(), exclude=running):
                return []
        async with self.database.transaction() as session:
            return await tx.claim(
                session,
                owner=self.owner,
                now=self.clock(),
                lease=self.engine.options.lease,
                limit=free,
                account_room={a: self.account_limit - n for a, n in self._per_account.items()},
                default_room=self.account_limit,
                exclude=running,
            )

    def _start(self, claimed: tx.Claimed) -> None:
        task = asyncio.get_running_loop().create_task(self.engine.run(claimed))
        self._running[claimed.id] = (claimed, task)
        self._per_account[claimed.account_id] += 1

        def done(_: asyncio.Task[None]) -> None:
            self._running.pop(claimed.id, None)
            self._per_account[claimed.account_id] -= 1
            if self._per_account[claimed.account_id] <= 0:
                del self._per_account[claimed.account_id]
            self.wake()

        task.add_done_callback(done)

    async def _heartbeat_loop(self) -> None:
        await keep_leases(
            database=self.database,
            clock=self.clock,
            owner=self.owner,
            lease=self.engine.options.lease,
            running=lambda: self._running,
        )

    # -- scheduling and housekeeping -------------------------------------------------

    async def _scheduler_loop(self) -> None:
        lease = max(self.engine.options.lease, timedelta(seconds=self.poll_interval * 3))
        # Housekeeping at the first tick, then once an interval (on the monotonic clock: a
        # tick asked for early does not bring it forward).
        timer = asyncio.get_running_loop().time
        housekept_at = timer() - self.housekeeping_interval
        while True:
            self._tick_now.clear()
            try:
                queued = await self.tick(lease)
                if queued:
                    self.wake()
                if queued is not None and timer() - housekept_at >= self.housekeeping_interval:
                    housekept_at = timer()
                    await self.housekeep()
            except Exception:
                log.exception("the scheduler's tick failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_interval):
                    await self._tick_now.wait()

    async def tick(self, lease: timedelta | None = None) -> int | None:
        """One scheduler tick if this process holds the scheduler lease (None: not held)."""
        now = self.clock()
        async with self.database.transaction() as session:
            held = await scheduler.hold_lease(
                session,
                name=scheduler.SCHEDULER_LEASE,
                owner=self.owner,
                now=now,
                ttl=lease or self.engine.options.lease,
            )
            if not held:
                return None
            return await scheduler.tick(session, now=now)

    async def housekeep(self) -> None:
        await housekeep(
            database=self.database,
            clock=self.clock,
            stopped_queue_after=self.stopped_queue_after,
            extra=self.housekeeping,
        )
