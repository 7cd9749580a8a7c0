"""What a cycle, or one of its steps, still needs before activation, with Cyclr's ReasonCodes.

A cycle's list names whole steps (ObjectType ``Action``) and account connectors; a step's
list names each parameter and field by Id, so an embedding page can ask for exactly those.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.spec.models import MethodSpec, Target
from junction.cycles.models import CycleStep
from junction.cycles.structure import Structure, problems
from junction.templates.spec.models import MappingKind, StepKind

TOO_FEW_STEPS = 10
DISCONNECTED = 11
UNAUTHENTICATED_CONNECTOR = 20
MISSING_MAPPING = 30
MISSING_DECISION = 31
MISSING_DELAY = 32
MISSING_WAIT_UNTIL = 33
PARAMETER_MAPPING = 40
FIELD_MAPPING = 41
# Junction's own: a value left for the customer to choose (IsLaunchVisible) has none yet.
CUSTOMER_CHOICE = 50

_TOOL_CODES = {
    StepKind.DECISION: MISSING_DECISION,
    StepKind.DELAY: MISSING_DELAY,
    StepKind.WAIT_UNTIL: MISSING_WAIT_UNTIL,
}
_STEP_LOCATION = re.compile(r"^Steps\[(\d+)\]")


@dataclass(frozen=True)
class Prerequisite:
    ReasonCode: int
    Reason: str
    ObjectType: str
    ObjectId: str | int


@dataclass(frozen=True)
class Unmapped:
    """A required input of a method step with no value."""

    kind: str  # "Parameter" or "RequestField"
    position: int
    name: str


def _mapped(mappings: list[dict[str, object]], *names: str) -> bool:
    # A customer's choice counts here: whether it has been made is CUSTOMER_CHOICE's to say.
    return any(
        m.get("Name") in names
        and (m.get("MappingType", "Ignore") != MappingKind.IGNORE or m.get("IsLaunchVisible"))
        for m in mappings
    )


def chosen(mapping: dict[str, object]) -> bool:
    """Whether a customer's choice (an IsLaunchVisible mapping) has a value."""
    kind = mapping.get("MappingType", MappingKind.IGNORE)
    if kind == MappingKind.IGNORE:
        return False
    value = mapping.get("TriggerValue" if kind == MappingKind.LOOKUP else "Value")
    return kind not in (MappingKind.STATIC_VALUE, MappingKind.VALUE_LIST, MappingKind.LOOKUP) or (
        value is not None and str(value).strip() != ""
    )


def unchosen(cycle_step: CycleStep, method: MethodSpec) -> list[str]:
    """The names of the step's required inputs left to the customer and not chosen yet."""
    optional = {p.TargetName for p in method.Parameters if p.Optional}
    optional |= {
        name
        for f in method.RequestFields
        if f.Optional or f.DefaultValue is not None
        for name in (f.SystemField, f.ConnectorField)
        if name
    }
    return [
        str(m.get("Name"))
        for section in ("Parameters", "FieldMappings")
        for m in cycle_step.document.get(section, [])
        if m.get("IsLaunchVisible") and not chosen(m) and m.get("Name") not in optional
    ]


def unmapped(cycle_step: CycleStep, method: MethodSpec) -> list[Unmapped]:
    return unmapped_inputs(cycle_step.document, method)


def unmapped_inputs(step: Mapping[str, Any], method: MethodSpec) -> list[Unmapped]:
    """The required inputs a step document (a cycle's or a template's) leaves without a
    value: what a cycle of it would still need before it can be activated."""
    parameters = list(step.get("Parameters", []))
    fields = list(step.get("FieldMappings", []))
    found = []
    for position, parameter in enumerate(method.Parameters):
        needs_value = (
            parameter.TargetType is not Target.RESPONSE_FIELD
            and not parameter.Optional
            and parameter.Value is None
            and parameter.DefaultValue is None
        )
        if needs_value and not _mapped(parameters, parameter.TargetName):
            found.append(Unmapped("Parameter", position, parameter.TargetName))
    for position, request_field in enumerate(method.RequestFields):
        if request_field.Optional or request_field.DefaultValue is not None:
            continue
        name = request_field.SystemField or request_field.ConnectorField
        if not _mapped(fields, name, request_field.ConnectorField):
            found.append(Unmapped("RequestField", position, name))
    return found


async def of_cycle(*, session: AsyncSession, structure: Structure) -> list[Prerequisite]:
    cycle = structure.cycle
    found: list[Prerequisite] = []
    flow = [s for s in structure.steps if s.document.get("StepType") != StepKind.ANNOTATION]
    if len(flow) < 2:
        found.append(
            Prerequisite(TOO_FEW_STEPS, "A cycle needs at least two steps", "Cycle", cycle.id)
        )
    reported: set[int] = set()
    for cycle_step in structure.steps:
        spec = structure.step_spec(cycle_step)
        if spec.StepType is not StepKind.METHOD:
            continue
        used = structure.connectors.get(cycle_step.account_connector_id or -1)
        if used is None:
            found.append(
                Prerequisite(
                    UNAUTHENTICATED_CONNECTOR,
                    f"Step '{spec.Name}' has no account connector",
                    "Action",
                    cycle_step.id,
                )
            )
            continue
        row = used[0]
        if not row.authenticated and row.id not in reported:
            reported.add(row.id)
            found.append(
                Prerequisite(
                    UNAUTHENTICATED_CONNECTOR,
                    f"Connector '{row.name}' is not authenticated",
                    "AccountConnector",
                    row.id,
                )
            )
        method = structure.method_of(cycle_step)
        missing = unmapped(cycle_step, method) if method else []
        if missing:
            names = ", ".join(
                f"{'parameter' if m.kind == 'Parameter' else 'field'} '{m.name}'" for m in missing
            )
            found.append(
                Prerequisite(
                    MISSING_MAPPING,
                    f"Step '{spec.Name}' needs values for {names}",
                    "Action",
                    cycle_step.id,
                )
            )
        for name in unchosen(cycle_step, method) if method else []:
            found.append(
                Prerequisite(
                    CUSTOMER_CHOICE,
                    f"Step '{spec.Name}': '{name}' is left to the customer and has no value yet",
                    "Action",
                    cycle_step.id,
                )
            )
    for variable in cycle.variables:
        value = variable.get("Value")
        if variable.get("IsLaunchVisible") and (value is None or str(value).strip() == ""):
            name = variable.get("DisplayName") or variable["SystemName"]
            found.append(
                Prerequisite(
                    CUSTOMER_CHOICE,
                    f"Variable '{name}' is left to the customer and has no value yet",
                    "Variable",
                    variable["SystemName"],
                )
            )
    found.extend(await _graph(session=session, structure=structure))
    return found


async def _graph(*, session: AsyncSession, structure: Structure) -> list[Prerequisite]:
    """The template checks, as prerequisites: each names its step, or the cycle's edges."""
    found = []
    for problem in await problems(session=session, structure=structure):
        match = _STEP_LOCATION.match(problem.location)
        if match is None:
            found.append(Prerequisite(DISCONNECTED, problem.message, "Cycle", structure.cycle.id))
            continue
        cycle_step = structure.steps[int(match.group(1))]
        kind = structure.step_spec(cycle_step).StepType
        found.append(
            Prerequisite(
                _TOOL_CODES.get(kind, MISSING_MAPPING), problem.message, "Action", cycle_step.id
            )
        )
    return found


async def of_step(
    *, session: AsyncSession, structure: Structure, cycle_step: CycleStep
) -> list[Prerequisite]:
    method = structure.method_of(cycle_step)
    ids = await structure.method_ids(session=session, cycle_step=cycle_step)
    if method is None or ids is None:
        return [
            p
            for p in await of_cycle(session=session, structure=structure)
            if p.ObjectId == cycle_step.id
        ]
    return [
        Prerequisite(
            PARAMETER_MAPPING,
            f"Parameter '{m.name}' needs a value",
            "Parameter",
            ids.fields[("Parameter", m.position)],
        )
        if m.kind == "Parameter"
        else Prerequisite(
            FIELD_MAPPING,
            f"Field '{m.name}' needs a mapping",
            "ConnectorFieldMapping",
            ids.fields[("RequestField", m.position)],
        )
        for m in unmapped(cycle_step, method)
    ]
