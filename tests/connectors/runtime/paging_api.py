"""A loopback API with one list served in every paging style (used by tests and benches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import CIMultiDict


@dataclass
class PagingApi:
    total: int = 10_000
    default_size: int = 100
    requests: list[str] = field(default_factory=list)
    repeat_token: bool = False  # answer every page with the same cursor (a broken API)
    ignore_cursor: bool = False  # answer the first page whatever starting_after says

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

    async def by_link_header(self, request: web.Request) -> web.Response:
        """GitHub's style: ?page=N&per_page=M, the next page in an RFC 8288 Link header."""
        self.requests.append(request.path_qs)
        page, size = int(request.query.get("page", "1")), self._size(request, "per_page")
        items = self.items((page - 1) * size, size)
        last = max(1, -(-self.total // size))
        headers: CIMultiDict[str] = CIMultiDict()
        if page < last:
            following = request.url.update_query(page=str(page + 1))
            target = following.path_qs if request.query.get("relative") else str(following)
            # A quoted comma and a second Link header: the reader must not split on either.
            headers.add("Link", f'<{target}>; title="page, next"; rel="next"')
        headers.add("Link", f'<{request.url.update_query(page=str(last))}>; rel="last"')
        return web.json_response({"contacts": items}, headers=headers)

    async def by_last_item(self, request: web.Request) -> web.Response:
        """Stripe's style: ?starting_after=<id of the previous page's last item>, has_more."""
        self.requests.append(request.path_qs)
        after = request.query.get("starting_after")
        start = 0 if after is None or self.ignore_cursor else int(after) + 1
        items = self.items(start, self._size(request, "limit"))
        more = start + len(items) < self.total
        return web.json_response({"object": "list", "contacts": items, "has_more": more})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/number", self.by_number)
        app.router.add_get("/pages/{page}", self.by_path)
        app.router.add_get("/offset", self.by_offset)
        app.router.add_get("/token", self.by_token)
        app.router.add_get("/next", self.by_next_url)
        app.router.add_get("/link", self.by_link_header)
        app.router.add_get("/last", self.by_last_item)
        return app


RESPONSE_FIELDS = [
    {"ConnectorField": "[contacts].id", "SystemField": "Id", "DataType": "Integer"},
    {"ConnectorField": "[contacts].email", "SystemField": "Email"},
]


def q(name: str, value: str) -> dict[str, Any]:
    return {"TargetType": "QueryString", "TargetName": name, "Value": value}


def response_field(path: str, value: str) -> dict[str, Any]:
    return {"TargetType": "ResponseField", "TargetName": path, "Value": value}


def response_header(name: str, value: str) -> dict[str, Any]:
    return {"TargetType": "ResponseHeader", "TargetName": name, "Value": value}


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
    "link": {
        "Endpoint": "/link",
        "Parameters": [
            q("per_page", "CYCLR_PAGE_SIZE"),
            response_header("Link", "CYCLR_PAGE_NEXT_URL"),
        ],
        "ResponseFields": RESPONSE_FIELDS,
    },
    "last_item": {
        "Endpoint": "/last",
        "Parameters": [
            q("starting_after", "CYCLR_PAGE_TOKEN"),
            q("limit", "CYCLR_PAGE_SIZE"),
            response_field("[contacts].id", "CYCLR_PAGE_TOKEN"),
            response_field("has_more", "CYCLR_PAGE_HAS_MORE"),
        ],
        "ResponseFields": RESPONSE_FIELDS,
    },
}
