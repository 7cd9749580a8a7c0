"""An account connector's methods with its custom fields added: the *effective* methods.

A custom field (``AccountConnectorField``) adds a request or response field to one method of
an account connector, or to all of them. Wherever a method is used for that account
connector (a cycle's step, Data on Demand, field listings) it is used with these fields:
request fields are appended to ``RequestFields`` unless read-only (never sent), response
fields to ``ResponseFields``.

The runtime compiles a plan per method *object* (``runtime.plancache.IdentityCache``), so an
effective method is built once per (method, content of its custom fields) and the same
object is handed out again while the fields stay as they are; a change of any field gives a
new object, hence a new plan.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.accounts.models import AccountConnectorField
from junction.connectors.spec.models import FieldSpec, MethodSpec

MANUAL, LOOKUP = "Manual", "Lookup"
_FIELD_KEYS = frozenset(FieldSpec.model_fields)


@dataclass(frozen=True)
class CustomField:
    """A stored custom field, read."""

    id: int
    method: str | None  # a MethodUniqueIdentifier, or None for every method
    for_request: bool
    spec: FieldSpec
    read_only: bool
    hidden: bool
    field_values: list[dict[str, Any]]
    source: str

    @property
    def name(self) -> str:
        """How mappings and call inputs name it."""
        return self.spec.SystemField or self.spec.ConnectorField

    def applies_to(self, method_unique_identifier: str) -> bool:
        return self.method is None or self.method == method_unique_identifier


def read(row: AccountConnectorField) -> CustomField:
    stored = row.spec or {}
    return CustomField(
        id=row.id,
        method=row.method_unique_identifier,
        for_request=row.for_request_format,
        spec=FieldSpec.model_validate({k: v for k, v in stored.items() if k in _FIELD_KEYS}),
        read_only=bool(stored.get("IsReadOnly", False)),
        hidden=bool(stored.get("IsHidden", False)),
        field_values=list(stored.get("FieldValues") or []),
        source=row.source,
    )


def stored_spec(
    spec: FieldSpec, *, read_only: bool, hidden: bool, field_values: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the ``spec`` column holds: the FieldSpec, then the extras."""
    return {
        **spec.model_dump(mode="json", exclude_none=True),
        "IsReadOnly": read_only,
        "IsHidden": hidden,
        "FieldValues": field_values,
    }


async def fields_of(
    *, session: AsyncSession, account_connector_ids: Iterable[int]
) -> dict[int, list[CustomField]]:
    """The custom fields of each account connector, oldest first (one query)."""
    ids = sorted(set(account_connector_ids))
    found: dict[int, list[CustomField]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = await session.scalars(
        select(AccountConnectorField)
        .where(AccountConnectorField.account_connector_id.in_(ids))
        .order_by(AccountConnectorField.id)
    )
    for row in rows:
        found[row.account_connector_id].append(read(row))
    return found


def of_method(fields: Sequence[CustomField], method: MethodSpec) -> list[CustomField]:
    return [f for f in fields if f.applies_to(method.MethodUniqueIdentifier)]


_CACHE_SIZE = 4096
# (id of the method, content of its custom fields) -> (the method, the effective method).
_effective: OrderedDict[tuple[int, str], tuple[MethodSpec, MethodSpec]] = OrderedDict()


def _content(fields: Sequence[CustomField]) -> str:
    return json.dumps(
        [
            [f.for_request, f.read_only, f.spec.model_dump(mode="json", exclude_none=True)]
            for f in fields
        ],
        sort_keys=True,
    )


def effective(method: MethodSpec, fields: Sequence[CustomField]) -> MethodSpec:
    """The method with those of ``fields`` that apply to it; the method itself when none do."""
    applicable = [f for f in of_method(fields, method) if not (f.for_request and f.read_only)]
    if not applicable:
        return method
    key = (id(method), _content(applicable))
    entry = _effective.get(key)
    # The method is kept in the entry, so its id cannot be reused while the entry lives.
    if entry is not None and entry[0] is method:
        _effective.move_to_end(key)
        return entry[1]
    built = method.model_copy(
        update={
            "RequestFields": [
                *method.RequestFields,
                *(f.spec for f in applicable if f.for_request),
            ],
            "ResponseFields": [
                *method.ResponseFields,
                *(f.spec for f in applicable if not f.for_request),
            ],
        }
    )
    _effective[key] = (method, built)
    if len(_effective) > _CACHE_SIZE:
        _effective.popitem(last=False)
    return built


def mapping_id(field: CustomField) -> int:
    """A custom field's Id among a method's numeric field Ids (step set-up, Data on Demand).

    Connector fields and custom fields are numbered in two tables; custom fields are given
    as the negative of their own Id so that the two can never be confused.
    """
    return -field.id


def split_inputs(
    fields: Sequence[CustomField], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Call input values (Data on Demand) split into those of the method's own fields, left
    as given, and those of its custom request fields, by the name the runtime reads them by.
    A custom field is named by its mapping Id, SystemField or ConnectorField."""
    names: dict[str, CustomField] = {}
    for field in fields:
        if field.for_request and not field.read_only:
            for name in (str(mapping_id(field)), field.spec.ConnectorField, field.name):
                names[name] = field
    own: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for key, value in values.items():
        found = names.get(str(key))
        if found is None:
            own[key] = value
        else:
            custom[found.name] = value
    return own, custom
