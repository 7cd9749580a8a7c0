"""Creating a cycle in an account, and changing its settings and variables.

An active cycle must be deactivated before it changes (409), so a running transaction never
sees its cycle change under it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import NonNegativeInt32
from junction.cycles import lifecycle
from junction.cycles.lifecycle import require_paused
from junction.cycles.models import Cycle
from junction.errors import BadRequest, Conflict, NotFound
from junction.templates.spec.models import (
    CollectionSplit,
    ErrorAction,
    TemplateSettings,
    Variable,
    VariableNameText,
)

# Cyclr's clients send the short names.
_SPLIT_NAMES = {"All": "AllSteps", "First": "FirstStep"}


class CycleUpdate(BaseModel):
    """Partial: omitted fields stay."""

    model_config = ConfigDict(extra="forbid")

    Name: str | None = Field(None, min_length=1, max_length=255)
    Description: str | None = None
    StepErrorAction: ErrorAction | None = None
    RetryAttempts: int | None = Field(None, ge=1, le=5)
    ContinueOnStepError: bool | None = None
    CollectionSplitType: CollectionSplit | None = Field(
        None, description="FirstStep, AllSteps or None (All and First are accepted too)."
    )
    LogStepDataRequests: bool | None = None
    StepDataSuccessRetentionHours: NonNegativeInt32 | None = None
    StepDataErroredRetentionHours: NonNegativeInt32 | None = None

    @field_validator("CollectionSplitType", mode="before")
    @classmethod
    def _short_names(cls, value: Any) -> Any:
        return _SPLIT_NAMES.get(value, value) if isinstance(value, str) else value


class CycleCreate(CycleUpdate):
    Name: str = Field(min_length=1, max_length=255)


class VariableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Value: str | None


class NamedVariableIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    SystemName: VariableNameText
    Value: str | None = None


SETTING_FIELDS = (
    "StepErrorAction",
    "RetryAttempts",
    "ContinueOnStepError",
    "CollectionSplitType",
    "LogStepDataRequests",
    "StepDataSuccessRetentionHours",
    "StepDataErroredRetentionHours",
)


def _apply_settings(cycle: Cycle, update_in: CycleUpdate) -> None:
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
            value = getattr(update_in, name)
            if value is None and not name.endswith("Hours"):
                raise BadRequest(f"{name}: cannot be cleared")
            settings[name] = value
    cycle.settings = TemplateSettings.model_validate(settings).model_dump(mode="json")


async def create(
    *, session: AsyncSession, account_id: str, create_in: CycleCreate, now: datetime
) -> Cycle:
    """An empty, Paused cycle of the account's own, built with the steps and edges API."""
    cycle = Cycle(
        id=str(uuid.uuid4()),
        account_id=account_id,
        template_id=None,
        template_release_id=None,
        name=create_in.Name,
        description=create_in.Description,
        settings=TemplateSettings().model_dump(mode="json"),
        variables=[],
        run_once=False,
        created_at=now,
        updated_at=now,
        **lifecycle.initial_state(),
    )
    _apply_settings(cycle, create_in)
    session.add(cycle)
    await session.flush()
    return cycle


async def update(
    *, session: AsyncSession, cycle: Cycle, update_in: CycleUpdate, now: datetime
) -> Cycle:
    require_paused(cycle)
    _apply_settings(cycle, update_in)
    cycle.updated_at = now
    await lifecycle.touch(session, cycle)
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


def get_variable(cycle: Cycle, name: str) -> dict[str, Any]:
    for variable in variables_out(cycle):
        if variable["SystemName"].lower() == name.lower():
            return variable
    raise NotFound(f"Cycle '{cycle.name}' has no variable '{name}'")


async def _save_variables(
    session: AsyncSession, cycle: Cycle, variables: list[dict[str, Any]], now: datetime
) -> None:
    cycle.variables = variables
    cycle.updated_at = now
    await lifecycle.touch(session, cycle)


async def set_variable(
    *, session: AsyncSession, cycle: Cycle, name: str, value: str | None, now: datetime
) -> dict[str, Any]:
    require_paused(cycle)
    variables = [dict(v) for v in cycle.variables]
    for variable in variables:
        if variable["SystemName"].lower() == name.lower():
            variable["Value"] = value
            await _save_variables(session, cycle, variables, now)
            return get_variable(cycle, name)
    raise NotFound(f"Cycle '{cycle.name}' has no variable '{name}'")


async def set_variables(
    *, session: AsyncSession, cycle: Cycle, values: list[NamedVariableIn], now: datetime
) -> list[dict[str, Any]]:
    """Several values at once: all are set, or (one name unknown) none."""
    require_paused(cycle)
    variables = [dict(v) for v in cycle.variables]
    by_name = {v["SystemName"].lower(): v for v in variables}
    for index, item in enumerate(values):
        variable = by_name.get(item.SystemName.lower())
        if variable is None:
            raise BadRequest(
                f"[{index}].SystemName: cycle '{cycle.name}' has no variable '{item.SystemName}'"
            )
        variable["Value"] = item.Value
    await _save_variables(session, cycle, variables, now)
    return variables_out(cycle)


async def add_variable(
    *, session: AsyncSession, cycle: Cycle, variable: Variable, now: datetime
) -> dict[str, Any]:
    require_paused(cycle)
    if any(v["SystemName"].lower() == variable.SystemName.lower() for v in cycle.variables):
        raise Conflict(f"Cycle '{cycle.name}' already has a variable '{variable.SystemName}'")
    await _save_variables(session, cycle, [*cycle.variables, variable.model_dump(mode="json")], now)
    return get_variable(cycle, variable.SystemName)


async def remove_variable(*, session: AsyncSession, cycle: Cycle, name: str, now: datetime) -> None:
    """Mappings that read the variable are reported by the prerequisites afterwards."""
    require_paused(cycle)
    get_variable(cycle, name)
    kept = [v for v in cycle.variables if v["SystemName"].lower() != name.lower()]
    await _save_variables(session, cycle, kept, now)
