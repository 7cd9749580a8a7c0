"""What a conversion could not carry over, field by field, located in the source document."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Note:
    location: str  # in the Cyclr document, e.g. Methods[2].RequestFormat[0].IsReadOnly
    message: str


@dataclass
class Notes:
    items: list[Note] = field(default_factory=list)

    def add(self, location: str, message: str) -> None:
        self.items.append(Note(location, message))

    def dropped(self, source: dict[str, Any], where: str, keys: dict[str, str]) -> None:
        """Note each of ``keys`` (name -> why) that the source sets to something."""
        for key, why in keys.items():
            if _set(source.get(key)):
                self.add(_at(where, key), why)

    def unknown(self, source: dict[str, Any], where: str, known: set[str]) -> None:
        """Note every key that the conversion does not know, so none is lost silently."""
        for key in source:
            if key not in known and _set(source[key]):
                self.add(_at(where, key), "not a key Junction knows; left out")


def _set(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def text(value: Any) -> str | None:
    """A value as text, or None when it is empty."""
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def objects(value: Any, where: str, notes: Notes) -> list[tuple[int, dict[str, Any]]]:
    """The objects of a list with their index; anything else in it is noted and skipped."""
    if value is None:
        return []
    if not isinstance(value, list):
        notes.add(where, "is not a list; left out")
        return []
    found = []
    for index, item in enumerate(value):
        if isinstance(item, dict):
            found.append((index, item))
        else:
            notes.add(f"{where}[{index}]", "is not an object; left out")
    return found
