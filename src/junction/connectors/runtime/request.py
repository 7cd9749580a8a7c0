"""Builds one HTTP request from a method definition and the values of one call.

The per-method work (merging connector and method parameters, parsing field paths) is done
once by ``compile_request`` and cached; ``build_request`` only fills in values. Values
written by the connector's author (``Value``, ``DefaultValue``) may hold ``{{mergefields}}``;
values from callers never do, so a record cannot inject one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from yarl import URL

from junction.connectors.runtime.auth import AuthState
from junction.connectors.runtime.body import BodyField, BuiltBody, build_body
from junction.connectors.runtime.convert import ConversionError, to_parameter_text
from junction.connectors.runtime.dates import EPOCH, compile_format, iso_utc
from junction.connectors.runtime.plancache import IdentityCache
from junction.connectors.runtime.types import CallInput, ConnectionContext
from junction.connectors.spec.mergefields import MERGEFIELD
from junction.connectors.spec.models import (
    Body,
    ConnectorDefinition,
    MethodSpec,
    ParameterSpec,
    Target,
    Verb,
)
from junction.connectors.spec.paths import parse_path
from junction.errors import CallInputError

IGNORE_PARAMETER = "CYCLR_IGNORE_PARAMETER"
PAGE_VARIABLE_PREFIX = "CYCLR_PAGE_"
_MAX_MERGE_DEPTH = 8  # a Value naming a mergefield whose Value names another...
_CONTENT_TYPES = {
    Body.JSON: "application/json",
    Body.FORM: "application/x-www-form-urlencoded",
    Body.PLAIN_TEXT: "text/plain; charset=utf-8",
}


_HEADERS = (Target.HTTP_HEADER, Target.RESPONSE_HEADER)  # names compared ignoring case
_ANSWER_TARGETS = (Target.RESPONSE_FIELD, Target.RESPONSE_HEADER)


@dataclass(frozen=True)
class RequestPlan:
    verb: str
    base_url: str | None
    endpoint: str
    mergefield_params: Mapping[str, ParameterSpec]  # method ones win over connector ones
    query_params: tuple[ParameterSpec, ...]
    header_params: tuple[ParameterSpec, ...]
    response_params: tuple[ParameterSpec, ...]  # ResponseField and ResponseHeader ones
    body_format: Body
    body_fields: tuple[BodyField, ...]
    timeout: float
    sensitive_query: frozenset[str]
    sensitive_headers: frozenset[str]  # lower-case
    templated_defaults: tuple[BodyField, ...] = ()  # body fields whose DefaultValue merges
    script_params: tuple[ParameterSpec, ...] = ()  # handed to scripts, not sent


@dataclass(frozen=True)
class BuiltRequest:
    method: str
    url: URL
    headers: dict[str, str]
    body: bytes | None
    body_log: str | None  # the body with Sensitive fields replaced, for the Exchange
    timeout: float
    secrets: frozenset[str] = frozenset()
    sensitive_headers: frozenset[str] = frozenset()
    sensitive_query: frozenset[str] = frozenset()


def _compile(definition: ConnectorDefinition, method: MethodSpec) -> RequestPlan:
    # Method parameters override connector ones of the same kind and name (that is how a
    # method drops a connector parameter: same name, Value CYCLR_IGNORE_PARAMETER).
    merged: dict[tuple[Target, str], ParameterSpec] = {}
    for spec in [*definition.Parameters, *method.Parameters]:
        name = spec.TargetName.lower() if spec.TargetType in _HEADERS else spec.TargetName
        merged.pop((spec.TargetType, name), None)  # re-insert so method order follows
        merged[(spec.TargetType, name)] = spec
    params = list(merged.values())

    def of(kind: Target) -> tuple[ParameterSpec, ...]:
        return tuple(p for p in params if p.TargetType is kind)

    fields = tuple(
        BodyField(
            key=spec.SystemField or spec.ConnectorField,
            spec=spec,
            path=parse_path(spec.ConnectorField),
        )
        for spec in method.RequestFields
    )
    has_body = method.HttpMethod not in (Verb.GET, Verb.DELETE) and bool(fields)
    return RequestPlan(
        verb=method.HttpMethod.value,
        base_url=definition.BaseUrl,
        endpoint=method.Endpoint,
        mergefield_params={p.TargetName: p for p in of(Target.MERGE_FIELD)},
        query_params=of(Target.QUERY_STRING),
        header_params=of(Target.HTTP_HEADER),
        # In the merged order, so that a method's next-URL source comes after the connector's.
        response_params=tuple(p for p in params if p.TargetType in _ANSWER_TARGETS),
        body_format=method.BodyFormat,
        body_fields=fields if has_body else (),
        timeout=method.TimeoutSeconds or definition.TimeoutSeconds,
        sensitive_query=frozenset(p.TargetName for p in of(Target.QUERY_STRING) if p.Sensitive),
        sensitive_headers=frozenset(
            p.TargetName.lower() for p in of(Target.HTTP_HEADER) if p.Sensitive
        ),
        script_params=of(Target.SCRIPT),
        templated_defaults=tuple(
            f for f in fields if has_body and f.spec.DefaultValue and "{{" in f.spec.DefaultValue
        ),
    )


_plans: IdentityCache[RequestPlan] = IdentityCache(_compile)


def compile_request(definition: ConnectorDefinition, method: MethodSpec) -> RequestPlan:
    return _plans.get(definition, method)


class _Drop:
    """A parameter that is left out of this request."""


DROP = _Drop()


class _Values:
    """Resolves parameter values and mergefields for one request."""

    def __init__(
        self,
        plan: RequestPlan,
        context: ConnectionContext,
        call_input: CallInput,
        auth: AuthState,
        page: Mapping[str, str],
    ) -> None:
        self.plan = plan
        self.context = context
        self.call_input = call_input
        self.auth = auth
        self.page = page
        self.secrets: set[str] = set()
        self._depth = 0

    def parameter(self, spec: ParameterSpec) -> str | _Drop:
        raw = spec.Value
        if raw:
            if raw == IGNORE_PARAMETER:
                return DROP
            if raw.startswith(PAGE_VARIABLE_PREFIX):
                # Not known yet (the first page's token) or paging not in use: leave it out.
                return self.page.get(raw) or DROP
            value = self.merge_text(raw)
        else:
            given = self.call_input.parameters.get(spec.TargetName) or self.context.properties.get(
                spec.TargetName
            )
            if given:
                value = self._checked(spec, given)
            elif spec.DefaultValue:
                value = self._checked(spec, self.merge_text(spec.DefaultValue))
            elif spec.Optional:
                return DROP
            else:
                label = f" ({spec.DisplayName})" if spec.DisplayName else ""
                raise CallInputError(
                    f"The parameter '{spec.TargetName}'{label} needs a value "
                    f"({spec.TargetType.value}, not optional)"
                )
        if spec.Sensitive and value:
            self.secrets.add(value)
        return value

    @staticmethod
    def _checked(spec: ParameterSpec, value: str) -> str:
        try:
            return to_parameter_text(spec.DataType, value)
        except ConversionError as exc:
            raise CallInputError(f"The parameter '{spec.TargetName}' must be {exc}") from None

    def mergefield(self, name: str, options: str) -> str:
        if name == "LastSuccessfulRunDate":
            return run_date_text(self.call_input.last_successful_run_date, options)
        if name in self.call_input.mergefields:
            return self.call_input.mergefields[name]
        spec = self.plan.mergefield_params.get(name)
        if spec is not None:
            self._depth += 1
            try:
                if self._depth > _MAX_MERGE_DEPTH:
                    raise CallInputError(f"The mergefield {{{{{name}}}}} refers to itself")
                value = self.parameter(spec)
            finally:
                self._depth -= 1
            return "" if isinstance(value, _Drop) else value
        if name in self.auth.mergefields:
            return self.auth.mergefields[name]
        if name in self.context.properties:
            return self.context.properties[name]
        raise CallInputError(f"There is no value for the mergefield {{{{{name}}}}}")

    def merge_text(self, text: str) -> str:
        """Fill mergefields in a header or query value (no URL escaping there)."""
        if "{{" not in text:
            return text
        return MERGEFIELD.sub(lambda m: self.mergefield(m.group(1), m.group(2).strip()), text)

    def merge_url(self, template: str) -> str:
        """Fill mergefields in a URL. Values are escaped for a URL, except a mergefield that
        starts the URL: that one is the base address (``{{ApiBase}}/contacts``)."""

        def fill(match: Any) -> str:
            value = self.mergefield(match.group(1), match.group(2).strip())
            if match.start() == 0:
                return value
            if value in (".", ".."):
                # Would be read as a path step ("/contacts/.." is "/"), reaching another URL.
                raise CallInputError(
                    f"The value of {{{{{match.group(1)}}}}} cannot be '{value}' in a URL"
                )
            return _escape(value)

        return MERGEFIELD.sub(fill, template) if "{{" in template else template


# "format=yyyy-MM-dd HH:mm:ss": a value runs to the next "name=" (formats may hold spaces).
_OPTION = re.compile(r"(\w+)=(.*?)(?=\s+\w+=|$)")


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")


def _escape(value: str) -> str:
    """``value`` escaped for any part of a URL (``/``, ``?``, ``&`` and ``=`` included)."""
    # Most values (ids, numbers) need no escaping; checking is cheaper than quoting.
    return value if _URL_SAFE.fullmatch(value) else quote(value, safe="")


def run_date_text(value: datetime | None, options: str) -> str:
    moment = value or EPOCH
    for key, fmt in _OPTION.findall(options):
        if key.lower() == "format" and fmt.strip():
            pattern = fmt.strip().strip("'\"")
            # Junction's own: many APIs filter on Unix time (Stripe, Slack, Intercom), which
            # no .NET-style pattern can write.
            if pattern.lower() in ("unix", "unixms"):
                aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # UTC, as stored
                seconds = aware.timestamp()
                return str(int(seconds * 1000 if pattern.lower() == "unixms" else seconds))
            return compile_format(pattern).format(moment)
    return iso_utc(moment.replace(microsecond=0))


def _join(base: str, endpoint: str) -> str:
    # Cyclr appends the endpoint to the base as text (a base path is kept), not as RFC 3986
    # would resolve it.
    if not endpoint or endpoint.startswith("?"):
        return base + endpoint
    return base.rstrip("/") + "/" + endpoint.lstrip("/")


def _is_absolute(url: str) -> bool:
    return url.startswith(("http://", "https://", "HTTP://", "HTTPS://"))


def _header_safe(name: str, value: str) -> str:
    if "\r" in value or "\n" in value:
        raise CallInputError(f"The header '{name}' cannot hold a line break")
    return value


def build_request(
    plan: RequestPlan,
    context: ConnectionContext,
    call_input: CallInput,
    auth: AuthState,
    *,
    page: Mapping[str, str] | None = None,
    next_url: URL | None = None,
) -> BuiltRequest:
    """The request for one call (or one page, with ``page`` variables or a ``next_url``)."""
    values = _Values(plan, context, call_input, auth, page or {})

    if next_url is not None:
        url = next_url
        present = set(url.query)
        extra_query = [(k, v) for k, v in auth.query if k not in present]
        if extra_query:
            url = url.extend_query(extra_query)
    else:
        text = values.merge_url(plan.endpoint)
        if not _is_absolute(text):
            if plan.base_url is None:
                raise CallInputError(f"The endpoint '{text[:200]}' is not an http(s) URL")
            text = _join(values.merge_url(plan.base_url), text)
        if not _is_absolute(text):
            raise CallInputError(
                f"The request URL '{text[:200]}' is not an http(s) URL; "
                "check the connector's base address property"
            )
        pairs: list[tuple[str, str]] = []
        for spec in plan.query_params:
            value = values.parameter(spec)
            if not isinstance(value, _Drop):
                pairs.append((spec.TargetName, value))
        pairs.extend(auth.query)
        if pairs and "#" not in text:
            # Appending the encoded query to the text costs one URL parse instead of two.
            query = "&".join(f"{_escape(k)}={_escape(v)}" for k, v in pairs)
            text = f"{text}{'&' if '?' in text else '?'}{query}"
            pairs = []
        try:
            url = URL(text)
        except ValueError as exc:
            raise CallInputError(f"The request URL '{text[:200]}' is not valid: {exc}") from None
        if pairs:
            url = url.extend_query(pairs)

    headers = {"Accept": "application/json" if plan.body_format is Body.JSON else "*/*"}
    for spec in plan.header_params:
        value = values.parameter(spec)
        if not isinstance(value, _Drop):
            headers[spec.TargetName] = _header_safe(spec.TargetName, value)
    headers.update(auth.headers)  # the connector's own auth wins over a same-named parameter

    body: BuiltBody | None = None
    if call_input.raw_body is not None:
        # The caller's own body is its own business: it is neither converted nor redacted
        # field by field (the Exchange's redactor still hides credentials in it).
        text = call_input.raw_body.decode("utf-8", "replace")
        body = BuiltBody(call_input.raw_body, text)
        headers["Content-Type"] = call_input.raw_content_type or _CONTENT_TYPES.get(
            plan.body_format, "application/octet-stream"
        )
    elif plan.body_fields:
        fields = call_input.fields
        # A field's DefaultValue may name a mergefield ({{Cyclr_Webhook_Url}}); it is the
        # connector author's text, so it is filled in like a parameter's Value.
        defaults = {
            item.key: values.merge_text(item.spec.DefaultValue or "")
            for item in plan.templated_defaults
            if item.key not in fields and item.spec.ConnectorField not in fields
        }
        body = build_body(
            plan.body_format, plan.body_fields, {**fields, **defaults} if defaults else fields
        )
        headers["Content-Type"] = _CONTENT_TYPES[plan.body_format]

    return BuiltRequest(
        method=plan.verb,
        url=url,
        headers=headers,
        body=body.content if body else None,
        body_log=body.log_text if body else None,
        timeout=plan.timeout,
        secrets=auth.secrets | values.secrets,
        sensitive_headers=plan.sensitive_headers | auth.sensitive_headers,
        sensitive_query=plan.sensitive_query | auth.sensitive_query,
    )


def script_values(
    plan: RequestPlan,
    context: ConnectionContext,
    call_input: CallInput,
    auth: AuthState,
    page: Mapping[str, str] | None = None,
) -> tuple[dict[str, str], dict[str, str]]:
    """(script_parameters, method_request_mergefields) of one request, for its scripts."""
    values = _Values(plan, context, call_input, auth, page or {})
    parameters = {}
    for spec in plan.script_params:
        value = values.parameter(spec)
        if not isinstance(value, _Drop):
            parameters[spec.TargetName] = value
    mergefields = {}
    for name, spec in plan.mergefield_params.items():
        try:
            value = values.parameter(spec)
        except CallInputError:
            # A required mergefield without a value (an OAuth client id of a connector
            # this account uses with an API key): the script sees it empty. A request that
            # does use it is refused when it is built, naming it.
            value = DROP
        mergefields[name] = "" if isinstance(value, _Drop) else value
    return parameters, {**mergefields, **call_input.mergefields}
