"""Cross Updating Preventer: stops an update that one system received from another from
being sent back to it (an endless ping-pong between two synchronised systems).

Store Data (Inbound or Outbound) keeps, under a common key, the values a step maps to
Field1..Field10. Update OK (Outbound) compares its values with those Store Data (Inbound)
kept for the key, and Update OK (Inbound) with Store Data (Outbound)'s: any difference, or
nothing kept, leaves by the True exit (a real change: go on); the same values leave by the
False exit. Each installed connector keeps its own data (one per kind of object).
"""

from __future__ import annotations

import json
from typing import Any

from junction.utilities import storage
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

FIELDS = tuple(f"Field{n}" for n in range(1, 11))
MAX_KEY = 128
MAX_VALUES = 16_384  # characters of the kept values, as JSON


def _key(inputs: dict[str, Any]) -> str:
    key = text(inputs, "CommonKey")
    if len(key) > MAX_KEY:
        raise UtilityError(f"CommonKey: {len(key)} characters; at most {MAX_KEY} are allowed")
    return key


def _values(inputs: dict[str, Any]) -> str:
    values = {name: inputs.get(name) for name in FIELDS if inputs.get(name) not in (None, "")}
    if not values:
        raise UtilityError("Field1: map at least one field to compare")
    kept = json.dumps({k: str(v) for k, v in values.items()}, sort_keys=True)
    if len(kept) > MAX_VALUES:
        raise UtilityError(f"Field1: the fields hold more than {MAX_VALUES} characters")
    return kept


def _scope(direction: str) -> str:
    """The preventer's values live in the data store's table, under their own scope."""
    return f"xup:{direction}"


def _register(direction: str, opposite: str) -> None:
    @operation(f"xup/update-ok-{direction}")
    async def update_ok(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key, values = _key(inputs), _values(inputs)
        kept = await storage.value_of(context, _scope(opposite), key)
        return [{"CommonKey": key, "Result": kept != values}]

    @operation(f"xup/store-{direction}")
    async def store(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        key, values = _key(inputs), _values(inputs)
        await storage.write(context, _scope(direction), key, lambda _: values)
        return [{"CommonKey": key, "Stored": True}]


_register("outbound", "inbound")
_register("inbound", "outbound")
