"""Accounts and account users. Functions flush; the caller commits."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts.models import Account, AccountUser
from junction.accounts.schemas import AccountCreate, AccountUpdate, AccountUserPut
from junction.db.changes import AUTH, announce
from junction.errors import BadRequest, NotFound
from junction.security.hashing import hash_password

# API field -> model attribute, for the fields a caller may write.
WRITABLE_FIELDS = {
    "Name": "name",
    "Description": "description",
    "Timezone": "timezone",
    "AuditInfo": "audit_info",
    "TaskAuditInfo": "task_audit_info",
    "NextBillDateUtc": "next_bill_date",
    "StepDataSuccessRetentionHours": "step_data_success_retention_hours",
    "StepDataErroredRetentionHours": "step_data_errored_retention_hours",
    "TransactionErrorWebhookEnabled": "error_webhook_enabled",
    "TransactionErrorWebhookUrl": "error_webhook_url",
    "TransactionErrorWebhookIncludeWarnings": "error_webhook_include_warnings",
    "ParentAccountId": "parent_account_id",
}
# What an explicit null means for fields that cannot be empty.
CLEARED_VALUES: dict[str, Any] = {
    "Timezone": "UTC",
    "TransactionErrorWebhookEnabled": False,
    "TransactionErrorWebhookIncludeWarnings": False,
}

# Cyclr keeps an account's step data 31 days (744 hours) at most: a larger value is stored,
# and answered, as 744 (Cyclr's behaviour; its docs give no number).
RETENTION_CAP_HOURS = 744
RETENTION_FIELDS = ("StepDataSuccessRetentionHours", "StepDataErroredRetentionHours")


def _stored(field: str, value: Any) -> Any:
    """What ``value`` of API ``field`` is stored as (nulls and the retention cap)."""
    if value is None:
        return CLEARED_VALUES.get(field)
    if field in RETENTION_FIELDS:
        return min(value, RETENTION_CAP_HOURS)
    return value


SORTABLE = {"Id": Account.id, "Name": Account.name, "CreatedDate": Account.created_at}
TIEBREAK = Account.id


async def get_account(*, session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound(f"No account with Id '{account_id}'")
    return account


def _check_webhook(account: Account) -> None:
    if account.error_webhook_enabled and not account.error_webhook_url:
        raise BadRequest(
            "TransactionErrorWebhookUrl: required when TransactionErrorWebhookEnabled is true"
        )


async def _check_parent(*, session: AsyncSession, account_id: str, parent_id: str) -> None:
    if parent_id == account_id:
        raise BadRequest("ParentAccountId: an account cannot be its own parent")
    seen: set[str] = set()
    current: str | None = parent_id
    while current is not None and current not in seen:
        seen.add(current)
        parent = await session.get(Account, current)
        if parent is None:
            if current == parent_id:
                raise BadRequest(f"ParentAccountId: no account with Id '{parent_id}'")
            break
        if parent.parent_account_id == account_id:
            raise BadRequest("ParentAccountId: that account is a sub-account of this one")
        current = parent.parent_account_id


async def create_account(
    *, session: AsyncSession, account_in: AccountCreate, now: datetime
) -> Account:
    account_id = account_in.Id or str(uuid.uuid4())
    if await session.get(Account, account_id) is not None:
        raise BadRequest(f"Id: '{account_id}' is already in use")
    account = Account(id=account_id, created_at=now)
    for field, attribute in WRITABLE_FIELDS.items():
        setattr(account, attribute, _stored(field, getattr(account_in, field)))
    if account.parent_account_id is not None:
        await _check_parent(
            session=session, account_id=account_id, parent_id=account.parent_account_id
        )
    _check_webhook(account)
    session.add(account)
    await session.flush()
    return account


async def update_account(
    *, session: AsyncSession, account_id: str, account_in: AccountUpdate
) -> Account:
    account = await get_account(session=session, account_id=account_id)
    if account_in.Id is not None and account_in.Id != account_id:
        raise BadRequest(f"Id: '{account_in.Id}' does not match the account in the path")
    if "Name" in account_in.model_fields_set and account_in.Name is None:
        raise BadRequest("Name: cannot be cleared")
    # Checked before any attribute changes: the look-ups below would flush them.
    if "ParentAccountId" in account_in.model_fields_set and account_in.ParentAccountId:
        await _check_parent(
            session=session, account_id=account_id, parent_id=account_in.ParentAccountId
        )
    for field in account_in.model_fields_set & WRITABLE_FIELDS.keys():
        setattr(account, WRITABLE_FIELDS[field], _stored(field, getattr(account_in, field)))
    _check_webhook(account)
    await session.flush()
    return account


async def delete_account(*, session: AsyncSession, account_id: str) -> None:
    """Delete the account and everything that belongs to it (sub-accounts included)."""
    account = await get_account(session=session, account_id=account_id)
    # Foreign keys cascade in both databases; the ORM is kept out of the way of that.
    await session.execute(delete(Account).where(Account.id == account.id))
    session.expunge(account)
    await session.flush()
    # Its tokens went with it, and requests naming it must now be refused.
    await announce(session, AUTH)


def accounts_query(
    *,
    parent_account_id: str | None = None,
    name_contains: str | None = None,
    name_or_id_contains: str | None = None,
) -> Select[Any]:
    """``name_contains``: a case-insensitive search in the name (``%`` and ``_`` are plain
    characters there, not wildcards); ``name_or_id_contains`` likewise in the name or the Id."""
    query = select(Account)
    if parent_account_id is not None:
        query = query.where(Account.parent_account_id == parent_account_id)
    if name_contains:
        query = query.where(
            func.lower(Account.name).contains(name_contains.lower(), autoescape=True)
        )
    if name_or_id_contains:
        text = name_or_id_contains.lower()
        query = query.where(
            or_(
                func.lower(Account.name).contains(text, autoescape=True),
                func.lower(Account.id).contains(text, autoescape=True),
            )
        )
    return query


async def list_users(*, session: AsyncSession, account_id: str) -> list[AccountUser]:
    await get_account(session=session, account_id=account_id)
    rows = await session.scalars(
        select(AccountUser)
        .where(AccountUser.account_id == account_id)
        .order_by(AccountUser.username)
    )
    return list(rows)


async def put_user(
    *, session: AsyncSession, account_id: str, user_in: AccountUserPut, now: datetime
) -> AccountUser:
    """Add the user to the account, or set the password of the user already there."""
    await get_account(session=session, account_id=account_id)
    user = await session.scalar(
        select(AccountUser).where(
            AccountUser.account_id == account_id, AccountUser.username == user_in.UserName
        )
    )
    if user is None:
        user = AccountUser(account_id=account_id, username=user_in.UserName, created_at=now)
        session.add(user)
    if user_in.Password is not None:
        # scrypt is deliberately slow; keep it off the event loop.
        user.password_hash = await asyncio.to_thread(hash_password, user_in.Password)
    await session.flush()
    return user


async def delete_user(*, session: AsyncSession, account_id: str, username: str) -> None:
    await get_account(session=session, account_id=account_id)
    result = await session.execute(
        delete(AccountUser).where(
            AccountUser.account_id == account_id, AccountUser.username == username
        )
    )
    if getattr(result, "rowcount", 0) == 0:
        raise NotFound(f"No user '{username}' in account '{account_id}'")
