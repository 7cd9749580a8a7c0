"""Names the connector format constrains: identifiers, mergefield names, versions, texts.

Method identifiers must not change when a partner imports a new edition of the same
document, since MethodUniqueIdentifier is how templates find a method again in a newer
release. So each one depends only on its own operation (its operationId, else its verb and
path), never on its position or on the other operations, except where two would clash.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IDENTIFIER_MAX = 128
_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_.:-]+")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
_NOT_MERGEFIELD = re.compile(r"[^A-Za-z0-9_]+")
_NOT_VERSION = re.compile(r"[^A-Za-z0-9._-]+")
VERSION = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
TEXT_MAX = 255


def identifier(text: str, fallback: str = "x") -> str:
    """``text`` with every run of characters an identifier cannot hold replaced by ``_``."""
    cleaned = _NOT_IDENTIFIER.sub("_", text).strip("_")[:IDENTIFIER_MAX].rstrip("_")
    return cleaned or fallback


def mergefield_name(text: str) -> str:
    """A name usable as ``{{name}}``: letters, digits and ``_``, not starting with a digit."""
    cleaned = _NOT_MERGEFIELD.sub("_", text).strip("_") or "value"
    if cleaned[0].isdigit():
        cleaned = f"_{cleaned}"
    return cleaned[:IDENTIFIER_MAX]


def unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... whichever is free; the result is then taken."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name[: IDENTIFIER_MAX - 1 - len(str(number))]}_{number}"
    taken.add(candidate)
    return candidate


def version(text: str) -> str:
    """A release Version from ``info.version``: ``v1 (beta)`` becomes ``v1-beta``."""
    cleaned = _NOT_VERSION.sub("-", text).strip("-._")[:32].rstrip("-._")
    return cleaned or "1.0"


def one_line(text: object, limit: int = TEXT_MAX) -> str:
    """Whitespace folded, cut to ``limit`` characters (a method Name is at most 255)."""
    folded = " ".join(str(text).split())
    return folded if len(folded) <= limit else folded[: limit - 3].rstrip() + "..."


@dataclass(frozen=True)
class OperationKey:
    operation_id: str | None
    verb: str  # upper case
    path: str


def _suffix(key: OperationKey) -> str:
    # A hash of what identifies the operation in any edition of the document.
    return hashlib.sha1(f"{key.verb} {key.path}".encode(), usedforsecurity=False).hexdigest()[:8]


def method_identifiers(keys: Iterable[OperationKey]) -> list[str]:
    """One MethodUniqueIdentifier per operation, unique and stable.

    The operationId, cleaned up, or else the verb and path (``get_pets_petId``). When several
    operations would get the same one, an operation whose operationId was already a valid
    identifier keeps it, and each of the others gets ``-`` and a short hash of its verb and
    path: the result depends on the clashing operations only, never on document order.
    """
    keys = list(keys)
    candidates: list[tuple[str, bool]] = []  # (identifier, exact: taken as written)
    for key in keys:
        if key.operation_id:
            exact = _IDENTIFIER.match(key.operation_id) is not None
            candidates.append((identifier(key.operation_id), exact))
        else:
            path = key.path.replace("{", "").replace("}", "")
            candidates.append((identifier(f"{key.verb.lower()}{path}"), False))
    groups: dict[str, list[int]] = defaultdict(list)
    for index, (name, _) in enumerate(candidates):
        groups[name].append(index)
    result = [name for name, _ in candidates]
    taken = {name for name, members in groups.items() if len(members) == 1}
    for name, members in groups.items():
        if len(members) == 1:
            continue
        exact_ones = [index for index in members if candidates[index][1]]
        keeper = exact_ones[0] if len(exact_ones) == 1 else None
        if keeper is not None:
            taken.add(name)
        for index in members:
            if index == keeper:
                continue
            base = f"{name[: IDENTIFIER_MAX - 9]}-{_suffix(keys[index])}"
            result[index] = unique(base, taken)
    return result


_WORD = re.compile(r"[A-Za-z0-9]+")


def system_field(path: str) -> str:
    """A readable SystemField for a field path: ``[data].gid`` gives ``DataGid``,
    ``response_metadata.next_cursor`` ``ResponseMetadataNextCursor``, ``[].id`` ``Id``."""
    words = _WORD.findall(path)
    name = "".join(word[0].upper() + word[1:] for word in words)[:IDENTIFIER_MAX]
    return name or "Value"


def name_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each field with a SystemField from its path, unique among ``fields`` (a later field
    whose name is taken gets ``_2``, ``_3``...); a SystemField already set is kept."""
    taken = {str(f["SystemField"]) for f in fields if "SystemField" in f}
    named = []
    for spec in fields:
        if "SystemField" not in spec:
            name = unique(system_field(str(spec["ConnectorField"])), taken)
            spec = {"ConnectorField": spec["ConnectorField"], "SystemField": name, **spec}
        named.append(spec)
    return named
