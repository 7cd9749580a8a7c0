"""Connector rate limits: at most N requests in any window of IntervalSeconds.

A sliding-window scheduler per limit: each window keeps the start times of its last N
requests. A request reserves the earliest start that every limit it falls under allows
(the N-th latest start plus the interval, and never before an earlier reservation, which
keeps the queue first come, first served), then sleeps once until then. No polling, no
busy waiting, and since reserving happens without an ``await`` it is atomic among the
event loop's tasks. Windows are per account connector (``ConnectionContext.key``) and, for
method limits, per method, shared by every call in the process.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence

from junction.connectors.runtime.types import Sleep
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec, RateLimitSpec

_PRUNE_EVERY = 1024  # acquisitions between sweeps of idle windows


class _Window:
    __slots__ = ("interval", "requests", "starts")

    def __init__(self, requests: int, interval: float) -> None:
        self.requests = requests
        self.interval = interval
        self.starts: deque[float] = deque(maxlen=requests)

    def earliest(self, now: float) -> float:
        start = now
        if self.starts:
            start = max(start, self.starts[-1])
            if len(self.starts) == self.requests:
                start = max(start, self.starts[0] + self.interval)
        return start

    def idle(self, now: float) -> bool:
        return not self.starts or self.starts[-1] + self.interval <= now


LimitKey = tuple[Hashable, ...]


def limits_for(
    definition: ConnectorDefinition, method: MethodSpec, connection_key: str
) -> list[tuple[LimitKey, RateLimitSpec]]:
    """The windows one call of ``method`` counts against."""
    return [((connection_key, *key), spec) for key, spec in limit_templates(definition, method)]


def limit_templates(
    definition: ConnectorDefinition, method: MethodSpec
) -> tuple[tuple[LimitKey, RateLimitSpec], ...]:
    """``limits_for`` without the account connector's key (which comes with each call).

    A changed limit in a new release gets a window of its own: the numbers are in the key.
    """
    keys: list[tuple[LimitKey, RateLimitSpec]] = []
    for index, spec in enumerate(definition.RateLimits):
        keys.append((("", index, spec.Requests, spec.IntervalSeconds), spec))
    for index, spec in enumerate(method.RateLimits):
        key = (method.MethodUniqueIdentifier, index, spec.Requests, spec.IntervalSeconds)
        keys.append((key, spec))
    return tuple(keys)


class RateLimiter:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._windows: dict[LimitKey, _Window] = {}
        self._since_prune = 0

    def reserve(self, limits: Sequence[tuple[LimitKey, RateLimitSpec]]) -> float:
        """Reserve the next start allowed by every limit; returns the seconds to wait."""
        if not limits:
            return 0.0
        now = self._clock()
        windows = []
        for key, spec in limits:
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(spec.Requests, spec.IntervalSeconds)
            windows.append(window)
        start = max(window.earliest(now) for window in windows)
        for window in windows:
            window.starts.append(start)
        self._since_prune += 1
        if self._since_prune >= _PRUNE_EVERY:
            self._prune(now)
        return start - now

    async def acquire(self, limits: Sequence[tuple[LimitKey, RateLimitSpec]]) -> float:
        """Wait until a request may start under all ``limits``; returns the wait."""
        wait = self.reserve(limits)
        if wait > 0:
            await self._sleep(wait)
        return wait

    def _prune(self, now: float) -> None:
        self._since_prune = 0
        for key in [key for key, window in self._windows.items() if window.idle(now)]:
            del self._windows[key]

    def __len__(self) -> int:
        return len(self._windows)
