"""The customer's pages: signing in with a token, LAUNCH, OAuth sign-ins and ORBIT.

Thin, like the API's routers: each reads the signed-in customer (``browser.SignedIn``, or
``browser.Posted`` for a form, which also checks its CSRF token), calls the services
(``launch``, ``setup_flow``, the cycles'), and renders a template or redirects (303 after
every post, so a reload never posts twice). Everything happens in the session's account:
another account's cycle or connector id is "not found", as in the API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from junction.api.context import get_services
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.connectors.calls import oauth
from junction.connectors.calls import service as calls
from junction.cycles import activation_flow
from junction.cycles import service as cycles
from junction.cycles.activation import ActivateIn
from junction.embed import appearance, launch, setup_flow, signin
from junction.embed.browser import (
    COOKIE,
    Browser,
    PageError,
    PageRoute,
    Posted,
    SignedIn,
    cookie_header,
    redirect,
    render,
    safe_return_path,
)
from junction.errors import JunctionError, NotFound
from junction.scripting import workers

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LANDING = {"launch": "/launch", "marketplace": "/marketplace"}


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
    default = LANDING.get(str(opened.options.get("page")), "/orbit")
    response = redirect(safe_return_path(returnUrl, default))
    response.headers["Set-Cookie"] = cookie_header(context, opened.cookie, opened.expires_at)
    return response


@router.get("/embed/theme.css")
async def theme(request: Request) -> Response:
    """The partner's appearance (with the signed-in account's changes) as a stylesheet."""
    context = get_services(request)
    cookie = request.cookies.get(COOKIE)
    async with context.database.transaction(read_only=True) as session:
        found = (
            await signin.session_of(session=session, cookie=cookie, now=context.clock())
            if cookie
            else None
        )
        look = await appearance.effective(
            session=session, account_id=found.account_id if found else None
        )
    # The pages link it with its version: a changed appearance is a new address.
    return Response(
        appearance.stylesheet(look),
        media_type="text/css",
        headers={"Cache-Control": "private, max-age=86400"},
    )


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
    # One template offered: the page installs it at once (its form posts itself; a GET
    # changes nothing, whatever site makes the browser ask for it).
    auto = len(offered) == 1 and options.get("auto_install", True) and not offered[0].installed
    return await render(
        request,
        "launch.html",
        title="Choose an integration",
        browser=browser,
        offered=offered,
        descriptions=bool(options.get("descriptions")),
        auto=auto,
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


def _base(cycle_id: str) -> str:
    return f"/launch/cycles/{quote(cycle_id)}"


@router.get("/launch/cycles/{cycle_id}")
async def setup_page(
    request: Request, browser: SignedIn, cycle_id: str, notice: str = "", error: str = ""
) -> Response:
    return await setup_flow.setup_page(
        request, browser, [cycle_id], _base(cycle_id), notice=notice, error=error
    )


@router.post("/launch/cycles/{cycle_id}/connectors/{account_connector_id}")
async def connect(
    request: Request,
    browser: Posted,
    cycle_id: str,
    account_connector_id: int,
    discover_fields: DiscoverAfterCommit,
) -> Response:
    return await setup_flow.connect(
        request, browser, [cycle_id], _base(cycle_id), account_connector_id, discover_fields
    )


@router.post("/launch/cycles/{cycle_id}/choices")
async def choose(request: Request, browser: Posted, cycle_id: str) -> Response:
    return await setup_flow.choose(request, browser, [cycle_id], _base(cycle_id))


@router.post("/launch/cycles/{cycle_id}/activate")
async def activate(browser: Posted, cycle_id: str) -> Response:
    options = _options(browser)
    if options.get("start", True):
        try:
            await setup_flow.activate(browser, [cycle_id], run_once=bool(options.get("run_once")))
        except JunctionError as exc:
            return setup_flow.back(_base(cycle_id), error=exc.message)
    # The result is its own page: reloading it changes nothing.
    return redirect(f"{_base(cycle_id)}/done")


@router.get("/launch/cycles/{cycle_id}/done")
async def done(request: Request, browser: SignedIn, cycle_id: str) -> Response:
    options = _options(browser)
    (cycle,) = await setup_flow.installed_cycles(browser, [cycle_id])
    result = {
        "accountId": browser.account_id,
        "accountApiId": browser.account_id,
        "cycleId": cycle["cycleId"],
        "status": cycle["status"],
        "userId": browser.user_id,
        "webhooks": [hook["url"] for hook in cycle["webhooks"]],
        "errors": [],
        "completeParameter": options.get("complete_parameter"),
        "templateId": cycle["templateId"],
        "templateReleaseId": cycle["templateReleaseId"],
        "templateTags": cycle["templateTags"],
    }
    return await render(
        request,
        "complete.html",
        title="All set",
        browser=browser,
        message=f"{cycle['name']} is {'running' if cycle['status'] == 'Active' else 'set up'}.",
        result=result,
        result_origins=setup_flow.result_origins(browser.context),
    )


# -- OAuth sign-ins (no session: a popup does not see the framed page's cookie) ----------


@router.get("/launch/connect")
async def start_oauth(request: Request, ticket: str, popup: int = 1) -> Response:
    context = get_services(request)
    account_id, base, account_connector_id = setup_flow.read_ticket(context, ticket)
    workers.bind_account(account_id)
    row = await calls.account_connector(
        database=context.database,
        account_id=account_id,
        account_connector_id=account_connector_id,
    )
    auth, properties, script = await calls.oauth_settings(
        database=context.database, keyring=context.keyring, account_connector_id=row.id
    )
    done = f"/launch/oauth-done?{urlencode({'back': base, 'popup': int(bool(popup))})}"
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
    request: Request, back: str = "", popup: int = 1, status: str = "", message: str = ""
) -> Response:
    # The page only reports the outcome the OAuth callback (which stored the tokens) put in
    # its address; ``back`` is followed only within this site.
    ok = status == "success"
    page = safe_return_path(back, "/orbit")
    if not popup:
        return setup_flow.back(page, **({"notice": "Connected."} if ok else {"error": message}))
    return await render(
        request,
        "oauth_done.html",
        title="Connected" if ok else "Not connected",
        ok=ok,
        message=message,
        error_code=message.partition(":")[0] if ":" in message else message,
        back=page,
    )


# -- ORBIT -------------------------------------------------------------------------------


@router.get("/orbit")
async def orbit_page(request: Request, browser: SignedIn, notice: str = "") -> Response:
    async with browser.context.database.transaction(read_only=True) as session:
        found = await launch.installed(session=session, account_id=browser.account_id)
    return await render(
        request,
        "orbit.html",
        title="Your integrations",
        browser=browser,
        installed=found,
        notice=notice,
    )


@router.post("/orbit/cycles/{cycle_id}/{action}")
async def orbit_action(browser: Posted, cycle_id: str, action: str) -> Response:
    context = browser.context
    caller = setup_flow.caller(context)
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
