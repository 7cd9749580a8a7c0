"""Integer path ids, held to the range of the id columns.

Ids are 32-bit ``INTEGER`` columns on PostgreSQL; a larger number in a path once reached
the database and failed there as an internal error. Any id outside 1..2147483647 is
answered 400 naming the path parameter (rather than 404), on both databases: no row can
have it, and the caller is told that the id itself is malformed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import AfterValidator

from junction.bounds import INT32_MAX, INT32_MIN
from junction.guids import is_guid

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


def _guid(value: str) -> str:
    if not is_guid(value):
        raise ValueError(f"'{value}' is not a GUID (8-4-4-4-12 hexadecimal digits)")
    return value.lower()


GuidId = Annotated[
    str,
    Path(description="A GUID, e.g. 3f0c2a4e-8d1b-4c6a-9e2f-5b7d1a0c9e44 (any letter case)."),
    AfterValidator(_guid),
]
"""The Id of a cycle, step, edge, template or transaction: Junction always makes these GUIDs
(and keeps a caller's only when it is one), so anything else in the path is malformed and
answered 400 naming the parameter, as Cyclr does, rather than 404. Read lower-cased, the
form they are stored in. (Account Ids are the caller's choice and stay free text.)"""
