"""ASGI middleware applied to every request and response."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from junction.errors import BadRequest
from junction.security.json_bodies import loads

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


class BodyLimitMiddleware:
    """Refuses request bodies over ``max_bytes`` (413) or JSON nested deeper than
    ``max_depth`` (400) before any route reads them.

    Paths under ``exempt`` (the webhook intake, which has limits of its own) pass through
    untouched. The body is read here, up to the limit, and handed on whole: routes read it
    whole anyway, and a body over the limit is never held.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_depth: int,
        exempt: str,
        larger: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth
        self.exempt = exempt
        # Paths documented with a larger limit of their own (an OpenAPI document to import).
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        limit = max(self.max_bytes, self.larger.get(str(scope["path"]), 0))
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, scope, 413, self._too_large(limit))
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message]), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(send, scope, 413, self._too_large(limit))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type.endswith(b"json") or body.lstrip()[:1] in (b"{", b"["):
            try:
                # Parsed here only to be measured; the route parses it again (a small
                # body's parse costs little, and a large one is bounded by max_bytes).
                loads(body, max_depth=self.max_depth)
            except BadRequest as exc:
                await self._refuse(send, scope, exc.status_code, exc.message)
                return
            except ValueError:
                pass  # not JSON: the route says so in its own words
        await self.app(scope, _replay([{"type": "http.request", "body": body}], receive), send)

    def _too_large(self, limit: int) -> str:
        if limit > self.max_bytes:
            return f"The body is larger than the {limit} bytes this path accepts"
        return (
            f"The body is larger than the {limit} bytes a request accepts (JUNCTION_API_MAX_BYTES)"
        )

    @staticmethod
    async def _refuse(send: Send, scope: Scope, status: int, message: str) -> None:
        response = JSONResponse({"Message": message}, status)
        await response(scope, _replay([]), send)


def _replay(messages: list[Message], then: Receive | None = None) -> Receive:
    """A ``receive`` that gives ``messages`` first, then waits on ``then`` (a disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive


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


class TrailingSlashMiddleware:
    """Serves ``/path/`` as ``/path`` when only the latter is a route (Cyclr's clients add
    slashes; a 307 to the other form would make them send the request twice, and some
    clients do not follow it with the body).

    A path that some route matches as it is (``/demo/``, a mounted directory) is left alone,
    and so is the other direction: Starlette still redirects ``/demo`` to ``/demo/``, which
    pages need for their relative links.
    """

    def __init__(self, app: ASGIApp, *, router: Router) -> None:
        self.app = app
        self.router = router

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] == "http"
            and len(path) > 1
            and path.endswith("/")
            and not self._matches(scope)
            and self._matches({**scope, "path": path[:-1]})
        ):
            scope = {**scope, "path": path[:-1]}
            raw: bytes | None = scope.get("raw_path")
            if raw is not None and raw.endswith(b"/"):
                scope["raw_path"] = raw[:-1]
        await self.app(scope, receive, send)

    def _matches(self, scope: Scope) -> bool:
        return any(route.matches(scope)[0] is not Match.NONE for route in self.router.routes)
