"""Rate limits: N requests per interval per account connector and per method."""

from __future__ import annotations

import asyncio
import time

from aiohttp import web

from junction.connectors.runtime.ratelimit import RateLimiter, limits_for
from junction.connectors.spec.models import RateLimitSpec
from tests.connectors.runtime.helpers import (
    FakeTime,
    async_test,
    call_input,
    context,
    definition,
    make_runtime,
    method_of,
    serve,
)


def limit(requests: int, seconds: float) -> RateLimitSpec:
    return RateLimitSpec(Requests=requests, IntervalSeconds=seconds)


def test_requests_are_spaced_to_the_window() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limits = [(("ac:1", "", 0), limit(2, 1.0))]
    assert [limiter.reserve(limits) for _ in range(6)] == [0, 0, 1, 1, 2, 2]
    now[0] = 10.0  # long idle: a full burst is allowed again
    assert [limiter.reserve(limits) for _ in range(3)] == [0, 0, 1]


def test_no_window_ever_holds_more_than_n() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limits = [(("k",), limit(3, 1.0))]
    starts = []
    for step in range(40):
        now[0] = step * 0.13  # callers arriving faster than the limit
        starts.append(now[0] + limiter.reserve(limits))
    assert starts == sorted(starts)
    for first in starts:
        assert sum(1 for s in starts if first <= s < first + 1.0) <= 3


def test_every_limit_a_call_falls_under_is_respected() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    connector = (("ac:1", "", 0), limit(10, 1.0))
    method = (("ac:1", "m", 0), limit(1, 0.5))
    waits = [limiter.reserve([connector, method]) for _ in range(3)]
    assert waits == [0, 0.5, 1.0]
    # Another method under the same connector limit only waits for the connector's window.
    assert limiter.reserve([connector]) == 1.0  # first come, first served


def test_limits_are_keyed_by_account_connector_and_method() -> None:
    spec = definition(
        "https://api.example.com",
        [
            {
                "MethodUniqueIdentifier": "a",
                "Endpoint": "/a",
                "RateLimits": [{"Requests": 1, "IntervalSeconds": 1}],
            },
            {"MethodUniqueIdentifier": "b", "Endpoint": "/b"},
        ],
        RateLimits=[{"Requests": 5, "IntervalSeconds": 1}],
    )
    a = limits_for(spec, method_of(spec, "a"), "ac:1")
    b = limits_for(spec, method_of(spec, "b"), "ac:1")
    other = limits_for(spec, method_of(spec, "a"), "ac:2")
    assert len(a) == 2
    assert len(b) == 1
    assert a[0][0] == b[0][0]  # the connector-wide window is shared by methods
    assert a[0][0] != other[0][0]  # ...but not by account connectors


def test_idle_windows_are_forgotten() -> None:
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    for index in range(1100):
        now[0] = index * 2.0
        limiter.reserve([((f"ac:{index}",), limit(1, 1.0))])
    assert len(limiter) < 100


@async_test
async def test_concurrent_calls_share_the_connectors_limit() -> None:
    hits: list[float] = []

    async def api(request: web.Request) -> web.Response:
        hits.append(time.monotonic())
        return web.json_response({})

    async with serve({"/x": api, "/y": api}) as base:
        spec = definition(
            base,
            [
                {"MethodUniqueIdentifier": "x", "Endpoint": "/x"},
                {"MethodUniqueIdentifier": "y", "Endpoint": "/y"},
            ],
            RateLimits=[{"Requests": 2, "IntervalSeconds": 1}],
        )
        fake = FakeTime()
        fake.advance = False  # every call asks at the same moment
        runtime = make_runtime(fake)
        try:
            calls = [
                runtime.call(spec, method_of(spec, "xy"[n % 2]), context(), call_input())
                for n in range(5)
            ]
            results = await asyncio.gather(*calls)
            # Another account connector has its own window.
            await runtime.call(spec, method_of(spec, "x"), context(key="ac:2"), call_input())
        finally:
            await runtime.close()
    assert all(r.status == 200 for r in results)
    assert sorted(fake.waits) == [1.0, 1.0, 2.0]
    assert len(hits) == 6
