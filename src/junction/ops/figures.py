"""The queue gauges, read from the database when metrics are scraped.

Two small aggregate queries per status, each served by the (status, due_at) index: the
cost grows with the backlog's size only, not with the history kept in the table.
"""

from __future__ import annotations

from sqlalchemy import func, select

from junction.engine.models import Transaction
from junction.metrics import Metrics
from junction.services import Services

QUEUE_STATUSES = ("Queued", "Waiting")


async def refresh_queue_gauges(services: Services, metrics: Metrics) -> None:
    now = services.clock()
    oldest_age = 0.0
    async with services.database.transaction(read_only=True) as session:
        for status in QUEUE_STATUSES:
            due = (Transaction.status == status, Transaction.due_at <= now)
            count = await session.scalar(select(func.count()).where(*due)) or 0
            oldest = await session.scalar(select(func.min(Transaction.due_at)).where(*due))
            metrics.queue_depth.labels(status).set(count)
            if oldest is not None:
                oldest_age = max(oldest_age, (now - oldest).total_seconds())
    metrics.queue_oldest_due_age.set(oldest_age)
