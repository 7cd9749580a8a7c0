"""Retries, 429 waits, timeouts, unreachable hosts and response size limits."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from aiohttp import web

from junction.connectors.runtime import Runtime, RuntimeSettings
from junction.connectors.runtime.retry import RetryPolicy, RetryState, parse_retry_after
from junction.errors import (
    ConnectorCallError,
    ResponseTooLarge,
    UpstreamHttpError,
    UpstreamRateLimited,
    UpstreamTimeout,
    UpstreamUnreachable,
)
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


class Script:
    """A handler answering a scripted series of (status, headers) and then 200s."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.count = 0

    async def __call__(self, request: web.Request) -> web.Response:
        self.count += 1
        if self.answers:
            status, headers = self.answers.pop(0)
            return web.json_response({"error": status}, status=status, headers=headers)
        return web.json_response({"ok": True, "attempt": self.count})


async def run(
    handler: Any, runtime: Runtime, *, verb: str = "GET", seconds: float | None = None
) -> Any:
    async with serve({"/x": handler}) as base:
        method: dict[str, Any] = {"Endpoint": "/x", "HttpMethod": verb}
        if seconds:
            method["TimeoutSeconds"] = seconds
        spec = definition(base, [method])
        try:
            return await runtime.call(spec, method_of(spec), context(), call_input())
        finally:
            await runtime.close()


@async_test
async def test_503s_are_retried_with_backoff_then_succeed() -> None:
    fake = FakeTime()
    script = Script((503, {}), (503, {}))
    result = await run(script, make_runtime(fake))
    assert result.body == {"ok": True, "attempt": 3}
    assert fake.waits == [0.5, 1.0]  # full jitter at its ceiling (random() == 1.0 here)
    assert [(e.attempt, e.status) for e in result.exchanges] == [(1, 503), (2, 503), (3, 200)]


@async_test
async def test_502_and_504_are_retried_too() -> None:
    fake = FakeTime()
    result = await run(Script((502, {}), (504, {})), make_runtime(fake))
    assert result.status == 200
    assert len(fake.waits) == 2


@async_test
async def test_retries_are_bounded() -> None:
    fake = FakeTime()
    script = Script(*[(503, {})] * 10)
    with pytest.raises(UpstreamHttpError, match="HTTP 503") as raised:
        await run(script, make_runtime(fake))
    assert script.count == 4  # the first try and 3 retries
    assert fake.waits == [0.5, 1.0, 2.0]
    assert raised.value.upstream_status == 503
    assert len(raised.value.exchanges) == 4


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=8.0)
    assert [policy.backoff(n, lambda: 1.0) for n in range(7)] == [0.5, 1, 2, 4, 8, 8, 8]
    assert policy.backoff(3, lambda: 0.25) == 1.0
    state = RetryState(RetryPolicy(max_retries=2))
    assert [state.transient_wait(lambda: 0.0) for _ in range(3)] == [0.0, 0.0, None]


@async_test
async def test_500_is_not_retried() -> None:
    fake = FakeTime()
    script = Script((500, {}))
    with pytest.raises(UpstreamHttpError) as raised:
        await run(script, make_runtime(fake))
    assert script.count == 1
    assert fake.waits == []
    error = raised.value
    assert error.upstream_status == 500
    assert error.status_code == 502
    assert "HTTP 500 Internal Server Error" in error.message
    assert error.body_text == '{"error": 500}'


@async_test
async def test_4xx_is_final() -> None:
    script = Script((404, {}))
    with pytest.raises(UpstreamHttpError, match="HTTP 404 Not Found"):
        await run(script, make_runtime(FakeTime()))
    assert script.count == 1


@async_test
async def test_429_waits_retry_after_seconds() -> None:
    fake = FakeTime()
    result = await run(Script((429, {"Retry-After": "7"})), make_runtime(fake))
    assert result.status == 200
    assert fake.waits == [7.0]


@async_test
async def test_429_waits_until_an_http_date() -> None:
    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    fake = FakeTime()
    later = format_datetime(now + timedelta(seconds=30), usegmt=True)
    runtime = Runtime(
        RuntimeSettings(allow_loopback=True), sleep=fake.sleep, wall_clock=lambda: now
    )
    result = await run(Script((429, {"Retry-After": later})), runtime)
    assert result.status == 200
    assert fake.waits == [30.0]


@async_test
async def test_429_without_retry_after_waits_the_default() -> None:
    fake = FakeTime()
    result = await run(Script((429, {}), (429, {"Retry-After": "soon"})), make_runtime(fake))
    assert result.status == 200
    assert fake.waits == [60.0, 60.0]


@async_test
async def test_429_with_a_long_wait_is_handed_back_to_the_caller() -> None:
    fake = FakeTime()
    script = Script((429, {"Retry-After": "3600"}))
    with pytest.raises(UpstreamRateLimited, match="retry after 3600 seconds") as raised:
        await run(script, make_runtime(fake))
    assert raised.value.retry_after == 3600
    assert raised.value.status_code == 429
    assert fake.waits == []
    assert script.count == 1
    assert raised.value.exchanges[0].status == 429


@async_test
async def test_429_waits_add_up_to_the_maximum() -> None:
    fake = FakeTime()
    script = Script(*[(429, {"Retry-After": "50"})] * 5)
    with pytest.raises(UpstreamRateLimited):
        await run(script, make_runtime(fake, retry=RetryPolicy(max_wait_seconds=120)))
    assert fake.waits == [50.0, 50.0]  # a third 50 s would pass 120 s


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 3 ", 3.0),
        ("1.5", 1.5),
        ("-5", 0.0),
        ("", None),
        (None, None),
        ("later", None),
        ("nan", None),
        ("Wed, 04 Mar 2026 05:07:07 GMT", 60.0),
        ("Wed, 04 Mar 2026 05:00:00 GMT", 0.0),  # in the past: no wait
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


@async_test
async def test_a_slow_answer_times_out() -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.Response(text="late")

    with pytest.raises(UpstreamTimeout, match=r"within 0\.2 seconds") as raised:
        await run(slow, make_runtime(FakeTime()), seconds=0.2)
    assert raised.value.status_code == 504
    exchange = raised.value.exchanges[0]
    assert exchange.error is not None
    assert exchange.status is None
    assert 150 < exchange.duration_ms < 2000  # the deadline, not the handler's 5 s


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@async_test
async def test_unreachable_hosts_are_retried_then_reported() -> None:
    fake = FakeTime()
    spec = definition(f"http://127.0.0.1:{_closed_port()}", [{"Endpoint": "/x"}])
    runtime = make_runtime(fake)
    try:
        with pytest.raises(UpstreamUnreachable, match=r"Cannot connect to 127\.0\.0\.1") as raised:
            await runtime.call(spec, method_of(spec), context(), call_input())
    finally:
        await runtime.close()
    assert fake.waits == [0.5, 1.0, 2.0]
    assert [e.error is not None for e in raised.value.exchanges] == [True] * 4


async def _hang_up(request: web.Request) -> web.Response:
    assert request.transport is not None
    request.transport.close()  # the request arrived; no answer comes back
    await asyncio.sleep(0.05)
    return web.Response(text="never")


@async_test
async def test_a_dropped_connection_is_retried_only_for_idempotent_calls() -> None:
    fake = FakeTime()
    with pytest.raises(UpstreamUnreachable, match=r"connection to 127\.0\.0\.1 failed"):
        await run(_hang_up, make_runtime(fake), verb="POST")
    assert fake.waits == []  # a POST may have been acted on
    fake = FakeTime()
    with pytest.raises(UpstreamUnreachable):
        await run(_hang_up, make_runtime(fake), verb="GET")
    assert len(fake.waits) == 3


@async_test
async def test_a_response_over_the_limit_fails_clearly() -> None:
    async def big(request: web.Request) -> web.Response:
        return web.Response(body=b"x" * 5000)

    with pytest.raises(ResponseTooLarge, match="larger than the limit of 1,000 bytes"):
        await run(big, make_runtime(FakeTime(), max_response_bytes=1000))


@async_test
async def test_a_streamed_response_over_the_limit_fails_clearly() -> None:
    async def streamed(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(10):
            await response.write(b"y" * 500)
        await response.write_eof()
        return response

    with pytest.raises(ResponseTooLarge):
        await run(streamed, make_runtime(FakeTime(), max_response_bytes=1000))
    # At the limit exactly is fine.
    ok = await run(streamed, make_runtime(FakeTime(), max_response_bytes=5000))
    assert ok.body == "y" * 5000


@async_test
async def test_a_compressed_response_is_measured_after_inflating() -> None:
    async def compressed(request: web.Request) -> web.Response:
        response = web.Response(body=b"z" * 100_000)
        response.enable_compression()
        return response

    with pytest.raises(ResponseTooLarge):
        await run(compressed, make_runtime(FakeTime(), max_response_bytes=50_000))


@async_test
async def test_a_tls_failure_is_not_retried() -> None:
    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="plain http")

    fake = FakeTime()
    async with serve({"/x": ok}) as base:
        spec = definition(base.replace("http://", "https://"), [{"Endpoint": "/x"}])
        runtime = make_runtime(fake)
        try:
            with pytest.raises(ConnectorCallError, match=r"TLS connection to 127\.0\.0\.1 failed"):
                await runtime.call(spec, method_of(spec), context(), call_input())
        finally:
            await runtime.close()
    assert fake.waits == []


class Dropper:
    """A raw TCP server that reads each request's head and closes the connection unanswered.

    It counts the requests that reached it, whoever sent them: Junction's retries and any
    retry the HTTP library might make on its own."""

    def __init__(self) -> None:
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            self.requests += 1
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        writer.close()

    async def __aenter__(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


@pytest.mark.parametrize(
    ("verb", "expected"),
    [
        pytest.param("GET", 4, id="get-one-try-and-three-repeats"),
        pytest.param("POST", 1, id="post-never-repeated"),
    ],
)
@async_test
async def test_a_dropped_connection_reaches_the_api_at_most_the_documented_times(
    verb: str, expected: int
) -> None:
    dropper = Dropper()
    runtime = make_runtime(FakeTime())
    try:
        async with dropper as base:
            spec = definition(base, [{"Endpoint": "/x", "HttpMethod": verb}])
            with pytest.raises(UpstreamUnreachable) as raised:
                await runtime.call(spec, method_of(spec), context(), call_input())
    finally:
        await runtime.close()
    assert dropper.requests == expected
    assert len(raised.value.exchanges) == expected
