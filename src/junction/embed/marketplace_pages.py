"""The Marketplace pages: the partner's cards, installing a package (its templates, set up
on one page and switched on together), and uninstalling it; each install and uninstall is
reported to the partner's notification URL (``notices``)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from junction.connectors.accounts.custom_field_hooks import DiscoverAfterCommit
from junction.cycles import activation_flow
from junction.embed import marketplaces, notices, setup_flow
from junction.embed.browser import Browser, PageError, PageRoute, Posted, SignedIn, redirect, render
from junction.embed.models import Marketplace, MarketplaceInstall
from junction.embed.schemas import PackageCard
from junction.errors import JunctionError, NotFound

router = APIRouter(route_class=PageRoute, include_in_schema=False)


async def _marketplace(browser: Browser) -> Marketplace:
    marketplace_id = browser.options.get("marketplace_id")
    if browser.options.get("page") != "marketplace" or not isinstance(marketplace_id, int):
        raise PageError(
            "No marketplace here",
            "This session was not opened for a marketplace. Open it again from the app.",
            404,
        )
    async with browser.context.database.transaction(read_only=True) as session:
        return await marketplaces.get(session=session, marketplace_id=marketplace_id)


@router.get("/marketplace")
async def marketplace_page(request: Request, browser: SignedIn, notice: str = "") -> Response:
    row = await _marketplace(browser)
    async with browser.context.database.transaction(read_only=True) as session:
        installed = await marketplaces.installs(
            session=session, account_id=browser.account_id, marketplace_id=row.id
        )
    cards = marketplaces.out(row).Cards
    categories = list(
        dict.fromkeys(c.Category for c in cards if isinstance(c, PackageCard) and c.Category)
    )
    return await render(
        request,
        "marketplace.html",
        title="Integrations",
        browser=browser,
        cards=cards,
        categories=categories,
        installed=installed,
        notice=notice,
    )


@router.post("/marketplace/packages/{package_id}/install")
async def install_package(browser: Posted, package_id: int) -> Response:
    row = await _marketplace(browser)
    card = marketplaces.package(row, package_id)
    context = browser.context
    async with context.database.transaction() as session:
        installed = await marketplaces.install(
            session=session,
            keyring=context.keyring,
            account_id=browser.account_id,
            row=row,
            card=card,
            complete_parameter=browser.options.get("complete_parameter"),
            now=context.clock(),
        )
    return redirect(_base(installed.id))


def _base(install_id: int) -> str:
    return f"/marketplace/installs/{install_id}"


async def _install(browser: Browser, install_id: int) -> tuple[Marketplace, MarketplaceInstall]:
    row = await _marketplace(browser)
    async with browser.context.database.transaction(read_only=True) as session:
        found = await marketplaces.get_install(
            session=session, account_id=browser.account_id, install_id=install_id
        )
    if found.marketplace_id != row.id:
        raise NotFound(f"No installed package {install_id} in this marketplace")
    return row, found


@router.get("/marketplace/installs/{install_id}")
async def setup_page(
    request: Request, browser: SignedIn, install_id: int, notice: str = "", error: str = ""
) -> Response:
    row, found = await _install(browser, install_id)
    card = marketplaces.package(row, found.package_id)
    return await setup_flow.setup_page(
        request,
        browser,
        found.cycle_ids,
        _base(install_id),
        title=f"Set up {card.Name}",
        notice=notice,
        error=error,
    )


@router.post("/marketplace/installs/{install_id}/connectors/{account_connector_id}")
async def connect(
    request: Request,
    browser: Posted,
    install_id: int,
    account_connector_id: int,
    discover_fields: DiscoverAfterCommit,
) -> Response:
    _, found = await _install(browser, install_id)
    return await setup_flow.connect(
        request, browser, found.cycle_ids, _base(install_id), account_connector_id, discover_fields
    )


@router.post("/marketplace/installs/{install_id}/choices")
async def choose(request: Request, browser: Posted, install_id: int) -> Response:
    _, found = await _install(browser, install_id)
    return await setup_flow.choose(request, browser, found.cycle_ids, _base(install_id))


def _notice(
    browser: Browser, row: Marketplace, found: MarketplaceInstall, status: str
) -> dict[str, Any]:
    return {
        "Status": status,
        "AccountId": browser.account_id,
        "AccountApiId": browser.account_id,
        "MarketplaceIntegrationPackageId": found.package_id,
        "UserId": browser.user_id,
        "CompleteParameter": found.complete_parameter,
    }


@router.post("/marketplace/installs/{install_id}/activate")
async def activate(browser: Posted, install_id: int) -> Response:
    row, found = await _install(browser, install_id)
    card = marketplaces.package(row, found.package_id)
    if card.AutoStart:
        try:
            await setup_flow.activate(browser, found.cycle_ids, run_once=False)
        except JunctionError as exc:
            return setup_flow.back(_base(install_id), error=exc.message)
    cycles = await setup_flow.installed_cycles(browser, found.cycle_ids)
    context = browser.context
    notices.send(
        context,
        row.document.get("NotificationUrl"),
        marketplaces.signing_secret(row, context.keyring),
        _notice(browser, row, found, "installed")
        | {
            "MarketplaceInstallDetails": [
                {
                    "CycleId": c["cycleId"],
                    "CycleStatus": c["status"],
                    "Webhooks": [
                        {"Url": h["url"], "StepName": h["stepName"]} for h in c["webhooks"]
                    ],
                    "TemplateId": c["templateId"],
                    "TemplateReleaseId": c["templateReleaseId"],
                }
                for c in cycles
            ],
            "Errors": [],
        },
    )
    # The result is its own page: reloading it neither activates nor notifies again.
    return redirect(f"{_base(install_id)}/done")


@router.get("/marketplace/installs/{install_id}/done")
async def done(request: Request, browser: SignedIn, install_id: int) -> Response:
    row, found = await _install(browser, install_id)
    card = marketplaces.package(row, found.package_id)
    cycles = await setup_flow.installed_cycles(browser, found.cycle_ids)
    result = {
        "accountId": browser.account_id,
        "accountApiId": browser.account_id,
        "installCompleteMessage": card.InstalledMessage,
        "marketplacePackageId": found.package_id,
        "userId": browser.user_id,
        "cycles": [
            {k: c[k] for k in ("cycleId", "status", "templateId", "templateReleaseId", "webhooks")}
            for c in cycles
        ],
        "errors": [],
        "completeParameter": found.complete_parameter,
    }
    running = all(c["status"] == "Active" for c in cycles)
    return await render(
        request,
        "complete.html",
        title="All set",
        browser=browser,
        message=card.InstalledMessage or f"{card.Name} is {'running' if running else 'set up'}.",
        result=result,
        result_origins=setup_flow.result_origins(browser.context),
        back="/marketplace",
    )


@router.post("/marketplace/installs/{install_id}/uninstall")
async def uninstall(browser: Posted, install_id: int) -> Response:
    row, found = await _install(browser, install_id)
    try:
        name = marketplaces.package(row, found.package_id).Name
    except NotFound:
        name = "The package"  # the partner took its card away: it can still be uninstalled
    context = browser.context
    for cycle_id in found.cycle_ids:
        # A cycle deleted already (from ORBIT or the API) is simply gone.
        with contextlib.suppress(NotFound):
            await activation_flow.remove(
                caller=setup_flow.caller(context), account_id=browser.account_id, cycle_id=cycle_id
            )
    async with context.database.transaction() as session:
        stored = await session.get(MarketplaceInstall, found.id)
        if stored is not None:
            await session.delete(stored)
    notices.send(
        context,
        row.document.get("NotificationUrl"),
        marketplaces.signing_secret(row, context.keyring),
        _notice(browser, row, found, "uninstalled"),
    )
    notice = f"{name} is uninstalled."
    return redirect(f"/marketplace?{urlencode({'notice': notice}, quote_via=quote)}")
