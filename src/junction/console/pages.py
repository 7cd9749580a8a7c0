"""The console's pages: signing in and out, the overview, and console users.

Sign-in: the form carries a token that must match a cookie set with the form (a site that
cannot read the cookie cannot post the form); failures are throttled per user name and per
address (the same limits as the token endpoint's). A session is an HttpOnly, SameSite=Strict
cookie scoped to ``/console``; every form after sign-in carries the session's CSRF token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from junction.api.context import get_services
from junction.console import overview, users
from junction.console.models import ConsoleUser
from junction.embed.browser import (
    STATIC_PATH,
    PageError,
    PageRoute,
    redirect,
    secure_cookies,
    security_headers,
)
from junction.errors import BadRequest
from junction.services import Services

COOKIE = "junction_console"
SIGN_IN_COOKIE = "junction_console_signin"
SESSION_LIFETIME_HOURS = 8

templates = Environment(
    loader=FileSystemLoader(
        [Path(__file__).parent / "templates", Path(__file__).parent.parent / "embed" / "templates"]
    ),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class ConsoleRoute(PageRoute):
    """As the customer pages', and a page that needs a session sends to the sign-in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except _SignInFirst:
                return redirect("/console/signin")

        return page


router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)


def _cookie(context: Services, name: str, value: str, max_age: int) -> str:
    parts = [f"{name}={value}", "Path=/console", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Strict")
    if secure_cookies(context.settings.public_base_url):
        parts.append("Secure")
    return "; ".join(parts)


def _render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    context = get_services(request)
    page = templates.get_template(template).render(static=STATIC_PATH, **values)
    # The console is never framed.
    headers = security_headers(context, framed=False)
    return HTMLResponse(page, status_code=status_code, headers=headers)


@dataclass(frozen=True)
class Staff:
    user: ConsoleUser
    csrf: str
    context: Services

    @property
    def admin(self) -> bool:
        return self.user.role == users.ADMINISTRATOR


async def signed_in(request: Request) -> Staff:
    context = get_services(request)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        async with context.database.transaction(read_only=True) as session:
            found = await users.session_of(session=session, cookie=cookie, now=context.clock())
        if found is not None:
            return Staff(found[1], found[0].csrf, context)
    raise _SignInFirst()


class _SignInFirst(Exception):
    """No session: the page sends to the sign-in."""


async def _posted(
    staff: Annotated[Staff, Depends(signed_in)], csrf: Annotated[str, Form()] = ""
) -> Staff:
    if not hmac.compare_digest(csrf.encode(), staff.csrf.encode()):
        raise PageError("This form has expired", "Reload the page and try again.", 403)
    return staff


async def _changes(staff: Annotated[Staff, Depends(_posted)]) -> Staff:
    if not staff.admin:
        raise PageError("Not allowed", "A viewer can look at everything but change nothing.", 403)
    return staff


SignedIn = Annotated[Staff, Depends(signed_in)]
Posted = Annotated[Staff, Depends(_posted)]
Changes = Annotated[Staff, Depends(_changes)]


@router.get("/signin")
async def sign_in_page(request: Request, error: str = "", username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = _render(
        request, "signin.html", title="Sign in", token=token, error=error, username=username
    )
    response.headers["Set-Cookie"] = _cookie(get_services(request), SIGN_IN_COOKIE, token, 1800)
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
        return _render(
            request,
            "signin.html",
            status_code=429,
            title="Sign in",
            token=expected,
            username=username,
            error=f"Too many failed sign-ins: try again in {wait} seconds.",
        )
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
        return _render(
            request,
            "signin.html",
            status_code=401,
            title="Sign in",
            token=expected,
            username=username,
            error="That user name and password do not match.",
        )
    response = redirect("/console")
    response.headers["Set-Cookie"] = _cookie(
        context, COOKIE, opened.cookie, SESSION_LIFETIME_HOURS * 3600
    )
    return response


@router.post("/signout")
async def sign_out(request: Request, staff: Posted) -> Response:
    async with staff.context.database.transaction() as session:
        await users.close_session(session=session, cookie=request.cookies.get(COOKIE, ""))
    response = redirect("/console/signin")
    response.headers["Set-Cookie"] = _cookie(staff.context, COOKIE, "", 0)
    return response


@router.get("")
async def home(request: Request, staff: SignedIn) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        found = await overview.overview(session=session, now=staff.context.clock())
    return _render(request, "home.html", title="Overview", staff=staff, overview=found)


async def _users_page(
    request: Request,
    staff: Staff,
    *,
    notice: str = "",
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with staff.context.database.transaction(read_only=True) as session:
        listed = await users.users(session=session)
    return _render(
        request,
        "users.html",
        status_code=status_code,
        title="Console users",
        staff=staff,
        users=listed,
        roles=users.ROLES,
        notice=notice,
        errors=errors or {},
        values=values or {},
    )


@router.get("/users")
async def users_page(request: Request, staff: SignedIn, notice: str = "") -> Response:
    return await _users_page(request, staff, notice=notice)


@router.post("/users")
async def create_user(
    request: Request,
    staff: Changes,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = users.VIEWER,
) -> Response:
    try:
        async with staff.context.database.transaction() as session:
            created = await users.create_user(
                session=session,
                username=username,
                password=password,
                role=role,
                now=staff.context.clock(),
            )
    except BadRequest as exc:
        # Shown beside the field it names; nothing was stored.
        field, _, message = exc.message.partition(": ")
        return await _users_page(
            request,
            staff,
            status_code=400,
            errors={field: message},
            values={"username": username, "role": role},
        )
    return redirect(f"/console/users?notice={created.username}+can+sign+in+now.")
