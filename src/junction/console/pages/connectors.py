"""Connectors: the catalogue, one release's definition, adding a definition, importing an
OpenAPI document (choosing its operations first), release status and partner properties.

Every change goes through the catalogue services the API calls, with its audit entry in the
same transaction. An OpenAPI document being imported is carried from one step to the next
in the form itself, so nothing is kept on the server between the steps.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from junction.bounds import check_text, check_texts
from junction.connectors.catalog import partner_properties
from junction.connectors.catalog import service as catalog
from junction.connectors.catalog.documents import (
    MAX_DEFINITION_BYTES,
    MAX_OPENAPI_BYTES,
    load_document,
)
from junction.connectors.catalog.models import Connector
from junction.connectors.openapi import (
    ImportResult,
    OperationChoice,
    OperationSummary,
    import_openapi,
    list_operations,
)
from junction.connectors.spec.models import ConnectorDefinition, ReleaseStatusName
from junction.console import connectors_view as view
from junction.console.web import (
    Changes,
    NavItem,
    SignedIn,
    Staff,
    back_to,
    page_router,
    render,
)
from junction.embed.browser import PageError
from junction.errors import BadRequest, JunctionError

router = page_router()
NAV = NavItem("Connectors", "/console/connectors", 40)
BASE = "/console/connectors"
LISTED = 1000  # releases read for the catalogue; far more than a partner keeps
OPERATIONS_SHOWN = 500


def _admin_only(staff: Staff) -> None:
    if not staff.admin:
        raise PageError("Not allowed", "A viewer can look at everything but change nothing.", 403)


def _summary(connector: Connector) -> dict[str, Any]:
    """What the audit log keeps of a release (never its definition: it may hold secrets)."""
    definition = catalog.definition_of(connector)
    return {
        "Name": connector.name,
        "Version": connector.version,
        "ReleaseStatus": connector.status,
        "Methods": len(definition.Methods),
    }


# The catalogue --------------------------------------------------------------------------


@router.get("/connectors")
async def catalogue_page(
    request: Request, staff: SignedIn, query: str = "", category: str = "", notice: str = ""
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        chosen = catalog.connectors_query(query=query or None, category=category or None)
        found = (await session.scalars(chosen.order_by(Connector.id).limit(LISTED))).all()
        every = (await session.scalars(catalog.connectors_query(query=None, category=None))).all()
    return render(
        request,
        "connectors.html",
        title="Connectors",
        staff=staff,
        rows=view.catalogue(found),
        categories=view.categories(every),
        filters={"query": query, "category": category},
        notice=notice,
    )


# One release ----------------------------------------------------------------------------


async def _release_page(
    request: Request,
    staff: Staff,
    connector_id: int,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        connector = await catalog.get_connector(session=session, connector_id=connector_id)
        definition = catalog.definition_of(connector)
        releases = await catalog.connectors_named(session=session, name=connector.name)
        properties = await view.property_states(
            session=session, connector=connector, definition=definition
        )
    return render(
        request,
        "connectors_release.html",
        status_code=status_code,
        title=f"{connector.name} {connector.version}",
        staff=staff,
        connector=connector,
        definition=definition,
        icon=view.icon_of(definition),
        auth_type=view.auth_type(definition),
        releases=releases,
        next_status=catalog.NEXT_STATUS.get(connector.status),
        groups=view.method_groups(definition),
        properties=properties,
        raw=view.pretty(connector.definition),
        notice=notice,
        errors=errors or {},
    )


@router.get("/connectors/{connector_id:int}")
async def release_page(
    request: Request, staff: SignedIn, connector_id: int, notice: str = ""
) -> Response:
    return await _release_page(request, staff, connector_id, notice=notice)


@router.post("/connectors/{connector_id:int}/release")
async def change_status(
    request: Request,
    staff: Changes,
    connector_id: int,
    status: Annotated[str, Form()] = "",
) -> Response:
    try:
        wanted = ReleaseStatusName(status)
    except ValueError:
        return await _release_page(
            request, staff, connector_id, status_code=400, errors={"Status": "Choose a status"}
        )
    try:
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            connector = await catalog.get_connector(session=session, connector_id=connector_id)
            before = _summary(connector)
            changed = await catalog.set_release_status(
                session=session, connector=connector, status=wanted, now=now
            )
            staff.audit(
                session,
                "connector.release",
                "connector",
                str(changed.id),
                before=before,
                after=_summary(changed),
                now=now,
            )
    except BadRequest as exc:
        return await _release_page(
            request, staff, connector_id, status_code=400, errors={"Status": exc.message}
        )
    except JunctionError as exc:
        if exc.status_code != 409:
            raise
        # Not bad input: the rules of releases (a Live release only becomes Deprecated).
        return await _release_page(
            request, staff, connector_id, status_code=409, errors={"Status": exc.message}
        )
    return back_to(f"{BASE}/{connector_id}", f"The release is {changed.status} now.")


@router.post("/connectors/{connector_id:int}/properties")
async def set_properties(request: Request, staff: Changes, connector_id: int) -> Response:
    form = await request.form()
    values: dict[str, str | None] = {}
    for key, item in form.multi_items():
        if not isinstance(item, str):
            continue
        kind, _, name = key.partition(":")
        if kind == "remove" and item:
            values[name] = None
        elif kind == "value" and item and name not in values:
            values[name] = item
    try:
        for name, value in values.items():
            if value is not None:
                check_text(name, value)
        if not values:
            raise BadRequest("Enter a value to set, or choose one to remove")
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            connector = await catalog.get_connector(session=session, connector_id=connector_id)
            await partner_properties.set_values(
                session=session,
                keyring=staff.context.keyring,
                connector=connector,
                definition=catalog.definition_of(connector),
                values=values,
            )
            # Names only: the values are secrets, and the log is read by every viewer.
            staff.audit(
                session,
                "connector.properties",
                view.PROPERTIES_KIND,
                connector.name,
                now=now,
                after={
                    "Set": sorted(n for n, v in values.items() if v is not None),
                    "Removed": sorted(n for n, v in values.items() if v is None),
                },
            )
    except BadRequest as exc:
        # Values are never shown again, so the form comes back empty with the reason above it.
        return await _release_page(
            request, staff, connector_id, status_code=400, errors={"Properties": exc.message}
        )
    return back_to(f"{BASE}/{connector_id}", "Partner properties saved.")


# Adding a definition --------------------------------------------------------------------


def _add_page(
    request: Request,
    staff: Staff,
    *,
    status_code: int = 200,
    text: str = "",
    refusal: view.Refusal | None = None,
) -> Response:
    return render(
        request,
        "connectors_add.html",
        status_code=status_code,
        title="Add a connector definition",
        staff=staff,
        text=text,
        refusal=refusal,
        limit_mb=MAX_DEFINITION_BYTES // (1024 * 1024),
    )


@router.get("/connectors/add")
async def add_page(request: Request, staff: SignedIn) -> Response:
    _admin_only(staff)
    return _add_page(request, staff)


@router.post("/connectors/add")
async def add_definition(
    request: Request,
    staff: Changes,
    text: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    kept = text
    try:
        source = await view.document_text(file, text, limit=MAX_DEFINITION_BYTES)
        kept = source
        document = load_document(source)
        check_texts(document)
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            connector, created = await catalog.add_release(
                session=session, document=document, now=now
            )
            staff.audit(
                session,
                "connector.add",
                "connector",
                str(connector.id),
                after={**_summary(connector), "Replaced": not created},
                now=now,
            )
    except JunctionError as exc:
        if exc.status_code not in (400, 409, 413):
            raise
        # Nothing was stored; the document stays in the form to be put right.
        refusal = view.refusal(exc)
        return _add_page(
            request, staff, status_code=refusal.status_code, text=kept, refusal=refusal
        )
    verb = "added" if created else "replaced"
    return back_to(f"{BASE}/{connector.id}", f"{connector.name} {connector.version} {verb}.")


# Importing an OpenAPI document -----------------------------------------------------------


def _import_page(
    request: Request,
    staff: Staff,
    *,
    status_code: int = 200,
    text: str = "",
    values: dict[str, str] | None = None,
    refusal: view.Refusal | None = None,
) -> Response:
    return render(
        request,
        "connectors_import.html",
        status_code=status_code,
        title="Import an OpenAPI document",
        staff=staff,
        text=text,
        values=values or {},
        refusal=refusal,
    )


async def _choose_page(
    request: Request,
    staff: Staff,
    *,
    document: str,
    found: list[OperationSummary],
    choice: OperationChoice,
    name: str,
    version: str,
    refused: JunctionError | None = None,
) -> Response:
    """Step 2: the operations, the choice and what importing it would make (or why not)."""
    preview: ImportResult | None = None
    status_code = 200
    if refused is None:
        try:
            preview = await asyncio.to_thread(
                import_openapi, document, name=name or None, version=version or None, choice=choice
            )
        except BadRequest as exc:
            refused = exc
    refusal = view.refusal(refused) if refused is not None else None
    if refusal is not None:
        status_code = refusal.status_code
    kept = [op for op in found if choice.keeps_summary(op)]
    definition = ConnectorDefinition.model_validate(preview.definition) if preview else None
    return render(
        request,
        "connectors_choose.html",
        status_code=status_code,
        title="Import an OpenAPI document: choose operations",
        staff=staff,
        document=document,
        operations=found[:OPERATIONS_SHOWN],
        hidden_count=max(0, len(found) - OPERATIONS_SHOWN),
        total=len(found),
        kept=len(kept),
        tags=view.tag_counts(found),
        choice=choice,
        values={"name": name, "version": version, "search": choice.search},
        preview=preview,
        definition=definition,
        refusal=refusal,
    )


@router.get("/connectors/import")
async def import_page(request: Request, staff: SignedIn) -> Response:
    _admin_only(staff)
    return _import_page(request, staff)


@router.post("/connectors/import")
async def read_openapi(
    request: Request,
    staff: Changes,
    text: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    kept = text
    values = {"name": name, "version": version}
    try:
        document = await view.document_text(file, text, limit=MAX_OPENAPI_BYTES)
        kept = document
        check_text("Document", document)
        found = await asyncio.to_thread(list_operations, document)
    except JunctionError as exc:
        if exc.status_code not in (400, 413):
            raise
        refusal = view.refusal(exc)
        return _import_page(
            request,
            staff,
            status_code=refusal.status_code,
            text=kept,
            values=values,
            refusal=refusal,
        )
    return await _choose_page(
        request,
        staff,
        document=document,
        found=found,
        choice=OperationChoice(),
        name=name,
        version=version,
    )


@router.post("/connectors/import/choose")
async def import_chosen(request: Request, staff: Changes) -> Response:
    form = await request.form()
    document = str(form.get("document", ""))
    name = str(form.get("name", "")).strip()
    version = str(form.get("version", "")).strip()
    tags = frozenset(str(tag) for tag in form.getlist("tag"))
    choice = OperationChoice(tags, str(form.get("search", "")))
    try:
        check_text("Document", document)
        found = await asyncio.to_thread(list_operations, document)
    except BadRequest as exc:
        refusal = view.refusal(exc)
        return _import_page(request, staff, status_code=400, text=document, refusal=refusal)
    if form.get("action") != "import":
        return await _choose_page(
            request,
            staff,
            document=document,
            found=found,
            choice=choice,
            name=name,
            version=version,
        )
    try:
        result = await asyncio.to_thread(
            import_openapi, document, name=name or None, version=version or None, choice=choice
        )
        check_texts(result.definition)
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            connector, created = await catalog.add_release(
                session=session, document=result.definition, now=now
            )
            staff.audit(
                session,
                "connector.import",
                "connector",
                str(connector.id),
                now=now,
                after={
                    **_summary(connector),
                    "Replaced": not created,
                    "Tags": sorted(tags),
                    "Search": choice.search,
                    "Warnings": len(result.warnings),
                },
            )
    except JunctionError as exc:
        if exc.status_code not in (400, 409):
            raise
        # Nothing was stored: the same choice is shown again with the reason.
        return await _choose_page(
            request,
            staff,
            document=document,
            found=found,
            choice=choice,
            name=name,
            version=version,
            refused=exc,
        )
    verb = "imported" if created else "imported, replacing the Draft"
    return back_to(
        f"{BASE}/{connector.id}",
        f"{connector.name} {connector.version} {verb} with "
        f"{len(catalog.definition_of(connector).Methods)} methods.",
    )
