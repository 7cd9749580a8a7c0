"""Everything the runtime needs to call an account connector's API, read from the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.models import AccountConnector
from junction.connectors.catalog import partner_properties
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.service import MethodIds
from junction.connectors.runtime import AccessTokenSource, CallInput, ConnectionContext, Credentials
from junction.connectors.spec.models import AuthType, ConnectorDefinition, MethodSpec
from junction.errors import BadRequest
from junction.security.keyring import Keyring

TokenSourceFactory = Callable[
    [AccountConnector, ConnectorDefinition, dict[str, str]], AccessTokenSource
]


@dataclass(frozen=True)
class Connection:
    row: AccountConnector
    definition: ConnectorDefinition
    context: ConnectionContext


class NotAuthenticated(BadRequest):
    pass


async def open_connection(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    token_source: TokenSourceFactory,
) -> Connection:
    """The account connector's properties and decrypted credentials, ready for the runtime."""
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    definition = catalog.definition_of(connector)
    if not row.authenticated:
        reason = f": {row.auth_error}" if row.auth_error else ""
        raise NotAuthenticated(
            f"Account connector {row.id} ('{row.name}') is not authenticated{reason}. "
            "Authenticate it with PUT /v1.0/account/connectors/{id} and an AuthValue."
        )
    auth = account_connectors.choose_authentication(definition, row.authentication_id)
    properties, secrets = await _properties(
        session=session,
        keyring=keyring,
        row=row,
        definition=definition,
        connector_name=connector.name,
    )

    values = account_connectors.read_credentials(row, keyring)
    secrets.update(str(v) for k, v in values.items() if k in {"api_key", "password"} and v)
    secrets.update(str(v) for v in values.get("auth_fields", {}).values() if v)
    credentials = Credentials(
        auth=auth,
        api_key=values.get("api_key"),
        username=values.get("username"),
        password=values.get("password"),
        auth_fields=dict(values.get("auth_fields", {})),
        access_token=token_source(row, definition, properties)
        if auth is not None and auth.Type is AuthType.OAUTH2
        else None,
    )
    context = ConnectionContext(
        key=f"ac:{row.id}",
        properties=properties,
        credentials=credentials,
        sensitive_values=frozenset(s for s in secrets if len(s) >= 4),
    )
    return Connection(row=row, definition=definition, context=context)


async def _properties(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    definition: ConnectorDefinition,
    connector_name: str,
) -> tuple[dict[str, str], set[str]]:
    """Connector parameter values: defaults, then partner values, then the account's own."""
    secrets: set[str] = set()
    properties: dict[str, str] = {
        p.TargetName: p.DefaultValue for p in definition.Parameters if p.DefaultValue is not None
    }
    partner = await partner_properties.get_values(
        session=session, keyring=keyring, connector_name=connector_name
    )
    properties.update(partner)
    # Partner values are the partner's own keys and secrets: all of them are kept out of
    # copies and messages, whether or not the definition marks them Sensitive.
    secrets.update(partner.values())
    for stored in await account_connectors.properties(session=session, row=row):
        if stored.value_sealed is not None:
            value = keyring.open(
                stored.value_sealed,
                context=account_connectors.property_context(row.id, stored.name),
            )
            secrets.add(value)
        else:
            value = stored.value or ""
        if value != "":
            properties[stored.name] = value
    return properties, secrets


async def connection_properties(
    *,
    session: AsyncSession,
    keyring: Keyring,
    row: AccountConnector,
    definition: ConnectorDefinition,
) -> dict[str, str]:
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    properties, _ = await _properties(
        session=session,
        keyring=keyring,
        row=row,
        definition=definition,
        connector_name=connector.name,
    )
    return properties


def call_input(
    method: MethodSpec,
    ids: MethodIds,
    parameters: dict[str, Any],
    fields: dict[str, Any],
) -> CallInput:
    """Data on Demand input: keys are numeric ids from the method listing, or names."""
    by_param_id = {
        str(ids.fields[("Parameter", i)]): p.TargetName for i, p in enumerate(method.Parameters)
    }
    param_names = {p.TargetName for p in method.Parameters}
    by_field_id = {
        str(ids.fields[("RequestField", i)]): f.SystemField or f.ConnectorField
        for i, f in enumerate(method.RequestFields)
    }
    field_names = {f.SystemField or f.ConnectorField for f in method.RequestFields} | {
        f.ConnectorField for f in method.RequestFields
    }
    resolved_params: dict[str, str] = {}
    for key, value in parameters.items():
        name = by_param_id.get(str(key), str(key))
        if name not in param_names:
            raise BadRequest(f"Parameters: '{key}' is not a parameter of {method.Name}")
        resolved_params[name] = "" if value is None else str(value)
    resolved_fields: dict[str, Any] = {}
    for key, value in fields.items():
        name = by_field_id.get(str(key), str(key))
        if name not in field_names:
            raise BadRequest(f"Fields: '{key}' is not a request field of {method.Name}")
        resolved_fields[name] = value
    return CallInput(parameters=resolved_params, fields=resolved_fields)
