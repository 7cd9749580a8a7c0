"""Data Tools: number operations.

Numbers are read exactly (as decimals, so 0.1 + 0.2 is 0.3) from a JSON number or text
such as ``12``, ``-3.5`` or ``1e3``; results are JSON numbers (whole numbers as integers).
Rounding is half away from zero (2.5 gives 3, -2.5 gives -3), at 0-20 decimal places.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from junction.utilities.data_values import flag, number, plain, separator, whole
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

Records = list[dict[str, Any]]

MAX_PLACES = 20


def _places(inputs: dict[str, Any], default: int) -> int:
    places = whole(inputs, "Places")
    if places is None:
        return default
    if not 0 <= places <= MAX_PLACES:
        raise UtilityError(f"Places: must be between 0 and {MAX_PLACES}")
    return places


def _rounded(value: Decimal, places: int) -> Decimal:
    try:
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a decimal holds (28)
        raise UtilityError(f"Number: too many digits to give {places} decimal places") from None


@operation("data-tools/number-round")
async def round_number(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    value = number(inputs, "Number")
    return [{"Result": plain(_rounded(value, _places(inputs, 0)))}]


@operation("data-tools/number-add")
async def add(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Result": plain(number(inputs, "Number1") + number(inputs, "Number2"))}]


@operation("data-tools/number-subtract")
async def subtract(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Number1 minus Number2."""
    return [{"Result": plain(number(inputs, "Number1") - number(inputs, "Number2"))}]


@operation("data-tools/number-multiply")
async def multiply(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Result": plain(number(inputs, "Number1") * number(inputs, "Number2"))}]


@operation("data-tools/number-divide")
async def divide(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Dividend divided by Divisor (to 28 significant digits)."""
    dividend = number(inputs, "Dividend")
    divisor = number(inputs, "Divisor")
    if divisor == 0:
        raise UtilityError("Divisor: cannot be zero")
    return [{"Result": plain(dividend / divisor)}]


@operation("data-tools/number-format")
async def format_number(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The number as text with exactly ``Places`` decimals (2 by default), with commas
    between thousands when ``ThousandsSeparator`` is true: 1234.5 gives "1,234.50"."""
    value = _rounded(number(inputs, "Number"), _places(inputs, 2))
    grouping = "," if flag(inputs, "ThousandsSeparator", False) else ""
    return [{"Text": f"{value:{grouping}f}"}]


@operation("data-tools/number-parse")
async def parse_number(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """A number read from text, after removing ``GroupSeparator`` characters (``,`` by
    default) and reading ``DecimalSeparator`` (``.`` by default) as the decimal point:
    "1,234.50" gives 1234.5; with separators "." and ",", "1.234,50" does too."""
    raw = text(inputs, "Text").strip()
    group = separator(inputs, "GroupSeparator", ",")
    point = separator(inputs, "DecimalSeparator", ".")
    if len(point) != 1:
        raise UtilityError("DecimalSeparator: must be exactly one character")
    if group == point:
        raise UtilityError("GroupSeparator: must differ from the decimal separator")
    cleaned = raw.replace(group, "").replace(point, ".").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise UtilityError(f"Text: '{raw}' is not a number") from None
    if not value.is_finite():
        raise UtilityError(f"Text: '{raw}' is not a number")
    return [{"Number": plain(value)}]
