"""ASGI middleware applied to every response."""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

NOSNIFF = "nosniff"


class SecurityHeadersMiddleware:
    """Adds ``X-Content-Type-Options: nosniff`` to every HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"x-content-type-options"
                ]
                headers.append((b"x-content-type-options", NOSNIFF.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class ForwardedHeadersMiddleware:
    """Believes ``X-Forwarded-For`` and ``X-Forwarded-Proto`` from the listed proxies only.

    It lives in the application rather than in ``junction serve``'s Uvicorn options so that
    the client address (which the token throttle counts by) is decided the same way however
    the application is served. From any other peer the headers are ignored: a caller cannot
    pick the address it is counted under.
    """

    def __init__(self, app: ASGIApp, trusted: list[str]) -> None:
        # Uvicorn's middleware takes the right-most untrusted hop of the header, accepts
        # networks, and "*"; an empty list trusts no peer.
        # (Uvicorn and Starlette spell the ASGI callable's types differently.)
        inner: Any = ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type]
        self._inner: ASGIApp = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._inner(scope, receive, send)
