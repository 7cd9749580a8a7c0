"""The connector's OAuth 2.0 event handlers: ``before_oauth2_authorise``,
``before_oauth2_token``/``after_oauth2_token`` and ``before_oauth2_refresh``/
``after_oauth2_refresh``.

Only the connector's own ``Script`` handles these (there is no method or step at that
point). The secrets of a token request (client secret, refresh token, password, code, PKCE
verifier) are kept out of ``method_request`` and put back afterwards, so a handler can add
or change the other fields without reading them. A handler that answers false or throws
fails the token request (``ScriptFailed``), which the caller reports like an unavailable
provider: the connection is kept.
"""

from __future__ import annotations

import json
from typing import Any

from junction.errors import ScriptFailed
from junction.scripting.events import HandlerFailed, Scripts, fire
from junction.scripting.sandbox import Limits

SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "refresh_token",
        "password",
        "code",
        "code_verifier",
        "client_assertion",
        "assertion",
    }
)
_COMMON = {"cycle_variables": {}, "script_parameters": {}, "script_execution_context": "OAUTH"}


async def _fire(
    event: str, script: str, values: dict[str, Any], readback: tuple[str, ...], limits: Limits
) -> Any:
    try:
        fired = await fire(event, Scripts(connector=script), _COMMON | values, readback, limits)
    except HandlerFailed as exc:
        raise ScriptFailed(str(exc)) from None
    if not fired.proceed:
        raise ScriptFailed(f"The {event} handler answered false")
    return fired.values


def _texts(value: Any, name: str, event: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ScriptFailed(f"{event} left {name} as something other than an object")
    texts = {}
    for key, item in value.items():
        text = "" if item is None else item if isinstance(item, str) else json.dumps(item)
        broken = any(c in f"{key}{text}" for c in "\r\n")
        if broken and name == "method_request_headers":
            raise ScriptFailed(f"{event} left a line break in the header '{key}'")
        texts[str(key)] = text
    return texts


async def before_token(
    script: str, refresh: bool, data: dict[str, str], headers: dict[str, str], limits: Limits
) -> tuple[dict[str, str], dict[str, str]]:
    event = "before_oauth2_refresh" if refresh else "before_oauth2_token"
    if not Scripts(connector=script).handles(event):
        return data, headers
    secrets = {k: v for k, v in data.items() if k in SECRET_FIELDS}
    shown = {k: v for k, v in data.items() if k not in SECRET_FIELDS}
    values = await _fire(
        event,
        script,
        {"method_request": shown, "method_request_headers": headers},
        ("method_request", "method_request_headers"),
        limits,
    )
    changed = _texts(values["method_request"], "method_request", event)
    return changed | secrets, _texts(
        values["method_request_headers"], "method_request_headers", event
    )


async def after_token(script: str, refresh: bool, body: Any, text: str, limits: Limits) -> Any:
    """The token answer as the handlers leave it (they may move a token found under another
    name to ``access_token``, say)."""
    event = "after_oauth2_refresh" if refresh else "after_oauth2_token"
    if not Scripts(connector=script).handles(event):
        return body
    values = await _fire(
        event,
        script,
        {"method_response": body if body is not None else text},
        ("method_response",),
        limits,
    )
    return values["method_response"]


async def before_authorise(script: str, url: str, limits: Limits) -> str:
    event = "before_oauth2_authorise"
    if not Scripts(connector=script).handles(event):
        return url
    values = await _fire(event, script, {"method_endpoint": url}, ("method_endpoint",), limits)
    changed = values["method_endpoint"]
    if not isinstance(changed, str) or not changed.startswith(("https://", "http://")):
        raise ScriptFailed(f"{event} left method_endpoint as something other than a URL")
    return changed
