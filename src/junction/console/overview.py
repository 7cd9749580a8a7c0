"""The console's first page: what the installation holds and what happened in the last day.

Every figure is one cheap query: the last day's transactions are counted by hour and status
over ``ix_transactions_created_status`` (an index-only range on PostgreSQL), the oldest due
work is the first row of ``ix_transactions_status_due`` and of the cycles' ``next_run_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import escape

from markupsafe import Markup
from sqlalchemy import ColumnElement, String, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from junction.accounts.models import Account
from junction.cycles.lifecycle import CycleStatus
from junction.cycles.models import Cycle
from junction.engine.models import Incident, Transaction
from junction.engine.transactions import ENDED, Status

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
HOURS = 24
# The chart's statuses, bottom to top, and their colours (Okabe and Ito's palette, told
# apart with any colour vision), each with a pattern-free legend and the figures as a table.
STATUSES: tuple[tuple[str, str], ...] = (
    (Status.COMPLETED.value, "#009E73"),
    (Status.ERRORED.value, "#D55E00"),
    (Status.STOPPED.value, "#7A7A7A"),
    (Status.RUNNING.value, "#0072B2"),
    (Status.WAITING.value, "#E69F00"),
    (Status.QUEUED.value, "#56B4E9"),
)
_ENDED = {status.value for status in ENDED}


@dataclass(frozen=True)
class HourCounts:
    start: datetime
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Waiting:
    """The oldest due work: what it is and since when it is due."""

    kind: str  # "transaction" or "cycle"
    id: str
    account_id: str
    cycle_id: str
    name: str
    due_at: datetime
    waited: timedelta


@dataclass(frozen=True)
class PausedCycle:
    id: str
    name: str
    account_id: str
    account_name: str
    errors: int
    paused_at: datetime | None


@dataclass(frozen=True)
class Overview:
    accounts: int
    cycles_by_status: dict[str, int]
    transactions_by_status: dict[str, int]  # the chart's day
    incidents: list[Incident]  # the last day's, newest first
    hours: list[HourCounts]  # the chart's 24 hours, oldest first
    oldest_queued: Waiting | None
    overdue_cycle: Waiting | None
    paused_for_errors: list[PausedCycle]

    @property
    def finished(self) -> int:
        return sum(n for status, n in self.transactions_by_status.items() if status in _ENDED)

    @property
    def errored(self) -> int:
        return self.transactions_by_status.get(Status.ERRORED.value, 0)

    @property
    def error_rate(self) -> float | None:
        """Errored of the finished transactions started in the chart's day; None: none."""
        return self.errored / self.finished if self.finished else None


def _hour_of(column: InstrumentedAttribute[datetime], dialect: str) -> ColumnElement[str]:
    """The UTC hour of a time as text, "YYYY-MM-DD HH": grouped on by the database."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD HH24", type_=String())
    # SQLite keeps UTC times as ISO text ("2026-03-01 12:05:00.000000").
    return func.substr(column, 1, 13, type_=String())


async def hourly(*, session: AsyncSession, now: datetime) -> list[HourCounts]:
    """Transactions started in each of the last 24 hours (this one included), by status."""
    first = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - (HOURS - 1) * HOUR
    hour = _hour_of(Transaction.created_at, session.get_bind().dialect.name)
    rows = await session.execute(
        select(hour, Transaction.status, func.count())
        .where(Transaction.created_at >= first)
        .group_by(hour, Transaction.status)
    )
    counts: dict[str, dict[str, int]] = {}
    for key, status, n in rows.all():
        counts.setdefault(str(key), {})[status] = int(n)
    starts = [first + i * HOUR for i in range(HOURS)]
    return [HourCounts(start, counts.get(start.strftime("%Y-%m-%d %H"), {})) for start in starts]


async def _oldest_queued(session: AsyncSession, now: datetime) -> Waiting | None:
    row = (
        await session.execute(
            select(Transaction.id, Transaction.account_id, Transaction.cycle_id, Transaction.due_at)
            .where(Transaction.status == Status.QUEUED.value, Transaction.due_at <= now)
            .order_by(Transaction.due_at)
            .limit(1)
        )
    ).first()
    if row is None or row.due_at is None:
        return None
    name = await session.scalar(select(Cycle.name).where(Cycle.id == row.cycle_id))
    return Waiting(
        "transaction",
        row.id,
        row.account_id,
        row.cycle_id,
        name or "",
        row.due_at,
        now - row.due_at,
    )


async def _overdue_cycle(session: AsyncSession, now: datetime) -> Waiting | None:
    row = (
        await session.execute(
            select(Cycle.id, Cycle.account_id, Cycle.name, Cycle.next_run_at)
            .where(Cycle.next_run_at <= now, Cycle.status == CycleStatus.ACTIVE.value)
            .order_by(Cycle.next_run_at)
            .limit(1)
        )
    ).first()
    if row is None or row.next_run_at is None:
        return None
    return Waiting(
        "cycle", row.id, row.account_id, row.id, row.name, row.next_run_at, now - row.next_run_at
    )


async def paused_for_errors(*, session: AsyncSession, limit: int) -> list[PausedCycle]:
    """Cycles the engine paused after ``limit`` transactions in a row ended in error: a pause
    leaves the run of errors counted (only an activation resets it), so such a cycle is
    paused, not finishing, with at least ``limit`` errors in a row."""
    if limit <= 0:
        return []
    rows = await session.execute(
        select(
            Cycle.id,
            Cycle.name,
            Cycle.account_id,
            Account.name,
            Cycle.consecutive_errors,
            Cycle.stopped_at,
        )
        .join(Account, Account.id == Cycle.account_id)
        .where(
            Cycle.status == CycleStatus.PAUSED.value,
            Cycle.draining == false(),
            Cycle.consecutive_errors >= limit,
        )
        .order_by(Cycle.stopped_at.desc(), Cycle.id)
        .limit(20)
    )
    return [PausedCycle(*row) for row in rows.all()]


async def overview(*, session: AsyncSession, now: datetime, error_limit: int = 0) -> Overview:
    accounts = await session.scalar(select(func.count()).select_from(Account))
    cycles = dict(
        (await session.execute(select(Cycle.status, func.count()).group_by(Cycle.status))).all()
    )
    hours = await hourly(session=session, now=now)
    transactions: dict[str, int] = {}
    for hour in hours:
        for status, n in hour.counts.items():
            transactions[status] = transactions.get(status, 0) + n
    incidents = list(
        await session.scalars(
            select(Incident)
            .where(Incident.created_at >= now - DAY)
            .order_by(Incident.created_at.desc())
            .limit(10)
        )
    )
    return Overview(
        accounts=int(accounts or 0),
        cycles_by_status=cycles,
        transactions_by_status=transactions,
        incidents=incidents,
        hours=hours,
        oldest_queued=await _oldest_queued(session, now),
        overdue_cycle=await _overdue_cycle(session, now),
        paused_for_errors=await paused_for_errors(session=session, limit=error_limit),
    )


def waited(span: timedelta) -> str:
    """A wait as people say it: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    seconds = max(0, int(span.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes, hours = seconds // 60, seconds // 3600
    if hours < 1:
        return f"{minutes} min"
    if hours < 48:
        return f"{hours} h {minutes % 60} min"
    return f"{hours // 24} d {hours % 24} h"


def _nice_top(value: int) -> int:
    """The chart's top: 1, 2 or 5 times a power of ten, at least ``value``."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return top * step
        top *= 10


def chart(hours: list[HourCounts]) -> Markup:
    """The hours as a stacked bar chart (SVG drawn here: no script, no inline style)."""
    width, height = 720, 260
    left, right, top, bottom = 44, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((hour.total for hour in hours), default=0)
    scale_top = _nice_top(max(peak, 1))
    slot = plot_w / max(len(hours), 1)
    bar = slot * 0.72
    total = sum(hour.total for hour in hours)
    by_status = {
        status: sum(hour.counts.get(status, 0) for hour in hours) for status, _ in STATUSES
    }
    busiest = max(hours, key=lambda hour: hour.total) if hours and peak else None
    summary = ", ".join(f"{status} {n}" for status, n in by_status.items() if n) or "none"
    first = hours[0].start.strftime("%H:00") if hours else ""
    desc = f"{total} transactions started since {first} UTC: {summary}."
    if busiest is not None:
        desc += f" The busiest hour began at {busiest.start.strftime('%H:00')} with {peak}."
    parts = [
        f'<svg role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 {width} {height}"'
        ' xmlns="http://www.w3.org/2000/svg" class="jn-hourly">',
        '<title id="chart-title">Transactions per hour by status, last 24 hours</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h - fraction * plot_h
        label = int(scale_top * fraction)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#d0d5dd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#475467">{label}</text>'
        )
    for index, hour in enumerate(hours):
        x = left + index * slot + (slot - bar) / 2
        base: float = top + plot_h
        for status, colour in STATUSES:
            n = hour.counts.get(status, 0)
            if not n:
                continue
            h = n / scale_top * plot_h
            base -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{hour.start.strftime("%H:00")} {status}: {n}</title>'
                "</rect>"
            )
        if index % 3 == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{height - 10}" text-anchor="middle" '
                f'font-size="12" fill="#475467">{hour.start.strftime("%H:00")}</text>'
            )
    parts.append("</svg>")
    # Only numbers, times, the fixed statuses and the escaped description are written in.
    return Markup("".join(parts))  # noqa: S704
