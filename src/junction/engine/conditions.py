"""Decision steps: conditions compared as numbers, dates or text, whichever both sides are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from junction.connectors.runtime import as_utc, parse_iso
from junction.engine.inputs import Scope, resolve
from junction.templates.spec.models import Condition


def _empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, list):
        return all(_empty(v) for v in value)
    if isinstance(value, dict):
        return not value
    return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return str(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


def _date(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        return parse_iso(value)
    return None


def _ordered(left: Any, right: Any) -> tuple[Any, Any] | None:
    """Both sides as numbers, else as dates, else None (no order between them)."""
    numbers = _number(left), _number(right)
    if numbers[0] is not None and numbers[1] is not None:
        return numbers
    dates = _date(left), _date(right)
    if dates[0] is not None and dates[1] is not None:
        return dates
    return None


def _equal(left: Any, right: Any) -> bool:
    ordered = _ordered(left, right)
    if ordered is not None:
        return bool(ordered[0] == ordered[1])
    return _text(left).casefold() == _text(right).casefold()


def _compare(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(left: Any, right: Any) -> bool:
        ordered = _ordered(left, right)
        if ordered is None:
            return test(_text(left).casefold(), _text(right).casefold())
        return test(*ordered)

    return check


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": _equal,
    "NotEquals": lambda a, b: not _equal(a, b),
    "Contains": lambda a, b: _text(b).casefold() in _text(a).casefold(),
    "NotContains": lambda a, b: _text(b).casefold() not in _text(a).casefold(),
    "StartsWith": lambda a, b: _text(a).casefold().startswith(_text(b).casefold()),
    "EndsWith": lambda a, b: _text(a).casefold().endswith(_text(b).casefold()),
    "GreaterThan": _compare(lambda a, b: a > b),
    "GreaterThanOrEqual": _compare(lambda a, b: a >= b),
    "LessThan": _compare(lambda a, b: a < b),
    "LessThanOrEqual": _compare(lambda a, b: a <= b),
    "IsEmpty": lambda a, _b: _empty(a),
    "IsNotEmpty": lambda a, _b: not _empty(a),
}


def holds(condition: Condition, scope: Scope) -> bool:
    left = resolve(condition.Left, scope)
    right = None
    if condition.Operator not in ("IsEmpty", "IsNotEmpty"):
        right = resolve(condition.Right, scope)
    test = _OPERATORS[condition.Operator]
    if isinstance(left, list) and condition.Operator not in ("IsEmpty", "IsNotEmpty"):
        # A field of a collection: the condition holds when it holds for any of its items.
        return any(test(value, right) for value in left)
    return test(left, right)


def decide(conditions: list[Condition], combine: str, scope: Scope) -> bool:
    results = (holds(c, scope) for c in conditions)
    return all(results) if combine == "All" else any(results)
