"""A loopback API with one list served in every paging style (used by tests and benches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class PagingApi:
    total: int = 10_000
    default_size: int = 100
    requests: list[str] = field(default_factory=list)
    repeat_token: bool = False  # answer every page with the same cursor (a broken API)

    def items(self, start: int, size: int) -> list[dict[str, Any]]:
        end = min(self.total, start + size)
        return [
            {"id": i, "email": f"p{i}@example.com", "created": "2026-01-02T03:04:05Z"}
            for i in range(start, end)
        ]

    def _size(self, request: web.Request, name: str) -> int:
        return int(request.query.get(name, self.default_size))

    async def by_number(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        page, size = int(request.query["page"]), self._size(request, "per_page")
        return web.json_response({"contacts": self.items((page - 1) * size, size)})

    async def by_path(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        page, size = int(request.match_info["page"]), self._size(request, "per_page")
        return web.json_response({"contacts": self.items((page - 1) * size, size)})

    async def by_offset(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        offset, size = int(request.query["offset"]), self._size(request, "limit")
        return web.json_response({"data": {"rows": self.items(offset, size)}})

    async def by_token(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        cursor = request.query.get("after") or request.headers.get("X-Cursor") or "c0"
        start, size = int(cursor[1:]), self._size(request, "limit")
        items = self.items(start, size)
        end = start + len(items)
        meta: dict[str, Any] = {}
        if self.repeat_token:
            meta = {"cursors": {"after": "c0"}}
        elif end < self.total:
            meta = {"cursors": {"after": f"c{end}"}}
        return web.json_response({"contacts": items, "meta": meta})

    async def by_next_url(self, request: web.Request) -> web.Response:
        self.requests.append(request.path_qs)
        start = int(request.query.get("start", "0"))
        items = self.items(start, self.default_size)
        end = start + len(items)
        following = None
        if end < self.total:
            following = str(request.url.with_query(start=str(end)))
            if request.query.get("relative"):
                following = f"{request.path}?start={end}&relative=1"
        links = {"next": following, "self": str(request.url)}
        return web.json_response({"contacts": items, "links": links})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/number", self.by_number)
        app.router.add_get("/pages/{page}", self.by_path)
        app.router.add_get("/offset", self.by_offset)
        app.router.add_get("/token", self.by_token)
        app.router.add_get("/next", self.by_next_url)
        return app


RESPONSE_FIELDS = [
    {"ConnectorField": "[contacts].id", "SystemField": "Id", "DataType": "Integer"},
    {"ConnectorField": "[contacts].email", "SystemField": "Email"},
]


def q(name: str, value: str) -> dict[str, Any]:
    return {"TargetType": "QueryString", "TargetName": name, "Value": value}


def response_field(path: str, value: str) -> dict[str, Any]:
    return {"TargetType": "ResponseField", "TargetName": path, "Value": value}


METHODS: dict[str, dict[str, Any]] = {
    "number": {
        "Endpoint": "/number",
        "Parameters": [q("page", "CYCLR_PAGE_NUMBER"), q("per_page", "CYCLR_PAGE_SIZE")],
        "ResponseFields": RESPONSE_FIELDS,
    },
    "offset": {
        "Endpoint": "/offset",
        "Parameters": [q("offset", "CYCLR_PAGE_OFFSET"), q("limit", "CYCLR_PAGE_SIZE")],
        "ResponseFields": [
            {"ConnectorField": "data.[rows].id", "SystemField": "Id", "DataType": "Integer"}
        ],
    },
    "token": {
        "Endpoint": "/token",
        "Parameters": [
            response_field("meta.cursors.after", "CYCLR_PAGE_TOKEN"),
            q("after", "CYCLR_PAGE_TOKEN"),
            q("limit", "CYCLR_PAGE_SIZE"),
        ],
        "ResponseFields": RESPONSE_FIELDS,
    },
    "next": {
        "Endpoint": "/next",
        "Parameters": [response_field("links.next", "CYCLR_PAGE_NEXT_URL")],
        "ResponseFields": RESPONSE_FIELDS,
    },
}
