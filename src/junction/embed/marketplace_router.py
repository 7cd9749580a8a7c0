"""Partner-level routes for Marketplaces: the marketplaces themselves (a Junction extension:
Cyclr builds them in its console) and the links that open one for an account or a user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import AccountUser
from junction.accounts.schemas import AccountIdText
from junction.api.context import Context, Session
from junction.api.ids import RowId
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.embed import deploy, marketplaces
from junction.embed.links import new_token, sign_in_url
from junction.embed.schemas import (
    MarketplaceCreated,
    MarketplaceDeployIn,
    MarketplaceDeployOut,
    MarketplaceIn,
    MarketplaceOut,
    UserMarketplaceIn,
)
from junction.services import Services

router = APIRouter(tags=["Embedding"])


@router.post(
    "/marketplaces",
    status_code=201,
    response_model=MarketplaceCreated,
    summary="Create a marketplace (Junction extension)",
    description="Cards are `IntegrationPackage` (templates installed together), `RichText` "
    "and `ActionLink`. The answer holds `NotificationSigningSecret`, which signs the "
    "notifications sent to `NotificationUrl`; it is shown only here.",
)
async def create_marketplace(
    marketplace_in: MarketplaceIn, session: Session, context: Context
) -> MarketplaceCreated:
    row, secret = await marketplaces.create(
        session=session, keyring=context.keyring, marketplace_in=marketplace_in, now=context.clock()
    )
    return MarketplaceCreated(
        **marketplaces.out(row).model_dump(), NotificationSigningSecret=secret
    )


@router.get("/marketplaces", response_model=list[MarketplaceOut], summary="List marketplaces")
async def list_marketplaces(session: Session) -> list[MarketplaceOut]:
    return [marketplaces.out(row) for row in await marketplaces.listing(session=session)]


@router.get(
    "/marketplaces/{marketplace_id}", response_model=MarketplaceOut, summary="Get a marketplace"
)
async def get_marketplace(marketplace_id: RowId, session: Session) -> MarketplaceOut:
    return marketplaces.out(await marketplaces.get(session=session, marketplace_id=marketplace_id))


@router.put(
    "/marketplaces/{marketplace_id}",
    response_model=MarketplaceOut,
    summary="Replace a marketplace's settings and cards",
    description="Packages keep their Ids when they are sent back with them.",
)
async def replace_marketplace(
    marketplace_id: RowId, marketplace_in: MarketplaceIn, session: Session, context: Context
) -> MarketplaceOut:
    row = await marketplaces.get(session=session, marketplace_id=marketplace_id)
    await marketplaces.replace(
        session=session, row=row, marketplace_in=marketplace_in, now=context.clock()
    )
    return marketplaces.out(row)


@router.delete("/marketplaces/{marketplace_id}", summary="Delete a marketplace")
async def delete_marketplace(marketplace_id: RowId, session: Session) -> Any:
    row = await marketplaces.get(session=session, marketplace_id=marketplace_id)
    name = row.name
    await marketplaces.remove(session=session, row=row)
    return {"Message": f"Marketplace '{name}' deleted; installed integrations stay."}


async def _deploy(
    session: AsyncSession,
    context: Services,
    account_id: str,
    deploy_in: MarketplaceDeployIn,
    user: AccountUser | None,
    discover: Callable[[int], None],
) -> MarketplaceDeployOut:
    await marketplaces.get(session=session, marketplace_id=deploy_in.MarketplaceId)
    await deploy.prepare(
        session=session,
        context=context,
        account_id=account_id,
        deploy_in=deploy_in,
        create=user is None,
        discover=discover,
    )
    options = {
        "page": "marketplace",
        "marketplace_id": deploy_in.MarketplaceId,
        "inline_oauth": deploy_in.InlineOAuth,
        "complete_parameter": deploy_in.CompleteParameter,
    }
    token, expires_at = await new_token(session, context, account_id, user, options)
    return MarketplaceDeployOut(
        MarketplaceUrl=sign_in_url(context, token, "/marketplace"),
        AccountId=account_id,
        Token=token,
        ExpiresAtUtc=expires_at,
    )


@router.post(
    "/accounts/{account_id}/marketplace",
    response_model=MarketplaceDeployOut,
    summary="Deploy a Marketplace for an account",
    description="As LAUNCH: creates the account when the id is new and installs the "
    "`ConnectorAuthentications`; answers a single-use `MarketplaceUrl`.",
)
async def account_marketplace(
    account_id: AccountIdText,
    deploy_in: Annotated[MarketplaceDeployIn, Body()],
    session: Session,
    context: Context,
    discover_fields: DiscoverAfterCommit,
) -> MarketplaceDeployOut:
    return await _deploy(session, context, account_id, deploy_in, None, discover_fields)


@router.post(
    "/users/marketplace",
    response_model=MarketplaceDeployOut,
    summary="Deploy a Marketplace for one of an account's users",
)
async def user_marketplace(
    deploy_in: UserMarketplaceIn,
    session: Session,
    context: Context,
    discover_fields: DiscoverAfterCommit,
) -> MarketplaceDeployOut:
    user = await deploy.signed_in_user(
        session=session,
        account_id=deploy_in.AccountId,
        username=deploy_in.Username,
        password=deploy_in.Password,
    )
    return await _deploy(session, context, deploy_in.AccountId, deploy_in, user, discover_fields)
