"""Connectors installed in accounts, their credentials and properties.

Functions flush; the caller commits. Credentials are sealed with the keyring as one JSON
object per account connector, bound to its row; Sensitive property values likewise.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from junction.bounds import id_in_reference
from junction.connectors.accounts import custom_fields
from junction.connectors.accounts.auth_values import awaits_sign_in, parse_auth_value
from junction.connectors.accounts.models import AccountConnector, AccountConnectorProperty
from junction.connectors.accounts.schemas import (
    MASKED_AUTH_VALUE,
    AccountConnectorOut,
    AccountConnectorUpdate,
    ConnectorSummary,
    InstallIn,
    PropertyIn,
    PropertyOut,
    TriggerOut,
)
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector, PartnerConnectorProperty
from junction.connectors.catalog.partner_properties import value_context
from junction.connectors.catalog.schemas import (
    auth_scheme,
    connector_parameters,
    connector_status,
)
from junction.connectors.spec.models import (
    AuthenticationSpec,
    AuthType,
    ConnectorDefinition,
    ConnectorParameterSpec,
    OAuth2Type,
    ReleaseStatusName,
)
from junction.errors import BadRequest, NotFound
from junction.security.keyring import Keyring

SORTABLE = {"Id": AccountConnector.id, "Name": AccountConnector.name}
TIEBREAK = AccountConnector.id


def auth_context(account_connector_id: int) -> str:
    return f"account_connectors.auth:{account_connector_id}"


def property_context(account_connector_id: int, name: str) -> str:
    return f"account_connector_properties.value:{account_connector_id}:{name}"


async def _installable(*, session: AsyncSession, connector_ref: str, account_id: str) -> Connector:
    # Another account's custom connectors are unknown here.
    connector_id = id_in_reference(connector_ref, field="path parameter connector")
    if connector_id is not None:
        connector = await catalog.get_connector(
            session=session, connector_id=connector_id, account_id=account_id
        )
    else:
        releases = await catalog.connectors_named(
            session=session, name=connector_ref, account_id=account_id
        )
        live = [r for r in releases if r.status == ReleaseStatusName.LIVE]
        if not live:
            raise BadRequest(f"Connector '{connector_ref}' has no Live release to install")
        connector = max(live, key=lambda r: r.id)
    if connector.status == ReleaseStatusName.DRAFT:
        raise BadRequest(f"Connector {connector.id} is a draft and cannot be installed")
    if connector.status == ReleaseStatusName.DEPRECATED:
        raise BadRequest(f"Connector {connector.id} is deprecated and cannot be installed")
    return connector


def _client_credentials(auth: AuthenticationSpec | None) -> bool:
    return (
        auth is not None
        and auth.OAuth2 is not None
        and auth.OAuth2.Type is OAuth2Type.CLIENT_CREDENTIALS
    )


def choose_authentication(
    definition: ConnectorDefinition, authentication_id: str | None
) -> AuthenticationSpec | None:
    auths = definition.Authentication
    if authentication_id is not None:
        for auth in auths:
            if auth.Id == authentication_id:
                return auth
        known = ", ".join(a.Id for a in auths) or "none"
        raise BadRequest(f"AuthenticationId: '{authentication_id}' is not one of {known}")
    return next((a for a in auths if a.IsDefault), auths[0] if auths else None)


def account_property(definition: ConnectorDefinition, name: str) -> ConnectorParameterSpec:
    for parameter in definition.Parameters:
        if parameter.TargetName.lower() == name.lower():
            if not parameter.AccountConnectorProperty:
                raise BadRequest(
                    f"Properties: '{name}' is not an account connector property of this connector"
                )
            return parameter
    raise BadRequest(f"Properties: the connector has no property named '{name}'")


async def install(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    connector_ref: str,
    install_in: InstallIn,
    now: datetime,
) -> AccountConnector:
    connector = await _installable(
        session=session, connector_ref=connector_ref, account_id=account_id
    )
    definition = catalog.definition_of(connector)
    auth = choose_authentication(definition, install_in.AuthenticationId)
    for prop in install_in.Properties:
        account_property(definition, prop.Name)  # fail before anything is written
    auth_value = install_in.AuthValue
    if auth_value is None and _client_credentials(auth):
        auth_value = ""  # nothing to ask of the user: the partner's client gets the tokens
    credentials = (
        parse_auth_value(auth, auth_value, now=now)
        if auth is not None and auth_value is not None and not awaits_sign_in(auth, auth_value)
        else None
    )
    row = AccountConnector(
        account_id=account_id,
        connector_id=connector.id,
        name=install_in.Name or connector.name,
        description=install_in.Description,
        authentication_id=auth.Id if auth else None,
        authenticated=auth is None or auth.Type is AuthType.NONE,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    if credentials is not None:
        store_credentials(row, keyring, credentials)
    await _set_properties(
        session=session,
        keyring=keyring,
        row=row,
        definition=definition,
        props=install_in.Properties,
    )
    await session.flush()
    return row


def store_credentials(row: AccountConnector, keyring: Keyring, credentials: dict[str, Any]) -> None:
    row.auth_sealed = keyring.seal(json.dumps(credentials), context=auth_context(row.id))
    row.authenticated = True
    row.auth_error = None
    expires = credentials.get("expires_at")
    row.token_expires_at = datetime.fromisoformat(expires) if expires else None


def read_credentials(row: AccountConnector, keyring: Keyring) -> dict[str, Any]:
    if row.auth_sealed is None:
        return {}
    data: dict[str, Any] = json.loads(keyring.open(row.auth_sealed, context=auth_context(row.id)))
    return data


async def _set_properties(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    definition: ConnectorDefinition,
    props: list[PropertyIn],
) -> None:
    for prop in props:
        parameter = account_property(definition, prop.Name)
        await set_property(
            session=session,
            keyring=keyring,
            row=row,
            parameter=parameter,
            value=prop.Value,
            keep_hidden=True,
        )


async def set_property(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    parameter: ConnectorParameterSpec,
    value: str | None,
    keep_hidden: bool = False,
) -> AccountConnectorProperty:
    """Store ``value``; with ``keep_hidden``, a null for a sensitive value that is stored
    keeps it (answers show such values as null, and a client sends the answer back)."""
    name = parameter.TargetName
    stored = await session.scalar(
        select(AccountConnectorProperty).where(
            AccountConnectorProperty.account_connector_id == row.id,
            AccountConnectorProperty.name == name,
        )
    )
    if stored is None:
        stored = AccountConnectorProperty(account_connector_id=row.id, name=name)
        session.add(stored)
    elif keep_hidden and value is None and stored.value_sealed is not None:
        return stored
    if parameter.Sensitive and value is not None:
        stored.value, stored.value_sealed = (
            None,
            keyring.seal(value, context=property_context(row.id, name)),
        )
    else:
        stored.value, stored.value_sealed = value, None
    await session.flush()
    return stored


async def get(
    *, session: AsyncSession, account_id: str, account_connector_id: int
) -> AccountConnector:
    row = await session.get(AccountConnector, account_connector_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"No account connector with Id {account_connector_id} in this account")
    return row


def list_query(*, account_id: str) -> Select[Any]:
    return select(AccountConnector).where(AccountConnector.account_id == account_id)


async def update(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    update_in: AccountConnectorUpdate,
    now: datetime,
) -> AccountConnector:
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    definition = catalog.definition_of(connector)
    fields = update_in.model_fields_set
    auth = choose_authentication(
        definition,
        update_in.AuthenticationId if "AuthenticationId" in fields else row.authentication_id,
    )
    for prop in update_in.Properties or []:
        account_property(definition, prop.Name)
    credentials = None
    # Cyclr's "{}" for an OAuth 2.0 sign-in: the tokens go, the customer signs in anew.
    sign_in = "AuthValue" in fields and awaits_sign_in(auth, update_in.AuthValue)
    if (
        "AuthValue" in fields
        and update_in.AuthValue is not None
        and update_in.AuthValue != MASKED_AUTH_VALUE  # an answer sent back: nothing new
        and auth is not None
        and not sign_in
    ):
        credentials = parse_auth_value(auth, update_in.AuthValue, now=now)
    if "Name" in fields:
        if update_in.Name is None:
            raise BadRequest("Name: cannot be cleared")
        row.name = update_in.Name
    if "Description" in fields:
        row.description = update_in.Description
    if auth is not None and auth.Id != row.authentication_id:
        row.authentication_id = auth.Id
        row.auth_sealed, row.token_expires_at = None, None
        row.authenticated = auth.Type is AuthType.NONE
        if credentials is None and _client_credentials(auth):
            credentials = parse_auth_value(auth, "", now=now)
    if credentials is not None:
        store_credentials(row, keyring, credentials)
    elif sign_in:
        forget_credentials(row)
    if update_in.Properties:
        await _set_properties(
            session=session,
            keyring=keyring,
            row=row,
            definition=definition,
            props=update_in.Properties,
        )
    row.updated_at = now
    await session.flush()
    return row


def touch(row: AccountConnector, now: datetime) -> None:
    """A change the connection reads (a property): a new ``updated_at``, always later, since
    opened connections are reused while they were opened from the row's current one."""
    row.updated_at = max(now, row.updated_at + timedelta(microseconds=1))


def forget_credentials(row: AccountConnector) -> None:
    """No credentials, not authenticated: as before the customer's first sign-in."""
    row.auth_sealed = None
    row.token_expires_at = None
    row.authenticated = False
    row.auth_error = None


async def deauthenticate(*, session: AsyncSession, row: AccountConnector, now: datetime) -> None:
    forget_credentials(row)
    row.updated_at = now
    await session.flush()


async def remove(*, session: AsyncSession, row: AccountConnector) -> None:
    await session.execute(delete(AccountConnector).where(AccountConnector.id == row.id))
    session.expunge(row)
    await session.flush()


PROPERTY_SORTABLE: dict[str, InstrumentedAttribute[Any]] = {
    "Id": AccountConnectorProperty.id,
    "Name": AccountConnectorProperty.name,
}


async def properties(
    *,
    session: AsyncSession,
    row: AccountConnector,
    order_by: str | None = None,
    ascending: bool = True,
) -> list[AccountConnectorProperty]:
    """The stored values, by ``order_by`` (Id or Name, any case; Id when None), ties by Id."""
    column: InstrumentedAttribute[Any] = AccountConnectorProperty.id
    if order_by is not None:
        names = {name.lower(): name for name in PROPERTY_SORTABLE}
        if order_by.lower() not in names:
            allowed = ", ".join(sorted(PROPERTY_SORTABLE))
            raise BadRequest(f"orderBy: '{order_by}' is not sortable; use one of {allowed}")
        column = PROPERTY_SORTABLE[names[order_by.lower()]]
    tiebreak = AccountConnectorProperty.id
    result = await session.scalars(
        select(AccountConnectorProperty)
        .where(AccountConnectorProperty.account_connector_id == row.id)
        .order_by(
            column.asc() if ascending else column.desc(),
            tiebreak.asc() if ascending else tiebreak.desc(),
        )
    )
    return list(result)


async def get_property(
    *, session: AsyncSession, row: AccountConnector, property_id: int
) -> AccountConnectorProperty:
    stored = await session.get(AccountConnectorProperty, property_id)
    if stored is None or stored.account_connector_id != row.id:
        raise NotFound(f"No property with Id {property_id} on account connector {row.id}")
    return stored


async def delete_property(*, session: AsyncSession, stored: AccountConnectorProperty) -> None:
    await session.delete(stored)
    await session.flush()


def property_out(stored: AccountConnectorProperty) -> PropertyOut:
    return PropertyOut(
        Id=stored.id,
        Name=stored.name,
        Value=None if stored.value_sealed is not None else stored.value,
        AccountConnectorId=stored.account_connector_id,
    )


async def to_out(*, session: AsyncSession, row: AccountConnector) -> AccountConnectorOut:
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    definition = catalog.definition_of(connector)
    auth = choose_authentication(definition, row.authentication_id)
    return AccountConnectorOut(
        Id=row.id,
        Name=row.name,
        Description=row.description,
        AuthValue=MASKED_AUTH_VALUE if row.auth_sealed is not None else None,
        AuthenticationId=row.authentication_id,
        Authenticated=row.authenticated,
        AuthError=row.auth_error,
        Connector=ConnectorSummary(
            Id=connector.id,
            Name=connector.name,
            Version=connector.version,
            Description=connector.description,
            Status=connector_status(connector.status),
            Icon=definition.Icon,
            AuthDescription=None,
            AuthType=auth.Type.value if auth else "None",
            OAuth2Type=auth.OAuth2.Type.value if auth and auth.OAuth2 else None,
            AuthScheme=auth_scheme(auth),
            Triggers=[TriggerOut.model_validate(t.model_dump()) for t in definition.Triggers],
            Parameters=connector_parameters(definition),
        ),
        IsPartnerIntegrationConnector=False,
        Properties=[property_out(p) for p in await properties(session=session, row=row)],
        CustomFields=[
            custom_fields.to_out(f)
            for f in await custom_fields.list_fields(session=session, row=row)
        ],
        CreatedDate=row.created_at,
    )


async def sealed_count(*, session: AsyncSession) -> int:
    """How many sealed values ``reseal_secrets`` looks at (for a progress bar)."""
    total = 0
    for query in (
        select(func.count()).where(AccountConnector.auth_sealed.is_not(None)),
        select(func.count()).where(AccountConnectorProperty.value_sealed.is_not(None)),
        select(func.count()).select_from(PartnerConnectorProperty),
    ):
        total += int(await session.scalar(query) or 0)
    return total


async def reseal_secrets(
    *, session: AsyncSession, keyring: Keyring, seen: Callable[[], None] | None = None
) -> int:
    """Re-encrypt credentials and Sensitive values sealed with an older key. ``seen`` is
    called after each sealed value looked at."""
    changed = 0
    seen = seen or (lambda: None)
    for row in await session.scalars(
        select(AccountConnector).where(AccountConnector.auth_sealed.is_not(None))
    ):
        assert row.auth_sealed is not None
        if keyring.needs_reseal(row.auth_sealed):
            context = auth_context(row.id)
            row.auth_sealed = keyring.seal(
                keyring.open(row.auth_sealed, context=context), context=context
            )
            changed += 1
        seen()
    for prop in await session.scalars(
        select(AccountConnectorProperty).where(AccountConnectorProperty.value_sealed.is_not(None))
    ):
        assert prop.value_sealed is not None
        if keyring.needs_reseal(prop.value_sealed):
            context = property_context(prop.account_connector_id, prop.name)
            prop.value_sealed = keyring.seal(
                keyring.open(prop.value_sealed, context=context), context=context
            )
            changed += 1
        seen()
    for partner in await session.scalars(select(PartnerConnectorProperty)):
        if keyring.needs_reseal(partner.value_sealed):
            context = value_context(partner.connector_name, partner.name)
            partner.value_sealed = keyring.seal(
                keyring.open(partner.value_sealed, context=context), context=context
            )
            changed += 1
        seen()
    await session.flush()
    return changed
