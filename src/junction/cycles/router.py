"""Account-level cycle routes: installing templates, listing and removing cycles."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from junction.api.context import Context, Session
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.auth.identity import CurrentAccount
from junction.cycles import service
from junction.cycles.models import Cycle
from junction.cycles.schemas import CycleOut

router = APIRouter(tags=["Cycles"])

Paging = Annotated[PageRequest, Depends(page_request)]


async def _out(session: Session, cycle: Cycle) -> CycleOut:
    return CycleOut.build(cycle, await service.connectors_of(session=session, cycle_id=cycle.id))


@router.post(
    "/templates/{template_id}/install",
    response_model=CycleOut,
    summary="Install a template into the account",
    description="Installs the template's newest Live release as a Paused cycle, installing "
    "the connectors it needs that the account lacks (or always, with ConnectorInstallation "
    "Fresh).",
)
async def install(
    template_id: str, account: CurrentAccount, session: Session, context: Context
) -> CycleOut:
    cycle = await service.install(
        session=session,
        keyring=context.keyring,
        account_id=account.account_id,
        template_id=template_id,
        now=context.clock(),
    )
    return await _out(session, cycle)


@router.get("/cycles", response_model=list[CycleOut], summary="List the account's cycles")
async def list_cycles(
    account: CurrentAccount, session: Session, paging: Paging, response: Response
) -> list[CycleOut]:
    rows = await fetch_page(
        session=session,
        query=service.list_query(account_id=account.account_id),
        request=paging,
        sortable=service.SORTABLE,
        default_order="CreatedDate",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    return [await _out(session, row) for row in rows]


@router.get("/cycles/{cycle_id}", response_model=CycleOut, summary="Get a cycle")
async def get_cycle(cycle_id: str, account: CurrentAccount, session: Session) -> CycleOut:
    cycle = await service.get(session=session, account_id=account.account_id, cycle_id=cycle_id)
    return await _out(session, cycle)


@router.delete("/cycles/{cycle_id}", summary="Delete a cycle")
async def delete_cycle(cycle_id: str, account: CurrentAccount, session: Session) -> Any:
    cycle = await service.get(session=session, account_id=account.account_id, cycle_id=cycle_id)
    name = cycle.name
    await service.remove(session=session, cycle=cycle)
    return {"Message": f"Cycle '{name}' deleted."}
