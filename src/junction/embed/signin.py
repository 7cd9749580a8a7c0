"""Sign-in tokens (single use, short-lived) and the browser sessions they open.

A partner's server asks for a token (``/signintoken``, ``/launch``, ``/orbit``) and sends its
customer's browser to ``/account/signinwithtoken?token=…``. That page spends the token and
sets a session cookie bound to the account; the pages then act only in that account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account, AccountUser
from junction.embed.models import BrowserSession, SignInToken
from junction.security.hashing import token_hash

# Tokens and sessions expired this long ago are deleted as new ones are made.
KEPT_AFTER_EXPIRY = timedelta(days=1)


class TokenRefused(Exception):
    """A sign-in token that is unknown, spent or expired: the page says which."""


async def user_named(
    *, session: AsyncSession, account_id: str, username: str | None, now: datetime
) -> AccountUser | None:
    """The account's user of that name, created when missing (None without a name)."""
    if not username:
        return None
    user = await session.scalar(
        select(AccountUser).where(
            AccountUser.account_id == account_id, AccountUser.username == username
        )
    )
    if user is None:
        user = AccountUser(account_id=account_id, username=username, created_at=now)
        session.add(user)
        await session.flush()
    return user


async def issue(
    *,
    session: AsyncSession,
    account_id: str,
    user: AccountUser | None,
    options: dict[str, Any],
    now: datetime,
    lifetime: timedelta,
) -> tuple[str, datetime]:
    """A new token and when it expires."""
    await session.execute(
        delete(SignInToken).where(SignInToken.expires_at < now - KEPT_AFTER_EXPIRY)
    )
    token = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    session.add(
        SignInToken(
            digest=token_hash(token),
            account_id=account_id,
            user_id=user.id if user else None,
            options=options,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return token, expires_at


@dataclass(frozen=True)
class Opened:
    cookie: str
    csrf: str
    options: dict[str, Any]
    expires_at: datetime


async def peek(*, session: AsyncSession, token: str, now: datetime) -> SignInToken:
    """The token if it can still be spent (TokenRefused saying why not); nothing changes."""
    found = await session.get(SignInToken, token_hash(token))
    if found is None:
        raise TokenRefused("This sign-in link is not valid.")
    if found.used_at is not None:
        raise TokenRefused("This sign-in link has been used already. Each link works once.")
    if found.expires_at <= now:
        raise TokenRefused("This sign-in link has expired. Links work for a few minutes.")
    if await suspended(session=session, account_id=found.account_id, user_id=found.user_id):
        raise TokenRefused(
            "Signing in is suspended for this account or user. Ask the app you came from."
        )
    return found


async def suspended(*, session: AsyncSession, account_id: str, user_id: int | None) -> bool:
    """Whether the account, or the user the token or session signs in, is suspended."""
    if user_id is not None:
        user = await session.get(AccountUser, user_id)
        if user is not None and user.suspended_at is not None:
            return True
    account = await session.get(Account, account_id)
    return account is not None and account.suspended_at is not None


async def spend(
    *,
    session: AsyncSession,
    token: str,
    now: datetime,
    lifetime: timedelta,
    narrowed: dict[str, Any] | None = None,
) -> Opened:
    """Spend ``token`` (once: a second use is refused) and open a browser session, whose
    options are the token's with ``narrowed`` over them."""
    found = await peek(session=session, token=token, now=now)
    # Conditional, so that two requests racing with one token cannot both get a session.
    spent = await session.execute(
        update(SignInToken)
        .where(SignInToken.digest == found.digest, SignInToken.used_at.is_(None))
        .values(used_at=now)
    )
    if getattr(spent, "rowcount", 1) != 1:
        raise TokenRefused("This sign-in link has been used already. Each link works once.")
    await session.execute(
        delete(BrowserSession).where(BrowserSession.expires_at < now - KEPT_AFTER_EXPIRY)
    )
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires_at = now + lifetime
    session.add(
        BrowserSession(
            digest=token_hash(cookie),
            account_id=found.account_id,
            user_id=found.user_id,
            options={**found.options, **(narrowed or {})},
            csrf=csrf,
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return Opened(cookie, csrf, {**found.options, **(narrowed or {})}, expires_at)


async def session_of(*, session: AsyncSession, cookie: str, now: datetime) -> BrowserSession | None:
    found = await session.get(BrowserSession, token_hash(cookie))
    if found is None or found.expires_at <= now:
        return None
    # A suspension ends the sessions already open, at their next request.
    if await suspended(session=session, account_id=found.account_id, user_id=found.user_id):
        return None
    return found
