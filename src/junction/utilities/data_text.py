"""Data Tools: text and list operations.

Text operations take ``Text`` (empty is allowed and gives empty text) and return
``{"Result": ...}`` (``{"Length": n}`` for Length; ``{"Items": [...], "Count": n}`` for
Split). List operations take ``Items``, a whole mapped collection (the method's request
field is marked ``WholeList``): a single value counts as a list of one, an empty input as an
empty list. Separators accept ``\\t``, ``\\n`` and ``\\r`` for tab, new line and carriage
return.
"""

from __future__ import annotations

import json
from typing import Any

from junction.utilities.data_values import flag, items, separator, whole
from junction.utilities.operations import UtilityContext, UtilityError, operation, text

Records = list[dict[str, Any]]


@operation("data-tools/text-upper")
async def upper(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Result": text(inputs, "Text", required=False).upper()}]


@operation("data-tools/text-lower")
async def lower(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Result": text(inputs, "Text", required=False).lower()}]


@operation("data-tools/text-trim")
async def trim(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """White space (or each of ``Characters``) removed from both ends."""
    characters = text(inputs, "Characters", required=False) or None
    return [{"Result": text(inputs, "Text", required=False).strip(characters)}]


@operation("data-tools/text-replace")
async def replace(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Every occurrence of ``Find`` (exact text, case-sensitive) replaced."""
    find = text(inputs, "Find")
    replacement = text(inputs, "ReplaceWith", required=False)
    return [{"Result": text(inputs, "Text", required=False).replace(find, replacement)}]


@operation("data-tools/text-substring")
async def substring(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """``Length`` characters (to the end when empty) from ``Start`` (0 is the first);
    past the end gives what there is."""
    start = whole(inputs, "Start") or 0
    if start < 0:
        raise UtilityError("Start: must be 0 or more")
    length = whole(inputs, "Length")
    if length is not None and length < 0:
        raise UtilityError("Length: must be 0 or more")
    value = text(inputs, "Text", required=False)
    end = None if length is None else start + length
    return [{"Result": value[start:end]}]


@operation("data-tools/text-split")
async def split(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The parts between each ``Separator`` (``,`` by default); empty text gives none."""
    value = text(inputs, "Text", required=False)
    parts = value.split(separator(inputs, "Separator", ",")) if value else []
    if flag(inputs, "TrimItems", False):
        parts = [part.strip() for part in parts]
    return [{"Items": parts, "Count": len(parts)}]


@operation("data-tools/text-length")
async def length(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Length": len(text(inputs, "Text", required=False))}]


@operation("data-tools/text-pad")
async def pad(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The text widened to ``Length`` with ``Character`` (a space by default) on the
    ``Side`` given (Left by default); text already as long is unchanged."""
    width = whole(inputs, "Length", required=True)
    assert width is not None
    if width > 10_000:
        raise UtilityError("Length: at most 10000")
    character = separator(inputs, "Character", " ")
    if len(character) != 1:
        raise UtilityError("Character: must be exactly one character")
    side = (text(inputs, "Side", required=False) or "Left").strip().lower()
    if side not in ("left", "right"):
        raise UtilityError("Side: must be Left or Right")
    value = text(inputs, "Text", required=False)
    padded = value.rjust(width, character) if side == "left" else value.ljust(width, character)
    return [{"Result": padded}]


def _key(value: Any) -> str:
    """A value's identity for Distinct (records and lists compare by content)."""
    return json.dumps(value, sort_keys=True, default=str)


@operation("data-tools/list-count")
async def count(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    return [{"Count": len(items(inputs, "Items"))}]


@operation("data-tools/list-first")
async def first(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    values = items(inputs, "Items")
    return [{"Value": values[0] if values else None, "Found": bool(values)}]


@operation("data-tools/list-last")
async def last(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    values = items(inputs, "Items")
    return [{"Value": values[-1] if values else None, "Found": bool(values)}]


@operation("data-tools/list-distinct")
async def distinct(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Each value once, in the order first seen."""
    seen: set[str] = set()
    kept = []
    for value in items(inputs, "Items"):
        key = _key(value)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return [{"Items": kept, "Count": len(kept)}]


@operation("data-tools/list-sort")
async def sort(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """Numbers in numeric order when every value is a number, otherwise by text
    (case-sensitive); empty values go last either way. ``Descending`` reverses the order."""
    values = items(inputs, "Items")
    descending = flag(inputs, "Descending", False)
    present = [v for v in values if v is not None and v != ""]
    empty = [v for v in values if v is None or v == ""]
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)
    if numeric:
        ordered = sorted(present, reverse=descending)
    else:
        ordered = sorted(
            present,
            key=lambda v: v if isinstance(v, str) else _key(v),
            reverse=descending,
        )
    result = ordered + empty
    return [{"Items": result, "Count": len(result)}]


@operation("data-tools/list-join")
async def join(context: UtilityContext, inputs: dict[str, Any]) -> Records:
    """The values as text with ``Separator`` (``,`` by default) between them; empty values
    are left out unless ``KeepEmpty``."""
    values = items(inputs, "Items")
    if not flag(inputs, "KeepEmpty", False):
        values = [v for v in values if v is not None and v != ""]
    glue = separator(inputs, "Separator", ",")
    for index, value in enumerate(values, start=1):
        if isinstance(value, dict | list):
            raise UtilityError(f"Items: item {index} is a record or list, not a value")
    parts = ["" if v is None else _word(v) for v in values]
    return [{"Text": glue.join(parts)}]


def _word(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
