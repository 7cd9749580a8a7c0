"""Data Tools: date and time operations.

Dates are read as ISO 8601 (``2024-03-01``, ``2024-03-01T09:30:00Z``,
``2024-03-01T09:30:00+02:00``); one without an offset is taken to be UTC (for Convert, to be
in ``FromTimeZone``). Results are ISO 8601 with their offset (``Z`` for UTC). Time zones
are IANA names (``Europe/London``, ``America/New_York``, ``UTC``). Formats are .NET-style
custom format strings, as connector definitions use them (``yyyy-MM-dd HH:mm:ss``; see
``connectors/runtime/dates.py`` for the tokens). Adding and subtracting works on the
instant, so adding 24 hours and adding 1 day are the same across a daylight-saving change.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from junction.connectors.runtime import compile_format
from junction.utilities.data_values import iso, moment, whole, zone
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

Records = list[dict[str, Any]]

MAX_FORMAT = 200


def _format(inputs: dict[str, Any]) -> str:
    value = text(inputs, "Format")
    if len(value) > MAX_FORMAT:
        raise UtilityError(f"Format: {len(value)} characters; at most {MAX_FORMAT} are allowed")
    return value


@operation("data-tools/date-now")
async def now(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The time now in ``TimeZone`` (UTC when empty)."""
    where = zone(inputs, "TimeZone")
    return [{"Date": iso(context.now.astimezone(UTC).astimezone(where))}]


@operation("data-tools/date-convert")
async def convert(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The same instant in ``ToTimeZone``; a ``Date`` without an offset is read in
    ``FromTimeZone`` (UTC when empty)."""
    origin = zone(inputs, "FromTimeZone")
    target = zone(inputs, "ToTimeZone", default=None)
    value = moment(inputs, "Date", naive_zone=origin)
    return [{"Date": iso(value.astimezone(target))}]


@operation("data-tools/date-format")
async def format_date(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The date as text in ``Format``, shown in ``TimeZone`` (UTC when empty)."""
    pattern = compile_format(_format(inputs))
    local = moment(inputs, "Date").astimezone(zone(inputs, "TimeZone"))
    parts = [part if isinstance(part, str) else part(local) for part in pattern.parts]
    return [{"Text": "".join(parts)}]


@operation("data-tools/date-parse")
async def parse_date(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The date ``Text`` holds, as ISO 8601 in UTC: read with ``Format`` when given,
    as ISO 8601 otherwise (no offset means UTC)."""
    raw = text(inputs, "Text").strip()
    if not text(inputs, "Format", required=False):
        parsed = moment({"Text": raw}, "Text").astimezone(UTC)
        return [{"Date": iso(parsed)}]
    layout = _format(inputs)
    pattern = compile_format(layout)
    if pattern.pattern is None:
        raise UtilityError(f"Format: '{layout}' names a part twice and cannot be read")
    found = pattern.parse(raw)
    if found is None:
        raise UtilityError(f"Text: '{raw}' does not match the format '{layout}'")
    return [{"Date": iso(found)}]


@operation("data-tools/date-add")
async def add(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """``Date`` plus ``Days``, ``Hours`` and ``Minutes`` (each may be negative)."""
    value = moment(inputs, "Date")
    change = {name: whole(inputs, name) or 0 for name in ("Days", "Hours", "Minutes")}
    try:
        result = value + timedelta(
            days=change["Days"], hours=change["Hours"], minutes=change["Minutes"]
        )
    except OverflowError:
        raise UtilityError("Date: the result is outside the years 1-9999") from None
    return [{"Date": iso(result)}]


@operation("data-tools/date-subtract")
async def subtract(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """``Date`` minus ``Days``, ``Hours`` and ``Minutes``."""
    negated = dict(inputs)
    for name in ("Days", "Hours", "Minutes"):
        amount = whole(inputs, name)
        negated[name] = None if amount is None else -amount
    return await add(context, negated)


@operation("data-tools/date-difference")
async def difference(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Seconds from ``Start`` to ``End`` (negative when End is earlier)."""
    start = moment(inputs, "Start")
    end = moment(inputs, "End")
    seconds = (end - start).total_seconds()
    return [{"Seconds": int(seconds) if seconds.is_integer() else seconds}]
