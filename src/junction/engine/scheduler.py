"""Scheduled cycles: at each due time, one transaction that runs the cycle's Get trigger.

Only the holder of the ``scheduler`` lease ticks, however many processes share the
database, so a due run is queued once. A run is not queued while the previous one has not
yet run its trigger (a slow API does not pile runs up); missed times are not caught up:
the next run is the next slot after now.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles import lifecycle, structure
from junction.cycles.lifecycle import Change, CycleStatus
from junction.cycles.models import Cycle
from junction.engine import transactions as tx
from junction.engine.models import Lease, Transaction

SCHEDULER_LEASE = "scheduler"


async def hold_lease(
    session: AsyncSession,
    *,
    name: str,
    owner: str,
    now: datetime,
    ttl: timedelta,
    renewable: bool = True,
) -> bool:
    """Take or renew the named lease; False while another process holds it.

    ``renewable=False``: only an expired lease is taken, even by its holder, which makes
    the lease a turn that comes round once per ``ttl`` (periodic work across processes).
    """
    taken = Lease.expires_at <= now
    result = await session.execute(
        update(Lease)
        .where(Lease.name == name, (Lease.owner == owner) | taken if renewable else taken)
        .values(owner=owner, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount:  # type: ignore[attr-defined]
        return True
    exists = await session.scalar(select(Lease.name).where(Lease.name == name))
    if exists is not None:
        return False
    try:
        async with session.begin_nested():
            await session.execute(
                insert(Lease).values(name=name, owner=owner, expires_at=now + ttl)
            )
    except IntegrityError:
        return False
    return True


def next_slot(previous: datetime, interval: timedelta, now: datetime) -> datetime:
    """The first time after ``now`` on the grid that starts at ``previous``."""
    if previous > now:
        return previous
    skipped = (now - previous) // interval
    return previous + interval * (skipped + 1)


async def tick(session: AsyncSession, *, now: datetime) -> int:
    """Queue the trigger run of every scheduled cycle that is due; how many were queued."""
    due = (
        await session.execute(
            select(Cycle)
            .where(
                Cycle.status == CycleStatus.ACTIVE.value,
                Cycle.next_run_at.is_not(None),
                Cycle.next_run_at <= now,
            )
            .order_by(Cycle.next_run_at)
            .limit(500)
            # Locked (PostgreSQL) so that an activation or deactivation meanwhile is not
            # overwritten; a cycle locked by one is left for the next tick.
            .with_for_update(skip_locked=True)
        )
    ).scalars()
    cycles = list(due)
    if not cycles:
        return 0
    # Their trigger steps in one query, not from their plans: compiling a plan takes
    # several queries, and a process that has not run these cycles yet has none cached.
    triggers = await structure.triggers(session=session, cycle_ids=[c.id for c in cycles])
    # Any transaction still at the trigger (queued, running, or waiting to retry it) holds
    # the next run back: two runs reading the same LastSuccessfulRunDate would hand the
    # same items on twice. One query for all the due cycles (the (cycle_id, status) index),
    # not one per cycle: a top-of-the-minute schedule makes hundreds due in one tick.
    in_progress = (
        await session.execute(
            select(Transaction.cycle_id, Transaction.step_id)
            .where(
                Transaction.cycle_id.in_(list(triggers)),
                Transaction.status.in_([s.value for s in tx.IN_PROGRESS]),
            )
            .distinct()
        )
    ).all()
    held = {(cycle_id, step_id) for cycle_id, step_id in in_progress}
    rows = [
        tx.new_row(
            account_id=cycle.account_id,
            cycle_id=cycle.id,
            step_id=trigger,
            origin="Schedule",
            now=now,
        )
        for cycle in cycles
        if (trigger := triggers[cycle.id]) is not None and (cycle.id, trigger) not in held
    ]
    await tx.insert_rows(session, rows)
    # Cycles on the same grid get the same next slot: one UPDATE for each distinct slot.
    next_runs: dict[datetime | None, list[Cycle]] = {}
    for cycle in cycles:
        if cycle.run_once:
            # Paused after its first run, which still runs to its end.
            await lifecycle.apply(session, cycle, Change.RUN_ONCE_STARTED, now=now)
        elif cycle.interval_minutes:
            assert cycle.next_run_at is not None
            interval = timedelta(minutes=cycle.interval_minutes)
            next_runs.setdefault(next_slot(cycle.next_run_at, interval, now), []).append(cycle)
        else:
            next_runs.setdefault(None, []).append(cycle)
    for next_run, group in next_runs.items():
        await lifecycle.reschedule(session, group, next_run)
    queued = len(rows)
    await session.flush()
    return queued
