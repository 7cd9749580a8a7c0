"""Account-level custom connectors: ``/v1.0/account/connectors/custom``.

An account's own connector definitions, stored as catalogue releases that belong to the
account: validated and kept exactly as the partner's are, installed with
``POST /connectors/{Id}/install`` like any other, and seen by no other account (nor by
templates, which use the partner's catalogue).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, exists, select

from junction.api.context import Context, Session
from junction.api.ids import RowId
from junction.auth.identity import CurrentAccount
from junction.bounds import check_texts
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import MAX_DEFINITION_BYTES, YAML_TYPES, load_document
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.schemas import ConnectorOut
from junction.errors import Conflict, NotFound, PayloadTooLarge

router = APIRouter(tags=["Custom connectors"])
PATH = "/account/connectors/custom"


async def _own(session: Session, account_id: str, connector_id: int) -> Connector:
    row = await session.get(Connector, connector_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"The account has no custom connector with Id {connector_id}")
    return row


@router.get(PATH, response_model=list[ConnectorOut], summary="List the account's custom connectors")
async def list_custom(account: CurrentAccount, session: Session) -> list[ConnectorOut]:
    rows = await session.scalars(
        select(Connector).where(Connector.account_id == account.account_id).order_by(Connector.id)
    )
    return [ConnectorOut.build(row) for row in rows]


@router.post(
    PATH,
    response_model=ConnectorOut,
    summary="Add a custom connector of the account",
    description="The body is a connector definition, as for `POST /v1.0/connectors` (JSON, "
    "or YAML with Content-Type application/yaml). The release belongs to the account: only "
    "it sees and installs it. 201 when added; 200 when it replaces the account's Draft of "
    "the same Name and Version; 409 when another connector has that Name and Version.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/ConnectorDefinition"}}
            },
        }
    },
)
async def add_custom(
    request: Request,
    account: CurrentAccount,
    context: Context,
    session: Session,
    response: Response,
) -> ConnectorOut:
    body = await request.body()
    if len(body) > MAX_DEFINITION_BYTES:
        raise PayloadTooLarge(f"The definition is larger than {MAX_DEFINITION_BYTES} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    document = load_document(body, yaml_allowed=content_type in YAML_TYPES)
    check_texts(document)
    connector, created = await catalog.add_release(
        session=session, document=document, now=context.clock(), account_id=account.account_id
    )
    response.status_code = 201 if created else 200
    return ConnectorOut.build(connector)


@router.get(PATH + "/{connector_id}", response_model=ConnectorOut, summary="Get a custom connector")
async def get_custom(
    connector_id: RowId, account: CurrentAccount, session: Session
) -> ConnectorOut:
    return ConnectorOut.build(await _own(session, account.account_id, connector_id))


@router.delete(
    PATH + "/{connector_id}",
    summary="Delete a custom connector",
    description="Refused (409) while the account has it installed: remove the account "
    "connectors first.",
)
async def delete_custom(connector_id: RowId, account: CurrentAccount, session: Session) -> Any:
    row = await _own(session, account.account_id, connector_id)
    installed = await session.scalar(
        select(exists().where(AccountConnector.connector_id == row.id))
    )
    if installed:
        raise Conflict(
            f"Custom connector {row.id} is installed in the account; remove its account "
            "connectors first"
        )
    await session.execute(delete(Connector).where(Connector.id == row.id))
    return {"Message": f"Custom connector '{row.name}' {row.version} deleted."}
