"""Field values converted by their DataType, strictly going out and leniently coming in.

Going out (request fields, parameters) a value that does not fit is the caller's mistake
and is reported (``ConversionError``, turned into a CallInputError naming the field).
Coming back, the API's data is what it is: a value that does not convert is passed on as it
came, since failing a whole call over one odd field would lose every other record.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from junction.connectors.runtime.dates import compile_format, iso_utc, parse_iso
from junction.connectors.spec.models import FieldType

_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})
_DECIMAL_PLACES = Decimal(10) ** -12  # Cyclr rounds Decimal to 12 places
_INTEGER_TEXT = re.compile(r"^[+-]?\d+$")


class ConversionError(ValueError):
    """The message completes "must be ...": the field name is added by the caller."""


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 60 else text[:57] + "..."


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number if number.is_finite() else None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _INTEGER_TEXT.match(value.strip()):
        return int(value)
    number = _decimal(value)
    if number is not None and number == number.to_integral_value():
        return int(number)
    return None


def _float(value: Any) -> float | None:
    number = _decimal(value)
    if number is None:
        return None
    result = float(number)
    return result if math.isfinite(result) else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _datetime(value: Any, fmt: str | None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, str):
        return None
    if fmt:
        parsed = compile_format(fmt).parse(value)
        if parsed is not None:
            return parsed
    return parse_iso(value)


def _rounded(number: Decimal) -> int | float:
    number = number.quantize(_DECIMAL_PLACES, rounding=ROUND_HALF_EVEN)
    return int(number) if number == number.to_integral_value() else float(number)


def to_request_value(data_type: FieldType, value: Any, fmt: str | None = None) -> Any:
    """The value to put in a request body; raises ConversionError when it does not fit."""
    if value is None:
        return None
    if data_type is FieldType.INTEGER:
        integer = _integer(value)
        if integer is None:
            raise ConversionError(f"a whole number (Integer), not {_shown(value)}")
        return integer
    if data_type is FieldType.FLOAT:
        number = _float(value)
        if number is None:
            raise ConversionError(f"a number (Float), not {_shown(value)}")
        return number
    if data_type is FieldType.DECIMAL:
        decimal = _decimal(value)
        if decimal is None:
            raise ConversionError(f"a number (Decimal), not {_shown(value)}")
        return _rounded(decimal)
    if data_type is FieldType.BOOLEAN:
        boolean = _boolean(value)
        if boolean is None:
            raise ConversionError(f"true or false (Boolean), not {_shown(value)}")
        return boolean
    if data_type is FieldType.DATETIME:
        moment = _datetime(value, fmt)
        if moment is None:
            expected = f"in the format {fmt}" if fmt else "ISO 8601"
            raise ConversionError(f"a date-time ({expected}), not {_shown(value)}")
        return compile_format(fmt).format(moment) if fmt else iso_utc(moment)
    # Text: scalars become strings; objects and lists pass as they are, since definitions
    # that name no DataType (Text by default) use Text for structured values too.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return iso_utc(value)
    return value


def to_parameter_text(data_type: FieldType, value: str) -> str:
    """A parameter value (query string, header, mergefield) checked against its DataType."""
    if data_type is FieldType.INTEGER:
        integer = _integer(value)
        if integer is None:
            raise ConversionError(f"a whole number (Integer), not {_shown(value)}")
        return str(integer)
    if data_type in (FieldType.FLOAT, FieldType.DECIMAL):
        if _float(value) is None:
            raise ConversionError(f"a number ({data_type.value}), not {_shown(value)}")
        return value.strip()
    if data_type is FieldType.BOOLEAN:
        boolean = _boolean(value)
        if boolean is None:
            raise ConversionError(f"true or false (Boolean), not {_shown(value)}")
        return "true" if boolean else "false"
    return value


def from_response_value(data_type: FieldType, value: Any, fmt: str | None = None) -> Any:
    """The value of a response field by its DataType; left as it came when it won't convert."""
    if value is None or isinstance(value, dict | list):
        return value
    converted: Any = None
    if data_type is FieldType.INTEGER:
        converted = _integer(value)
    elif data_type is FieldType.FLOAT:
        converted = _float(value)
    elif data_type is FieldType.DECIMAL:
        decimal = _decimal(value)
        converted = None if decimal is None else _rounded(decimal)
        if isinstance(converted, int) and not isinstance(value, int):
            converted = float(converted)
    elif data_type is FieldType.BOOLEAN:
        converted = _boolean(value)
    elif data_type is FieldType.DATETIME:
        moment = _datetime(value, fmt) if isinstance(value, str) else None
        converted = None if moment is None else iso_utc(moment)
    elif isinstance(value, bool):
        converted = "true" if value else "false"
    elif isinstance(value, int | float):
        converted = str(value)
    return value if converted is None else converted
