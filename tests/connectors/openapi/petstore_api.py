"""A stand-in for the Swagger Petstore of tests/fixtures/openapi/petstore-v3.yaml, on loopback.

``GET /v1/pets?limit=N`` lists pets, ``GET /v1/pets/{petId}`` shows one, ``POST /v1/pets``
adds one and answers 201 with no body, as the description says. No authentication.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from tests.fixtures.loopback import LoopbackApi


class PetstoreApi(LoopbackApi):
    name = "petstore"

    def __init__(self) -> None:
        super().__init__()
        self.pets: list[dict[str, Any]] = [
            {"id": 1, "name": "Rex", "tag": "dog"},
            {"id": 2, "name": "Tom", "tag": "cat"},
            {"id": 3, "name": "Nemo"},
        ]

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v1/pets", self._list)
        app.router.add_post("/v1/pets", self._create)
        app.router.add_get("/v1/pets/{pet_id}", self._show)

    def refuse(self, request: web.Request) -> web.Response | None:
        return None

    async def _list(self, request: web.Request) -> web.Response:
        limit = int(request.query.get("limit", "100"))
        return web.json_response(self.pets[:limit])

    async def _show(self, request: web.Request) -> web.Response:
        found = [p for p in self.pets if str(p["id"]) == request.match_info["pet_id"]]
        if not found:
            return web.json_response({"code": 404, "message": "no such pet"}, status=404)
        return web.json_response(found[0])

    async def _create(self, request: web.Request) -> web.Response:
        with self._lock:
            self.pets.append(await request.json())
        return web.Response(status=201)
