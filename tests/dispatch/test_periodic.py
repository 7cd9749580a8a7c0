"""procrastinate's periodic tasks run once per tick however many workers are up.

Two workers (each with its own procrastinate app and periodic deferrer, as two processes
would have) share one database; every run of the scheduler tick is recorded with the tick's
timestamp. Each timestamp must appear once.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from junction.dispatch.jobs import HOUSEKEEPING, SWEEP, TICK
from junction.dispatch.worker import Worker
from junction.services import worker_beside
from tests.fixtures.databases import skip_without_postgres
from tests.fixtures.server import PROCRASTINATE, running_junction

WATCH_SECONDS = 5


def record(worker: Worker, name: str, seen: list[tuple[str, int]]) -> None:
    task = worker.queue.app.tasks[name]
    inner: Callable[..., Awaitable[Any]] = task.func

    async def recorded(timestamp: int) -> Any:
        seen.append((name, timestamp))
        return await inner(timestamp=timestamp)

    task.func = recorded


def test_each_tick_runs_once_across_workers(tmp_path: Path) -> None:
    skip_without_postgres()
    with running_junction(PROCRASTINATE, tmp_path) as junction:
        first = junction.dispatcher
        assert isinstance(first, Worker)
        second = worker_beside(junction.services)
        seen: list[tuple[str, int]] = []
        for worker in (first, second):
            for name in (TICK, SWEEP, HOUSEKEEPING):
                record(worker, name, seen)
        junction.run(second.start())
        try:
            time.sleep(WATCH_SECONDS)
        finally:
            junction.run(second.stop(grace=1))
    runs = Counter(seen)
    assert runs, "no periodic task ran"
    assert max(runs.values()) == 1, f"a tick ran twice: {runs.most_common(3)}"
    ticks = sorted(timestamp for name, timestamp in runs if name == TICK)
    assert len(ticks) >= WATCH_SECONDS - 2, ticks
    assert ticks == list(range(ticks[0], ticks[0] + len(ticks))), "one run per second"
