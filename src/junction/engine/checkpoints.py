"""Writing checkpoints, grouped: the checkpoints that queue up while one group is being
written go into the next database transaction together (group commit).

A checkpoint whose lease was lost writes nothing (its first statement matches no row) and
is reported to its caller alone, so it never spoils the others of its group. A group that
fails for another reason is written again one checkpoint at a time, so that one bad
checkpoint cannot hold the rest back; a database that is unavailable fails them all, and
each caller retries.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles import lifecycle
from junction.cycles.lifecycle import Change
from junction.cycles.models import Cycle
from junction.db.engine import Database
from junction.engine import transactions as tx

MAX_GROUP = 100

# The error counts of a group's cycles, built once (a group commits many times a second).
_COUNTS = (
    select(Cycle.id, Cycle.consecutive_errors)
    .where(Cycle.id.in_(bindparam("cycle_ids", expanding=True)))
    .order_by(Cycle.id)
)
_LOCKED_COUNTS = _COUNTS.with_for_update()


@dataclass
class Job:
    claimed: tx.Claimed
    change: tx.Checkpoint
    count_errors: bool  # an ended transaction of a known plan: count it for auto-pause
    stop_cycle: bool  # StopIntegration
    now: datetime


@dataclass
class Written:
    paused: int | None  # the cycle was paused for this many errors in a row


class CheckpointWriter:
    def __init__(
        self,
        *,
        database: Database,
        owner: str,
        lease: timedelta,
        error_limit: Callable[[], int],
    ) -> None:
        self.database = database
        self.owner = owner
        self.lease = lease
        self.error_limit = error_limit
        self._queue: list[tuple[Job, asyncio.Future[Written]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def write(self, job: Job) -> Written:
        """Commit one checkpoint (tx.LeaseLost when the transaction is no longer ours)."""
        future: asyncio.Future[Written] = asyncio.get_running_loop().create_future()
        self._queue.append((job, future))
        if self._writer is None or self._writer.done():
            # A context of its own: it writes for every transaction, so it must not carry
            # the logging ids of the one whose checkpoint happened to start it.
            self._writer = asyncio.get_running_loop().create_task(
                self._write_all(), context=contextvars.Context()
            )
        return await future

    async def _write_all(self) -> None:
        while self._queue:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            try:
                await self._write_group(group)
            except BaseException:
                for _, future in group + self._queue:
                    future.cancel()
                raise

    async def _write_group(self, group: list[tuple[Job, asyncio.Future[Written]]]) -> None:
        try:
            results = await self._commit([job for job, _ in group])
        except (OperationalError, InterfaceError) as exc:
            for _, future in group:
                _settle(future, exc)
            return
        except Exception:
            if len(group) == 1:
                raise
            for one in group:  # one at a time: only the faulty checkpoint fails
                try:
                    await self._write_group([one])
                except Exception as exc:
                    _settle(one[1], exc)
            return
        for (_, future), result in zip(group, results, strict=True):
            _settle(future, result)

    async def _commit(self, jobs: list[Job]) -> list[Written | Exception]:
        async with self.database.transaction() as session:
            cycle_ids = sorted({job.claimed.cycle_id for job in jobs})
            # PostgreSQL: cycles first, then transactions, in one order: the order
            # deactivation and upgrades lock in. Otherwise an ending transaction (its row
            # locked, then its cycle's error count) and a deactivation (the cycle, then its
            # transactions) can deadlock. (SQLite: this transaction is the only writer.)
            counts = _LOCKED_COUNTS if self.database.dialect == "postgresql" else _COUNTS
            # Read under the lock: a success has no count to reset when it is 0.
            found = await session.execute(counts, {"cycle_ids": cycle_ids})
            errors = {cycle_id: count for cycle_id, count in found.all()}
            # The transactions' rows in id order too, as lease renewal and hand-back lock
            # them: a group taking two rows in the opposite order to a renewal deadlocks.
            order = sorted(range(len(jobs)), key=lambda index: jobs[index].claimed.id)
            results: dict[int, Written | Exception] = {}
            # The group's step data, task counts and incidents go in with one statement per
            # table (a failure there fails the group, which is then written one by one).
            new_rows = tx.NewRows()
            for index in order:
                try:
                    results[index] = await self._apply(session, jobs[index], errors, new_rows)
                except tx.LeaseLost as exc:
                    results[index] = exc  # nothing of it was written
            await new_rows.insert(session)
        return [results[index] for index in range(len(jobs))]

    async def _apply(
        self, session: AsyncSession, job: Job, errors: dict[str, int], new_rows: tx.NewRows
    ) -> Written:
        claimed, change, now = job.claimed, job.change, job.now
        await tx.checkpoint(
            session,
            claimed,
            owner=self.owner,
            now=now,
            lease=self.lease,
            change=change,
            new_rows=new_rows,
        )
        paused = None
        if job.count_errors and change.status in tx.ENDED and not change.discard:
            paused = await self._count_errors(session, claimed, change.status, now, errors)
        if job.stop_cycle:
            await pause(session, claimed.cycle_id, now, Change.STOP_INTEGRATION)
            await tx.stop_in_progress(session, cycle_id=claimed.cycle_id, now=now)
        return Written(paused)

    async def _count_errors(
        self,
        session: AsyncSession,
        claimed: tx.Claimed,
        status: tx.Status,
        now: datetime,
        errors: dict[str, int],
    ) -> int | None:
        """Transactions ending in error one after another pause the cycle at the limit.
        ``errors``: the counts read under the cycles' locks (PostgreSQL), kept up to date."""
        if status is tx.Status.COMPLETED:
            if errors.get(claimed.cycle_id) == 0:
                return None
            # Asked whatever the count was at the claim: errors of transactions running
            # alongside may have raised it since. Matching no row, it writes nothing.
            errors[claimed.cycle_id] = 0
            await session.execute(lifecycle.reset_errors_statement(claimed.cycle_id))
            return None
        count = await session.scalar(lifecycle.count_error_statement(claimed.cycle_id))
        if count is not None and claimed.cycle_id in errors:
            errors[claimed.cycle_id] = int(count)
        limit = self.error_limit()
        if (
            limit
            and count is not None
            and count >= limit
            and await pause(session, claimed.cycle_id, now, Change.PAUSE_FOR_ERRORS)
        ):
            # Paused like a Stop: nothing of the cycle is left in progress.
            await tx.stop_in_progress(session, cycle_id=claimed.cycle_id, now=now)
            return int(count)
        return None


def _settle(future: asyncio.Future[Written], result: Written | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


async def pause(session: Any, cycle_id: str, now: datetime, change: Change) -> bool:
    """Pause an active cycle (as a Stop does); False when it was not active."""
    result = await session.execute(lifecycle.statement(change, Cycle.id == cycle_id, now=now))
    return bool(result.rowcount)
