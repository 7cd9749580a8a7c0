"""The cycle state machine: the only code that writes a cycle's status and its companions
(``draining``, ``next_run_at``, ``stopped_at``, ``consecutive_errors``) and its ``version``.

    Paused ⇄ Active → Finishing → Paused

A cycle is **Active** (it takes webhook calls and runs its schedule), **Finishing** (paused,
but what it had queued or started still runs to its end) or **Paused**. The API shows
Cyclr's two statuses: Finishing is stored as Paused with ``draining`` set.

Every change but the end of a drain gives the cycle a new ``version``, and so does every
edit of what a compiled cycle is made of (``touch``): caches of compiled cycles key on it.
A counter, unlike a timestamp, cannot stand still between two changes (a coarse or test
clock did, and a stale plan ran), and it is raised in SQL, so two writers never lose one
another's increment even when they did not lock the row.

Every write is one Core UPDATE: the engine runs them inside its checkpoint transaction, and
ORM callers get their object refreshed from the same statement. Each carries the execution
option ``CHANGE_OPTION`` naming what it did, for logs and tests.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Update, and_, false, or_, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles.models import Cycle
from junction.errors import Conflict

CHANGE_OPTION = "junction_cycle_change"


class CycleStatus(StrEnum):
    """What ``cycles.status`` holds (and the API shows)."""

    ACTIVE = "Active"
    PAUSED = "Paused"


class Phase(StrEnum):
    """Where a cycle is in the state machine: its status and ``draining`` together."""

    ACTIVE = "Active"
    FINISHING = "Finishing"
    PAUSED = "Paused"


STORED: dict[Phase, tuple[CycleStatus, bool]] = {
    Phase.ACTIVE: (CycleStatus.ACTIVE, False),
    Phase.FINISHING: (CycleStatus.PAUSED, True),
    Phase.PAUSED: (CycleStatus.PAUSED, False),
}


class Change(StrEnum):
    ACTIVATE = "Activate"
    PAUSE = "Pause"  # deactivated: what has started ends Stopped
    PAUSE_AND_FINISH = "PauseAndFinish"  # deactivated with finishQueuedTransactions
    RUN_ONCE_STARTED = "RunOnceStarted"  # a RunOnce cycle queued its one run
    PAUSE_FOR_ERRORS = "PauseForErrors"  # the consecutive error limit was reached
    STOP_INTEGRATION = "StopIntegration"  # a step's error action
    UPGRADE_PAUSE = "UpgradePause"  # upgraded to a release it is not set up for
    DRAINED = "Drained"  # a Finishing cycle has nothing left in progress


# Every allowed change, from each phase. A change not listed is refused (IllegalTransition).
TRANSITIONS: dict[Phase, dict[Change, Phase]] = {
    Phase.ACTIVE: {
        Change.ACTIVATE: Phase.ACTIVE,  # activated again: a new schedule
        Change.PAUSE: Phase.PAUSED,
        Change.PAUSE_AND_FINISH: Phase.FINISHING,
        Change.RUN_ONCE_STARTED: Phase.FINISHING,
        Change.PAUSE_FOR_ERRORS: Phase.PAUSED,
        Change.STOP_INTEGRATION: Phase.PAUSED,
        Change.UPGRADE_PAUSE: Phase.PAUSED,
    },
    Phase.FINISHING: {
        Change.ACTIVATE: Phase.ACTIVE,
        Change.PAUSE: Phase.PAUSED,
        Change.PAUSE_AND_FINISH: Phase.FINISHING,
        Change.DRAINED: Phase.PAUSED,
    },
    Phase.PAUSED: {
        Change.ACTIVATE: Phase.ACTIVE,
        Change.PAUSE: Phase.PAUSED,
        Change.PAUSE_AND_FINISH: Phase.PAUSED,  # nothing of it runs: nothing to finish
    },
}

FIRST_RUN, NOW = "first run", "now"  # filled in when the change is made
_STOPPED = {"next_run_at": None, "stopped_at": NOW}

# What each change sets besides status and draining. ``stopped_at`` dates a stop, so that
# a queue left behind by a cycle stopped too long is cancelled.
COMPANIONS: dict[Change, dict[str, Any]] = {
    Change.ACTIVATE: {"next_run_at": FIRST_RUN, "stopped_at": None, "consecutive_errors": 0},
    Change.PAUSE: _STOPPED,
    Change.PAUSE_AND_FINISH: _STOPPED,
    Change.RUN_ONCE_STARTED: _STOPPED,
    Change.PAUSE_FOR_ERRORS: _STOPPED,
    Change.STOP_INTEGRATION: _STOPPED,
    Change.UPGRADE_PAUSE: _STOPPED,
    Change.DRAINED: {},
}

# The end of a drain changes nothing a caller could be holding on to: an activation that
# installs webhooks meanwhile must not see it as a concurrent edit.
NEW_VERSION = frozenset(Change) - {Change.DRAINED}

_WHAT: dict[Change, str] = {
    Change.ACTIVATE: "be activated",
    Change.PAUSE: "be deactivated",
    Change.PAUSE_AND_FINISH: "be deactivated",
    Change.RUN_ONCE_STARTED: "start its one run",
    Change.PAUSE_FOR_ERRORS: "be paused for repeated errors",
    Change.STOP_INTEGRATION: "be stopped by a step's error",
    Change.UPGRADE_PAUSE: "be paused by an upgrade",
    Change.DRAINED: "end its finishing",
}


class IllegalTransition(Conflict):
    """The change does not apply to the cycle as it is (or has just become)."""


def phase_of(cycle: Cycle) -> Phase:
    if cycle.status == CycleStatus.ACTIVE:
        return Phase.ACTIVE
    return Phase.FINISHING if cycle.draining else Phase.PAUSED


def target(before: Phase, change: Change) -> Phase:
    after = TRANSITIONS[before].get(change)
    if after is None:
        raise IllegalTransition(f"A cycle that is {before} cannot {_WHAT[change]}")
    return after


def in_phase(phase: Phase) -> ColumnElement[bool]:
    status, draining = STORED[phase]
    return and_(Cycle.status == status.value, Cycle.draining == (true() if draining else false()))


def running() -> ColumnElement[bool]:
    """Cycles whose transactions may run: Active or Finishing."""
    return or_(Cycle.status == CycleStatus.ACTIVE.value, Cycle.draining)


def values(
    change: Change, before: Phase, *, now: datetime, first_run: datetime | None = None
) -> dict[str, Any]:
    """The columns ``change`` writes to a cycle in phase ``before`` (IllegalTransition when
    it does not apply there). ``first_run``: an activated scheduled cycle's next run."""
    status, draining = STORED[target(before, change)]
    written: dict[str, Any] = {"status": status.value, "draining": draining}
    for column, value in COMPANIONS[change].items():
        written[column] = {FIRST_RUN: first_run, NOW: now}.get(value, value)
    if change in NEW_VERSION:
        written |= {"version": Cycle.version + 1, "updated_at": now}
    return written


def initial_state() -> dict[str, Any]:
    """A new cycle's columns: Paused, first version."""
    return {
        "status": CycleStatus.PAUSED.value,
        "draining": False,
        "next_run_at": None,
        "stopped_at": None,
        "consecutive_errors": 0,
        "version": 1,
    }


def _tagged(statement: Update, what: str) -> Update:
    return statement.execution_options(**{CHANGE_OPTION: what})


def _from(change: Change, before: Phase, now: datetime, first_run: datetime | None) -> Update:
    return _tagged(
        update(Cycle)
        .where(in_phase(before))
        .values(values(change, before, now=now, first_run=first_run)),
        change.value,
    )


# -- ORM callers (the API, the scheduler, webhook intake) ---------------------------------


async def apply(
    session: AsyncSession,
    cycle: Cycle,
    change: Change,
    *,
    now: datetime,
    first_run: datetime | None = None,
) -> None:
    """Make ``change`` to the (loaded) cycle; IllegalTransition (409) when it does not apply,
    also when another writer changed the cycle since it was read."""
    before = phase_of(cycle)
    if change not in TRANSITIONS[before]:
        raise IllegalTransition(f"Cycle '{cycle.name}' is {before}: it cannot {_WHAT[change]}")
    result = await session.execute(
        _from(change, before, now, first_run).where(Cycle.id == cycle.id).returning(Cycle.version),
        execution_options={"synchronize_session": "fetch"},
    )
    if result.first() is None:
        raise IllegalTransition(
            f"Cycle '{cycle.name}' changed meanwhile: it cannot {_WHAT[change]} now"
        )


async def touch(session: AsyncSession, cycle: Cycle) -> None:
    """A new version: something a compiled cycle is made of changed (steps, edges, mappings,
    variables, settings, release)."""
    await touch_where(session, Cycle.id == cycle.id)


async def touch_where(session: AsyncSession, *where: ColumnElement[bool]) -> None:
    """A new version for every cycle matching ``where``."""
    await session.execute(
        _tagged(update(Cycle).where(*where).values(version=Cycle.version + 1), "Touch"),
        execution_options={"synchronize_session": "fetch"},
    )


async def reschedule(session: AsyncSession, cycles: list[Cycle], next_run: datetime | None) -> None:
    """The next run of active scheduled cycles that share it, in one statement (not a
    change of state: same version)."""
    await session.execute(
        _tagged(
            update(Cycle)
            .where(Cycle.id.in_([cycle.id for cycle in cycles]), in_phase(Phase.ACTIVE))
            .values(next_run_at=next_run),
            "Reschedule",
        ),
        execution_options={"synchronize_session": "fetch"},
    )


# -- Core statements (the engine, housekeeping) ------------------------------------------


def statement(change: Change, *where: ColumnElement[bool], now: datetime) -> Update:
    """One UPDATE making ``change`` to the cycles matching ``where`` that are in the one
    phase it applies from; its rowcount says how many it changed."""
    sources = [phase for phase, moves in TRANSITIONS.items() if change in moves]
    if len(sources) != 1:
        raise ValueError(f"{change} applies from several phases: use apply() on the cycle")
    return (
        _from(change, sources[0], now, None)
        .where(*where)
        .execution_options(synchronize_session=False)
    )


def count_error_statement(cycle_id: str) -> Update:
    """One more transaction in a row ended in error; RETURNING the new count."""
    return _tagged(
        update(Cycle)
        .where(Cycle.id == cycle_id)
        .values(consecutive_errors=Cycle.consecutive_errors + 1)
        .returning(Cycle.consecutive_errors)
        .execution_options(synchronize_session=False),
        "CountError",
    )


def reset_errors_statement(cycle_id: str) -> Update:
    """A transaction completed: the run of errors is over (writes nothing when there is none)."""
    return _tagged(
        update(Cycle)
        .where(Cycle.id == cycle_id, Cycle.consecutive_errors > 0)
        .values(consecutive_errors=0)
        .execution_options(synchronize_session=False),
        "ResetErrors",
    )


# -- Guards ------------------------------------------------------------------------------


def require_paused(cycle: Cycle) -> None:
    """Structural edits wait until nothing of the cycle runs."""
    if cycle.status == CycleStatus.ACTIVE:
        raise Conflict(f"Cycle '{cycle.name}' is active; deactivate it before changing it")
    if cycle.draining:
        raise Conflict(
            f"Cycle '{cycle.name}' is finishing its queued transactions; change it once they "
            "have ended, or deactivate it without finishQueuedTransactions"
        )
