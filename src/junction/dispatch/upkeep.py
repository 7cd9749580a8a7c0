"""What both dispatchers do besides running transactions: lease owners, lease renewal and
the periodic housekeeping."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Collection
from datetime import timedelta

from sqlalchemy import exists

from junction.clock import Clock
from junction.cycles import lifecycle
from junction.cycles.lifecycle import Change
from junction.cycles.models import Cycle
from junction.db.engine import Database
from junction.engine import transactions as tx
from junction.engine.models import Transaction

log = logging.getLogger("junction.dispatch")

Housekeeping = Callable[[], Awaitable[None]]


def process_owner() -> str:
    """A lease owner name unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()[:24]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def keep_leases(
    *,
    database: Database,
    clock: Clock,
    owner: str,
    lease: timedelta,
    running: Callable[[], Collection[str]],
) -> None:
    """Renew the leases of what this process runs, a third of a lease apart, for ever."""
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        ids = list(running())
        if not ids:
            continue
        try:
            async with database.transaction() as session:
                await tx.renew(session, owner=owner, ids=ids, now=clock(), lease=lease)
        except Exception:
            log.exception("renewing leases failed")


async def housekeep(
    *,
    database: Database,
    clock: Clock,
    stopped_queue_after: timedelta,
    extra: Housekeeping | None = None,
) -> None:
    """Cancel the queues of cycles stopped too long, end finished drains, then ``extra``
    (retention)."""
    now = clock()
    async with database.transaction() as session:
        await tx.cancel_stale_queue(session, now=now, after=stopped_queue_after)
        in_progress = exists().where(
            Transaction.cycle_id == Cycle.id,
            Transaction.status.in_([s.value for s in tx.IN_PROGRESS]),
        )
        # A finished drain: the cycle is simply paused now (and may change again).
        await session.execute(lifecycle.statement(Change.DRAINED, ~in_progress, now=now))
    if extra is not None:
        await extra()
