"""Imported connectors calling real loopback APIs, with no edits to what was imported:
paging guessed from names, defaults left to the API, fixed headers, credentials, the base
address as a property, and the definition read back for promotion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from junction.connectors.openapi import import_openapi
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import dump
from tests.connectors.openapi.test_curation import _document, _list_answer, _query
from tests.connectors.runtime.helpers import (
    Handler,
    async_test,
    call_input,
    context,
    make_runtime,
    method_of,
    serve,
)
from tests.fixtures.loopback import LoopbackApi
from tests.fixtures.server import Junction

TOTAL = 230  # items the paging API holds
MAX_LIMIT = 50  # the API's largest page


def _page(request: web.Request, start: int) -> tuple[list[dict[str, str]], int]:
    limit = min(int(request.query.get("limit", request.query.get("per_page", "10"))), MAX_LIMIT)
    items = [{"id": str(n)} for n in range(start, min(start + limit, TOTAL))]
    return items, start + len(items)


async def _cursor(request: web.Request) -> web.Response:
    items, after = _page(request, int(request.query.get("cursor", "0")))
    cursor = str(after) if after < TOTAL else ""
    return web.json_response({"data": items, "response_metadata": {"next_cursor": cursor}})


async def _next_url(request: web.Request) -> web.Response:
    items, after = _page(request, int(request.query.get("from", "0")))
    limit = request.query["limit"]
    link = f"/v2/items?from={after}&limit={limit}" if after < TOTAL else None
    return web.json_response({"data": items, "links": {"next": link}})


async def _offset(request: web.Request) -> web.Response:
    items, _ = _page(request, int(request.query["offset"]))
    return web.json_response({"data": items, "total": TOTAL})


async def _page_number(request: web.Request) -> web.Response:
    size = min(int(request.query["per_page"]), MAX_LIMIT)
    items, _ = _page(request, (int(request.query["page"]) - 1) * size)
    return web.json_response({"data": items})


LIMIT = _query("limit", "integer", maximum=MAX_LIMIT)
STYLES: dict[str, tuple[list[dict[str, Any]], dict[str, Any], Handler]] = {
    "cursor": (
        [_query("cursor"), LIMIT],
        {"response_metadata": {"type": "object", "properties": {"next_cursor": {}}}},
        _cursor,
    ),
    "next-url": (
        [LIMIT],
        {"links": {"type": "object", "properties": {"next": {"type": "string"}}}},
        _next_url,
    ),
    "offset": ([_query("offset", "integer"), LIMIT], {"total": {"type": "integer"}}, _offset),
    "page": (
        [_query("page", "integer"), _query("per_page", "integer", maximum=MAX_LIMIT)],
        {},
        _page_number,
    ),
}


@pytest.mark.parametrize("style", list(STYLES))
@async_test
async def test_guessed_paging_fetches_every_item(style: str) -> None:
    parameters, answer, handler = STYLES[style]
    document = _document(
        {
            "/items": {
                "get": {
                    "operationId": "list",
                    "parameters": parameters,
                    "responses": _list_answer(answer),
                }
            }
        }
    )
    definition = parse_definition(import_openapi(dump(document)).definition)
    requests: list[dict[str, str]] = []

    async def recorded(request: web.Request) -> web.StreamResponse:
        requests.append(dict(request.query))
        return await handler(request)

    async with serve({"GET /v2/items": recorded}) as base:
        runtime = make_runtime()
        try:
            ids: list[str] = []
            async for page in runtime.pages(
                definition,
                method_of(definition, "list"),
                context(properties={"BaseUrl": f"{base}/v2"}),
                call_input(),
            ):
                ids.extend(record["DataId"] for record in page.records)
        finally:
            await runtime.close()
    assert ids == [str(n) for n in range(TOTAL)]
    # Pages of the API's largest size, read from the document: 5 pages of 50 (the last
    # one short, which ends the page-counting styles).
    assert len(requests) == 5
    assert all(r.get("limit", r.get("per_page")) == str(MAX_LIMIT) for r in requests)


class BrandsApi(LoopbackApi):
    """Brands: a key sent as ``Authorization: Token token=<key>``, a versioned Accept."""

    name = "brands"
    KEY = "k-123"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/v2/brands", self._list)
        app.router.add_get("/v2/brands/{id}", self._show)
        app.router.add_put("/v2/brands/{id}", self._show)

    def refuse(self, request: web.Request) -> web.Response | None:
        if request.headers.get("Authorization") != f"Token token={self.KEY}":
            return web.json_response({"error": "who are you?"}, status=401)
        return None

    async def _list(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [{"id": "b1", "name": "Acme"}]})

    async def _show(self, request: web.Request) -> web.Response:
        if request.headers.get("Accept") != "application/vnd.brands+json;version=2":
            return web.json_response({"error": "version 2 only"}, status=406)
        if request.method == "GET" and request.headers.get("Content-Type") != "application/json":
            return web.json_response({"error": "Content-Type required"}, status=415)
        return web.json_response({"id": request.match_info["id"], "name": "Acme"})


BRAND = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "name": {"type": "string"},
        "colour": {"type": "string", "default": "blue"},
        "font": {"type": "string", "default": "Inter"},
    },
}
VERSIONED = [
    {
        "name": "Accept",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "enum": ["application/vnd.brands+json;version=2"]},
    }
]
ANSWER = {"200": {"description": "ok", "content": {"application/json": {"schema": BRAND}}}}
BRANDS_DOCUMENT = _document(
    {
        "/brands": {
            "get": {
                "operationId": "listBrands",
                "parameters": [
                    {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": ANSWER,
            }
        },
        "/brands/{id}": {
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "get": {
                "operationId": "getBrand",
                "parameters": [
                    *VERSIONED,
                    {
                        "name": "Content-Type",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "enum": ["application/json"]},
                    },
                ],
                "responses": ANSWER,
            },
            "put": {
                "operationId": "updateBrand",
                "parameters": VERSIONED,
                "requestBody": {"content": {"application/json": {"schema": BRAND}}},
                "responses": ANSWER,
            },
        },
        "/admin/reset": {"post": {"operationId": "reset", "responses": ANSWER}},
    },
    components={
        "securitySchemes": {
            "key": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Send `Authorization: Token token=<your key>`.",
            },
            "legacy": {"type": "apiKey", "in": "query", "name": "token"},
        }
    },
    security=[{"key": []}],
)


@pytest.fixture
def brands() -> Iterator[BrandsApi]:
    with BrandsApi() as server:
        yield server


def test_an_imported_connector_calls_the_api_without_edits(
    junction: Junction, brands: BrandsApi
) -> None:
    api = junction.http(junction.token())
    imported = api.post(
        "/v1.0/connectors/import/openapi",
        json=BRANDS_DOCUMENT,
        params=[("path", "/brands"), ("path", "/brands/{id}")],
    )
    assert imported.status_code == 201, imported.text
    connector = imported.json()["Id"]

    # The editable definition comes back as it was imported, defaults filled in; promoted
    # as it is.
    got = api.get(f"/v1.0/connectors/{connector}/definition")
    assert got.status_code == 200, got.text
    definition = got.json()
    assert [m["MethodUniqueIdentifier"] for m in definition["Methods"]] == [
        "listBrands",
        "getBrand",
        "updateBrand",
    ]  # /admin/reset was not chosen
    assert definition["TimeoutSeconds"] == 30
    definition["ReleaseStatus"] = "Live"
    promoted = api.post("/v1.0/connectors", json=definition)
    assert (promoted.status_code, promoted.json()["Id"]) == (200, connector), promoted.text
    assert api.get("/v1.0/connectors/999999/definition").status_code == 404

    assert api.post("/v1.0/accounts", json={"Id": "shop", "Name": "Shop"}).status_code == 200
    account = junction.http(junction.token(), account="shop")
    installed = account.post(
        f"/v1.0/connectors/{connector}/install",
        json={
            "AuthValue": BrandsApi.KEY,
            # The account points the connector at its stand-in: no edit of the definition.
            "Properties": [{"Name": "BaseUrl", "Value": f"{brands.base_url}/v2"}],
        },
    )
    assert installed.status_code == 200, installed.text
    ac = installed.json()["Id"]

    def call(method: str, body: dict[str, Any]) -> httpx.Response:
        return account.post(f"/v1.0/account/connectors/{ac}/methods/{method}", json=body)

    # 'token' duplicated the legacy key scheme: no longer a required parameter.
    listed = call("listBrands", {})
    assert listed.status_code == 200, listed.text
    assert brands.requests_to("GET", "/v2/brands")[-1].query == {}

    shown = call("getBrand", {"Parameters": {"id": "b1"}})
    assert shown.status_code == 200, shown.text

    updated = call("updateBrand", {"Parameters": {"id": "b1"}, "Fields": {"Name": "Acme 2"}})
    assert updated.status_code == 200, updated.text
    # Only the new name: no defaults that would reset colour and font, no readOnly id.
    assert brands.requests_to("PUT", "/v2/brands/b1")[-1].json() == {"name": "Acme 2"}
