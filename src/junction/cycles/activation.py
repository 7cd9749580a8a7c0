"""Activating and deactivating cycles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles import prerequisites
from junction.cycles.models import Cycle
from junction.cycles.structure import Structure
from junction.errors import BadRequest

# Cyclr's schedule choices, in minutes: 1 minute up to a week.
ALLOWED_INTERVALS = (1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080)


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    StartTime: datetime | None = Field(None, description="First run; now when omitted. UTC.")
    Interval: int | None = Field(
        None, description=f"Minutes between runs, one of {', '.join(map(str, ALLOWED_INTERVALS))}."
    )
    RunOnce: bool = Field(False, description="Run once, then pause.")


class PrerequisitesUnmet(BadRequest):
    def __init__(self, unmet: list[prerequisites.Prerequisite]) -> None:
        super().__init__("The cycle cannot be activated yet: " + "; ".join(p.Reason for p in unmet))
        self.unmet = unmet

    def body(self) -> dict[str, Any]:
        return {"Message": self.message, "Prerequisites": [vars(p) for p in self.unmet]}


async def activate(
    *, session: AsyncSession, structure: Structure, activate_in: ActivateIn, now: datetime
) -> Cycle:
    cycle = structure.cycle
    interval = activate_in.Interval
    if interval is not None and interval not in ALLOWED_INTERVALS:
        raise BadRequest(
            f"Interval: {interval} is not allowed; use one of "
            + ", ".join(map(str, ALLOWED_INTERVALS))
        )
    unmet = await prerequisites.of_cycle(session=session, structure=structure)
    if unmet:
        raise PrerequisitesUnmet(unmet)
    webhook = structure.is_webhook_triggered()
    if not webhook and not activate_in.RunOnce and interval is None:
        raise BadRequest("Interval: required for a cycle whose trigger runs on a schedule")
    start = activate_in.StartTime
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    cycle.status = "Active"
    # A webhook trigger runs when called: Interval does not apply to it.
    cycle.interval_minutes = None if webhook else interval
    cycle.start_time = start or now
    cycle.run_once = activate_in.RunOnce
    cycle.updated_at = now
    await session.flush()
    return cycle


async def deactivate(*, session: AsyncSession, cycle: Cycle, now: datetime) -> Cycle:
    cycle.status = "Paused"
    cycle.updated_at = now
    await session.flush()
    return cycle
