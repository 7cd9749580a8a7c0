"""What a cycle still needs before it can be activated, with Cyclr's ReasonCodes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors import catalog
from junction.connectors.models import AccountConnector
from junction.connectors.spec.models import MethodSpec, Target
from junction.cycles.models import Cycle, CycleStep
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import MappingKind, Step, StepKind, TemplateDocument

UNAUTHENTICATED_CONNECTOR = 20
PARAMETER_MAPPING = 40
FIELD_MAPPING = 41


@dataclass(frozen=True)
class Prerequisite:
    ReasonCode: int
    Reason: str
    ObjectType: str
    ObjectId: str


def _mapped(mappings: list[dict[str, object]], name: str) -> bool:
    return any(
        m.get("Name") == name and m.get("MappingType", "Ignore") != MappingKind.IGNORE
        for m in mappings
    )


async def step_method(
    *, session: AsyncSession, cycle_step: CycleStep, step: Step
) -> tuple[AccountConnector | None, MethodSpec | None]:
    if step.StepType is not StepKind.METHOD or cycle_step.account_connector_id is None:
        return None, None
    row = await session.get(AccountConnector, cycle_step.account_connector_id)
    if row is None:
        return None, None
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    method = catalog.method_by_uid(
        catalog.definition_of(connector), step.MethodUniqueIdentifier or ""
    )
    return row, method


async def of_cycle(
    *, session: AsyncSession, cycle: Cycle, cycle_steps: list[CycleStep]
) -> list[Prerequisite]:
    release = await session.get(TemplateRelease, cycle.template_release_id)
    assert release is not None  # RESTRICT keeps it
    document = TemplateDocument.model_validate(release.document)
    steps = {s.Key: s for s in document.Steps}
    found: list[Prerequisite] = []
    reported: set[int] = set()
    for cycle_step in cycle_steps:
        step = steps.get(cycle_step.step_key)
        if step is None:
            continue
        if step.StepType is StepKind.METHOD and cycle_step.account_connector_id is None:
            found.append(
                Prerequisite(
                    UNAUTHENTICATED_CONNECTOR,
                    f"Step '{step.Name}' has no account connector",
                    "Action",
                    cycle_step.id,
                )
            )
            continue
        row, method = await step_method(session=session, cycle_step=cycle_step, step=step)
        if row is not None and not row.authenticated and row.id not in reported:
            reported.add(row.id)
            found.append(
                Prerequisite(
                    UNAUTHENTICATED_CONNECTOR,
                    f"Connector '{row.name}' is not authenticated",
                    "AccountConnector",
                    str(row.id),
                )
            )
        if method is None:
            continue
        parameters = list(cycle_step.mappings.get("Parameters", []))
        fields = list(cycle_step.mappings.get("FieldMappings", []))
        for parameter in method.Parameters:
            needs_value = (
                parameter.TargetType is not Target.RESPONSE_FIELD
                and not parameter.Optional
                and parameter.Value is None
                and parameter.DefaultValue is None
            )
            if needs_value and not _mapped(parameters, parameter.TargetName):
                found.append(
                    Prerequisite(
                        PARAMETER_MAPPING,
                        f"Step '{step.Name}': parameter '{parameter.TargetName}' needs a value",
                        "Parameter",
                        cycle_step.id,
                    )
                )
        for field in method.RequestFields:
            name = field.SystemField or field.ConnectorField
            if field.Optional or field.DefaultValue is not None:
                continue
            if not (_mapped(fields, name) or _mapped(fields, field.ConnectorField)):
                found.append(
                    Prerequisite(
                        FIELD_MAPPING,
                        f"Step '{step.Name}': field '{name}' needs a mapping",
                        "ConnectorFieldMapping",
                        cycle_step.id,
                    )
                )
    return found
