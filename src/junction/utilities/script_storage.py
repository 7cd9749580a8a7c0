"""The storage functions of scripts (``cyclr_storage_*`` and ``cycle_storage_*``).

They work on the same items as the Data Storage utilities: ``cyclr_`` on the account
connector's shared store, ``cycle_`` on the cycle's own, with the same limits. Values are
kept as text: a script that stores an object stores its JSON.
"""

from __future__ import annotations

import json
from typing import Any

from junction.scripting.host import StorageFunction
from junction.utilities.operations import UtilityContext, UtilityError
from junction.utilities.storage import (
    MAX_KEY,
    items,
    limited,
    remove,
    scope_of,
    value_of,
    write,
)


def _key(key: Any) -> str:
    if not isinstance(key, str | int | float) or isinstance(key, bool) or str(key) == "":
        raise UtilityError("the key must be a non-empty text")
    text = str(key)
    if len(text) > MAX_KEY:
        raise UtilityError(f"the key has {len(text)} characters; at most {MAX_KEY} are allowed")
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _number(text: str | None, key: str) -> int:
    if text in (None, ""):
        return 0
    try:
        return int(str(text))
    except ValueError:
        raise UtilityError(f"the value of '{key}' is not a whole number") from None


def _amount(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise UtilityError("the amount must be a whole number")
    return int(value)


def storage_for(context: UtilityContext) -> StorageFunction:
    async def call(per_cycle: bool, operation: str, key: Any, value: Any) -> Any:
        scope = scope_of(context, per_cycle)
        if operation == "get":
            return await value_of(context, scope, _key(key))
        if operation == "set":
            stored = limited("the value", _text(value))
            return await write(context, scope, _key(key), lambda _: stored)
        if operation == "append":
            extra = _text(value)
            return await write(
                context, scope, _key(key), lambda old: limited("the value", (old or "") + extra)
            )
        if operation in ("increment", "decrement"):
            name = _key(key)
            delta = _amount(value) * (1 if operation == "increment" else -1)
            stored = await write(context, scope, name, lambda old: str(_number(old, name) + delta))
            return int(stored)
        if operation == "delete":
            return bool(await remove(context, scope, _key(key)))
        if operation == "delete_all":
            return await remove(context, scope, None)
        if operation == "list_keys":
            return [k for k, _ in await items(context, scope)]
        if operation == "list_values":
            return [{"key": k, "value": v} for k, v in await items(context, scope)]
        raise UtilityError(f"there is no storage operation '{operation}'")

    return call
