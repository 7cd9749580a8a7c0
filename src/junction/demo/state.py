"""What the demo apps remember, kept in ``{data folder}/demo/apps.json``.

The demo CRM and mailer are stand-ins for third-party apps, so they keep their own data,
apart from Junction's database: their keys, the CRM's contacts and webhook subscriptions,
and the mailer's subscribers. Keeping them in a file means a second start finds the same
keys (the ones stored in the demo account's connectors) and the same subscriptions.
Only the newest ``KEEP`` contacts and subscribers are kept.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KEEP = 500


def crm_date(moment: datetime) -> str:
    """The CRM's date format (``yyyy-MM-ddTHH:mm:ssZ``), also what ``created_after`` takes."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DemoState:
    """The demo apps' data, loaded once at start and written back after each change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()
        data: dict[str, Any] = {}
        if path.exists():
            data = json.loads(path.read_text())
        self.crm_api_key: str = data.get("crm_api_key") or secrets.token_urlsafe(24)
        self.mailer_username: str = data.get("mailer_username") or "demo"
        self.mailer_password: str = data.get("mailer_password") or secrets.token_urlsafe(18)
        # The demo console administrator's (printed at every start, like the others).
        self.console_password: str = data.get("console_password") or secrets.token_urlsafe(18)
        self.contacts: list[dict[str, Any]] = list(data.get("contacts", []))
        self.webhooks: list[dict[str, Any]] = list(data.get("webhooks", []))
        self.subscribers: list[dict[str, Any]] = list(data.get("subscribers", []))
        self.next_contact_id: int = int(data.get("next_contact_id", 1))
        self.next_subscriber_id: int = int(data.get("next_subscriber_id", 1))
        if not path.exists():
            self._write(self._snapshot())

    def _snapshot(self) -> dict[str, Any]:
        return {
            "crm_api_key": self.crm_api_key,
            "mailer_username": self.mailer_username,
            "mailer_password": self.mailer_password,
            "console_password": self.console_password,
            "contacts": self.contacts[-KEEP:],
            "webhooks": self.webhooks,
            "subscribers": self.subscribers[-KEEP:],
            "next_contact_id": self.next_contact_id,
            "next_subscriber_id": self.next_subscriber_id,
        }

    def _write(self, snapshot: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        # Owner-only, as the rest of the data folder: it holds the demo apps' passwords.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(snapshot, indent=1))
        os.replace(temporary, self.path)

    async def save(self) -> None:
        """Write the current data (off the event loop; one write at a time)."""
        snapshot = self._snapshot()
        async with self._lock:
            await asyncio.to_thread(self._write, snapshot)

    def add_contact(self, *, name: str, email: str, status: str, now: datetime) -> dict[str, Any]:
        contact = {
            "id": self.next_contact_id,
            "email": email,
            "name": name,
            "status": status,
            "created": crm_date(now),
        }
        self.next_contact_id += 1
        self.contacts.append(contact)
        del self.contacts[:-KEEP]
        return contact

    def add_subscriber(
        self, *, email: str, full_name: str | None, list_id: str
    ) -> tuple[dict[str, Any], bool]:
        """The subscriber, and whether it is new (an address is on a list once)."""
        for row in self.subscribers:
            if row["email"].lower() == email.lower() and row["list"] == list_id:
                return row, False
        row = {
            "id": self.next_subscriber_id,
            "email": email,
            "full_name": full_name,
            "list": list_id,
        }
        self.next_subscriber_id += 1
        self.subscribers.append(row)
        del self.subscribers[:-KEEP]
        return row, True
