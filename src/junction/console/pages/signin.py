"""Signing in and out.

The sign-in form carries a token that must match a cookie set with the form (a site that
cannot read the cookie cannot post the form); failures are throttled per user name and per
address (the same limits as the token endpoint's).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from junction.api.context import get_services
from junction.console import users
from junction.console.web import COOKIE, PREFIX, Posted, cookie, page_router, render
from junction.embed.browser import PageError, redirect

SIGN_IN_COOKIE = "junction_console_signin"
SESSION_LIFETIME_HOURS = 8

router = page_router()


def _form(request: Request, token: str, status_code: int = 200, **values: str) -> Response:
    return render(
        request, "signin.html", status_code=status_code, title="Sign in", token=token, **values
    )


@router.get("/signin")
async def sign_in_page(request: Request, error: str = "", username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = _form(request, token, error=error, username=username)
    response.headers["Set-Cookie"] = cookie(get_services(request), SIGN_IN_COOKIE, token, 1800)
    return response


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
