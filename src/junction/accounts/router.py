"""Partner-level accounts API: ``/v1.0/accounts``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from junction.accounts import service, usage, users
from junction.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountSuspensionOut,
    AccountUpdate,
    AccountUsageOut,
    AccountUserDelete,
    AccountUserOut,
    AccountUserPut,
    AccountUserSuspend,
    UserPasswordPut,
)
from junction.api.context import Context, Session
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.auth.identity import CurrentAccount
from junction.bounds import Instant
from junction.errors import BadRequest

router = APIRouter(prefix="/accounts", tags=["Accounts"])
current_router = APIRouter(tags=["Accounts"])
users_router = APIRouter(tags=["Accounts"])

Paging = Annotated[PageRequest, Depends(page_request)]


@router.get("", response_model=list[AccountOut], summary="List accounts")
async def list_accounts(session: Session, paging: Paging, response: Response) -> list[AccountOut]:
    rows = await fetch_page(
        session=session,
        query=service.accounts_query(),
        request=paging,
        sortable=service.SORTABLE,
        default_order="CreatedDate",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    return [AccountOut.from_row(row) for row in rows]


@router.post("", response_model=AccountOut, summary="Create an account")
async def create_account(
    account_in: AccountCreate, session: Session, context: Context
) -> AccountOut:
    account = await service.create_account(
        session=session, account_in=account_in, now=context.clock()
    )
    return AccountOut.from_row(account)


@router.get("/{account_id}", response_model=AccountOut, summary="Get an account")
async def get_account(account_id: str, session: Session) -> AccountOut:
    return AccountOut.from_row(await service.get_account(session=session, account_id=account_id))


@router.put(
    "/{account_id}",
    response_model=AccountOut,
    summary="Update an account",
    description="Partial: omitted fields keep their values; an explicit null clears a field.",
)
async def update_account(
    account_id: str, account_in: AccountUpdate, session: Session
) -> AccountOut:
    account = await service.update_account(
        session=session, account_id=account_id, account_in=account_in
    )
    return AccountOut.from_row(account)


@router.delete(
    "/{account_id}",
    summary="Delete an account",
    description="Deletes the account and everything in it, sub-accounts included.",
)
async def delete_account(account_id: str, session: Session) -> Any:
    await service.delete_account(session=session, account_id=account_id)
    return {"Message": f"Account '{account_id}' deleted."}


@router.get(
    "/{account_id}/subaccounts", response_model=list[AccountOut], summary="List sub-accounts"
)
async def list_subaccounts(
    account_id: str, session: Session, paging: Paging, response: Response
) -> list[AccountOut]:
    await service.get_account(session=session, account_id=account_id)
    rows = await fetch_page(
        session=session,
        query=service.accounts_query(parent_account_id=account_id),
        request=paging,
        sortable=service.SORTABLE,
        default_order="CreatedDate",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    return [AccountOut.from_row(row) for row in rows]


@router.get(
    "/{account_id}/usage",
    response_model=AccountUsageOut,
    summary="Get an account's task usage",
    description="Tasks the account used from `startTime` (included) to `endTime` "
    "(excluded), ISO 8601, UTC when no offset is given. Without either, the current "
    "calendar month (UTC); with `startTime` only, up to now; with `endTime` only, from the "
    "start of its month. What counts as a task is described in docs/api.md (Task usage); "
    "a sub-account's tasks are its own, not its parent's.",
)
async def get_usage(
    account_id: str,
    session: Session,
    context: Context,
    startTime: Annotated[Instant | None, Query(description="Start of the period.")] = None,
    endTime: Annotated[Instant | None, Query(description="End of the period.")] = None,
) -> AccountUsageOut:
    # Data on Demand calls this process counted but has not written yet count too.
    await context.tally.flush()
    await service.get_account(session=session, account_id=account_id)
    start, end = _period(context.clock(), _utc(startTime), _utc(endTime))
    used = await usage.tasks_used(session=session, account_id=account_id, start=start, end=end)
    return AccountUsageOut(
        Id=account_id, TasksUsed=used.tasks, StartTime=used.start, EndTime=used.end
    )


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _period(
    now: datetime, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    if start is None and end is None:
        return usage.month_of(now)
    if start is None:
        assert end is not None
        start = usage.month_of(end)[0]
    if end is None:
        end = now
    if end <= start:
        raise BadRequest(
            "endTime: must be later than the period's start (startTime, or else the "
            "start of endTime's month)"
        )
    return start, end


@router.get("/{account_id}/users", response_model=list[AccountUserOut], summary="List users")
async def list_users(account_id: str, session: Session) -> list[AccountUserOut]:
    users = await service.list_users(session=session, account_id=account_id)
    return [AccountUserOut.from_row(user) for user in users]


@router.put(
    "/{account_id}/users",
    response_model=AccountUserOut,
    summary="Add a user to an account",
    description="Adds the user, or sets the password of an existing one.",
)
async def put_user(
    account_id: str, user_in: AccountUserPut, session: Session, context: Context
) -> AccountUserOut:
    user = await service.put_user(
        session=session, account_id=account_id, user_in=user_in, now=context.clock()
    )
    return AccountUserOut.from_row(user)


@router.delete("/{account_id}/users", summary="Remove a user from an account")
async def delete_user(account_id: str, user_in: AccountUserDelete, session: Session) -> Any:
    await service.delete_user(session=session, account_id=account_id, username=user_in.UserName)
    return {"Message": f"User '{user_in.UserName}' removed from account '{account_id}'."}


@current_router.get(
    "/account",
    response_model=AccountOut,
    summary="Get the current account (Junction extension)",
    description="Junction extension. Account level: returns the account named by the "
    "X-Cyclr-Account header, which an account-restricted token may read.",
)
async def get_current_account(account: CurrentAccount, session: Session) -> AccountOut:
    row = await service.get_account(session=session, account_id=account.account_id)
    return AccountOut.from_row(row)


@users_router.put(
    "/users",
    response_model=AccountUserOut,
    summary="Set an account user's password",
    description="Sets the password of the user named `UserName`. Usernames are unique within "
    "an account; when several accounts have the name, `AccountId` (Junction extension) "
    "says which (409 without it).",
)
async def set_user_password(user_in: UserPasswordPut, session: Session) -> AccountUserOut:
    user = await users.set_password(
        session=session,
        username=user_in.UserName,
        password=user_in.Password,
        account_id=user_in.AccountId,
    )
    return AccountUserOut.from_row(user)


@router.post(
    "/{account_id}/suspend",
    response_model=AccountSuspensionOut,
    summary="Suspend an account",
    description="Nobody signs in to the account's embedded pages (LAUNCH, Marketplace, ORBIT, "
    "connector links) until it is resumed; sessions already open end at their next request. "
    "Its cycles, connectors and the API are not affected.",
)
async def suspend_account(
    account_id: str, session: Session, context: Context
) -> AccountSuspensionOut:
    await users.suspend_account(session=session, account_id=account_id, now=context.clock())
    return AccountSuspensionOut(Id=account_id, Suspended=True)


@router.post(
    "/{account_id}/resume", response_model=AccountSuspensionOut, summary="Resume an account"
)
async def resume_account(account_id: str, session: Session) -> AccountSuspensionOut:
    await users.suspend_account(session=session, account_id=account_id, now=None)
    return AccountSuspensionOut(Id=account_id, Suspended=False)


@router.post(
    "/{account_id}/users/suspend",
    response_model=AccountUserOut,
    summary="Suspend an account user (Junction extension)",
    description="Junction extension. The user cannot sign in to the embedded pages until "
    "resumed; their sessions already open end at their next request.",
)
async def suspend_user(
    account_id: str, user_in: AccountUserSuspend, session: Session, context: Context
) -> AccountUserOut:
    user = await users.suspend_user(
        session=session, account_id=account_id, username=user_in.UserName, now=context.clock()
    )
    return AccountUserOut.from_row(user)


@router.post(
    "/{account_id}/users/resume",
    response_model=AccountUserOut,
    summary="Resume an account user (Junction extension)",
)
async def resume_user(
    account_id: str, user_in: AccountUserSuspend, session: Session
) -> AccountUserOut:
    user = await users.suspend_user(
        session=session, account_id=account_id, username=user_in.UserName, now=None
    )
    return AccountUserOut.from_row(user)
