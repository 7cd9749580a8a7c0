"""Changing a cycle's settings and variables; an active cycle must be paused first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles.models import Cycle
from junction.errors import BadRequest, Conflict, NotFound


class CycleUpdate(BaseModel):
    """Partial: omitted fields stay."""

    model_config = ConfigDict(extra="forbid")

    Name: str | None = Field(None, min_length=1, max_length=255)
    Description: str | None = None
    ContinueOnStepError: bool | None = None
    LogStepDataRequests: bool | None = None
    StepDataSuccessRetentionHours: int | None = Field(None, ge=0)
    StepDataErroredRetentionHours: int | None = Field(None, ge=0)


class VariableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Value: str | None


SETTING_FIELDS = (
    "ContinueOnStepError",
    "LogStepDataRequests",
    "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours",
)


def _require_paused(cycle: Cycle) -> None:
    if cycle.status == "Active":
        raise Conflict(f"Cycle '{cycle.name}' is active; deactivate it before changing it")


async def update(
    *, session: AsyncSession, cycle: Cycle, update_in: CycleUpdate, now: datetime
) -> Cycle:
    _require_paused(cycle)
    fields = update_in.model_fields_set
    if "Name" in fields:
        if update_in.Name is None:
            raise BadRequest("Name: cannot be cleared")
        cycle.name = update_in.Name
    if "Description" in fields:
        cycle.description = update_in.Description
    # A new dict, so the JSON column sees the change.
    settings: dict[str, Any] = dict(cycle.settings)
    for name in SETTING_FIELDS:
        if name in fields:
            settings[name] = getattr(update_in, name)
    cycle.settings = settings
    cycle.updated_at = now
    await session.flush()
    return cycle


def variables_out(cycle: Cycle) -> list[dict[str, Any]]:
    return [
        {
            "DisplayName": v.get("DisplayName") or v["SystemName"],
            "SystemName": v["SystemName"],
            "Value": v.get("Value"),
            "MappingType": "StaticValue",
            "IsLaunchVisible": bool(v.get("IsLaunchVisible")),
        }
        for v in cycle.variables
    ]


async def set_variable(
    *, session: AsyncSession, cycle: Cycle, name: str, value: str | None, now: datetime
) -> dict[str, Any]:
    _require_paused(cycle)
    variables = [dict(v) for v in cycle.variables]
    for variable in variables:
        if variable["SystemName"].lower() == name.lower():
            variable["Value"] = value
            cycle.variables = variables
            cycle.updated_at = now
            await session.flush()
            return next(
                v for v in variables_out(cycle) if v["SystemName"] == variable["SystemName"]
            )
    raise NotFound(f"Cycle '{cycle.name}' has no variable '{name}'")
