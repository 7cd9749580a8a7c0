"""Webhook calls stored in groups: one database transaction for all calls that arrived
while the previous group was being written (group commit).

Under load a webhook call mostly waits for the database's writer (SQLite has one); writing
the calls that queued up meanwhile together costs one commit instead of one each. An idle
server writes each call at once: nothing waits for a group to fill.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any

from junction.db.engine import Database
from junction.engine.plans import PlanCache
from junction.errors import JunctionError
from junction.webhooks.service import Accepted, Call, accept_many

MAX_GROUP = 200


class Intake:
    def __init__(self, *, database: Database, plans: PlanCache, clock: Callable[[], datetime]):
        self.database = database
        self.plans = plans
        self.clock = clock
        self._queue: list[tuple[Call, asyncio.Future[Accepted]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(
        self, identifier: str, payload: Any, transaction_id: str, *, max_items: int | None = None
    ) -> Accepted:
        """Store one call; returns once it is committed (or raises why it was refused)."""
        future: asyncio.Future[Accepted] = asyncio.get_running_loop().create_future()
        self._queue.append((Call(identifier, payload, transaction_id, max_items), future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        while self._queue:
            group, self._queue = self._queue[:MAX_GROUP], self._queue[MAX_GROUP:]
            try:
                async with self.database.transaction() as session:
                    results = await accept_many(
                        session=session,
                        plans=self.plans,
                        calls=[call for call, _ in group],
                        now=self.clock(),
                    )
            except Exception as exc:  # nothing of the group was stored: all are told
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:  # cancelled (shutdown): the callers are cancelled too
                for _, future in group + self._queue:
                    future.cancel()
                raise
            for (_, future), result in zip(group, results, strict=True):
                if future.done():
                    continue  # the caller went away; its call is stored all the same
                if isinstance(result, JunctionError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
