"""Templates and their releases. Functions flush; the caller commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.models import Connector
from junction.connectors.spec.models import MethodSpec
from junction.connectors.spec.validate import Problem
from junction.db.types import name_tokens
from junction.errors import Conflict, NotFound
from junction.templates.models import Template, TemplateRelease
from junction.templates.spec.graph import (
    MethodLookup,
    TemplateInvalid,
    check_template,
    parse_shape,
)
from junction.templates.spec.models import StepKind, TemplateDocument

SORTABLE = {"Id": Template.id, "Name": Template.name, "CreatedDate": Template.created_at}
TIEBREAK = Template.id
DRAFT, LIVE, DEPRECATED = "Draft", "Live", "Deprecated"


def parse_document(document: Any) -> TemplateDocument:
    """The document's shape only; the graph is checked when a release goes Live."""
    return parse_shape(document)


def _describe(template: Template, document: TemplateDocument, now: datetime) -> None:
    template.name = document.Name
    template.description = document.Description
    template.tags = name_tokens(document.Tags)
    template.connectors = name_tokens(
        [
            s.ConnectorName
            for s in document.Steps
            if s.StepType is StepKind.METHOD and s.ConnectorName
        ]
    )
    template.updated_at = now


async def connector_releases(
    *, session: AsyncSession, names: Iterable[str]
) -> dict[str, list[Connector]]:
    """Every release of the named connectors, by lower-cased name, each list in Id order
    (the order ``catalog.choose_release`` expects)."""
    wanted = sorted({name.lower() for name in names})
    releases: dict[str, list[Connector]] = {}
    if wanted:
        rows = await session.scalars(
            select(Connector)
            .where(func.lower(Connector.name).in_(wanted), catalog.visible_to(None))
            .order_by(Connector.id)
        )
        for row in rows:
            releases.setdefault(row.name.lower(), []).append(row)
    return releases


async def method_lookup(*, session: AsyncSession, document: TemplateDocument) -> MethodLookup:
    """A look-up of the methods the document's steps name, loaded now from the catalogue.

    Without a version a step uses the newest Live release of the connector (or, while none
    is Live, the newest release, so that drafts can be built against draft connectors).
    """
    releases = await connector_releases(
        session=session, names=[s.ConnectorName for s in document.Steps if s.ConnectorName]
    )

    def lookup(name: str, version: str | None, mui: str) -> MethodSpec | None:
        chosen = catalog.choose_release(releases.get(name.lower(), []), version)
        if chosen is None:
            return None
        return catalog.method_by_uid(catalog.definition_of(chosen), mui)

    return lookup


async def problems_of(*, session: AsyncSession, document: TemplateDocument) -> list[Problem]:
    lookup = await method_lookup(session=session, document=document)
    return list(check_template(document, lookup))


async def create_template(
    *, session: AsyncSession, document: Any, now: datetime, template_id: str | None = None
) -> tuple[Template, TemplateRelease]:
    """A new template with release 1 as a Draft; ``template_id`` keeps an imported one's Id."""
    parsed = parse_document(document)
    template = Template(id=template_id or str(uuid.uuid4()), created_at=now)
    _describe(template, parsed, now)
    session.add(template)
    await session.flush()
    release = TemplateRelease(
        template_id=template.id,
        version=1,
        status=DRAFT,
        document=parsed.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(release)
    await session.flush()
    return template, release


async def get_template(*, session: AsyncSession, template_id: str) -> Template:
    template = await session.get(Template, template_id)
    if template is None:
        raise NotFound(f"No template with Id '{template_id}'")
    return template


async def releases(*, session: AsyncSession, template_id: str) -> list[TemplateRelease]:
    rows = await session.scalars(
        select(TemplateRelease)
        .where(TemplateRelease.template_id == template_id)
        .order_by(TemplateRelease.version)
    )
    return list(rows)


async def get_release(*, session: AsyncSession, template_id: str, version: int) -> TemplateRelease:
    await get_template(session=session, template_id=template_id)
    release = await session.scalar(
        select(TemplateRelease).where(
            TemplateRelease.template_id == template_id, TemplateRelease.version == version
        )
    )
    if release is None:
        raise NotFound(f"Template '{template_id}' has no release {version}")
    return release


async def replace_release(
    *, session: AsyncSession, template_id: str, version: int, document: Any, now: datetime
) -> TemplateRelease:
    release = await get_release(session=session, template_id=template_id, version=version)
    if release.status != DRAFT:
        raise Conflict(
            f"Release {version} is {release.status}; Live and Deprecated releases cannot "
            "change. Start a new release with POST /v1.0/templates/{id}/releases."
        )
    parsed = parse_document(document)
    release.document = parsed.model_dump(mode="json")
    release.updated_at = now
    template = await get_template(session=session, template_id=template_id)
    _describe(template, parsed, now)
    await session.flush()
    return release


async def new_release(
    *, session: AsyncSession, template_id: str, document: Any | None, now: datetime
) -> TemplateRelease:
    existing = await releases(session=session, template_id=template_id)
    if not existing:
        await get_template(session=session, template_id=template_id)
    draft = next((r for r in existing if r.status == DRAFT), None)
    if draft is not None:
        raise Conflict(f"Release {draft.version} is still a Draft; change it or publish it first")
    parsed = parse_document(document if document is not None else existing[-1].document)
    release = TemplateRelease(
        template_id=template_id,
        version=(existing[-1].version if existing else 0) + 1,
        status=DRAFT,
        document=parsed.model_dump(mode="json"),
        created_at=now,
        updated_at=now,
    )
    session.add(release)
    template = await get_template(session=session, template_id=template_id)
    _describe(template, parsed, now)
    await session.flush()
    return release


async def set_status(
    *, session: AsyncSession, template_id: str, version: int, status: str, now: datetime
) -> TemplateRelease:
    release = await get_release(session=session, template_id=template_id, version=version)
    moves = {(DRAFT, LIVE), (LIVE, DEPRECATED)}
    if (release.status, status) not in moves:
        raise Conflict(
            f"Release {version} is {release.status}; it cannot become {status} "
            "(Draft -> Live -> Deprecated)"
        )
    if status == LIVE:
        document = TemplateDocument.model_validate(release.document)
        problems = await problems_of(session=session, document=document)
        if problems:
            raise TemplateInvalid(problems)
    release.status = status
    release.updated_at = now
    await session.flush()
    return release


def templates_query(
    *, tag: str | None, connector_name: str | None, name_contains: str | None = None
) -> Select[Any]:
    """``name_contains``: a case-insensitive search in the name (``%`` and ``_`` are plain
    characters there, not wildcards)."""
    query = select(Template)
    if name_contains:
        query = query.where(
            func.lower(Template.name).contains(name_contains.lower(), autoescape=True)
        )
    if tag:
        query = query.where(Template.tags.contains(f"|{tag.lower()}|", autoescape=True))
    if connector_name:
        query = query.where(
            Template.connectors.contains(f"|{connector_name.lower()}|", autoescape=True)
        )
    return query


async def connectors_used(
    *, session: AsyncSession, releases: list[TemplateRelease]
) -> dict[tuple[str, str | None], Connector]:
    """The connector release each (ConnectorName, ConnectorVersion) of the newest release
    means, as installing would choose it; names the catalogue lacks are left out."""
    if not releases:
        return {}
    document = TemplateDocument.model_validate(releases[-1].document)
    wanted = {
        (step.ConnectorName, step.ConnectorVersion)
        for step in document.Steps
        if step.StepType is StepKind.METHOD and step.ConnectorName
    }
    found: dict[tuple[str, str | None], Connector] = {}
    for name, version in wanted:
        rows = (
            await session.scalars(
                select(Connector)
                .where(func.lower(Connector.name) == name.lower(), catalog.visible_to(None))
                .order_by(Connector.id)
            )
        ).all()
        chosen = catalog.choose_release(rows, version)
        if chosen is not None:
            found[(name, version)] = chosen
    return found
