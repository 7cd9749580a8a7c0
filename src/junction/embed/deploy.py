"""What the deploy routes do before they hand out a token: the account (created for LAUNCH
when its id is new), the partner's own connectors installed already authenticated, and the
user a user LAUNCH or ORBIT names."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.accounts import service as accounts
from junction.accounts.models import Account, AccountUser
from junction.accounts.schemas import AccountCreate
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import AccountConnectorUpdate, InstallIn
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import ReleaseStatusName
from junction.embed.schemas import ConnectorAuthentication, DeployIn
from junction.errors import BadRequest, Unauthenticated
from junction.security.hashing import verify_password
from junction.security.keyring import Keyring
from junction.services import Services


async def account_for(
    *,
    session: AsyncSession,
    account_id: str,
    name: str | None,
    description: str | None,
    create: bool,
    now: datetime,
) -> Account:
    found = await session.get(Account, account_id)
    if found is not None or not create:
        return found or await accounts.get_account(session=session, account_id=account_id)
    return await accounts.create_account(
        session=session,
        account_in=AccountCreate(Id=account_id, Name=name or account_id, Description=description),
        now=now,
    )


async def signed_in_user(
    *, session: AsyncSession, account_id: str, username: str, password: str
) -> AccountUser:
    """The account's user, if the password is theirs (a user LAUNCH or ORBIT)."""
    await accounts.get_account(session=session, account_id=account_id)
    user = await session.scalar(
        select(AccountUser).where(
            AccountUser.account_id == account_id, AccountUser.username == username
        )
    )
    stored = user.password_hash if user is not None else None
    # Checked off the event loop (scrypt is slow on purpose), and even for an unknown user,
    # so the answer's timing does not tell which names exist.
    matches = await asyncio.to_thread(
        verify_password, password, stored or "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA=="
    )
    if user is None or stored is None or not matches:
        raise Unauthenticated("Username or Password: no such user with this password")
    return user


async def install_connectors(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    items: list[ConnectorAuthentication],
    now: datetime,
) -> list[AccountConnector]:
    """Install each connector, or update the account connector of that release already
    there, with the credentials and properties given."""
    done = []
    for position, item in enumerate(items):
        rows = (
            await session.scalars(
                select(Connector)
                .where(func.lower(Connector.name) == item.Name.lower(), catalog.visible_to(None))
                .order_by(Connector.id)
            )
        ).all()
        connector = catalog.choose_release(rows, item.Version)
        where = f"ConnectorAuthentications[{position}]"
        if connector is None:
            raise BadRequest(
                f"{where}.Name: there is no connector '{item.Name}' {item.Version or ''}".rstrip()
            )
        if connector.status == ReleaseStatusName.DRAFT:
            raise BadRequest(f"{where}.Version: {connector.name} {connector.version} is a draft")
        existing = await session.scalar(
            select(AccountConnector)
            .where(
                AccountConnector.account_id == account_id,
                AccountConnector.connector_id == connector.id,
            )
            .order_by(AccountConnector.id)
            .limit(1)
        )
        if existing is None:
            row = await account_connectors.install(
                session=session,
                keyring=keyring,
                account_id=account_id,
                connector_ref=str(connector.id),
                install_in=InstallIn(
                    AuthenticationId=item.AuthenticationId,
                    AuthValue=item.AuthValue,
                    Properties=item.Properties,
                ),
                now=now,
            )
        else:
            update = AccountConnectorUpdate(
                **item.model_dump(
                    include={"AuthenticationId", "AuthValue", "Properties"}, exclude_unset=True
                )
            )
            row = await account_connectors.update(
                session=session, keyring=keyring, row=existing, update_in=update, now=now
            )
        done.append(row)
    return done


async def prepare(
    *,
    session: AsyncSession,
    context: Services,
    account_id: str,
    deploy_in: DeployIn,
    create: bool,
    discover: Callable[[int], None],
) -> None:
    """Before a LAUNCH or Marketplace link: the account (created when ``create`` and new)
    and its partner connectors, their new credentials used from the next call on."""
    await account_for(
        session=session,
        account_id=account_id,
        name=deploy_in.AccountName,
        description=deploy_in.AccountDescription,
        create=create,
        now=context.clock(),
    )
    installed = await install_connectors(
        session=session,
        keyring=context.keyring,
        account_id=account_id,
        items=[
            *deploy_in.ConnectorAuthentications,
            *([deploy_in.PartnerConnector] if deploy_in.PartnerConnector else []),
        ],
        now=context.clock(),
    )
    for row in installed:
        if row.authenticated:
            discover(row.id)  # its custom fields, once committed
