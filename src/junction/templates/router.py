"""Partner-level templates API: the Cyclr listing and Junction's authoring extensions."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response

from junction.api.context import Context, Session
from junction.api.ids import GuidId
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.bounds import check_texts
from junction.templates import service, transfer
from junction.templates.schemas import ProblemOut, ReleaseOut, StatusIn, TemplateOut
from junction.templates.spec.models import TemplateDocument

router = APIRouter(prefix="/templates", tags=["Templates"])

Paging = Annotated[PageRequest, Depends(page_request)]
DocumentBody = Annotated[
    dict[str, Any],
    Body(description="A template document; its JSON Schema is GET /v1.0/templates/schema."),
]
EXTENSION = "Junction extension (template authoring). "


async def _out(session: Session, template_id: GuidId, *, icons: bool = True) -> TemplateOut:
    template = await service.get_template(session=session, template_id=template_id)
    releases = await service.releases(session=session, template_id=template_id)
    out = TemplateOut.build(
        template,
        releases,
        await service.connectors_used(session=session, releases=releases),
    )
    if not icons:
        for connector in out.Connectors:
            connector.Icon = None
    return out


@router.get("/schema", summary="JSON Schema of the template document (Junction extension)")
async def template_schema() -> dict[str, Any]:
    return TemplateDocument.model_json_schema()


@router.get(
    "/export-schema",
    summary="JSON Schema of the template export format (Junction extension)",
    description=EXTENSION + "The contract that POST /v1.0/templates/import validates against.",
)
async def export_schema() -> dict[str, Any]:
    return transfer.TemplateExport.model_json_schema()


@router.post(
    "/import",
    response_model=TemplateOut,
    status_code=201,
    summary="Import a template export (Junction extension)",
    description=EXTENSION + "Recreates an exported template with its Id, release numbers and "
    "statuses, and adds the connector releases it brings that are not here. 409 when the "
    "template is here already, or a connector release of the same Name and Version is here "
    "with another definition; 400 listing every problem of the document, including what "
    "keeps a Live release from passing publishing here. Nothing is written when refused.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TemplateExport"}}
            },
        }
    },
)
async def import_template(request: Request, session: Session, context: Context) -> TemplateOut:
    document = transfer.read_export(await request.body())
    check_texts(document)
    imported = await transfer.import_template(
        session=session, document=document, now=context.clock()
    )
    return await _out(session, imported.template.id)


@router.get("", response_model=list[TemplateOut], summary="List templates")
async def list_templates(
    session: Session,
    paging: Paging,
    response: Response,
    tag: Annotated[str | None, Query(description="Only templates with this tag.")] = None,
    connectorName: Annotated[
        str | None, Query(description="Only templates using this connector.")
    ] = None,
    includeIcons: Annotated[
        bool, Query(description="Fill in the connectors' Icon (null otherwise), as Cyclr does.")
    ] = False,
) -> list[TemplateOut]:
    rows = await fetch_page(
        session=session,
        query=service.templates_query(tag=tag, connector_name=connectorName),
        request=paging,
        sortable=service.SORTABLE,
        default_order="Name",
        tiebreak=service.TIEBREAK,
        response=response,
    )
    return [await _out(session, row.id, icons=includeIcons) for row in rows]


@router.post(
    "",
    response_model=TemplateOut,
    status_code=201,
    summary="Create a template (Junction extension)",
    description=EXTENSION + "Creates the template with release 1 as a Draft. The graph is "
    "checked when a release goes Live.",
)
async def create_template(
    document: DocumentBody, session: Session, context: Context
) -> TemplateOut:
    template, _ = await service.create_template(
        session=session, document=document, now=context.clock()
    )
    return await _out(session, template.id)


@router.get("/{template_id}", response_model=TemplateOut, summary="Get a template")
async def get_template(template_id: GuidId, session: Session) -> TemplateOut:
    return await _out(session, template_id)


@router.get(
    "/{template_id}/export",
    response_model=transfer.TemplateExport,
    summary="Export a template (Junction extension)",
    description=EXTENSION + "The template, every release with its document and status, and "
    "each connector release its method steps use, as one document for "
    "POST /v1.0/templates/import on this or another Junction.",
)
async def export_template(template_id: GuidId, session: Session, context: Context) -> Any:
    return await transfer.export_template(
        session=session, template_id=template_id, now=context.clock()
    )


@router.post(
    "/{template_id}/releases",
    response_model=ReleaseOut,
    status_code=201,
    summary="Start a new release (Junction extension)",
    description=EXTENSION + "A new Draft from the body, or a copy of the newest release "
    "when the body is empty. Only one Draft at a time.",
)
async def new_release(
    template_id: GuidId,
    session: Session,
    context: Context,
    document: Annotated[dict[str, Any] | None, Body()] = None,
) -> ReleaseOut:
    release = await service.new_release(
        session=session, template_id=template_id, document=document, now=context.clock()
    )
    return ReleaseOut.build(release)


@router.get(
    "/{template_id}/releases/{version}",
    response_model=ReleaseOut,
    summary="Get a release's document (Junction extension)",
)
async def get_release(template_id: GuidId, version: int, session: Session) -> ReleaseOut:
    return ReleaseOut.build(
        await service.get_release(session=session, template_id=template_id, version=version)
    )


@router.put(
    "/{template_id}/releases/{version}",
    response_model=ReleaseOut,
    summary="Replace a Draft release's document (Junction extension)",
    description=EXTENSION + "Live and Deprecated releases cannot change (409).",
)
async def replace_release(
    template_id: GuidId, version: int, document: DocumentBody, session: Session, context: Context
) -> ReleaseOut:
    release = await service.replace_release(
        session=session,
        template_id=template_id,
        version=version,
        document=document,
        now=context.clock(),
    )
    return ReleaseOut.build(release)


@router.get(
    "/{template_id}/releases/{version}/problems",
    response_model=list[ProblemOut],
    summary="What keeps a release from going Live (Junction extension)",
)
async def release_problems(template_id: GuidId, version: int, session: Session) -> list[ProblemOut]:
    release = await service.get_release(session=session, template_id=template_id, version=version)
    document = TemplateDocument.model_validate(release.document)
    problems = await service.problems_of(session=session, document=document)
    return [ProblemOut(Location=p.location, Message=p.message) for p in problems]


@router.put(
    "/{template_id}/releases/{version}/status",
    response_model=ReleaseOut,
    summary="Publish or deprecate a release (Junction extension)",
    description=EXTENSION + "Draft -> Live (the template is checked; every problem is "
    "listed in Problems), Live -> Deprecated. Anything else is 409.",
)
async def set_status(
    template_id: GuidId, version: int, status_in: StatusIn, session: Session, context: Context
) -> ReleaseOut:
    release = await service.set_status(
        session=session,
        template_id=template_id,
        version=version,
        status=status_in.Status,
        now=context.clock(),
    )
    return ReleaseOut.build(release)
