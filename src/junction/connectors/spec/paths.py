r"""Connector field paths such as ``[records].EmailAddress`` or ``meta.cursors.after``.

A path is a dot-separated list of segments. ``name`` steps into an object; ``[name]`` steps
into an object and then into *each item* of the list found there; a bare ``[]`` (only as
the first segment) means the document itself is a list. A name holding a dot writes it
``\.``: ``@odata\.nextLink`` is the one key ``@odata.nextLink`` (Microsoft Graph's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

_SEGMENT = re.compile(r"^(?:\[(?P<list>[^\[\].]*)\]|(?P<key>[^\[\].]+))$")
_SEPARATOR = re.compile(r"(?<!\\)\.")
_ESCAPED_DOT = "\\."
_HELD_DOT = "\x00"  # stands for an escaped dot while a segment is matched


def escape_key(name: str) -> str:
    """``name`` as one segment of a path (its dots escaped)."""
    return name.replace(".", _ESCAPED_DOT)


class PathError(ValueError):
    pass


@dataclass(frozen=True)
class Segment:
    key: str | None  # None only for the root list "[]"
    is_list: bool


@dataclass(frozen=True)
class FieldPath:
    text: str
    segments: tuple[Segment, ...]

    @property
    def list_depth(self) -> int:
        return sum(1 for s in self.segments if s.is_list)

    @property
    def collection(self) -> FieldPath | None:
        """The path of the innermost list this field belongs to (``[records]``), if any."""
        for index in range(len(self.segments) - 1, -1, -1):
            if self.segments[index].is_list:
                segments = self.segments[: index + 1]
                return FieldPath(_render(segments), segments)
        return None

    def get(self, document: Any) -> Any:
        """The value at this path; for paths through lists, a (nested) list of values."""
        return _get(document, self.segments)

    def set(self, document: dict[str, Any] | list[Any], value: Any) -> None:
        """Set a value at a path without lists (request bodies are built item by item)."""
        if self.list_depth:
            raise PathError(f"'{self.text}' goes through a list; set its items one by one")
        target: Any = document
        for segment in self.segments[:-1]:
            assert segment.key is not None
            target = target.setdefault(segment.key, {})
        last = self.segments[-1].key
        assert last is not None
        target[last] = value


def _render(segments: tuple[Segment, ...]) -> str:
    return ".".join(
        f"[{escape_key(s.key or '')}]" if s.is_list else escape_key(str(s.key)) for s in segments
    )


def _get(value: Any, segments: tuple[Segment, ...]) -> Any:
    if not segments:
        return value
    head, rest = segments[0], segments[1:]
    if head.key is not None:
        if not isinstance(value, dict):
            return None
        value = value.get(head.key)
    if head.is_list:
        if value is None:
            return []
        if not isinstance(value, list):
            value = [value]
        return [_get(item, rest) for item in value]
    return _get(value, rest)


@cache
def parse_path(text: str) -> FieldPath:
    if not text or text != text.strip():
        raise PathError("a field path cannot be empty or have spaces around it")
    segments: list[Segment] = []
    for index, part in enumerate(_SEPARATOR.split(text)):
        match = _SEGMENT.match(part.replace(_ESCAPED_DOT, _HELD_DOT))
        if match is None or "\\" in part.replace(_ESCAPED_DOT, ""):
            raise PathError(
                f"'{text}': segment '{part}' must be a name or a [name] (for a list); "
                "write a dot in a name as \\."
            )
        if match.group("list") is not None:
            name = match.group("list").replace(_HELD_DOT, ".")
            if not name and index != 0:
                raise PathError(f"'{text}': only the first segment may be an unnamed list []")
            segments.append(Segment(name or None, True))
        else:
            segments.append(Segment(match.group("key").replace(_HELD_DOT, "."), False))
    return FieldPath(text, tuple(segments))
