"""Activating and deactivating cycles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.spec.models import MethodKind
from junction.cycles import prerequisites
from junction.cycles.models import Cycle, CycleStep
from junction.errors import BadRequest
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument

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


async def _trigger_is_webhook(
    *, session: AsyncSession, cycle: Cycle, cycle_steps: list[CycleStep]
) -> bool:
    release = await session.get(TemplateRelease, cycle.template_release_id)
    assert release is not None
    document = TemplateDocument.model_validate(release.document)
    entered = {edge.HeadStepKey for edge in document.Edges}
    trigger = next(
        (s for s in document.Steps if s.StepType is StepKind.METHOD and s.Key not in entered),
        None,
    )
    cycle_step = next((c for c in cycle_steps if trigger and c.step_key == trigger.Key), None)
    if trigger is None or cycle_step is None:
        return False
    _, method = await prerequisites.step_method(
        session=session, cycle_step=cycle_step, step=trigger
    )
    return method is not None and method.MethodType is MethodKind.WEBHOOK


async def activate(
    *,
    session: AsyncSession,
    cycle: Cycle,
    cycle_steps: list[CycleStep],
    activate_in: ActivateIn,
    now: datetime,
) -> Cycle:
    interval = activate_in.Interval
    if interval is not None and interval not in ALLOWED_INTERVALS:
        raise BadRequest(
            f"Interval: {interval} is not allowed; use one of "
            + ", ".join(map(str, ALLOWED_INTERVALS))
        )
    unmet = await prerequisites.of_cycle(session=session, cycle=cycle, cycle_steps=cycle_steps)
    if unmet:
        raise PrerequisitesUnmet(unmet)
    webhook = await _trigger_is_webhook(session=session, cycle=cycle, cycle_steps=cycle_steps)
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
