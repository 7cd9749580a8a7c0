"""Step set-up: a method step's parameters and field mappings, as an account fills them in.

The API names inputs by the numeric Ids of the connector's parameters and fields, and
step-data sources by step Id and response-field Id; the cycle stores them by name and step
Key, like a template document, so the graph checks apply unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import Int32
from junction.connectors.accounts import custom_methods
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import MethodIds
from junction.connectors.spec.models import (
    ConnectorDefinition,
    FieldSpec,
    MethodSpec,
    ParameterSpec,
    Target,
)
from junction.cycles import lifecycle
from junction.cycles.lifecycle import require_paused
from junction.cycles.models import CycleStep
from junction.cycles.structure import Structure
from junction.errors import BadRequest, NotFound
from junction.templates.spec.graph import ancestors_of, check_mapping
from junction.templates.spec.models import Mapping, MappingKind
from junction.tolerant import TolerantInput

PARAMETERS, FIELDS = "Parameters", "FieldMappings"
# The request field a refused mapping is reported against.
_FIELD_OF = {
    MappingKind.STEP_DATA: "SourceStepId",
    MappingKind.VARIABLE: "VariableName",
    MappingKind.LOOKUP: "TriggerValue",
}


class MappingIn(TolerantInput):
    # The GET answer's description of the input (Cyclr's examples send ``Field: {Id: 0}``).
    READ_ONLY = frozenset({"Field", "Parameter", "IsEntityIdentifier"})

    MappingType: MappingKind = Field(description="null is read as Ignore.")
    Value: str | None = Field(None, description="StaticValue, ValueList, or Script ('=...').")
    SourceStepId: str | None = Field(None, description="StepData: the earlier step's Id.")
    SourceFieldId: Int32 | None = Field(
        None, description="StepData: its response field's Id (custom fields: negative)."
    )
    SourceField: str | None = Field(
        None, description="StepData, instead of SourceFieldId: the field's name or path."
    )
    VariableName: str | None = Field(None, description="Variable: the cycle variable.")
    TriggerValue: str | None = None
    TriggerValueDisplayName: str | None = None
    IsLaunchVisible: bool | None = None

    @field_validator("MappingType", mode="before")
    @classmethod
    def _null_is_ignore(cls, value: Any) -> Any:
        # Cyclr answers an input that was never set with MappingType null.
        return MappingKind.IGNORE if value is None else value


@dataclass(frozen=True)
class StepMethod:
    row: AccountConnector
    connector: Connector
    definition: ConnectorDefinition
    method: MethodSpec
    ids: MethodIds
    # The account connector's custom fields of the method (their Ids are negative).
    custom: list[custom_methods.CustomField] = field(default_factory=list)
    # The numeric Id of each of the connector's methods, by MethodUniqueIdentifier.
    method_numbers: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Input:
    """One parameter or request field of a step's method."""

    id: int
    name: str  # how mappings name it
    spec: ParameterSpec | FieldSpec
    position: int
    values: list[dict[str, Any]] = field(default_factory=list)  # allowed values, if known


async def step_method(
    *, session: AsyncSession, structure: Structure, cycle_step: CycleStep
) -> StepMethod:
    used = structure.connectors.get(cycle_step.account_connector_id or -1)
    method = structure.method_of(cycle_step)
    ids = await structure.method_ids(session=session, cycle_step=cycle_step)
    if used is None or method is None or ids is None:
        raise BadRequest(f"Step '{cycle_step.document.get('Name')}' calls no connector method")
    definition = catalog.definition_of(used[1])
    all_ids = await catalog.method_ids(session=session, connector_id=used[1].id)
    return StepMethod(
        used[0],
        used[1],
        definition,
        method,
        ids,
        structure.custom_fields_of(cycle_step),
        {m.MethodUniqueIdentifier: all_ids[i].id for i, m in enumerate(definition.Methods)},
    )


def inputs(found: StepMethod, section: str) -> list[Input]:
    """The inputs a user sets: parameters without a fixed value, and request fields."""
    if section == PARAMETERS:
        return [
            Input(found.ids.fields[("Parameter", i)], p.TargetName, p, i)
            for i, p in enumerate(found.method.Parameters)
            if p.TargetType is not Target.RESPONSE_FIELD and p.Value is None and not p.Hidden
        ]
    own = [
        Input(found.ids.fields[("RequestField", i)], f.SystemField or f.ConnectorField, f, i)
        for i, f in enumerate(found.method.RequestFields)
    ]
    # Custom request fields follow, except those never sent (read-only) and those sent
    # with their default value only (hidden).
    custom = [f for f in found.custom if f.for_request and not f.read_only and not f.hidden]
    return own + [
        Input(custom_methods.mapping_id(f), f.name, f.spec, len(own) + i, f.field_values)
        for i, f in enumerate(custom)
    ]


def _stored(cycle_step: CycleStep, section: str, item: Input) -> dict[str, Any]:
    names = {item.name}
    if isinstance(item.spec, FieldSpec):
        names.add(item.spec.ConnectorField)
    for mapping in cycle_step.document.get(section, []):
        if mapping.get("Name") in names:
            return dict(mapping)
    return {}


def _triggers(found: StepMethod, trigger_name: str | None, entity_id: int) -> list[dict[str, Any]]:
    """The trigger that lists the input's values: ``MethodId`` is the numeric Id of its
    method (``GET /account/connectors/{AccountConnectorId}/methods/{MethodId}`` runs it),
    ``EntityId`` the Id of the input it serves, as in Cyclr's answers."""
    trigger = next((t for t in found.definition.Triggers if t.Name == trigger_name), None)
    if trigger is None:
        return []
    methods = {m.MethodUniqueIdentifier: m for m in found.definition.Methods}
    method = methods.get(trigger.MethodUniqueIdentifier)
    return [
        {
            "TriggerId": trigger.Name,
            "Name": trigger.Name,
            "AccountConnectorId": found.row.id,
            "MethodId": found.method_numbers.get(trigger.MethodUniqueIdentifier),
            "MethodUniqueIdentifier": trigger.MethodUniqueIdentifier,
            "MethodName": method.Name if method else None,
            "IdentifierKey": trigger.IdentifierKey,
            "HumanReadableKey": trigger.HumanReadableKey,
            "SubTriggers": [],
            "EntityId": entity_id,
        }
    ]


@dataclass
class Setup:
    """A cycle's structure with the Ids of its method steps' response fields."""

    structure: Structure
    response_ids: dict[str, dict[int, int]]  # step Id -> field position -> field Id

    def response_fields(self, cycle_step: CycleStep) -> list[tuple[int, FieldSpec]]:
        """The step's response fields by Id: its method's, then its custom fields."""
        method = self.structure.method_of(cycle_step)
        if method is None:
            return []
        ids = self.response_ids.get(cycle_step.id, {})
        own = [(ids[i], f) for i, f in enumerate(method.ResponseFields)]
        custom = self.structure.custom_fields_of(cycle_step)
        return own + [(custom_methods.mapping_id(f), f.spec) for f in custom if not f.for_request]

    def source_field_id(self, source: CycleStep | None, name: str | None) -> int | None:
        if source is None or name is None:
            return None
        for field_id, spec in self.response_fields(source):
            if name in (spec.SystemField, spec.ConnectorField):
                return field_id
        return None


async def load_setup(*, session: AsyncSession, structure: Structure) -> Setup:
    response_ids: dict[str, dict[int, int]] = {}
    for cycle_step in structure.steps:
        method = structure.method_of(cycle_step)
        ids = await structure.method_ids(session=session, cycle_step=cycle_step)
        if method is None or ids is None:
            continue
        response_ids[cycle_step.id] = {
            i: ids.fields[("ResponseField", i)] for i in range(len(method.ResponseFields))
        }
    return Setup(structure, response_ids)


def mapping_out(
    setup: Setup, found: StepMethod, section: str, item: Input, cycle_step: CycleStep
) -> dict[str, Any]:
    spec = item.spec
    stored = _stored(cycle_step, section, item)
    trigger_name = spec.TriggerName if isinstance(spec, ParameterSpec) else None
    described = {
        "Id": item.id,
        "Name": spec.DisplayName or item.name,
        "Description": spec.Description,
        "IsOptional": spec.Optional,
        "DataType": spec.DataType.value,
        "TriggerName": trigger_name,
        "Values": item.values,
        "DisplayOrder": item.position,
        "Triggers": _triggers(found, trigger_name, item.id),
    }
    if isinstance(spec, FieldSpec):
        described["ForRequestFormat"] = spec.ConnectorField
    else:
        described["TargetType"] = spec.TargetType.value
    source_key = stored.get("SourceStepKey")
    source = setup.structure.by_key().get(source_key) if source_key else None
    return {
        "Parameter" if section == PARAMETERS else "Field": described,
        "IsEntityIdentifier": False,
        "MappingType": stored.get("MappingType", MappingKind.IGNORE.value),
        "Value": stored.get("Value"),
        "SourceStepId": source.id if source else None,
        "SourceField": stored.get("SourceField"),
        "SourceFieldId": setup.source_field_id(source, stored.get("SourceField")),
        "VariableName": stored.get("VariableName"),
        "TriggerValue": stored.get("TriggerValue"),
        "TriggerValueDisplayName": stored.get("TriggerValueDisplayName"),
        "IsLaunchVisible": bool(stored.get("IsLaunchVisible", False)),
    }


async def list_mappings(
    *, session: AsyncSession, setup: Setup, cycle_step: CycleStep, section: str
) -> list[dict[str, Any]]:
    found = await step_method(session=session, structure=setup.structure, cycle_step=cycle_step)
    return [mapping_out(setup, found, section, item, cycle_step) for item in inputs(found, section)]


def _input(found: StepMethod, section: str, input_id: int) -> Input:
    for item in inputs(found, section):
        if item.id == input_id:
            return item
    what = "parameter" if section == PARAMETERS else "field"
    raise NotFound(f"Method '{found.method.Name}' has no {what} with Id {input_id} to set")


async def get_mapping(
    *, session: AsyncSession, setup: Setup, cycle_step: CycleStep, section: str, input_id: int
) -> dict[str, Any]:
    found = await step_method(session=session, structure=setup.structure, cycle_step=cycle_step)
    return mapping_out(setup, found, section, _input(found, section, input_id), cycle_step)


def _to_mapping(setup: Setup, mapping_in: MappingIn) -> Mapping:
    values = mapping_in.model_dump(
        exclude={"SourceStepId", "SourceFieldId", "IsLaunchVisible"}, exclude_none=True
    )
    if mapping_in.MappingType is MappingKind.STEP_DATA:
        if mapping_in.SourceStepId is None:
            raise BadRequest("SourceStepId: a StepData mapping needs the step it reads from")
        try:
            source = setup.structure.by_id(mapping_in.SourceStepId)
        except NotFound as exc:
            raise BadRequest(f"SourceStepId: {exc.message}") from None
        values["SourceStepKey"] = source.step_key
        if mapping_in.SourceFieldId is not None:
            fields = dict(setup.response_fields(source))
            if mapping_in.SourceFieldId not in fields:
                raise BadRequest(
                    f"SourceFieldId: step '{source.document.get('Name')}' returns no field "
                    f"with Id {mapping_in.SourceFieldId}"
                )
            spec = fields[mapping_in.SourceFieldId]
            values["SourceField"] = spec.SystemField or spec.ConnectorField
    return Mapping.model_validate(values)


async def set_mapping(
    *,
    session: AsyncSession,
    setup: Setup,
    cycle_step: CycleStep,
    section: str,
    input_id: int,
    mapping_in: MappingIn,
) -> dict[str, Any]:
    """Check the mapping as a template's would be, then store it in place of the old one."""
    require_paused(setup.structure.cycle)
    found = await step_method(session=session, structure=setup.structure, cycle_step=cycle_step)
    item = _input(found, section, input_id)
    mapping = _to_mapping(setup, mapping_in)
    document = setup.structure.document()
    field = _FIELD_OF.get(mapping.MappingType, "Value")
    problems = check_mapping(document, cycle_step.step_key, field, mapping)
    if problems:
        raise BadRequest("; ".join(f"{p.location}: {p.message}" for p in problems))
    old = _stored(cycle_step, section, item)
    launch_visible = (
        mapping_in.IsLaunchVisible
        if mapping_in.IsLaunchVisible is not None
        else bool(old.get("IsLaunchVisible", False))
    )
    stored = {"Name": item.name, **mapping.model_dump(mode="json", exclude_none=True)}
    stored["IsLaunchVisible"] = launch_visible
    kept = [
        m
        for m in cycle_step.document.get(section, [])
        if m.get("Name") not in (item.name, old.get("Name"))
    ]
    cycle_step.document = {**cycle_step.document, section: [*kept, stored]}
    await lifecycle.touch(session, setup.structure.cycle)
    return mapping_out(setup, found, section, item, cycle_step)


def fields_for_mapping(setup: Setup, cycle_step: CycleStep) -> list[dict[str, Any]]:
    """The response fields of the steps that always run before this one, as one list in
    Cyclr's shape; ``StepId`` and ``StepName`` (Junction's) say which step gives each, as a
    StepData mapping names it with ``SourceStepId`` and ``SourceFieldId``."""
    structure = setup.structure
    earlier = ancestors_of(structure.document(), cycle_step.step_key)
    result: list[dict[str, Any]] = []
    for source in structure.steps:
        if source.step_key not in earlier:
            continue
        for position, (field_id, spec) in enumerate(setup.response_fields(source)):
            result.append(
                {
                    "Id": field_id,
                    "Name": spec.DisplayName or spec.SystemField or spec.ConnectorField,
                    "Description": spec.Description,
                    "IsOptional": spec.Optional,
                    "DataType": spec.DataType.value,
                    "TriggerName": None,
                    "Values": None,
                    "DisplayOrder": position,
                    "Triggers": [],
                    "StepId": source.id,
                    "StepName": source.document.get("Name"),
                    "SystemField": spec.SystemField or spec.ConnectorField,
                    "ConnectorField": spec.ConnectorField,
                }
            )
    return result
