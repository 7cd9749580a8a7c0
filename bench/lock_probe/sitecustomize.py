"""SQLite write-lock times of a `junction serve` process, for bench/webhook_cycle.py --lock-stats.

Python imports this module at start-up when its folder is on PYTHONPATH. With
BENCH_LOCK_STATS=PREFIX set, SQLAlchemy event listeners time each ``BEGIN IMMEDIATE`` (the
wait for SQLite's write lock) and the time from then to ``COMMIT`` (the lock held), and the
lists are written to PREFIX.<pid>.json every second (the server is stopped by a signal, so
nothing can be left to the end).
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

PREFIX = os.environ.get("BENCH_LOCK_STATS")

if PREFIX:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    waits: list[float] = []
    holds: list[float] = []

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            conn.info["bench_begin"] = time.perf_counter()

    @event.listens_for(Engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement == "BEGIN IMMEDIATE":
            now = time.perf_counter()
            waits.append(now - conn.info.pop("bench_begin", now))
            conn.info["bench_locked"] = now

    @event.listens_for(Engine, "commit")
    def _commit(conn: Any) -> None:
        locked = conn.info.pop("bench_locked", None)
        if locked is not None:
            holds.append(time.perf_counter() - locked)

    @event.listens_for(Engine, "rollback")
    def _rollback(conn: Any) -> None:
        conn.info.pop("bench_locked", None)

    def _write() -> None:
        path = f"{PREFIX}.{os.getpid()}.json"
        while True:
            time.sleep(1)
            with open(path + ".tmp", "w") as file:
                json.dump({"waits": list(waits), "holds": list(holds)}, file)
            os.replace(path + ".tmp", path)

    threading.Thread(target=_write, name="bench-lock-stats", daemon=True).start()
