"""Cycle Object Storage and Global Object Storage: entries of several fields under a key.

An entry is up to ten fields (Field1..Field10) kept together, as JSON, in the store data
storage uses (``storage.py``); Add/Update Entry changes the fields it is given and keeps the
others. Limits as for data storage: 1,000,000 entries per store, keys of at most 128
characters, each field value at most 1,024.
"""

from __future__ import annotations

import json
from typing import Any

from junction.utilities import storage
from junction.utilities.operations import UtilityContext, UtilityError, operation

FIELDS = tuple(f"Field{n}" for n in range(1, 11))


def _fields(inputs: dict[str, Any]) -> dict[str, str]:
    given = {}
    for name in FIELDS:
        value = inputs.get(name)
        if value is None:
            continue
        if isinstance(value, list | dict):
            raise UtilityError(f"{name}: must be a single value, not a list")
        given[name] = storage.limited(name, str(value))
    return given


def _entry(key: str, stored: str | None) -> dict[str, Any]:
    fields = json.loads(stored) if stored else {}
    return {"Key": key} | {name: fields.get(name) for name in FIELDS}


def _register(prefix: str, per_cycle: bool) -> None:
    @operation(f"{prefix}/add-or-update")
    async def add_or_update(
        context: UtilityContext, inputs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        key, given = storage.key_of(inputs), _fields(inputs)

        def merged(old: str | None) -> str:
            return json.dumps((json.loads(old) if old else {}) | given, sort_keys=True)

        return [
            _entry(
                key,
                await storage.write(
                    context, storage.scope_of(context, per_cycle), key, merged, "entries"
                ),
            )
        ]

    @operation(f"{prefix}/get")
    async def get(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = storage.key_of(inputs)
        stored = await storage.value_of(context, storage.scope_of(context, per_cycle), key)
        return [_entry(key, stored) | {"Found": stored is not None}]

    @operation(f"{prefix}/get-all")
    async def get_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            _entry(key, value)
            for key, value in await storage.items(context, storage.scope_of(context, per_cycle))
        ]

    @operation(f"{prefix}/delete")
    async def delete(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key = storage.key_of(inputs)
        return [
            {
                "Key": key,
                "Deleted": bool(
                    await storage.remove(context, storage.scope_of(context, per_cycle), key)
                ),
            }
        ]

    @operation(f"{prefix}/delete-all")
    async def delete_all(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            {"Deleted": await storage.remove(context, storage.scope_of(context, per_cycle), None)}
        ]


_register("cycle-objects", per_cycle=True)
_register("global-objects", per_cycle=False)
