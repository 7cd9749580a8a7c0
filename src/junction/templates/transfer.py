"""Template export and import: one template, all its releases and the connector releases they
use, as one versioned JSON document that another Junction can take in.

Import writes through the same service functions as authoring does, so a Live release passes
the same checks as publishing, and the template's search columns follow its newest release.
Functions flush; the caller commits (and rolls back when an import is refused half-way).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.bounds import Instant, PositiveInt32
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import ConnectorDefinition
from junction.connectors.spec.validate import (
    DefinitionInvalid,
    Problem,
    parse_definition,
    validation_problems,
)
from junction.errors import BadRequest, Conflict, PayloadTooLarge
from junction.templates import service
from junction.templates.models import Template, TemplateRelease
from junction.templates.spec.models import StepKind, TemplateDocument

FORMAT = "junction-template"
FORMAT_VERSION = 1
MAX_EXPORT_BYTES = 20 * 1024 * 1024  # room for several large connector definitions

_INSTANT = TypeAdapter(datetime)
# Template Ids are UUIDs; holding imports to that form keeps them clear of fixed paths such
# as /v1.0/templates/schema.
TemplateIdText = Annotated[
    str,
    Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"),
]


class ExportInvalid(DefinitionInvalid):
    subject = "The template export"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExportedTemplate(_Strict):
    Id: TemplateIdText = Field(description="Kept on import: the template keeps its Id.")
    Name: Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="The newest release's Name."
    )
    Description: str | None = Field(None, description="The newest release's Description.")


class ExportedRelease(_Strict):
    Version: PositiveInt32 = Field(description="Releases are numbered 1, 2, 3... in order.")
    Status: Literal["Draft", "Live", "Deprecated"] = Field(
        description="Only the newest release may be a Draft."
    )
    Document: TemplateDocument


class TemplateExport(_Strict):
    """A template with every release and the connector releases its method steps use."""

    Format: Literal["junction-template"]
    FormatVersion: Literal[1]
    ExportedAt: Instant | None = Field(None, description="When it was exported (not imported).")
    Template: ExportedTemplate
    Releases: list[ExportedRelease] = Field(min_length=1)
    Connectors: list[ConnectorDefinition] = Field(
        default_factory=list,
        description="Each connector release a method step uses, once: the release its "
        "ConnectorVersion names or, without one, the release the exporting Junction chose.",
    )


@dataclass(frozen=True)
class Imported:
    template: Template
    added: list[Connector]  # connector releases the import created
    reused: list[Connector]  # identical releases that were already here


@dataclass(frozen=True)
class ImportedRelease:
    release: TemplateRelease
    added: list[Connector]
    reused: list[Connector]


async def export_template(
    *, session: AsyncSession, template_id: str, now: datetime
) -> dict[str, Any]:
    template = await service.get_template(session=session, template_id=template_id)
    releases = await service.releases(session=session, template_id=template_id)
    connectors = await _connectors_used(session=session, releases=releases)
    return _export(
        template_id=template.id,
        name=template.name,
        description=template.description,
        releases=[(r.version, r.status, r.document) for r in releases],
        connectors=connectors,
        now=now,
    )


async def export_release(
    *, session: AsyncSession, template_id: str, version: int, now: datetime
) -> dict[str, Any]:
    """One release as an export of its own (numbered 1 there), with the connector releases
    it uses: to import as a new release of a template, or as a template of one release."""
    release = await service.get_release(session=session, template_id=template_id, version=version)
    document = TemplateDocument.model_validate(release.document)
    connectors = await _connectors_used(session=session, releases=[release])
    return _export(
        template_id=template_id,
        name=document.Name,
        description=document.Description,
        releases=[(1, release.status, release.document)],
        connectors=connectors,
        now=now,
    )


def _export(
    *,
    template_id: str,
    name: str,
    description: str | None,
    releases: list[tuple[int, str, dict[str, Any]]],
    connectors: list[Connector],
    now: datetime,
) -> dict[str, Any]:
    return {
        "Format": FORMAT,
        "FormatVersion": FORMAT_VERSION,
        "ExportedAt": _INSTANT.dump_python(now, mode="json"),
        "Template": {"Id": template_id, "Name": name, "Description": description},
        "Releases": [
            {"Version": version, "Status": status, "Document": document}
            for version, status, document in releases
        ],
        "Connectors": [c.definition for c in connectors],
    }


async def _connectors_used(
    *, session: AsyncSession, releases: Sequence[TemplateRelease]
) -> list[Connector]:
    """Each connector release a method step resolves to today, once, in Id order.

    Id order matters: on import they are added in this order, so a step without a version
    again picks the newest of them. A step whose connector is not here is left out.
    """
    wanted: list[tuple[str, str | None]] = []
    for release in releases:
        document = TemplateDocument.model_validate(release.document)
        wanted += [
            (step.ConnectorName, step.ConnectorVersion)
            for step in document.Steps
            if step.StepType is StepKind.METHOD and step.ConnectorName
        ]
    here = await service.connector_releases(session=session, names=[name for name, _ in wanted])
    used: dict[int, Connector] = {}
    for name, version in wanted:
        chosen = catalog.choose_release(here.get(name.lower(), []), version)
        if chosen is not None:
            used[chosen.id] = chosen
    return [used[key] for key in sorted(used)]


def read_export(raw: bytes) -> Any:
    """The JSON of an export file or request body; its content is checked by parse_export."""
    if len(raw) > MAX_EXPORT_BYTES:
        raise PayloadTooLarge(f"The template export is larger than {MAX_EXPORT_BYTES} bytes")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest(f"The template export is not valid JSON: {exc}") from None


def parse_export(document: Any) -> TemplateExport:
    """A checked export, or ExportInvalid listing every problem with its location."""
    problems = list(_format_problems(document))
    if problems:
        # Another format or version may differ everywhere; its own fields would only bury
        # the one problem that matters.
        raise ExportInvalid(problems)
    try:
        export = TemplateExport.model_validate(document)
    except ValidationError as exc:
        raise ExportInvalid(validation_problems(exc)) from None
    problems = [*_release_problems(export), *_connector_problems(export)]
    if problems:
        raise ExportInvalid(problems)
    return export


def _format_problems(document: Any) -> Iterable[Problem]:
    if not isinstance(document, dict):
        yield Problem("(document)", "a template export is a JSON object")
        return
    found = document.get("Format", FORMAT)
    if found != FORMAT:
        yield Problem("Format", f"{found!r} is not a Junction template export ({FORMAT!r})")
    version = document.get("FormatVersion", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        yield Problem(
            "FormatVersion",
            f"{version!r} is not a version this Junction reads (it reads {FORMAT_VERSION})",
        )


def _release_problems(export: TemplateExport) -> Iterable[Problem]:
    newest = len(export.Releases) - 1
    for index, release in enumerate(export.Releases):
        if release.Version != index + 1:
            yield Problem(
                f"Releases[{index}].Version",
                f"is {release.Version}, but releases are numbered 1, 2, 3... in order, so "
                f"this one must be {index + 1}",
            )
        if release.Status == service.DRAFT and index != newest:
            yield Problem(f"Releases[{index}].Status", "only the newest release may be a Draft")
    document = export.Releases[newest].Document
    # The template's name and description are its newest release's; a mismatch means a
    # hand edit that import would otherwise drop without a word.
    if export.Template.Name != document.Name:
        yield Problem(
            "Template.Name",
            f"'{export.Template.Name}' is not the newest release's Name '{document.Name}'",
        )
    if export.Template.Description != document.Description:
        yield Problem("Template.Description", "is not the newest release's Description")


def _connector_problems(export: TemplateExport) -> Iterable[Problem]:
    seen: dict[tuple[str, str], int] = {}
    for index, definition in enumerate(export.Connectors):
        key = (definition.Name.lower(), definition.Version)
        if key in seen:
            yield Problem(
                f"Connectors[{index}]",
                f"'{definition.Name}' version {definition.Version} is also Connectors[{seen[key]}]",
            )
        seen.setdefault(key, index)
        # The shape is checked already; this adds the cross-reference checks.
        try:
            parse_definition(_stored(definition))
        except DefinitionInvalid as exc:
            for problem in exc.problems:
                yield Problem(f"Connectors[{index}].{problem.location}", problem.message)


def _stored(definition: ConnectorDefinition) -> dict[str, Any]:
    """A definition in the form the catalogue stores, so that two can be compared."""
    return definition.model_dump(mode="json", by_alias=True)


async def import_template(
    *, session: AsyncSession, document: Any, now: datetime, as_copy: bool = False
) -> Imported:
    """Recreate an exported template here, with its Id, release numbers and statuses
    (``as_copy``: with a new Id, beside the template it was exported from).

    Refused (409) before anything is written when the template is here already or a
    connector release of the same Name and Version is here with another definition. A Live
    release that would not pass publishing here is refused (400) after the missing connector
    releases were added, which the caller's rollback undoes.
    """
    export = parse_export(document)
    template_id = str(uuid.uuid4()) if as_copy else export.Template.Id
    if await session.get(Template, template_id) is not None:
        raise Conflict(f"A template with Id '{template_id}' is already here; nothing was imported")
    added, reused = await _add_connectors(session=session, export=export, now=now)
    await _check_live_releases(session=session, export=export)
    template = await _recreate(session=session, export=export, template_id=template_id, now=now)
    return Imported(template=template, added=added, reused=reused)


async def import_release(
    *, session: AsyncSession, template_id: str, document: Any, now: datetime
) -> ImportedRelease:
    """The export's newest release as a new Draft release of the template here (whichever
    template it was exported from), with the connector releases it brings that are missing.

    Refused as import_template is, and (409) while the template has a Draft already.
    """
    export = parse_export(document)
    await service.get_template(session=session, template_id=template_id)
    added, reused = await _add_connectors(session=session, export=export, now=now)
    release = await service.new_release(
        session=session,
        template_id=template_id,
        document=export.Releases[-1].Document.model_dump(mode="json"),
        now=now,
    )
    return ImportedRelease(release=release, added=added, reused=reused)


async def _add_connectors(
    *, session: AsyncSession, export: TemplateExport, now: datetime
) -> tuple[list[Connector], list[Connector]]:
    missing, reused = await _match_connectors(session=session, definitions=export.Connectors)
    added = [
        (await catalog.add_release(session=session, document=_stored(d), now=now))[0]
        for d in missing
    ]
    return added, reused


async def _match_connectors(
    *, session: AsyncSession, definitions: Sequence[ConnectorDefinition]
) -> tuple[list[ConnectorDefinition], list[Connector]]:
    """(releases to add, identical releases already here), or Conflict naming every clash."""
    here = await service.connector_releases(session=session, names=[d.Name for d in definitions])
    missing: list[ConnectorDefinition] = []
    reused: list[Connector] = []
    clashes: list[str] = []
    for definition in definitions:
        match = next(
            (r for r in here.get(definition.Name.lower(), []) if r.version == definition.Version),
            None,
        )
        if match is None:
            missing.append(definition)
        elif _stored(ConnectorDefinition.model_validate(match.definition)) == _stored(definition):
            reused.append(match)
        else:
            clashes.append(f"'{definition.Name}' version {definition.Version}")
    if clashes:
        raise Conflict(
            f"Already here with a different definition: connector {'; '.join(clashes)}. "
            "Nothing was imported; give the changed connector a new Version and export again."
        )
    return missing, reused


async def _check_live_releases(*, session: AsyncSession, export: TemplateExport) -> None:
    """Every problem of every Live release at once, located in the export document."""
    problems: list[Problem] = []
    for index, release in enumerate(export.Releases):
        if release.Status == service.LIVE:
            found = await service.problems_of(session=session, document=release.Document)
            problems += [
                Problem(f"Releases[{index}].Document.{p.location}", p.message) for p in found
            ]
    if problems:
        raise ExportInvalid(problems)


async def _recreate(
    *, session: AsyncSession, export: TemplateExport, template_id: str, now: datetime
) -> Template:
    first, *rest = export.Releases
    template, release = await service.create_template(
        session=session,
        document=first.Document.model_dump(mode="json"),
        now=now,
        template_id=template_id,
    )
    await _settle(session=session, release=release, status=first.Status, now=now)
    for exported in rest:
        release = await service.new_release(
            session=session,
            template_id=template.id,
            document=exported.Document.model_dump(mode="json"),
            now=now,
        )
        await _settle(session=session, release=release, status=exported.Status, now=now)
    return template


async def _settle(
    *, session: AsyncSession, release: TemplateRelease, status: str, now: datetime
) -> None:
    """Bring a new Draft release to its exported status."""
    if status == service.LIVE:
        await service.set_status(
            session=session,
            template_id=release.template_id,
            version=release.version,
            status=status,
            now=now,
        )
    elif status == service.DEPRECATED:
        # Not through publishing: a Deprecated release is history that can no longer be
        # installed, and its versionless steps may no longer resolve to what they once did.
        release.status = status
        release.updated_at = now
        await session.flush()
