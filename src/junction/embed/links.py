"""The links the deploy routes answer: a sign-in token and the address that spends it."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import AccountUser
from junction.embed import signin
from junction.services import Services

SIGN_IN_PATH = "/account/signinwithtoken"
# The connector authentication link (embed/connector_auth_pages.py).
CONNECTOR_LINK_PATH = "/connectorauth/updateaccountconnectoroauth"


def sign_in_url(context: Services, token: str, return_path: str) -> str:
    query = urlencode({"token": token, "returnUrl": return_path}, quote_via=quote)
    return f"{context.settings.public_base_url.rstrip('/')}{SIGN_IN_PATH}?{query}"


def connector_link_url(
    context: Services, account_connector_id: int, token: str, target_origin: str
) -> str:
    """The single-use link that signs in one account connector, spending ``token``, and
    then sends the browser on to ``target_origin``."""
    query = urlencode(
        {"id": account_connector_id, "token": token, "targetOrigin": target_origin},
        quote_via=quote,
    )
    return f"{context.settings.public_base_url.rstrip('/')}{CONNECTOR_LINK_PATH}?{query}"


async def new_token(
    session: AsyncSession,
    context: Services,
    account_id: str,
    user: AccountUser | None,
    options: dict[str, Any],
) -> tuple[str, datetime]:
    return await signin.issue(
        session=session,
        account_id=account_id,
        user=user,
        options=options,
        now=context.clock(),
        lifetime=context.settings.sign_in_token_lifetime,
    )
