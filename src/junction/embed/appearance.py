"""How the customer pages look: the partner's appearance, and an account's changes to it.

Colours and the font become CSS custom properties, served with the partner's own CSS as one
stylesheet (``/embed/theme.css``): the pages' policy allows styles only from files Junction
serves, never inline. Header, footer and complete-page HTML are shown as given; scripts in
them do not run, for the same reason (only Junction's own script file does).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from junction.embed.models import Appearance

PARTNER = "partner"

Color = Annotated[str, StringConstraints(pattern=r"^#(?:[0-9a-fA-F]{3}){1,2}$")]
Html = Annotated[str, StringConstraints(max_length=100_000)]
# Letters, digits, spaces, commas, quotes and hyphens: a font list cannot end the CSS rule.
FontList = Annotated[str, StringConstraints(max_length=300, pattern=r"^[A-Za-z0-9 ,'\"\-]+$")]
ImageUrl = Annotated[
    str, StringConstraints(max_length=200_000, pattern=r"^(https://|data:image/)[^\s\"'()<>]+$")
]


class Palette(BaseModel):
    model_config = ConfigDict(extra="forbid")

    Accent: Color | None = Field(None, description="Buttons and links, e.g. #2f5bd3.")
    AccentText: Color | None = Field(None, description="Text on accent-coloured buttons.")
    Background: Color | None = None
    Surface: Color | None = Field(None, description="Panels and cards.")
    Text: Color | None = None
    Muted: Color | None = Field(None, description="Secondary text.")


class AppearanceIn(BaseModel):
    """Every field optional: what is left out comes from the partner's appearance (for an
    account) or Junction's own look."""

    model_config = ConfigDict(extra="forbid")

    BrandName: Annotated[str, StringConstraints(max_length=120)] | None = Field(
        None, description="Shown in the pages' header (default: Integrations)."
    )
    LogoUrl: ImageUrl | None = Field(None, description="An https URL or a data:image URI.")
    Colors: Palette | None = None
    Font: FontList | None = Field(None, description="A CSS font list, e.g. 'Inter', sans-serif.")
    CustomCss: Annotated[str, StringConstraints(max_length=200_000)] | None = None
    HeaderHtml: Html | None = None
    FooterHtml: Html | None = None
    LaunchCompleteHtml: Html | None = Field(
        None, description="Shown on the last LAUNCH or Marketplace page instead of the default."
    )
    ConnectorCallbackErrorHtml: Html | None = Field(
        None,
        description="Shown when an app's sign-in fails; {{error}} and {{error_description}} "
        "are replaced by what the app answered.",
    )


def _scope(account_id: str | None) -> str:
    return PARTNER if account_id is None else f"account:{account_id}"


async def stored(*, session: AsyncSession, account_id: str | None) -> AppearanceIn:
    row = await session.get(Appearance, _scope(account_id))
    return AppearanceIn.model_validate(row.document if row else {})


async def store(
    *, session: AsyncSession, account_id: str | None, appearance: AppearanceIn, now: datetime
) -> AppearanceIn:
    row = await session.get(Appearance, _scope(account_id))
    document = appearance.model_dump(mode="json", exclude_none=True)
    if row is None:
        session.add(Appearance(scope=_scope(account_id), document=document, updated_at=now))
    else:
        row.document, row.updated_at = document, now
    await session.flush()
    return appearance


async def remove(*, session: AsyncSession, account_id: str) -> None:
    row = await session.get(Appearance, _scope(account_id))
    if row is not None:
        await session.delete(row)
        await session.flush()


def merged(partner: AppearanceIn, account: AppearanceIn) -> AppearanceIn:
    """The account's fields over the partner's (colours one by one)."""
    values: dict[str, Any] = partner.model_dump(exclude_none=True)
    for name, value in account.model_dump(exclude_none=True).items():
        values[name] = {**values.get(name, {}), **value} if name == "Colors" else value
    return AppearanceIn.model_validate(values)


async def effective(*, session: AsyncSession, account_id: str | None) -> AppearanceIn:
    partner = await stored(session=session, account_id=None)
    if account_id is None:
        return partner
    return merged(partner, await stored(session=session, account_id=account_id))


_PROPERTIES = {
    "Accent": "--jn-accent",
    "AccentText": "--jn-accent-text",
    "Background": "--jn-background",
    "Surface": "--jn-surface",
    "Text": "--jn-text",
    "Muted": "--jn-muted",
}


def stylesheet(appearance: AppearanceIn) -> str:
    lines = []
    for name, value in (appearance.Colors or Palette()).model_dump(exclude_none=True).items():
        lines.append(f"  {_PROPERTIES[name]}: {value};")
    if appearance.Font:
        lines.append(f"  --jn-font: {appearance.Font};")
    rules = ":root {\n" + "\n".join(lines) + "\n}\n" if lines else ""
    return rules + (appearance.CustomCss or "")


def version(appearance: AppearanceIn) -> str:
    """Changes when the stylesheet does: the pages link it with this, so a browser never
    keeps an old one."""
    return hashlib.sha256(stylesheet(appearance).encode()).hexdigest()[:16]
