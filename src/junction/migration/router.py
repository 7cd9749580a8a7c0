"""Partner-level import of Cyclr exports (Junction extension)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from junction.api.context import Context, Session
from junction.bounds import check_texts
from junction.migration import service

router = APIRouter(prefix="/import", tags=["Migration from Cyclr"])


@router.post(
    "/cyclr",
    summary="Import a Cyclr connector definition or template export (Junction extension)",
    description="Junction extension. The body is a Cyclr connector definition (JSON, as Cyclr "
    "exports a custom connector) or a Cyclr template export. It is converted to Junction's "
    "formats and stored: a connector as POST /v1.0/connectors adds one, a template as POST "
    "/v1.0/templates/import imports one, keeping its Id, with one Draft release. The answer "
    "(201) lists in `NotCarriedOver` every field that could not come across, located in the "
    "Cyclr document, and in `PublishingProblems` what keeps the Draft from going Live. "
    "`dryRun=true` stores nothing and answers 200 with the same report and the `Problems` "
    "that would refuse the import. Refused: 400 listing every problem, 409 when the template "
    "or a different release of a connector is here already; nothing is written then.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def import_cyclr(
    request: Request,
    response: Response,
    session: Session,
    context: Context,
    dry_run: Annotated[
        bool, Query(alias="dryRun", description="Only report; store nothing.")
    ] = False,
) -> dict[str, Any]:
    document = service.read_document(await request.body())
    check_texts(document)
    result = await service.import_cyclr(
        session=session, document=document, now=context.clock(), dry_run=dry_run
    )
    response.status_code = 201 if result.imported else 200
    return result.answer()
