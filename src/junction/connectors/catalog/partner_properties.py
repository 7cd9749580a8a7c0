"""Partner connector properties: values the partner sets once for every account connector.

They are kept by connector name, so a new release keeps them, and always sealed: they are
typically OAuth client secrets and API keys of the partner's own app registration.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog.models import Connector, PartnerConnectorProperty
from junction.connectors.spec.models import ConnectorDefinition
from junction.errors import BadRequest
from junction.security.keyring import Keyring


def value_context(connector_name: str, name: str) -> str:
    return f"partner_connector_properties.value:{connector_name}:{name}"


async def set_values(
    *,
    session: AsyncSession,
    keyring: Keyring,
    connector: Connector,
    definition: ConnectorDefinition,
    values: dict[str, str | None],
) -> None:
    allowed = {p.TargetName: p for p in definition.Parameters if p.PartnerConnectorProperty}
    unknown = sorted(name for name in values if name not in allowed)
    if unknown:
        raise BadRequest(
            f"Name: {', '.join(unknown)} is not a partner connector property of "
            f"'{connector.name}' (it has: {', '.join(sorted(allowed)) or 'none'})"
        )
    for name, value in values.items():
        stored = await session.scalar(
            select(PartnerConnectorProperty).where(
                PartnerConnectorProperty.connector_name == connector.name,
                PartnerConnectorProperty.name == name,
            )
        )
        if value is None:
            if stored is not None:
                await session.delete(stored)
            continue
        sealed = keyring.seal(value, context=value_context(connector.name, name))
        if stored is None:
            session.add(
                PartnerConnectorProperty(
                    connector_name=connector.name, name=name, value_sealed=sealed
                )
            )
        else:
            stored.value_sealed = sealed
    await session.flush()


async def get_values(
    *, session: AsyncSession, keyring: Keyring, connector_name: str
) -> dict[str, str]:
    rows = await session.scalars(
        select(PartnerConnectorProperty).where(
            PartnerConnectorProperty.connector_name == connector_name
        )
    )
    return {
        row.name: keyring.open(row.value_sealed, context=value_context(connector_name, row.name))
        for row in rows
    }


async def names_set(*, session: AsyncSession, connector_name: str) -> list[str]:
    rows = await session.scalars(
        select(PartnerConnectorProperty.name).where(
            PartnerConnectorProperty.connector_name == connector_name
        )
    )
    return sorted(rows)
