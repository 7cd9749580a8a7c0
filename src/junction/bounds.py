"""The ranges the database can store, as annotated types for API input.

A value past them (an integer wider than its column, a date that has no UTC time inside
years 1-9999) would otherwise reach the database or a date conversion and fail there as an
internal error. Checked at the schema instead, the error names the field and nothing is
written. Integer ids are 32-bit on PostgreSQL (``INTEGER``), the narrower of the two
databases, so they are held to that range on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

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
