"""Choosing which operations of a document to import: by tag, by text, or both.

A large description (hundreds of operations) usually holds far more than one connector
needs; the partner lists the operations first (``list_operations``) and then imports only
those an ``OperationChoice`` keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

from junction.connectors.openapi.document import identify, parse
from junction.connectors.openapi.notes import Notes
from junction.connectors.openapi.operations import Operation, operations
from junction.connectors.openapi.refs import Resolver

# The tag of an operation that has none, so that untagged operations can be chosen too.
UNTAGGED = ""


def tags_of(op: Operation) -> tuple[str, ...]:
    raw = op.node.get("tags")
    tags = (
        tuple(str(tag).strip() for tag in raw if str(tag).strip()) if isinstance(raw, list) else ()
    )
    return tags or (UNTAGGED,)


def _text_of(op: Operation) -> str:
    return _searched(op.verb, op.path, op.operation_id, op.node.get("summary"))


def _searched(*parts: object) -> str:
    return " ".join(str(part) for part in parts if part).lower()


def _path_matches(wanted: str, path: str) -> bool:
    wanted = wanted.strip()
    if wanted.endswith("*"):
        return path.startswith(wanted[:-1])
    return path == wanted


@dataclass(frozen=True)
class OperationChoice:
    """Which operations to keep: any of ``tags`` (``None``: every tag; ``UNTAGGED`` for
    operations without one), of any of ``paths`` (``None``: every path; a path as the
    document writes it, or ending in ``*`` for every path starting so), whose verb, path,
    operationId or summary contains ``search``."""

    tags: frozenset[str] | None = None
    search: str = ""
    paths: tuple[str, ...] | None = None

    def keeps(self, op: Operation) -> bool:
        return self._chooses(tags_of(op), _text_of(op), op.path)

    def keeps_summary(self, op: OperationSummary) -> bool:
        return self._chooses(op.tags, op.text, op.path)

    def _chooses(self, tags: tuple[str, ...], text: str, path: str) -> bool:
        if self.tags is not None and not self.tags.intersection(tags):
            return False
        if self.paths is not None and not any(_path_matches(p, path) for p in self.paths):
            return False
        wanted = self.search.strip().lower()
        return not wanted or wanted in text


@dataclass(frozen=True)
class OperationSummary:
    verb: str  # upper case
    path: str
    operation_id: str | None
    summary: str | None
    tags: tuple[str, ...]

    @property
    def text(self) -> str:
        return _searched(self.verb, self.path, self.operation_id, self.summary)


def list_operations(source: str | bytes) -> list[OperationSummary]:
    """Every importable operation of a document, in document order (OpenApiInvalid when
    the document cannot be read at all; broken operations are left to the import to report)."""
    document = identify(parse(source))
    notes = Notes()
    found = operations(document, Resolver(document.root, notes), notes)
    return [
        OperationSummary(
            op.verb.upper(),
            op.path,
            op.operation_id,
            str(op.node["summary"]).strip() or None if op.node.get("summary") else None,
            tags_of(op),
        )
        for op in found
    ]
