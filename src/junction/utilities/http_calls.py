"""Generic Webhook: calls to any URL a step names (DELETE, GET, PATCH, POST, PUT), and
Generic Form: a form POST; both through the same pooled client and outbound address guard
as connector calls. (Generic Webhook's inbound Webhook method needs no operation: a webhook
trigger reads the call it received.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from yarl import URL

from junction.connectors.runtime import BuiltRequest, content_type
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

TIMEOUT_SECONDS = 30.0
MAX_HEADERS = 50


def _url(inputs: dict[str, Any]) -> URL:
    raw = text(inputs, "Url")
    try:
        url = URL(raw)
    except ValueError as exc:
        raise UtilityError(f"Url: not a valid URL ({exc})") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise UtilityError(f"Url: '{raw}' must be an absolute http:// or https:// URL")
    return url


def _pairs(raw: Any, field: str, separator: str, shape: str) -> list[tuple[str, str]]:
    """Names and values given as a JSON object (or a mapped dict), or as lines of
    ``name{separator}value``."""
    if isinstance(raw, dict):
        loaded: Any = raw
    else:
        source = str(raw).strip()
        if not source.startswith("{"):
            pairs = []
            for line in source.splitlines():
                if not line.strip():
                    continue
                name, sep, value = line.partition(separator)
                if not sep or not name.strip():
                    raise UtilityError(f"{field}: '{line}' is not '{shape}'")
                pairs.append((name.strip(), value.strip()))
            return pairs
        try:
            loaded = json.loads(source)
        except ValueError as exc:
            raise UtilityError(f"{field}: not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise UtilityError(f"{field}: a JSON object of names and values")
    return [(str(k), "" if v is None else str(v)) for k, v in loaded.items()]


def _headers(inputs: dict[str, Any]) -> dict[str, str]:
    """Headers as a JSON object, or as lines of "Name: value"."""
    raw = inputs.get("Headers")
    if raw is None or raw == "":
        return {}
    pairs = _pairs(raw, "Headers", ":", "Name: value")
    if len(pairs) > MAX_HEADERS:
        raise UtilityError(f"Headers: at most {MAX_HEADERS}")
    for name, value in pairs:
        if any(c in name + value for c in "\r\n"):
            raise UtilityError(f"Headers: '{name}' holds a line break")
    return dict(pairs)


def _body(inputs: dict[str, Any], headers: dict[str, str]) -> bytes | None:
    raw = inputs.get("Body")
    if raw is None or raw == "":
        return None
    named = {k.lower() for k in headers}
    if isinstance(raw, dict | list):
        if "content-type" not in named:
            headers["Content-Type"] = "application/json"
        return json.dumps(raw).encode()
    body = str(raw)
    if "content-type" not in named:
        looks_json = body.lstrip()[:1] in ("{", "[")
        headers["Content-Type"] = "application/json" if looks_json else "text/plain; charset=utf-8"
    return body.encode()


async def call(
    context: UtilityContext, method: str, inputs: dict[str, Any], body: bytes | None = None
) -> list[dict[str, Any]]:
    if context.http is None:
        raise UtilityError("Url: outbound calls are not available here")
    headers = _headers(inputs)
    if body is None:
        body = _body(inputs, headers)
    request = BuiltRequest(
        method=method,
        url=_url(inputs),
        headers=headers,
        body=body,
        body_log=None,
        timeout=TIMEOUT_SECONDS,
    )
    response = await context.http.send(request)
    kind, charset = content_type(response.headers)
    text_body = response.body.decode(charset or "utf-8", "replace")
    parsed: Any = text_body
    if kind == "application/json" or kind.endswith("+json"):
        try:
            parsed = json.loads(text_body) if text_body else None
        except ValueError:
            parsed = text_body
    if response.status >= 400:
        raise UtilityError(f"Url: the call answered {response.status}: {text_body[:500]}")
    return [
        {
            "StatusCode": response.status,
            "Headers": {k: v for k, v in response.headers.items()},
            "Body": parsed,
        }
    ]


def _form(inputs: dict[str, Any]) -> bytes:
    """Form fields as a JSON object, or as lines of "name=value"."""
    raw = inputs.get("Fields")
    if raw is None or raw == "":
        raise UtilityError("Fields: required")
    return urlencode(_pairs(raw, "Fields", "=", "name=value")).encode()


@operation("generic-form/post")
async def post_form(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
    headers = _headers(inputs) | {"Content-Type": "application/x-www-form-urlencoded"}
    return await call(context, "POST", {**inputs, "Headers": headers, "Body": None}, _form(inputs))


def _register(method: str) -> None:
    @operation(f"generic-webhook/{method.lower()}")
    async def run(context: UtilityContext, inputs: dict[str, Any]) -> list[dict[str, Any]]:
        return await call(context, method, inputs)


for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
    _register(_method)
