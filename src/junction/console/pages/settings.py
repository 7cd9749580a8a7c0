"""Settings: the API's client credential sets and access tokens, the installation settings
the console may override, and links to the appearance and the console's users."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import JSONResponse, Response

from junction.auth import service as auth
from junction.console import settings_view
from junction.console.web import (
    Changes,
    NavItem,
    SignedIn,
    Staff,
    back_to,
    field_errors,
    page_router,
    render,
)
from junction.embed import appearance
from junction.embed.browser import PageError
from junction.errors import BadRequest, NotFound
from junction.installation import service as installation

router = page_router()
NAV = NavItem("Settings", "/console/settings", 80)
PATH = "/console/settings"


async def _page(
    request: Request,
    staff: Staff,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    created: auth.CredentialSet | None = None,
    revealed: auth.CredentialSet | None = None,
) -> Response:
    context = staff.context
    async with context.database.transaction(read_only=True) as session:
        found = await settings_view.view(
            session=session, base=context.settings, now=context.clock()
        )
    return render(
        request,
        "settings.html",
        status_code=status_code,
        title="Settings",
        staff=staff,
        view=found,
        notice=notice,
        errors=errors or {},
        values=values or {},
        created=created,
        revealed=revealed,
        appearance_form=True,
    )


@router.get("/settings")
async def settings_page(request: Request, staff: SignedIn, notice: str = "") -> Response:
    return await _page(request, staff, notice=notice)


# Client credential sets -------------------------------------------------------------


@router.post("/settings/credentials")
async def create_credentials(
    request: Request, staff: Changes, description: Annotated[str, Form()] = ""
) -> Response:
    context = staff.context
    try:
        async with context.database.transaction() as session:
            now = context.clock()
            created = await auth.create_credentials(
                session=session,
                keyring=context.keyring,
                description=description,
                limit=context.settings.max_client_credentials,
                now=now,
            )
            staff.audit(
                session,
                "credentials.create",
                "credentials",
                created.client_id,
                after={"ClientId": created.client_id, "Description": created.description},
                now=now,
            )
    except BadRequest as exc:
        errors = field_errors(exc)
        # The service names no field; its only field is the description.
        errors = {"description": errors.get("_form", exc.message)}
        return await _page(
            request, staff, status_code=400, errors=errors, values={"description": description}
        )
    # Shown in this answer only, never in a URL: a reload does not show it again.
    return await _page(request, staff, created=created)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.post("/settings/credentials/{client_id}/reveal")
async def reveal_credentials(request: Request, staff: Changes, client_id: str) -> Response:
    context = staff.context
    try:
        async with context.database.transaction() as session:
            revealed = await auth.reveal_credentials(
                session=session, keyring=context.keyring, client_id=client_id
            )
            staff.audit(
                session, "credentials.reveal", "credentials", client_id, now=context.clock()
            )
    except NotFound as exc:
        raise PageError("Not found", exc.message, 404) from None
    if _wants_json(request):
        # The eye button's script shows it in place.
        return JSONResponse(
            {"ClientId": revealed.client_id, "ClientSecret": revealed.client_secret},
            headers={"Cache-Control": "no-store"},
        )
    return await _page(request, staff, revealed=revealed)


async def _credential_set(staff: Staff, client_id: str) -> auth.CredentialSet:
    async with staff.context.database.transaction(read_only=True) as session:
        for item in await auth.list_credentials(session=session):
            if item.client_id == client_id:
                return item
    raise PageError("Not found", f"No client credential set with ClientId '{client_id}'", 404)


@router.get("/settings/credentials/{client_id}/delete")
async def confirm_delete(request: Request, staff: SignedIn, client_id: str) -> Response:
    found = await _credential_set(staff, client_id)
    async with staff.context.database.transaction(read_only=True) as session:
        tokens = await auth.list_tokens(
            session=session, now=staff.context.clock(), client_id=client_id
        )
    return render(
        request,
        "settings_delete.html",
        title="Delete a client credential set",
        staff=staff,
        credentials=found,
        tokens=len(tokens),
    )


@router.post("/settings/credentials/{client_id}/delete")
async def delete_credentials(staff: Changes, client_id: str) -> Response:
    found = await _credential_set(staff, client_id)
    context = staff.context
    try:
        async with context.database.transaction() as session:
            await auth.delete_credentials(session=session, client_id=client_id)
            staff.audit(
                session,
                "credentials.delete",
                "credentials",
                client_id,
                before={"ClientId": found.client_id, "Description": found.description},
                now=context.clock(),
            )
    except NotFound as exc:
        raise PageError("Not found", exc.message, 404) from None
    return back_to(
        PATH, f"The credential set {found.description} is deleted; its tokens no longer work."
    )


# Access tokens -----------------------------------------------------------------------


@router.post("/settings/tokens/{token_id}/revoke")
async def revoke_token(staff: Changes, token_id: str) -> Response:
    context = staff.context
    try:
        async with context.database.transaction() as session:
            now = context.clock()
            tokens = await auth.list_tokens(session=session, now=now)
            before = next((t for t in tokens if t.id == token_id), None)
            await auth.revoke_token(session=session, token_id=token_id, now=now)
            staff.audit(
                session,
                "token.revoke",
                "token",
                token_id,
                now=now,
                before=None
                if before is None
                else {
                    "ClientId": before.client_id,
                    "AccountId": before.account_id,
                    "ExpiresAt": before.expires_at.isoformat(),
                },
            )
    except NotFound as exc:
        raise PageError("Not found", exc.message, 404) from None
    return back_to(PATH, "The access token is revoked.")


# Installation settings ---------------------------------------------------------------


@router.post("/settings/installation")
async def update_settings(request: Request, staff: Changes) -> Response:
    form = await request.form()
    typed = {item.name: str(form.get(item.name, "")) for item in installation.EDITABLE}
    context = staff.context
    try:
        async with context.database.transaction() as session:
            now = context.clock()
            before, after = await installation.update(
                session=session, base=context.settings, form=typed, actor=staff.actor, now=now
            )
            if after:
                _record_settings(staff, session, before, after, now)
    except BadRequest as exc:
        # Nothing was stored: every value is checked before any is.
        return await _page(request, staff, status_code=400, errors=field_errors(exc), values=typed)
    # This process uses the new values from the next request on; others within seconds.
    await context.installation.reload()
    if not after:
        return back_to(PATH, "Nothing changed.")
    return back_to(PATH, "The installation settings are saved.")


@router.post("/settings/installation/{name}/reset")
async def reset_setting(staff: Changes, name: str) -> Response:
    context = staff.context
    try:
        async with context.database.transaction() as session:
            now = context.clock()
            change = await installation.reset(session=session, base=context.settings, name=name)
            if change is not None:
                _record_settings(staff, session, {name: change[0]}, {name: change[1]}, now)
    except BadRequest as exc:
        raise PageError("Not found", exc.message, 404) from None
    await context.installation.reload()
    return back_to(PATH, "The environment's value applies again.")


def _record_settings(
    staff: Staff, session: Any, before: dict[str, Any], after: dict[str, Any], now: Any
) -> None:
    staff.audit(
        session,
        "settings.update",
        "settings",
        "installation",
        before=settings_view.for_audit(before),
        after=settings_view.for_audit(after),
        now=now,
    )


# Appearance ---------------------------------------------------------------------------


async def _appearance_page(
    request: Request,
    staff: Staff,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    notice: str = "",
) -> Response:
    if values is None:
        async with staff.context.database.transaction(read_only=True) as session:
            look = await appearance.stored(session=session, account_id=None)
        values = settings_view.appearance_values(look)
    return render(
        request,
        "settings_appearance.html",
        status_code=status_code,
        title="Appearance of the customer pages",
        staff=staff,
        fields=settings_view.APPEARANCE_FIELDS,
        colours=settings_view.COLOURS,
        errors=errors or {},
        values=values,
        notice=notice,
    )


@router.get("/settings/appearance")
async def appearance_page(request: Request, staff: SignedIn, notice: str = "") -> Response:
    return await _appearance_page(request, staff, notice=notice)


@router.post("/settings/appearance")
async def update_appearance(request: Request, staff: Changes) -> Response:
    form = await request.form()
    names = [name for name, _, _ in settings_view.APPEARANCE_FIELDS]
    names += [name for name, _ in settings_view.COLOURS] + ["CustomCss"]
    typed = {name: str(form.get(name, "")) for name in names}
    context = staff.context
    try:
        async with context.database.transaction() as session:
            now = context.clock()
            before = await appearance.stored(session=session, account_id=None)
            after = await appearance.store(
                session=session,
                account_id=None,
                appearance=settings_view.appearance_from_form(before, typed),
                now=now,
            )
            staff.audit(
                session,
                "appearance.update",
                "appearance",
                "partner",
                before=before.model_dump(mode="json", exclude_none=True),
                after=after.model_dump(mode="json", exclude_none=True),
                now=now,
            )
    except BadRequest as exc:
        return await _appearance_page(
            request, staff, status_code=400, errors=field_errors(exc), values=typed
        )
    return back_to(f"{PATH}/appearance", "The appearance is saved; the pages show it at once.")
