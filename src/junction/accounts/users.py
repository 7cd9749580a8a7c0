"""Account users across accounts (``PUT /users``) and suspension of accounts and users.

A suspended account or user keeps its data and its cycles; only signing in to the embedded
pages is refused (embed/signin.py checks it). Functions flush; the caller commits.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account, AccountUser
from junction.accounts.service import get_account
from junction.errors import Conflict, NotFound
from junction.security.hashing import hash_password


async def user_by_name(
    *, session: AsyncSession, username: str, account_id: str | None
) -> AccountUser:
    """The user of that name: in ``account_id`` when given, else the only one of any account."""
    query = select(AccountUser).where(AccountUser.username == username)
    if account_id is not None:
        await get_account(session=session, account_id=account_id)
        query = query.where(AccountUser.account_id == account_id)
    users = list(await session.scalars(query.limit(2)))
    if not users:
        where = f" in account '{account_id}'" if account_id is not None else ""
        raise NotFound(f"UserName: no user named '{username}'{where}")
    if len(users) > 1:
        raise Conflict(f"UserName: several accounts have a user named '{username}'; give AccountId")
    return users[0]


async def set_password(
    *, session: AsyncSession, username: str, password: str, account_id: str | None
) -> AccountUser:
    user = await user_by_name(session=session, username=username, account_id=account_id)
    # scrypt is deliberately slow; keep it off the event loop.
    user.password_hash = await asyncio.to_thread(hash_password, password)
    await session.flush()
    return user


async def suspend_account(
    *, session: AsyncSession, account_id: str, now: datetime | None
) -> Account:
    """Suspend the account (``now``) or resume it (None). Suspending again keeps the time."""
    account = await get_account(session=session, account_id=account_id)
    if now is None or account.suspended_at is None:
        account.suspended_at = now
    await session.flush()
    return account


async def suspend_user(
    *, session: AsyncSession, account_id: str, username: str, now: datetime | None
) -> AccountUser:
    """Suspend the account's user (``now``) or resume them (None)."""
    user = await user_by_name(session=session, username=username, account_id=account_id)
    if now is None or user.suspended_at is None:
        user.suspended_at = now
    await session.flush()
    return user
