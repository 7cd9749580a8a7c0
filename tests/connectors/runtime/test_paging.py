"""Inbound paging in each style over 10,000 records, and its stopping rules."""

from __future__ import annotations

from typing import Any

import pytest

from junction.connectors.runtime import Runtime
from junction.connectors.spec.models import ConnectorDefinition
from junction.errors import ConnectorCallError, PagingLoop
from tests.connectors.runtime.helpers import (
    async_test,
    call_input,
    context,
    definition,
    make_runtime,
    method_of,
    serve,
)
from tests.connectors.runtime.paging_api import METHODS, PagingApi, q, response_field


def paged(base: str, method: dict[str, Any], **paging: Any) -> ConnectorDefinition:
    return definition(
        base,
        [{**method, "Paging": {"InboundPaging": True, **paging}}],
    )


async def collect(runtime: Runtime, spec: ConnectorDefinition) -> tuple[list[int], list[int]]:
    """(every record's Id, the page numbers) of a paged call."""
    ids: list[int] = []
    numbers: list[int] = []
    async for page in runtime.pages(spec, method_of(spec), context(), call_input()):
        numbers.append(page.number)
        ids.extend(record["Id"] for record in page.records)
        assert page.exchange.status == 200
    return ids, numbers


async def run(api: PagingApi, style: str, **paging: Any) -> tuple[list[int], list[int]]:
    async with serve(api.app()) as base:
        runtime = make_runtime()
        try:
            return await collect(runtime, paged(base, METHODS[style], **paging))
        finally:
            await runtime.close()


@pytest.mark.parametrize(
    ("style", "requests"),
    [
        ("number", 101),  # the 100th page is full, so the 101st (empty) ends it
        ("offset", 101),
        ("token", 100),  # no cursor on the last page
        ("next", 100),  # no next URL on the last page
    ],
)
@async_test
async def test_each_style_pages_through_10000_records(style: str, requests: int) -> None:
    api = PagingApi(total=10_000)
    ids, numbers = await run(api, style)
    assert len(ids) == 10_000
    assert ids == list(range(10_000))  # all of them, in order, none twice
    assert numbers == list(range(1, requests + 1))
    assert len(api.requests) == requests


@async_test
async def test_the_page_number_in_the_path_through_a_mergefield() -> None:
    api = PagingApi(total=1_050)
    method = {
        "Endpoint": "/pages/{{Page}}",
        "Parameters": [
            {"TargetType": "MergeField", "TargetName": "Page", "Value": "CYCLR_PAGE_NUMBER"},
            q("per_page", "CYCLR_PAGE_SIZE"),
        ],
        "ResponseFields": METHODS["number"]["ResponseFields"],
    }
    async with serve(api.app()) as base:
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, paged(base, method))
        finally:
            await runtime.close()
    assert ids == list(range(1_050))
    assert numbers == list(range(1, 12))  # the 11th page is short, so it is the last
    assert api.requests[1] == "/pages/2?per_page=100"


@async_test
async def test_page_number_and_offset_variables() -> None:
    api = PagingApi(total=250)
    await run(api, "number", InboundPageSize=100)
    assert api.requests == [
        "/number?page=1&per_page=100",
        "/number?page=2&per_page=100",
        "/number?page=3&per_page=100",
    ]
    api = PagingApi(total=250)
    await run(api, "offset", InboundPageSize=100)
    assert api.requests == [
        "/offset?offset=0&limit=100",
        "/offset?offset=100&limit=100",
        "/offset?offset=200&limit=100",
    ]


@async_test
async def test_a_short_page_is_the_last() -> None:
    api = PagingApi(total=250)
    ids, numbers = await run(api, "number")
    assert len(ids) == 250
    assert numbers == [1, 2, 3]


@async_test
async def test_without_stop_on_short_page_an_empty_page_ends_it() -> None:
    api = PagingApi(total=250)
    ids, numbers = await run(api, "number", StopOnShortPage=False)
    assert len(ids) == 250
    assert numbers == [1, 2, 3, 4]


@async_test
async def test_max_pages_stops_the_iteration() -> None:
    api = PagingApi(total=10_000)
    ids, numbers = await run(api, "token", MaxPages=5)
    assert numbers == [1, 2, 3, 4, 5]
    assert len(ids) == 500
    assert len(api.requests) == 5


@async_test
async def test_page_size_comes_from_the_method_then_the_connector() -> None:
    api = PagingApi(total=1000)
    async with serve(api.app()) as base:
        spec = definition(
            base,
            [{**METHODS["number"], "Paging": {"InboundPageSize": 250}}],
            Paging={"InboundPaging": True, "InboundPageSize": 50},
        )
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, spec)
        finally:
            await runtime.close()
    assert numbers == [1, 2, 3, 4, 5]
    assert len(ids) == 1000
    assert api.requests[0] == "/number?page=1&per_page=250"


@async_test
async def test_a_repeated_token_is_a_paging_loop() -> None:
    api = PagingApi(total=10_000, repeat_token=True)
    with pytest.raises(PagingLoop, match="same page token again"):
        await run(api, "token")
    assert len(api.requests) == 2


@async_test
async def test_a_repeated_next_url_is_a_paging_loop() -> None:
    api = PagingApi(total=10_000)
    async with serve(api.app()) as base:
        # Read as the next URL, the API's "self" link points at the page just fetched.
        spec = paged(
            base,
            {
                **METHODS["next"],
                "Endpoint": "/next?start=0",
                "Parameters": [response_field("links.self", "CYCLR_PAGE_NEXT_URL")],
            },
        )
        runtime = make_runtime()
        try:
            with pytest.raises(PagingLoop, match="same next-page URL again"):
                async for _ in runtime.pages(spec, method_of(spec), context(), call_input()):
                    pass
        finally:
            await runtime.close()
    assert len(api.requests) == 1


@async_test
async def test_relative_next_urls_are_followed() -> None:
    api = PagingApi(total=1000)
    async with serve(api.app()) as base:
        spec = paged(base, {**METHODS["next"], "Endpoint": "/next?relative=1"})
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, spec)
        finally:
            await runtime.close()
    assert ids == list(range(1000))
    assert numbers == list(range(1, 11))


@async_test
async def test_a_next_url_on_another_host_is_refused() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        return web.json_response(
            {"contacts": [{"id": 1}], "links": {"next": "https://elsewhere.example.com/steal"}}
        )

    async with serve({"/next": api}) as base:
        spec = paged(base, METHODS["next"])
        runtime = make_runtime()
        try:
            with pytest.raises(
                ConnectorCallError, match=r"elsewhere\.example\.com, not to 127\.0\.0\.1"
            ):
                await collect(runtime, spec)
        finally:
            await runtime.close()


@async_test
async def test_a_page_token_in_a_header() -> None:
    api = PagingApi(total=1000)
    async with serve(api.app()) as base:
        spec = paged(
            base,
            {
                **METHODS["token"],
                "Parameters": [
                    response_field("meta.cursors.after", "CYCLR_PAGE_TOKEN_AFTER"),
                    {
                        "TargetType": "HttpHeader",
                        "TargetName": "X-Cursor",
                        "Value": "CYCLR_PAGE_TOKEN_AFTER",
                    },
                    q("limit", "CYCLR_PAGE_SIZE"),
                ],
            },
            InboundPageSize=300,
        )
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, spec)
        finally:
            await runtime.close()
    assert ids == list(range(1000))
    assert numbers == [1, 2, 3, 4]


@async_test
async def test_items_path_decides_empty_and_short_pages() -> None:
    api = PagingApi(total=150)
    async with serve(api.app()) as base:
        spec = paged(
            base,
            {**METHODS["offset"], "ResponseFields": []},  # no fields: only ItemsPath counts
            ItemsPath="data.[rows]",
        )
        runtime = make_runtime()
        try:
            pages = [p async for p in runtime.pages(spec, method_of(spec), context(), call_input())]
        finally:
            await runtime.close()
    assert [len(p.body["data"]["rows"]) for p in pages] == [100, 50]
    assert all(p.records == [] for p in pages)


@async_test
async def test_paging_off_means_one_page_and_call_gets_the_first_page() -> None:
    api = PagingApi(total=1000)
    async with serve(api.app()) as base:
        spec = definition(base, [METHODS["number"]])  # InboundPaging not set
        runtime = make_runtime()
        try:
            pages = [p async for p in runtime.pages(spec, method_of(spec), context(), call_input())]
            result = await runtime.call(spec, method_of(spec), context(), call_input())
        finally:
            await runtime.close()
    assert len(pages) == 1
    assert len(pages[0].records) == 100
    assert len(result.records) == 100
    assert result.records[0] == {"Id": 0, "Email": "p0@example.com"}
    assert api.requests == ["/number?page=1&per_page=100"] * 2


@async_test
async def test_an_empty_first_page_yields_one_empty_page() -> None:
    api = PagingApi(total=0)
    ids, numbers = await run(api, "token")
    assert ids == []
    assert numbers == [1]


@async_test
async def test_with_nothing_to_count_an_empty_answer_ends_paging() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        page = int(request.query["page"])
        return web.json_response([page] * 3 if page <= 3 else [])

    async with serve({"/plain": api}) as base:
        spec = paged(base, {"Endpoint": "/plain", "Parameters": [q("page", "CYCLR_PAGE_NUMBER")]})
        runtime = make_runtime()
        try:
            pages = [p async for p in runtime.pages(spec, method_of(spec), context(), call_input())]
        finally:
            await runtime.close()
    assert [p.body for p in pages] == [[1, 1, 1], [2, 2, 2], [3, 3, 3], []]


@async_test
async def test_an_invalid_next_url_is_a_clear_error() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"contacts": [{"id": 1}], "links": {"next": "http://[broken"}})

    async with serve({"/next": api}) as base:
        spec = paged(base, METHODS["next"])
        runtime = make_runtime()
        try:
            with pytest.raises(ConnectorCallError, match=r"next-page URL 'http://\[broken' is not"):
                await collect(runtime, spec)
        finally:
            await runtime.close()
