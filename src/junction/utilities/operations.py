"""The registry of in-process operations and what each one is given.

An operation takes its step's inputs (resolved mappings, by parameter TargetName and field
SystemField) and returns records, like a connector method's response. A bad input raises
``UtilityError`` naming the field.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from junction.connectors.runtime import HttpClient
from junction.db.engine import Database
from junction.errors import BadRequest


class UtilityError(BadRequest):
    """A utility operation refused its input; the message names the field."""


@dataclass(frozen=True)
class UtilityContext:
    database: Database
    account_id: str
    account_connector_id: int
    cycle_id: str
    now: datetime
    # Outbound HTTP (the connector runtime's pooled client, behind the address guard), for
    # operations that call a URL the step names.
    http: HttpClient | None = None


Operation = Callable[[UtilityContext, dict[str, Any]], Awaitable[list[dict[str, Any]]]]

OPERATIONS: dict[str, Operation] = {}


def operation(name: str) -> Callable[[Operation], Operation]:
    def register(function: Operation) -> Operation:
        OPERATIONS[name] = function
        return function

    return register


def text(inputs: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = inputs.get(name)
    if value is None or value == "":
        if required:
            raise UtilityError(f"{name}: required")
        return ""
    if isinstance(value, list | dict):
        raise UtilityError(f"{name}: must be a single value, not a list")
    return str(value)


def integer(inputs: dict[str, Any], name: str, default: int) -> int:
    value = inputs.get(name)
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise UtilityError(f"{name}: '{value}' is not a whole number") from None


_loaded = False


def _load_all() -> None:
    """Import every module of this package: importing one registers its operations."""
    global _loaded
    import junction.utilities as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    _loaded = True


async def run(name: str, context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    # Not "while OPERATIONS is empty": a module imported for another reason (the scripts'
    # storage functions) registers its own operations before the rest are loaded.
    if not _loaded:
        _load_all()
    found = OPERATIONS.get(name)
    if found is None:
        raise UtilityError(f"Junction has no utility operation '{name}'")
    return await found(context, inputs)
