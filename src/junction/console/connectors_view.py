"""What the connector pages show, read from the catalogue: releases grouped by connector,
methods grouped by category, partner properties as set or not (never their values), and
documents read from a form's file or pasted text."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import UploadFile
from sqlalchemy.ext.asyncio import AsyncSession

from junction.audit import service as audit
from junction.connectors.catalog import partner_properties
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.openapi import UNTAGGED, OperationSummary
from junction.connectors.spec.models import ConnectorDefinition, MethodSpec
from junction.connectors.spec.validate import DefinitionInvalid, Problem
from junction.errors import BadRequest, JunctionError, PayloadTooLarge

_MERGEFIELD = re.compile(r"\{\{\s*[A-Za-z0-9_.-]+\s*\}\}")
PROPERTIES_KIND = "connector-properties"
NO_CATEGORY = "Other methods"
NO_TAG = "(no tag)"


def auth_type(definition: ConnectorDefinition) -> str:
    """The default authentication's type, as the API's ``AuthType`` gives it."""
    auths = definition.Authentication
    default = next((a for a in auths if a.IsDefault), auths[0] if auths else None)
    return default.Type.value if default else "None"


def icon_of(definition: ConnectorDefinition) -> str | None:
    """An icon the console's content policy lets the browser load (data: or https:)."""
    icon = (definition.Icon or "").strip()
    return icon if icon.startswith(("data:image/", "https://")) else None


@dataclass(frozen=True)
class CatalogueRow:
    """One connector: every release of its name, described by the one templates use."""

    name: str
    releases: list[Connector]
    shown: Connector
    definition: ConnectorDefinition

    @property
    def auth_type(self) -> str:
        return auth_type(self.definition)

    @property
    def icon(self) -> str | None:
        return icon_of(self.definition)

    @property
    def method_count(self) -> int:
        return len(self.definition.Methods)


def catalogue(releases: Sequence[Connector]) -> list[CatalogueRow]:
    """Releases (in Id order) grouped by connector name, sorted by name."""
    by_name: dict[str, list[Connector]] = {}
    for release in releases:
        by_name.setdefault(release.name, []).append(release)
    rows = []
    for name in sorted(by_name, key=str.lower):
        group = by_name[name]
        shown = catalog.choose_release(group, None) or group[-1]
        rows.append(CatalogueRow(name, group, shown, catalog.definition_of(shown)))
    return rows


def categories(releases: Sequence[Connector]) -> list[str]:
    """Every category named by any release, for the catalogue's filter."""
    names: dict[str, str] = {}
    for release in releases:
        for category in catalog.definition_of(release).Categories:
            names.setdefault(category.lower(), category)
    return sorted(names.values(), key=str.lower)


def method_groups(definition: ConnectorDefinition) -> list[tuple[str, list[MethodSpec]]]:
    """Methods by Category, in the order categories first appear; uncategorised last."""
    groups: dict[str, list[MethodSpec]] = {}
    for method in definition.Methods:
        groups.setdefault(method.Category or "", []).append(method)
    named = [(name, methods) for name, methods in groups.items() if name]
    rest = groups.get("")
    return named + ([(NO_CATEGORY if named else "Methods", rest)] if rest else [])


def _masked(value: Any, sensitive: bool = False) -> Any:
    if isinstance(value, list):
        return [_masked(item) for item in value]
    if not isinstance(value, dict):
        return value
    hide = sensitive or bool(value.get("Sensitive"))
    shown: dict[str, Any] = {}
    for key, item in value.items():
        literal = isinstance(item, str) and item and not _MERGEFIELD.fullmatch(item.strip())
        if literal and (key == "ClientSecret" or (hide and key in ("Value", "DefaultValue"))):
            shown[key] = audit.HIDDEN
        else:
            shown[key] = _masked(item)
    return shown


def pretty(document: dict[str, Any]) -> str:
    """The stored definition for reading, with secrets written into it left out: a client
    secret or a Sensitive parameter's value (a ``{{mergefield}}`` in their place is shown)."""
    return json.dumps(_masked(document), indent=2, ensure_ascii=False)


@dataclass(frozen=True)
class PropertyState:
    name: str
    label: str
    description: str | None
    sensitive: bool
    is_set: bool
    changed_at: datetime | None  # the last change made through the console


async def property_states(
    *, session: AsyncSession, connector: Connector, definition: ConnectorDefinition
) -> list[PropertyState]:
    """The connector's partner properties, whether each holds a value, and when the console
    last changed it (read from the audit log, which names properties but never values)."""
    wanted = [p for p in definition.Parameters if p.PartnerConnectorProperty]
    if not wanted:
        return []
    stored = set(await partner_properties.names_set(session=session, connector_name=connector.name))
    entries = await audit.newest(
        session=session,
        query=audit.entries_query(target_kind=PROPERTIES_KIND, target_id=connector.name),
        limit=200,
    )
    changed: dict[str, datetime] = {}
    for entry in entries:  # newest first: the first mention of a name is its last change
        after = entry.after if isinstance(entry.after, dict) else {}
        for name in [*after.get("Set", []), *after.get("Removed", [])]:
            changed.setdefault(str(name), entry.at)
    return [
        PropertyState(
            p.TargetName,
            p.DisplayName or p.TargetName,
            p.Description,
            p.Sensitive,
            p.TargetName in stored,
            changed.get(p.TargetName),
        )
        for p in wanted
    ]


@dataclass(frozen=True)
class Refusal:
    """Why a document was refused: a message, and each problem with its location."""

    message: str
    problems: list[Problem]
    status_code: int


def refusal(exc: JunctionError) -> Refusal:
    if isinstance(exc, DefinitionInvalid):
        count = len(exc.problems)
        message = f"{exc.subject} has {count} problem{'s' if count != 1 else ''}:"
        return Refusal(message, list(exc.problems), exc.status_code)
    return Refusal(exc.message.removeprefix("Document: "), [], exc.status_code)


async def document_text(file: UploadFile | None, pasted: str, *, limit: int) -> str:
    """The document sent: the file when one was chosen, else the pasted text."""
    if file is not None and file.filename:
        raw = await file.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"Document: the file is larger than {limit} bytes")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("Document: the file is not UTF-8 text") from None
    if not pasted.strip():
        raise BadRequest("Document: choose a file or paste the document")
    if len(pasted.encode()) > limit:
        raise PayloadTooLarge(f"Document: the text is larger than {limit} bytes")
    return pasted


@dataclass(frozen=True)
class TagCount:
    tag: str  # UNTAGGED for operations without one
    label: str
    count: int


def tag_counts(found: Sequence[OperationSummary]) -> list[TagCount]:
    counts: dict[str, int] = {}
    for op in found:
        for tag in op.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return [TagCount(tag, tag if tag != UNTAGGED else NO_TAG, n) for tag, n in counts.items()]
