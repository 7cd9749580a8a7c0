"""What every console page shares: the session, the roles, rendering and the page list.

A session is an HttpOnly, SameSite=Strict cookie scoped to ``/console``; every form after
sign-in carries the session's CSRF token. A page module under ``junction.console.pages``
makes its router with ``page_router`` and may name itself in the navigation with ``NAV``.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.ext.asyncio import AsyncSession

from junction.api.context import get_services
from junction.audit import service as audit
from junction.console import users
from junction.console.models import ConsoleUser
from junction.embed.browser import (
    STATIC_PATH,
    PageError,
    PageRoute,
    redirect,
    secure_cookies,
    security_headers,
)
from junction.errors import JunctionError
from junction.services import Services

COOKIE = "junction_console"
PREFIX = "/console"

templates = Environment(
    loader=FileSystemLoader(
        [Path(__file__).parent / "templates", Path(__file__).parent.parent / "embed" / "templates"]
    ),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class NavItem:
    """A page's place in the console's navigation (lower ``order`` first)."""

    label: str
    path: str
    order: int


class _SignInFirst(Exception):
    """No session: the page sends to the sign-in."""


class ConsoleRoute(PageRoute):
    """As the customer pages', and a page that needs a session sends to the sign-in."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except _SignInFirst:
                return redirect(f"{PREFIX}/signin")

        return page


def page_router() -> APIRouter:
    return APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)


def cookie(context: Services, name: str, value: str, max_age: int) -> str:
    parts = [f"{name}={value}", f"Path={PREFIX}", f"Max-Age={max_age}", "HttpOnly"]
    parts.append("SameSite=Strict")
    if secure_cookies(context.settings.public_base_url):
        parts.append("Secure")
    return "; ".join(parts)


def _navigation(request: Request) -> list[NavItem]:
    items: list[NavItem] = request.app.state.console_navigation
    return items


def render(request: Request, template: str, status_code: int = 200, **values: Any) -> Response:
    context = get_services(request)
    page = templates.get_template(template).render(
        static=STATIC_PATH, navigation=_navigation(request), here=request.url.path, **values
    )
    # The console is never framed.
    headers = security_headers(context, framed=False)
    return HTMLResponse(page, status_code=status_code, headers=headers)


def back_to(path: str, notice: str = "", **query: str) -> Response:
    """After a change: the page to show next, with what happened as its notice."""
    values = {**query, **({"notice": notice} if notice else {})}
    return redirect(f"{path}?{urlencode(values)}" if values else path)


def field_errors(exc: JunctionError) -> dict[str, str]:
    """A service's refusal (``"Field: what is wrong"``) as the field it names and why, to
    show beside that field; a refusal that names no field is shown above the form."""
    field, sep, message = exc.message.partition(": ")
    if sep and field and " " not in field.strip():
        return {field.strip(): message}
    return {"_form": exc.message}


@dataclass(frozen=True)
class Staff:
    """The signed-in console user of this request."""

    user: ConsoleUser
    csrf: str
    context: Services

    @property
    def admin(self) -> bool:
        return self.user.role == users.ADMINISTRATOR

    @property
    def actor(self) -> str:
        """How the audit log names this user."""
        return f"console:{self.user.username}"

    def audit(
        self,
        session: AsyncSession,
        action: str,
        target_kind: str,
        target_id: str,
        *,
        before: Any = None,
        after: Any = None,
        now: datetime | None = None,
    ) -> None:
        """Write the audit entry of a change this user makes, in the change's transaction."""
        audit.record(
            session=session,
            actor=self.actor,
            action=action,
            target_kind=target_kind,
            target_id=target_id,
            now=now or self.context.clock(),
            before=before,
            after=after,
        )


async def signed_in(request: Request) -> Staff:
    context = get_services(request)
    value = request.cookies.get(COOKIE)
    if value:
        async with context.database.transaction(read_only=True) as session:
            found = await users.session_of(session=session, cookie=value, now=context.clock())
        if found is not None:
            return Staff(found[1], found[0].csrf, context)
    raise _SignInFirst()


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
# A form sent by a signed-in user, with the session's CSRF token.
Posted = Annotated[Staff, Depends(_posted)]
# As Posted, and only an administrator's: every form that changes something.
Changes = Annotated[Staff, Depends(_changes)]


def form_values(form: Mapping[str, Any], *names: str) -> dict[str, str]:
    """What was typed, to show again when the form is refused."""
    return {name: str(form.get(name, "")) for name in names}
