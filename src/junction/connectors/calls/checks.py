"""Trying credentials before they are stored: the connector's ``AuthenticationTestMethod``.

New credentials are tried on a copy of the account connector that is never added to a
database session, so a key the API refuses is never stored, and the credentials already
there keep working meanwhile. As with every connector call, no database transaction stays
open while the API answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.auth_values import parse_auth_value
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.accounts.schemas import AccountConnectorUpdate, PropertyIn
from junction.connectors.calls import service as calls
from junction.connectors.calls.connections import call_input, open_connection
from junction.connectors.catalog import service as catalog
from junction.connectors.runtime import AccessTokenSource, Redactor
from junction.connectors.spec.models import AuthType, ConnectorDefinition
from junction.errors import BadRequest, JunctionError, UpstreamHttpError

if TYPE_CHECKING:
    from junction.connectors.calls.gateway import ConnectorGateway


def _no_token(
    row: AccountConnector, definition: ConnectorDefinition, properties: dict[str, str]
) -> AccessTokenSource:
    raise AssertionError("OAuth 2.0 credentials are not tested here")


async def check_credentials(
    *,
    gateway: ConnectorGateway,
    row: AccountConnector,
    authentication_id: str | None,
    auth_value: str,
    now: datetime,
    properties: Sequence[PropertyIn] = (),
) -> None:
    """Call the connector's test method with ``auth_value`` (and ``properties``, the account
    properties about to be stored with it, over those stored); BadRequest naming
    ``AuthValue`` and the API's answer when it fails. Nothing is stored either way."""
    async with gateway.database.transaction(read_only=True) as session:
        connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
        definition = catalog.definition_of(connector)
        test = definition.AuthenticationTestMethod
        auth = account_connectors.choose_authentication(
            definition, authentication_id or row.authentication_id
        )
        if test is None or auth is None or auth.Type in (AuthType.NONE, AuthType.OAUTH2):
            return
        candidate = AccountConnector(
            id=row.id,
            account_id=row.account_id,
            connector_id=row.connector_id,
            name=row.name,
            authentication_id=auth.Id,
            authenticated=True,
            updated_at=now,
        )
        account_connectors.store_credentials(
            candidate, gateway.keyring, parse_auth_value(auth, auth_value, now=now)
        )
        connection = await open_connection(
            session=session, keyring=gateway.keyring, row=candidate, token_source=_no_token
        )
        method, ids = await catalog.find_method(
            session=session, connector=connector, method_ref=test
        )
    given = {p.Name: p.Value for p in properties if p.Value is not None}
    if given:
        sensitive = {p.TargetName for p in definition.Parameters if p.Sensitive}
        context = connection.context
        connection = replace(
            connection,
            context=replace(
                context,
                properties={**context.properties, **given},
                sensitive_values=context.sensitive_values
                | {v for k, v in given.items() if k in sensitive and len(v) >= 4},
            ),
        )
    try:
        await gateway.runtime.call(
            definition, method, connection.context, call_input(method, ids, {}, {})
        )
    except UpstreamHttpError as exc:
        if exc.upstream_status >= 500 or exc.upstream_status in (408, 429):
            raise _untried(connector.name, connection.context.sensitive_values, exc) from None
        message = Redactor(secrets=connection.context.sensitive_values).text(exc.message)
        raise BadRequest(
            f"AuthValue: {connector.name} refused these credentials: {message}"
        ) from None
    except JunctionError as exc:
        raise _untried(connector.name, connection.context.sensitive_values, exc) from None


def _untried(app: str, secrets: frozenset[str], exc: JunctionError) -> BadRequest:
    """Not a refusal: the app could not be asked (down, slow, limiting). Nothing is kept,
    and the customer is told to try again rather than that the key is wrong."""
    message = Redactor(secrets=secrets).text(exc.message)
    return BadRequest(
        f"AuthValue: the credentials could not be tried at {app} ({message}); "
        "nothing was stored, try again in a moment"
    )


async def update_checked(
    *,
    gateway: ConnectorGateway,
    account_id: str,
    account_connector_id: int,
    update_in: AccountConnectorUpdate,
    now: datetime,
    record: Callable[[AsyncSession, AccountConnector], None] | None = None,
) -> tuple[AccountConnector, bool]:
    """Update an account connector, its new credentials tried first (``check_credentials``,
    with the properties given alongside): the API's route and the customer pages alike.
    Its own transactions, none open while the API answers. Answers the row and whether it
    is newly authenticated (its custom fields are then worth discovering). ``record`` is
    called in the transaction that stores the update (an audit entry goes with it)."""
    if update_in.AuthValue is not None:
        async with gateway.database.transaction(read_only=True) as session:
            found = await account_connectors.get(
                session=session, account_id=account_id, account_connector_id=account_connector_id
            )
        await check_credentials(
            gateway=gateway,
            row=found,
            authentication_id=update_in.AuthenticationId,
            auth_value=update_in.AuthValue,
            now=now,
            properties=update_in.Properties or (),
        )
    async with gateway.database.transaction() as session:
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        was_authenticated = row.authenticated
        await account_connectors.update(
            session=session, keyring=gateway.keyring, row=row, update_in=update_in, now=now
        )
        if record is not None:
            record(session, row)
    newly = row.authenticated and (
        not was_authenticated or "AuthValue" in update_in.model_fields_set
    )
    return row, newly


async def test_stored(
    *, gateway: ConnectorGateway, account_id: str, account_connector_id: int
) -> str:
    """Call the connector's ``AuthenticationTestMethod`` with the credentials stored now;
    what happened, in words. BadRequest when it fails (the API's answer, redacted), or when
    there is nothing to try: not authenticated, or a connector without a test method."""
    async with gateway.database.transaction(read_only=True) as session:
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
        definition = catalog.definition_of(connector)
    if not row.authenticated:
        raise BadRequest(f"{row.name} is not authenticated: there is nothing to test yet")
    test = definition.AuthenticationTestMethod
    if test is None:
        raise BadRequest(
            f"{connector.name} names no test method (AuthenticationTestMethod): its "
            "credentials are tried the first time a step calls it"
        )
    try:
        await calls.run(
            gateway=gateway,
            account_id=account_id,
            account_connector_id=account_connector_id,
            method_ref=test,
            parameters={},
            fields={},
        )
    except JunctionError as exc:
        raise BadRequest(f"{connector.name} answered the test call: {exc.message}") from None
    return f"{row.name}: the connection works ({connector.name} answered the test call)."
