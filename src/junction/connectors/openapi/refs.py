"""Following local ``$ref``s (``#/components/...``, ``#/definitions/...``) lazily.

Targets are looked up on first use and remembered, so a schema shared by a thousand
operations is found once; nothing is copied. References to other files or URLs are not
followed: the import notes them and carries on without what they point at.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from junction.connectors.openapi.notes import Notes

_MISSING = object()
MAX_CHAIN = 32


def pointer_location(ref: str) -> str:
    """``#/components/schemas/Pet`` as a location: ``components.schemas.Pet``."""
    return ".".join(_tokens(ref)) or "(document)"


def _tokens(ref: str) -> list[str]:
    fragment = unquote(ref[1:])
    if not fragment:
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in fragment.lstrip("/").split("/")]


class Resolver:
    def __init__(self, root: dict[str, Any], notes: Notes) -> None:
        self.root = root
        self.notes = notes
        self._targets: dict[str, Any] = {}

    def target(self, ref: str) -> Any:
        """What a local reference points at, or ``_MISSING``."""
        found = self._targets.get(ref, None)
        if found is None and ref not in self._targets:
            found = self._walk(ref)
            self._targets[ref] = found
        return found

    def _walk(self, ref: str) -> Any:
        node: Any = self.root
        for token in _tokens(ref):
            if isinstance(node, dict):
                node = node.get(token, _MISSING)
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return _MISSING
            if node is _MISSING:
                return _MISSING
        return node

    def resolve(self, node: Any, where: str) -> tuple[Any, str, str | None]:
        """``(node, location, ref)`` with references followed; node is None when they fail.

        ``ref`` is the last reference followed (None when ``node`` was no reference), which
        lets schema walks notice a schema that contains itself.
        """
        last: str | None = None
        for _ in range(MAX_CHAIN):
            if not isinstance(node, dict) or "$ref" not in node:
                return node, where, last
            ref = node["$ref"]
            if not isinstance(ref, str):
                self.notes.problem(f"{where}.$ref", "must be a string")
                return None, where, last
            if not ref.startswith("#"):
                self.notes.warn(where, f"the external reference '{ref}' is not followed; skipped")
                return None, where, last
            found = self.target(ref)
            if found is _MISSING:
                self.notes.problem(where, f"$ref '{ref}' points at nothing in the document")
                return None, where, last
            node, where, last = found, pointer_location(ref), ref
        self.notes.problem(where, f"$ref chain longer than {MAX_CHAIN} (a loop?)")
        return None, where, last
