"""The transaction state machine: the only code that writes a transaction's status.

    Queued → Running → (Waiting ⇄ Running)* → Completed | Errored | Stopped

A process claims due work by taking a lease (owner, expiry). While it holds the lease it
runs steps and, after each one, writes a **checkpoint** in one database transaction: the
step data, any incidents and split-off transactions, trigger state, and the transaction's
next position. The checkpoint only applies while the lease is still the writer's, so a
process that lost its lease (it stalled and another took over) can never record an outcome
twice. A lease that expires is taken over, and the transaction resumes at its recorded
position: the first step without an outcome.

Statements here are SQLAlchemy Core: this is the engine's hot path.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import TaskUsage
from junction.accounts.usage import SOURCE_CYCLE as TASK_SOURCE_CYCLE
from junction.cycles import lifecycle
from junction.cycles.lifecycle import CycleStatus
from junction.cycles.models import Cycle, CycleStep
from junction.engine.models import Incident, SeenItem, StepRun, Transaction
from junction.errors import JunctionError


class Status(StrEnum):
    QUEUED = "Queued"
    RUNNING = "Running"
    WAITING = "Waiting"
    COMPLETED = "Completed"
    ERRORED = "Errored"
    STOPPED = "Stopped"


ENDED = frozenset({Status.COMPLETED, Status.ERRORED, Status.STOPPED})
IN_PROGRESS = frozenset({Status.QUEUED, Status.RUNNING, Status.WAITING})

# Every move the engine makes. Running → Running is a takeover of an expired lease;
# Running → Queued a release at shutdown; an ended Errored or Stopped transaction may be
# replayed from the step where it ended.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.QUEUED: frozenset({Status.RUNNING, Status.STOPPED}),
    Status.RUNNING: frozenset(
        {
            Status.RUNNING,
            Status.QUEUED,
            Status.WAITING,
            Status.COMPLETED,
            Status.ERRORED,
            Status.STOPPED,
        }
    ),
    Status.WAITING: frozenset({Status.RUNNING, Status.STOPPED}),
    Status.COMPLETED: frozenset(),
    Status.ERRORED: frozenset({Status.QUEUED}),
    Status.STOPPED: frozenset({Status.QUEUED}),
}


# The table itself (Core): the checkpoint is the hottest statement and needs no ORM.
def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


_TABLE = _table(Transaction)
_INSERT_TRANSACTIONS = _TABLE.insert()


class LeaseLost(JunctionError):
    """The transaction is no longer this process's to write (another took it over)."""


def allowed(before: Status, after: Status) -> bool:
    return after in TRANSITIONS[before]


def new_id(at: datetime | None = None) -> str:
    """A time-ordered GUID (UUID version 7, RFC 9562: the Unix time in milliseconds, now
    or ``at``, then 74 random bits). Transactions are written in the order they arrive, so
    their ids, and the step data and incidents indexed by them, are added at the end of
    each index, and the pages a checkpoint reads are recent ones: with random ids every
    write landed on a random page of a history that no longer fits in the database's
    cache."""
    millis = time.time_ns() // 1_000_000 if at is None else int(at.timestamp() * 1000)
    rand_a = secrets.randbits(12)
    rand_b = secrets.randbits(62)
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return str(uuid.UUID(int=value))


def new_row(
    *,
    account_id: str,
    cycle_id: str,
    step_id: str | None,
    origin: str,
    now: datetime,
    values: dict[str, Any] | None = None,
    payload: Any = None,
    parent_id: str | None = None,
    status: Status = Status.QUEUED,
    transaction_id: str | None = None,
) -> dict[str, Any]:
    """A new transaction's row, Queued and due now, for ``insert_rows``."""
    return {
        "id": transaction_id or new_id(),
        "account_id": account_id,
        "cycle_id": cycle_id,
        "status": status.value,
        "step_id": step_id,
        "due_at": now,
        "lease_owner": None,
        "lease_expires_at": None,
        "attempt": 0,
        "origin": origin,
        "parent_id": parent_id,
        "values": values or {},
        "payload": payload,
        "steps_run": 0,
        "error_count": 0,
        "warning_count": 0,
        "message": None,
        "created_at": now,
        "started_at": None,
        "ended_at": None,
        "updated_at": now,
        "purge_after": None,
        "purged_at": None,
    }


async def insert_rows(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_INSERT_TRANSACTIONS, list(rows))


@dataclass
class Claimed:
    """A transaction this process holds the lease of."""

    id: str
    account_id: str
    cycle_id: str
    step_id: str | None
    values: dict[str, Any]
    payload: Any
    attempt: int
    steps_run: int
    origin: str
    error_count: int
    warning_count: int
    created_at: datetime
    waiting: bool = False  # set by the runner when it leaves the transaction Waiting
    cycle_version: int | None = None  # the cycle's version when claimed
    # Whose lease ran out when this claim took the transaction over (None: it was not
    # running): read with the claim, for the one log line a takeover writes.
    previous_owner: str | None = None


_CLAIMED_COLUMNS = (
    Transaction.id,
    Transaction.account_id,
    Transaction.cycle_id,
    Transaction.step_id,
    Transaction.values,
    Transaction.payload,
    Transaction.attempt,
    Transaction.steps_run,
    Transaction.origin,
    Transaction.error_count,
    Transaction.warning_count,
    Transaction.created_at,
)


def _due_by_status(now: Any, status: Any = Transaction.status) -> list[Any]:
    """``runnable`` as one condition per status, each served by the (status, due_at) index
    (unless ``status`` is an expression no index serves)."""
    return [
        and_(status == Status.QUEUED.value, Transaction.due_at <= now),
        and_(status == Status.WAITING.value, Transaction.due_at <= now),
        and_(status == Status.RUNNING.value, Transaction.lease_expires_at < now),
    ]


def runnable(now: Any) -> Any:
    """Due now: queued or waiting with its time come, or running under an expired lease.
    ``now``: a time, or a bound parameter standing for one."""
    return or_(*_due_by_status(now))


def _taken(now: Any) -> dict[str, Any]:
    """What a claim writes: Running under the lease of parameters ``owner`` and
    ``expires_at``, at ``now``."""
    return {
        "status": Status.RUNNING.value,
        "lease_owner": bindparam("owner"),
        "lease_expires_at": bindparam("expires_at"),
        # The first start stays (a takeover or a resumed wait keeps it).
        "started_at": func.coalesce(_TABLE.c.started_at, now),
        "updated_at": now,
    }


def _claim_statements(*, postgresql: bool) -> tuple[Any, Any]:
    """Built once per database kind (a claim runs many times a second, and building and
    keying these statements cost more than running them): the candidates, then the update
    that takes the chosen ones. Parameters: ``now``, ``heads`` (rows read per status),
    ``exclude`` and ``full`` (lists), then ``chosen``, ``owner`` and ``expires_at``."""
    now = bindparam("now", type_=Transaction.due_at.type)
    heads_read = bindparam("heads", type_=Integer())
    columns = (
        Transaction.id,
        Transaction.account_id,
        Cycle.version,
        Transaction.lease_owner,
        Transaction.due_at,
    )
    # An OR of statuses is read into a row set and sorted whole: with a backlog of thousands,
    # every claim would sort them all and draining would cost the square of the backlog.
    # Each status in due order, from the (status, due_at) index, reads only the head of the
    # queue; PostgreSQL locks each head as it reads it (FOR UPDATE is allowed per CTE, not
    # on a UNION), skipping rows another claimer holds.
    heads = []
    for due in _due_by_status(now):
        head = (
            _due_rows(columns, due, full=bindparam("full", expanding=True))
            .order_by(Transaction.due_at)
            .limit(heads_read)
        )
        if postgresql:
            heads.append(head.with_for_update(of=Transaction, skip_locked=True).cte())
        else:
            heads.append(head.subquery())
    merged = union_all(*(select(*head.c) for head in heads)).subquery()
    candidates = (
        select(merged.c.id, merged.c.account_id, merged.c.version, merged.c.lease_owner)
        .order_by(merged.c.due_at.nulls_first())
        .limit(heads_read)
    )
    t = _TABLE.c
    # The update finds the chosen rows by id, and checks they are still runnable. Given that
    # OR of statuses and several ids, SQLite (which plans without statistics) reads the OR
    # from the (status, due_at) index instead: every due row of the backlog, for each claim
    # (with 48,000 queued, 15 ms a claim against 0.03 ms; a drain slowed with the depth of
    # its queue). Its status as an expression no index serves (`status || ''`) leaves it the
    # primary key. PostgreSQL plans by its statistics and gets the plain condition.
    status = Transaction.status if postgresql else Transaction.status.concat("")
    take = (
        _TABLE.update()
        .where(t.id.in_(bindparam("chosen", expanding=True)), or_(*_due_by_status(now, status)))
        .values(_taken(now))
        .returning(*(t[c.key] for c in _CLAIMED_COLUMNS))
    )
    return candidates, take


async def claim(
    session: AsyncSession,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    account_room: dict[str, int] | None = None,
    default_room: int | None = None,
    exclude: Collection[str] = (),
) -> list[Claimed]:
    """Take the leases of up to ``limit`` due transactions of running cycles.

    ``account_room`` says how many more transactions each account may start here
    (``default_room`` for accounts not in it): the per-account concurrency limit.
    ``exclude``: what this process is running already (its leases may look expired when
    a step outlives them; the heartbeat renews them, but never claim them twice).
    """
    if limit <= 0:
        return []
    # Accounts at their limit are left out in SQL: otherwise one account's backlog, being
    # the oldest, could fill every candidate slot and starve the others.
    full = [account for account, left in (account_room or {}).items() if left <= 0]
    candidates, take = _CLAIM[_dialect(session) == "postgresql"]
    rows = (
        await session.execute(
            candidates,
            {"now": now, "heads": limit * 4, "exclude": list(exclude), "full": full},
        )
    ).all()
    room = dict(account_room or {})
    chosen: list[str] = []
    versions: dict[str, int] = {}
    owners: dict[str, str | None] = {}  # read under the write lock: still theirs at the update
    for transaction_id, account_id, version, owner_before in rows:
        versions[transaction_id] = version
        owners[transaction_id] = owner_before
        left = room.get(account_id, default_room if default_room is not None else limit)
        if left <= 0:
            continue
        room[account_id] = left - 1
        chosen.append(transaction_id)
        if len(chosen) == limit:
            break
    if not chosen:
        return []
    result = await session.execute(
        take, {"chosen": chosen, "now": now, "owner": owner, "expires_at": now + lease}
    )
    claimed = [Claimed(*row) for row in result.all()]
    for item in claimed:
        item.cycle_version = versions[item.id]
        item.previous_owner = owners[item.id]
    return claimed


def _claim_one_statement(*, previous_owner: bool) -> Any:
    """Built once: the one statement of ``claim_one`` (a job's claim, the hot path of the
    procrastinate dispatcher). ``previous_owner``: also return the lease owner the update
    replaces (PostgreSQL only: it evaluates a subquery of RETURNING on the statement's
    snapshot, the row as it was; SQLite's would see the row as updated)."""
    t = _TABLE.c
    now = bindparam("now", type_=t.due_at.type)
    running_cycle = select(Cycle.id).where(lifecycle.running())
    version = select(Cycle.version).where(Cycle.id == t.cycle_id).scalar_subquery()
    returned = [*(t[c.key] for c in _CLAIMED_COLUMNS), version]
    if previous_owner:
        before = _TABLE.alias("before")
        returned.append(select(before.c.lease_owner).where(before.c.id == t.id).scalar_subquery())
    return (
        _TABLE.update()
        .where(
            t.id == bindparam("transaction_id"),
            runnable(now),
            t.cycle_id.in_(running_cycle),
        )
        .values(_taken(now))
        .returning(*returned)
    )


_CLAIM_ONE = _claim_one_statement(previous_owner=False)
_CLAIM_ONE_POSTGRESQL = _claim_one_statement(previous_owner=True)


async def claim_one(
    session: AsyncSession, transaction_id: str, *, owner: str, now: datetime, lease: timedelta
) -> Claimed | None:
    """Take the lease of this one transaction if it is due and its cycle running, in one
    statement (a concurrent claimer waits for the row and then finds it no longer due)."""
    postgresql = _dialect(session) == "postgresql"
    previous: str | None = None
    if not postgresql:
        # SQLite: its writers take turns (BEGIN IMMEDIATE), so what this reads is what the
        # update below replaces.
        previous = await session.scalar(
            select(Transaction.lease_owner).where(Transaction.id == transaction_id)
        )
    row = (
        await session.execute(
            _CLAIM_ONE_POSTGRESQL if postgresql else _CLAIM_ONE,
            {
                "transaction_id": transaction_id,
                "now": now,
                "owner": owner,
                "expires_at": now + lease,
            },
        )
    ).first()
    if row is None:
        return None
    values = list(row)
    if postgresql:
        previous = values.pop()
    claimed = Claimed(*values[:-1])
    claimed.cycle_version = values[-1]
    claimed.previous_owner = previous
    return claimed


def _any_due_statement() -> Any:
    """Built once: one probe per status, each stopping at the first row its index gives.
    Parameters: ``now``, ``exclude``."""
    now = bindparam("now", type_=Transaction.due_at.type)
    return select(or_(*(exists(_due_rows((Transaction.id,), due)) for due in _due_by_status(now))))


async def any_due(session: AsyncSession, *, now: datetime, exclude: Collection[str]) -> bool:
    """Whether there may be something to claim: a cheap read before taking the write lock."""
    return bool(await session.scalar(_ANY_DUE, {"now": now, "exclude": list(exclude)}))


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


def _due_rows(columns: Sequence[Any], due: Any, *, full: Any = None) -> Any:
    """Transactions meeting ``due`` of running cycles, but for those in the list parameter
    ``exclude`` (what this process runs already) and, given ``full``, accounts in it."""
    found = (
        select(*columns)
        .join(Cycle, Cycle.id == Transaction.cycle_id)
        .where(due, lifecycle.running())
        .where(Transaction.id.not_in(bindparam("exclude", expanding=True)))
    )
    return found if full is None else found.where(Transaction.account_id.not_in(full))


_CLAIM = {postgresql: _claim_statements(postgresql=postgresql) for postgresql in (False, True)}
_ANY_DUE = _any_due_statement()


def _held(owner: str, ids: Collection[str]) -> list[Any]:
    return [
        Transaction.id.in_(ids),
        Transaction.lease_owner == owner,
        Transaction.status == Status.RUNNING.value,
    ]


async def _lock_in_order(
    session: AsyncSession, owner: str, ids: Collection[str], *, skip_locked: bool
) -> list[str]:
    """Lock this owner's rows among ``ids`` in id order (PostgreSQL), the order a group of
    checkpoints locks in too: two writers taking rows in opposite orders deadlock."""
    locking = (
        select(Transaction.id)
        .where(*_held(owner, ids))
        .order_by(Transaction.id)
        .with_for_update(skip_locked=skip_locked)
    )
    return list((await session.scalars(locking)).all())


async def renew(
    session: AsyncSession, *, owner: str, ids: Iterable[str], now: datetime, lease: timedelta
) -> None:
    """Extend the leases this owner holds among ``ids``. On PostgreSQL a row locked by a
    write in progress is skipped, never waited for: that write is a checkpoint, which sets
    the lease itself, or a stop, after which the row is no longer running here; the next
    renewal comes a third of a lease later anyway."""
    held = list(ids)
    if held and _dialect(session) == "postgresql":
        held = await _lock_in_order(session, owner, held, skip_locked=True)
    if held:
        await session.execute(
            update(Transaction)
            .where(*_held(owner, held))
            .values(lease_expires_at=now + lease)
            .execution_options(synchronize_session=False)
        )


async def release(session: AsyncSession, *, owner: str, ids: Iterable[str], now: datetime) -> None:
    """Hand transactions back (shutdown): Queued again at their current step, due now."""
    held = list(ids)
    if held and _dialect(session) == "postgresql":
        # Each must be handed back: wait for a row's checkpoint, but lock in its order.
        held = await _lock_in_order(session, owner, held, skip_locked=False)
    if held:
        await session.execute(
            update(Transaction)
            .where(*_held(owner, held))
            .values(
                status=Status.QUEUED.value,
                lease_owner=None,
                lease_expires_at=None,
                due_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )


@dataclass
class StepRecord:
    """One step's outcome: its step data."""

    step_id: str
    step_name: str
    status: str  # Success, Warning, Error, Skipped
    attempt: int
    started_at: datetime
    duration_ms: float
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    output: Any = None
    message: str | None = None
    task: bool = False  # counts as a billable task (engine.runner.counts_as_task)


@dataclass
class IncidentRecord:
    level: str  # Error, Warning
    short_message: str
    full_message: str | None
    step_id: str | None
    step_name: str | None


@dataclass
class Checkpoint:
    """Everything one step changes, written together. ``status`` is where it goes next."""

    status: Status
    step_id: str | None  # the next step (Running/Waiting), or where it ended
    values: dict[str, Any]
    records: list[StepRecord] = field(default_factory=list)
    incidents: list[IncidentRecord] = field(default_factory=list)
    spawned: list[dict[str, Any]] = field(default_factory=list)  # new_row()s
    due_at: datetime | None = None  # Waiting: when to resume
    attempt: int = 0
    message: str | None = None
    keep_payload: bool = False
    # Get trigger state: the step's new LastSuccessfulRunDate and the item ids now seen.
    last_successful_run: tuple[str, datetime] | None = None
    seen_items: list[str] = field(default_factory=list)
    discard: bool = False  # a trigger run that found nothing leaves no transaction


# A checkpoint's statements, built once (Core: no ORM work per row). The update and the
# delete apply only while the lease is still the writer's.
_HELD = (
    _TABLE.c.id == bindparam("held_id"),
    _TABLE.c.lease_owner == bindparam("held_by"),
    _TABLE.c.status == Status.RUNNING.value,
)
_CHECKPOINT = _TABLE.update().where(*_HELD)
_DISCARD = _TABLE.delete().where(*_HELD)
_INSERT_STEP_RUNS = _table(StepRun).insert()
_INSERT_TASK_USAGE = _table(TaskUsage).insert()
_INSERT_INCIDENTS = _table(Incident).insert()


@dataclass
class NewRows:
    """Step data, task counts and incidents of several checkpoints, inserted together: one
    statement per table for a group of checkpoints instead of one per checkpoint."""

    steps: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)

    async def insert(self, session: AsyncSession) -> None:
        for statement, rows in (
            (_INSERT_STEP_RUNS, self.steps),
            (_INSERT_TASK_USAGE, self.tasks),
            (_INSERT_INCIDENTS, self.incidents),
        ):
            if rows:
                await session.execute(statement, rows)


async def checkpoint(
    session: AsyncSession,
    claimed: Claimed,
    *,
    owner: str,
    now: datetime,
    lease: timedelta,
    change: Checkpoint,
    new_rows: NewRows,
) -> None:
    """Write one step's outcome and the transaction's next position (LeaseLost if not ours).

    Its step data, task count and incidents are added to ``new_rows``, which the caller
    inserts in the same database transaction (for a whole group of checkpoints at once)."""
    if not allowed(Status.RUNNING, change.status):
        raise ValueError(f"a running transaction cannot become {change.status}")
    errors = sum(1 for i in change.incidents if i.level == "Error")
    warnings = len(change.incidents) - errors
    ours = {"held_id": claimed.id, "held_by": owner}
    if change.discard:
        result = await session.execute(_DISCARD, ours)
    else:
        ended = change.status in ENDED
        running = change.status is Status.RUNNING
        # The statement is built once; its SET clause is these parameters' names.
        result = await session.execute(
            _CHECKPOINT,
            ours
            | {
                "status": change.status.value,
                "step_id": change.step_id,
                "values": change.values,
                "payload": claimed.payload if change.keep_payload else None,
                "attempt": change.attempt,
                "steps_run": claimed.steps_run + len(change.records),
                "error_count": claimed.error_count + errors,
                "warning_count": claimed.warning_count + warnings,
                "message": change.message,
                # Running keeps a due time too, so that an orphan (its lease expired) is
                # taken over in due order: NULLs sort first on SQLite but last on PostgreSQL.
                "due_at": change.due_at
                if change.status is Status.WAITING
                else (now if running else None),
                "lease_owner": owner if running else None,
                "lease_expires_at": now + lease if running else None,
                "ended_at": now if ended else None,
                "updated_at": now,
            },
        )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"Transaction {claimed.id} is no longer held by this process")
    if change.records and not change.discard:
        new_rows.steps.extend(
            [
                {
                    "transaction_id": claimed.id,
                    "sequence": claimed.steps_run + offset + 1,
                    "step_id": r.step_id,
                    "step_name": r.step_name,
                    "status": r.status,
                    "attempt": r.attempt,
                    "started_at": r.started_at,
                    "duration_ms": r.duration_ms,
                    "exchanges": r.exchanges,
                    "output": r.output,
                    "message": r.message,
                }
                for offset, r in enumerate(change.records)
            ]
        )
    tasks = sum(1 for r in change.records if r.task)
    if tasks and not change.discard:
        new_rows.tasks.append(
            {
                "account_id": claimed.account_id,
                "cycle_id": claimed.cycle_id,
                "source": TASK_SOURCE_CYCLE,
                "tasks": tasks,
                "counted_at": now,
            }
        )
    if change.incidents:
        new_rows.incidents.extend(
            [
                {
                    "id": new_id(),
                    "account_id": claimed.account_id,
                    "cycle_id": claimed.cycle_id,
                    "transaction_id": None if change.discard else claimed.id,
                    "step_id": i.step_id,
                    "step_name": i.step_name,
                    "level": i.level,
                    "short_message": i.short_message,
                    "full_message": i.full_message,
                    "created_at": now,
                }
                for i in change.incidents
            ]
        )
    await insert_rows(session, change.spawned)
    if change.last_successful_run is not None:
        step_id, when = change.last_successful_run
        # Only forward: a slower run finishing late must not move it back.
        await session.execute(
            update(CycleStep)
            .where(
                CycleStep.id == step_id,
                or_(
                    CycleStep.last_successful_run_at.is_(None),
                    CycleStep.last_successful_run_at < when,
                ),
            )
            .values(last_successful_run_at=when)
            .execution_options(synchronize_session=False)
        )
        if change.seen_items:
            await _remember_seen(session, step_id, change.seen_items, now)


def seen_key(value: object) -> str:
    """An item id as stored: ids longer than the column are kept as their SHA-256."""
    text = str(value)
    if len(text) <= 200:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


async def _remember_seen(
    session: AsyncSession, step_id: str, keys: list[str], now: datetime
) -> None:
    """Every id the trigger handed on or saw again, with when it was last seen (so that
    ids an API keeps returning are never forgotten by the retention of seen items)."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    make = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {"cycle_step_id": step_id, "item_key": key, "seen_at": now} for key in dict.fromkeys(keys)
    ]
    for start in range(0, len(rows), 500):
        statement = make(SeenItem).values(rows[start : start + 500])
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["cycle_step_id", "item_key"], set_={"seen_at": now}
            )
        )


async def _stop(session: AsyncSession, where: Any, message: str, now: datetime) -> int:
    result = await session.execute(
        update(Transaction)
        .where(where)
        .values(
            status=Status.STOPPED.value,
            message=message,
            lease_owner=None,
            lease_expires_at=None,
            due_at=None,
            ended_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def stop_in_progress(session: AsyncSession, *, cycle_id: str, now: datetime) -> int:
    """A cycle stopped without finishing: what has started ends Stopped; the queue waits."""
    started = and_(
        Transaction.cycle_id == cycle_id,
        or_(
            Transaction.status.in_((Status.RUNNING.value, Status.WAITING.value)),
            and_(Transaction.status == Status.QUEUED.value, Transaction.steps_run > 0),
        ),
    )
    return await _stop(session, started, "Transaction Stopped", now)


async def cancel_stale_queue(session: AsyncSession, *, now: datetime, after: timedelta) -> int:
    """What is left of cycles stopped longer than ``after`` (queued, waiting, or orphaned by
    a process that died) is cancelled: Stopped, never left in progress for ever."""
    stale_cycles = select(Cycle.id).where(
        Cycle.status != CycleStatus.ACTIVE.value,
        Cycle.draining == false(),
        Cycle.stopped_at.is_not(None),
        Cycle.stopped_at <= now - after,
    )
    left = and_(
        Transaction.cycle_id.in_(stale_cycles),
        or_(
            Transaction.status.in_((Status.QUEUED.value, Status.WAITING.value)),
            and_(Transaction.status == Status.RUNNING.value, Transaction.lease_expires_at < now),
        ),
    )
    return await _stop(
        session, left, "Transaction Stopped: the cycle stayed stopped with it queued", now
    )


async def replay(
    session: AsyncSession, *, account_id: str, ids: Sequence[str], now: datetime
) -> list[str]:
    """Errored or Stopped transactions queued again at the step where they ended."""
    result = await session.execute(
        update(Transaction)
        .where(
            Transaction.account_id == account_id,
            Transaction.id.in_(list(ids)),
            Transaction.status.in_((Status.ERRORED.value, Status.STOPPED.value)),
            Transaction.step_id.is_not(None),
            Transaction.purged_at.is_(None),
        )
        .values(
            status=Status.QUEUED.value,
            due_at=now,
            attempt=0,
            ended_at=None,
            message=None,
            purge_after=None,
            updated_at=now,
        )
        .returning(Transaction.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result.all()]
