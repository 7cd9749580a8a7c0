"""Partner-level routes that edit a Draft release piece by piece (Junction extension)."""

from __future__ import annotations

from fastapi import APIRouter

from junction.api.context import Context, Session
from junction.api.ids import GuidId
from junction.errors import BadRequest
from junction.templates import authoring
from junction.templates.schemas import ReleaseOut
from junction.templates.spec.models import Edge, Mapping, Step, TemplateSettings, Variable

router = APIRouter(prefix="/templates/{template_id}/releases/{version}", tags=["Templates"])
NOTE = (
    "Junction extension (template authoring). Only a Draft changes (409 otherwise); the "
    "answer is the release with its whole document."
)


@router.put(
    "/settings", response_model=ReleaseOut, summary="Set a Draft's settings", description=NOTE
)
async def set_settings(
    template_id: GuidId,
    version: int,
    settings: TemplateSettings,
    session: Session,
    context: Context,
) -> ReleaseOut:
    release = await authoring.set_settings(
        session=session,
        template_id=template_id,
        version=version,
        settings=settings,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.post(
    "/steps", response_model=ReleaseOut, status_code=201, summary="Add a step", description=NOTE
)
async def add_step(
    template_id: GuidId, version: int, step: Step, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.put_step(
        session=session,
        template_id=template_id,
        version=version,
        step=step,
        replace=False,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.put("/steps/{key}", response_model=ReleaseOut, summary="Replace a step", description=NOTE)
async def replace_step(
    template_id: GuidId, version: int, key: str, step: Step, session: Session, context: Context
) -> ReleaseOut:
    if step.Key != key:
        raise BadRequest(f"Key: '{step.Key}' is not the step being replaced, '{key}'")
    release = await authoring.put_step(
        session=session,
        template_id=template_id,
        version=version,
        step=step,
        replace=True,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.delete(
    "/steps/{key}",
    response_model=ReleaseOut,
    summary="Delete a step and its edges",
    description=NOTE,
)
async def delete_step(
    template_id: GuidId, version: int, key: str, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.remove_step(
        session=session, template_id=template_id, version=version, key=key, now=context.clock()
    )
    return ReleaseOut.build(release)


@router.put(
    "/steps/{key}/{section}/{name}",
    response_model=ReleaseOut,
    summary="Map a step's parameter or request field",
    description=NOTE + " `section` is parameters or fieldmappings; MappingType Ignore removes "
    "the mapping.",
)
async def set_mapping(
    template_id: GuidId,
    version: int,
    key: str,
    section: str,
    name: str,
    mapping: Mapping,
    session: Session,
    context: Context,
) -> ReleaseOut:
    release = await authoring.set_mapping(
        session=session,
        template_id=template_id,
        version=version,
        key=key,
        section=section,
        name=name,
        mapping=mapping,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.post(
    "/edges", response_model=ReleaseOut, status_code=201, summary="Add an edge", description=NOTE
)
async def add_edge(
    template_id: GuidId, version: int, edge: Edge, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.add_edge(
        session=session, template_id=template_id, version=version, edge=edge, now=context.clock()
    )
    return ReleaseOut.build(release)


@router.delete(
    "/edges/{tail}/{head}",
    response_model=ReleaseOut,
    summary="Delete the edge between two steps",
    description=NOTE,
)
async def delete_edge(
    template_id: GuidId, version: int, tail: str, head: str, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.remove_edge(
        session=session,
        template_id=template_id,
        version=version,
        tail=tail,
        head=head,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.post(
    "/variables",
    response_model=ReleaseOut,
    status_code=201,
    summary="Add a variable",
    description=NOTE,
)
async def add_variable(
    template_id: GuidId, version: int, variable: Variable, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.put_variable(
        session=session,
        template_id=template_id,
        version=version,
        variable=variable,
        replace=False,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.put(
    "/variables/{name}", response_model=ReleaseOut, summary="Replace a variable", description=NOTE
)
async def replace_variable(
    template_id: GuidId,
    version: int,
    name: str,
    variable: Variable,
    session: Session,
    context: Context,
) -> ReleaseOut:
    if variable.SystemName.lower() != name.lower():
        raise BadRequest(f"SystemName: '{variable.SystemName}' is not the variable '{name}'")
    release = await authoring.put_variable(
        session=session,
        template_id=template_id,
        version=version,
        variable=variable,
        replace=True,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.delete(
    "/variables/{name}", response_model=ReleaseOut, summary="Delete a variable", description=NOTE
)
async def delete_variable(
    template_id: GuidId, version: int, name: str, session: Session, context: Context
) -> ReleaseOut:
    release = await authoring.remove_variable(
        session=session, template_id=template_id, version=version, name=name, now=context.clock()
    )
    return ReleaseOut.build(release)
