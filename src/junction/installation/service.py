"""Overrides of a few environment settings, stored by the partner from the console.

The effective value of each is the stored override, else the environment's (``Settings``).
An override is validated by ``Settings`` itself, so the console accepts exactly what the
environment variable would. Every process keeps the overrides in memory (``Overrides``): a
change is seen at once by the process that made it and within ``MAX_AGE`` seconds by the
others, which read the table again when their copy is older than that.

Functions taking a session flush; the caller commits.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.db.engine import Database
from junction.errors import BadRequest
from junction.installation.models import InstallationSetting
from junction.settings import Settings

# How long another process may go on with an override it read before a change.
MAX_AGE = 5.0


@dataclass(frozen=True)
class Editable:
    """A setting the console may override."""

    name: str  # the Settings field, and the form field
    label: str
    hint: str
    kind: str  # "hours", "url" or "origins"


EDITABLE: tuple[Editable, ...] = (
    Editable(
        "step_data_success_retention_hours",
        "Keep step data of completed transactions (hours)",
        "For accounts and integrations without their own setting. 0: purge when it ends.",
        "hours",
    ),
    Editable(
        "step_data_errored_retention_hours",
        "Keep step data of errored or stopped transactions (hours)",
        "For accounts and integrations without their own setting. 0: purge when it ends.",
        "hours",
    ),
    Editable(
        "transaction_error_webhook_url",
        "Transaction error webhook",
        "Told of every transaction error of accounts without their own webhook. Empty: none.",
        "url",
    ),
    Editable(
        "notification_webhook_url",
        "Notification webhook",
        "Told when an integration is paused for repeated errors. Empty: none.",
        "url",
    ),
    Editable(
        "embed_frame_ancestors",
        "Sites that may show the customer pages in an iframe",
        "Origins such as https://app.example.com, one per line. Empty: none.",
        "origins",
    ),
)
NAMES = frozenset(item.name for item in EDITABLE)


def parse(base: Settings, name: str, raw: str) -> Any:
    """The typed value of ``raw`` for setting ``name``, by the rules of ``Settings``;
    refused as ``BadRequest("<name>: why")``."""
    if name not in NAMES:
        raise BadRequest(f"{name}: not a setting the console can change")
    text = raw.strip()
    if name == "embed_frame_ancestors":
        # A text area: one origin a line, as well as the variable's commas.
        text = ",".join(line.strip() for line in text.splitlines() if line.strip())
    try:
        checked = Settings.model_validate({**base.model_dump(), name: text})
    except ValidationError as exc:
        for error in exc.errors():
            if error["loc"] and error["loc"][0] == name:
                message = str(error["msg"]).removeprefix("Value error, ")
                if name.endswith("_hours"):
                    message = "Enter a whole number of hours, 0 or more"
                raise BadRequest(f"{name}: {message}") from None
        raise BadRequest(f"{name}: {exc.errors()[0]['msg']}") from None
    return getattr(checked, name)


async def stored(*, session: AsyncSession) -> dict[str, Any]:
    """The overrides: setting name → value."""
    rows = await session.scalars(select(InstallationSetting))
    return {row.name: row.value for row in rows if row.name in NAMES}


def effective(base: Settings, overrides: dict[str, Any]) -> Settings:
    """``base`` with the overrides applied (a copy: ``base`` is left as it is)."""
    return base.model_copy(update={k: v for k, v in overrides.items() if k in NAMES})


async def update(
    *, session: AsyncSession, base: Settings, form: dict[str, str], actor: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Store the settings of ``form`` (name → text as typed) whose value differs from the
    effective one; a value equal to the environment's removes the override instead. Every
    value is checked before anything is stored. Answers what changed: (before, after)."""
    parsed = {name: parse(base, name, raw) for name, raw in form.items()}
    overrides = await stored(session=session)
    current = effective(base, overrides)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in parsed.items():
        if getattr(current, name) == value:
            continue
        before[name], after[name] = getattr(current, name), value
        row = await session.get(InstallationSetting, name)
        if value == getattr(base, name):
            if row is not None:
                await session.delete(row)
        elif row is None:
            session.add(
                InstallationSetting(name=name, value=value, updated_at=now, updated_by=actor)
            )
        else:
            row.value, row.updated_at, row.updated_by = value, now, actor
    await session.flush()
    return before, after


async def reset(*, session: AsyncSession, base: Settings, name: str) -> tuple[Any, Any] | None:
    """Back to the environment's value; answers (before, after), None if not overridden."""
    if name not in NAMES:
        raise BadRequest(f"{name}: not a setting the console can change")
    row = await session.get(InstallationSetting, name)
    if row is None:
        return None
    before = row.value
    await session.execute(delete(InstallationSetting).where(InstallationSetting.name == name))
    await session.flush()
    return before, getattr(base, name)


class Overrides:
    """This process's copy of the overrides, read again when older than ``max_age``.

    ``base`` is read at every call, never copied: the effective value follows it until an
    override is stored."""

    def __init__(self, base: Settings, database: Database, max_age: float = MAX_AGE) -> None:
        self.base = base
        self.database = database
        self.max_age = max_age
        self._values: dict[str, Any] = {}
        self._read_at: float | None = None
        self._reading: asyncio.Task[None] | None = None

    @property
    def stored(self) -> dict[str, Any]:
        """The overrides as last read (name → value)."""
        return self._values

    async def reload(self) -> None:
        async with self.database.transaction(read_only=True) as session:
            values = await stored(session=session)
        self._values, self._read_at = values, time.monotonic()

    def forget(self) -> None:
        """Read the table again before the next answer (after a change, or a test's wipe)."""
        self._values, self._read_at = {}, None

    def _stale(self) -> bool:
        return self._read_at is None or time.monotonic() - self._read_at > self.max_age

    async def refresh(self) -> None:
        """Read the table again if this copy is stale."""
        if self._stale():
            await self.reload()

    async def settings(self) -> Settings:
        """The effective settings, read again when stale."""
        await self.refresh()
        return effective(self.base, self._values)

    async def value(self, name: str) -> Any:
        await self.refresh()
        return self._values[name] if name in self._values else getattr(self.base, name)

    def current(self, name: str) -> Any:
        """The effective value as last read, for code that cannot wait (a response's
        headers). When stale, a read is started for the next caller."""
        if self._stale() and self._reading is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = None
            if loop is not None:
                self._reading = loop.create_task(self._read_later())
        return self._values[name] if name in self._values else getattr(self.base, name)

    async def _read_later(self) -> None:
        try:
            await self.reload()
        finally:
            self._reading = None
