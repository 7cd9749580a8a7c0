"""Answers read back: content types, headers as a dict, bodies as JSON or text."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from junction.connectors.runtime.http import HttpResponse
from junction.connectors.spec.models import Body


def content_type(headers: Mapping[str, str]) -> tuple[str, str | None]:
    """(the media type in lower case, the charset if named) of an answer."""
    return _parse_content_type(headers.get("Content-Type", ""))


# Content types that APIs put on JSON when they do not say: parsed if the body looks like it.
_UNLABELLED = frozenset({"", "text/plain", "application/octet-stream"})


@lru_cache(maxsize=256)
def _parse_content_type(content_type: str) -> tuple[str, str | None]:
    # Cached: APIs repeat a few values, and this runs for every answer.
    mime, _, params = content_type.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip('"')
    return mime.strip().lower(), charset


def joined_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Headers as a dict; repeated ones joined with commas, as HTTP allows."""
    result: dict[str, str] = {}
    for name, value in headers.items():
        result[name] = f"{result[name]}, {value}" if name in result else value
    return result


async def parse_body(response: HttpResponse, body_format: Body, thread_bytes: int) -> Any:
    """The answer as JSON when it is JSON, else as text; an empty answer is None."""
    data = response.body
    if not data:
        return None
    mime, charset = content_type(response.headers)
    looks_json = data[:1024].lstrip()[:1] in (b"{", b"[")  # a prefix: bodies can be large
    if (
        mime == "application/json"
        or mime.endswith("+json")
        or (looks_json and body_format is Body.JSON and mime in _UNLABELLED)
    ):
        try:
            if len(data) > thread_bytes:
                return await asyncio.to_thread(json.loads, data)
            return json.loads(data)
        except ValueError:
            pass  # labelled JSON but is not: hand on the text rather than fail
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")
