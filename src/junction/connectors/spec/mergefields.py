"""``{{Name}}`` placeholders in endpoints and values.

A mergefield may carry options after its name, as in ``{{LastSuccessfulRunDate
format=yyyy-MM-dd}}``; the name is what must be known.
"""

from __future__ import annotations

import re
from collections.abc import Callable

MERGEFIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)((?:\s+[^{}]*)?)\}\}")

# Names the runtime always supplies.
SYSTEM_MERGEFIELDS = frozenset(
    {
        "Cyclr_Auth_ApiKey",
        "Cyclr_Auth_Username",
        "Cyclr_Auth_Password",
        "Cyclr_Auth_AccessToken",
        "LastSuccessfulRunDate",
        "Cyclr_Webhook_Url",  # the cycle's webhook URL, for a CreateWebhookMethod
        "Cyclr_Webhook_Id",  # what the CreateWebhookMethod answered, for the delete method
    }
)


def names_in(text: str) -> list[str]:
    return [match.group(1) for match in MERGEFIELD.finditer(text)]


def merge(text: str, resolve: Callable[[str, str], str]) -> str:
    """Replace each placeholder with ``resolve(name, options)``."""
    return MERGEFIELD.sub(lambda m: resolve(m.group(1), m.group(2).strip()), text)
