"""The runtime's HTTP client: one pooled aiohttp session per process, behind the guard.

One ``ClientSession`` (one connection pool, one DNS cache) serves every connector call in
the process; creating sessions per call costs a TLS handshake per call. It is created on
first use inside the running event loop, as aiohttp requires, and closed by ``close()``.

Redirects are followed here rather than by aiohttp so that every hop's URL passes the
address guard (aiohttp does not ask the resolver about IP literals) and so that credentials
are not carried to another origin.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver
from multidict import CIMultiDictProxy
from yarl import URL

from junction.connectors.runtime.request import BuiltRequest
from junction.errors import (
    CallInputError,
    ConnectorCallError,
    ResponseTooLarge,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from junction.metrics import Metrics
from junction.security.address_guard import AddressGuard, GuardedResolver

DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024
USER_AGENT = "Junction (connector runtime)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


@dataclass(frozen=True)
class HttpResponse:
    status: int
    reason: str
    headers: CIMultiDictProxy[str]
    body: bytes
    url: URL  # after redirects


def is_idempotent(method: str) -> bool:
    return method.upper() in _IDEMPOTENT


class HttpClient:
    """Sends built requests; owns the process's pooled session."""

    def __init__(
        self,
        guard: AddressGuard | None = None,
        *,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_redirects: int = 10,
        connection_limit: int = 100,
        connection_limit_per_host: int = 0,
        dns_cache_seconds: int = 10,
        user_agent: str = USER_AGENT,
        resolver: AbstractResolver | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.guard = guard or AddressGuard()
        self.metrics = metrics or Metrics()
        self.max_response_bytes = max_response_bytes
        self.max_redirects = max_redirects
        self._connection_limit = connection_limit
        self._connection_limit_per_host = connection_limit_per_host
        self._dns_cache_seconds = dns_cache_seconds
        self._user_agent = user_agent
        self._inner_resolver = resolver  # tests give a fake DNS here
        self._session: aiohttp.ClientSession | None = None
        self._resolver: GuardedResolver | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def _session_here(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._closed:
            raise RuntimeError("The HTTP client is closed")
        if self._session is None:
            self._resolver = GuardedResolver(self.guard, self._inner_resolver)
            connector = aiohttp.TCPConnector(
                resolver=self._resolver,
                limit=self._connection_limit,
                limit_per_host=self._connection_limit_per_host,
                ttl_dns_cache=self._dns_cache_seconds,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                # Every tenant's calls share this session: a cookie set for one account
                # connector must never be sent for another.
                cookie_jar=aiohttp.DummyCookieJar(),
                # Proxies from the environment would make the guard check the proxy, not
                # the API; the per-call deadline (asyncio.timeout) is the only timeout.
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                headers={"User-Agent": self._user_agent},
            )
            # aiohttp resends an idempotent request once, on its own, when a connection
            # breaks; on top of the runtime's RetryPolicy that doubled every attempt (8
            # requests for a documented 4). Retries are the policy's alone. aiohttp offers
            # no public switch, so its flag is set directly; the attempt-counting tests
            # notice if it stops working.
            self._session._retry_connection = False
            self._loop = loop
        elif self._loop is not loop:
            raise RuntimeError(
                "This HTTP client was first used in another event loop; make one per loop"
            )
        return self._session

    async def close(self) -> None:
        self._closed = True
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._resolver is not None:
            await self._resolver.close()
            self._resolver = None

    async def send(
        self, request: BuiltRequest, *, max_response_bytes: int | None = None
    ) -> HttpResponse:
        """One request (redirects followed), its whole body read, within its timeout."""
        session = self._session_here()
        limit = max_response_bytes or self.max_response_bytes
        host = request.url.host or "?"
        status: int | None = None  # no answer until one comes
        try:
            async with asyncio.timeout(request.timeout):
                response = await self._follow(session, request, limit)
                status = response.status
                return response
        except TimeoutError:
            raise UpstreamTimeout(
                f"{host} gave no complete answer within {request.timeout:g} seconds"
            ) from None
        except (aiohttp.ClientSSLError, aiohttp.ClientConnectorCertificateError) as exc:
            # Not transient: retrying a certificate the API does not have changes nothing.
            raise ConnectorCallError(f"The TLS connection to {host} failed: {exc}") from None
        except aiohttp.ClientConnectorError as exc:
            reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
            raise UpstreamUnreachable(f"Cannot connect to {host}: {reason}") from None
        except aiohttp.InvalidURL as exc:
            raise CallInputError(f"The request URL is not valid: {exc}") from None
        except aiohttp.ClientResponseError as exc:
            raise ConnectorCallError(
                f"{host} sent an answer that is not valid HTTP: {exc.message}"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            # The connection broke after the request went out (or while reading the answer).
            raise UpstreamUnreachable(
                f"The connection to {host} failed: {exc or type(exc).__name__}",
                request_may_have_been_sent=True,
            ) from None
        finally:
            self.metrics.outbound_answered(status)

    async def _follow(
        self, session: aiohttp.ClientSession, request: BuiltRequest, limit: int
    ) -> HttpResponse:
        method, url, headers, body = (
            request.method,
            request.url,
            dict(request.headers),
            request.body,
        )
        self.guard.check_literal(url)  # redirect targets are checked as they come
        origin = url.origin()
        for _ in range(self.max_redirects + 1):
            async with session.request(
                method, url, headers=headers, data=body, allow_redirects=False
            ) as response:
                location = response.headers.get("Location")
                if response.status in _REDIRECTS and location:
                    try:
                        target = response.url.join(URL(location))
                    except ValueError:
                        raise ConnectorCallError(
                            f"{url.host} redirected to an invalid URL"
                        ) from None
                    self.guard.check_literal(target)  # before anything else reads it
                    if response.status == 303 or (
                        response.status in (301, 302) and method not in ("GET", "HEAD")
                    ):
                        method, body = "GET", None
                        headers.pop("Content-Type", None)
                    if target.origin() != origin:
                        # Credentials were given for the API's origin, not for wherever it
                        # points us (as browsers and aiohttp itself do).
                        dropped = _CREDENTIAL_HEADERS | request.sensitive_headers
                        headers = {k: v for k, v in headers.items() if k.lower() not in dropped}
                        origin = target.origin()
                    url = target
                    continue
                content = await _read_limited(response, limit)
                return HttpResponse(
                    status=response.status,
                    reason=response.reason or "",
                    headers=response.headers,
                    body=content,
                    url=response.url,
                )
        raise ConnectorCallError(
            f"{request.url.host} redirected more than {self.max_redirects} times"
        )


async def _read_limited(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The whole body, or ResponseTooLarge as soon as it passes ``limit`` (never a part)."""
    too_large = ResponseTooLarge(
        f"The answer from {response.url.host} is larger than the limit of {limit:,} bytes"
    )
    length = response.content_length
    if length is not None and length > limit:
        raise too_large
    if length is not None and "Content-Encoding" not in response.headers:
        return await response.read()  # the fast path: framed by Content-Length, no inflation
    # Chunked or compressed: count the (decompressed) bytes as they come.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
