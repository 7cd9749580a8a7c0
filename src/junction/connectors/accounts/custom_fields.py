"""An account connector's custom fields: made by hand through the API, or found by a method's
custom fields lookup (``custom_field_discovery``). Functions flush; the caller commits.

A change of an account connector's custom fields gives the cycles that use it a new version:
running code compiles a cycle per version (``engine.plans``), and this is how a worker in
any process learns that a step's method gained or lost a field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts import custom_methods
from junction.connectors.accounts.custom_field_schemas import (
    CustomFieldIn,
    CustomFieldOut,
    FieldValue,
)
from junction.connectors.accounts.custom_methods import MANUAL, CustomField
from junction.connectors.accounts.models import AccountConnector, AccountConnectorField
from junction.connectors.catalog import service as catalog
from junction.connectors.spec.models import ConnectorDefinition, FieldSpec, MethodSpec
from junction.connectors.spec.paths import PathError, parse_path
from junction.cycles import lifecycle
from junction.cycles.models import Cycle, CycleStep
from junction.errors import BadRequest, NotFound


async def definition_of(*, session: AsyncSession, row: AccountConnector) -> ConnectorDefinition:
    connector = await catalog.get_connector(session=session, connector_id=row.connector_id)
    return catalog.definition_of(connector)


async def list_fields(
    *, session: AsyncSession, row: AccountConnector
) -> list[AccountConnectorField]:
    result = await session.scalars(
        select(AccountConnectorField)
        .where(AccountConnectorField.account_connector_id == row.id)
        .order_by(AccountConnectorField.id)
    )
    return list(result)


async def get_field(
    *, session: AsyncSession, row: AccountConnector, field_id: int
) -> AccountConnectorField:
    stored = await session.get(AccountConnectorField, field_id)
    if stored is None or stored.account_connector_id != row.id:
        raise NotFound(f"No custom field with Id {field_id} on account connector {row.id}")
    return stored


def _methods(definition: ConnectorDefinition, mui: str | None) -> list[MethodSpec]:
    if mui is None:
        return list(definition.Methods)
    method = catalog.method_by_uid(definition, mui)
    if method is None:
        raise BadRequest(
            f"MethodUniqueIdentifier: connector '{definition.Name}' has no method '{mui}'"
        )
    return [method]


def _own_fields(method: MethodSpec, for_request: bool) -> list[FieldSpec]:
    return method.RequestFields if for_request else method.ResponseFields


def check(
    definition: ConnectorDefinition,
    field_in: CustomFieldIn,
    others: Sequence[CustomField],
) -> None:
    """Refuse a field that cannot work, naming what is wrong. ``others`` are the account
    connector's other custom fields (not the one being replaced)."""
    try:
        path = parse_path(field_in.ConnectorField)
    except PathError as exc:
        raise BadRequest(f"ConnectorField: {exc}") from None
    if not path.segments[-1].key:
        raise BadRequest(f"ConnectorField: '{field_in.ConnectorField}' names a list, not a field")
    methods = _methods(definition, field_in.MethodUniqueIdentifier)
    if field_in.EntityIdentifier and field_in.ForRequestFormat:
        raise BadRequest("EntityIdentifier: only a response field identifies an item")
    name = field_in.SystemField or field_in.ConnectorField
    direction = "request" if field_in.ForRequestFormat else "response"
    for method in methods:
        for own in _own_fields(method, field_in.ForRequestFormat):
            if name in (own.SystemField, own.ConnectorField):
                what = "SystemField" if field_in.SystemField else "ConnectorField"
                raise BadRequest(
                    f"{what}: '{name}' is already a {direction} field of method "
                    f"'{method.MethodUniqueIdentifier}'"
                )
            if field_in.ConnectorField == own.ConnectorField:
                raise BadRequest(
                    f"ConnectorField: '{own.ConnectorField}' is already a {direction} field of "
                    f"method '{method.MethodUniqueIdentifier}'"
                )
    for other in others:
        if other.for_request != field_in.ForRequestFormat:
            continue
        overlap = (
            other.method is None
            or field_in.MethodUniqueIdentifier is None
            or other.method == field_in.MethodUniqueIdentifier
        )
        if not overlap:
            continue
        if name in (other.name, other.spec.ConnectorField):
            what = "SystemField" if field_in.SystemField else "ConnectorField"
            raise BadRequest(f"{what}: '{name}' is already the custom {direction} field {other.id}")
        if field_in.ConnectorField == other.spec.ConnectorField:
            raise BadRequest(
                f"ConnectorField: '{field_in.ConnectorField}' is already the custom "
                f"{direction} field {other.id}"
            )


def _spec_of(field_in: CustomFieldIn) -> dict[str, object]:
    spec = FieldSpec(
        ConnectorField=field_in.ConnectorField,
        SystemField=field_in.SystemField,
        DisplayName=field_in.DisplayName,
        Description=field_in.Description,
        DataType=field_in.DataType,
        DataTypeFormat=field_in.DataTypeFormat,
        Optional=field_in.IsOptional,
        DefaultValue=field_in.DefaultValue,
        EntityIdentifier=field_in.EntityIdentifier,
    )
    return custom_methods.stored_spec(
        spec,
        read_only=field_in.IsReadOnly,
        hidden=field_in.IsHidden,
        field_values=[v.model_dump(mode="json") for v in field_in.FieldValues],
    )


async def _others(
    *, session: AsyncSession, row: AccountConnector, except_id: int | None
) -> list[CustomField]:
    return [
        custom_methods.read(f)
        for f in await list_fields(session=session, row=row)
        if f.id != except_id
    ]


async def create(
    *, session: AsyncSession, row: AccountConnector, field_in: CustomFieldIn, now: datetime
) -> AccountConnectorField:
    definition = await definition_of(session=session, row=row)
    check(definition, field_in, await _others(session=session, row=row, except_id=None))
    stored = AccountConnectorField(
        account_connector_id=row.id,
        method_unique_identifier=field_in.MethodUniqueIdentifier,
        for_request_format=field_in.ForRequestFormat,
        spec=_spec_of(field_in),
        source=MANUAL,
        created_at=now,
        updated_at=now,
    )
    session.add(stored)
    await session.flush()
    await touch_cycles(session=session, account_connector_id=row.id, now=now)
    return stored


async def replace(
    *,
    session: AsyncSession,
    row: AccountConnector,
    stored: AccountConnectorField,
    field_in: CustomFieldIn,
    now: datetime,
) -> AccountConnectorField:
    """PUT: the whole field. A field a lookup found becomes Manual: the user's version is
    kept from now on, and later discoveries leave it alone."""
    definition = await definition_of(session=session, row=row)
    check(definition, field_in, await _others(session=session, row=row, except_id=stored.id))
    stored.method_unique_identifier = field_in.MethodUniqueIdentifier
    stored.for_request_format = field_in.ForRequestFormat
    stored.spec = _spec_of(field_in)
    stored.source = MANUAL
    stored.updated_at = now
    await session.flush()
    await touch_cycles(session=session, account_connector_id=row.id, now=now)
    return stored


async def remove(
    *, session: AsyncSession, row: AccountConnector, stored: AccountConnectorField, now: datetime
) -> None:
    await session.delete(stored)
    await session.flush()
    await touch_cycles(session=session, account_connector_id=row.id, now=now)


async def touch_cycles(*, session: AsyncSession, account_connector_id: int, now: datetime) -> None:
    """A new version for every cycle with a step on this account connector (see above)."""
    using = select(CycleStep.cycle_id).where(CycleStep.account_connector_id == account_connector_id)
    await lifecycle.touch_where(session, Cycle.id.in_(using))


def to_out(stored: AccountConnectorField) -> CustomFieldOut:
    field = custom_methods.read(stored)
    spec = field.spec
    return CustomFieldOut(
        Id=stored.id,
        ConnectorField=spec.ConnectorField,
        SystemField=spec.SystemField,
        DisplayName=spec.DisplayName,
        Description=spec.Description,
        DataType=spec.DataType.value,
        DataTypeFormat=spec.DataTypeFormat,
        EntityIdentifier=spec.EntityIdentifier,
        MethodUniqueIdentifier=field.method,
        ForRequestFormat=field.for_request,
        DefaultValue=spec.DefaultValue,
        IsOptional=spec.Optional,
        Source=field.source,
        IsReadOnly=field.read_only,
        IsHidden=field.hidden,
        FieldValues=[FieldValue.model_validate(v) for v in field.field_values],
        AccountConnectorId=stored.account_connector_id,
        CreatedDate=stored.created_at,
        UpdatedDate=stored.updated_at,
    )
