"""Integer path ids, held to the range of the id columns.

Ids are 32-bit ``INTEGER`` columns on PostgreSQL; a larger number in a path once reached
the database and failed there as an internal error. Any id outside 1..2147483647 is
answered 400 naming the path parameter (rather than 404), on both databases: no row can
have it, and the caller is told that the id itself is malformed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from junction.bounds import INT32_MAX, INT32_MIN

RowId = Annotated[int, Path(ge=1, le=INT32_MAX, description="An Id, from 1 to 2147483647.")]

# A step's fields and parameters: custom fields of an account connector are shown with
# negative Ids, so only the column's range is checked.
FieldId = Annotated[
    int,
    Path(
        ge=INT32_MIN,
        le=INT32_MAX,
        description="A field's Id; custom fields have negative ones (32-bit range).",
    ),
]
