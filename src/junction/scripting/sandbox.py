"""The sandbox scripts run in: a fresh QuickJS context for every execution.

What a script can reach is only what the context is given: QuickJS has no file system,
network or process access unless a host adds it, and none is added here. Each execution has
its own context, so nothing one script leaves behind (a global, a changed prototype) is seen
by another. Limits per execution: CPU time (the engine interrupts the script), memory and
stack. A script that breaks one ends with a ``ScriptError`` saying which. The time limit is
wall-clock time, enforced by a watchdog (``deadline``).

Scripts run on threads of their own, shared fairly between accounts (``workers``): a
script that spins until its time limit holds one of those threads, never the event loop,
and never more than its account's share of them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import quickjs

from junction.scripting.calls import allow_python_calls
from junction.scripting.deadline import WATCHDOG, backstop
from junction.scripting.workers import ScriptWorkers, shared_workers

Setup = Callable[[quickjs.Context], None]


class ScriptError(Exception):
    """A script that threw, ran out of time or memory, or gave a value JSON cannot carry."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 60.0  # wall-clock time
    memory_bytes: int = 64 * 1024 * 1024
    stack_bytes: int = 1024 * 1024
    # Told None as each execution starts and the message of each failure (the metrics).
    observer: Callable[[str | None], None] = field(default=lambda _: None, compare=False)
    # The threads executions run on, and each account's share of them.
    workers: ScriptWorkers = field(default_factory=shared_workers, compare=False)


def new_context(limits: Limits) -> quickjs.Context:
    """A context with ``limits``' memory and stack limits, whose scripts may call Python
    callables. Its time limit is ``limited``'s to enforce."""
    context = quickjs.Context()
    context.set_memory_limit(limits.memory_bytes)
    context.set_max_stack_size(limits.stack_bytes)
    context.set_time_limit(backstop(limits.seconds))
    # The binding's interrupt handler is installed from here for the context's life (see
    # calls.py), so nothing later resets what the watchdog changes in it.
    allow_python_calls(context)
    context.eval(_GUARD)
    return context


# The binding turns a thrown value into text (its toString, its stack) after it has taken
# the GIL back, so a script's own toString or stack getter would run there with every other
# Python thread stopped, the watchdog included: a whole-process freeze. ``guarded`` code is
# run from a string (it cannot break out of the wrapper) and whatever it throws is turned
# into text here, in JavaScript, under the time limit; what reaches the binding is an object
# with no prototype and only our own toString and stack. Builtins are kept before any script
# runs, so a script that replaces them changes nothing here.
_GUARD = """
Object.defineProperty(globalThis, "__junction_guard", {enumerable: false, value: (function () {
  var text = String, create = Object.create, E = Error;
  return function (thrown) {
    var said;
    try {
      if (thrown instanceof E) {
        var name = text(thrown.name), message = text(thrown.message);
        said = message === "" ? name : name + ": " + message;
      } else {
        said = text(thrown);
      }
    } catch (again) {
      said = "(Failed obtaining QuickJS error string)";
    }
    var safe = create(null);
    safe.stack = "";
    safe.toString = function () { return said; };
    return safe;
  };
})()});
"""


def guarded(source_global: str, expression: str | None = None) -> str:
    """A program that evaluates the text in the global ``source_global`` (or ``expression``
    built from it) and guards what it throws (see ``_GUARD``)."""
    run_it = expression or f"(0, eval)({source_global})"
    # The source is a global only to be handed over: scripts that list globals skip it.
    hide = f'Object.defineProperty(globalThis, "{source_global}", {{enumerable: false}});'
    return f"{hide} try {{ {run_it} }} catch (e) {{ throw __junction_guard(e); }}"


@contextmanager
def limited(context: quickjs.Context, limits: Limits) -> Iterator[None]:
    """Whatever ``context`` evaluates inside this block is stopped ``limits.seconds`` from
    now (with "the script ran longer than its time limit")."""
    entry = WATCHDOG.watch(context, limits.seconds)
    try:
        yield
    finally:
        WATCHDOG.release(entry)


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
    context = new_context(limits)
    try:
        # Reading the value back (a toJSON of the script's) is under the time limit too.
        with limited(context, limits):
            if setup is not None:
                setup(context)
            context.set("__junction_code", code)
            return _to_python(context.eval(guarded("__junction_code")))
    except quickjs.JSException as exc:
        limits.observer(message_of(exc))
        raise ScriptError(message_of(exc)) from None
    except (ValueError, TypeError) as exc:  # a value that cannot cross into Python
        raise ScriptError(str(exc)) from None


def syntax_error(code: str) -> str | None:
    """What is wrong with the script's syntax, or None.

    The binding offers no compile-only mode, so the script is compiled as the body of a
    function expression that is never called. Text that closes that function early does
    run, so this happens in a context of its own with nothing of the host in it, a second
    of wall-clock time and 8 MiB of memory, and with the interrupt handler kept even while
    an error is turned into text (see calls.py).
    """
    limits = Limits(seconds=1.0, memory_bytes=8 * 1024 * 1024)
    context = new_context(limits)
    try:
        with limited(context, limits):
            context.set("__junction_code", code)
            context.eval(
                guarded(
                    "__junction_code",
                    '(0, eval)("(function () {\\n" + __junction_code + "\\n})")',
                )
            )
    except quickjs.JSException as exc:
        return message_of(exc)
    return None


async def evaluate(code: str, limits: Limits, setup: Setup | None = None) -> Any:
    """``run`` on a script thread, within the current account's share of them."""
    return await limits.workers.run(run, code, limits, setup)


def limits_from(
    seconds: float,
    memory_mb: int,
    observer: Callable[[str | None], None] | None = None,
    workers: ScriptWorkers | None = None,
) -> Limits:
    limits = Limits(seconds=seconds, memory_bytes=memory_mb * 1024 * 1024)
    if observer is not None:
        limits = replace(limits, observer=observer)
    return limits if workers is None else replace(limits, workers=workers)
