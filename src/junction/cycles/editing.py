"""Creating a cycle in an account, and changing its settings and variables.

An active cycle must be deactivated before it changes (409), so a running transaction never
sees its cycle change under it.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import NonNegativeInt32
from junction.cycles import lifecycle
from junction.cycles.lifecycle import require_paused
from junction.cycles.models import Cycle
from junction.cycles.schemas import CycleOut
from junction.errors import BadRequest, Conflict, NotFound
from junction.guids import GuidText
from junction.templates.spec.models import (
    CollectionSplit,
    ErrorAction,
    TemplateSettings,
    Variable,
    VariableNameText,
)
from junction.tolerant import TolerantInput

# Cyclr's clients send the short names.
_SPLIT_NAMES = {"All": "AllSteps", "First": "FirstStep"}


class CycleUpdate(TolerantInput):
    """Partial: omitted fields stay."""

    # A cycle's answer sent back: what it shows but the call does not set (Id, Status, the
    # counts...) is ignored, as is Cyclr's Shareable (no cycle is shared here). (Set in full
    # below, from CycleOut: a field this schema has is always read.)
    READ_ONLY = frozenset({"Shareable"})

    Name: str | None = Field(None, min_length=1, max_length=255)
    Description: str | None = None
    Tags: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=50, description="Replace the cycle's tags (the list filters by them)."
    )
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


CycleUpdate.READ_ONLY = CycleUpdate.READ_ONLY | frozenset(CycleOut.model_fields)


class CycleCreate(CycleUpdate):
    Id: GuidText | None = Field(
        None,
        description="Your own GUID for the cycle (to recreate one with the id it had "
        "elsewhere); a new one when omitted.",
    )
    Name: str = Field(min_length=1, max_length=255)


# A variable's answer sent back: its names are fixed (the path names it) and every variable
# of a cycle is a static value.
_VARIABLE_READ_ONLY = frozenset({"DisplayName", "MappingType", "IsLaunchVisible"})


class VariableIn(TolerantInput):
    READ_ONLY = _VARIABLE_READ_ONLY | {"SystemName"}

    Value: str | None


class NamedVariableIn(TolerantInput):
    READ_ONLY = _VARIABLE_READ_ONLY

    SystemName: VariableNameText
    Value: str | None = None


class NewVariableIn(TolerantInput):
    """A variable to add. Without SystemName, it is derived from DisplayName: letters,
    digits and underscores kept, every other run of characters one underscore, and an
    underscore in front of a leading digit ("Customer email" becomes Customer_email)."""

    SystemName: VariableNameText | None = None
    DisplayName: str | None = Field(None, max_length=255)
    Value: str | None = None
    IsLaunchVisible: bool = False
    MappingType: Literal["StaticValue"] | None = Field(
        None, description="Cyclr's; a cycle variable is always a static value."
    )

    def variable(self) -> Variable:
        """The variable as stored; BadRequest names the field when no name can be had."""
        name = self.SystemName
        if name is None:
            if not (self.DisplayName or "").strip():
                raise BadRequest("SystemName: required (or a DisplayName to derive it from)")
            name = system_name_of(self.DisplayName or "")
        return Variable(
            SystemName=name,
            DisplayName=self.DisplayName,
            Value=self.Value,
            IsLaunchVisible=self.IsLaunchVisible,
        )


def system_name_of(display_name: str) -> str:
    """A SystemName made from a DisplayName (see NewVariableIn)."""
    name = re.sub(r"[^A-Za-z0-9_]+", "_", display_name.strip()).strip("_")
    if not name:
        raise BadRequest(
            f"SystemName: required, as DisplayName '{display_name}' has no letter or digit to "
            "make one of"
        )
    if name[0].isdigit():
        name = "_" + name
    return name[:128]


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
    if "Tags" in fields:
        cycle.tags = list(update_in.Tags or [])
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
    cycle_id = create_in.Id or str(uuid.uuid4())
    # Ids are unique across accounts, as Cyclr's are.
    if await session.get(Cycle, cycle_id) is not None:
        raise BadRequest(f"Id: '{cycle_id}' is already in use")
    cycle = Cycle(
        id=cycle_id,
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
