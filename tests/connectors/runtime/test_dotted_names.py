"""Names holding a dot (Microsoft Graph's ``@odata.nextLink``, ``@odata.type``): written
``\\.`` in a field path, read as one key, produced so by the OpenAPI importer, and usable as
a next-URL paging parameter."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

from junction.connectors.openapi import import_openapi
from junction.connectors.spec.paths import PathError, escape_key, parse_path
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import dump
from tests.connectors.runtime.helpers import (
    async_test,
    call_input,
    context,
    definition,
    make_runtime,
    method_of,
    serve,
)


def test_an_escaped_dot_stays_in_the_name() -> None:
    path = parse_path(r"@odata\.nextLink")
    assert path.get({"@odata.nextLink": "https://next", "@odata": {"nextLink": "no"}}) == (
        "https://next"
    )
    nested = parse_path(r"[value].@odata\.type")
    assert nested.get({"value": [{"@odata.type": "#user"}, {}]}) == ["#user", None]
    assert nested.collection is not None
    assert nested.collection.text == "[value]"
    assert parse_path(r"[a\.b].c").collection is not None
    assert escape_key("@odata.nextLink") == r"@odata\.nextLink"
    # Unescaped dots still separate: the old meaning of every existing path holds.
    assert parse_path("meta.next").get({"meta": {"next": 1}}) == 1


@pytest.mark.parametrize("text", [r"a\b", r"a\\.b", "a..b"])
def test_a_backslash_that_escapes_no_dot_is_refused_naming_the_segment(text: str) -> None:
    with pytest.raises(PathError, match=r"must be a name or a \[name\]"):
        parse_path(text)


def test_the_importer_escapes_dotted_property_and_next_link_names() -> None:
    answer = {
        "type": "object",
        "properties": {
            "@odata.nextLink": {"type": "string"},
            "value": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "string"}, "@odata.type": {"type": "string"}},
                },
            },
        },
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Graph-like", "version": "1"},
        "servers": [{"url": "https://graph.example.com/v1.0"}],
        "paths": {
            "/users": {
                "get": {
                    "operationId": "users.list",
                    "x-ms-pageable": {"nextLinkName": "@odata.nextLink", "itemName": "value"},
                    "responses": {
                        "200": {
                            "description": "users",
                            "content": {"application/json": {"schema": answer}},
                        }
                    },
                }
            }
        },
    }
    result = import_openapi(dump(document))
    method = result.definition["Methods"][0]
    assert {"TargetType": "ResponseField", "TargetName": r"@odata\.nextLink"}.items() <= next(
        p for p in method["Parameters"] if p["TargetType"] == "ResponseField"
    ).items()
    fields = {f["ConnectorField"]: f["SystemField"] for f in method["ResponseFields"]}
    assert fields[r"[value].@odata\.type"] == "ValueOdataType"
    assert not any("cannot hold" in w for w in result.warnings)
    parse_definition(result.definition)


@async_test
async def test_graph_style_next_links_page_through_every_item() -> None:
    async def users(request: web.Request) -> web.Response:
        start = int(request.query.get("skip", "0"))
        body: dict[str, Any] = {"value": [{"id": n} for n in range(start, min(start + 2, 5))]}
        if start + 2 < 5:
            body["@odata.nextLink"] = f"{request.url.origin()}/users?skip={start + 2}"
        return web.json_response(body)

    async with serve({"GET /users": users}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/users",
                    "Paging": {"InboundPaging": True},
                    "Parameters": [
                        {
                            "TargetType": "ResponseField",
                            "TargetName": r"@odata\.nextLink",
                            "Value": "CYCLR_PAGE_NEXT_URL",
                            "Hidden": True,
                        }
                    ],
                    "ResponseFields": [{"ConnectorField": "[value].id", "SystemField": "Id"}],
                }
            ],
        )
        async with make_runtime() as runtime:
            ids = [
                record["Id"]
                async for page in runtime.pages(spec, method_of(spec), context(), call_input())
                for record in page.records
            ]
    assert ids == ["0", "1", "2", "3", "4"]
