"""The ranges the database can store, as annotated types for API input.

A value past them (an integer wider than its column, a date that has no UTC time inside
years 1-9999) would otherwise reach the database or a date conversion and fail there as an
internal error. Checked at the schema instead, the error names the field and nothing is
written. Integer ids are 32-bit on PostgreSQL (``INTEGER``), the narrower of the two
databases, so they are held to that range on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from junction.errors import BadRequest

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

Int32 = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""An integer stored in an ``INTEGER`` column."""

NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
PositiveInt32 = Annotated[int, Field(ge=1, le=INT32_MAX)]
"""Such as a row's Id."""


def _storable_instant(value: datetime) -> datetime:
    # A date near either end of the calendar can have no UTC time (9999-12-31T23:59-14:00),
    # and every stored date is converted to UTC first.
    if value.tzinfo is not None:
        try:
            value.astimezone(UTC)
        except OverflowError:
            raise ValueError(
                "is out of range: in UTC it must fall between 0001-01-01 and 9999-12-31"
            ) from None
    return value


Instant = Annotated[datetime, AfterValidator(_storable_instant)]
"""A date and time that can be converted to UTC (a naive one is taken as UTC where stored)."""


def id_in_reference(reference: str, *, field: str) -> int | None:
    """The id named by ``reference``, a path segment holding an id or a name; None for a name.

    Digits only make an id; one outside the id columns' range is refused, naming ``field``.
    """
    if not reference.isascii() or not reference.isdigit():
        return None
    number = int(reference)
    if not 1 <= number <= INT32_MAX:
        raise BadRequest(f"{field}: an Id must be from 1 to {INT32_MAX}")
    return number


def _unstorable(text: str) -> str | None:
    # PostgreSQL refuses NUL in text and JSONB; a lone surrogate cannot be encoded at all.
    if "\x00" in text:
        return "must not contain the NUL character (\\u0000)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain a lone surrogate (\\ud800-\\udfff)"
    return None


def check_text(field: str, text: str) -> None:
    """Refuse ``text`` (400 naming ``field``) if no text column could store it."""
    problem = _unstorable(text)
    if problem is not None:
        raise BadRequest(f"{field}: {problem}")


def check_texts(value: Any, path: str = "") -> None:
    """``check_text`` on every string and object key of a parsed JSON (or YAML) document."""
    if isinstance(value, str):
        check_text(path or "request body", value)
    elif isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if isinstance(key, str):
                check_text(field, key)
            check_texts(item, field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_texts(item, f"{path}.{index}" if path else str(index))
