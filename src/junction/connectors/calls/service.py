"""Calling an account connector's method on demand (Data on Demand and method tests).

Unlike other services, these functions open their own short read-only transactions: no
database transaction may stay open while a third party answers (an OAuth refresh needs to
write meanwhile, and connections are pooled).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from junction.connectors.accounts import custom_methods
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector, AccountConnectorField
from junction.connectors.calls import oauth
from junction.connectors.calls.connections import (
    Connection,
    TokenSourceFactory,
    call_input,
    connection_properties,
)
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.service import MethodIds
from junction.connectors.runtime import AccessTokenSource, CallResult, Redactor
from junction.connectors.spec.models import (
    AuthenticationSpec,
    AuthType,
    ConnectorDefinition,
    MethodSpec,
)
from junction.db.engine import Database
from junction.errors import BadRequest, JunctionError
from junction.security.keyring import Keyring

if TYPE_CHECKING:
    from junction.connectors.calls.gateway import ConnectorGateway


def token_sources(env: oauth.OAuthEnvironment) -> TokenSourceFactory:
    def factory(
        row: AccountConnector, definition: ConnectorDefinition, properties: dict[str, str]
    ) -> AccessTokenSource:
        auth = account_connectors.choose_authentication(definition, row.authentication_id)
        assert auth is not None
        return oauth.TokenSource(env, row.id, auth, properties, definition.Script)

    return factory


@dataclass(frozen=True)
class Prepared:
    connection: Connection
    method: MethodSpec  # with the account connector's custom fields
    base: MethodSpec  # as the connector defines it (``ids`` number its fields)
    ids: MethodIds
    custom: list[custom_methods.CustomField]  # those of the method


async def prepare(
    *,
    gateway: ConnectorGateway,
    account_id: str,
    account_connector_id: int,
    method_ref: str,
) -> Prepared:
    """What a call of the method is made from: from memory when nothing it was read from has
    changed since (``contexts``), else read and kept."""
    key = (account_id, account_connector_id, method_ref)
    kept = gateway.contexts.get(key)
    if kept is not None:
        return kept
    generation = gateway.contexts.generation
    prepared = await _read_prepared(
        gateway=gateway,
        account_id=account_id,
        account_connector_id=account_connector_id,
        method_ref=method_ref,
    )
    gateway.contexts.keep(generation, key, prepared)
    return prepared


async def _read_prepared(
    *,
    gateway: ConnectorGateway,
    account_id: str,
    account_connector_id: int,
    method_ref: str,
) -> Prepared:
    async with gateway.database.transaction(read_only=True) as session:
        # One query loads the account connector, its release and its custom fields into the
        # session (one row per custom field, or one row with none), so the look-ups below by
        # primary key cost no further round trip. (The session's identity map holds objects
        # weakly: `loaded` keeps them alive until the block ends.)
        loaded = (
            await session.execute(
                select(AccountConnector, Connector, AccountConnectorField)
                .join(Connector, Connector.id == AccountConnector.connector_id)
                .outerjoin(
                    AccountConnectorField,
                    AccountConnectorField.account_connector_id == AccountConnector.id,
                )
                .where(AccountConnector.id == account_connector_id)
                .order_by(AccountConnectorField.id)
            )
        ).all()
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        connection = await gateway.open(session=session, row=row)
        connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
        method, ids = await catalog.find_method(
            session=session, connector=connector, method_ref=method_ref
        )
        fields = [custom_methods.read(found) for _, _, found in loaded if found is not None]
    del loaded
    custom = custom_methods.of_method(fields, method)
    return Prepared(connection, custom_methods.effective(method, custom), method, ids, custom)


async def run(
    *,
    gateway: ConnectorGateway,
    account_id: str,
    account_connector_id: int,
    method_ref: str,
    parameters: dict[str, Any],
    fields: dict[str, Any],
    raw_body: bytes | None = None,
    raw_content_type: str | None = None,
) -> CallResult:
    """One call of a method: input resolved, then the runtime (ConnectorCallError on failure).

    ``raw_body`` (Data on Demand's /body form) is sent as the request body as is, in place
    of one built from ``fields``."""
    prepared = await prepare(
        gateway=gateway,
        account_id=account_id,
        account_connector_id=account_connector_id,
        method_ref=method_ref,
    )
    own, custom = custom_methods.split_inputs(prepared.custom, fields)
    request = call_input(prepared.base, prepared.ids, parameters, own)
    if custom:
        request = replace(request, fields={**request.fields, **custom})
    if raw_body is not None:
        request = replace(request, raw_body=raw_body, raw_content_type=raw_content_type)
    context = prepared.connection.context
    try:
        return await gateway.runtime.call(
            prepared.connection.definition, prepared.method, context, request
        )
    except JunctionError as exc:
        # Messages may quote a URL or an API's words; none may carry a credential out.
        exc.message = Redactor(secrets=context.sensitive_values).text(exc.message)
        raise


async def oauth_settings(
    *, database: Database, keyring: Keyring, account_connector_id: int
) -> tuple[AuthenticationSpec, dict[str, str], str | None]:
    """An OAuth2 account connector's authentication, its property values, and the
    connector's Script (its OAuth event handlers)."""
    async with database.transaction(read_only=True) as session:
        row = await session.get(AccountConnector, account_connector_id)
        if row is None:
            raise BadRequest("The account connector no longer exists")
        connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
        definition = catalog.definition_of(connector)
        auth = account_connectors.choose_authentication(definition, row.authentication_id)
        if auth is None or auth.Type is not AuthType.OAUTH2:
            raise BadRequest(f"Account connector {row.id} does not use OAuth2")
        properties = await connection_properties(
            session=session, keyring=keyring, row=row, definition=definition
        )
    return auth, properties, definition.Script


async def account_connector(
    *, database: Database, account_id: str, account_connector_id: int
) -> AccountConnector:
    async with database.transaction(read_only=True) as session:
        return await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
