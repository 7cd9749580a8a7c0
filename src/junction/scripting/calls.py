"""Letting scripts call Python functions without losing the time limit.

The ``quickjs`` binding refuses every call from JavaScript into Python while a context has a
time limit (``InternalError: Can not call into Python with a time limit set``), yet the
limit is what stops a script that never ends. The binding keeps two things apart, though: a
flag, set by ``set_time_limit`` and checked on every call into Python, and the interrupt
handler that enforces the limit, which it installs when an evaluation starts and removes
when it ends, each only if the flag is set at that moment. Clearing the flag during an
evaluation therefore leaves the handler installed, with that evaluation's start time and
limit, for the rest of the context's life, and calls into Python are allowed from then on.

The only Python code that runs during an evaluation without being a call is a finalizer:
deleting a registered callable from JavaScript drops the binding's last reference to the
Python object, whose ``__del__`` clears the flag. ``tests/scripting/test_functions_calls.py`` checks
both halves (calls work, runaway scripts are still stopped), so a binding release that
changes this shows at once.
"""

from __future__ import annotations

import quickjs

_NAME = "__junction_allow_calls"


class _ClearFlag:
    def __init__(self, context: quickjs.Context) -> None:
        self.context: quickjs.Context | None = context

    def __call__(self) -> None:
        return None

    def __del__(self) -> None:
        if self.context is not None:
            self.context.set_time_limit(-1)  # the flag only; the running handler stays
            self.context = None


def allow_python_calls(context: quickjs.Context) -> None:
    """Let ``context``'s scripts call Python callables; its time limit (set before this)
    keeps counting from now. Without a time limit this changes nothing."""
    context.add_callable(_NAME, _ClearFlag(context))
    context.eval(f"delete globalThis.{_NAME}")
