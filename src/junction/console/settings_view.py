"""What the console's Settings page shows: the credential sets, the access tokens and the
installation settings with where each effective value comes from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from junction.auth import service as auth
from junction.auth.models import AccessToken
from junction.embed.appearance import AppearanceIn, Palette
from junction.errors import BadRequest
from junction.installation import service as installation
from junction.settings import Settings


@dataclass(frozen=True)
class SettingRow:
    item: installation.Editable
    value: Any  # effective
    environment: Any
    overridden: bool

    @property
    def text(self) -> str:
        """The value as the form shows it."""
        return shown(self.value)

    @property
    def environment_text(self) -> str:
        return shown(self.environment) or "(none)"


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item) for item in value)
    return str(value)


@dataclass(frozen=True)
class SettingsView:
    credentials: list[auth.CredentialSet]
    tokens: list[AccessToken]
    settings: list[SettingRow]
    limit: int


async def view(*, session: AsyncSession, base: Settings, now: datetime) -> SettingsView:
    overrides = await installation.stored(session=session)
    effective = installation.effective(base, overrides)
    rows = [
        SettingRow(
            item,
            getattr(effective, item.name),
            getattr(base, item.name),
            item.name in overrides,
        )
        for item in installation.EDITABLE
    ]
    return SettingsView(
        credentials=await auth.list_credentials(session=session),
        tokens=await auth.list_tokens(session=session, now=now),
        settings=rows,
        limit=base.max_client_credentials,
    )


def for_audit(values: dict[str, Any]) -> dict[str, Any]:
    """Setting values as the audit log keeps them: a webhook URL's query string and any
    password in it may be a credential of the receiving end, so they are left out."""
    return {name: _without_credentials(value) for name, value in values.items()}


def _without_credentials(value: Any) -> Any:
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urlsplit(value)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "(hidden)@" + netloc.rpartition("@")[2]
    query = "(hidden)" if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


# The appearance form: the partner's appearance, field by field (the HTML fields are kept
# as stored: they are edited through the API).
APPEARANCE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("BrandName", "Brand name", "Shown in the pages' header. Empty: Integrations."),
    ("LogoUrl", "Logo", "An https URL or a data:image URI."),
    ("Font", "Font", "A CSS font list, e.g. 'Inter', sans-serif."),
)
COLOURS: tuple[tuple[str, str], ...] = (
    ("Accent", "Buttons and links"),
    ("AccentText", "Text on buttons"),
    ("Background", "Background"),
    ("Surface", "Panels and cards"),
    ("Text", "Text"),
    ("Muted", "Secondary text"),
)
_REFUSALS = {
    "LogoUrl": "Enter an https URL or a data:image URI",
    "Font": "Use letters, digits, spaces, commas, quotes and hyphens only",
}


def appearance_values(look: AppearanceIn) -> dict[str, str]:
    """The stored appearance as the form shows it."""
    values = {name: str(getattr(look, name) or "") for name, _, _ in APPEARANCE_FIELDS}
    colours = look.Colors or Palette()
    values.update({name: str(getattr(colours, name) or "") for name, _ in COLOURS})
    values["CustomCss"] = look.CustomCss or ""
    return values


def appearance_from_form(stored: AppearanceIn, form: dict[str, str]) -> AppearanceIn:
    """The stored appearance with the form's fields; empty fields are unset. Refused as
    ``BadRequest("<field>: why")`` by the rules of ``AppearanceIn``."""
    document: dict[str, Any] = stored.model_dump(exclude_none=True)
    for name, _, _ in APPEARANCE_FIELDS:
        document[name] = form.get(name, "").strip() or None
    document["CustomCss"] = form.get("CustomCss", "") or None
    colours = {name: form.get(name, "").strip() or None for name, _ in COLOURS}
    document["Colors"] = colours if any(colours.values()) else None
    try:
        return AppearanceIn.model_validate(document)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][-1]) if error["loc"] else "_form"
        if field in dict(COLOURS):
            message = "Enter a colour like #2f5bd3"
        else:
            message = _REFUSALS.get(field, str(error["msg"]))
        raise BadRequest(f"{field}: {message}") from None
