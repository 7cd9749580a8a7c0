"""``http_request`` for scripts: one request through the runtime's HTTP client.

It goes through the same address guard as every connector call (a script cannot reach the
machine's own or private addresses unless the operator allows them), the same response size
limit and redirects policy. No retries and no credentials are added: the script sends what
it wrote, and gets every answer back, errors included, to decide for itself.
"""

from __future__ import annotations

import json
from typing import Any

from yarl import URL

from junction.connectors.runtime.http import HttpClient
from junction.connectors.runtime.request import BuiltRequest
from junction.connectors.runtime.response import content_type, joined_headers
from junction.connectors.runtime.settings import RuntimeSettings
from junction.errors import CallInputError

TIMEOUT = 30.0
_VERBS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def _request(given: dict[str, Any]) -> BuiltRequest:
    verb = str(given.get("method") or "GET").upper()
    if verb not in _VERBS:
        raise CallInputError(f"http_request: method '{verb}' is not an HTTP method it sends")
    url_text = given.get("url")
    if not isinstance(url_text, str) or not url_text.startswith(("http://", "https://")):
        raise CallInputError("http_request: url must be an http:// or https:// URL")
    try:
        url = URL(url_text)
    except ValueError as exc:
        raise CallInputError(f"http_request: url is not valid: {exc}") from None
    headers_given = given.get("headers") or {}
    if not isinstance(headers_given, dict):
        raise CallInputError("http_request: headers must be an object")
    headers = {str(k): "" if v is None else str(v) for k, v in headers_given.items()}
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise CallInputError(f"http_request: the header '{name}' holds a line break")
    data = given.get("data")
    body: bytes | None
    if data is None:
        body = None
    elif isinstance(data, str):
        body = data.encode()
    else:
        body = json.dumps(data, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
    timeout = given.get("timeout")
    seconds = float(timeout) if isinstance(timeout, int | float) and timeout > 0 else TIMEOUT
    return BuiltRequest(
        method=verb,
        url=url,
        headers=headers,
        body=body,
        body_log=None,
        timeout=min(seconds, TIMEOUT * 4),
    )


async def script_http_request(
    http: HttpClient, given: dict[str, Any], settings: RuntimeSettings
) -> dict[str, Any]:
    request = _request(given)
    response = await http.send(request, max_response_bytes=settings.max_response_bytes)
    mime, charset = content_type(response.headers)
    text = response.body.decode(charset or "utf-8", "replace")
    content: Any = text
    if mime == "application/json" or mime.endswith("+json"):
        try:
            content = json.loads(text) if text.strip() else None
        except ValueError:
            content = text
    return {
        "status_code": response.status,
        "reason": response.reason,
        "headers": joined_headers(response.headers),
        "content": content,
        "request": {
            "method": request.method,
            "url": str(request.url),
            "headers": request.headers,
            "data": given.get("data"),
        },
    }
