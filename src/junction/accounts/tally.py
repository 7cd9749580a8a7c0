"""Data on Demand's task counts, written in groups rather than one write per call.

A Data on Demand call reads the database only (from memory, mostly); writing its task count
on the spot made every call a write transaction, which on SQLite also queues behind every
other writer. The counts are gathered here instead and written together, one insert for
all the calls of a short interval (``FLUSH_SECONDS``), each row with its own time, so
usage periods count them exactly as before. Reading an account's usage first writes what
this process holds; what other processes hold reaches the table within the interval.

What a process holds when it is killed (at most ``FLUSH_SECONDS`` of calls) is not
counted: usage is for billing, and a caller is never answered "done" for work that this
loses. A clean stop writes everything (``Services.close``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select

from junction.accounts.models import Account, TaskUsage
from junction.db.engine import Database

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class Count:
    account_id: str
    source: str
    tasks: int
    counted_at: datetime


class UsageTally:
    def __init__(self, database: Database) -> None:
        self._database = database
        self._held: list[Count] = []
        self._flushing: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(self, account_id: str, source: str, tasks: int, now: datetime) -> None:
        """Count ``tasks`` for the account; written within ``FLUSH_SECONDS``."""
        self._held.append(Count(account_id, source, tasks, now))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        try:
            await self.flush()
        except Exception:
            # Kept for the next flush (the next call, a usage read or the stop).
            log.exception("task counts could not be written; kept for the next attempt")

    async def close(self) -> None:
        """Write everything held, with no flush left waiting (the process is stopping)."""
        task, self._flushing = self._flushing, None
        if task is not None and not task.done():
            task.cancel()
        await self.flush()

    async def flush(self) -> None:
        """Write every count held (before a usage read, and at the stop)."""
        async with self._lock:
            held, self._held = self._held, []
            if not held:
                return
            try:
                await self._write(held)
            except BaseException:
                self._held = held + self._held
                raise

    async def _write(self, held: list[Count]) -> None:
        async with self._database.transaction() as session:
            # An account deleted meanwhile has no usage left to count.
            named = {count.account_id for count in held}
            existing = set(
                (await session.scalars(select(Account.id).where(Account.id.in_(named)))).all()
            )
            rows = [
                {
                    "account_id": count.account_id,
                    "cycle_id": None,
                    "source": count.source,
                    "tasks": count.tasks,
                    "counted_at": count.counted_at,
                }
                for count in held
                if count.account_id in existing
            ]
            # One deleted between the check and the insert fails the insert: the counts are
            # then kept, and the next attempt leaves that account out.
            if rows:
                await session.execute(insert(TaskUsage), rows)
