"""What every customer page shares: the session cookie, the CSRF check, the security headers
and the Jinja2 templates.

The pages are shown in a popup, a new tab or an iframe on the partner's site. In an iframe
the cookie is a third-party one, which browsers only keep with ``SameSite=None; Secure`` and,
as third-party cookies go away, ``Partitioned`` (stored per embedding site). ``Secure``
needs HTTPS, or a loopback address during development; on plain HTTP elsewhere the cookie
falls back to ``SameSite=Lax``, which works in a popup or tab but not in an iframe.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape

from junction.api.context import get_services
from junction.embed import appearance, signin
from junction.errors import JunctionError, NotFound
from junction.scripting import workers
from junction.services import Services

COOKIE = "junction_session"
STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/embed/static"

templates = Environment(
    loader=PackageLoader("junction.embed", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


class PageError(JunctionError):
    """A page that cannot be shown: answered as a page (not JSON) with this status."""

    def __init__(self, title: str, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.title = title
        self.status_code = status_code


def secure_cookies(settings_url: str) -> bool:
    """Whether browsers keep ``Secure`` cookies from this address (HTTPS, or loopback)."""
    parts = urlsplit(settings_url)
    return parts.scheme == "https" or parts.hostname in ("127.0.0.1", "localhost", "::1")


def cookie_header(context: Services, value: str, expires_at: datetime) -> str:
    max_age = max(0, int((expires_at - context.clock()).total_seconds()))
    attributes = [f"{COOKIE}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly"]
    if secure_cookies(context.settings.public_base_url):
        attributes += ["Secure", "SameSite=None", "Partitioned"]
    else:
        attributes.append("SameSite=Lax")
    return "; ".join(attributes)


def security_headers(context: Services, *, framed: bool = True) -> dict[str, str]:
    """The pages' headers. ``framed``: the partner's allowed origins may frame them (the
    customer pages); otherwise nobody may (the console)."""
    ancestors = (
        " ".join(["'self'", *context.installation.current("embed_frame_ancestors")])
        if framed
        else "'none'"
    )
    policy = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: https:",
            "connect-src 'self'",
            "form-action 'self'",
            "base-uri 'none'",
            f"frame-ancestors {ancestors}",
        ]
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        # Sign-in links carry a token: never sent on to another site.
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


async def render(
    request: Request,
    template: str,
    status_code: int = 200,
    *,
    account_id: str | None = None,
    **values: Any,
) -> HTMLResponse:
    """The page, in the appearance of the account (``account_id``, else the signed-in
    ``browser``'s), else the partner's."""
    context = get_services(request)
    # The frame-ancestors header below reads the console's setting.
    await context.installation.refresh()
    browser = values.get("browser")
    account = account_id or (browser.account_id if isinstance(browser, Browser) else None)
    async with context.database.transaction(read_only=True) as session:
        look = await appearance.effective(session=session, account_id=account)
    page = templates.get_template(template).render(
        static=STATIC_PATH,
        appearance=look,
        theme=appearance.version(look) if appearance.stylesheet(look) else None,
        **values,
    )
    return HTMLResponse(page, status_code=status_code, headers=security_headers(context))


async def error_page(request: Request, exc: PageError) -> HTMLResponse:
    return await render(
        request,
        "message.html",
        status_code=exc.status_code,
        title=exc.title,
        message=exc.message,
        failed=True,
    )


@dataclass(frozen=True)
class Browser:
    """The signed-in customer of this request."""

    account_id: str
    user_id: int | None
    options: dict[str, Any]
    csrf: str
    context: Services


async def signed_in(request: Request) -> Browser:
    context = get_services(request)
    cookie = request.cookies.get(COOKIE)
    if cookie:
        async with context.database.transaction(read_only=True) as session:
            found = await signin.session_of(session=session, cookie=cookie, now=context.clock())
        if found is not None:
            only = found.options.get("only_path")
            if isinstance(only, str) and not request.url.path.startswith(only):
                # A connector authentication link's session signs in one connection only.
                raise PageError(
                    "Not available here",
                    "This session was opened to connect one app, and can do only that.",
                    403,
                )
            # Scripts this page runs (look-ups, credential tests) count against the account.
            workers.bind_account(found.account_id)
            return Browser(
                found.account_id, found.user_id, dict(found.options), found.csrf, context
            )
    raise PageError(
        "Your session has ended",
        "Sign in again from the app you came from: its link opens a new session.",
        401,
    )


SignedIn = Annotated[Browser, Depends(signed_in)]


async def checked_form(browser: SignedIn, csrf: Annotated[str, Form()] = "") -> Browser:
    """The signed-in customer of a form post that carries the session's CSRF token."""
    if not hmac.compare_digest(csrf.encode(), browser.csrf.encode()):
        raise PageError(
            "This form has expired",
            "The form was not sent from this session. Go back, reload the page and try again.",
            403,
        )
    return browser


Posted = Annotated[Browser, Depends(checked_form)]


def safe_return_path(value: str | None, default: str) -> str:
    """Only a path on this server: a sign-in link must not send anyone to another site.
    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so any of
    those, or anything a browser would read as another host, gives ``default``."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return default
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in value):
        return default
    parts = urlsplit(value)
    return default if parts.scheme or parts.netloc else value


class PageRoute(APIRoute):
    """Failures are pages too: a service's error is shown in the page's own style."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handler(request)
            except PageError as exc:
                return await error_page(request, exc)
            except JunctionError as exc:
                title = "Not found" if isinstance(exc, NotFound) else "That did not work"
                return await error_page(request, PageError(title, exc.message, exc.status_code))
            except RequestValidationError:
                return await error_page(
                    request, PageError("That did not work", "The form was not complete.", 400)
                )

        return page


def redirect(location: str) -> Response:
    return Response(status_code=303, headers={"Location": location, "Cache-Control": "no-store"})
