"""The tolerant reader: request bodies that accept what Cyclr's clients send.

Cyclr's clients build requests from Cyclr's documentation and from Cyclr's own answers: a
GET's body is edited and sent back as the PUT, and the documentation's examples carry
fields that describe the object rather than change it. An input schema built on
``TolerantInput`` names, once, in ``READ_ONLY``, the fields of the resource's answers (or
of Cyclr's examples) that a request cannot change: they are dropped before validation,
whatever their value. A field the schema itself has is always read, so an answer field that
later becomes settable needs no change here. Cyclr's other spellings of a value (the
all-zero GUID for none, say) are field validators of the schema concerned.

Every other unknown field is still refused (``extra="forbid"``), so a misspelt name is
reported with the field named rather than silently dropped, and a known field with a wrong
type is refused as before. The rule for each route is documented once in docs/api.md,
"Tolerant reader".
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator

# Cyclr writes "no method" as the all-zero GUID in some answers.
ZERO_GUID = "00000000-0000-0000-0000-000000000000"


def blank_guid_as_none(value: Any) -> Any:
    """The all-zero GUID (and an empty string) read as absent; anything else unchanged."""
    if isinstance(value, str) and value.strip() in ("", ZERO_GUID):
        return None
    return value


class TolerantInput(BaseModel):
    """An input schema that drops ``READ_ONLY`` fields and refuses the rest of what it does
    not know."""

    model_config = ConfigDict(extra="forbid")

    READ_ONLY: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="before")
    @classmethod
    def _tolerate(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {
            key: value
            for key, value in data.items()
            if key not in cls.READ_ONLY or key in cls.model_fields
        }
