"""Cycle Data Storage and Global Data Storage: key/value items; and the store they share
with Object Storage (``objects.py``).

Limits as Cyclr documents them: 1,000,000 items per store (per cycle for cycle storage),
keys of at most 128 characters, values of at most 1,024.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from junction.utilities.models import GLOBAL, StoredItem
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

MAX_ITEMS = 1_000_000
MAX_KEY = 128
MAX_VALUE = 1024


# -- the store -----------------------------------------------------------------------------


def scope_of(context: UtilityContext, per_cycle: bool) -> str:
    """Which set of items a step works on: its cycle's, or the shared one."""
    return context.cycle_id if per_cycle else GLOBAL


def _scope(context: UtilityContext, scope: str) -> tuple[Any, ...]:
    return (
        StoredItem.account_connector_id == context.account_connector_id,
        StoredItem.cycle_scope == scope,
    )


def key_of(inputs: dict[str, Any]) -> str:
    key = text(inputs, "Key")
    if len(key) > MAX_KEY:
        raise UtilityError(f"Key: {len(key)} characters; at most {MAX_KEY} are allowed")
    return key


def limited(name: str, value: str) -> str:
    if len(value) > MAX_VALUE:
        raise UtilityError(f"{name}: {len(value)} characters; at most {MAX_VALUE} are allowed")
    return value


async def write(
    context: UtilityContext,
    scope: str,
    key: str,
    change: Callable[[str | None], str],
    noun: str = "items",
) -> str:
    """Set the item to ``change(its value, None when new)``; returns what was stored."""
    try:
        return await _write(context, scope, key, change, noun)
    except IntegrityError:  # another step created the key meanwhile: now it is an update
        return await _write(context, scope, key, change, noun)


async def _write(
    context: UtilityContext,
    scope: str,
    key: str,
    change: Callable[[str | None], str],
    noun: str,
) -> str:
    async with context.database.transaction() as session:
        row = await session.scalar(
            select(StoredItem).where(*_scope(context, scope), StoredItem.key == key)
        )
        if row is None:
            count = await session.scalar(
                select(func.count()).select_from(StoredItem).where(*_scope(context, scope))
            )
            if (count or 0) >= MAX_ITEMS:
                raise UtilityError(f"Key: the store is full ({MAX_ITEMS} {noun})")
            row = StoredItem(
                account_connector_id=context.account_connector_id,
                cycle_scope=scope,
                key=key,
                value=change(None),
                updated_at=context.now,
            )
            session.add(row)
        else:
            row.value = change(row.value)
            row.updated_at = context.now
        return row.value


async def value_of(context: UtilityContext, scope: str, key: str) -> str | None:
    async with context.database.transaction(read_only=True) as session:
        value: str | None = await session.scalar(
            select(StoredItem.value).where(*_scope(context, scope), StoredItem.key == key)
        )
    return value


async def items(context: UtilityContext, scope: str) -> list[tuple[str, str]]:
    """Every (key, value), in key order."""
    async with context.database.transaction(read_only=True) as session:
        rows = await session.execute(
            select(StoredItem.key, StoredItem.value)
            .where(*_scope(context, scope))
            .order_by(StoredItem.key)
        )
        return [(key, value) for key, value in rows.all()]


async def remove(context: UtilityContext, scope: str, key: str | None) -> int:
    """Delete one item (or, with no key, every item); how many went."""
    where = _scope(context, scope)
    if key is not None:
        where = (*where, StoredItem.key == key)
    async with context.database.transaction() as session:
        result = await session.execute(delete(StoredItem).where(*where))
    return int(result.rowcount)  # type: ignore[attr-defined]


# -- Data Storage operations ---------------------------------------------------------------


def _register(prefix: str, per_cycle: bool) -> None:
    def here(context: UtilityContext) -> str:
        return scope_of(context, per_cycle)

    @operation(f"{prefix}/set")
    async def set_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        value = limited("Value", text(inputs, "Value", required=False))
        return [{"Key": key, "Value": await write(context, here(context), key, lambda _: value)}]

    @operation(f"{prefix}/append")
    async def append_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        value = text(inputs, "Value", required=False)
        stored = await write(
            context, here(context), key, lambda old: limited("Value", (old or "") + value)
        )
        return [{"Key": key, "Value": stored}]

    @operation(f"{prefix}/get")
    async def get_value(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        value = await value_of(context, here(context), key)
        return [{"Key": key, "Value": value, "Found": value is not None}]

    @operation(f"{prefix}/delete")
    async def delete_key(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = key_of(inputs)
        return [{"Key": key, "Deleted": bool(await remove(context, here(context), key))}]

    @operation(f"{prefix}/get-all")
    async def get_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Key": k, "Value": v} for k, v in await items(context, here(context))]

    @operation(f"{prefix}/delete-all")
    async def delete_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"Deleted": await remove(context, here(context), None)}]


_register("cycle-data", per_cycle=True)
_register("global-data", per_cycle=False)
