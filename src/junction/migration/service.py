"""Importing a Cyclr export: convert, report what could not come across, then store it
(or, for a dry run, only say what would happen). Functions flush; the caller commits.

A connector definition is added as ``POST /v1.0/connectors`` adds one; a template export
becomes a Junction template export imported as ``POST /v1.0/templates/import`` imports
one, its single release a Draft: the partner reviews the report, then publishes it here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import ConnectorDefinition
from junction.connectors.spec.validate import DefinitionInvalid, Problem, parse_definition
from junction.errors import BadRequest, PayloadTooLarge
from junction.migration.cyclr_connector import convert_connector
from junction.migration.cyclr_template import convert_template
from junction.migration.notes import Notes
from junction.templates import service as templates
from junction.templates import transfer
from junction.templates.models import Template
from junction.templates.spec.graph import check_template
from junction.templates.spec.models import TemplateDocument

MAX_BYTES = transfer.MAX_EXPORT_BYTES
CONNECTOR = "Connector"
TEMPLATE = "Template"
_CONNECTOR_KEYS = ("Methods", "MethodCategories", "Authentication", "UniqueIdentifier")


class ImportRefused(DefinitionInvalid):
    subject = "The Cyclr export, converted,"


@dataclass
class ConnectorOutcome:
    name: str
    version: str
    outcome: str  # Added | AlreadyHere | Replaced | WouldAdd | WouldReplace
    connector_id: int | None = None


@dataclass
class Result:
    kind: str
    dry_run: bool
    notes: Notes
    converted: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    publishing: list[Problem] = field(default_factory=list)
    connectors: list[ConnectorOutcome] = field(default_factory=list)
    template_id: str | None = None
    template_name: str | None = None

    @property
    def imported(self) -> bool:
        return not self.dry_run and not self.problems

    def answer(self) -> dict[str, Any]:
        return {
            "Kind": self.kind,
            "DryRun": self.dry_run,
            "Imported": self.imported,
            "Template": None
            if self.template_id is None
            else {"Id": self.template_id, "Name": self.template_name},
            "Connectors": [
                {"Id": c.connector_id, "Name": c.name, "Version": c.version, "Outcome": c.outcome}
                for c in self.connectors
            ],
            "NotCarriedOver": [
                {"Location": n.location, "Message": n.message} for n in self.notes.items
            ],
            "Problems": [{"Location": p.location, "Message": p.message} for p in self.problems],
            "PublishingProblems": [
                {"Location": p.location, "Message": p.message} for p in self.publishing
            ],
            "Converted": self.converted,
        }


def read_document(raw: bytes) -> Any:
    if len(raw) > MAX_BYTES:
        raise PayloadTooLarge(f"The Cyclr export is larger than {MAX_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"The Cyclr export is not valid JSON: {exc}") from None


def kind_of(document: Any) -> str:
    if not isinstance(document, dict):
        raise BadRequest("The Cyclr export is not a JSON object")
    if "Steps" in document:
        return TEMPLATE
    if any(key in document for key in _CONNECTOR_KEYS):
        return CONNECTOR
    raise BadRequest(
        "The Cyclr export is neither a template export (it has no Steps) nor a connector "
        "definition (it has no Methods, Authentication or UniqueIdentifier)"
    )


async def import_cyclr(
    *, session: AsyncSession, document: Any, now: datetime, dry_run: bool = False
) -> Result:
    """Convert and (unless ``dry_run``) store. Refused with every problem (400) when the
    conversion does not give a valid Junction document, and as the import of a Junction
    document would be refused (409 for a template or a Live connector release already here
    with another definition); a dry run reports the problems instead."""
    kind = kind_of(document)
    if kind == CONNECTOR:
        result = await _connector(session=session, document=document, now=now, dry_run=dry_run)
    else:
        result = await _template(session=session, document=document, now=now, dry_run=dry_run)
    if result.problems and not dry_run:
        raise ImportRefused(result.problems)
    return result


async def _connector(
    *, session: AsyncSession, document: dict[str, Any], now: datetime, dry_run: bool
) -> Result:
    notes = Notes()
    definition = convert_connector(document, "", notes).definition
    result = Result(CONNECTOR, dry_run, notes, definition)
    try:
        parsed = parse_definition(definition)
    except DefinitionInvalid as exc:
        result.problems = _converted(exc.problems, "Converted")
        return result
    if dry_run:
        result.connectors = await _planned(session=session, definitions=[parsed])
        return result
    connector, created = await catalog.add_release(session=session, document=definition, now=now)
    result.connectors = [
        ConnectorOutcome(
            parsed.Name, parsed.Version, "Added" if created else "AlreadyHere", connector.id
        )
    ]
    return result


async def _template(
    *, session: AsyncSession, document: dict[str, Any], now: datetime, dry_run: bool
) -> Result:
    notes = Notes()
    converted = convert_template(document, notes)
    export = converted.export
    result = Result(TEMPLATE, dry_run, notes, export)
    result.template_id = export["Template"]["Id"]
    result.template_name = export["Template"]["Name"]
    try:
        parsed = transfer.parse_export(export)
    except DefinitionInvalid as exc:
        result.problems = _converted(exc.problems, "Converted")
        return result
    draft = parsed.Releases[0].Document
    result.publishing = await _publishing(session=session, export=parsed, document=draft)
    if dry_run:
        result.connectors = await _planned(session=session, definitions=parsed.Connectors)
        if await session.get(Template, result.template_id) is not None:
            result.problems.append(
                Problem("Id", f"a template with Id '{result.template_id}' is already here")
            )
        return result
    imported = await transfer.import_template(session=session, document=export, now=now)
    result.connectors = [_done(c, "Added") for c in imported.added] + [
        _done(c, "AlreadyHere") for c in imported.reused
    ]
    return result


def _done(connector: Connector, outcome: str) -> ConnectorOutcome:
    return ConnectorOutcome(connector.name, connector.version, outcome, connector.id)


def _converted(problems: list[Problem], where: str) -> list[Problem]:
    """Problems of the converted document, located in it (under ``Converted``)."""
    return [Problem(f"{where}.{p.location}", p.message) for p in problems]


async def _planned(
    *, session: AsyncSession, definitions: list[ConnectorDefinition]
) -> list[ConnectorOutcome]:
    """What storing each release would do, as import and POST /v1.0/connectors decide it."""
    here = await templates.connector_releases(session=session, names=[d.Name for d in definitions])
    planned = []
    for definition in definitions:
        stored = definition.model_dump(mode="json", by_alias=True)
        match = next(
            (r for r in here.get(definition.Name.lower(), []) if r.version == definition.Version),
            None,
        )
        if match is None:
            outcome, connector_id = "WouldAdd", None
        elif match.definition == stored:
            outcome, connector_id = "AlreadyHere", match.id
        else:
            outcome, connector_id = "Different", match.id
        planned.append(ConnectorOutcome(definition.Name, definition.Version, outcome, connector_id))
    return planned


async def _publishing(
    *, session: AsyncSession, export: transfer.TemplateExport, document: TemplateDocument
) -> list[Problem]:
    """What would keep the imported Draft from going Live: the connector releases it brings
    first, then those already here."""
    here = await templates.method_lookup(session=session, document=document)
    brought = export.Connectors

    def lookup(name: str, version: str | None, mui: str) -> Any:
        for definition in reversed(brought):
            if definition.Name.lower() == name.lower() and version in (None, definition.Version):
                return catalog.method_by_uid(definition, mui)
        return here(name, version, mui)

    return [
        Problem(f"Converted.Releases[0].Document.{p.location}", p.message)
        for p in check_template(document, lookup)
    ]
