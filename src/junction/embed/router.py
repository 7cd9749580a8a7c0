"""Partner-level routes that hand out sign-in tokens: plain, LAUNCH and ORBIT, for an account
or for one of its users. Account-restricted tokens are refused (like every partner route):
these decide what a customer's browser may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Body
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import AccountUser
from junction.accounts.schemas import AccountIdText
from junction.api.context import Context, Session
from junction.auth import service as auth
from junction.auth.identity import Authenticated
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.embed import deploy, signin
from junction.embed.links import SIGN_IN_PATH, new_token, sign_in_url
from junction.embed.schemas import (
    BrowserTokenOut,
    LaunchIn,
    LaunchOut,
    OrbitIn,
    OrbitOut,
    SignInTokenIn,
    SignInTokenOut,
    UserLaunchIn,
    UserOrbitIn,
    launch_options,
)
from junction.services import Services

router = APIRouter(tags=["Embedding"])


@router.post(
    "/accounts/{account_id}/signintoken",
    response_model=SignInTokenOut,
    summary="Get a single-use sign-in token for the account",
    description="The token opens a browser session in the account at "
    f"`{SIGN_IN_PATH}?token=…&returnUrl=/launch` (or /orbit). It works once, within "
    "JUNCTION_SIGN_IN_TOKEN_LIFETIME (5 minutes). `Username` names the account's user it "
    "signs in, created when missing.",
)
async def sign_in_token(
    account_id: AccountIdText,
    session: Session,
    context: Context,
    body: Annotated[SignInTokenIn | None, Body()] = None,
) -> SignInTokenOut:
    now = context.clock()
    await deploy.account_for(
        session=session, account_id=account_id, name=None, description=None, create=False, now=now
    )
    user = await signin.user_named(
        session=session, account_id=account_id, username=(body or SignInTokenIn()).Username, now=now
    )
    token, expires_at = await new_token(session, context, account_id, user, {})
    return SignInTokenOut(Token=token, ExpiresAtUtc=expires_at)


async def _launch(
    session: AsyncSession,
    context: Services,
    account_id: str,
    launch_in: LaunchIn,
    user: AccountUser | None,
    discover: Callable[[int], None],
) -> LaunchOut:
    await deploy.prepare(
        session=session,
        context=context,
        account_id=account_id,
        deploy_in=launch_in,
        create=user is None,
        discover=discover,
    )
    token, expires_at = await new_token(
        session, context, account_id, user, launch_options(launch_in)
    )
    return LaunchOut(
        AccountId=account_id,
        ExpiresAtUtc=expires_at,
        LaunchUrl=sign_in_url(context, token, "/launch"),
        Token=token,
    )


@router.post(
    "/accounts/{account_id}/launch",
    response_model=LaunchOut,
    summary="Deploy LAUNCH for an account",
    description="Creates the account when the id is new (`AccountName`, `AccountDescription`), "
    "installs the `ConnectorAuthentications` already authenticated, and answers a single-use "
    "`LaunchUrl` to send the customer to (a popup, a new tab or an iframe).",
)
async def launch(
    account_id: AccountIdText,
    session: Session,
    context: Context,
    discover_fields: DiscoverAfterCommit,
    body: Annotated[LaunchIn | None, Body()] = None,
) -> LaunchOut:
    launch_in = body or LaunchIn()
    return await _launch(session, context, account_id, launch_in, None, discover_fields)


@router.post(
    "/users/launch",
    response_model=LaunchOut,
    summary="Deploy LAUNCH for one of an account's users",
    description="As the account's LAUNCH, for the user `Username` of account `AccountId`, "
    "whose `Password` must match.",
)
async def user_launch(
    launch_in: UserLaunchIn,
    session: Session,
    context: Context,
    discover_fields: DiscoverAfterCommit,
) -> LaunchOut:
    user = await deploy.signed_in_user(
        session=session,
        account_id=launch_in.AccountId,
        username=launch_in.Username,
        password=launch_in.Password,
    )
    return await _launch(session, context, launch_in.AccountId, launch_in, user, discover_fields)


async def _orbit(
    session: AsyncSession, context: Services, account_id: str, user: AccountUser | None
) -> OrbitOut:
    token, expires_at = await new_token(session, context, account_id, user, {"page": "orbit"})
    return OrbitOut(
        AccountId=account_id,
        ExpiresAtUtc=expires_at,
        OrbitUrl=sign_in_url(context, token, "/orbit"),
        Token=token,
    )


@router.post(
    "/accounts/{account_id}/orbit",
    response_model=OrbitOut,
    summary="Deploy ORBIT for an account",
    description="A single-use `OrbitUrl` to the page where the customer sees, pauses, "
    "resumes, reconnects and deletes the integrations of the account.",
)
async def orbit(
    account_id: AccountIdText,
    session: Session,
    context: Context,
    body: Annotated[OrbitIn | None, Body()] = None,
) -> OrbitOut:
    del body  # Cyclr's clients send {}
    await deploy.account_for(
        session=session,
        account_id=account_id,
        name=None,
        description=None,
        create=False,
        now=context.clock(),
    )
    return await _orbit(session, context, account_id, None)


@router.post(
    "/users/orbit",
    response_model=OrbitOut,
    summary="Deploy ORBIT for one of an account's users",
)
async def user_orbit(orbit_in: UserOrbitIn, session: Session, context: Context) -> OrbitOut:
    user = await deploy.signed_in_user(
        session=session,
        account_id=orbit_in.AccountId,
        username=orbit_in.Username,
        password=orbit_in.Password,
    )
    return await _orbit(session, context, orbit_in.AccountId, user)


@router.post(
    "/accounts/{account_id}/browsertoken",
    response_model=BrowserTokenOut,
    summary="Get a short-lived token for one account, to use from a browser (Junction extension)",
    description="For partners who build their own pages on the API: an access token "
    "restricted to the account (as `scope=account:{id}` at /oauth/token) that lives "
    "JUNCTION_BROWSER_TOKEN_LIFETIME (15 minutes). Pages on the JUNCTION_CORS_ORIGINS may "
    "call the API with it; it cannot reach partner-level methods or another account.",
)
async def browser_token(
    account_id: AccountIdText, identity: Authenticated, session: Session, context: Context
) -> BrowserTokenOut:
    now = context.clock()
    await deploy.account_for(
        session=session, account_id=account_id, name=None, description=None, create=False, now=now
    )
    lifetime = context.settings.browser_token_lifetime
    issued = await auth.issue_token(
        session=session,
        client_id=identity.client_id,
        account_id=account_id,
        lifetime=lifetime,
        now=now,
    )
    return BrowserTokenOut(
        access_token=issued.access_token,
        expires_in=int(lifetime.total_seconds()),
        scope=f"account:{account_id}",
        ExpiresAtUtc=issued.expires_at,
    )
