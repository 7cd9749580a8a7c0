"""Account connector custom fields: by hand, and discovered by the connector's lookups."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from junction.api.context import Context, Session
from junction.api.ids import RowId
from junction.auth.identity import CurrentAccount
from junction.connectors.accounts import custom_fields as service
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.custom_field_discovery import LookupFailed, discover
from junction.connectors.accounts.custom_field_schemas import (
    CustomFieldIn,
    CustomFieldOut,
    DiscoveryOut,
)
from junction.connectors.accounts.custom_methods import LOOKUP
from junction.connectors.accounts.dependencies import Row

router = APIRouter(tags=["Account connector custom fields"])
FIELDS = "/account/connectors/{account_connector_id}/fields"


@router.get(FIELDS, response_model=list[CustomFieldOut], summary="List custom fields")
async def list_fields(row: Row, session: Session) -> list[CustomFieldOut]:
    return [service.to_out(f) for f in await service.list_fields(session=session, row=row)]


@router.post(
    FIELDS,
    response_model=CustomFieldOut,
    summary="Add a custom field",
    description="A request field (`ForRequestFormat` true) or response field of one method "
    "(`MethodUniqueIdentifier`) or of every method of the connector.",
)
async def create_field(
    row: Row, field_in: CustomFieldIn, session: Session, context: Context
) -> CustomFieldOut:
    stored = await service.create(session=session, row=row, field_in=field_in, now=context.clock())
    return service.to_out(stored)


@router.post(
    FIELDS + "/discover",
    response_model=DiscoveryOut,
    summary="Discover custom fields (Junction extension)",
    description="Junction extension. Calls the connector's custom fields lookup methods and "
    "replaces the fields found before (Source Lookup); Manual fields stay. When a lookup "
    "fails, nothing changes and the answer is 502 with `LookupMethod` and the API's "
    "`UpstreamStatus` and `UpstreamBody`.",
)
async def discover_fields(
    account_connector_id: RowId, account: CurrentAccount, context: Context
) -> Any:
    # No request transaction: none may stay open while the third party answers.
    try:
        counts = await discover(
            gateway=context.gateway,
            account_connector_id=account_connector_id,
            account_id=account.account_id,
            now=context.clock(),
        )
    except LookupFailed as exc:
        return JSONResponse(exc.body(), status_code=502)
    async with context.database.transaction(read_only=True) as session:
        row = await account_connectors.get(
            session=session,
            account_id=account.account_id,
            account_connector_id=account_connector_id,
        )
        found = [
            service.to_out(f)
            for f in await service.list_fields(session=session, row=row)
            if f.source == LOOKUP
        ]
    return DiscoveryOut(
        Added=counts.added,
        Changed=counts.changed,
        Removed=counts.removed,
        Unchanged=counts.unchanged,
        Fields=found,
    )


@router.get(FIELDS + "/{field_id}", response_model=CustomFieldOut, summary="Get a custom field")
async def get_field(row: Row, field_id: RowId, session: Session) -> CustomFieldOut:
    return service.to_out(await service.get_field(session=session, row=row, field_id=field_id))


@router.put(
    FIELDS + "/{field_id}",
    response_model=CustomFieldOut,
    summary="Replace a custom field",
    description="The whole field. A field found by a lookup becomes Manual: kept as it is "
    "by later discoveries.",
)
async def put_field(
    row: Row, field_id: RowId, field_in: CustomFieldIn, session: Session, context: Context
) -> CustomFieldOut:
    stored = await service.get_field(session=session, row=row, field_id=field_id)
    await service.replace(
        session=session, row=row, stored=stored, field_in=field_in, now=context.clock()
    )
    return service.to_out(stored)


@router.delete(FIELDS + "/{field_id}", summary="Remove a custom field")
async def delete_field(row: Row, field_id: RowId, session: Session, context: Context) -> Any:
    stored = await service.get_field(session=session, row=row, field_id=field_id)
    await service.remove(session=session, row=row, stored=stored, now=context.clock())
    return {"Message": f"Custom field {field_id} removed."}
