"""The set-up page's work, shared by LAUNCH (one cycle) and Marketplace (a package's cycles):
showing it, connecting an app, saving the choices and switching the cycles on.

``base`` is the page's own address (``/launch/cycles/{id}``, ``/marketplace/installs/{id}``):
its forms post below it and each post comes back to it (303) with a notice or an error.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import Response

from junction.connectors.accounts.schemas import AccountConnectorUpdate, PropertyIn
from junction.connectors.calls import checks, lookups
from junction.cycles import activation_flow, structure, webhook_urls
from junction.cycles import service as cycles
from junction.cycles.activation import ActivateIn
from junction.embed import launch
from junction.embed.browser import Browser, PageError, redirect, render
from junction.errors import ConnectorCallError, JunctionError, NotFound
from junction.services import Services

TICKET_CONTEXT = "junction-embed-oauth"
TICKET_SECONDS = 600


def back(base: str, **query: str) -> Response:
    """``base`` with ``query`` added (to what it has already)."""
    joiner = "&" if "?" in base else "?"
    suffix = f"{joiner}{urlencode(query, quote_via=quote)}" if query else ""
    return redirect(f"{base}{suffix}")


async def view_of(browser: Browser, cycle_ids: list[str]) -> launch.SetupView:
    async with browser.context.database.transaction(read_only=True) as session:
        view = await launch.setup_view(
            session=session, account_id=browser.account_id, cycle_ids=cycle_ids
        )
    await _fill_options(browser.context, browser.account_id, view)
    return view


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


def oauth_ticket(browser: Browser, base: str, account_connector_id: int) -> str:
    """What an OAuth sign-in link carries instead of the session cookie. In an iframe the
    cookie is kept per embedding site, and a popup is a site of its own, which does not see
    it; so the link holds the account, the connection, the page to go back to and an
    expiry, sealed with the keyring (readable and changeable by nobody else)."""
    expires = int(browser.context.clock().timestamp()) + TICKET_SECONDS
    payload = json.dumps([browser.account_id, base, account_connector_id, expires])
    return browser.context.keyring.seal(payload, context=TICKET_CONTEXT)


def read_ticket(context: Services, ticket: str) -> tuple[str, str, int]:
    """(account id, page to go back to, account connector id)."""
    try:
        account_id, base, account_connector_id, expires = json.loads(
            context.keyring.open(ticket, context=TICKET_CONTEXT)
        )
    except Exception:
        raise PageError("This link does not work", "Start again from the set-up page.") from None
    if expires < context.clock().timestamp():
        raise PageError("This link has expired", "Start again from the set-up page.", 401)
    return str(account_id), str(base), int(account_connector_id)


async def setup_page(
    request: Request,
    browser: Browser,
    cycle_ids: list[str],
    base: str,
    *,
    title: str | None = None,
    notice: str = "",
    error: str = "",
    **extra: Any,
) -> Response:
    view = await view_of(browser, cycle_ids)
    options = browser.options
    return await render(
        request,
        "setup.html",
        title=title or f"Set up {view.cycle.name}",
        tickets={
            card.id: oauth_ticket(browser, base, card.id)
            for card in view.connectors
            if card.auth_type == "OAuth2"
        },
        browser=browser,
        view=view,
        base=base,
        notice=notice,
        error=error,
        wizard=bool(options.get("wizard")),
        popup=not options.get("inline_oauth"),
        **extra,
    )


def auth_value_of(card: launch.ConnectorCard, form: dict[str, str]) -> str | None:
    """The ``AuthValue`` the credential inputs (``_forms.html``) make, or None while one of
    them is empty. Also the console's re-authentication form."""
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


def properties_of(
    card: launch.ConnectorCard, form: dict[str, str]
) -> tuple[list[PropertyIn], list[str]]:
    """The account properties the form's ``prop-…`` inputs give (a sensitive one left empty
    keeps its value), and the labels of the required ones still without a value."""
    properties = [
        PropertyIn(Name=p.name, Value=form[f"prop-{p.name}"].strip() or None)
        for p in card.properties
        if f"prop-{p.name}" in form and (form[f"prop-{p.name}"].strip() or not p.sensitive)
    ]
    missing = [
        p.label
        for p in card.properties
        if not p.optional and not p.is_set and not form.get(f"prop-{p.name}", "").strip()
    ]
    return properties, missing


async def _update(
    browser: Browser, account_connector_id: int, update_in: AccountConnectorUpdate
) -> None:
    await checks.update_checked(
        gateway=browser.context.gateway,
        account_id=browser.account_id,
        account_connector_id=account_connector_id,
        update_in=update_in,
        now=browser.context.clock(),
    )


async def connect(
    request: Request,
    browser: Browser,
    cycle_ids: list[str] | None,
    base: str,
    account_connector_id: int,
    discover: Callable[[int], None],
    done: str | None = None,
) -> Response:
    """API key, Basic or AuthFields credentials (and the connector's account properties),
    the credentials tried at the API before they are kept. ``cycle_ids``: the connector must
    be one they use (None: any of the account's). Success goes to ``done`` (or back to
    ``base``), a failure back to ``base`` with the reason."""
    values = {k: str(v) for k, v in (await request.form()).items()}
    context = browser.context
    async with context.database.transaction(read_only=True) as session:
        card = await launch.card_of(
            session=session,
            account_id=browser.account_id,
            account_connector_id=account_connector_id,
        )
        if cycle_ids is not None:
            view = await launch.setup_view(
                session=session, account_id=browser.account_id, cycle_ids=cycle_ids
            )
            if card.id not in {c.id for c in view.connectors}:
                raise NotFound(f"This integration uses no connection {account_connector_id}")
    auth_value = auth_value_of(card, values)
    if auth_value is None and card.auth_type not in ("None", "OAuth2"):
        return back(base, error=f"{card.name}: fill in every field")
    properties, missing = properties_of(card, values)
    if missing:
        return back(base, error=f"{card.name}: fill in {', '.join(missing)}")
    if auth_value is None:
        if properties:
            await _update(
                browser, account_connector_id, AccountConnectorUpdate(Properties=properties)
            )
        # OAuth 2.0: its settings are kept; the sign-in button is next, on the same page.
        after = base if card.auth_type == "OAuth2" else (done or base)
        return back(after, notice=f"{card.name}: settings saved.")
    try:
        # With the properties given alongside: the test call goes where they say, and
        # neither is kept unless the app accepts the credentials.
        await _update(
            browser,
            account_connector_id,
            AccountConnectorUpdate(AuthValue=auth_value, Properties=properties or None),
        )
    except JunctionError as exc:
        return back(base, error=exc.message.removeprefix("AuthValue: "))
    discover(account_connector_id)  # its custom fields, after the answer has left
    return back(done or base, notice=f"{card.name} is connected.")


async def choose(request: Request, browser: Browser, cycle_ids: list[str], base: str) -> Response:
    form = {k: str(v) for k, v in (await request.form()).items()}
    view = await view_of(browser, cycle_ids)
    context = browser.context
    async with context.database.transaction() as session:
        await launch.save_choices(
            session=session,
            account_id=browser.account_id,
            choices=view.choices,
            form=form,
            now=context.clock(),
        )
    return back(base, notice="Your choices are saved.")


def result_origins(context: Services) -> list[str]:
    """Where the last page may post its result (it holds the webhooks' addresses): the
    origins allowed to frame the pages or call the API. None set: any page that opened
    this one ("*", as Cyclr does; docs/embedding.md says why to set them)."""
    ancestors = context.installation.current("embed_frame_ancestors")
    origins = [*ancestors, *context.settings.cors_origins]
    return list(dict.fromkeys(origins)) or ["*"]


def caller(context: Services) -> activation_flow.Caller:
    return activation_flow.Caller(
        database=context.database,
        gateway=context.gateway,
        base_url=context.settings.public_base_url,
    )


async def activate(browser: Browser, cycle_ids: list[str], *, run_once: bool) -> None:
    """Switch every cycle on; the first refusal (a prerequisite, a webhook the app would not
    install) stops there with its message."""
    for cycle_id in cycle_ids:
        await activation_flow.activate(
            caller=caller(browser.context),
            account_id=browser.account_id,
            cycle_id=cycle_id,
            activate_in=ActivateIn(RunOnce=run_once),
            now=browser.context.clock(),
        )


async def installed_cycles(browser: Browser, cycle_ids: list[str]) -> list[dict[str, Any]]:
    """Each cycle as the result objects and notifications describe it."""
    context = browser.context
    found = []
    async with context.database.transaction(read_only=True) as session:
        for cycle_id in cycle_ids:
            cycle = await cycles.get(
                session=session, account_id=browser.account_id, cycle_id=cycle_id
            )
            loaded = await structure.load(session=session, cycle=cycle)
            release = (
                await cycles.newest_live(session=session, template_id=cycle.template_id)
                if cycle.template_id
                else None
            )
            found.append(
                {
                    "cycleId": cycle.id,
                    "name": cycle.name,
                    "status": cycle.status,
                    "templateId": cycle.template_id,
                    "templateReleaseId": cycle.template_release_id,
                    "templateTags": list((release.document.get("Tags") if release else None) or []),
                    "webhooks": [
                        {"stepName": hook["StepName"], "url": hook["Url"]}
                        for hook in webhook_urls.webhooks_out(
                            loaded, context.settings.public_base_url
                        )
                    ],
                }
            )
    return found
