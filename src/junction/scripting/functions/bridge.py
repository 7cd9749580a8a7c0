"""How values cross between a script and a Python function.

The binding hands a Python callable numbers, strings, booleans and None as they are, and
anything else (objects, arrays, dates, functions) as a ``quickjs.Object`` whose JSON text
can be read; ``undefined`` and missing arguments are None. It carries back only primitives,
and a Python exception raised inside a callable leaves the interpreter in a broken state (a
script's ``catch`` does not see it and the next call fails). So every function here answers
one string whose first character says what the rest is: ``s`` text, ``j`` JSON text, ``e``
an error message, which the prelude throws as an ``Error``.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

import quickjs

log = logging.getLogger("junction.scripting")

Answer = str
Function = Callable[..., Answer]


class ScriptFunctionError(Exception):
    """A bad argument or an impossible request: the script gets ``Error(message)``."""


def text(value: str) -> Answer:
    return "s" + value


def as_json(value: Any) -> Answer:
    return "j" + json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def guarded(name: str) -> Callable[[Function], Function]:
    """Take any number of arguments (missing ones are None, extra ones ignored, as in
    JavaScript) and answer an error instead of raising; messages start with ``name``."""

    def wrap(function: Function) -> Function:
        count = function.__code__.co_argcount

        @wraps(function)
        def call(*args: Any) -> Answer:
            args = (args + (None,) * count)[:count]
            try:
                return function(*args)
            except ScriptFunctionError as exc:
                return f"e{name}: {exc}"
            except Exception:  # a fault of ours: logged here, never a traceback to a script
                log.exception("script function %s failed", name)
                return f"e{name} failed unexpectedly"

        return call

    return wrap


def _number_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)


def need_text(value: Any, argument: str) -> str:
    """A text argument: numbers and booleans are taken as JavaScript would write them."""
    if value is None:
        raise ScriptFunctionError(f"{argument} is required")
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number_text(value)
    raise ScriptFunctionError(f"{argument} must be text, not an object")


def optional_text(value: Any, argument: str) -> str | None:
    return None if value is None else need_text(value, argument)


def json_of(value: Any, argument: str) -> Any:
    """An object or array argument, as Python values."""
    if value is None:
        raise ScriptFunctionError(f"{argument} is required")
    if not isinstance(value, quickjs.Object):
        raise ScriptFunctionError(f"{argument} must be an object")
    try:
        written = value.json()
    except quickjs.JSException as exc:  # a cycle, or a toJSON that throws
        reason = str(exc).strip().split("\n", 1)[0]
        raise ScriptFunctionError(f"{argument} cannot be written as JSON: {reason}") from None
    if written is None or written == "undefined":  # a function or a symbol
        raise ScriptFunctionError(f"{argument} must be an object")
    return json.loads(written)
