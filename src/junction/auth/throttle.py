"""Throttling of failed token requests, per client ID and per caller address.

Counts live in the memory of each ``junction serve`` process: a guessing attack spread over
several replicas gets each replica's allowance. That keeps a failed attempt free of database
writes, which matters because failures are what an attacker can produce cheaply.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta

from junction.clock import Clock

MAX_TRACKED_KEYS = 100_000


class FailureThrottle:
    def __init__(self, *, limit: int, window: timedelta, clock: Clock) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[datetime]] = {}

    def _prune(self, key: str, now: datetime) -> deque[datetime] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after(self, keys: list[str]) -> int | None:
        """Seconds until one more attempt is allowed, or None when not throttled."""
        now = self.clock()
        waits: list[float] = []
        for key in keys:
            times = self._prune(key, now)
            if times is not None and len(times) >= self.limit:
                oldest_counted = times[len(times) - self.limit]
                waits.append((oldest_counted + self.window - now).total_seconds())
        return max(1, math.ceil(max(waits))) if waits else None

    def record_failure(self, keys: list[str]) -> None:
        now = self.clock()
        if len(self._failures) >= MAX_TRACKED_KEYS:
            for key in list(self._failures):
                self._prune(key, now)
            if len(self._failures) >= MAX_TRACKED_KEYS:
                # Under a spray of random client IDs, drop the oldest entries rather than
                # grow without bound; the per-address key still throttles the sprayer.
                for key in list(self._failures)[: MAX_TRACKED_KEYS // 10]:
                    del self._failures[key]
        for key in keys:
            self._failures.setdefault(key, deque(maxlen=self.limit * 2)).append(now)

    def reset(self) -> None:
        self._failures.clear()
