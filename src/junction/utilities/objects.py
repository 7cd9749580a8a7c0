"""Cycle Object Storage and Global Object Storage: entries of several fields under a key.

An entry is up to ten fields (Field1..Field10) kept together; Add/Update Entry changes the
fields it is given and keeps the others. Limits as for data storage: 1,000,000 entries per
store, keys of at most 128 characters, each field value at most 1,024.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from junction.utilities import storage
from junction.utilities.models import GLOBAL, StoredItem
from junction.utilities.operations import UtilityContext, UtilityError, operation

FIELDS = tuple(f"Field{n}" for n in range(1, 11))


def _scope(context: UtilityContext, per_cycle: bool) -> tuple[Any, ...]:
    return (
        StoredItem.account_connector_id == context.account_connector_id,
        StoredItem.cycle_scope == (context.cycle_id if per_cycle else GLOBAL),
    )


def _fields(inputs: dict[str, Any]) -> dict[str, str]:
    given = {}
    for name in FIELDS:
        value = inputs.get(name)
        if value is None:
            continue
        if isinstance(value, list | dict):
            raise UtilityError(f"{name}: must be a single value, not a list")
        text = str(value)
        if len(text) > storage.MAX_VALUE:
            raise UtilityError(
                f"{name}: {len(text)} characters; at most {storage.MAX_VALUE} are allowed"
            )
        given[name] = text
    return given


def _entry(key: str, stored: str | None) -> dict[str, Any]:
    fields = json.loads(stored) if stored else {}
    return {"Key": key} | {name: fields.get(name) for name in FIELDS}


async def _upsert(context: UtilityContext, per_cycle: bool, key: str, given: dict[str, str]) -> str:
    async with context.database.transaction() as session:
        row = await session.scalar(
            select(StoredItem).where(*_scope(context, per_cycle), StoredItem.key == key)
        )
        if row is None:
            count = await session.scalar(
                select(func.count()).select_from(StoredItem).where(*_scope(context, per_cycle))
            )
            if (count or 0) >= storage.MAX_ITEMS:
                raise UtilityError(f"Key: the store is full ({storage.MAX_ITEMS} entries)")
            row = StoredItem(
                account_connector_id=context.account_connector_id,
                cycle_scope=context.cycle_id if per_cycle else GLOBAL,
                key=key,
                value=json.dumps(given, sort_keys=True),
                updated_at=context.now,
            )
            session.add(row)
        else:
            row.value = json.dumps(json.loads(row.value) | given, sort_keys=True)
            row.updated_at = context.now
        return row.value


def _register(prefix: str, per_cycle: bool) -> None:
    @operation(f"{prefix}/add-or-update")
    async def add_or_update(
        context: UtilityContext, inputs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        key, given = storage.key_of(inputs), _fields(inputs)
        try:
            stored = await _upsert(context, per_cycle, key, given)
        except IntegrityError:  # created meanwhile by another step: now it is an update
            stored = await _upsert(context, per_cycle, key, given)
        return [_entry(key, stored)]

    @operation(f"{prefix}/get")
    async def get(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = storage.key_of(inputs)
        async with context.database.transaction(read_only=True) as session:
            stored = await session.scalar(
                select(StoredItem.value).where(*_scope(context, per_cycle), StoredItem.key == key)
            )
        return [_entry(key, stored) | {"Found": stored is not None}]

    @operation(f"{prefix}/get-all")
    async def get_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        async with context.database.transaction(read_only=True) as session:
            rows = await session.execute(
                select(StoredItem.key, StoredItem.value)
                .where(*_scope(context, per_cycle))
                .order_by(StoredItem.key)
            )
            return [_entry(key, value) for key, value in rows.all()]

    @operation(f"{prefix}/delete")
    async def remove(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = storage.key_of(inputs)
        async with context.database.transaction() as session:
            result = await session.execute(
                delete(StoredItem).where(*_scope(context, per_cycle), StoredItem.key == key)
            )
        return [{"Key": key, "Deleted": bool(result.rowcount)}]  # type: ignore[attr-defined]

    @operation(f"{prefix}/delete-all")
    async def remove_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        async with context.database.transaction() as session:
            result = await session.execute(delete(StoredItem).where(*_scope(context, per_cycle)))
        return [{"Deleted": int(result.rowcount)}]  # type: ignore[attr-defined]


_register("cycle-objects", per_cycle=True)
_register("global-objects", per_cycle=False)
