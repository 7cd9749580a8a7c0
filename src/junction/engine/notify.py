"""Outgoing notices: the transaction error webhook and the cycle-paused notification.

They are sent after the checkpoint that recorded the incident has committed, in the
background, through the same HTTP client and address guard as connector calls. A notice
that cannot be delivered is logged; it never changes what happened to the transaction.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

from yarl import URL

from junction.accounts.models import Account
from junction.connectors.runtime import BuiltRequest, HttpClient, iso_utc
from junction.db.engine import Database
from junction.errors import JunctionError
from junction.installation.service import Overrides

log = logging.getLogger("junction.engine")

STEP_TYPES = {"Method": 1, "Decision": 2, "Delay": 3, "WaitUntil": 4, "Stop": 5}


class Notifier:
    def __init__(
        self,
        *,
        http: HttpClient,
        database: Database,
        error_webhook_url: str | None,
        notification_url: str | None,
        overrides: Overrides | None = None,
        timeout: float = 10,
    ) -> None:
        self.http = http
        self.database = database
        self.error_webhook_url = error_webhook_url
        self.notification_url = notification_url
        # The console's overrides of the two URLs above, when set there.
        self.overrides = overrides
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        # A burst of incidents must not take every database connection or socket.
        self._limit = asyncio.Semaphore(8)

    async def _url(self, name: str, default: str | None) -> str | None:
        if self.overrides is not None:
            await self.overrides.refresh()
            if name in self.overrides.stored:
                found: str | None = self.overrides.stored[name]
                return found
        return default

    def _spawn(self, coro: Any) -> None:
        async def limited() -> None:
            async with self._limit:
                await coro

        task = asyncio.get_running_loop().create_task(limited())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, url: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        request = BuiltRequest(
            method="POST",
            url=URL(url),
            headers={"Content-Type": "application/json", "User-Agent": "Junction"},
            body=body,
            body_log=None,
            timeout=self.timeout,
        )
        try:
            response = await self.http.send(request)
            if response.status >= 400:
                log.warning("notice to %s answered %s", url, response.status)
        except JunctionError as exc:
            log.warning("notice to %s failed: %s", url, exc.message)

    def transaction_incident(
        self,
        *,
        account_id: str,
        cycle_id: str,
        cycle_name: str,
        transaction_id: str,
        step_id: str | None,
        step_name: str | None,
        step_type: str | None,
        level: str,
        message: str,
        full: str | None,
        when: datetime,
    ) -> None:
        """Send the account's (or the console's) transaction error webhook, if set."""

        async def send() -> None:
            async with self.database.transaction(read_only=True) as session:
                account = await session.get(Account, account_id)
            if account is None:
                return
            console_url = await self._url("transaction_error_webhook_url", self.error_webhook_url)
            if account.error_webhook_enabled and account.error_webhook_url:
                url, warnings = account.error_webhook_url, account.error_webhook_include_warnings
            elif console_url:
                url, warnings = console_url, False
            else:
                return
            if level == "Warning" and not warnings:
                return
            await self._post(
                url,
                {
                    "Timestamp": iso_utc(when),
                    "AccountId": account.id,
                    "AccountExternalId": account.id,
                    "AccountName": account.name,
                    "CycleId": cycle_id,
                    "CycleName": cycle_name,
                    "StepId": step_id,
                    "StepName": step_name,
                    "StepType": STEP_TYPES.get(step_type or "", 0),
                    "TransactionId": transaction_id,
                    "Message": message,
                    "Detail": full or message,
                    "IncidentLevel": level,
                },
            )

        self._spawn(send())

    def cycle_paused(
        self, *, account_id: str, cycle_id: str, cycle_name: str, errors: int, when: datetime
    ) -> None:
        async def send() -> None:
            url = await self._url("notification_webhook_url", self.notification_url)
            if not url:
                return
            await self._post(
                url,
                {
                    "Timestamp": iso_utc(when),
                    "Event": "CyclePaused",
                    "AccountId": account_id,
                    "CycleId": cycle_id,
                    "CycleName": cycle_name,
                    "Reason": f"{errors} transactions in a row ended with an error",
                },
            )

        self._spawn(send())

    async def drain(self) -> None:
        """Wait (a few seconds at most) for notices still being sent."""
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
