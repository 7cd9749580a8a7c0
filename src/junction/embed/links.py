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


def sign_in_url(context: Services, token: str, return_path: str) -> str:
    query = urlencode({"token": token, "returnUrl": return_path}, quote_via=quote)
    return f"{context.settings.public_base_url.rstrip('/')}{SIGN_IN_PATH}?{query}"


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
