"""Partner-level accounts API: ``/v1.0/accounts``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from junction.accounts import service
from junction.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    AccountUserDelete,
    AccountUserOut,
    AccountUserPut,
)
from junction.api.context import Context, Session
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.auth.identity import CurrentAccount

router = APIRouter(prefix="/accounts", tags=["Accounts"])
current_router = APIRouter(tags=["Accounts"])

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
