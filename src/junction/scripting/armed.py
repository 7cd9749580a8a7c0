"""Running a script that calls Python functions, still under a time limit.

The QuickJS binding stops a script that runs too long with an interrupt handler, which it
installs when an evaluation starts if the context has a time limit; but it refuses every
call from the script into Python while that limit is set. So a script that needs Python
functions (``http_request``, ``btoa``...) is started with the limit set (the handler is
installed), and a helper thread clears the limit's flag a moment later (the handler stays
installed for the rest of the evaluation, and calls into Python are allowed from then on).

The script's first statement waits for that: it calls ``__armed`` until the call goes
through. A call that went through only after at least one refusal proves the limit was set
while the script ran, hence when the evaluation started, hence that the interrupt handler
is in place. If the very first call went through, the flag was cleared too early and the
execution is refused (``Unarmed``) before any of the script ran, to be started again with a
longer delay.
"""

from __future__ import annotations

import queue
import re
import threading
import time

import quickjs

ARM = (
    "(function () { var tries = 0; for (;;) { var answer;"
    " try { answer = __armed(tries); } catch (e) { tries++; continue; }"
    " if (answer !== 'armed') throw new Error('__junction_unarmed'); return; } })();\n"
)


class Unarmed(Exception):
    """The time limit could not be shown to be in force; nothing of the script ran."""


def _armed(tries: int) -> str:
    return "armed" if tries else "early"


class _Armer:
    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[float, quickjs.Context]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def arm(self, context: quickjs.Context, delay: float) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="junction-script-armer", daemon=True
                )
                self._thread.start()
        self._queue.put((time.monotonic() + delay, context))

    def _run(self) -> None:
        while True:
            due, context = self._queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            context.set_time_limit(-1)  # the flag only; the running handler stays
            del context


_ARMER = _Armer()


def prepare(context: quickjs.Context) -> None:
    """Before the code is evaluated: the function its first statement calls."""
    context.add_callable("__armed", _armed)


def start(context: quickjs.Context, seconds: float, delay: float) -> None:
    """Set the limit and have it lifted (for calls only) ``delay`` seconds from now: call
    right before ``context.eval(ARM + code)``."""
    context.set_time_limit(seconds)
    _ARMER.arm(context, delay)


def is_unarmed(message: str) -> bool:
    return "__junction_unarmed" in message


def calls_python_refused(message: str) -> bool:
    return "Can not call into Python with a time limit set" in message


# Calls of functions that are Python underneath (a script calling one runs armed).
_CALLS_PYTHON = re.compile(
    r"\b(http_request|cyclr_storage_\w+|cycle_storage_\w+|btoa|atob|cyclr_sign"
    r"|cyclr_csv_parse|cyclr_xml_\w+|cyclr_date_\w+|cyclr_now)\s*\("
)
ATTEMPTS = 6  # each refused start costs nothing but a context; six in a row do not happen
DELAY = 0.0002


def calls_python(code: str) -> bool:
    return _CALLS_PYTHON.search(code) is not None
