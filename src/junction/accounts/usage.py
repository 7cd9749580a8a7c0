"""Task usage: which work counts as a task, and how many an account used in a period.

Cyclr bills by tasks. As there, a task is counted for:
- each run of a connector method step (Get or Webhook trigger, Action, and utility
  connectors' steps alike) and of a Webhook Response step, whether it succeeded or raised
  an incident;
- each run of a tool step (Decision, Delay, Wait Until, Stop) that raised an incident
  (an error or a warning); tools that run cleanly are free;
- each Data on Demand call (and method test) that reached the API.
A Get trigger run that found nothing new leaves no transaction and counts nothing.
Sub-accounts' usage is their own: it is never added to their parent's.

Counts are written to a table of their own, which step data retention does not purge: a
cycle's with the engine's checkpoint, Data on Demand's in groups within half a second of
the call (``accounts.tally``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import TaskUsage

SOURCE_CYCLE = "Cycle"
SOURCE_DATA_ON_DEMAND = "DataOnDemand"


@dataclass(frozen=True)
class Usage:
    account_id: str
    tasks: int
    start: datetime
    end: datetime


async def tasks_used(
    *, session: AsyncSession, account_id: str, start: datetime, end: datetime
) -> Usage:
    """Tasks counted from ``start`` (included) to ``end`` (excluded)."""
    total = await session.scalar(
        select(func.coalesce(func.sum(TaskUsage.tasks), 0)).where(
            TaskUsage.account_id == account_id,
            TaskUsage.counted_at >= start,
            TaskUsage.counted_at < end,
        )
    )
    return Usage(account_id, int(total or 0), start, end)


def month_of(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (UTC) holding ``moment``: its first instant and the next month's."""
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if start.month == 12:
        return start, start.replace(year=start.year + 1, month=1)
    return start, start.replace(month=start.month + 1)
