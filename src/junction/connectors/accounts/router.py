"""Account-level connector routes: install, account connectors and their properties."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from junction.api.context import Context, Session
from junction.api.ids import RowId
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts import service
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.connectors.accounts.dependencies import Row
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import (
    AccountConnectorOut,
    AccountConnectorUpdate,
    InstallIn,
    PropertyIn,
    PropertyOut,
)
from junction.connectors.calls import checks
from junction.connectors.catalog import service as catalog
from junction.errors import BadRequest

router = APIRouter(tags=["Account connectors"])

Paging = Annotated[PageRequest, Depends(page_request)]


@router.post(
    "/connectors/{connector}/install",
    response_model=AccountConnectorOut,
    summary="Install a connector into the account",
    description="`connector` is a connector Id, or a name (its newest Live release).",
)
async def install(
    connector: str,
    install_in: InstallIn,
    account: CurrentAccount,
    session: Session,
    context: Context,
    discover_fields: DiscoverAfterCommit,
) -> AccountConnectorOut:
    row = await service.install(
        session=session,
        keyring=context.keyring,
        account_id=account.account_id,
        connector_ref=connector,
        install_in=install_in,
        now=context.clock(),
    )
    if row.authenticated:
        discover_fields(row.id)
    return await service.to_out(session=session, row=row)


@router.get(
    "/account/connectors",
    response_model=list[AccountConnectorOut],
    summary="List account connectors",
)
async def list_account_connectors(
    account: CurrentAccount, session: Session, paging: Paging, response: Response
) -> list[AccountConnectorOut]:
    rows = await fetch_page(
        session=session,
        query=service.list_query(account_id=account.account_id),
        request=paging,
        sortable=service.SORTABLE,
        default_order="Id",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    return [await service.to_out(session=session, row=row) for row in rows]


@router.get(
    "/account/connectors/{account_connector_id}",
    response_model=AccountConnectorOut,
    summary="Get an account connector",
)
async def get_account_connector(row: Row, session: Session) -> AccountConnectorOut:
    return await service.to_out(session=session, row=row)


@router.put(
    "/account/connectors/{account_connector_id}",
    response_model=AccountConnectorOut,
    summary="Update or authenticate an account connector",
    description="Partial. `AuthValue` authenticates: an API key as text, Basic as base64 "
    "'user:password', OAuth2 as JSON {AccessToken, RefreshToken, Expires}.",
)
async def update_account_connector(
    account_connector_id: RowId,
    update_in: AccountConnectorUpdate,
    account: CurrentAccount,
    context: Context,
    discover_fields: DiscoverAfterCommit,
) -> AccountConnectorOut:
    row, newly_authenticated = await checks.update_checked(
        gateway=context.gateway,
        account_id=account.account_id,
        account_connector_id=account_connector_id,
        update_in=update_in,
        now=context.clock(),
    )
    async with context.database.transaction(read_only=True) as session:
        out = await service.to_out(session=session, row=row)
    if newly_authenticated:
        discover_fields(row.id)
    return out


@router.delete("/account/connectors/{account_connector_id}", summary="Remove an account connector")
async def delete_account_connector(row: Row, session: Session, context: Context) -> Any:
    name = row.name
    await service.remove(session=session, row=row)
    return {"Message": f"Connector '{name}' removed from the account."}


@router.put(
    "/account/connectors/{account_connector_id}/deauthenticate",
    summary="Forget an account connector's credentials",
)
async def deauthenticate(row: Row, session: Session, context: Context) -> Any:
    await service.deauthenticate(session=session, row=row, now=context.clock())
    return {"Message": f"Connector '{row.name}' successfully de-authenticated."}


@router.get(
    "/account/connectors/{account_connector_id}/properties",
    response_model=list[PropertyOut],
    summary="List an account connector's properties",
)
async def list_properties(
    row: Row,
    session: Session,
    orderBy: Annotated[str | None, Query(description="Id (the default) or Name.")] = None,
    sortOrderAsc: Annotated[bool, Query(description="Ascending when true.")] = True,
) -> list[PropertyOut]:
    stored = await service.properties(
        session=session, row=row, order_by=orderBy, ascending=sortOrderAsc
    )
    return [service.property_out(p) for p in stored]


async def _set(
    row: AccountConnector,
    prop: PropertyIn,
    session: Session,
    context: Context,
    *,
    keep_hidden: bool = False,
) -> PropertyOut:
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    parameter = service.account_property(catalog.definition_of(connector), prop.Name)
    service.touch(row, context.clock())
    stored = await service.set_property(
        session=session,
        keyring=context.keyring,
        row=row,
        parameter=parameter,
        value=prop.Value,
        keep_hidden=keep_hidden,
    )
    return service.property_out(stored)


@router.post(
    "/account/connectors/{account_connector_id}/properties",
    response_model=PropertyOut,
    summary="Set an account connector property",
)
async def create_property(
    row: Row, prop: PropertyIn, session: Session, context: Context
) -> PropertyOut:
    return await _set(row, prop, session, context)


@router.get(
    "/account/connectors/{account_connector_id}/properties/{property_id}",
    response_model=PropertyOut,
    summary="Get an account connector property",
)
async def get_property(row: Row, property_id: RowId, session: Session) -> PropertyOut:
    return service.property_out(
        await service.get_property(session=session, row=row, property_id=property_id)
    )


@router.put(
    "/account/connectors/{account_connector_id}/properties/{property_id}",
    response_model=PropertyOut,
    summary="Change an account connector property",
)
async def put_property(
    row: Row, property_id: RowId, prop: PropertyIn, session: Session, context: Context
) -> PropertyOut:
    stored = await service.get_property(session=session, row=row, property_id=property_id)
    if prop.Name.lower() != stored.name.lower():
        raise BadRequest(
            f"Name: '{prop.Name}' does not match property {property_id} ('{stored.name}')"
        )
    # The answer shows a sensitive value as null: sent back, it keeps the value.
    return await _set(row, prop, session, context, keep_hidden=True)


@router.delete(
    "/account/connectors/{account_connector_id}/properties/{property_id}",
    summary="Remove an account connector property",
)
async def delete_property(row: Row, property_id: RowId, session: Session, context: Context) -> Any:
    service.touch(row, context.clock())
    stored = await service.get_property(session=session, row=row, property_id=property_id)
    await service.delete_property(session=session, stored=stored)
    return {"Message": f"Property '{stored.name}' removed."}
