"""Templates: the list, creating one, a template's releases and their statuses, the
difference between two releases, export and import, and upgrading installed cycles."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from junction.bounds import check_texts
from junction.console import templates_view as view
from junction.console.web import (
    Changes,
    NavItem,
    SignedIn,
    Staff,
    back_to,
    page_router,
    render,
)
from junction.cycles import service as cycles
from junction.cycles import upgrade
from junction.embed.browser import security_headers
from junction.errors import BadRequest, JunctionError, NotFound
from junction.templates import diff, service, transfer
from junction.templates.spec.models import TemplateDocument

router = page_router()
NAV = NavItem("Templates", "/console/templates", 50)
LIST = "/console/templates"


def _path(template_id: str) -> str:
    return f"{LIST}/{quote(template_id, safe='')}"


async def _list_page(
    request: Request,
    staff: Staff,
    *,
    q: str = "",
    tag: str = "",
    page: int = 1,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    refused: view.Refusal | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        listed = await view.listing(session=session, search=q, tag=tag, page=page)
    return render(
        request,
        "templates.html",
        status_code=status_code,
        title="Templates",
        staff=staff,
        listed=listed,
        q=q,
        tag=tag,
        notice=notice,
        errors=errors or {},
        values=values or {},
        refused=refused,
    )


@router.get("/templates")
async def templates_page(
    request: Request, staff: SignedIn, q: str = "", tag: str = "", page: int = 1, notice: str = ""
) -> Response:
    return await _list_page(request, staff, q=q, tag=tag, page=page, notice=notice)


@router.post("/templates")
async def create_template(
    request: Request,
    staff: Changes,
    name: Annotated[str, Form(alias="Name")] = "",
    description: Annotated[str, Form(alias="Description")] = "",
    tags: Annotated[str, Form(alias="Tags")] = "",
) -> Response:
    document: dict[str, Any] = {
        "Name": name.strip(),
        "Description": description.strip() or None,
        "Tags": view.tags_of(tags),
    }
    try:
        check_texts(document)
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            template, release = await service.create_template(
                session=session, document=document, now=now
            )
            staff.audit(
                session,
                "template.create",
                "template",
                template.id,
                after={**document, "Id": template.id, "Version": release.version},
                now=now,
            )
    except BadRequest as exc:
        return await _list_page(
            request,
            staff,
            status_code=400,
            errors=view.document_errors(exc),
            values={"Name": name, "Description": description, "Tags": tags},
        )
    return back_to(_path(template.id), f"Template {template.name} created, release 1 is a Draft.")


@router.post("/templates/import")
async def import_template(
    request: Request,
    staff: Changes,
    file: Annotated[UploadFile | None, File()] = None,
    as_copy: Annotated[str, Form(alias="copy")] = "",
) -> Response:
    try:
        document = transfer.read_export(await view.upload(file))
        check_texts(document)
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            imported = await transfer.import_template(
                session=session, document=document, now=now, as_copy=bool(as_copy)
            )
            releases = await service.releases(session=session, template_id=imported.template.id)
            staff.audit(
                session,
                "template.import",
                "template",
                imported.template.id,
                now=now,
                after={
                    "Name": imported.template.name,
                    "Releases": [{"Version": r.version, "Status": r.status} for r in releases],
                    "ConnectorsAdded": [f"{c.name} {c.version}" for c in imported.added],
                    "Copy": bool(as_copy),
                },
            )
    except JunctionError as exc:
        # Nothing was stored: the transaction was rolled back with the refusal.
        return await _list_page(
            request, staff, status_code=exc.status_code, refused=view.refusal(exc)
        )
    added = ", ".join(f"{c.name} {c.version}" for c in imported.added)
    return back_to(
        _path(imported.template.id),
        f"Template {imported.template.name} imported"
        + (f", with connector releases {added}." if added else "."),
    )


async def _template_page(
    request: Request,
    staff: Staff,
    template_id: str,
    *,
    notice: str = "",
    status_code: int = 200,
    refused: view.Refusal | None = None,
    form: str = "",
    reports: list[dict[str, Any]] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        shown = await view.template_page(session=session, template_id=template_id)
    return render(
        request,
        "templates_template.html",
        status_code=status_code,
        title=shown.out.Name,
        staff=staff,
        page=shown,
        path=_path(template_id),
        notice=notice,
        refused=refused,
        form=form,
        reports=reports,
    )


@router.get("/templates/{template_id}")
async def template_page(
    request: Request, staff: SignedIn, template_id: str, notice: str = ""
) -> Response:
    return await _template_page(request, staff, template_id, notice=notice)


@router.post("/templates/{template_id}/releases")
async def new_release(request: Request, staff: Changes, template_id: str) -> Response:
    try:
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            release = await service.new_release(
                session=session, template_id=template_id, document=None, now=now
            )
            staff.audit(
                session,
                "template.release",
                "template",
                template_id,
                after={"Version": release.version, "Status": release.status},
                now=now,
            )
    except NotFound:
        raise
    except JunctionError as exc:
        return await _template_page(
            request,
            staff,
            template_id,
            status_code=exc.status_code,
            refused=view.refusal(exc),
            form="release",
        )
    return back_to(
        _path(template_id),
        f"Release {release.version} is a new Draft, copied from release {release.version - 1}.",
    )


@router.post("/templates/{template_id}/releases/{version}/status")
async def set_status(
    request: Request,
    staff: Changes,
    template_id: str,
    version: int,
    status: Annotated[str, Form()] = "",
) -> Response:
    try:
        if status not in (service.LIVE, service.DEPRECATED):
            raise BadRequest("Status: choose Live or Deprecated")
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            before = (
                await service.get_release(session=session, template_id=template_id, version=version)
            ).status
            release = await service.set_status(
                session=session, template_id=template_id, version=version, status=status, now=now
            )
            staff.audit(
                session,
                "template.status",
                "template",
                template_id,
                before={"Version": version, "Status": before},
                after={"Version": version, "Status": release.status},
                now=now,
            )
    except NotFound:
        raise
    except JunctionError as exc:
        return await _template_page(
            request,
            staff,
            template_id,
            status_code=exc.status_code,
            refused=view.refusal(exc),
            form=f"status-{version}",
        )
    said = "published: it is Live" if status == service.LIVE else "deprecated"
    return back_to(_path(template_id), f"Release {version} {said}.")


@router.get("/templates/{template_id}/diff")
async def diff_page(
    request: Request,
    staff: SignedIn,
    template_id: str,
    older: int | None = None,
    newer: int | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        template = await service.get_template(session=session, template_id=template_id)
        releases = await service.releases(session=session, template_id=template_id)
    versions = [r.version for r in releases]
    older = older if older is not None else (versions[-2] if len(versions) > 1 else versions[0])
    newer = newer if newer is not None else versions[-1]
    by_version = {r.version: r for r in releases}
    error = ""
    changes: list[diff.Change] = []
    if older not in by_version or newer not in by_version:
        error = "Choose two releases of this template."
    else:
        changes = diff.diff(
            TemplateDocument.model_validate(by_version[older].document),
            TemplateDocument.model_validate(by_version[newer].document),
        )
    return render(
        request,
        "templates_diff.html",
        status_code=400 if error else 200,
        title=f"{template.name}: releases compared",
        staff=staff,
        subject=template,
        path=_path(template_id),
        versions=versions,
        older=older,
        newer=newer,
        error=error,
        changes=changes,
        sections=("Template", "Settings", "Variables", "Steps", "Edges"),
    )


def _download(request: Request, staff: Staff, document: dict[str, Any], name: str) -> Response:
    filename = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "template"
    headers = security_headers(staff.context, framed=False)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    headers["Cache-Control"] = "no-store"
    return Response(json.dumps(document, indent=2), media_type="application/json", headers=headers)


@router.get("/templates/{template_id}/export")
async def export_template(request: Request, staff: SignedIn, template_id: str) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        document = await transfer.export_template(
            session=session, template_id=template_id, now=staff.context.clock()
        )
    return _download(request, staff, document, document["Template"]["Name"])


@router.get("/templates/{template_id}/releases/{version}/export")
async def export_release(
    request: Request, staff: SignedIn, template_id: str, version: int
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        document = await transfer.export_release(
            session=session, template_id=template_id, version=version, now=staff.context.clock()
        )
    return _download(request, staff, document, f"{document['Template']['Name']}-release-{version}")


@router.post("/templates/{template_id}/import")
async def import_release(
    request: Request,
    staff: Changes,
    template_id: str,
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    try:
        document = transfer.read_export(await view.upload(file))
        check_texts(document)
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            imported = await transfer.import_release(
                session=session, template_id=template_id, document=document, now=now
            )
            staff.audit(
                session,
                "template.import",
                "template",
                template_id,
                now=now,
                after={
                    "Version": imported.release.version,
                    "Status": imported.release.status,
                    "ConnectorsAdded": [f"{c.name} {c.version}" for c in imported.added],
                },
            )
    except NotFound:
        raise
    except JunctionError as exc:
        return await _template_page(
            request,
            staff,
            template_id,
            status_code=exc.status_code,
            refused=view.refusal(exc),
            form="import",
        )
    return back_to(_path(template_id), f"Imported as release {imported.release.version}, a Draft.")


@router.post("/templates/{template_id}/upgrade")
async def upgrade_cycles(
    request: Request,
    staff: Changes,
    template_id: str,
    cycle_id: Annotated[str, Form()] = "",
) -> Response:
    """One cycle (``cycle_id``) or every cycle that runs an older release; the report of
    each is shown on the template's page."""
    try:
        async with staff.context.database.transaction() as session:
            now = staff.context.clock()
            keyring = staff.context.keyring
            if cycle_id:
                found = await cycles.locate(session=session, cycle_id=cycle_id)
                if found.template_id != template_id:
                    raise NotFound(f"No cycle with Id '{cycle_id}' runs this template")
                cycle = await cycles.get(
                    session=session, account_id=found.account_id, cycle_id=cycle_id, lock=True
                )
                done = await upgrade.upgrade(session=session, keyring=keyring, cycle=cycle, now=now)
                reports = [{"CycleId": cycle.id, "AccountId": cycle.account_id} | done.body()]
            else:
                reports = await upgrade.upgrade_installed(
                    session=session, keyring=keyring, template_id=template_id, now=now
                )
            for report in reports:
                if "Error" in report:
                    continue
                staff.audit(
                    session,
                    "cycle.upgrade",
                    "cycle",
                    report["CycleId"],
                    before={"TemplateId": template_id, "Version": report["FromVersion"]},
                    after={k: v for k, v in report.items() if k not in ("CycleId", "AccountId")},
                    now=now,
                )
    except JunctionError as exc:
        if isinstance(exc, NotFound) and not cycle_id:
            raise
        return await _template_page(
            request,
            staff,
            template_id,
            status_code=exc.status_code,
            refused=view.refusal(exc),
            form="upgrade",
        )
    names = await _names(staff, reports)
    for report in reports:
        report["CycleName"] = names.get(report["CycleId"], report["CycleId"])
        report["AccountName"] = names.get(report["AccountId"], report["AccountId"])
    done_count = sum(1 for r in reports if "Error" not in r)
    notice = f"{done_count} cycle{'s' if done_count != 1 else ''} upgraded."
    return await _template_page(request, staff, template_id, notice=notice, reports=reports)


async def _names(staff: Staff, reports: list[dict[str, Any]]) -> dict[str, str]:
    """The reported cycles' and accounts' names, by Id."""
    async with staff.context.database.transaction(read_only=True) as session:
        return await view.names(
            session=session,
            cycle_ids=[r["CycleId"] for r in reports],
            account_ids=[r["AccountId"] for r in reports],
        )
