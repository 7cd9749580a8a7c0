"""Editing a Draft release piece by piece: steps, edges, mappings, variables, settings.

Each change reads the Draft's document, changes one part, checks the document's shape and
stores it, so these calls and replacing the whole document are interchangeable. The graph is
checked when the release goes Live, as for a whole document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from junction.errors import BadRequest, Conflict, NotFound
from junction.templates import service
from junction.templates.models import TemplateRelease
from junction.templates.spec.models import (
    Edge,
    Mapping,
    Step,
    TemplateSettings,
    Variable,
)

Document = dict[str, Any]
SECTIONS = {"parameters": "Parameters", "fieldmappings": "FieldMappings"}


async def _edit(
    *,
    session: AsyncSession,
    template_id: str,
    version: int,
    now: datetime,
    change: Callable[[Document], None],
) -> TemplateRelease:
    release = await service.get_release(session=session, template_id=template_id, version=version)
    if release.status != service.DRAFT:
        raise Conflict(
            f"Release {version} is {release.status}; only a Draft can change. Start a new "
            "release with POST /v1.0/templates/{id}/releases."
        )
    document: Document = service.parse_document(release.document).model_dump(mode="json")
    change(document)
    return await service.replace_release(
        session=session, template_id=template_id, version=version, document=document, now=now
    )


def _step_index(document: Document, key: str) -> int:
    for index, step in enumerate(document["Steps"]):
        if step["Key"] == key:
            return index
    raise NotFound(f"The release has no step with Key '{key}'")


def _variable_index(document: Document, name: str) -> int:
    for index, variable in enumerate(document["Variables"]):
        if variable["SystemName"].lower() == name.lower():
            return index
    raise NotFound(f"The release has no variable '{name}'")


async def set_settings(
    *,
    session: AsyncSession,
    template_id: str,
    version: int,
    settings: TemplateSettings,
    now: datetime,
) -> TemplateRelease:
    def change(document: Document) -> None:
        document["Settings"] = settings.model_dump(mode="json")

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def put_step(
    *,
    session: AsyncSession,
    template_id: str,
    version: int,
    step: Step,
    replace: bool,
    now: datetime,
) -> TemplateRelease:
    """Add a step (its Key must be new) or replace the step with its Key."""

    def change(document: Document) -> None:
        keys = [s["Key"] for s in document["Steps"]]
        if replace:
            document["Steps"][_step_index(document, step.Key)] = step.model_dump(mode="json")
        elif step.Key in keys:
            raise Conflict(f"Key: the release already has a step '{step.Key}'")
        else:
            document["Steps"].append(step.model_dump(mode="json"))

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def remove_step(
    *, session: AsyncSession, template_id: str, version: int, key: str, now: datetime
) -> TemplateRelease:
    """The step's edges go with it; mappings that read it show up as problems."""

    def change(document: Document) -> None:
        del document["Steps"][_step_index(document, key)]
        document["Edges"] = [
            e for e in document["Edges"] if key not in (e["TailStepKey"], e["HeadStepKey"])
        ]

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def add_edge(
    *, session: AsyncSession, template_id: str, version: int, edge: Edge, now: datetime
) -> TemplateRelease:
    def change(document: Document) -> None:
        for field, key in (("TailStepKey", edge.TailStepKey), ("HeadStepKey", edge.HeadStepKey)):
            if key not in {s["Key"] for s in document["Steps"]}:
                raise BadRequest(f"{field}: the release has no step with Key '{key}'")
        ends = (edge.TailStepKey, edge.HeadStepKey)
        if any((e["TailStepKey"], e["HeadStepKey"]) == ends for e in document["Edges"]):
            raise Conflict(f"An edge from '{ends[0]}' to '{ends[1]}' already exists")
        document["Edges"].append(edge.model_dump(mode="json"))

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def remove_edge(
    *, session: AsyncSession, template_id: str, version: int, tail: str, head: str, now: datetime
) -> TemplateRelease:
    def change(document: Document) -> None:
        kept = [
            e for e in document["Edges"] if (e["TailStepKey"], e["HeadStepKey"]) != (tail, head)
        ]
        if len(kept) == len(document["Edges"]):
            raise NotFound(f"The release has no edge from '{tail}' to '{head}'")
        document["Edges"] = kept

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def set_mapping(
    *,
    session: AsyncSession,
    template_id: str,
    version: int,
    key: str,
    section: str,
    name: str,
    mapping: Mapping,
    now: datetime,
) -> TemplateRelease:
    """Map one parameter or request field of a step (by its name); Ignore removes it."""
    if section not in SECTIONS:
        raise NotFound(f"Steps have no '{section}'; use parameters or fieldmappings")

    def change(document: Document) -> None:
        step = document["Steps"][_step_index(document, key)]
        kept = [m for m in step.get(SECTIONS[section], []) if m["Name"] != name]
        if mapping.MappingType.value != "Ignore":
            kept.append({"Name": name, **mapping.model_dump(mode="json", exclude_none=True)})
        step[SECTIONS[section]] = kept

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def put_variable(
    *,
    session: AsyncSession,
    template_id: str,
    version: int,
    variable: Variable,
    replace: bool,
    now: datetime,
) -> TemplateRelease:
    def change(document: Document) -> None:
        if replace:
            index = _variable_index(document, variable.SystemName)
            document["Variables"][index] = variable.model_dump(mode="json")
        elif any(
            v["SystemName"].lower() == variable.SystemName.lower() for v in document["Variables"]
        ):
            raise Conflict(
                f"SystemName: the release already has a variable '{variable.SystemName}'"
            )
        else:
            document["Variables"].append(variable.model_dump(mode="json"))

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )


async def remove_variable(
    *, session: AsyncSession, template_id: str, version: int, name: str, now: datetime
) -> TemplateRelease:
    def change(document: Document) -> None:
        del document["Variables"][_variable_index(document, name)]

    return await _edit(
        session=session, template_id=template_id, version=version, now=now, change=change
    )
