"""Marketplaces: the partner's cards (integration packages, rich text, action links), and the
packages customers install from them. Services: they never commit."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.cycles import service as cycles
from junction.embed.models import Marketplace, MarketplaceInstall
from junction.embed.schemas import (
    MarketplaceIn,
    MarketplaceOut,
    PackageCard,
)
from junction.errors import BadRequest, NotFound
from junction.security.keyring import Keyring
from junction.templates.models import Template

SECRET_CONTEXT = "marketplace-signing-secret"  # noqa: S105 - a keyring context, not a secret


async def _checked(
    session: AsyncSession, marketplace_in: MarketplaceIn, kept: dict[str, Any] | None
) -> dict[str, Any]:
    """The document to store: package Ids given (new ones after the highest so far, so an Id
    never changes meaning) and every template checked to have a Live release."""
    used = {c.Id for c in marketplace_in.Cards if isinstance(c, PackageCard) and c.Id}
    highest = max([*used, *(c.get("Id") or 0 for c in (kept or {}).get("Cards", []))], default=0)
    seen: set[int] = set()
    for index, card in enumerate(marketplace_in.Cards):
        if not isinstance(card, PackageCard):
            continue
        where = f"Cards[{index}]"
        if card.Id is None:
            highest += 1
            card.Id = highest
        elif card.Id in seen:
            raise BadRequest(f"{where}.Id: {card.Id} is used by another package")
        seen.add(card.Id)
        for position, template_id in enumerate(card.TemplateIds):
            if await session.get(Template, template_id) is None:
                raise BadRequest(f"{where}.TemplateIds[{position}]: no template '{template_id}'")
            try:
                await cycles.newest_live(session=session, template_id=template_id)
            except (BadRequest, NotFound):
                raise BadRequest(
                    f"{where}.TemplateIds[{position}]: template '{template_id}' has no Live "
                    "release to install"
                ) from None
    return marketplace_in.model_dump(mode="json")


async def create(
    *, session: AsyncSession, keyring: Keyring, marketplace_in: MarketplaceIn, now: datetime
) -> tuple[Marketplace, str]:
    """The new marketplace and its notification signing secret (shown once)."""
    document = await _checked(session, marketplace_in, None)
    secret = secrets.token_urlsafe(32)
    row = Marketplace(
        name=marketplace_in.Name,
        document=document,
        signing_secret_sealed="",
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    row.signing_secret_sealed = keyring.seal(secret, context=f"{SECRET_CONTEXT}:{row.id}")
    await session.flush()
    return row, secret


async def replace(
    *, session: AsyncSession, row: Marketplace, marketplace_in: MarketplaceIn, now: datetime
) -> Marketplace:
    row.document = await _checked(session, marketplace_in, row.document)
    row.name = marketplace_in.Name
    row.updated_at = now
    await session.flush()
    return row


async def get(*, session: AsyncSession, marketplace_id: int) -> Marketplace:
    row = await session.get(Marketplace, marketplace_id)
    if row is None:
        raise NotFound(f"No marketplace with Id {marketplace_id}")
    return row


async def listing(*, session: AsyncSession) -> list[Marketplace]:
    return list(await session.scalars(select(Marketplace).order_by(Marketplace.id)))


async def remove(*, session: AsyncSession, row: Marketplace) -> None:
    await session.delete(row)
    await session.flush()


def out(row: Marketplace) -> MarketplaceOut:
    return MarketplaceOut.model_validate(
        {
            **row.document,
            "Id": row.id,
            "CreatedAtUtc": row.created_at,
            "UpdatedAtUtc": row.updated_at,
        }
    )


def signing_secret(row: Marketplace, keyring: Keyring) -> str:
    return keyring.open(row.signing_secret_sealed, context=f"{SECRET_CONTEXT}:{row.id}")


def package(row: Marketplace, package_id: int) -> PackageCard:
    for card in out(row).Cards:
        if isinstance(card, PackageCard) and card.Id == package_id:
            return card
    raise NotFound(f"This marketplace has no integration package {package_id}")


async def installs(
    *, session: AsyncSession, account_id: str, marketplace_id: int
) -> dict[int, MarketplaceInstall]:
    """The account's installed packages of the marketplace, by package Id."""
    rows = await session.scalars(
        select(MarketplaceInstall).where(
            MarketplaceInstall.account_id == account_id,
            MarketplaceInstall.marketplace_id == marketplace_id,
        )
    )
    return {row.package_id: row for row in rows}


async def install(
    *,
    session: AsyncSession,
    keyring: Keyring,
    account_id: str,
    row: Marketplace,
    card: PackageCard,
    complete_parameter: str | None,
    now: datetime,
) -> MarketplaceInstall:
    """Install every template of the package as a paused cycle, recorded as one install."""
    existing = await installs(session=session, account_id=account_id, marketplace_id=row.id)
    if card.SingleInstallation and card.Id in existing:
        raise BadRequest(f"{card.Name} is installed already")
    cycle_ids = []
    for template_id in card.TemplateIds:
        cycle = await cycles.install(
            session=session,
            keyring=keyring,
            account_id=account_id,
            template_id=template_id,
            now=now,
        )
        cycle_ids.append(cycle.id)
    installed = MarketplaceInstall(
        marketplace_id=row.id,
        package_id=card.Id or 0,
        account_id=account_id,
        cycle_ids=cycle_ids,
        complete_parameter=complete_parameter,
        created_at=now,
    )
    session.add(installed)
    await session.flush()
    return installed


async def get_install(
    *, session: AsyncSession, account_id: str, install_id: int
) -> MarketplaceInstall:
    found = await session.get(MarketplaceInstall, install_id)
    if found is None or found.account_id != account_id:
        raise NotFound(f"No installed package {install_id} in this account")
    return found
