"""The customer's pages: signing in with a token, LAUNCH and ORBIT.

Thin, like the API's routers: each reads the signed-in customer (``browser.SignedIn``, or
``browser.Posted`` for a form, which also checks its CSRF token), calls the services of
``launch`` and of the cycles, and renders a template or redirects (303 after every post, so
a reload never posts twice). Everything happens in the session's account: another
account's cycle or connector id is "not found", as in the API.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from junction.api.context import get_services
from junction.connectors.accounts import service as account_connectors
from junction.connectors.accounts.schemas import AccountConnectorUpdate, PropertyIn
from junction.connectors.calls import checks, lookups, oauth
from junction.connectors.calls import service as calls
from junction.cycles import activation_flow, structure, webhook_urls
from junction.cycles import service as cycles
from junction.cycles.activation import ActivateIn
from junction.embed import launch, signin
from junction.embed.browser import (
    STATIC_DIR,
    STATIC_PATH,
    Browser,
    PageError,
    Posted,
    SignedIn,
    cookie_header,
    error_page,
    redirect,
    render,
    safe_return_path,
)
from junction.errors import ConnectorCallError, JunctionError, NotFound
from junction.services import Services


class PageRoute(APIRoute):
    """Failures are pages too: a service's error is shown in the page's own style."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except PageError as exc:
                return error_page(request, exc)
            except JunctionError as exc:
                title = "Not found" if isinstance(exc, NotFound) else "That did not work"
                return error_page(request, PageError(title, exc.message, exc.status_code))
            except RequestValidationError:
                return error_page(
                    request, PageError("That did not work", "The form was not complete.", 400)
                )

        return page


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def mount_pages(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="embed-static")


# -- signing in --------------------------------------------------------------------------


@router.get("/account/signinwithtoken")
async def sign_in_with_token(
    request: Request, token: str = "", returnUrl: str | None = None
) -> Response:
    context = get_services(request)
    try:
        async with context.database.transaction() as session:
            opened = await signin.spend(
                session=session,
                token=token,
                now=context.clock(),
                lifetime=context.settings.browser_session_lifetime,
            )
    except signin.TokenRefused as exc:
        raise PageError("This link does not work", str(exc), 401) from None
    default = "/launch" if opened.options.get("page") == "launch" else "/orbit"
    response = redirect(safe_return_path(returnUrl, default))
    response.headers["Set-Cookie"] = cookie_header(context, opened.cookie, opened.expires_at)
    return response


# -- LAUNCH ------------------------------------------------------------------------------


def _options(browser: Browser) -> dict[str, Any]:
    return browser.options if browser.options.get("page") == "launch" else {}


@router.get("/launch")
async def launch_page(request: Request, browser: SignedIn) -> Response:
    options = _options(browser)
    async with browser.context.database.transaction(read_only=True) as session:
        offered = await launch.offered_templates(
            session=session, account_id=browser.account_id, options=options
        )
    if len(offered) == 1 and options.get("auto_install", True) and not offered[0].installed:
        return await _install(browser, offered[0].id)
    return render(
        request,
        "launch.html",
        title="Choose an integration",
        browser=browser,
        offered=offered,
        descriptions=bool(options.get("descriptions")),
    )


async def _install(browser: Browser, template_id: str) -> Response:
    context = browser.context
    async with context.database.transaction() as session:
        cycle = await cycles.install(
            session=session,
            keyring=context.keyring,
            account_id=browser.account_id,
            template_id=template_id,
            now=context.clock(),
        )
    return redirect(f"/launch/cycles/{cycle.id}")


@router.post("/launch/install")
async def install(browser: Posted, template_id: Annotated[str, Form()]) -> Response:
    async with browser.context.database.transaction(read_only=True) as session:
        offered = await launch.offered_templates(
            session=session, account_id=browser.account_id, options=_options(browser)
        )
    if template_id not in {o.id for o in offered}:
        raise NotFound("That integration is not offered here")
    return await _install(browser, template_id)


async def _fill_options(context: Services, account_id: str, view: launch.SetupView) -> None:
    """Look-up choices get their values from the connector's API (outside a transaction)."""
    authenticated = {card.id for card in view.connectors if card.authenticated}
    for choice in view.choices:
        if not choice.trigger or choice.account_connector_id not in authenticated:
            continue
        try:
            choice.options = await lookups.run(
                gateway=context.gateway,
                account_id=account_id,
                account_connector_id=choice.account_connector_id or 0,
                trigger_name=choice.trigger,
            )
        except (ConnectorCallError, JunctionError) as exc:
            choice.options_error = exc.message


async def _view(browser: Browser, cycle_id: str) -> launch.SetupView:
    async with browser.context.database.transaction(read_only=True) as session:
        view = await launch.setup_view(
            session=session, account_id=browser.account_id, cycle_id=cycle_id
        )
    await _fill_options(browser.context, browser.account_id, view)
    return view


@router.get("/launch/cycles/{cycle_id}")
async def setup_page(
    request: Request, browser: SignedIn, cycle_id: str, notice: str = "", error: str = ""
) -> Response:
    view = await _view(browser, cycle_id)
    options = _options(browser)
    return render(
        request,
        "setup.html",
        title=f"Set up {view.cycle.name}",
        tickets={
            card.id: oauth_ticket(browser, cycle_id, card.id)
            for card in view.connectors
            if card.auth_type == "OAuth2"
        },
        browser=browser,
        view=view,
        notice=notice,
        error=error,
        wizard=bool(options.get("wizard")),
        popup=not options.get("inline_oauth"),
    )


def _back(cycle_id: str, **query: str) -> Response:
    suffix = f"?{urlencode(query, quote_via=quote)}" if query else ""
    return redirect(f"/launch/cycles/{cycle_id}{suffix}")


@router.post("/launch/cycles/{cycle_id}/connectors/{account_connector_id}")
async def connect(
    request: Request, browser: Posted, cycle_id: str, account_connector_id: int
) -> Response:
    """API key, Basic or AuthFields credentials, tried at the API before they are kept."""
    form = await request.form()
    context = browser.context
    async with context.database.transaction(read_only=True) as session:
        view = await launch.setup_view(
            session=session, account_id=browser.account_id, cycle_id=cycle_id
        )
        card = next((c for c in view.connectors if c.id == account_connector_id), None)
        if card is None:
            raise NotFound(f"This integration uses no connection {account_connector_id}")
        row = await account_connectors.get(
            session=session,
            account_id=browser.account_id,
            account_connector_id=account_connector_id,
        )
    values = {k: str(v) for k, v in form.items()}
    auth_value = _auth_value(card, values)
    if auth_value is None and card.auth_type != "None":
        return _back(cycle_id, error=f"{card.name}: fill in every field")
    properties = [
        PropertyIn(Name=p.name, Value=values[f"prop-{p.name}"].strip() or None)
        for p in card.properties
        if f"prop-{p.name}" in values and (values[f"prop-{p.name}"].strip() or not p.sensitive)
    ]
    missing = [
        p.label for p in card.properties if not p.optional and not values.get(f"prop-{p.name}")
    ]
    if missing and not card.authenticated:
        return _back(cycle_id, error=f"{card.name}: fill in {', '.join(missing)}")
    if properties:
        # Kept before the credentials are tried: the test call goes where they say.
        async with context.database.transaction() as session:
            row = await account_connectors.get(
                session=session,
                account_id=browser.account_id,
                account_connector_id=account_connector_id,
            )
            context.gateway.forget(row.id)
            await account_connectors.update(
                session=session,
                keyring=context.keyring,
                row=row,
                update_in=AccountConnectorUpdate(Properties=properties),
                now=context.clock(),
            )
    if auth_value is None:
        return _back(cycle_id, notice=f"{card.name} is set up.")
    try:
        await checks.check_credentials(
            gateway=context.gateway,
            row=row,
            authentication_id=None,
            auth_value=auth_value,
            now=context.clock(),
        )
    except JunctionError as exc:
        return _back(cycle_id, error=exc.message.removeprefix("AuthValue: "))
    async with context.database.transaction() as session:
        row = await account_connectors.get(
            session=session,
            account_id=browser.account_id,
            account_connector_id=account_connector_id,
        )
        context.gateway.forget(row.id)
        await account_connectors.update(
            session=session,
            keyring=context.keyring,
            row=row,
            update_in=AccountConnectorUpdate(AuthValue=auth_value),
            now=context.clock(),
        )
    return _back(cycle_id, notice=f"{card.name} is connected.")


def _auth_value(card: launch.ConnectorCard, form: dict[str, str]) -> str | None:
    if card.auth_type == "ApiKey":
        key = form.get("api_key", "").strip()
        return key or None
    if card.auth_type == "Basic":
        user, password = form.get("username", ""), form.get("password", "")
        if not user or not password:
            return None
        return base64.b64encode(f"{user}:{password}".encode()).decode()
    if card.auth_type == "AuthFields":
        values = {f["Key"]: form.get(f"field-{f['Key']}", "").strip() for f in card.auth_fields}
        return json.dumps(values) if all(values.values()) else None
    return None


TICKET_CONTEXT = "junction-embed-oauth"
TICKET_SECONDS = 600


def oauth_ticket(browser: Browser, cycle_id: str, account_connector_id: int) -> str:
    """What the sign-in link carries instead of the session cookie. In an iframe the cookie
    is kept per embedding site, and a popup is a site of its own, which does not see it; so
    the link holds the account, the connection and an expiry, sealed with the keyring
    (readable and changeable by nobody else)."""
    expires = int(browser.context.clock().timestamp()) + TICKET_SECONDS
    payload = json.dumps([browser.account_id, cycle_id, account_connector_id, expires])
    return browser.context.keyring.seal(payload, context=TICKET_CONTEXT)


def _read_ticket(context: Services, ticket: str) -> tuple[str, str, int]:
    try:
        account_id, cycle_id, account_connector_id, expires = json.loads(
            context.keyring.open(ticket, context=TICKET_CONTEXT)
        )
    except Exception:
        raise PageError(
            "This link does not work", "Start again from the set-up page.", 400
        ) from None
    if expires < context.clock().timestamp():
        raise PageError("This link has expired", "Start again from the set-up page.", 401)
    return str(account_id), str(cycle_id), int(account_connector_id)


@router.get("/launch/connect")
async def start_oauth(request: Request, ticket: str, popup: int = 1) -> Response:
    context = get_services(request)
    account_id, cycle_id, account_connector_id = _read_ticket(context, ticket)
    async with context.database.transaction(read_only=True) as session:
        await cycles.get(session=session, account_id=account_id, cycle_id=cycle_id)
    row = await calls.account_connector(
        database=context.database,
        account_id=account_id,
        account_connector_id=account_connector_id,
    )
    auth, properties, script = await calls.oauth_settings(
        database=context.database, keyring=context.keyring, account_connector_id=row.id
    )
    done = f"/launch/oauth-done?{urlencode({'cycle': cycle_id, 'popup': int(bool(popup))})}"
    url = await oauth.start_authorisation(
        env=context.gateway.oauth,
        row=row,
        auth=auth,
        properties=properties,
        script=script,
        return_url=context.settings.public_base_url.rstrip("/") + done,
    )
    return redirect(url)


@router.get("/launch/oauth-done")
async def oauth_done(
    request: Request, cycle: str, popup: int = 1, status: str = "", message: str = ""
) -> Response:
    # No session here either: in a popup there is none. The page only reports the outcome
    # the OAuth callback (which stored the tokens) put in its address.
    ok = status == "success"
    if not popup:
        return _back(cycle, **({"notice": "Connected."} if ok else {"error": message}))
    return render(
        request,
        "oauth_done.html",
        title="Connected" if ok else "Not connected",
        ok=ok,
        message=message,
        back=f"/launch/cycles/{quote(cycle)}",
    )


@router.post("/launch/cycles/{cycle_id}/choices")
async def choose(request: Request, browser: Posted, cycle_id: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    view = await _view(browser, cycle_id)
    context = browser.context
    async with context.database.transaction() as session:
        await launch.save_choices(
            session=session,
            account_id=browser.account_id,
            cycle_id=cycle_id,
            choices=view.choices,
            form=form,
            now=context.clock(),
        )
    return _back(cycle_id, notice="Your choices are saved.")


@router.post("/launch/cycles/{cycle_id}/activate")
async def activate(request: Request, browser: Posted, cycle_id: str) -> Response:
    context = browser.context
    options = _options(browser)
    errors: list[str] = []
    if options.get("start", True):
        try:
            await activation_flow.activate(
                caller=activation_flow.Caller(
                    database=context.database,
                    gateway=context.gateway,
                    base_url=context.settings.public_base_url,
                ),
                account_id=browser.account_id,
                cycle_id=cycle_id,
                activate_in=ActivateIn(RunOnce=bool(options.get("run_once"))),
                now=context.clock(),
            )
        except JunctionError as exc:
            return _back(cycle_id, error=exc.message)
    async with context.database.transaction(read_only=True) as session:
        cycle = await cycles.get(session=session, account_id=browser.account_id, cycle_id=cycle_id)
        loaded = await structure.load(session=session, cycle=cycle)
        hooks = webhook_urls.webhooks_out(loaded, context.settings.public_base_url)
        release = (
            await cycles.newest_live(session=session, template_id=cycle.template_id)
            if cycle.template_id
            else None
        )
    result = {
        "accountId": browser.account_id,
        "accountApiId": browser.account_id,
        "cycleId": cycle.id,
        "status": cycle.status,
        "userId": browser.user_id,
        "webhooks": [hook["Url"] for hook in hooks],
        "errors": errors,
        "completeParameter": options.get("complete_parameter"),
        "templateId": cycle.template_id,
        "templateReleaseId": cycle.template_release_id,
        "templateTags": list((release.document.get("Tags") if release else None) or []),
    }
    return render(
        request,
        "complete.html",
        title="All set",
        browser=browser,
        cycle=cycle,
        result=result,
    )


# -- ORBIT -------------------------------------------------------------------------------


@router.get("/orbit")
async def orbit_page(request: Request, browser: SignedIn, notice: str = "") -> Response:
    async with browser.context.database.transaction(read_only=True) as session:
        found = await launch.installed(session=session, account_id=browser.account_id)
    return render(
        request,
        "orbit.html",
        title="Your integrations",
        browser=browser,
        installed=found,
        notice=notice,
    )


def _caller(context: Services) -> activation_flow.Caller:
    return activation_flow.Caller(
        database=context.database,
        gateway=context.gateway,
        base_url=context.settings.public_base_url,
    )


@router.post("/orbit/cycles/{cycle_id}/{action}")
async def orbit_action(browser: Posted, cycle_id: str, action: str) -> Response:
    context = browser.context
    caller = _caller(context)
    async with context.database.transaction(read_only=True) as session:
        cycle = await cycles.get(session=session, account_id=browser.account_id, cycle_id=cycle_id)
    if action == "pause":
        await activation_flow.deactivate(
            caller=caller,
            account_id=browser.account_id,
            cycle_id=cycle_id,
            finish_queued=False,
            now=context.clock(),
        )
        notice = f"{cycle.name} is paused."
    elif action == "resume":
        await activation_flow.activate(
            caller=caller,
            account_id=browser.account_id,
            cycle_id=cycle_id,
            activate_in=ActivateIn(),
            now=context.clock(),
        )
        notice = f"{cycle.name} is running again."
    elif action == "delete":
        await activation_flow.remove(
            caller=caller, account_id=browser.account_id, cycle_id=cycle_id
        )
        notice = f"{cycle.name} is deleted."
    else:
        raise NotFound(f"There is no action '{action}'")
    return redirect(f"/orbit?{urlencode({'notice': notice}, quote_via=quote)}")
