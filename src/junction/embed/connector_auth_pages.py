"""The connector authentication link: a single-use link a partner sends a customer (by
e-mail, say) to sign in one account connector, without LAUNCH or the partner's own pages.

``/connectorauth/updateaccountconnectoroauth?id={account connector}&token={sign-in token}
&targetOrigin=…&callbackMessage=…`` spends the token (``POST
/v1.0/accounts/{id}/signintoken``) and opens a session. An OAuth 2.0 connector goes
straight to the provider's sign-in; any other shows a form naming the app and the account.
At the end a page says how it went, then: with ``callbackMessage``, it posts that message
to the page that opened or frames it (target origin ``targetOrigin``); without, it sends
the browser on to ``targetOrigin``.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response

from junction.accounts.models import Account
from junction.api.context import get_services
from junction.embed import launch, setup_flow, signin
from junction.embed.browser import (
    Browser,
    PageError,
    PageRoute,
    Posted,
    SignedIn,
    cookie_header,
    redirect,
    render,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def _target(target_origin: str) -> str:
    parts = urlsplit(target_origin)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PageError(
            "This link is not complete",
            "Its targetOrigin must be the address of the app that sent it (https://…).",
        )
    return target_origin


def _page(account_connector_id: int, target_origin: str, callback_message: str) -> str:
    query = urlencode({"targetOrigin": target_origin, "callbackMessage": callback_message})
    return f"/connectorauth/connectors/{account_connector_id}?{query}"


@router.get("/connectorauth/updateaccountconnectoroauth")
async def authentication_link(
    request: Request,
    id: int,
    token: str = "",
    targetOrigin: str = "",
    callbackMessage: str = "",
) -> Response:
    context = get_services(request)
    _target(targetOrigin)
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
    response = redirect(_page(id, targetOrigin, callbackMessage))
    response.headers["Set-Cookie"] = cookie_header(context, opened.cookie, opened.expires_at)
    return response


async def _account_name(browser: Browser) -> str:
    async with browser.context.database.transaction(read_only=True) as session:
        account = await session.get(Account, browser.account_id)
    return account.name if account is not None else browser.account_id


@router.get("/connectorauth/connectors/{account_connector_id}")
async def connector_page(
    request: Request,
    browser: SignedIn,
    account_connector_id: int,
    targetOrigin: str = "",
    callbackMessage: str = "",
    error: str = "",
) -> Response:
    target = _target(targetOrigin)
    async with browser.context.database.transaction(read_only=True) as session:
        _, card = await launch.card_of(
            session=session,
            account_id=browser.account_id,
            account_connector_id=account_connector_id,
        )
    here = _page(account_connector_id, target, callbackMessage)
    done = here.replace("?", "/done?", 1)
    if card.auth_type == "OAuth2" and not card.properties and not error:
        ticket = setup_flow.oauth_ticket(browser, done, card.id)
        return redirect(f"/launch/connect?{urlencode({'ticket': ticket, 'popup': 0})}")
    return await render(
        request,
        "connector_auth.html",
        title=f"Connect {card.app}",
        browser=None,
        account_id=browser.account_id,
        card=card,
        account_name=await _account_name(browser),
        csrf=browser.csrf,
        action=here,
        ticket=setup_flow.oauth_ticket(browser, done, card.id)
        if card.auth_type == "OAuth2"
        else "",
        error=error,
    )


@router.post("/connectorauth/connectors/{account_connector_id}")
async def connect(
    request: Request,
    browser: Posted,
    account_connector_id: int,
    targetOrigin: str = "",
    callbackMessage: str = "",
) -> Response:
    here = _page(account_connector_id, _target(targetOrigin), callbackMessage)
    return await setup_flow.connect(
        request,
        browser,
        None,
        here,
        account_connector_id,
        done=here.replace("?", "/done?", 1),
    )


@router.get("/connectorauth/connectors/{account_connector_id}/done")
async def done_page(
    request: Request,
    browser: SignedIn,
    account_connector_id: int,
    targetOrigin: str = "",
    callbackMessage: str = "",
    notice: str = "",
    error: str = "",
) -> Response:
    target = _target(targetOrigin)
    async with browser.context.database.transaction(read_only=True) as session:
        _, card = await launch.card_of(
            session=session,
            account_id=browser.account_id,
            account_connector_id=account_connector_id,
        )
    ok = card.authenticated and not error
    return await render(
        request,
        "connector_auth_done.html",
        title=f"{card.app} is connected" if ok else f"{card.app} is not connected",
        browser=None,
        account_id=browser.account_id,
        ok=ok,
        card=card,
        account_name=await _account_name(browser),
        error=error,
        message=error,
        error_code=error.partition(":")[0] if ":" in error else error,
        retry=_page(account_connector_id, target, callbackMessage),
        hand_off={
            "message": callbackMessage or None,
            "targetOrigin": target,
            "ok": ok,
        },
    )
