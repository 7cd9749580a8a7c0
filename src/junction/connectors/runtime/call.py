"""The connector runtime's entry point: ``Runtime.call`` and ``Runtime.pages``.

One ``Runtime`` per process (it owns the pooled HTTP session and the rate-limit windows),
shared by every concurrent call. A logical request goes: auth values, request built, rate
limits waited for, sent, and then, by the answer: done, one forced OAuth refresh after a
401, a wait after a 429, a backoff after a transient failure, or a ConnectorCallError
carrying the redacted exchanges of every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from yarl import URL

from junction.connectors.runtime import scripted
from junction.connectors.runtime.auth import AuthState, resolve_auth
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
    script_values,
)
from junction.connectors.runtime.response import content_type, joined_headers, parse_body
from junction.connectors.runtime.retry import (
    RATE_LIMITED,
    RETRIED_EVEN_IF_NOT_IDEMPOTENT,
    TRANSIENT_STATUSES,
    RetryState,
    parse_retry_after,
)
from junction.connectors.runtime.script_http import script_http_request
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
    ScriptFailed,
    ScriptStopped,
    ScriptWarning,
    UpstreamHttpError,
    UpstreamRateLimited,
    UpstreamUnreachable,
)

# A module import: the scripting package imports the runtime's date helpers in turn.
from junction.metrics import Metrics
from junction.scripting import events
from junction.scripting.host import Host
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


@dataclass
class _Scripted:
    """One logical request's script state: what its handlers see of the request."""

    scripts: events.Scripts
    request: dict[str, Any] | None = None  # method_endpoint, method_request...
    parameters: dict[str, str] | None = None  # script_parameters
    url: URL | None = None  # the request's URL
    token: str | None = None  # the OAuth 2.0 token the request last carried


@dataclass
class _Exchanged:
    status: int
    headers: dict[str, str]
    body: Any  # as the after_action handlers left it
    raw: Any  # as the API sent it
    exchanges: list[Exchange]
    url: URL
    request_url: URL
    state: _Scripted | None


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
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings or RuntimeSettings()
        s = self.settings
        self.http = http or HttpClient(
            AddressGuard(allow_loopback=s.allow_loopback, allow_private=s.allow_private),
            max_response_bytes=s.max_response_bytes,
            max_redirects=s.max_redirects,
            connection_limit=s.connection_limit,
            connection_limit_per_host=s.connection_limit_per_host,
            metrics=metrics,
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

    @staticmethod
    def scripts_of(
        definition: ConnectorDefinition, method: MethodSpec, call_input: CallInput
    ) -> events.Scripts | None:
        step = call_input.script.step_script if call_input.script is not None else None
        if not (definition.Script or method.Script or step):
            return None
        return events.Scripts(definition.Script, method.Script, step)

    def concludes(
        self, definition: ConnectorDefinition, method: MethodSpec, call_input: CallInput
    ) -> bool:
        """Whether handlers run once all pages are in (after_action_paging, action_condition):
        a caller of ``pages`` then keeps the pages' bodies and calls ``conclude``."""
        scripts = self.scripts_of(definition, method, call_input)
        return scripts is not None and (
            scripts.handles("after_action_paging") or scripts.handles("action_condition")
        )

    async def call(
        self,
        definition: ConnectorDefinition,
        method: MethodSpec,
        context: ConnectionContext,
        call_input: CallInput,
    ) -> CallResult:
        """One logical call (the first page of a paged method; use ``pages`` for all)."""
        plan = _method_plans.get(definition, method)
        scripts = self.scripts_of(definition, method, call_input)
        done = await self._exchange(
            plan, method, context, call_input, scripts, plan.first_page, None
        )
        body, branch = done.body, None
        if done.state is not None:
            body, branch = await self._conclude(done.state, plan, call_input, [body])
        return CallResult(
            status=done.status,
            headers=done.headers,
            body=body,
            records=plan.mapping.records(body),
            exchanges=done.exchanges,
            branch=branch,
        )

    async def conclude(
        self,
        definition: ConnectorDefinition,
        method: MethodSpec,
        call_input: CallInput,
        bodies: list[Any],
    ) -> tuple[Any, list[dict[str, Any]], bool | None]:
        """(body, records, branch) once every page is in: after_action_paging sees the
        pages' answers as one, then action_condition decides the exit."""
        plan = _method_plans.get(definition, method)
        scripts = self.scripts_of(definition, method, call_input)
        if scripts is None:
            body = scripted.combined(bodies, plan.mapping) if bodies else None
            return body, plan.mapping.records(body), None
        state = _Scripted(scripts)
        if call_input.script is not None:
            state.request = call_input.script.last_request
            state.parameters = call_input.script.last_parameters
        body, branch = await self._conclude(state, plan, call_input, bodies)
        return body, plan.mapping.records(body), branch

    async def _conclude(
        self, state: _Scripted, plan: _MethodPlan, call_input: CallInput, bodies: list[Any]
    ) -> tuple[Any, bool | None]:
        scripts = state.scripts
        body = scripted.combined(bodies, plan.mapping) if bodies else None
        if scripts.handles("after_action_paging"):
            values = self._globals(state, call_input) | {
                "method_response": body,
                "next_last_successful_run_date": None,
            }
            fired = await self._fire(
                "after_action_paging",
                scripts,
                values,
                ("method_response", "next_last_successful_run_date", "action_data"),
                call_input,
            )
            if not fired.proceed:
                raise ScriptFailed("The after_action_paging handler answered false")
            body = fired.values["method_response"]
            next_date = fired.values["next_last_successful_run_date"]
            if next_date is not None and call_input.script is not None:
                call_input.script.next_last_successful_run_date = str(next_date)
        branch = None
        if scripts.handles("action_condition"):
            values = self._globals(state, call_input) | {"method_response": body}
            fired = await self._fire(
                "action_condition", scripts, values, ("action_data",), call_input
            )
            branch = fired.proceed
        return body, branch

    async def fire_event(
        self,
        event: str,
        definition: ConnectorDefinition,
        method: MethodSpec,
        call_input: CallInput,
        values: dict[str, Any],
        readback: tuple[str, ...],
    ) -> tuple[bool, dict[str, Any]]:
        """Fire an event outside a request (after_webhook): (proceed, the globals read back)."""
        scripts = self.scripts_of(definition, method, call_input)
        if scripts is None or not scripts.handles(event):
            return True, {name: values.get(name) for name in readback}
        values = {**scripted.common(call_input, {}), **values}
        fired = await self._fire(event, scripts, values, readback, call_input)
        return fired.proceed, fired.values

    def _globals(self, state: _Scripted, call_input: CallInput) -> dict[str, Any]:
        return {**scripted.common(call_input, state.parameters or {}), **(state.request or {})}

    async def _fire(
        self,
        event: str,
        scripts: events.Scripts,
        values: dict[str, Any],
        readback: tuple[str, ...],
        call_input: CallInput,
    ) -> Any:
        env = call_input.script
        host = Host(
            loop=asyncio.get_running_loop(),
            http=self.script_request,
            storage=env.storage if env is not None else None,
            seconds=self.settings.script_limits.seconds,
        )
        try:
            fired = await events.fire(
                event, scripts, values, readback, self.settings.script_limits, host
            )
        except events.HandlerFailed as exc:
            raise ScriptFailed(str(exc), exc.thrown) from None
        scripted.keep(call_input, fired.values)
        return fired

    async def script_request(self, request: dict[str, Any]) -> dict[str, Any]:
        """``http_request`` from a script: sent through the address guard, no retries."""
        return await script_http_request(self.http, request, self.settings)

    async def _exchange(
        self,
        plan: _MethodPlan,
        method: MethodSpec,
        context: ConnectionContext,
        call_input: CallInput,
        scripts: events.Scripts | None,
        variables: Mapping[str, str],
        next_url: URL | None,
    ) -> _Exchanged:
        """One logical request with its before_action, after_action and after_error
        handlers; a handler's AuthRefreshException refreshes the token and tries once more."""
        state = _Scripted(scripts) if scripts is not None else None
        refreshed = False  # by a handler's AuthRefreshException, once at most
        rejected: str | None = None
        while True:
            try:
                outcome = await self._perform(
                    plan, context, call_input, variables, next_url, state, rejected
                )
                body = await parse_body(
                    outcome.response, method.BodyFormat, self.settings.json_thread_bytes
                )
                headers = joined_headers(outcome.response.headers)
                shown = body
                if state is not None and state.scripts.handles("after_action"):
                    response = outcome.response
                    values = self._globals(state, call_input) | {
                        "method_response": body,
                        "method_response_headers": headers,
                        "statusCode": response.status,
                        "reasonPhrase": response.reason,
                    }
                    fired = await self._fire(
                        "after_action",
                        state.scripts,
                        values,
                        ("method_response", "action_data"),
                        call_input,
                    )
                    if not fired.proceed:
                        raise ScriptFailed("The after_action handler answered false")
                    shown = fired.values["method_response"]
                return _Exchanged(
                    status=outcome.response.status,
                    headers=headers,
                    body=shown,
                    raw=body,
                    exchanges=outcome.exchanges,
                    url=outcome.response.url,
                    request_url=outcome.request.url,
                    state=state,
                )
            except UpstreamHttpError as exc:
                if state is None or not state.scripts.handles("after_error"):
                    raise
                try:
                    return await self._after_error(state, call_input, exc)
                except ScriptFailed as failed:
                    if failed.thrown != "AuthRefreshException" or refreshed:
                        failed.exchanges = exc.exchanges
                        raise
                refreshed, rejected = True, state.token
            except ScriptFailed as exc:
                if exc.thrown != "AuthRefreshException" or refreshed or state is None:
                    raise
                refreshed, rejected = True, state.token

    async def _after_error(
        self, state: _Scripted, call_input: CallInput, exc: UpstreamHttpError
    ) -> _Exchanged:
        error = {
            "statusCode": exc.upstream_status,
            "reasonPhrase": exc.reason,
            "content": exc.body_text,
            "isError": True,
            "isWarning": False,
            "isSuccess": False,
        }
        values = self._globals(state, call_input) | {"method_error": error}
        fired = await self._fire(
            "after_error", state.scripts, values, ("method_error", "action_data"), call_input
        )
        changed = fired.values["method_error"]
        if not isinstance(changed, dict) or not fired.proceed:
            raise exc
        if changed.get("isSuccess"):
            content = changed.get("content")
            if isinstance(content, str):
                with contextlib.suppress(ValueError):  # text that is not JSON stays text
                    content = json.loads(content) if content.strip() else None
            url = state.url or URL()
            return _Exchanged(
                status=exc.upstream_status,
                headers={},
                body=content,
                raw=content,
                exchanges=exc.exchanges,
                url=url,
                request_url=url,
                state=state,
            )
        if changed.get("isWarning"):
            warning = ScriptWarning(exc.message)
            warning.exchanges = exc.exchanges
            raise warning
        raise exc

    def pages(
        self,
        definition: ConnectorDefinition,
        method: MethodSpec,
        context: ConnectionContext,
        call_input: CallInput,
    ) -> AsyncIterator[Page]:
        """Every page of a paged method, one at a time (one page when paging is off)."""

        plan = _method_plans.get(definition, method)

        scripts = self.scripts_of(definition, method, call_input)

        async def fetch(variables: Mapping[str, str], next_url: URL | None) -> FetchedPage:
            done = await self._exchange(
                plan, method, context, call_input, scripts, variables, next_url
            )
            if done.state is not None and call_input.script is not None:
                # For after_action_paging, which runs once the pages are in.
                call_input.script.last_request = done.state.request
                call_input.script.last_parameters = done.state.parameters
            return FetchedPage(
                body=done.raw,
                exchange=done.exchanges[-1],
                url=done.url,
                request_url=done.request_url,
                headers=done.headers,
                scripted=scripts is not None,
                shown=done.body,
            )

        return iterate_pages(plan.paging, plan.mapping, fetch)

    async def _perform(
        self,
        method_plan: _MethodPlan,
        context: ConnectionContext,
        call_input: CallInput,
        variables: Mapping[str, str],
        next_url: URL | None,
        scripts: _Scripted | None = None,
        rejected: str | None = None,
    ) -> _Outcome:
        plan = method_plan.request
        limits = [((context.key, *key), spec) for key, spec in method_plan.limits]
        state = RetryState(self.settings.retry)
        exchanges: list[Exchange] = []
        built: BuiltRequest | None = None
        refreshed = rejected is not None
        attempt = 0
        try:
            while True:
                attempt += 1
                if built is None:
                    auth = await resolve_auth(context.credentials, rejected=rejected)
                    if scripts is not None:
                        scripts.token = auth.access_token
                    built = build_request(
                        plan, context, call_input, auth, page=variables, next_url=next_url
                    )
                    if scripts is not None:
                        built = await self._before_action(
                            scripts, plan, context, call_input, auth, variables, built
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
                    # One refresh (of the token this request carried), one more try.
                    refreshed, rejected, built = True, auth.access_token, None
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

    async def _before_action(
        self,
        state: _Scripted,
        plan: RequestPlan,
        context: ConnectionContext,
        call_input: CallInput,
        auth: AuthState,
        variables: Mapping[str, str],
        built: BuiltRequest,
    ) -> BuiltRequest:
        parameters, mergefields = script_values(plan, context, call_input, auth, variables)
        # Scripts see placeholders for the credentials and Sensitive values wherever they
        # appear (a key merged into a header, a password in the URL...).
        masks = scripted.Masks(built.secrets | context.sensitive_values)
        state.parameters = masks.hide(parameters)
        real = scripted.request_globals(built, plan, auth, mergefields)
        state.request = masks.hide(real)
        state.url = built.url
        if not state.scripts.handles("before_action"):
            return built
        before = state.request
        fired = await self._fire(
            "before_action",
            state.scripts,
            self._globals(state, call_input),
            (*scripted.REQUEST_GLOBALS, "action_data"),
            call_input,
        )
        if not fired.proceed:
            raise ScriptStopped(
                "The before_action handler answered false: the request was not sent"
            )
        after = {name: fired.values[name] for name in scripted.REQUEST_GLOBALS}
        if not isinstance(after["method_request_mergefields"], dict):
            after["method_request_mergefields"] = before["method_request_mergefields"]
        state.request = after
        changed = {name: after[name] != before[name] for name in scripted.REQUEST_GLOBALS}
        shown = {
            name: masks.show(after[name]) if changed[name] else real[name]
            for name in scripted.REQUEST_GLOBALS
        }
        built = scripted.rebuilt(built, plan, auth, real, shown)
        state.url = built.url
        return built
