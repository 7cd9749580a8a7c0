"""The third-party API behind the connectors of the compatibility tests, on loopback.

It accepts exactly the credentials that Cyclr's documentation writes in its examples (the
all-zero API key, the Basic value of ``username:password``, the access token
``XXXXXXXXXX``), so those examples can be sent as written and still authenticate. It
answers in the shapes the documentation shows for the third party: a mailing list
look-up (``lists``), list members, and contact ``records``.
"""

from __future__ import annotations

import base64

from aiohttp import web

from tests.fixtures.loopback import LoopbackApi

API_KEY = "0" * 40
BASIC_VALUE = base64.b64encode(b"username:password").decode()
ACCESS_TOKEN = "XXXXXXXXXX"

LISTS = [{"id": "a78f86e7d7", "web_id": 227621, "name": "Newsletter Subscribers"}]
MEMBERS = [{"id": "m-1", "email_address": "jane@example.com", "status": "subscribed"}]
RECORDS = [
    {
        "Id": "1001",
        "FirstName": "John",
        "LastName": "Doe",
        "Name": "John Doe",
        "Email": "johndoe@example.com",
    },
    {
        "Id": "1002",
        "FirstName": "Jane",
        "LastName": "Doe",
        "Name": "Jane Doe",
        "Email": "janedoe@example.com",
    },
]


class DocsApi(LoopbackApi):
    name = "docs-api"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/lists", self._lists)
        app.router.add_get("/members", self._members)
        app.router.add_post("/lists/{list_id}/members", self._add_member)
        app.router.add_get("/contacts", self._contacts)
        app.router.add_post("/contacts/search", self._search)

    def refuse(self, request: web.Request) -> web.Response | None:
        if request.headers.get("X-Api-Key") == API_KEY:
            return None
        if request.headers.get("Authorization") in (
            f"Basic {BASIC_VALUE}",
            f"Bearer {ACCESS_TOKEN}",
        ):
            return None
        return web.json_response({"error": "not authenticated"}, status=401)

    async def _lists(self, _request: web.Request) -> web.Response:
        return web.json_response({"lists": LISTS})

    async def _members(self, _request: web.Request) -> web.Response:
        return web.json_response({"members": MEMBERS})

    async def _add_member(self, request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"id": "m-2", "list_id": request.match_info["list_id"], **body})

    async def _contacts(self, _request: web.Request) -> web.Response:
        return web.json_response({"records": RECORDS})

    async def _search(self, request: web.Request) -> web.Response:
        wanted = (await request.json()).get("Email")
        found = [r for r in RECORDS if wanted in (None, r["Email"])] or [
            {"Id": "1003", "FirstName": "", "LastName": "", "Name": "", "Email": wanted}
        ]
        return web.json_response({"records": found})
