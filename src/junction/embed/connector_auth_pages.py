"""The connector authentication link: a single-use link a partner sends a customer (by
e-mail, say) to sign in one account connector, without LAUNCH or the partner's own pages.

``/connectorauth/updateaccountconnectoroauth?id={account connector}&token={sign-in token}
&targetOrigin=…&callbackMessage=…`` (the token from ``POST /v1.0/accounts/{id}/signintoken``)
shows a page naming the app and the account, whose button spends the token: mail scanners
that open links never use one up. A post of the link itself (its values in the address, no
body, as Cyclr's examples send it) spends it as the button does. That opens a session that
can do nothing but this one connection, holding where to report the outcome. An OAuth 2.0
connector then goes to the provider's sign-in; any other shows a form. The last page says
how it went, then: with ``callbackMessage``, posts that message to the page that opened or
frames it (target origin ``targetOrigin``); without, sends the browser on to
``targetOrigin``.
"""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from junction.accounts.models import Account
from junction.api.context import get_services
from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.embed import launch, setup_flow, signin
from junction.embed.browser import (
    PageError,
    PageRoute,
    Posted,
    SignedIn,
    cookie_header,
    redirect,
    render,
)
from junction.embed.links import CONNECTOR_LINK_PATH
from junction.services import Services

router = APIRouter(route_class=PageRoute, include_in_schema=False)

LINK_PATH = CONNECTOR_LINK_PATH
# A dotted host name (or localhost) with an optional port, nothing else: "app.example.com"
# or "localhost:3000". A lone word ("nowhere") is more likely a mistake than an origin.
_BARE_HOST = re.compile(
    r"(?:localhost|[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)"
    r"(?::[0-9]{1,5})?"
)


def _target(target_origin: str) -> str:
    if _BARE_HOST.fullmatch(target_origin):
        # A bare host name (as Cyclr's own example writes it): the app's secure origin.
        target_origin = f"https://{target_origin}"
    parts = urlsplit(target_origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PageError(
            "This link is not complete",
            "Its targetOrigin must be the address of the app that sent it (https://…).",
        )
    return target_origin


def _page(account_connector_id: int) -> str:
    return f"/connectorauth/connectors/{account_connector_id}"


async def _names(
    context: Services, account_id: str, account_connector_id: int
) -> tuple[str, launch.ConnectorCard]:
    async with context.database.transaction(read_only=True) as session:
        account = await session.get(Account, account_id)
        card = await launch.card_of(
            session=session, account_id=account_id, account_connector_id=account_connector_id
        )
    return (account.name if account is not None else account_id), card


@router.get(LINK_PATH)
async def authentication_link(
    request: Request,
    id: int,
    token: str = "",
    targetOrigin: str = "",
    callbackMessage: str = "",
) -> Response:
    context = get_services(request)
    targetOrigin = _target(targetOrigin)
    try:
        async with context.database.transaction(read_only=True) as session:
            found = await signin.peek(session=session, token=token, now=context.clock())
    except signin.TokenRefused as exc:
        raise PageError("This link does not work", str(exc), 401) from None
    account_name, card = await _names(context, found.account_id, id)
    return await render(
        request,
        "connector_link.html",
        title=f"Connect {card.app}",
        account_id=found.account_id,
        card=card,
        account_name=account_name,
        link={
            "id": id,
            "token": token,
            "targetOrigin": targetOrigin,
            "callbackMessage": callbackMessage,
        },
    )


def _posted(request: Request, name: str, form_value: str | None) -> str:
    """A value of the link's post: from the form, else from the query string (Cyclr's
    examples post the link itself, its values in the address and no body)."""
    if form_value is not None:
        return form_value
    return request.query_params.get(name, "")


@router.post(LINK_PATH)
async def spend_link(
    request: Request,
    id: Annotated[str | None, Form()] = None,
    token: Annotated[str | None, Form()] = None,
    targetOrigin: Annotated[str | None, Form()] = None,
    callbackMessage: Annotated[str | None, Form()] = None,
) -> Response:
    # Posting is the deliberate act that spends the token (opening the link does not), so
    # the address's values are as good as the form's: the same checks follow either way.
    context = get_services(request)
    given = _posted(request, "id", id)
    if not given.isdigit() or not _posted(request, "token", token):
        raise PageError("That did not work", "The form was not complete.", 400)
    account_connector_id = int(given)
    token = _posted(request, "token", token)
    target = _target(_posted(request, "targetOrigin", targetOrigin))
    callbackMessage = _posted(request, "callbackMessage", callbackMessage)
    try:
        async with context.database.transaction() as session:
            found = await signin.peek(session=session, token=token, now=context.clock())
            # The connection must be the token's account's before anything is spent.
            await launch.card_of(
                session=session,
                account_id=found.account_id,
                account_connector_id=account_connector_id,
            )
            opened = await signin.spend(
                session=session,
                token=token,
                now=context.clock(),
                lifetime=context.settings.browser_session_lifetime,
                narrowed={
                    "page": "connector",
                    "only_path": _page(account_connector_id),
                    "target_origin": target,
                    "callback_message": callbackMessage or None,
                },
            )
    except signin.TokenRefused as exc:
        raise PageError("This link does not work", str(exc), 401) from None
    response = redirect(_page(account_connector_id))
    response.headers["Set-Cookie"] = cookie_header(context, opened.cookie, opened.expires_at)
    return response


@router.get("/connectorauth/connectors/{account_connector_id}")
async def connector_page(
    request: Request, browser: SignedIn, account_connector_id: int, error: str = ""
) -> Response:
    account_name, card = await _names(browser.context, browser.account_id, account_connector_id)
    here = _page(account_connector_id)
    ticket = setup_flow.oauth_ticket(browser, f"{here}/done", card.id)
    return await render(
        request,
        "connector_auth.html",
        title=f"Connect {card.app}",
        browser=None,
        account_id=browser.account_id,
        card=card,
        account_name=account_name,
        csrf=browser.csrf,
        action=here,
        ticket=ticket if card.auth_type == "OAuth2" else "",
        error=error,
        # An OAuth 2.0 app goes on to its sign-in at once, unless settings are still to be
        # given. By the page's script, not a redirect: this page follows a form post, and
        # browsers hold a post's redirects to the pages' own site (form-action).
        follow=card.auth_type == "OAuth2" and not error and not _unset(card),
    )


def _unset(card: launch.ConnectorCard) -> bool:
    return any(not p.optional and not p.is_set for p in card.properties)


@router.post("/connectorauth/connectors/{account_connector_id}")
async def connect(
    request: Request,
    browser: Posted,
    account_connector_id: int,
    discover_fields: DiscoverAfterCommit,
) -> Response:
    here = _page(account_connector_id)
    return await setup_flow.connect(
        request, browser, None, here, account_connector_id, discover_fields, done=f"{here}/done"
    )


@router.get("/connectorauth/connectors/{account_connector_id}/done")
async def done_page(
    request: Request,
    browser: SignedIn,
    account_connector_id: int,
    notice: str = "",
    error: str = "",
) -> Response:
    del notice  # the page says it in its own words
    account_name, card = await _names(browser.context, browser.account_id, account_connector_id)
    ok = card.authenticated and not error
    target = str(browser.options.get("target_origin") or "")
    message = browser.options.get("callback_message")
    return await render(
        request,
        "connector_auth_done.html",
        title=f"{card.app} is connected" if ok else f"{card.app} is not connected",
        browser=None,
        account_id=browser.account_id,
        ok=ok,
        card=card,
        account_name=account_name,
        error=error,
        message=error,
        error_code=error.partition(":")[0] if ":" in error else error,
        retry=_page(account_connector_id),
        hand_off={"message": message, "targetOrigin": target, "ok": ok},
    )
