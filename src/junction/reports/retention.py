"""Retention: step data is purged once its transaction's retention hours have passed.

The hours come from the cycle's settings, else its account, else the console (settings);
success hours for Completed transactions, errored hours for Errored and Stopped ones. 0
hours purges as soon as the transaction has ended. Purging keeps the transaction row (the
reports still list it) and drops its step data, its values and any payload.

Work is done in chunks, each its own short write transaction, so a purge never holds
SQLite's single writer lock long enough to stall running transactions. Core statements
throughout: this touches many rows.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update

from junction.accounts.models import Account
from junction.cycles.models import Cycle
from junction.db.engine import Database
from junction.engine.models import Incident, SeenItem, StepRun, Transaction
from junction.engine.transactions import ENDED, Status
from junction.settings import Settings

_ENDED = [status.value for status in ENDED]
# Live work and the purge share SQLite's one writer, taken in turn. A chunk that had to wait
# for it means transactions are running: for a while after that, chunks are a fifth of the
# size, so that each holds the writer for a short time. Measured with 200,000 transactions
# to purge under 50 webhook calls/s (docs/benchmarks.md): chunks of 500 gave 11,243 rows/s
# and a live p99 3.3 times that without the purge; chunks of 100, 4,706 rows/s and 1.4
# times; this adaptive size, 5,229 rows/s and 1.6 times. Alone, chunks of 500 purge
# 21,561 rows/s and chunks of 100 only 15,653.
_CONTENDED_WAIT_SECONDS = 0.002
_SMALL_CHUNKS_FOR_SECONDS = 1.0
# A Get trigger's seen items are what keeps it from handing an item on twice, so they
# outlive step data: the console's errored retention, but never less than this.
SEEN_ITEMS_MIN_HOURS = 744


def _hours(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def retention_hours(
    *,
    status: str,
    cycle_settings: dict[str, Any] | None,
    account_success: int | None,
    account_errored: int | None,
    settings: Settings,
) -> int:
    """The hours a transaction's step data is kept: cycle > account > console."""
    cycle_settings = cycle_settings or {}
    if status == Status.COMPLETED:
        candidates = (
            _hours(cycle_settings.get("StepDataSuccessRetentionHours")),
            _hours(account_success),
        )
        default = settings.step_data_success_retention_hours
    else:
        candidates = (
            _hours(cycle_settings.get("StepDataErroredRetentionHours")),
            _hours(account_errored),
        )
        default = settings.step_data_errored_retention_hours
    return next((hours for hours in candidates if hours is not None), default)


async def _schedule_chunk(*, database: Database, settings: Settings, chunk: int) -> int:
    """Give up to ``chunk`` ended, unscheduled transactions their purge time."""
    async with database.transaction() as session:
        rows = (
            await session.execute(
                select(
                    Transaction.id,
                    Transaction.status,
                    Transaction.ended_at,
                    Cycle.settings,
                    Account.step_data_success_retention_hours,
                    Account.step_data_errored_retention_hours,
                )
                .join(Cycle, Cycle.id == Transaction.cycle_id)
                .join(Account, Account.id == Transaction.account_id)
                .where(
                    Transaction.status.in_(_ENDED),
                    Transaction.ended_at.is_not(None),
                    Transaction.purge_after.is_(None),
                    Transaction.purged_at.is_(None),
                )
                .limit(chunk)
            )
        ).all()
        if rows:
            # ORM bulk UPDATE by primary key: one executemany statement.
            await session.execute(
                update(Transaction),
                [
                    {
                        "id": transaction_id,
                        "purge_after": ended_at
                        + timedelta(
                            hours=retention_hours(
                                status=status,
                                cycle_settings=cycle_settings,
                                account_success=account_success,
                                account_errored=account_errored,
                                settings=settings,
                            )
                        ),
                    }
                    for (
                        transaction_id,
                        status,
                        ended_at,
                        cycle_settings,
                        account_success,
                        account_errored,
                    ) in rows
                ],
            )
        return len(rows)


async def _purge_chunk(*, database: Database, now: datetime, chunk: int) -> tuple[int, int, float]:
    """Purge up to ``chunk`` due transactions: (how many were due, how many were purged,
    the seconds it waited for the database's writer)."""
    asked = time.monotonic()
    async with database.transaction() as session:
        waited = time.monotonic() - asked
        due = list(
            await session.scalars(
                select(Transaction.id)
                .where(
                    Transaction.purge_after <= now,
                    Transaction.purged_at.is_(None),
                    Transaction.status.in_(_ENDED),
                )
                .order_by(Transaction.purge_after)
                .limit(chunk)
                # Locked (PostgreSQL; SQLite's writer holds the whole database), so that a
                # replay cannot take one back before it is purged; one a replay holds now
                # is left for the next pass.
                .with_for_update(skip_locked=True)
            )
        )
        if not due:
            return 0, 0, waited
        # By id only: with the conditions again, SQLite chose the (purged_at, purge_after)
        # index for the update and read every unpurged transaction per chunk, so a chunk
        # took time growing with the history (55 ms at 200,000, 12 ms at 20,000).
        purged = list(
            await session.scalars(
                update(Transaction)
                .where(Transaction.id.in_(due))
                .values(values={}, payload=None, purged_at=now)
                .returning(Transaction.id)
                .execution_options(synchronize_session=False)
            )
        )
        if purged:
            await session.execute(delete(StepRun).where(StepRun.transaction_id.in_(purged)))
            # An incident's full text quotes the request and response: it goes too.
            await session.execute(
                update(Incident)
                .where(Incident.transaction_id.in_(purged))
                .values(full_message=None)
                .execution_options(synchronize_session=False)
            )
        return len(due), len(purged), waited


async def _forget_seen_chunk(*, database: Database, cutoff: datetime, chunk: int) -> int:
    async with database.transaction() as session:
        oldest = (
            select(SeenItem.cycle_step_id, SeenItem.item_key)
            .where(SeenItem.seen_at < cutoff)
            .limit(chunk)
        )
        result = await session.execute(
            delete(SeenItem)
            .where(tuple_(SeenItem.cycle_step_id, SeenItem.item_key).in_(oldest))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


async def purge_step_data(
    *, database: Database, settings: Settings, now: datetime, chunk: int = 500
) -> int:
    """One retention pass; answers how many transactions had their step data purged."""
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    while await _schedule_chunk(database=database, settings=settings, chunk=chunk) == chunk:
        pass
    purged = 0
    small_until = 0.0
    while True:
        size = chunk if time.monotonic() >= small_until else max(chunk // 5, 1)
        due, done, waited = await _purge_chunk(database=database, now=now, chunk=size)
        purged += done
        if waited > _CONTENDED_WAIT_SECONDS:
            small_until = time.monotonic() + _SMALL_CHUNKS_FOR_SECONDS
        if due < size:
            break
    hours = max(settings.step_data_errored_retention_hours, SEEN_ITEMS_MIN_HOURS)
    cutoff = now - timedelta(hours=hours)
    while await _forget_seen_chunk(database=database, cutoff=cutoff, chunk=chunk) == chunk:
        pass
    return purged
