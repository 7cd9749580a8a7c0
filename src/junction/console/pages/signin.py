"""Signing in and out.

The sign-in form carries a token that must match a cookie set with the form (a site that
cannot read the cookie cannot post the form); failures are throttled per user name and per
address (the same limits as the token endpoint's).

With an OpenID Connect provider configured (``junction.console.sso``), the page also offers
"Sign in with <provider>": ``/console/sso/start`` sends the browser to the provider with the
state, nonce and PKCE verifier in a short-lived SameSite=Lax cookie (Lax, because the
provider's redirect back is a navigation from another site), and ``/console/sso/callback``
checks the answer, finds or creates the console user and opens a session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from junction.api.context import get_services
from junction.audit import service as audit
from junction.console import sso, users
from junction.console.models import ConsoleUser
from junction.console.web import COOKIE, PREFIX, Posted, cookie, page_router, render
from junction.embed.browser import PageError, redirect, secure_cookies
from junction.errors import BadRequest
from junction.services import Services

SIGN_IN_COOKIE = "junction_console_signin"
SESSION_LIFETIME_HOURS = 8
SSO_COOKIE = "junction_console_sso"
SSO_PATH = f"{PREFIX}/sso"
# Long enough to sign in at the provider (with a second factor), short enough that a
# forgotten attempt does not linger.
SSO_COOKIE_SECONDS = 600

router = page_router()


def _form(request: Request, token: str, status_code: int = 200, **values: str) -> Response:
    provider = sso.provider_of(get_services(request).settings)
    return render(
        request,
        "signin.html",
        status_code=status_code,
        title="Sign in",
        token=token,
        sso_name=provider.name if provider else "",
        **values,
    )


def _fresh_form(request: Request, status_code: int = 200, **values: str) -> Response:
    token = secrets.token_urlsafe(24)
    response = _form(request, token, status_code, **values)
    response.headers.append(
        "Set-Cookie", cookie(get_services(request), SIGN_IN_COOKIE, token, 1800)
    )
    return response


@router.get("/signin")
async def sign_in_page(request: Request, error: str = "", username: str = "") -> Response:
    return _fresh_form(request, error=error, username=username)


def _sso_cookie(context: Services, value: str, max_age: int) -> str:
    # As web.cookie, but Lax: the provider's redirect back is a cross-site navigation, on
    # which a Strict cookie would not be sent.
    parts = [f"{SSO_COOKIE}={value}", f"Path={SSO_PATH}", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Lax")
    if secure_cookies(context.settings.public_base_url):
        parts.append("Secure")
    return "; ".join(parts)


def _provider(context: Services) -> sso.Provider:
    provider = sso.provider_of(context.settings)
    if provider is None:
        raise PageError("Not found", "Single sign-on is not set up for this console.", 404)
    return provider


def _refused(request: Request, message: str, status_code: int) -> Response:
    """The sign-in page with why single sign-on did not work; the attempt is forgotten."""
    # Not ``error``: that one is about the user name and password typed.
    response = _fresh_form(request, status_code, sso_error=message)
    response.headers.append("Set-Cookie", _sso_cookie(get_services(request), "", 0))
    return response


@router.get("/sso/start")
async def sso_start(request: Request) -> Response:
    context = get_services(request)
    provider = _provider(context)
    callback = context.settings.public_base_url + sso.CALLBACK_PATH
    try:
        url, pending = await sso.start(provider, callback)
    except sso.Refused as exc:
        return _refused(request, str(exc), 502)
    response = redirect(url)
    response.headers.append(
        "Set-Cookie", _sso_cookie(context, pending.encode(), SSO_COOKIE_SECONDS)
    )
    return response


@router.get("/sso/callback")
async def sso_callback(request: Request) -> Response:
    context = get_services(request)
    provider = _provider(context)
    pending = sso.Pending.decode(request.cookies.get(SSO_COOKIE, ""))
    try:
        identity = await sso.finish(
            provider,
            query=dict(request.query_params),
            pending=pending,
            redirect_uri=context.settings.public_base_url + sso.CALLBACK_PATH,
            now=context.clock(),
        )
        async with context.database.transaction() as session:
            user = await users.sso_user(
                session=session, issuer=identity.issuer, subject=identity.subject
            )
            if user is None:
                user = await _create(session, context, identity)
            opened = await users.open_session(
                session=session,
                user=user,
                now=context.clock(),
                lifetime=timedelta(hours=SESSION_LIFETIME_HOURS),
            )
    except sso.Refused as exc:
        return _refused(request, str(exc), 403)
    # Not a redirect: when the person clicked through a page at the provider, this
    # navigation was started by another site, and Chromium sends no SameSite=Strict cookie on
    # a redirect that continues it (the new session cookie would be left off and /console
    # would ask to sign in again). A page of our own moving on to /console starts a
    # same-site navigation, which carries it.
    response = render(request, "signin.html", title="Signed in", continue_to=PREFIX)
    response.headers.append(
        "Set-Cookie", cookie(context, COOKIE, opened.cookie, SESSION_LIFETIME_HOURS * 3600)
    )
    response.headers.append("Set-Cookie", _sso_cookie(context, "", 0))
    return response


async def _create(session: AsyncSession, context: Services, identity: sso.Identity) -> ConsoleUser:
    try:
        user = await users.create_sso_user(
            session=session,
            issuer=identity.issuer,
            subject=identity.subject,
            username=identity.username,
            role=identity.role,
            now=context.clock(),
        )
    except BadRequest as exc:
        raise sso.Refused(
            f"No console user could be made for {identity.username}: "
            f"{exc.message.partition(': ')[2] or exc.message}. Ask an administrator."
        ) from exc
    audit.record(
        session=session,
        actor=f"console:{user.username}",
        action="console-user.sso-create",
        target_kind="console-user",
        target_id=user.username,
        now=context.clock(),
        after={
            "Username": user.username,
            "Role": user.role,
            "Issuer": identity.issuer,
            "Subject": identity.subject,
        },
    )
    return user


@router.post("/signin")
async def sign_in(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
) -> Response:
    context = get_services(request)
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        raise PageError("This form has expired", "Open the sign-in page again.", 403)
    address = request.client.host if request.client else "unknown"
    keys = [f"console-user:{username.strip().lower()}", f"console-address:{address}"]
    wait = context.throttle.retry_after(keys)
    if wait is not None:
        message = f"Too many failed sign-ins: try again in {wait} seconds."
        return _form(request, expected, 429, username=username, error=message)
    async with context.database.transaction() as session:
        user = await users.authenticate(session=session, username=username, password=password)
        if user is None:
            context.throttle.record_failure(keys)
        else:
            opened = await users.open_session(
                session=session,
                user=user,
                now=context.clock(),
                lifetime=timedelta(hours=SESSION_LIFETIME_HOURS),
            )
    if user is None:
        message = "That user name and password do not match."
        return _form(request, expected, 401, username=username, error=message)
    response = redirect(PREFIX)
    response.headers["Set-Cookie"] = cookie(
        context, COOKIE, opened.cookie, SESSION_LIFETIME_HOURS * 3600
    )
    return response


@router.post("/signout")
async def sign_out(request: Request, staff: Posted) -> Response:
    async with staff.context.database.transaction() as session:
        await users.close_session(session=session, cookie=request.cookies.get(COOKIE, ""))
    response = redirect(f"{PREFIX}/signin")
    response.headers["Set-Cookie"] = cookie(staff.context, COOKIE, "", 0)
    return response
