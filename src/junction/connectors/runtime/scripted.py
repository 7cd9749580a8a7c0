"""What a call's event handlers see, and the call changed by what they leave.

``before_action`` sees the built request in parts (endpoint, query parameters, headers,
body, mergefields) and may change any of them; the request is then put together again.
The connector's own authentication is never shown to a script: its headers and query
values are taken out before and put back after, so a script can neither read nor drop them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from yarl import URL

from junction.connectors.runtime.auth import AuthState
from junction.connectors.runtime.body import json_default
from junction.connectors.runtime.mapping import MappingPlan
from junction.connectors.runtime.request import BuiltRequest, RequestPlan
from junction.connectors.runtime.types import CallInput
from junction.connectors.spec.models import Body
from junction.errors import ScriptFailed

REQUEST_GLOBALS = (
    "method_endpoint",
    "method_request",
    "method_request_headers",
    "method_request_parameters",
    "method_request_mergefields",
)


def common(call_input: CallInput, script_parameters: dict[str, str]) -> dict[str, Any]:
    """The globals every event of a call sees."""
    env = call_input.script
    values: dict[str, Any] = {
        "script_parameters": script_parameters,
        "script_execution_context": env.execution_context if env else "CONNECTOR_TESTING",
        "action_data": env.action_data if env else {},
        "cycle_variables": {},
        "cycle_id": None,
        "cycle_step_id": None,
        "cyclr_account_id": None,
        "external_account_id": None,
        "last_successful_run_date": (
            call_input.last_successful_run_date.isoformat()
            if call_input.last_successful_run_date
            else None
        ),
    }
    if env is not None:
        values.update(env.values)
    return values


def keep(call_input: CallInput, values: dict[str, Any]) -> None:
    """Carry what handlers left for the step's later events."""
    env = call_input.script
    if env is not None and isinstance(values.get("action_data"), dict):
        env.action_data = values["action_data"]


def _decoded_body(request: BuiltRequest, body_format: Body) -> Any:
    if request.body is None:
        return None
    text = request.body.decode("utf-8", "replace")
    if body_format is Body.JSON:
        try:
            return json.loads(text)
        except ValueError:
            return text
    if body_format is Body.FORM:
        return dict(parse_qsl(text, keep_blank_values=True))
    return text


class Masks:
    """Secret values (credentials, Sensitive values) replaced by placeholders in what scripts
    see, and put back in what they leave: a script can move a secret around in the request
    without reading it, and one it copies elsewhere (``http_request``) is only the
    placeholder."""

    MIN_LENGTH = 4  # shorter values would be found by chance in unrelated text

    def __init__(self, secrets: frozenset[str]) -> None:
        found = sorted((v for v in secrets if len(v) >= self.MIN_LENGTH), key=len, reverse=True)
        self._pairs = [(secret, f"{{{{secret-{i + 1}}}}}") for i, secret in enumerate(found)]

    def hide(self, value: Any) -> Any:
        return self._walk(value, [(real, shown) for real, shown in self._pairs])

    def show(self, value: Any) -> Any:
        return self._walk(value, [(shown, real) for real, shown in self._pairs])

    def _walk(self, value: Any, pairs: list[tuple[str, str]]) -> Any:
        if not pairs:
            return value
        if isinstance(value, str):
            for old, new in pairs:
                if old in value:
                    value = value.replace(old, new)
            return value
        if isinstance(value, dict):
            return {self._walk(k, pairs): self._walk(v, pairs) for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, pairs) for v in value]
        return value


def _query_of(url: URL, hidden: set[str]) -> dict[str, Any]:
    """Query values by name; a name given more than once has a list of its values."""
    query: dict[str, Any] = {}
    for name in url.query:
        if name in hidden or name in query:
            continue
        values = url.query.getall(name)
        query[name] = values[0] if len(values) == 1 else list(values)
    return query


def request_globals(
    request: BuiltRequest, plan: RequestPlan, auth: AuthState, mergefields: dict[str, str]
) -> dict[str, Any]:
    auth_query = {name for name, _ in auth.query}
    auth_headers = {name.lower() for name in auth.headers}
    return {
        "method_endpoint": str(request.url.with_query(None)),
        "method_request_parameters": _query_of(request.url, auth_query),
        "method_request_headers": {
            k: v for k, v in request.headers.items() if k.lower() not in auth_headers
        },
        "method_request": _decoded_body(request, plan.body_format),
        "method_request_mergefields": mergefields,
    }


def _text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else json.dumps(value)


def _text_map(value: Any, name: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ScriptFailed(f"before_action left {name} as something other than an object")
    return {str(k): _text(v) for k, v in value.items()}


def _query_pairs(value: Any) -> list[tuple[str, str]]:
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ScriptFailed(
            "before_action left method_request_parameters as something other than an object"
        )
    pairs = []
    for name, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            pairs.append((str(name), _text(one)))
    return pairs


def rebuilt(
    request: BuiltRequest,
    plan: RequestPlan,
    auth: AuthState,
    before: dict[str, Any],
    after: dict[str, Any],
) -> BuiltRequest:
    """The request as the handlers left it (the unchanged parts kept as they were)."""
    url = request.url
    if after["method_endpoint"] != before["method_endpoint"] or (
        after["method_request_parameters"] != before["method_request_parameters"]
    ):
        endpoint = after["method_endpoint"]
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ScriptFailed("before_action left method_endpoint as something other than a URL")
        try:
            url = URL(endpoint)
        except ValueError as exc:
            raise ScriptFailed(f"before_action left an invalid method_endpoint: {exc}") from None
        if url.origin() != request.url.origin():
            # The request carries the connector's credentials: they go to its API only.
            raise ScriptFailed(
                f"before_action moved the request to {url.host}; a script may change the "
                f"path and query, but the request stays with {request.url.host}"
            )
        query = _query_pairs(after["method_request_parameters"])
        url = url.with_query([*url.query.items(), *query, *auth.query] or None)
    headers = request.headers
    if after["method_request_headers"] != before["method_request_headers"]:
        headers = _text_map(after["method_request_headers"], "method_request_headers")
        for name, value in headers.items():
            if "\r" in value or "\n" in value:
                raise ScriptFailed(f"before_action left a line break in the header '{name}'")
        headers.update(auth.headers)
    body, body_log = request.body, request.body_log
    if after["method_request"] != before["method_request"]:
        body = _encoded(after["method_request"], plan.body_format)
        body_log = None if body is None else body.decode("utf-8", "replace")
        if body is not None and not any(k.lower() == "content-type" for k in headers):
            headers = {**headers, "Content-Type": _content_type(plan.body_format)}
    return BuiltRequest(
        method=request.method,
        url=url,
        headers=headers,
        body=body,
        body_log=body_log,
        timeout=request.timeout,
        secrets=request.secrets,
        sensitive_headers=request.sensitive_headers,
        sensitive_query=request.sensitive_query,
    )


def _content_type(body_format: Body) -> str:
    if body_format is Body.FORM:
        return "application/x-www-form-urlencoded"
    if body_format is Body.PLAIN_TEXT:
        return "text/plain; charset=utf-8"
    return "application/json"


def _encoded(value: Any, body_format: Body) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode()  # a script that wrote the body itself (XML, for instance)
    if body_format is Body.FORM:
        if not isinstance(value, dict):
            raise ScriptFailed("before_action left method_request as something a form cannot hold")
        pairs = {k: "" if v is None else v for k, v in value.items()}
        return urlencode(pairs, quote_via=quote).encode("ascii")  # spaces as %20, as body.py
    try:
        return json.dumps(
            value, ensure_ascii=False, separators=(",", ":"), default=json_default
        ).encode()
    except (TypeError, ValueError) as exc:
        raise ScriptFailed(f"before_action left a body that is not JSON: {exc}") from None


def combined(bodies: list[Any], mapping: MappingPlan) -> Any:
    """One answer from every page's, for after_action_paging: lists are joined; otherwise
    the first page's answer with its collection holding every page's items."""
    if len(bodies) == 1:
        return bodies[0]
    if all(isinstance(body, list) for body in bodies):
        return [item for body in bodies for item in body]
    collection = mapping.collection
    keys = [segment.key for segment in collection.segments] if collection is not None else []
    if (
        collection is not None
        and collection.list_depth == 1
        and isinstance(bodies[0], dict)
        and all(isinstance(key, str) for key in keys)
    ):
        items: list[Any] = []
        for body in bodies:
            items.extend(mapping.items(body) or [])
        result = json.loads(json.dumps(bodies[0], default=json_default))  # a copy to change
        target = result
        for key in keys[:-1]:
            inner = target.get(key)
            if not isinstance(inner, dict):
                return bodies[-1]
            target = inner
        target[keys[-1]] = items
        return result
    return bodies[-1]
