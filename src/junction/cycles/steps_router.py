"""Account-level routes for a cycle's steps and edges, and for setting steps up."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import JSONResponse

from junction.api.context import Context, Session
from junction.api.ids import FieldId, GuidId
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts.custom_field_discovery import LookupFailed, discover
from junction.connectors.calls.answers import trigger_choices
from junction.cycles import prerequisites, service, setup, steps, structure
from junction.cycles.setup import FIELDS, PARAMETERS, MappingIn
from junction.cycles.steps import EdgeIn, StepCreate, StepIn
from junction.errors import BadRequest

router = APIRouter(tags=["Cycle steps"])
PAUSED_ONLY = " An active cycle cannot change (409): deactivate it first."


async def _structure(
    session: Session, account_id: str, cycle_id: GuidId, *, lock: bool = False
) -> structure.Structure:
    cycle = await service.get(session=session, account_id=account_id, cycle_id=cycle_id, lock=lock)
    return await structure.load(session=session, cycle=cycle)


@router.get(
    "/cycles/{cycle_id}/steps",
    summary="List a cycle's steps",
    description="In order: `Id`, `StepKey`, `Name`, `Description`, `StepType`; method steps "
    "add `ActionType` (Get, Action or Webhook), the method and the `AccountConnector`; tool "
    "steps add their settings.",
)
async def list_steps(
    cycle_id: GuidId, account: CurrentAccount, session: Session, context: Context
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id)
    base = context.settings.public_base_url
    return [steps.step_out(loaded, s, base) for s in loaded.steps]


@router.post(
    "/cycles/{cycle_id}/steps",
    status_code=201,
    summary="Add a step to a cycle",
    description="A method step needs `AccountConnectorId` and `MethodUniqueIdentifier`; a "
    "tool step (`StepType` Decision, Delay, WaitUntil, Stop or Annotation) its settings. Join "
    "it to the others with POST /v1.0/cycles/{id}/edges. `Id` may give the step's GUID (400 "
    "when malformed or already in use)." + PAUSED_ONLY,
)
async def add_step(
    cycle_id: GuidId,
    step_in: StepCreate,
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id, lock=True)
    added = await steps.add_step(
        session=session, structure=loaded, step_in=step_in, step_id=step_in.Id
    )
    return steps.step_out(loaded, added, context.settings.public_base_url)


@router.get("/cycles/{cycle_id}/steps/{step_id}", summary="Get a cycle's step")
async def get_step(
    cycle_id: GuidId, step_id: GuidId, account: CurrentAccount, session: Session, context: Context
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id)
    return steps.step_out(loaded, loaded.by_id(step_id), context.settings.public_base_url)


@router.put(
    "/cycles/{cycle_id}/steps/{step_id}",
    summary="Change a cycle's step",
    description="Partial. Choosing another method clears the step's mappings." + PAUSED_ONLY,
)
async def update_step(
    cycle_id: GuidId,
    step_id: GuidId,
    step_in: StepIn,
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id, lock=True)
    changed = await steps.update_step(
        session=session, structure=loaded, cycle_step=loaded.by_id(step_id), step_in=step_in
    )
    return steps.step_out(loaded, changed, context.settings.public_base_url)


@router.delete(
    "/cycles/{cycle_id}/steps/{step_id}",
    summary="Delete a cycle's step",
    description="Its edges go with it." + PAUSED_ONLY,
)
async def delete_step(
    cycle_id: GuidId, step_id: GuidId, account: CurrentAccount, session: Session
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id, lock=True)
    cycle_step = loaded.by_id(step_id)
    name = cycle_step.document.get("Name")
    await steps.remove_step(session=session, structure=loaded, cycle_step=cycle_step)
    return {"Message": f"Step '{name}' deleted."}


@router.get("/cycles/{cycle_id}/edges", summary="List a cycle's edges")
async def list_edges(cycle_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id)
    return [steps.edge_out(e) for e in loaded.edges]


@router.post(
    "/cycles/{cycle_id}/edges",
    status_code=201,
    summary="Join two steps",
    description="`{TailStepId, HeadStepId, EdgeType}`: Forward from any step but a decision, "
    "True and False from a decision. Refused (400) when it would make a loop or a second "
    "exit. `Id` may give the edge's GUID (400 when malformed or already in use)." + PAUSED_ONLY,
)
async def add_edge(
    cycle_id: GuidId, edge_in: EdgeIn, account: CurrentAccount, session: Session
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id, lock=True)
    return steps.edge_out(await steps.add_edge(session=session, structure=loaded, edge_in=edge_in))


@router.get("/cycles/{cycle_id}/edges/{edge_id}", summary="Get a cycle's edge")
async def get_edge(
    cycle_id: GuidId, edge_id: GuidId, account: CurrentAccount, session: Session
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id)
    return steps.edge_out(steps.get_edge(loaded, edge_id))


@router.delete(
    "/cycles/{cycle_id}/edges/{edge_id}", summary="Delete a cycle's edge", description=PAUSED_ONLY
)
async def delete_edge(
    cycle_id: GuidId, edge_id: GuidId, account: CurrentAccount, session: Session
) -> Any:
    loaded = await _structure(session, account.account_id, cycle_id, lock=True)
    await steps.remove_edge(session=session, structure=loaded, edge=steps.get_edge(loaded, edge_id))
    return {"Message": "Edge deleted."}


@router.get(
    "/steps/{step_id}/prerequisites",
    summary="What a step still needs",
    description="ReasonCode 40 with ObjectType Parameter and 41 with ObjectType "
    "ConnectorFieldMapping, each with the input's Id; for a step without a method, the "
    "cycle's prerequisites about it.",
)
async def step_prerequisites(step_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    loaded, cycle_step = await structure.load_step(
        session=session, account_id=account.account_id, step_id=step_id
    )
    found = await prerequisites.of_step(session=session, structure=loaded, cycle_step=cycle_step)
    return [vars(p) for p in found]


async def _setup(session: Session, account_id: str, step_id: GuidId, *, lock: bool = False) -> Any:
    loaded, cycle_step = await structure.load_step(
        session=session, account_id=account_id, step_id=step_id, lock=lock
    )
    return await setup.load_setup(session=session, structure=loaded), cycle_step


@router.get(
    "/steps/{step_id}/parameters",
    summary="A step's parameters and how each gets its value",
    description="Parameters with a fixed value in the connector are not listed.",
)
async def list_parameters(step_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id)
    return await setup.list_mappings(
        session=session, setup=found, cycle_step=cycle_step, section=PARAMETERS
    )


@router.get("/steps/{step_id}/parameters/{parameter_id}", summary="A step's parameter")
async def get_parameter(
    step_id: GuidId, parameter_id: FieldId, account: CurrentAccount, session: Session
) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id)
    return await setup.get_mapping(
        session=session,
        setup=found,
        cycle_step=cycle_step,
        section=PARAMETERS,
        input_id=parameter_id,
    )


@router.put(
    "/steps/{step_id}/parameters/{parameter_id}",
    summary="Set how a parameter gets its value",
    description="`MappingType` Ignore, StaticValue, ValueList, StepData (`SourceStepId` and "
    "`SourceFieldId` or `SourceField`; the source must always run earlier), Variable "
    "(`VariableName`), Lookup (`TriggerValue`) or Script (`Value` starting with '=')."
    + PAUSED_ONLY,
)
async def set_parameter(
    step_id: GuidId,
    parameter_id: FieldId,
    mapping_in: MappingIn,
    account: CurrentAccount,
    session: Session,
) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id, lock=True)
    return await setup.set_mapping(
        session=session,
        setup=found,
        cycle_step=cycle_step,
        section=PARAMETERS,
        input_id=parameter_id,
        mapping_in=mapping_in,
    )


@router.get("/steps/{step_id}/fieldmappings", summary="A step's request fields and mappings")
async def list_field_mappings(step_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id)
    return await setup.list_mappings(
        session=session, setup=found, cycle_step=cycle_step, section=FIELDS
    )


@router.get("/steps/{step_id}/fieldmappings/{field_id}", summary="A step's field mapping")
async def get_field_mapping(
    step_id: GuidId, field_id: FieldId, account: CurrentAccount, session: Session
) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id)
    return await setup.get_mapping(
        session=session, setup=found, cycle_step=cycle_step, section=FIELDS, input_id=field_id
    )


# Before the routes of one field: "lookup" is not a field Id.
@router.post(
    "/steps/{step_id}/fieldmappings/lookup",
    summary="Look up a step's custom fields again, then list its field mappings",
    description="Calls the custom fields lookup methods of the step's account connector (as "
    "`POST /account/connectors/{id}/fields/discover` does), stores what they find, and "
    "answers the step's field mappings as `GET /steps/{id}/fieldmappings` would, with the "
    "fields found and their `Values`. A step without an account connector is a 400; a "
    "lookup that fails changes nothing and is answered 502 with `LookupMethod`, "
    "`UpstreamStatus` and `UpstreamBody`.",
)
async def lookup_field_mappings(step_id: GuidId, account: CurrentAccount, context: Context) -> Any:
    # The database transaction ends before the third party is called.
    async with context.database.transaction(read_only=True) as session:
        _, cycle_step = await _setup(session, account.account_id, step_id)
        account_connector_id = cycle_step.account_connector_id
    if account_connector_id is None:
        raise BadRequest(f"step_id: step {step_id} calls no connector, so it has no fields")
    try:
        await discover(
            gateway=context.gateway,
            account_connector_id=account_connector_id,
            account_id=account.account_id,
            now=context.clock(),
        )
    except LookupFailed as exc:
        return JSONResponse(exc.body(), status_code=502)
    async with context.database.transaction(read_only=True) as session:
        found, cycle_step = await _setup(session, account.account_id, step_id)
        return await setup.list_mappings(
            session=session, setup=found, cycle_step=cycle_step, section=FIELDS
        )


@router.put(
    "/steps/{step_id}/fieldmappings/{field_id}",
    summary="Map a request field",
    description="The same mapping types as parameters." + PAUSED_ONLY,
)
@router.post(
    "/steps/{step_id}/fieldmappings/{field_id}",
    summary="Map a request field (as PUT)",
    description="The same as PUT; some clients post." + PAUSED_ONLY,
)
async def set_field_mapping(
    step_id: GuidId,
    field_id: FieldId,
    mapping_in: MappingIn,
    account: CurrentAccount,
    session: Session,
) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id, lock=True)
    return await setup.set_mapping(
        session=session,
        setup=found,
        cycle_step=cycle_step,
        section=FIELDS,
        input_id=field_id,
        mapping_in=mapping_in,
    )


@router.get(
    "/steps/{step_id}/fieldsformapping",
    summary="Fields of earlier steps a mapping may read",
    description="One list of the response fields of every step that always runs before "
    "this one (`Id`, `Name`, `DataType`..., as Cyclr answers them), each with the `StepId` "
    "and `StepName` of its step (Junction's): a StepData mapping names them as "
    "`SourceStepId` and `SourceFieldId`.",
)
async def fields_for_mapping(step_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    found, cycle_step = await _setup(session, account.account_id, step_id)
    return setup.fields_for_mapping(found, cycle_step)


@router.post(
    "/steps/{step_id}/parameters/{parameter_id}/lookup",
    summary="The values a parameter may take",
    description="Calls the parameter's trigger (a connector method) through the step's "
    "account connector and answers `[{Name, Value}]`. `TriggerId` in the body picks another "
    "of the connector's triggers.",
)
async def lookup_parameter(
    step_id: GuidId,
    parameter_id: FieldId,
    account: CurrentAccount,
    context: Context,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> Any:
    # The database transaction ends before the third party is called.
    async with context.database.transaction(read_only=True) as session:
        found, cycle_step = await _setup(session, account.account_id, step_id)
        mapping = await setup.get_mapping(
            session=session,
            setup=found,
            cycle_step=cycle_step,
            section=PARAMETERS,
            input_id=parameter_id,
        )
        account_connector_id = cycle_step.account_connector_id
    trigger = (body or {}).get("TriggerId") or mapping["Parameter"]["TriggerName"]
    if not trigger or account_connector_id is None:
        raise BadRequest(f"TriggerId: parameter {parameter_id} has no trigger to list values")
    return await trigger_choices(context, account.account_id, account_connector_id, str(trigger))
