"""Reading transactions, step data and incidents; deleting incidents; replaying transactions.

Functions flush; the caller commits. Only ``engine.transactions`` changes a transaction's
status: replay goes through it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles.models import Cycle
from junction.engine import transactions as engine
from junction.engine.models import Incident, StepRun, Transaction
from junction.engine.transactions import Status
from junction.errors import BadRequest, NotFound

TRANSACTION_SORTABLE = {"CreatedOnUtc": Transaction.created_at}
TRANSACTION_TIEBREAK = Transaction.id
INCIDENT_SORTABLE = {"CreatedOnUtc": Incident.created_at}
INCIDENT_TIEBREAK = Incident.id

LEVELS = {"error": "Error", "warning": "Warning"}


@dataclass(frozen=True)
class Window:
    """``after`` (inclusive) and ``before`` (exclusive) on the created time."""

    after: datetime | None = None
    before: datetime | None = None

    @classmethod
    def of(cls, after: datetime | None, before: datetime | None) -> Window:
        after, before = _utc(after), _utc(before)
        if after is not None and before is not None and before <= after:
            raise BadRequest("before: must be later than after")
        return cls(after, before)

    def apply(self, query: Select[Any], column: Any) -> Select[Any]:
        if self.after is not None:
            query = query.where(column >= self.after)
        if self.before is not None:
            query = query.where(column < self.before)
        return query


def _utc(value: datetime | None) -> datetime | None:
    """A datetime without an offset is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def parse_level(value: str) -> str:
    level = LEVELS.get(value.strip().lower())
    if level is None:
        raise BadRequest(f"level: '{value}' is not an incident level; use Error or Warning")
    return level


async def cycle_names(*, session: AsyncSession, cycle_ids: Iterable[str]) -> dict[str, str]:
    ids = sorted(set(cycle_ids))
    if not ids:
        return {}
    rows = await session.execute(select(Cycle.id, Cycle.name).where(Cycle.id.in_(ids)))
    return {cycle_id: name for cycle_id, name in rows.all()}


def transactions_query(
    *, account_id: str | None, cycle_id: str | None, window: Window, status: Status | None
) -> Select[Any]:
    """``account_id`` None: every account's (the operator's command; the API always names
    one)."""
    query = select(Transaction)
    if account_id is not None:
        query = query.where(Transaction.account_id == account_id)
    if cycle_id is not None:
        query = query.where(Transaction.cycle_id == cycle_id)
    if status is not None:
        query = query.where(Transaction.status == status.value)
    return window.apply(query, Transaction.created_at)


async def get_transaction(
    *, session: AsyncSession, account_id: str, cycle_id: str, transaction_id: str
) -> Transaction:
    row = await session.scalar(
        select(Transaction)
        .where(
            Transaction.id == transaction_id,
            Transaction.account_id == account_id,
            Transaction.cycle_id == cycle_id,
        )
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(f"No transaction with Id '{transaction_id}' in this cycle")
    return row


async def locate_transaction(*, session: AsyncSession, transaction_id: str) -> Transaction:
    """A transaction by its Id alone, whichever account holds it (the operator's command)."""
    row = await session.get(Transaction, transaction_id, populate_existing=True)
    if row is None:
        raise NotFound(f"No transaction with Id '{transaction_id}'")
    return row


def _text_of(row: StepRun) -> str:
    return json.dumps(
        [row.exchanges, row.output, row.message], ensure_ascii=False, default=str
    ).casefold()


async def step_data(
    *, session: AsyncSession, transaction_id: str, query: str | None = None
) -> list[StepRun]:
    """The transaction's step data in order; with ``query``, only the steps whose exchanges,
    output or message contain it (case-insensitive)."""
    rows = list(
        await session.scalars(
            select(StepRun)
            .where(StepRun.transaction_id == transaction_id)
            .order_by(StepRun.sequence)
        )
    )
    needle = (query or "").strip().casefold()
    if not needle:
        return rows
    return [row for row in rows if needle in _text_of(row)]


def incidents_query(
    *, account_id: str | None, cycle_id: str | None, level: str | None, window: Window
) -> Select[Any]:
    """``account_id`` None: every account's (the console; the API always names one)."""
    query = select(Incident)
    if account_id is not None:
        query = query.where(Incident.account_id == account_id)
    if cycle_id is not None:
        query = query.where(Incident.cycle_id == cycle_id)
    if level is not None:
        query = query.where(Incident.level == level)
    return window.apply(query, Incident.created_at)


async def delete_incidents(*, session: AsyncSession, cycle_id: str) -> int:
    """The cycle's incidents go; its transactions (and their counts) stay as they are."""
    result = await session.execute(
        delete(Incident)
        .where(Incident.cycle_id == cycle_id)
        .execution_options(synchronize_session=False)
    )
    await session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class ReplayReport:
    replayed: list[str] = field(default_factory=list)
    not_replayed: list[tuple[str, str]] = field(default_factory=list)  # (id, reason)


def _reason(row: Any) -> str:
    """Why a transaction (id, status, step_id, purged_at), or None, was not replayed."""
    if row is None:
        return "No transaction with this Id in the account"
    status, step_id, purged_at = row.status, row.step_id, row.purged_at
    if status in engine.IN_PROGRESS:
        return f"It is still in progress ({status}); only ended transactions can be replayed"
    if status == Status.COMPLETED:
        return "It completed; only Errored or Stopped transactions can be replayed"
    if purged_at is not None:
        return "Its step data was purged (retention), so it cannot resume"
    if step_id is None:
        return "It has no step to resume at"
    return "It changed while it was being replayed; look at it again"


async def replay(
    *, session: AsyncSession, account_id: str, ids: Sequence[str], now: datetime
) -> ReplayReport:
    """Queue Errored or Stopped transactions again at the step where they ended, and say
    why each of the others was not."""
    wanted = list(dict.fromkeys(ids))
    report = ReplayReport()
    if not wanted:
        return report
    replayed = set(await engine.replay(session=session, account_id=account_id, ids=wanted, now=now))
    rest = [i for i in wanted if i not in replayed]
    rows = {}
    if rest:
        result = await session.execute(
            select(
                Transaction.id, Transaction.status, Transaction.step_id, Transaction.purged_at
            ).where(Transaction.account_id == account_id, Transaction.id.in_(rest))
        )
        rows = {row.id: row for row in result.all()}
    for transaction_id in wanted:
        if transaction_id in replayed:
            report.replayed.append(transaction_id)
        else:
            report.not_replayed.append((transaction_id, _reason(rows.get(transaction_id))))
    return report


async def replay_held(*, session: AsyncSession, ids: Sequence[str], now: datetime) -> ReplayReport:
    """As ``replay``, for Ids held by any account (the operator's command and the console):
    once per account, as the API replays within one; the report keeps the Ids' order."""
    wanted = list(dict.fromkeys(ids))
    rows = await session.execute(
        select(Transaction.id, Transaction.account_id).where(Transaction.id.in_(wanted))
    )
    holder: dict[str, str] = {row.id: row.account_id for row in rows.all()}
    grouped: dict[str, list[str]] = {}
    for transaction_id in wanted:
        # An Id held by no account is reported by ``replay`` as not found.
        grouped.setdefault(holder.get(transaction_id, ""), []).append(transaction_id)
    report = ReplayReport()
    for account_id, some in grouped.items():
        done = await replay(session=session, account_id=account_id, ids=some, now=now)
        report.replayed += done.replayed
        report.not_replayed += done.not_replayed
    order = {transaction_id: n for n, transaction_id in enumerate(wanted)}
    report.replayed.sort(key=order.__getitem__)
    report.not_replayed.sort(key=lambda item: order[item[0]])
    return report


async def replayable_ids(
    *, session: AsyncSession, cycle_id: str, status: Status, limit: int
) -> list[str]:
    """The oldest ``limit`` transactions of the cycle in ``status`` with step data left."""
    rows = await session.scalars(
        select(Transaction.id)
        .where(
            Transaction.cycle_id == cycle_id,
            Transaction.status == status.value,
            Transaction.purged_at.is_(None),
        )
        .order_by(Transaction.created_at, Transaction.id)
        .limit(limit)
    )
    return list(rows)
