"""Caller-chosen GUID ids (cycles, steps, edges, imported templates).

Cyclr's ids for these are GUIDs; a partner moving across keeps them. One spelling is kept:
the canonical lower-case 8-4-4-4-12 form that Cyclr answers with, so that an id written in
capitals still finds the same row afterwards.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(value: object) -> bool:
    return isinstance(value, str) and _GUID.match(value) is not None


def _canonical(value: str) -> str:
    if not is_guid(value):
        raise ValueError(
            f"'{value}' is not a GUID (32 hexadecimal digits as 8-4-4-4-12, e.g. "
            "3f0c2a4e-8d1b-4c6a-9e2f-5b7d1a0c9e44)"
        )
    return value.lower()


GuidText = Annotated[str, AfterValidator(_canonical)]
"""A GUID given by the caller, lower-cased."""
