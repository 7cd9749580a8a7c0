"""Event handlers: the connector's, the method's and the step's scripts reacting to a call.

Each firing of an event is one sandbox execution: a fresh context gets the event's globals
(``method_request``, ``method_response``...), every level's script is compiled in a
function of its own (so a helper or a handler of one level never replaces another's), and
the handlers run in Cyclr's order: method, connector, step for events starting with
``before``; connector, method, step for the others. A handler answering ``false`` stops
the chain, and the caller decides what stopping means for its event. The globals are read
back afterwards, so a handler changes what the call does by assigning them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import quickjs

# A module import: the library's date helpers import the connector runtime, which imports
# this module.
from junction.scripting import functions
from junction.scripting.handlers import BEFORE_EVENTS, defines
from junction.scripting.host import Host, StorageFunction
from junction.scripting.sandbox import (
    Limits,
    ScriptError,
    guarded,
    limited,
    message_of,
    new_context,
)


class HandlerFailed(ScriptError):
    """A handler threw or broke a limit; ``thrown`` names an exception class it threw."""

    def __init__(self, message: str, thrown: str | None = None) -> None:
        super().__init__(message)
        self.thrown = thrown


@dataclass(frozen=True)
class Scripts:
    """The scripts of one call, by level."""

    connector: str | None = None
    method: str | None = None
    step: str | None = None

    def handlers(self, event: str) -> list[tuple[str, str]]:
        """(level, script) of every level that handles ``event``, in the order they run."""
        order = (
            (("method", self.method), ("connector", self.connector), ("step", self.step))
            if event in BEFORE_EVENTS
            else (("connector", self.connector), ("method", self.method), ("step", self.step))
        )
        return [(level, code) for level, code in order if code and defines(code, event)]

    def handles(self, event: str) -> bool:
        return any(defines(code, event) for code in (self.connector, self.method, self.step))


@dataclass
class ScriptEnvironment:
    """What the scripts of one step see besides the call itself, and what they leave for
    later events of the same step (``action_data``, the next run date)."""

    step_script: str | None = None
    execution_context: str = "RUNNING_TRANSACTION"  # CONNECTOR_TESTING, STEP_TESTING
    values: dict[str, Any] = field(default_factory=dict)  # cycle_id, cycle_variables...
    storage: StorageFunction | None = None  # when a cycle step runs
    action_data: dict[str, Any] = field(default_factory=dict)
    next_last_successful_run_date: str | None = None
    # The last request's globals, for the events that run once every page is in.
    last_request: dict[str, Any] | None = None
    last_parameters: dict[str, str] | None = None


@dataclass
class Fired:
    proceed: bool  # False when a handler answered false
    values: dict[str, Any]  # the globals read back


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"a {type(value).__name__} cannot be given to a script")


def _program(event: str, handlers: list[tuple[str, str]], readback: Iterable[str]) -> str:
    parts = [
        # Kept before any script runs: a handler may replace JSON's functions for itself.
        "var __stringify = JSON.stringify; var __values = JSON.parse(__input);",
        "for (var __k in __values) globalThis[__k] = __values[__k];",
        "var __handlers = []; var __level = null;",
    ]
    for level, code in handlers:
        parts.append(f"__level = {json.dumps(level)};")
        parts.append(
            "__handlers.push([" + json.dumps(level) + ", (function () {\n" + code + "\n;"
            f"return typeof {event} === 'function' ? {event} : null; }})()]);"
        )
    condition = event == "action_condition"
    parts.append(
        "(function () { var proceed = true;"
        " for (var i = 0; i < __handlers.length; i++) {"
        " if (__handlers[i][1] === null) continue; __level = __handlers[i][0];"
        " var answer = __handlers[i][1]();"
        + (
            " if (!answer) { proceed = false; break; } }"
            if condition
            else " if (answer === false) { proceed = false; break; } }"
        )
        + " __level = null; var out = {};"
        + "".join(
            f" out[{json.dumps(name)}] = typeof {name} === 'undefined' ? null : {name};"
            for name in readback
        )
        + " return __stringify({proceed: proceed, values: out}); })()"
    )
    return "\n".join(parts)


def run_event(
    event: str,
    handlers: list[tuple[str, str]],
    values: dict[str, Any],
    readback: Iterable[str],
    limits: Limits,
    host: Host | None = None,
) -> Fired:
    """Fire ``event`` (in this thread): the handlers with ``values`` as globals."""
    program = _program(event, handlers, readback)
    limits.observer(None)
    context = new_context(limits)
    try:
        with limited(context, limits):
            functions.install(context)
            if host is not None:
                host.install(context)
            context.set("__input", json.dumps(values, default=_json_default))
            context.set("__junction_code", program)
            result = context.eval(guarded("__junction_code"))
    except quickjs.JSException as exc:
        limits.observer(message_of(exc))
        raise _failure(event, context, exc) from None
    except (TypeError, ValueError) as exc:
        raise HandlerFailed(f"{event}: {exc}") from None
    if not isinstance(result, str):
        raise HandlerFailed(f"{event}: the handlers gave back a value that is not JSON")
    try:
        answer = json.loads(result)
        return Fired(proceed=bool(answer["proceed"]), values=dict(answer["values"]))
    except (ValueError, TypeError, KeyError):
        # A handler changed how objects turn into JSON (Object.prototype.toJSON, say).
        raise HandlerFailed(f"{event}: the handlers left values that cannot be read back") from None


def _failure(event: str, context: quickjs.Context, exc: Exception) -> HandlerFailed:
    message = message_of(exc)
    try:
        level = context.get("__level")
    except quickjs.JSException:
        level = None
    thrown = functions.thrown_auth_exception(message)
    where = f"the {level} script's {event} handler" if isinstance(level, str) else event
    return HandlerFailed(f"{where} failed: {message}", thrown)


async def fire(
    event: str,
    scripts: Scripts,
    values: dict[str, Any],
    readback: Iterable[str],
    limits: Limits,
    host: Host | None = None,
) -> Fired:
    """``run_event`` on a script thread, within the current account's share of them; an
    event nobody handles answers at once."""
    handlers = scripts.handlers(event)
    names = tuple(readback)
    if not handlers:
        return Fired(proceed=True, values={name: values.get(name) for name in names})
    fired: Fired = await limits.workers.run(run_event, event, handlers, values, names, limits, host)
    return fired
