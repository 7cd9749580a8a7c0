"""Account-level cycle routes: installing, creating, activating, upgrading and changing
cycles and their variables. Steps and edges are in steps_router.py."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from junction.api.context import Context, Session, WakeAfterCommit
from junction.api.ids import GuidId
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.auth.identity import AccountContext, CurrentAccount
from junction.cycles import (
    activation_flow,
    editing,
    prerequisites,
    service,
    structure,
    upgrade,
    webhook_urls,
)
from junction.cycles.activation import ActivateIn
from junction.cycles.editing import (
    CycleCreate,
    CycleUpdate,
    NamedVariableIn,
    NewVariableIn,
    VariableIn,
)
from junction.cycles.models import Cycle
from junction.cycles.schemas import CycleOut, WebhookOut
from junction.cycles.webhook_install import WebhookWarning
from junction.services import Services

router = APIRouter(tags=["Cycles"])

Paging = Annotated[PageRequest, Depends(page_request)]


async def _cycle(
    session: AsyncSession, account: AccountContext, cycle_id: GuidId, *, lock: bool = False
) -> Cycle:
    """The account's cycle; ``lock`` for a change (see service.get)."""
    return await service.get(
        session=session, account_id=account.account_id, cycle_id=cycle_id, lock=lock
    )


def _caller(context: Services) -> activation_flow.Caller:
    return activation_flow.Caller(
        database=context.database,
        gateway=context.gateway,
        base_url=context.settings.public_base_url,
    )


async def _out(session: AsyncSession, cycle: Cycle, context: Services | None = None) -> CycleOut:
    """The cycle; with ``context``, also the URL of its webhook trigger."""
    out = CycleOut.build(cycle, await service.connectors_of(session=session, cycle_id=cycle.id))
    facts = await service.run_facts(session=session, cycle_id=cycle.id)
    out.ErrorCount, out.WarningCount = facts.errors, facts.warnings
    out.InProgressTransactionCount = facts.in_progress
    out.LastSuccessfulRunDate = facts.last_successful_run
    if context is not None:
        loaded = await structure.load(session=session, cycle=cycle)
        out.Webhooks = [
            WebhookOut.model_validate(w)
            for w in webhook_urls.webhooks_out(loaded, context.settings.public_base_url)
        ]
    return out


@router.post(
    "/templates/{template_id}/install",
    response_model=CycleOut,
    summary="Install a template into the account",
    description="Installs the template's newest Live release as a Paused cycle, installing "
    "the connectors it needs that the account lacks (or always, with ConnectorInstallation "
    "Fresh).",
)
async def install(
    template_id: GuidId, account: CurrentAccount, session: Session, context: Context
) -> CycleOut:
    cycle = await service.install(
        session=session,
        keyring=context.keyring,
        account_id=account.account_id,
        template_id=template_id,
        now=context.clock(),
    )
    return await _out(session, cycle, context)


@router.get("/cycles", response_model=list[CycleOut], summary="List the account's cycles")
async def list_cycles(
    account: CurrentAccount,
    session: Session,
    paging: Paging,
    response: Response,
    tag: Annotated[
        str | None, Query(max_length=255, description="Only cycles with this tag (any case).")
    ] = None,
    includeIcons: Annotated[
        bool, Query(description="Fill in the connectors' Icon (null otherwise), as Cyclr does.")
    ] = False,
) -> list[CycleOut]:
    rows = await fetch_page(
        session=session,
        query=service.list_query(account_id=account.account_id, tag=tag),
        request=paging,
        sortable=service.SORTABLE,
        default_order="CreatedDate",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    listed = [await _out(session, row) for row in rows]
    if not includeIcons:
        for out in listed:
            for connector in out.Connectors:
                connector.Icon = None
    return listed


@router.post(
    "/cycles",
    response_model=CycleOut,
    status_code=201,
    summary="Create a cycle",
    description="An empty Paused cycle of the account's own; add steps and edges with "
    "/v1.0/cycles/{id}/steps and /edges. `Id` may give the cycle's GUID (400 when malformed "
    "or already in use).",
)
async def create_cycle(
    create_in: CycleCreate, account: CurrentAccount, session: Session, context: Context
) -> CycleOut:
    cycle = await editing.create(
        session=session, account_id=account.account_id, create_in=create_in, now=context.clock()
    )
    return await _out(session, cycle)


@router.get(
    "/cycles/upgradeable",
    response_model=list[CycleOut],
    summary="Cycles with a newer template release",
    description="The account's cycles whose template has a Live release newer than the one "
    "they run; upgrade one with PUT /v1.0/cycles/{id}/upgrade.",
)
async def list_upgradeable(account: CurrentAccount, session: Session) -> list[CycleOut]:
    rows = await upgrade.upgradeable(session=session, account_id=account.account_id)
    return [await _out(session, row) for row in rows]


@router.get("/cycles/{cycle_id}", response_model=CycleOut, summary="Get a cycle")
async def get_cycle(
    cycle_id: GuidId, account: CurrentAccount, session: Session, context: Context
) -> CycleOut:
    cycle = await _cycle(session, account, cycle_id)
    return await _out(session, cycle, context)


@router.delete(
    "/cycles/{cycle_id}",
    summary="Delete a cycle",
    description="Webhooks its steps installed at an API are deleted there first; those that "
    "could not be are listed in `Warnings` (Junction extension): remove them at the API.",
)
async def delete_cycle(cycle_id: GuidId, account: CurrentAccount, context: Context) -> Any:
    name, warnings = await activation_flow.remove(
        caller=_caller(context), account_id=account.account_id, cycle_id=cycle_id
    )
    answer: dict[str, Any] = {"Message": f"Cycle '{name}' deleted."}
    if warnings:
        answer["Warnings"] = [w.model_dump() for w in warnings]
    return answer


@router.get(
    "/cycles/{cycle_id}/prerequisites",
    summary="What the cycle needs before it can be activated",
    description="Items `{ReasonCode, Reason, ObjectType, ObjectId}` with Cyclr's ReasonCodes: "
    "10 fewer than two steps, 11 steps not joined into one flow from one trigger (or a "
    "loop), 20 an unauthenticated connector (or a method step without one), 30 a step with "
    "inputs to fill (see GET /v1.0/steps/{id}/prerequisites) or an invalid mapping, 31/32/33 "
    "a decision, delay or wait-until step not set up.",
)
async def get_prerequisites(cycle_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    cycle = await _cycle(session, account, cycle_id)
    loaded = await structure.load(session=session, cycle=cycle)
    return [vars(item) for item in await prerequisites.of_cycle(session=session, structure=loaded)]


@router.put(
    "/cycles/{cycle_id}/activate",
    response_model=CycleOut,
    summary="Activate a cycle",
    description="Refused with 400 and the unmet Prerequisites while there are any. Interval "
    "must be one of 1, 5, 15, 30, 60, 120, 180, 240, 360, 480, 720, 1440, 10080 minutes; it "
    "is ignored for a webhook trigger and optional with RunOnce. A webhook trigger whose "
    "method has a CreateWebhookMethod installs its webhook at the API first: refused with "
    "400 (`StepId`, `StepName`, `UpstreamStatus`) when that fails.",
)
async def activate(
    cycle_id: GuidId,
    account: CurrentAccount,
    context: Context,
    wake: WakeAfterCommit,
    activate_in: Annotated[ActivateIn | None, Body()] = None,
) -> CycleOut:
    # No request-wide transaction: the flow commits around its calls to the API.
    await activation_flow.activate(
        caller=_caller(context),
        account_id=account.account_id,
        cycle_id=cycle_id,
        activate_in=activate_in or ActivateIn(),
        now=context.clock(),
    )
    wake()
    async with context.database.transaction(read_only=True) as session:
        return await _out(session, await _cycle(session, account, cycle_id), context)


class DeactivatedOut(CycleOut):
    Warnings: list[WebhookWarning] = Field(
        default_factory=list,
        description="Junction extension: webhooks that could not be deleted at the API.",
    )


@router.put(
    "/cycles/{cycle_id}/deactivate",
    response_model=DeactivatedOut,
    summary="Deactivate a cycle",
    description="The cycle is Paused. Without finishQueuedTransactions its started "
    "transactions end Stopped and queued ones wait for it to be activated again (they are "
    "cancelled after JUNCTION_STOPPED_QUEUE_HOURS); with finishQueuedTransactions=true every "
    "queued and started transaction runs to its end first. Webhooks installed at the API are "
    "deleted there; one that could not be is listed in `Warnings` and deleted next time.",
)
async def deactivate(
    cycle_id: GuidId,
    account: CurrentAccount,
    context: Context,
    wake: WakeAfterCommit,
    finishQueuedTransactions: bool = False,
) -> DeactivatedOut:
    warnings = await activation_flow.deactivate(
        caller=_caller(context),
        account_id=account.account_id,
        cycle_id=cycle_id,
        finish_queued=finishQueuedTransactions,
        now=context.clock(),
    )
    wake()
    async with context.database.transaction(read_only=True) as session:
        out = await _out(session, await _cycle(session, account, cycle_id))
    return DeactivatedOut(**out.model_dump(), Warnings=warnings)


@router.put(
    "/cycles/{cycle_id}",
    response_model=CycleOut,
    summary="Update a cycle",
    description="Partial. An active cycle cannot change (409): deactivate it first.",
)
async def update_cycle(
    cycle_id: GuidId,
    update_in: CycleUpdate,
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> CycleOut:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    await editing.update(session=session, cycle=cycle, update_in=update_in, now=context.clock())
    return await _out(session, cycle)


@router.get("/cycles/{cycle_id}/variables", summary="List a cycle's variables")
async def list_variables(cycle_id: GuidId, account: CurrentAccount, session: Session) -> Any:
    cycle = await _cycle(session, account, cycle_id)
    return editing.variables_out(cycle)


@router.put(
    "/cycles/{cycle_id}/variables/{name}",
    summary="Set a cycle variable's value",
    description="An active cycle cannot change (409): deactivate it first.",
)
async def set_variable(
    cycle_id: GuidId,
    name: str,
    variable_in: VariableIn,
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> Any:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    return await editing.set_variable(
        session=session, cycle=cycle, name=name, value=variable_in.Value, now=context.clock()
    )


@router.put(
    "/cycles/{cycle_id}/upgrade",
    summary="Upgrade a cycle to its template's newest Live release (Junction extension)",
    description="Keeps the values of user-configurable mappings and variables, the account "
    "connectors, the name and the schedule; the rest comes from the release. Answers the "
    "Cycle and what could not be carried over (`NotCarriedOver`). An active cycle left with "
    "unmet prerequisites is paused (`Deactivated`).",
)
async def upgrade_cycle(
    cycle_id: GuidId, account: CurrentAccount, session: Session, context: Context
) -> Any:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    report = await upgrade.upgrade(
        session=session, keyring=context.keyring, cycle=cycle, now=context.clock()
    )
    return {"Cycle": (await _out(session, cycle)).model_dump(mode="json"), **report.body()}


@router.post(
    "/cycles/{cycle_id}/variables",
    summary="Add a cycle variable",
    description="`SystemName` may be left out when `DisplayName` is given: it is made from "
    "it (letters, digits and underscores; any other run of characters one underscore). An "
    "active cycle cannot change (409): deactivate it first.",
)
async def add_variable(
    cycle_id: GuidId,
    variable_in: NewVariableIn,
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> Any:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    return await editing.add_variable(
        session=session, cycle=cycle, variable=variable_in.variable(), now=context.clock()
    )


@router.patch(
    "/cycles/{cycle_id}/variables",
    summary="Set several variables' values",
    description="An array of `{SystemName, Value}`; all are set, or none when one is unknown.",
)
async def set_variables(
    cycle_id: GuidId,
    values: list[NamedVariableIn],
    account: CurrentAccount,
    session: Session,
    context: Context,
) -> Any:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    return await editing.set_variables(
        session=session, cycle=cycle, values=values, now=context.clock()
    )


@router.get("/cycles/{cycle_id}/variables/{name}", summary="Get a cycle variable")
async def get_variable(
    cycle_id: GuidId, name: str, account: CurrentAccount, session: Session
) -> Any:
    cycle = await _cycle(session, account, cycle_id)
    return editing.get_variable(cycle, name)


@router.delete("/cycles/{cycle_id}/variables/{name}", summary="Delete a cycle variable")
async def delete_variable(
    cycle_id: GuidId, name: str, account: CurrentAccount, session: Session, context: Context
) -> Any:
    cycle = await _cycle(session, account, cycle_id, lock=True)
    await editing.remove_variable(session=session, cycle=cycle, name=name, now=context.clock())
    return {"Message": f"Variable '{name}' deleted."}
