"""A cycle's steps and edges as the API shows them, and changing them while it is paused."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import Int32, PositiveInt32
from junction.connectors.accounts import service as account_connectors
from junction.connectors.catalog import service as catalog
from junction.connectors.spec.models import MethodKind
from junction.cycles import lifecycle, webhook_urls
from junction.cycles.lifecycle import require_paused
from junction.cycles.models import CycleEdge, CycleStep
from junction.cycles.structure import Structure
from junction.errors import BadRequest, NotFound
from junction.guids import GuidText
from junction.templates.spec.models import (
    CollectionSplit,
    Condition,
    EdgeKind,
    Mapping,
    Step,
    StepKind,
)
from junction.tolerant import TolerantInput, blank_guid_as_none


class StepIn(TolerantInput):
    """A step to add; for PUT every field is optional and omitted ones stay."""

    # A step's answer sent back: what describes the step rather than sets it is ignored
    # (Cyclr's ActionType among them; AccountConnector is read from AccountConnectorId).
    READ_ONLY = frozenset(
        {
            "Id",
            "StepKey",
            "ActionType",
            "WebhookUrl",
            "MethodName",
            "AccountConnector",
            "ResponseStatus",
            "FieldMappings",
        }
    )

    Name: str | None = Field(None, min_length=1, max_length=255)
    Description: str | None = None
    StepType: StepKind | None = Field(None, description="Method (default) or a tool.")
    AccountConnectorId: PositiveInt32 | None = Field(
        None, description="Method steps: what they call."
    )
    MethodUniqueIdentifier: str | None = Field(
        None, description="Method steps: the method (the all-zero GUID is read as none)."
    )
    CollectionSplitType: CollectionSplit | None = None
    Conditions: list[Condition] | None = None
    Combine: Literal["All", "Any"] | None = None
    DelaySeconds: int | None = Field(None, ge=1, le=60 * 60 * 24 * 7 * 52)
    WaitUntil: Mapping | None = None
    Text: str | None = None
    DisplayPositionLeft: Int32 | None = None
    DisplayPositionTop: Int32 | None = None

    @field_validator("MethodUniqueIdentifier", mode="before")
    @classmethod
    def _zero_guid_is_none(cls, value: Any) -> Any:
        return blank_guid_as_none(value)


class StepCreate(StepIn):
    Id: GuidText | None = Field(
        None, description="Your own GUID for the step; a new one when omitted."
    )


class EdgeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Id: GuidText | None = Field(
        None, description="Your own GUID for the edge; a new one when omitted."
    )
    TailStepId: Annotated[str, Field(description="The step the edge leaves.")]
    HeadStepId: Annotated[str, Field(description="The step the edge enters.")]
    EdgeType: EdgeKind = EdgeKind.FORWARD


_SPEC_FIELDS = (
    "Name",
    "Description",
    "CollectionSplitType",
    "Conditions",
    "Combine",
    "DelaySeconds",
    "WaitUntil",
    "Text",
    "DisplayPositionLeft",
    "DisplayPositionTop",
)


def step_out(
    structure: Structure, cycle_step: CycleStep, base_url: str | None = None
) -> dict[str, Any]:
    """A step as the API shows it; ``base_url`` adds a webhook trigger's ``WebhookUrl``."""
    spec = structure.step_spec(cycle_step)
    item: dict[str, Any] = {
        "Id": cycle_step.id,
        "StepKey": cycle_step.step_key,
        "Name": spec.Name,
        "Description": spec.Description,
        "StepType": spec.StepType.value,
        "DisplayPositionLeft": spec.DisplayPositionLeft,
        "DisplayPositionTop": spec.DisplayPositionTop,
    }
    if spec.StepType is StepKind.METHOD:
        method = structure.method_of(cycle_step)
        used = structure.connectors.get(cycle_step.account_connector_id or -1)
        is_trigger = structure.trigger() is cycle_step
        webhook = method is not None and method.MethodType is MethodKind.WEBHOOK
        item |= {
            "ActionType": "Webhook" if webhook else ("Get" if is_trigger else "Action"),
            "WebhookUrl": webhook_urls.url_of(base_url, cycle_step.webhook_identifier)
            if base_url and webhook and is_trigger and cycle_step.webhook_identifier
            else None,
            "MethodUniqueIdentifier": spec.MethodUniqueIdentifier,
            "MethodName": method.Name if method else None,
            "CollectionSplitType": spec.CollectionSplitType,
            "AccountConnector": None
            if used is None
            else {
                "Id": used[0].id,
                "Name": used[0].name,
                "Authenticated": used[0].authenticated,
                "Connector": {"Id": used[1].id, "Name": used[1].name, "Version": used[1].version},
            },
        }
    elif spec.StepType is StepKind.DECISION:
        item |= {
            "Conditions": [c.model_dump(mode="json") for c in spec.Conditions],
            "Combine": spec.Combine,
        }
    elif spec.StepType is StepKind.DELAY:
        item["DelaySeconds"] = spec.DelaySeconds
    elif spec.StepType is StepKind.WAIT_UNTIL:
        item["WaitUntil"] = spec.WaitUntil.model_dump(mode="json") if spec.WaitUntil else None
    elif spec.StepType is StepKind.WEBHOOK_RESPONSE:
        item["ResponseStatus"] = spec.ResponseStatus or 200
        item["FieldMappings"] = [m.model_dump(mode="json") for m in spec.FieldMappings]
    elif spec.StepType is StepKind.ANNOTATION:
        item["Text"] = spec.Text
    return item


def edge_out(edge: CycleEdge) -> dict[str, Any]:
    return {
        "Id": edge.id,
        "TailStepId": edge.tail_step_id,
        "HeadStepId": edge.head_step_id,
        "EdgeType": edge.edge_type,
    }


async def _set_method(
    *,
    session: AsyncSession,
    structure: Structure,
    cycle_step: CycleStep,
    account_connector_id: int,
    mui: str,
) -> None:
    try:
        row = await account_connectors.get(
            session=session,
            account_id=structure.cycle.account_id,
            account_connector_id=account_connector_id,
        )
    except NotFound as exc:
        # The cycle in the path exists; what is wrong is a field of the body, and another
        # account's connector gets the same answer as one that exists nowhere.
        raise BadRequest(f"AccountConnectorId: {exc.message}") from None
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    if catalog.method_by_uid(catalog.definition_of(connector), mui) is None:
        raise BadRequest(
            f"MethodUniqueIdentifier: connector '{connector.name}' {connector.version} has no "
            f"method '{mui}'"
        )
    document = dict(cycle_step.document)
    before = (
        str(document.get("ConnectorName") or "").lower(),
        document.get("MethodUniqueIdentifier"),
    )
    if before != (connector.name.lower(), mui):
        # Another method's inputs mean nothing here: its mappings go. (Another account
        # connector of the same connector keeps them.)
        document |= {"Parameters": [], "FieldMappings": []}
    document |= {
        "MethodUniqueIdentifier": mui,
        "ConnectorName": connector.name,
        "ConnectorVersion": connector.version,
    }
    cycle_step.document = document
    cycle_step.account_connector_id = row.id
    structure.connectors[row.id] = (row, connector)


def _apply(cycle_step: CycleStep, step_in: StepIn) -> None:
    document = dict(cycle_step.document)
    for name in _SPEC_FIELDS:
        if name in step_in.model_fields_set:
            value = getattr(step_in, name)
            document[name] = (
                [v.model_dump(mode="json") for v in value]
                if isinstance(value, list)
                else value.model_dump(mode="json")
                if isinstance(value, BaseModel)
                else value
            )
    try:
        # The step as a whole must still be a valid step (e.g. a null where none may be).
        Step.model_validate(document | {"Key": cycle_step.step_key})
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        raise BadRequest(f"{field}: {error['msg']}") from None
    cycle_step.document = document


async def _free_id(session: AsyncSession, row: type[CycleStep | CycleEdge], chosen: str) -> str:
    """The caller's id when no row has it yet (ids are unique across accounts, as Cyclr's)."""
    if await session.get(row, chosen) is not None:
        raise BadRequest(f"Id: '{chosen}' is already in use")
    return chosen


async def add_step(
    *, session: AsyncSession, structure: Structure, step_in: StepIn, step_id: str | None = None
) -> CycleStep:
    """A new step; ``step_id`` is the caller's own GUID for it (a new one when empty)."""
    require_paused(structure.cycle)
    if not step_in.Name:
        raise BadRequest("Name: required")
    kind = step_in.StepType or StepKind.METHOD
    step_id = await _free_id(session, CycleStep, step_id) if step_id else str(uuid.uuid4())
    cycle_step = CycleStep(
        id=step_id,
        cycle_id=structure.cycle.id,
        step_key=step_id,
        position=max((s.position for s in structure.steps), default=-1) + 1,
        document={"Name": step_in.Name, "StepType": kind.value},
    )
    _apply(cycle_step, step_in)
    webhook_urls.ensure_identifier(cycle_step)
    if kind is StepKind.METHOD:
        if step_in.AccountConnectorId is None or not step_in.MethodUniqueIdentifier:
            raise BadRequest("AccountConnectorId, MethodUniqueIdentifier: a method step needs both")
        await _set_method(
            session=session,
            structure=structure,
            cycle_step=cycle_step,
            account_connector_id=step_in.AccountConnectorId,
            mui=step_in.MethodUniqueIdentifier,
        )
    elif step_in.AccountConnectorId is not None or step_in.MethodUniqueIdentifier:
        raise BadRequest(f"AccountConnectorId: a {kind.value} step calls no connector")
    session.add(cycle_step)
    structure.steps.append(cycle_step)
    await lifecycle.touch(session, structure.cycle)
    return cycle_step


async def update_step(
    *, session: AsyncSession, structure: Structure, cycle_step: CycleStep, step_in: StepIn
) -> CycleStep:
    require_paused(structure.cycle)
    kind = StepKind(cycle_step.document.get("StepType", StepKind.METHOD))
    if step_in.StepType is not None and step_in.StepType is not kind:
        raise BadRequest(
            f"StepType: a {kind.value} step cannot become {step_in.StepType.value}; add a new "
            "step instead"
        )
    _apply(cycle_step, step_in)
    # A null is no change: a step's answer shows null for a method not chosen yet.
    changes_method = step_in.AccountConnectorId is not None or bool(step_in.MethodUniqueIdentifier)
    if changes_method:
        if kind is not StepKind.METHOD:
            raise BadRequest(f"AccountConnectorId: a {kind.value} step calls no connector")
        account_connector_id = step_in.AccountConnectorId or cycle_step.account_connector_id
        mui = step_in.MethodUniqueIdentifier or cycle_step.document.get("MethodUniqueIdentifier")
        if account_connector_id is None or not mui:
            raise BadRequest("AccountConnectorId, MethodUniqueIdentifier: a method step needs both")
        await _set_method(
            session=session,
            structure=structure,
            cycle_step=cycle_step,
            account_connector_id=account_connector_id,
            mui=mui,
        )
    await lifecycle.touch(session, structure.cycle)
    return cycle_step


async def remove_step(
    *, session: AsyncSession, structure: Structure, cycle_step: CycleStep
) -> None:
    """Its edges go with it; mappings that read from it are reported by the prerequisites."""
    require_paused(structure.cycle)
    await session.execute(delete(CycleStep).where(CycleStep.id == cycle_step.id))
    session.expunge(cycle_step)
    structure.steps.remove(cycle_step)
    structure.edges = [
        e for e in structure.edges if cycle_step.id not in (e.tail_step_id, e.head_step_id)
    ]
    await lifecycle.touch(session, structure.cycle)


def _reaches(structure: Structure, start: str, goal: str) -> bool:
    pending, seen = [start], {start}
    while pending:
        current = pending.pop()
        if current == goal:
            return True
        for edge in structure.edges:
            if edge.tail_step_id == current and edge.head_step_id not in seen:
                seen.add(edge.head_step_id)
                pending.append(edge.head_step_id)
    return False


def _step_named(structure: Structure, field: str, step_id: str) -> CycleStep:
    try:
        return structure.by_id(step_id)
    except NotFound as exc:
        raise BadRequest(f"{field}: {exc.message}") from None


def _check_edge(structure: Structure, edge_in: EdgeIn) -> None:
    tail = _step_named(structure, "TailStepId", edge_in.TailStepId)
    head = _step_named(structure, "HeadStepId", edge_in.HeadStepId)
    tail_spec, head_spec = structure.step_spec(tail), structure.step_spec(head)
    if tail.id == head.id:
        raise BadRequest(f"HeadStepId: step '{tail_spec.Name}' cannot lead to itself")
    for field, spec in (("TailStepId", tail_spec), ("HeadStepId", head_spec)):
        if spec.StepType is StepKind.ANNOTATION:
            raise BadRequest(f"{field}: step '{spec.Name}' is an annotation and takes no edges")
    if tail_spec.StepType is StepKind.STOP:
        raise BadRequest(f"TailStepId: step '{tail_spec.Name}' is a Stop step and has no exit")
    method = structure.method_of(tail)
    decision = tail_spec.StepType is StepKind.DECISION or (
        method is not None and method.Conditional
    )
    if decision == (edge_in.EdgeType is EdgeKind.FORWARD):
        expected = "True or False" if decision else "Forward"
        raise BadRequest(f"EdgeType: an exit of step '{tail_spec.Name}' must be {expected}")
    taken = [
        e
        for e in structure.edges
        if e.tail_step_id == tail.id and (not decision or e.edge_type == edge_in.EdgeType.value)
    ]
    if taken:
        which = f"{edge_in.EdgeType.value} exit" if decision else "exit"
        raise BadRequest(f"TailStepId: step '{tail_spec.Name}' already has its {which}")
    if _reaches(structure, head.id, tail.id):
        raise BadRequest(
            f"HeadStepId: step '{head_spec.Name}' already leads to '{tail_spec.Name}'; the edge "
            "would make a loop"
        )


async def add_edge(*, session: AsyncSession, structure: Structure, edge_in: EdgeIn) -> CycleEdge:
    require_paused(structure.cycle)
    _check_edge(structure, edge_in)
    edge = CycleEdge(
        id=await _free_id(session, CycleEdge, edge_in.Id) if edge_in.Id else str(uuid.uuid4()),
        cycle_id=structure.cycle.id,
        tail_step_id=edge_in.TailStepId,
        head_step_id=edge_in.HeadStepId,
        edge_type=edge_in.EdgeType.value,
    )
    session.add(edge)
    structure.edges.append(edge)
    await lifecycle.touch(session, structure.cycle)
    return edge


def get_edge(structure: Structure, edge_id: str) -> CycleEdge:
    for edge in structure.edges:
        if edge.id == edge_id:
            return edge
    raise NotFound(f"Cycle '{structure.cycle.name}' has no edge with Id '{edge_id}'")


async def remove_edge(*, session: AsyncSession, structure: Structure, edge: CycleEdge) -> None:
    require_paused(structure.cycle)
    await session.execute(delete(CycleEdge).where(CycleEdge.id == edge.id))
    session.expunge(edge)
    structure.edges.remove(edge)
    await lifecycle.touch(session, structure.cycle)
