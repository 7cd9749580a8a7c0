"""The events a script may handle, and whether a script handles one."""

from __future__ import annotations

import re
from functools import lru_cache

# Events run before something happens: their handlers go method, connector, step. The
# others go connector, method, step (Cyclr's order).
BEFORE_EVENTS = (
    "before_action",
    "before_webhook",
    "before_oauth2_authorise",
    "before_oauth2_token",
    "before_oauth2_refresh",
)
AFTER_EVENTS = (
    "after_action",
    "after_action_paging",
    "after_error",
    "action_condition",
    "after_webhook",
    "after_oauth2_token",
    "after_oauth2_refresh",
)
EVENTS = BEFORE_EVENTS + AFTER_EVENTS


@lru_cache(maxsize=4096)
def _handled(script: str) -> frozenset[str]:
    found = set()
    for event in EVENTS:
        declared = rf"\bfunction\s+{event}\s*\("
        assigned = rf"\b{event}\s*=\s*(function\b|\()"
        if re.search(declared, script) or re.search(assigned, script):
            found.add(event)
    return frozenset(found)


def defines(script: str | None, event: str) -> bool:
    """Whether ``script`` declares a handler for ``event`` (a quick look at its text)."""
    return bool(script) and event in _handled(script or "")
