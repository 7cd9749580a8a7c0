"""``AuthRefreshException`` and ``AuthSessionException``, and telling them apart afterwards.

Both are ``Error`` subclasses whose ``name`` is the class name. QuickJS reports an uncaught
error as ``Name: message`` (just ``Name`` without a message) followed by the stack, so the
name is the first word of the first line of the error text.
"""

from __future__ import annotations

import re

AUTH_REFRESH = "AuthRefreshException"
AUTH_SESSION = "AuthSessionException"
AUTH_EXCEPTIONS = frozenset({AUTH_REFRESH, AUTH_SESSION})

_NAMED = re.compile(r"([A-Za-z_$][\w$]*)(?::\s|:?$)")


def thrown_name(message: str) -> str | None:
    """The error class an uncaught error's text (``ScriptError``'s message, or the
    binding's exception text) starts with: ``TypeError``, ``AuthRefreshException``. None
    when the first line is not ``Name`` or ``Name: message``, as for a thrown object
    (``[object Object]``) or a limit the script broke."""
    first = message.strip().split("\n", 1)[0] if message.strip() else ""
    match = _NAMED.match(first)
    return match.group(1) if match else None


def thrown_auth_exception(message: str) -> str | None:
    """``AuthRefreshException`` or ``AuthSessionException`` if the script threw one."""
    name = thrown_name(message)
    return name if name in AUTH_EXCEPTIONS else None
