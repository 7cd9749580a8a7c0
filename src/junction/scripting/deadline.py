"""Wall-clock deadlines for script executions.

The ``quickjs`` binding's own time limit is measured with C's ``clock()``, which counts the
CPU time of the whole process: with four scripts spinning on two cores each one is stopped
at a fraction of its limit, and a script on a starved machine runs for much longer than its
limit. What users are promised is wall-clock time, so a watchdog thread stops each execution
at its deadline instead.

The binding has no call to interrupt a running evaluation from another thread. Its
interrupt handler stops the evaluation as soon as ``clock() - start >= limit``, reading both
from a small struct inside the Context object; the watchdog sets that ``limit`` to zero when
the deadline passes, and the handler stops the script at its next check (QuickJS checks
every few thousand instructions, and again when a host call returns). The struct's place is
checked against the binding as this module is imported (``_layout_holds``): with another
release of the binding whose layout differs, the watchdog is off, the binding's CPU-time
limit is used as it stands, and a warning says so once. ``tests/scripting/test_deadline.py``
shows both: a loop is stopped on wall-clock time while other scripts load every core.

While the watchdog is on, the binding's CPU limit is kept as a backstop set so far out
(``backstop``) that it can never fire before the wall-clock deadline.
"""

from __future__ import annotations

import ctypes
import heapq
import itertools
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import quickjs

log = logging.getLogger(__name__)

# Byte offsets inside the binding's Context object (quickjs 1.19, 64-bit builds):
# PyObject header (16), JSRuntime* (16), JSContext* (24), int has_time_limit (32),
# clock_t time_limit (40), PyThreadState* (48), InterruptData {clock_t start (56),
# clock_t limit (64)}.
_HAS_TIME_LIMIT = 32
_TIME_LIMIT = 40
_INTERRUPT_LIMIT = 64
_CLOCKS_PER_SEC = 1_000_000  # POSIX fixes it; the layout check confirms it


def _layout_holds() -> bool:
    if sys.maxsize < 2**32 or ctypes.sizeof(ctypes.c_long) != 8:
        return False
    probe = quickjs.Context()
    base = id(probe)
    probe.set_time_limit(7.25)
    first = (
        ctypes.c_int.from_address(base + _HAS_TIME_LIMIT).value,
        ctypes.c_long.from_address(base + _TIME_LIMIT).value,
    )
    probe.set_time_limit(3.5)
    probe.eval("1")  # copies the limit into the interrupt handler's struct
    second = (
        ctypes.c_long.from_address(base + _TIME_LIMIT).value,
        ctypes.c_long.from_address(base + _INTERRUPT_LIMIT).value,
    )
    probe.set_time_limit(-1)
    cleared = ctypes.c_int.from_address(base + _HAS_TIME_LIMIT).value
    expected = (
        (1, int(7.25 * _CLOCKS_PER_SEC)),
        (int(3.5 * _CLOCKS_PER_SEC),) * 2,
    )
    return (first, second) == expected and cleared == 0


WATCHDOG_ON = _layout_holds()
if not WATCHDOG_ON:  # pragma: no cover - depends on the installed binding
    log.warning("script time limits count process CPU time: this quickjs build's layout is unknown")


def backstop(seconds: float) -> float:
    """The binding's CPU-time limit while the watchdog is on. The process's CPU time runs
    at most (cores) times as fast as wall-clock time, so this never fires first."""
    if not WATCHDOG_ON:
        return seconds
    return seconds * ((os.cpu_count() or 1) + 1)


def _interrupt(context: quickjs.Context) -> None:
    # An aligned 8-byte store: the evaluating thread reads either the old or the new value.
    ctypes.c_long.from_address(id(context) + _INTERRUPT_LIMIT).value = 0


@dataclass(order=True)
class _Entry:
    deadline: float
    number: int
    context: quickjs.Context | None = field(compare=False)


class Watchdog:
    """One thread that interrupts every execution still running at its deadline."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._heap: list[_Entry] = []
        self._numbers = itertools.count()
        self._dead = 0  # released entries still in the heap
        self._thread: threading.Thread | None = None

    def watch(self, context: quickjs.Context, seconds: float) -> _Entry:
        """Stop ``context``'s evaluation ``seconds`` from now unless ``release`` comes
        first. Call before the evaluation starts."""
        entry = _Entry(time.monotonic() + seconds, next(self._numbers), context)
        if not WATCHDOG_ON:
            return entry
        with self._lock:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="junction-script-watchdog", daemon=True
                )
                self._thread.start()
            elif self._heap[0] is entry:
                self._lock.notify()
        return entry

    def release(self, entry: _Entry) -> None:
        """The execution is over: its context is never touched again from here."""
        with self._lock:
            if entry.context is None:
                return  # interrupted, and out of the heap already
            entry.context = None
            self._dead += 1
            # Most executions end long before their deadline: drop them in batches, so
            # the heap holds what is running, not a minute's worth of finished scripts.
            if self._dead > 64 and self._dead * 2 > len(self._heap):
                self._heap = [e for e in self._heap if e.context is not None]
                heapq.heapify(self._heap)
                self._dead = 0

    def _run(self) -> None:
        with self._lock:
            while True:
                while self._heap and self._heap[0].context is None:
                    heapq.heappop(self._heap)
                    self._dead -= 1
                if not self._heap:
                    # Nothing to watch: the thread ends, and the next ``watch`` starts one.
                    self._thread = None
                    return
                wait = self._heap[0].deadline - time.monotonic()
                if wait > 0:
                    self._lock.wait(wait)
                    continue
                entry = heapq.heappop(self._heap)
                if entry.context is not None:
                    _interrupt(entry.context)
                    entry.context = None


WATCHDOG = Watchdog()
