"""The connector runtime's entry point: ``Runtime.call`` and ``Runtime.pages``.

One ``Runtime`` per process (it owns the pooled HTTP session and the rate-limit windows),
shared by every concurrent call. A logical request goes: auth values, request built, rate
limits waited for, sent, and then, by the answer: done, one forced OAuth refresh after a
401, a wait after a 429, a backoff after a transient failure, or a ConnectorCallError
carrying the redacted exchanges of every attempt.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from yarl import URL

from junction.connectors.runtime.auth import resolve_auth
from junction.connectors.runtime.http import HttpClient, HttpResponse, is_idempotent
from junction.connectors.runtime.mapping import MappingPlan, mapping_plan
from junction.connectors.runtime.paging import (
    FetchedPage,
    PagingPlan,
    compile_paging,
    iterate_pages,
)
from junction.connectors.runtime.plancache import IdentityCache
from junction.connectors.runtime.ratelimit import LimitKey, RateLimiter, limit_templates
from junction.connectors.runtime.redact import Redactor
from junction.connectors.runtime.request import (
    BuiltRequest,
    RequestPlan,
    build_request,
    compile_request,
)
from junction.connectors.runtime.response import content_type, joined_headers, parse_body
from junction.connectors.runtime.retry import (
    RATE_LIMITED,
    RETRIED_EVEN_IF_NOT_IDEMPOTENT,
    TRANSIENT_STATUSES,
    RetryState,
    parse_retry_after,
)
from junction.connectors.runtime.settings import RuntimeSettings
from junction.connectors.runtime.types import (
    CallInput,
    CallResult,
    ConnectionContext,
    Exchange,
    Page,
    Sleep,
)

__all__ = ["Runtime", "RuntimeSettings"]
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec, RateLimitSpec
from junction.errors import (
    ConnectorCallError,
    UpstreamHttpError,
    UpstreamRateLimited,
    UpstreamUnreachable,
)
from junction.security.address_guard import AddressGuard


@dataclass(frozen=True)
class _MethodPlan:
    """Everything about a method that does not change from call to call, compiled once."""

    request: RequestPlan
    paging: PagingPlan
    mapping: MappingPlan
    first_page: Mapping[str, str]
    limits: tuple[tuple[LimitKey, RateLimitSpec], ...]  # without the account connector key


def _compile_method(definition: ConnectorDefinition, method: MethodSpec) -> _MethodPlan:
    paging = compile_paging(definition, method)
    return _MethodPlan(
        request=compile_request(definition, method),
        paging=paging,
        mapping=mapping_plan(method),
        first_page=paging.first_variables(),
        limits=limit_templates(definition, method),
    )


_method_plans: IdentityCache[_MethodPlan] = IdentityCache(_compile_method)


@dataclass
class _Outcome:
    response: HttpResponse
    request: BuiltRequest
    exchanges: list[Exchange]


@lru_cache(maxsize=1024)
def _redactor(
    secrets: frozenset[str], headers: frozenset[str], query: frozenset[str], limit: int
) -> Redactor:
    # Compiling the secrets' pattern is the costly part; an account connector's calls
    # repeat the same secrets, so they share one.
    return Redactor(
        secrets=secrets, sensitive_headers=headers, sensitive_query=query, body_limit=limit
    )


class Runtime:
    """Calls connector methods. Use one per process and ``await close()`` at shutdown."""

    def __init__(
        self,
        settings: RuntimeSettings | None = None,
        *,
        http: HttpClient | None = None,
        sleep: Sleep | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        random_fraction: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings or RuntimeSettings()
        s = self.settings
        self.http = http or HttpClient(
            AddressGuard(allow_loopback=s.allow_loopback, allow_private=s.allow_private),
            max_response_bytes=s.max_response_bytes,
            max_redirects=s.max_redirects,
            connection_limit=s.connection_limit,
            connection_limit_per_host=s.connection_limit_per_host,
        )
        self._sleep: Sleep = sleep or asyncio.sleep
        self._wall_clock = wall_clock or (lambda: datetime.now(UTC))
        self._random = random_fraction or random.random
        self.limiter = RateLimiter(clock=clock or time.monotonic, sleep=self._sleep)

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def call(
        self,
        definition: ConnectorDefinition,
        method: MethodSpec,
        context: ConnectionContext,
        call_input: CallInput,
    ) -> CallResult:
        """One logical call (the first page of a paged method; use ``pages`` for all)."""
        plan = _method_plans.get(definition, method)
        outcome = await self._perform(plan, context, call_input, plan.first_page, None)
        body = await parse_body(
            outcome.response, method.BodyFormat, self.settings.json_thread_bytes
        )
        return CallResult(
            status=outcome.response.status,
            headers=joined_headers(outcome.response.headers),
            body=body,
            records=plan.mapping.records(body),
            exchanges=outcome.exchanges,
        )

    def pages(
        self,
        definition: ConnectorDefinition,
        method: MethodSpec,
        context: ConnectionContext,
        call_input: CallInput,
    ) -> AsyncIterator[Page]:
        """Every page of a paged method, one at a time (one page when paging is off)."""

        plan = _method_plans.get(definition, method)

        async def fetch(variables: Mapping[str, str], next_url: URL | None) -> FetchedPage:
            outcome = await self._perform(plan, context, call_input, variables, next_url)
            return FetchedPage(
                body=await parse_body(
                    outcome.response, method.BodyFormat, self.settings.json_thread_bytes
                ),
                exchange=outcome.exchanges[-1],
                url=outcome.response.url,
                request_url=outcome.request.url,
            )

        return iterate_pages(plan.paging, plan.mapping, fetch)

    async def _perform(
        self,
        method_plan: _MethodPlan,
        context: ConnectionContext,
        call_input: CallInput,
        variables: Mapping[str, str],
        next_url: URL | None,
    ) -> _Outcome:
        plan = method_plan.request
        limits = [((context.key, *key), spec) for key, spec in method_plan.limits]
        state = RetryState(self.settings.retry)
        exchanges: list[Exchange] = []
        built: BuiltRequest | None = None
        refreshed = False
        attempt = 0
        try:
            while True:
                attempt += 1
                if built is None:
                    auth = await resolve_auth(context.credentials, force_refresh=refreshed)
                    built = build_request(
                        plan, context, call_input, auth, page=variables, next_url=next_url
                    )
                    redactor = _redactor(
                        built.secrets | context.sensitive_values,
                        built.sensitive_headers,
                        built.sensitive_query,
                        self.settings.exchange_body_limit,
                    )
                await self.limiter.acquire(limits)
                started = time.perf_counter()
                try:
                    response = await self.http.send(built)
                except ConnectorCallError as exc:
                    exchanges.append(
                        redactor.exchange(
                            method=built.method,
                            url=built.url,
                            request_headers=built.headers,
                            request_body=built.body_log,
                            duration_ms=(time.perf_counter() - started) * 1000,
                            attempt=attempt,
                            error=exc.message,
                        )
                    )
                    retryable = isinstance(exc, UpstreamUnreachable) and (
                        not exc.request_may_have_been_sent or is_idempotent(built.method)
                    )
                    wait = state.transient_wait(self._random) if retryable else None
                    if wait is None:
                        raise
                    await self._sleep(wait)
                    continue
                charset = content_type(response.headers)[1]
                exchanges.append(
                    redactor.exchange(
                        method=built.method,
                        url=built.url,
                        request_headers=built.headers,
                        request_body=built.body_log,
                        status=response.status,
                        response_headers=response.headers,
                        response_body=response.body,
                        response_charset=charset,
                        duration_ms=(time.perf_counter() - started) * 1000,
                        attempt=attempt,
                    )
                )
                status = response.status
                if status == 401 and auth.refreshable and not refreshed:
                    refreshed, built = True, None  # one forced refresh, one more try
                    continue
                if status == RATE_LIMITED:
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), self._wall_clock()
                    )
                    wait, may_wait = state.rate_limit_wait(retry_after)
                    if not may_wait:
                        raise UpstreamRateLimited(wait)
                    await self._sleep(wait)
                    continue
                if status in TRANSIENT_STATUSES and (
                    status in RETRIED_EVEN_IF_NOT_IDEMPOTENT or is_idempotent(built.method)
                ):
                    wait = state.transient_wait(self._random)
                    if wait is not None:
                        await self._sleep(wait)
                        continue
                if status >= 400:
                    raise UpstreamHttpError(
                        status, redactor.body_bytes(response.body, charset) or "", response.reason
                    )
                return _Outcome(response, built, exchanges)
        except ConnectorCallError as exc:
            exc.exchanges = exchanges
            raise
