"""Shared pieces of the runtime tests: loopback API servers, definitions, a fake clock.

Tests are plain functions running their scenario with ``asyncio.run`` (through
``async_test``), so each has its own event loop, server and runtime.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Mapping
from contextlib import asynccontextmanager
from typing import Any, ParamSpec

from aiohttp import web

from junction.connectors.runtime import (
    CallInput,
    ConnectionContext,
    Credentials,
    Runtime,
    RuntimeSettings,
)
from junction.connectors.runtime.retry import RetryPolicy
from junction.connectors.spec.models import AuthenticationSpec, ConnectorDefinition, MethodSpec
from junction.connectors.spec.validate import parse_definition

P = ParamSpec("P")


def async_test(fn: Callable[P, Coroutine[Any, Any, None]]) -> Callable[P, None]:
    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> None:
        asyncio.run(fn(*args, **kwargs))

    return run


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve(routes: Mapping[str, Handler] | web.Application) -> AsyncIterator[str]:
    """An aiohttp server on 127.0.0.1 (random port); yields its base URL.

    ``routes`` maps "METHOD /path" (or "/path" for any method) to handlers.
    """
    if isinstance(routes, web.Application):
        app = routes
    else:
        app = web.Application()
        for key, handler in routes.items():
            verb, _, path = key.rpartition(" ")
            app.router.add_route(verb or "*", path, _coroutine(handler))
    # Handlers are cancelled when the client goes away (a timed-out call), and shutdown
    # does not wait long for them, so slow handlers do not slow the tests.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


def _coroutine(handler: Handler) -> Handler:
    # aiohttp wants coroutine functions; test handlers may be objects with async __call__.
    async def handle(request: web.Request) -> web.StreamResponse:
        return await handler(request)

    return handle


class FakeTime:
    """A clock and sleep for the runtime: sleeping records the wait and moves the clock."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self.advance = True  # False: sleeping only records (concurrent callers see one time)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.advance:
            self.now += seconds
        await asyncio.sleep(0)


def make_runtime(
    fake: FakeTime | None = None, *, retry: RetryPolicy | None = None, **settings: Any
) -> Runtime:
    settings.setdefault("allow_loopback", True)
    return Runtime(
        RuntimeSettings(retry=retry or RetryPolicy(), **settings),
        sleep=fake.sleep if fake else None,
        clock=fake.clock if fake else None,
        random_fraction=(lambda: 1.0) if fake else None,  # the backoff ceilings, exactly
    )


def definition(base_url: str, methods: list[dict[str, Any]], **extra: Any) -> ConnectorDefinition:
    """A validated definition (validation is what real definitions go through)."""
    document: dict[str, Any] = {"Name": "Test API", "Version": "1", "BaseUrl": base_url}
    document.update(extra)
    document["Methods"] = [
        {"Name": m.get("MethodUniqueIdentifier", "m"), "MethodUniqueIdentifier": "m", **m}
        for m in methods
    ]
    return parse_definition(document)


def method_of(spec: ConnectorDefinition, identifier: str = "m") -> MethodSpec:
    return next(m for m in spec.Methods if m.MethodUniqueIdentifier == identifier)


def context(
    *,
    properties: dict[str, str] | None = None,
    auth: AuthenticationSpec | None = None,
    key: str = "ac:1",
    sensitive: frozenset[str] = frozenset(),
    **credentials: Any,
) -> ConnectionContext:
    return ConnectionContext(
        key=key,
        properties=properties or {},
        credentials=Credentials(auth=auth, **credentials),
        sensitive_values=sensitive,
    )


def call_input(
    parameters: dict[str, str] | None = None, fields: dict[str, Any] | None = None, **extra: Any
) -> CallInput:
    return CallInput(parameters=parameters or {}, fields=fields or {}, **extra)


async def echo(request: web.Request) -> web.Response:
    """Answers with what it received, as JSON."""
    body = await request.read()
    return web.json_response(
        {
            "method": request.method,
            "path": request.path,
            "raw_path": request.raw_path,
            "query": [[k, v] for k, v in request.query.items()],
            "headers": dict(request.headers),
            "body": body.decode() if body else None,
        }
    )


class TokenSource:
    """An OAuth 2.0 access-token source that hands out token-1, token-2, ..."""

    def __init__(self) -> None:
        self.calls: list[bool] = []
        self.current = "token-1"

    async def __call__(self, *, rejected: str | None = None) -> str:
        self.calls.append(rejected is not None)  # whether a refresh was asked for
        if rejected is not None:
            assert rejected == self.current, "the caller names the token it carried"
            self.current = f"token-{int(self.current.split('-')[1]) + 1}"
        return self.current
