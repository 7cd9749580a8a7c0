"""Date helpers in place of moment.js: format, parse and add, with IANA time zones.

A date argument is ISO 8601 text (``2024-05-01``, ``2024-05-01T10:00:00+02:00``; no offset
means UTC), a JavaScript ``Date`` or a number of milliseconds since 1970 (the prelude turns
a ``Date`` into ISO text). Dates come back as ISO 8601 in UTC, ``2024-05-01T08:00:00Z``,
with milliseconds when there are any (``.250Z``), as precise as JavaScript dates. Formats
are the .NET-style custom formats of connector definitions (``dates.compile_format``).
"""

from __future__ import annotations

import calendar
import math
import re
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import quickjs

# The dates module itself, not the runtime's package face: the runtime imports scripting
# (its script events), so this module is loaded while that face is still half-built.
from junction.connectors.runtime.dates import as_utc, compile_format, parse_iso
from junction.scripting.functions.bridge import (
    Answer,
    ScriptFunctionError,
    guarded,
    json_of,
    need_text,
    optional_text,
    text,
)

_UNITS = {
    "second": "seconds",
    "minute": "minutes",
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "year": "years",
}
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*")


def iso(value: datetime) -> str:
    value = as_utc(value)
    spec = "milliseconds" if value.microsecond // 1000 else "seconds"
    return value.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def read_date(value: object, argument: str) -> datetime:
    if isinstance(value, bool) or value is None:
        raise ScriptFunctionError(f"{argument} is required: a date as ISO 8601 text")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ScriptFunctionError(f"{argument} is not a date: {value}")
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, ValueError, OSError):
            raise ScriptFunctionError(f"{argument} is out of range: {value}") from None
    if isinstance(value, quickjs.Object):  # a Date gives its ISO text, an invalid one null
        value = json_of(value, argument)
        if not isinstance(value, str):
            raise ScriptFunctionError(f"{argument} is not a valid date")
    found = parse_iso(value) if isinstance(value, str) else None
    if found is None:
        raise ScriptFunctionError(f"{argument} is not an ISO 8601 date: {value!r}")
    return found


def read_zone(name: str | None, argument: str = "timezone") -> tzinfo:
    if name is None or name.strip().upper() in ("UTC", "Z"):
        return UTC
    name = name.strip()
    if not _ZONE_NAME.fullmatch(name):
        raise ScriptFunctionError(f"{argument} is not an IANA time zone: {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScriptFunctionError(f"{argument} is not an IANA time zone: {name!r}") from None


def format_date(value: datetime, pattern: str, zone: tzinfo) -> str:
    if not pattern:
        raise ScriptFunctionError("format is empty")
    local = as_utc(value).astimezone(zone)
    parts = compile_format(pattern).parts  # DateFormat.format would write UTC
    return "".join(part if isinstance(part, str) else part(local) for part in parts)


def parse_date(source: str, pattern: str | None, zone: tzinfo) -> datetime:
    """``source`` read in ``pattern`` (ISO 8601 when None); a time without an offset is in
    ``zone``."""
    if pattern is None:
        try:
            found = datetime.fromisoformat(source.strip())
        except ValueError:
            raise ScriptFunctionError(f"text is not an ISO 8601 date: {source!r}") from None
        return as_utc(found if found.tzinfo else found.replace(tzinfo=zone))
    if not pattern:
        raise ScriptFunctionError("format is empty")
    compiled = compile_format(pattern)
    if compiled.pattern is None:
        raise ScriptFunctionError(f"format {pattern!r} cannot be read (a token repeats)")
    match = compiled.pattern.fullmatch(source.strip())
    read = compiled.parse(source) if match else None
    if match is None or read is None:
        raise ScriptFunctionError(f"text {source!r} does not match the format {pattern!r}")
    if match.groupdict().get("offset") is None and zone is not UTC:
        read = read.replace(tzinfo=zone)  # read as UTC wall time: move it to the zone
    return as_utc(read)


def _add_months(value: datetime, months: int) -> datetime:
    # The 31st plus a month is the month's last day, as in moment.js.
    index = value.year * 12 + value.month - 1 + months
    year, month = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise ScriptFunctionError("the result is out of range")
    day = min(value.day, calendar.monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def add(value: datetime, amount: float, unit: str, zone: tzinfo) -> datetime:
    key = unit.strip().lower()
    unit_name = _UNITS.get(key, key if key in _UNITS.values() else None)
    if unit_name is None:
        raise ScriptFunctionError(f"unit {unit!r} is not one of {', '.join(_UNITS.values())}")
    if not math.isfinite(amount):
        raise ScriptFunctionError(f"amount is not a number: {amount}")
    if unit_name in ("months", "years") and amount != int(amount):
        raise ScriptFunctionError(f"amount must be a whole number of {unit_name}")
    try:
        if unit_name in ("seconds", "minutes", "hours"):  # elapsed time, whatever the zone
            return as_utc(value) + timedelta(**{unit_name: amount})
        # Days and longer move the calendar in the zone: a day is 23 hours over a DST change.
        local = as_utc(value).astimezone(zone).replace(tzinfo=None)
        if unit_name in ("months", "years"):
            local = _add_months(local, int(amount) * (12 if unit_name == "years" else 1))
        else:
            local += timedelta(**{unit_name: amount})
        return as_utc(local.replace(tzinfo=zone))
    except (OverflowError, ValueError):
        raise ScriptFunctionError("the result is out of range") from None


def _amount(value: object) -> float:
    if isinstance(value, bool) or value is None:
        raise ScriptFunctionError("amount must be a number")
    if isinstance(value, int | float):
        return value
    try:
        return float(need_text(value, "amount").strip())
    except ValueError:
        raise ScriptFunctionError(f"amount must be a number, not {value!r}") from None


@guarded("cyclr_date_format")
def cyclr_date_format(value: object, pattern: object, zone: object) -> Answer:
    moment = read_date(value, "value")
    return text(
        format_date(
            moment, need_text(pattern, "format"), read_zone(optional_text(zone, "timezone"))
        )
    )


@guarded("cyclr_date_parse")
def cyclr_date_parse(source: object, pattern: object, zone: object) -> Answer:
    found = parse_date(
        need_text(source, "text"),
        optional_text(pattern, "format"),
        read_zone(optional_text(zone, "timezone")),
    )
    return text(iso(found))


@guarded("cyclr_date_add")
def cyclr_date_add(value: object, amount: object, unit: object, zone: object) -> Answer:
    moment = read_date(value, "value")
    result = add(
        moment,
        _amount(amount),
        need_text(unit, "unit"),
        read_zone(optional_text(zone, "timezone")),
    )
    return text(iso(result))
