"""Partner-level connector catalogue: ``/v1.0/connectors`` and ``/v1.0/methods``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from junction.api.context import Context, Session
from junction.api.ids import RowId
from junction.api.paging import PageRequest, fetch_page, page_request
from junction.bounds import check_texts, id_in_reference
from junction.connectors.catalog import partner_properties
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import (
    MAX_DEFINITION_BYTES,
    MAX_OPENAPI_BYTES,
    YAML_TYPES,
    load_document,
)
from junction.connectors.catalog.models import Connector
from junction.connectors.catalog.schemas import ConnectorImportOut, ConnectorOut, MethodOut
from junction.connectors.openapi import OperationChoice, import_openapi
from junction.connectors.spec.models import ConnectorDefinition
from junction.errors import BadRequest, PayloadTooLarge

router = APIRouter(tags=["Connectors"])

Paging = Annotated[PageRequest, Depends(page_request)]
OPENAPI_TYPES = YAML_TYPES | {"application/json", "text/plain", ""}


@router.get(
    "/connectors/schema",
    summary="JSON Schema of the connector definition format (Junction extension)",
    description="Junction extension. The contract that POST /v1.0/connectors validates against.",
)
async def connector_schema() -> dict[str, Any]:
    return ConnectorDefinition.model_json_schema(by_alias=True)


@router.get("/connectors", response_model=list[ConnectorOut], summary="List connectors")
async def list_connectors(
    session: Session,
    paging: Paging,
    response: Response,
    query: Annotated[str | None, Query(description="Text in the name or description.")] = None,
    search: Annotated[str | None, Query(description="The same as `query`.")] = None,
    category: Annotated[str | None, Query(description="Only connectors in this category.")] = None,
    includeCustomConnectors: Annotated[
        bool, Query(description="Also the accounts' own custom connectors.")
    ] = False,
) -> list[ConnectorOut]:
    if query and search and query != search:
        raise BadRequest("search: give the text in `search` or in `query`, not two texts")
    rows = await fetch_page(
        session=session,
        query=catalog.connectors_query(
            query=query or search, category=category, include_custom=includeCustomConnectors
        ),
        request=paging,
        sortable=catalog.SORTABLE,
        default_order="Name",
        tiebreak=catalog.TIEBREAK,
        response=response,
    )
    return [ConnectorOut.build(row) for row in rows]


@router.post(
    "/connectors",
    response_model=ConnectorOut,
    summary="Add a connector release from a definition (Junction extension)",
    description="Junction extension. The body is a connector definition in JSON or, with "
    "Content-Type application/yaml, YAML. A new Name or Version adds a release; the same "
    "Name and Version replaces a Draft. Every problem is listed in `Problems`.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/ConnectorDefinition"}
                },
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    },
)
async def add_connector(
    request: Request, context: Context, session: Session, response: Response
) -> ConnectorOut:
    body = await request.body()
    if len(body) > MAX_DEFINITION_BYTES:
        raise PayloadTooLarge(f"The definition is larger than {MAX_DEFINITION_BYTES} bytes")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    document = load_document(body, yaml_allowed=content_type in YAML_TYPES)
    # Read raw (for its size limit and YAML), so the request-wide text check never saw it.
    check_texts(document)
    connector, created = await catalog.add_release(
        session=session, document=document, now=context.clock()
    )
    response.status_code = 201 if created else 200
    return ConnectorOut.build(connector)


@router.post(
    "/connectors/import/openapi",
    response_model=ConnectorImportOut,
    status_code=201,
    summary="Import an OpenAPI document as a Draft connector release (Junction extension)",
    description="Junction extension. The body is an OpenAPI 2.0, 3.0 or 3.1 document in JSON "
    "or YAML. It becomes a Draft release (replacing a Draft of the same Name and Version), "
    "answered like adding a connector, plus `Warnings` saying what was left out. A document "
    "that cannot be imported is a 400 listing every problem in `Problems`; nothing is stored.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media_type: {"schema": {"type": "string"}}
                for media_type in (
                    "application/json",
                    "application/yaml",
                    "text/yaml",
                    "text/plain",
                )
            },
        }
    },
)
async def import_openapi_connector(
    request: Request,
    context: Context,
    session: Session,
    response: Response,
    name: Annotated[str | None, Query(description="Connector Name (default: info.title).")] = None,
    version: Annotated[
        str | None, Query(description="Connector Version (default: from info.version).")
    ] = None,
    tag: Annotated[
        list[str] | None,
        Query(description="Import only operations with one of these tags ('' for untagged)."),
    ] = None,
    search: Annotated[
        str | None,
        Query(
            description="Import only operations whose verb, path, operationId or summary "
            "contains this text."
        ),
    ] = None,
    path: Annotated[
        list[str] | None,
        Query(
            description="Import only operations of these paths: a path as the document "
            "writes it (/pets/{petId}), or ending in * for every path starting so (/pets*)."
        ),
    ] = None,
) -> ConnectorImportOut:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in OPENAPI_TYPES:
        raise BadRequest(
            f"Content-Type {content_type} is not accepted; send the document as "
            "application/json, application/yaml, text/yaml or text/plain"
        )
    body = await request.body()
    if len(body) > MAX_OPENAPI_BYTES:
        raise PayloadTooLarge(f"The document is larger than {MAX_OPENAPI_BYTES} bytes")
    # Converting a large document takes a while of CPU: keep it off the event loop.
    choice = (
        OperationChoice(
            frozenset(tag) if tag is not None else None,
            search or "",
            tuple(path) if path is not None else None,
        )
        if tag is not None or search or path is not None
        else None
    )
    result = await asyncio.to_thread(
        import_openapi, body, name=name, version=version, choice=choice
    )
    check_texts(result.definition)
    connector, created = await catalog.add_release(
        session=session, document=result.definition, now=context.clock()
    )
    response.status_code = 201 if created else 200
    return ConnectorImportOut(
        **ConnectorOut.build(connector).model_dump(), Warnings=result.warnings
    )


@router.get(
    "/connectors/{connector}",
    response_model=ConnectorOut | list[ConnectorOut],
    summary="Get a connector by Id, or every release of a connector by name",
)
async def get_connector(connector: str, session: Session) -> Any:
    connector_id = id_in_reference(connector, field="path parameter connector")
    if connector_id is not None:
        return ConnectorOut.build(
            await catalog.get_connector(session=session, connector_id=connector_id)
        )
    rows = await catalog.connectors_named(session=session, name=connector)
    return [ConnectorOut.build(row) for row in rows]


@router.get(
    "/connectors/{connector}/methods",
    response_model=list[MethodOut],
    summary="List a connector's methods, by connector Id or name",
    description="`connector` is a release's Id, or a connector name: by name, the methods "
    "of its newest Live release (the newest release while none is Live).",
)
async def list_methods(
    connector: str,
    session: Session,
    category: Annotated[str | None, Query()] = None,
    query: Annotated[str | None, Query(description="Text in the method name.")] = None,
) -> list[MethodOut]:
    connector_id = id_in_reference(connector, field="path parameter connector")
    if connector_id is not None:
        row = await catalog.get_connector(session=session, connector_id=connector_id)
    else:
        releases = await catalog.connectors_named(session=session, name=connector)
        chosen = catalog.choose_release(releases, None)
        assert chosen is not None  # connectors_named raises NotFound when there is none
        row = chosen
    return await _methods_of(session, row, category, query)


@router.get(
    "/connectors/{name}/{version}/methods",
    response_model=list[MethodOut],
    summary="List the methods of a connector release, by name and version",
)
async def list_release_methods(
    name: str,
    version: str,
    session: Session,
    category: Annotated[str | None, Query()] = None,
    query: Annotated[str | None, Query(description="Text in the method name.")] = None,
) -> list[MethodOut]:
    rows = await catalog.connectors_named(session=session, name=name, version=version)
    return await _methods_of(session, rows[0], category, query)


async def _methods_of(
    session: Session, connector: Connector, category: str | None, query: str | None
) -> list[MethodOut]:
    definition = catalog.definition_of(connector)
    ids = await catalog.method_ids(session=session, connector_id=connector.id)
    return [
        MethodOut.build(connector.id, method, ids[position])
        for position, method in enumerate(definition.Methods)
        if (category is None or (method.Category or "").lower() == category.lower())
        and (query is None or query.lower() in method.Name.lower())
    ]


@router.get(
    "/connectors/{connector_id}/definition",
    summary="A connector release's definition, to edit and send again (Junction extension)",
    description="Junction extension. The definition as it was added or imported, with every "
    "default filled in: edit it (for example its ReleaseStatus) and send it to "
    "POST /v1.0/connectors.",
)
async def get_definition(connector_id: RowId, session: Session) -> dict[str, Any]:
    connector = await catalog.get_connector(session=session, connector_id=connector_id)
    return dict(connector.definition)


@router.get("/methods/{method_id}", response_model=MethodOut, summary="Get a method")
async def get_method(method_id: RowId, session: Session) -> MethodOut:
    connector, position = await catalog.get_method(session=session, method_id=method_id)
    method = catalog.definition_of(connector).Methods[position]
    ids = await catalog.method_ids(session=session, connector_id=connector.id)
    return MethodOut.build(connector.id, method, ids[position])


class PartnerPropertyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Name: str
    Value: str | None = Field(description="null removes the value.")


class PartnerPropertyOut(BaseModel):
    Name: str
    IsSet: bool


async def _partner_properties(session: Session, connector_id: int) -> list[PartnerPropertyOut]:
    connector = await catalog.get_connector(session=session, connector_id=connector_id)
    definition = catalog.definition_of(connector)
    names = set(await partner_properties.names_set(session=session, connector_name=connector.name))
    return [
        PartnerPropertyOut(Name=p.TargetName, IsSet=p.TargetName in names)
        for p in definition.Parameters
        if p.PartnerConnectorProperty
    ]


@router.get(
    "/connectors/{connector_id}/partnerproperties",
    response_model=list[PartnerPropertyOut],
    summary="Which partner properties are set (Junction extension)",
    description="Junction extension. Values are never shown.",
)
async def list_partner_properties(
    connector_id: RowId, session: Session
) -> list[PartnerPropertyOut]:
    return await _partner_properties(session, connector_id)


@router.put(
    "/connectors/{connector_id}/partnerproperties",
    response_model=list[PartnerPropertyOut],
    summary="Set partner properties (Junction extension)",
    description="Junction extension. Values the partner sets once for every account "
    "connector of this connector (all releases), such as its OAuth client secret. "
    "Stored encrypted; never shown again.",
)
async def set_partner_properties(
    connector_id: RowId, values: list[PartnerPropertyIn], session: Session, context: Context
) -> list[PartnerPropertyOut]:
    connector = await catalog.get_connector(session=session, connector_id=connector_id)
    await partner_properties.set_values(
        session=session,
        keyring=context.keyring,
        connector=connector,
        definition=catalog.definition_of(connector),
        values={item.Name: item.Value for item in values},
    )
    return await _partner_properties(session, connector_id)


# Last: its two free path segments would otherwise swallow /connectors/{id}/<anything>.
@router.get(
    "/connectors/{name}/{version}",
    response_model=list[ConnectorOut],
    summary="Get one release of a connector by name and version",
)
async def get_connector_version(name: str, version: str, session: Session) -> list[ConnectorOut]:
    rows = await catalog.connectors_named(session=session, name=name, version=version)
    return [ConnectorOut.build(row) for row in rows]
