"""Triggers: a connector method that lists the values a parameter may take (look-ups)."""

from __future__ import annotations

from typing import Any

from junction.connectors.accounts import service as account_connectors
from junction.connectors.calls import service as calls
from junction.connectors.calls.gateway import ConnectorGateway
from junction.connectors.catalog import service as catalog
from junction.connectors.runtime import flatten
from junction.connectors.spec.models import TriggerSpec
from junction.connectors.spec.paths import parse_path
from junction.errors import NotFound


def _values(body: Any, path_text: str) -> list[Any]:
    path = parse_path(path_text)
    found = path.get(body)
    return flatten(found, path.list_depth) if path.list_depth else [found]


def choices(trigger: TriggerSpec, body: Any) -> list[dict[str, Any]]:
    """``[{Name, Value}]`` from a trigger method's response, pairing its two paths item by
    item; items without a value are left out."""
    values = _values(body, trigger.IdentifierKey)
    names = _values(body, trigger.HumanReadableKey)
    return [
        {"Name": names[i] if i < len(names) and names[i] is not None else value, "Value": value}
        for i, value in enumerate(values)
        if value is not None
    ]


async def run(
    *,
    gateway: ConnectorGateway,
    account_id: str,
    account_connector_id: int,
    trigger_name: str,
) -> list[dict[str, Any]]:
    """Call the trigger's method through the runtime (no transaction stays open meanwhile)."""
    async with gateway.database.transaction(read_only=True) as session:
        row = await account_connectors.get(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
        connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
        definition = catalog.definition_of(connector)
    trigger = next((t for t in definition.Triggers if t.Name == trigger_name), None)
    if trigger is None:
        raise NotFound(f"Connector '{definition.Name}' has no trigger '{trigger_name}'")
    result = await calls.run(
        gateway=gateway,
        account_id=account_id,
        account_connector_id=account_connector_id,
        method_ref=trigger.MethodUniqueIdentifier,
        parameters={},
        fields={},
    )
    return choices(trigger, result.body)
