"""The Marketplace notification: a signed POST to the partner when a package is installed or
uninstalled.

Sent in the background once the change has committed, through the connector HTTP client
(and so its address guard). A notice that cannot be delivered is logged; it never undoes the
customer's action. Each carries ``X-Junction-Timestamp`` (Unix seconds) and
``X-Junction-Signature: sha256=<hex>``, the HMAC-SHA256 of ``"<timestamp>.<body>"`` with
the marketplace's signing secret, so the partner can check it came from Junction and is not
an old one replayed.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

from yarl import URL

from junction.connectors.runtime import BuiltRequest
from junction.errors import JunctionError
from junction.services import Services

log = logging.getLogger("junction.embed")

_SENDING: set[asyncio.Task[None]] = set()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def send(context: Services, url: str | None, secret: str, payload: dict[str, Any]) -> None:
    """Post ``payload`` to ``url`` in the background (nothing when no URL is set)."""
    if not url:
        return
    body = json.dumps(payload).encode()
    timestamp = str(int(context.clock().timestamp()))
    request = BuiltRequest(
        method="POST",
        url=URL(url),
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Junction",
            "X-Junction-Timestamp": timestamp,
            "X-Junction-Signature": signature(secret, timestamp, body),
        },
        body=body,
        body_log=None,
        timeout=10,
    )

    async def post() -> None:
        try:
            answer = await context.gateway.runtime.http.send(request)
            if answer.status >= 400:
                log.warning("marketplace notification to %s answered %s", url, answer.status)
        except JunctionError as exc:
            log.warning("marketplace notification to %s failed: %s", url, exc.message)

    task = asyncio.get_running_loop().create_task(post())
    _SENDING.add(task)
    task.add_done_callback(_SENDING.discard)
