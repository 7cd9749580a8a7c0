"""The console's first page: what the installation holds and what happened in the last day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account
from junction.cycles.models import Cycle
from junction.engine.models import Incident, Transaction

DAY = timedelta(days=1)


@dataclass(frozen=True)
class Overview:
    accounts: int
    cycles_by_status: dict[str, int]
    transactions_by_status: dict[str, int]  # started in the last day
    incidents: list[Incident]  # the last day's, newest first


async def overview(*, session: AsyncSession, now: datetime) -> Overview:
    accounts = await session.scalar(select(func.count()).select_from(Account))
    cycles = dict(
        (await session.execute(select(Cycle.status, func.count()).group_by(Cycle.status))).all()
    )
    transactions = dict(
        (
            await session.execute(
                select(Transaction.status, func.count())
                .where(Transaction.created_at >= now - DAY)
                .group_by(Transaction.status)
            )
        ).all()
    )
    incidents = list(
        await session.scalars(
            select(Incident)
            .where(Incident.created_at >= now - DAY)
            .order_by(Incident.created_at.desc())
            .limit(10)
        )
    )
    return Overview(int(accounts or 0), cycles, transactions, incidents)
