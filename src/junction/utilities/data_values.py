"""Reading the inputs of the tools utilities (Cyclr Tools, Data Tools, Generic File):
flags, numbers, whole lists, separators, dates and time zones. A bad input raises
``UtilityError`` whose message starts with the field's name."""

from __future__ import annotations

import math
from datetime import UTC, datetime, tzinfo
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from junction.utilities.operations import UtilityError, text

MAX_EXPONENT = 100  # numbers up to 10^100: bounds the work and the size of a result
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}
# Two-character escapes a separator field may hold, since a form field cannot hold a tab.
_ESCAPES = {"\\t": "\t", "\\n": "\n", "\\r": "\r"}


def flag(inputs: dict[str, Any], name: str, default: bool) -> bool:
    """true/false, 1/0, yes/no (any case); empty gives the default."""
    value = inputs.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, list | dict):
        raise UtilityError(f"{name}: must be a single value, not a list")
    word = str(value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise UtilityError(f"{name}: '{value}' is not true or false")


def whole(inputs: dict[str, Any], name: str, *, required: bool = False) -> int | None:
    """A whole number, or None when empty and not required."""
    value = inputs.get(name)
    if value is None or value == "":
        if required:
            raise UtilityError(f"{name}: required")
        return None
    if isinstance(value, bool | list | dict):
        raise UtilityError(f"{name}: '{value}' is not a whole number")
    try:
        return int(str(value).strip())
    except ValueError:
        raise UtilityError(f"{name}: '{value}' is not a whole number") from None


def number(inputs: dict[str, Any], name: str) -> Decimal:
    """A required finite number (``12``, ``-3.5``, ``1e3``), kept exact as a Decimal."""
    value = inputs.get(name)
    if value is None or value == "":
        raise UtilityError(f"{name}: required")
    if isinstance(value, bool | list | dict):
        raise UtilityError(f"{name}: '{value}' is not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise UtilityError(f"{name}: '{value}' is not a number")
    try:
        result = Decimal(str(value).strip())
    except InvalidOperation:
        raise UtilityError(f"{name}: '{value}' is not a number") from None
    if not result.is_finite():
        raise UtilityError(f"{name}: '{value}' is not a number")
    if result and result.adjusted() > MAX_EXPONENT:
        raise UtilityError(f"{name}: '{value}' is too large")
    return result


def plain(value: Decimal) -> int | float:
    """A Decimal as the JSON number later steps see: whole numbers stay integers."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)


def items(inputs: dict[str, Any], name: str) -> list[Any]:
    """A whole list (a mapped collection); a single value is a list of one, empty is []."""
    value = inputs.get(name)
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, tuple):
        return list(value)
    return [value]


def separator(inputs: dict[str, Any], name: str, default: str) -> str:
    """Text used between items; ``\\t``, ``\\n`` and ``\\r`` as typed mean tab, new line and
    carriage return. Empty gives the default (spaces are kept: " " is a separator)."""
    value = inputs.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, list | dict):
        raise UtilityError(f"{name}: must be a single value, not a list")
    result = str(value)
    for escape, character in _ESCAPES.items():
        result = result.replace(escape, character)
    return result


def zone(inputs: dict[str, Any], name: str, *, default: str | None = "UTC") -> tzinfo:
    """An IANA time zone (``Europe/London``); ``UTC`` when empty unless required."""
    key = text(inputs, name, required=default is None).strip() or default or ""
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UtilityError(f"{name}: unknown time zone '{key}'") from None


def moment(inputs: dict[str, Any], name: str, *, naive_zone: tzinfo = UTC) -> datetime:
    """A required ISO 8601 date or date-time (``2024-03-01``, ``2024-03-01T09:30:00Z``,
    ``...+02:00``); one without an offset is read in ``naive_zone`` (UTC unless told)."""
    value = inputs.get(name)
    if isinstance(value, datetime):
        parsed = value
    else:
        raw = text(inputs, name).strip()
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            raise UtilityError(f"{name}: '{raw}' is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_zone)
    return parsed


def iso(value: datetime) -> str:
    """ISO 8601 with its offset, ``Z`` for UTC."""
    return value.isoformat().replace("+00:00", "Z")
