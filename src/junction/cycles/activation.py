"""Activating and deactivating cycles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import Instant
from junction.cycles import draft_runs, lifecycle, prerequisites, webhook_urls
from junction.cycles.lifecycle import Change
from junction.cycles.models import Cycle
from junction.cycles.structure import Structure
from junction.engine import transactions
from junction.errors import BadRequest

# Cyclr's schedule choices, in minutes: 1 minute up to a week.
ALLOWED_INTERVALS = (1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080)


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    StartTime: Instant | None = Field(None, description="First run; now when omitted. UTC.")
    Interval: int | None = Field(
        None,
        description=f"Minutes between runs, one of {', '.join(map(str, ALLOWED_INTERVALS))}; "
        "0 is read as none.",
    )
    RunOnce: bool = Field(False, description="Run once, then pause.")

    @field_validator("Interval", mode="before")
    @classmethod
    def _zero_is_none(cls, value: Any) -> Any:
        # Cyclr's own example sends Interval 0 with RunOnce: no schedule, as when omitted.
        return None if value == 0 and not isinstance(value, bool) else value


class PrerequisitesUnmet(BadRequest):
    def __init__(self, unmet: list[prerequisites.Prerequisite]) -> None:
        super().__init__("The cycle cannot be activated yet: " + "; ".join(p.Reason for p in unmet))
        self.unmet = unmet

    def body(self) -> dict[str, Any]:
        return {"Message": self.message, "Prerequisites": [vars(p) for p in self.unmet]}


async def check(*, session: AsyncSession, structure: Structure, activate_in: ActivateIn) -> None:
    """Refuse an activation that cannot work, before anything changes (or is called)."""
    if draft_runs.is_test_cycle(structure.cycle):
        # It runs a Draft release, which may still change under it.
        raise BadRequest(
            "Id: this cycle holds the builder's test runs and is never activated; publish "
            "the template and install it to run it for real"
        )
    interval = activate_in.Interval
    if interval is not None and interval not in ALLOWED_INTERVALS:
        raise BadRequest(
            f"Interval: {interval} is not allowed; use one of "
            + ", ".join(map(str, ALLOWED_INTERVALS))
        )
    unmet = await prerequisites.of_cycle(session=session, structure=structure)
    if unmet:
        raise PrerequisitesUnmet(unmet)
    if not structure.is_webhook_triggered() and not activate_in.RunOnce and interval is None:
        raise BadRequest("Interval: required for a cycle whose trigger runs on a schedule")


async def activate(
    *, session: AsyncSession, structure: Structure, activate_in: ActivateIn, now: datetime
) -> Cycle:
    cycle = structure.cycle
    await check(session=session, structure=structure, activate_in=activate_in)
    interval = activate_in.Interval
    webhook = structure.is_webhook_triggered()
    start = activate_in.StartTime
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    for cycle_step in structure.steps:
        webhook_urls.ensure_identifier(cycle_step)  # steps stored before identifiers existed
    # A webhook trigger runs when called: Interval does not apply to it.
    cycle.interval_minutes = None if webhook else interval
    cycle.start_time = start or now
    cycle.run_once = activate_in.RunOnce
    await lifecycle.apply(
        session,
        cycle,
        Change.ACTIVATE,
        now=now,
        first_run=None if webhook else cycle.start_time,
    )
    return cycle


async def deactivate(
    *, session: AsyncSession, cycle: Cycle, now: datetime, finish_queued: bool = False
) -> Cycle:
    """Stop: what has started ends Stopped, the queue waits for a restart (and is cancelled
    after a while). Finish and stop: everything queued or started runs to its end first."""
    if finish_queued:
        await lifecycle.apply(session, cycle, Change.PAUSE_AND_FINISH, now=now)
    else:
        await lifecycle.apply(session, cycle, Change.PAUSE, now=now)
        await transactions.stop_in_progress(session, cycle_id=cycle.id, now=now)
    return cycle
