"""Two small third-party apps that ``junction serve --demo`` serves under ``/demo/``.

They stand in for real SaaS APIs so that the demo needs no network and no accounts. Junction
reaches them like any other API: over HTTP, through the demo connectors
(``connectors/*.yaml``), at ``{JUNCTION_PUBLIC_BASE_URL}/demo/...``.

CRM (``/demo/crm``, header ``X-Api-Key``):

- ``GET /contacts?page=&per_page=&created_after=``: ``{"contacts": [...]}`` in creation
  order, paged by page number; ``created_after`` (``yyyy-MM-ddTHH:mm:ssZ``) keeps contacts
  created at or after that second.
- ``POST /contacts`` ``{"email", "name", "status"}``: adds a contact (201).
- ``POST /webhooks`` ``{"url"}``: subscribes a URL; every new contact is POSTed to it.
  ``GET /webhooks`` lists them.
- By itself, it creates a contact every ``JUNCTION_DEMO_CONTACT_INTERVAL_SECONDS``.

Mailer (``/demo/mailer``, HTTP Basic):

- ``POST /subscribers`` ``{"email", "full_name", "list"}``: 201 with the subscriber, or 200
  when the address is already on that list.
- ``GET /subscribers[?list=]``: ``{"subscribers": [...]}``; ``GET /lists``: ``{"lists": [...]}``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import hmac
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any

import aiohttp
from fastapi import APIRouter, Header, HTTPException, Query, Response
from pydantic import BaseModel, Field

from junction.demo.state import DemoState, crm_date

log = logging.getLogger("junction.demo")

MAILING_LISTS = [
    {"id": "newsletter", "name": "Newsletter"},
    {"id": "welcome", "name": "Welcome series"},
]
NAMES = [
    "Ada Lovelace",
    "Grace Hopper",
    "Alan Turing",
    "Katherine Johnson",
    "Edsger Dijkstra",
    "Barbara Liskov",
    "Donald Knuth",
    "Margaret Hamilton",
]


# Module level: with postponed annotations, FastAPI resolves these names in the module.
ApiKey = Annotated[str | None, Header(alias="X-Api-Key")]
Authorization = Annotated[str | None, Header()]


class ContactIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    name: str = Field("", max_length=255)
    status: str = Field("active", pattern="^(active|inactive)$")


class WebhookIn(BaseModel):
    url: str = Field(pattern="^https?://", max_length=2000)


class SubscriberIn(BaseModel):
    email: str = Field(min_length=3, max_length=254)
    full_name: str | None = Field(None, max_length=255)
    list: str = "newsletter"


def _parse_date(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HTTPException(400, "created_after: expected yyyy-MM-ddTHH:mm:ssZ") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class DemoCrm:
    """The CRM: its router, and the loop that creates contacts and calls webhooks."""

    def __init__(self, state: DemoState, *, interval: float, now: Callable[[], datetime]) -> None:
        self.state = state
        self.interval = interval
        self.now = now
        self._http: aiohttp.ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self.router = self._router()

    def _check_key(self, key: str | None) -> None:
        if key is None or not hmac.compare_digest(key, self.state.crm_api_key):
            raise HTTPException(401, "A valid X-Api-Key header is required")

    def _router(self) -> APIRouter:
        router = APIRouter(prefix="/demo/crm", tags=["Demo CRM"], include_in_schema=False)

        @router.get("")
        async def about() -> dict[str, Any]:
            return {"App": "Demo CRM", "Contacts": len(self.state.contacts)}

        @router.get("/contacts")
        async def contacts(
            key: ApiKey = None,
            page: Annotated[int, Query(ge=1)] = 1,
            per_page: Annotated[int, Query(ge=1, le=100)] = 20,
            created_after: str | None = None,
        ) -> dict[str, Any]:
            self._check_key(key)
            rows = self.state.contacts
            if created_after:
                since = _parse_date(created_after)
                rows = [c for c in rows if _parse_date(c["created"]) >= since]
            start = (page - 1) * per_page
            return {"contacts": rows[start : start + per_page]}

        @router.post("/contacts", status_code=201)
        async def add(body: ContactIn, key: ApiKey = None) -> dict[str, Any]:
            self._check_key(key)
            return await self.create_contact(name=body.name, email=body.email, status=body.status)

        @router.get("/webhooks")
        async def webhooks(key: ApiKey = None) -> dict[str, Any]:
            self._check_key(key)
            return {"webhooks": self.state.webhooks}

        @router.post("/webhooks", status_code=201)
        async def subscribe(body: WebhookIn, response: Response, key: ApiKey = None) -> Any:
            self._check_key(key)
            for row in self.state.webhooks:
                if row["url"] == body.url:
                    response.status_code = 200
                    return row
            row = {"id": max((r["id"] for r in self.state.webhooks), default=0) + 1}
            row["url"] = body.url
            self.state.webhooks.append(row)
            await self.state.save()
            return row

        @router.delete("/webhooks/{hook_id}", status_code=204)
        async def unsubscribe(hook_id: int, key: ApiKey = None) -> None:
            self._check_key(key)
            kept = [row for row in self.state.webhooks if row["id"] != hook_id]
            if len(kept) == len(self.state.webhooks):
                raise HTTPException(404, f"No webhook {hook_id}")
            self.state.webhooks = kept
            await self.state.save()

        return router

    async def create_contact(self, *, name: str, email: str, status: str) -> dict[str, Any]:
        contact = self.state.add_contact(name=name, email=email, status=status, now=self.now())
        await self.state.save()
        await self._notify(contact)
        return contact

    async def _notify(self, contact: dict[str, Any]) -> None:
        """POST the contact to every subscribed URL; a failed call is logged, not retried."""
        if self._http is None:
            return
        for hook in list(self.state.webhooks):
            try:
                async with self._http.post(hook["url"], json=contact) as answer:
                    if answer.status >= 300:
                        log.warning("demo CRM webhook %s answered %s", hook["url"], answer.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("demo CRM webhook %s failed: %r", hook["url"], exc)

    async def _make_contacts(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            number = self.state.next_contact_id
            name = NAMES[number % len(NAMES)]
            email = f"{name.split()[0].lower()}.{number}@example.com"
            # Every fourth contact is inactive: the templates' decision leaves it out.
            status = "inactive" if number % 4 == 0 else "active"
            try:
                await self.create_contact(name=name, email=email, status=status)
            except Exception:
                log.exception("the demo CRM could not create a contact")

    async def start(self) -> None:
        """Start calling webhooks and creating contacts."""
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._make_contacts(), name="junction-demo-crm"
            )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._http is not None:
            await self._http.close()
            self._http = None


def mailer_router(state: DemoState) -> APIRouter:
    router = APIRouter(prefix="/demo/mailer", tags=["Demo Mailer"], include_in_schema=False)

    def check(authorization: str | None) -> None:
        scheme, _, value = (authorization or "").partition(" ")
        try:
            user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            user, password = "", ""
        expected = f"{state.mailer_username}:{state.mailer_password}"
        if scheme.lower() != "basic" or not hmac.compare_digest(f"{user}:{password}", expected):
            raise HTTPException(
                401, "HTTP Basic credentials required", {"WWW-Authenticate": "Basic"}
            )

    @router.get("")
    async def about() -> dict[str, Any]:
        return {"App": "Demo Mailer", "Subscribers": len(state.subscribers)}

    @router.get("/lists")
    async def lists(authorization: Authorization = None) -> dict[str, Any]:
        check(authorization)
        return {"lists": MAILING_LISTS}

    @router.get("/subscribers")
    async def subscribers(
        authorization: Authorization = None, list: str | None = None
    ) -> dict[str, Any]:
        check(authorization)
        rows = [s for s in state.subscribers if list is None or s["list"] == list]
        return {"subscribers": rows}

    @router.post("/subscribers", status_code=201)
    async def subscribe(
        body: SubscriberIn,
        response: Response,
        authorization: Authorization = None,
    ) -> dict[str, Any]:
        check(authorization)
        if body.list not in {entry["id"] for entry in MAILING_LISTS}:
            raise HTTPException(400, f"No mailing list '{body.list}'")
        row, created = state.add_subscriber(
            email=body.email, full_name=body.full_name, list_id=body.list
        )
        if created:
            await state.save()
        else:
            response.status_code = 200
        return row

    return router


__all__ = ["DemoCrm", "crm_date", "mailer_router"]
