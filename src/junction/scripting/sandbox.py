"""The sandbox scripts run in: a fresh QuickJS context for every execution.

What a script can reach is only what the context is given: QuickJS has no file system,
network or process access unless a host adds it, and none is added here. Each execution has
its own context, so nothing one script leaves behind (a global, a changed prototype) is seen
by another. Limits per execution: CPU time (the engine interrupts the script), memory and
stack. A script that breaks one ends with a ``ScriptError`` saying which.

Scripts run on a small thread pool of their own: a script that spins until its time limit
holds one of those threads, never the event loop, and the executor threads other work uses
(DNS look-ups, for instance) stay free.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import quickjs

from junction.scripting.calls import allow_python_calls

# Enough for the scripts of several transactions at once; more would only queue.
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="junction-script")

Setup = Callable[[quickjs.Context], None]


class ScriptError(Exception):
    """A script that threw, ran out of time or memory, or gave a value JSON cannot carry."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0
    memory_bytes: int = 64 * 1024 * 1024
    stack_bytes: int = 1024 * 1024
    # Told None as each execution starts and the message of each failure (the metrics).
    observer: Callable[[str | None], None] = field(default=lambda _: None, compare=False)


def message_of(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if first == "InternalError: interrupted":
        return "the script ran longer than its time limit"
    if first == "InternalError: out of memory":
        return "the script used more memory than its limit"
    if first.startswith("(Failed obtaining QuickJS error string"):
        # What was thrown could not be turned into text within the limits.
        return "the script threw a value that cannot be shown"
    if first.startswith("RangeError: Maximum call stack size exceeded"):
        return "the script went deeper than its stack limit"
    return first


def _to_python(value: Any) -> Any:
    if isinstance(value, quickjs.Object):
        text = value.json()
        # Functions and symbols have no JSON form.
        return None if text in (None, "undefined") else json.loads(text)
    return value


def run(code: str, limits: Limits, setup: Setup | None = None) -> Any:
    """Evaluate ``code`` in a new context; the value of its last expression, as JSON types.
    ``setup`` gives the context globals first (``functions.install``, for instance)."""
    limits.observer(None)
    context = quickjs.Context()
    context.set_memory_limit(limits.memory_bytes)
    context.set_max_stack_size(limits.stack_bytes)
    context.set_time_limit(limits.seconds)
    try:
        if setup is not None:
            setup(context)
        # Keeps the interrupt handler for the context's whole life, so reading the value
        # back (a toJSON of the script's) is under the time limit too (see calls.py).
        allow_python_calls(context)
        return _to_python(context.eval(code))
    except quickjs.JSException as exc:
        limits.observer(message_of(exc))
        raise ScriptError(message_of(exc)) from None
    except (ValueError, TypeError) as exc:  # a value that cannot cross into Python
        raise ScriptError(str(exc)) from None


def syntax_error(code: str) -> str | None:
    """What is wrong with the script's syntax, or None.

    The binding offers no compile-only mode, so the script is compiled as the body of a
    function expression that is never called. Text that closes that function early does
    run, so this happens in a context of its own with nothing of the host in it, a quarter
    of a second of CPU time and 8 MiB of memory, and with the interrupt handler kept even
    while an error is turned into text (see calls.py).
    """
    context = quickjs.Context()
    context.set_memory_limit(8 * 1024 * 1024)
    context.set_max_stack_size(Limits.stack_bytes)
    context.set_time_limit(0.25)
    allow_python_calls(context)
    try:
        context.eval("(function () {\n" + code + "\n})")
    except quickjs.JSException as exc:
        return message_of(exc)
    return None


async def evaluate(code: str, limits: Limits, setup: Setup | None = None) -> Any:
    """``run`` on the scripts' thread pool (with this task's context: what the script's
    functions log carries the ids of the transaction being run)."""
    in_context = contextvars.copy_context().run
    return await asyncio.get_running_loop().run_in_executor(
        _POOL, in_context, run, code, limits, setup
    )


def limits_from(
    seconds: float, memory_mb: int, observer: Callable[[str | None], None] | None = None
) -> Limits:
    limits = Limits(seconds=seconds, memory_bytes=memory_mb * 1024 * 1024)
    return limits if observer is None else replace(limits, observer=observer)
