"""Cycle Data Storage and Global Data Storage: key/value items.

Limits as Cyclr documents them: 1,000,000 items per store (per cycle for cycle storage),
keys of at most 128 characters, values of at most 1,024.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from junction.utilities.models import GLOBAL, StoredItem
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

MAX_ITEMS = 1_000_000
MAX_KEY = 128
MAX_VALUE = 1024


def _scope(context: UtilityContext, per_cycle: bool) -> tuple[Any, ...]:
    return (
        StoredItem.account_connector_id == context.account_connector_id,
        StoredItem.cycle_scope == (context.cycle_id if per_cycle else GLOBAL),
    )


def key_of(inputs: dict[str, Any]) -> str:
    key = text(inputs, "Key")
    if len(key) > MAX_KEY:
        raise UtilityError(f"Key: {len(key)} characters; at most {MAX_KEY} are allowed")
    return key


def _value(value: str) -> str:
    if len(value) > MAX_VALUE:
        raise UtilityError(f"Value: {len(value)} characters; at most {MAX_VALUE} are allowed")
    return value


async def _write(
    context: UtilityContext, per_cycle: bool, key: str, value: str, append: bool
) -> str:
    async with context.database.transaction() as session:
        row = await session.scalar(
            select(StoredItem).where(*_scope(context, per_cycle), StoredItem.key == key)
        )
        if row is None:
            count = await session.scalar(
                select(func.count()).select_from(StoredItem).where(*_scope(context, per_cycle))
            )
            if (count or 0) >= MAX_ITEMS:
                raise UtilityError(f"Key: the store is full ({MAX_ITEMS} items)")
            row = StoredItem(
                account_connector_id=context.account_connector_id,
                cycle_scope=context.cycle_id if per_cycle else GLOBAL,
                key=key,
                value=_value(value),
                updated_at=context.now,
            )
            session.add(row)
        else:
            row.value = _value(row.value + value if append else value)
            row.updated_at = context.now
        return row.value


def _register(prefix: str, per_cycle: bool) -> None:
    @operation(f"{prefix}/set")
    async def set_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        value = await _write(context, per_cycle, key, text(inputs, "Value", required=False), False)
        return [{"Key": key, "Value": value}]

    @operation(f"{prefix}/append")
    async def append_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        value = await _write(context, per_cycle, key, text(inputs, "Value", required=False), True)
        return [{"Key": key, "Value": value}]

    @operation(f"{prefix}/get")
    async def get_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        async with context.database.transaction(read_only=True) as session:
            value = await session.scalar(
                select(StoredItem.value).where(*_scope(context, per_cycle), StoredItem.key == key)
            )
        return [{"Key": key, "Value": value, "Found": value is not None}]

    @operation(f"{prefix}/delete")
    async def delete_key(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        async with context.database.transaction() as session:
            result = await session.execute(
                delete(StoredItem).where(*_scope(context, per_cycle), StoredItem.key == key)
            )
        return [{"Key": key, "Deleted": bool(result.rowcount)}]  # type: ignore[attr-defined]

    @operation(f"{prefix}/get-all")
    async def get_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        async with context.database.transaction(read_only=True) as session:
            rows = await session.execute(
                select(StoredItem.key, StoredItem.value)
                .where(*_scope(context, per_cycle))
                .order_by(StoredItem.key)
            )
            return [{"Key": key, "Value": value} for key, value in rows.all()]

    @operation(f"{prefix}/delete-all")
    async def delete_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        async with context.database.transaction() as session:
            result = await session.execute(delete(StoredItem).where(*_scope(context, per_cycle)))
        return [{"Deleted": int(result.rowcount)}]  # type: ignore[attr-defined]


_register("cycle-data", per_cycle=True)
_register("global-data", per_cycle=False)
