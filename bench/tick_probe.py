"""`junction serve` with its scheduler ticks timed, for bench/scheduler_bench.py.

    BENCH_TICK_STATS=PREFIX python bench/tick_probe.py serve

The local dispatcher's ``tick`` (the scheduler lease, the due cycles queued, the commit:
what the scheduler loop waits for each second) and the scheduler's own ``tick`` inside it
(the work once the lease is held) are timed, and the lists are written to
PREFIX.<pid>.json every second (the server is stopped by a signal, so nothing can be left
to the end). Each entry: [wall-clock start (epoch s), seconds, queued].
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from junction.cli.main import main
from junction.dispatch import local
from junction.engine import scheduler

ticks: list[list[Any]] = []
inner: list[list[Any]] = []
_dispatcher_tick = local.LocalDispatcher.tick
_scheduler_tick = scheduler.tick


async def _timed_dispatcher_tick(self: Any, *args: Any, **kwargs: Any) -> Any:
    wall, started = time.time(), time.perf_counter()
    queued = await _dispatcher_tick(self, *args, **kwargs)
    ticks.append([wall, time.perf_counter() - started, queued])
    return queued


async def _timed_scheduler_tick(*args: Any, **kwargs: Any) -> Any:
    wall, started = time.time(), time.perf_counter()
    queued = await _scheduler_tick(*args, **kwargs)
    inner.append([wall, time.perf_counter() - started, queued])
    return queued


def _write(prefix: str) -> None:
    path = f"{prefix}.{os.getpid()}.json"
    while True:
        time.sleep(1)
        with open(path + ".tmp", "w") as file:
            json.dump({"ticks": list(ticks), "inner": list(inner)}, file)
        os.replace(path + ".tmp", path)


if __name__ == "__main__":
    local.LocalDispatcher.tick = _timed_dispatcher_tick  # type: ignore[method-assign]
    scheduler.tick = _timed_scheduler_tick
    threading.Thread(
        target=_write, args=(os.environ["BENCH_TICK_STATS"],), name="bench-tick-stats", daemon=True
    ).start()
    main()
