"""Inbound paging in each style over 10,000 records, and its stopping rules."""

from __future__ import annotations

from typing import Any

import pytest

from junction.connectors.runtime import Runtime
from junction.connectors.runtime.paging import link_target
from junction.connectors.spec.models import ConnectorDefinition
from junction.connectors.spec.validate import DefinitionInvalid
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
from tests.connectors.runtime.paging_api import (
    METHODS,
    PagingApi,
    q,
    response_field,
    response_header,
)


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
        ("link", 100),  # no rel="next" in the last page's Link header
        ("last_item", 100),  # has_more is false on the last page
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


# -- Link header (RFC 8288) ---------------------------------------------------------------


@async_test
async def test_link_header_requests_follow_rel_next_and_add_the_query_api_key() -> None:
    api = PagingApi(total=250)
    async with serve(api.app()) as base:
        spec = definition(
            base,
            [{**METHODS["link"], "Paging": {"InboundPaging": True}}],
            Authentication=[
                {
                    "Id": "key",
                    "AuthType": "ApiKey",
                    "ApiKey": {"Location": "QueryString", "Name": "key"},
                }
            ],
        )
        runtime = make_runtime()
        try:
            connection = context(auth=spec.Authentication[0], api_key="s3cret")
            pages = [
                p async for p in runtime.pages(spec, method_of(spec), connection, call_input())
            ]
        finally:
            await runtime.close()
    assert [len(p.records) for p in pages] == [100, 100, 50]
    # The Link URL is used as given (its per_page is the API's), the key added once.
    assert api.requests == [
        "/link?per_page=100&key=s3cret",
        "/link?per_page=100&key=s3cret&page=2",
        "/link?per_page=100&key=s3cret&page=3",
    ]


@async_test
async def test_relative_link_header_urls_are_followed() -> None:
    api = PagingApi(total=1000)
    async with serve(api.app()) as base:
        spec = paged(base, {**METHODS["link"], "Endpoint": "/link?relative=1"})
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, spec)
        finally:
            await runtime.close()
    assert ids == list(range(1000))
    assert numbers == list(range(1, 11))


@async_test
async def test_no_link_header_means_one_page() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"contacts": [{"id": 1}, {"id": 2}]})

    async with serve({"/link": api}) as base:
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, paged(base, METHODS["link"]))
        finally:
            await runtime.close()
    assert (ids, numbers) == ([1, 2], [1])


@async_test
async def test_a_link_header_to_another_host_is_refused() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        link = '<https://elsewhere.example.com/steal?page=2>; rel="next"'
        return web.json_response({"contacts": [{"id": 1}]}, headers={"Link": link})

    async with serve({"/link": api}) as base:
        runtime = make_runtime()
        try:
            with pytest.raises(
                ConnectorCallError, match=r"elsewhere\.example\.com, not to 127\.0\.0\.1"
            ):
                await collect(runtime, paged(base, METHODS["link"]))
        finally:
            await runtime.close()


@async_test
async def test_a_repeated_link_header_is_a_paging_loop() -> None:
    from aiohttp import web

    requests: list[str] = []

    async def api(request: web.Request) -> web.Response:
        requests.append(request.path_qs)
        # Page 2 links back to page 2.
        link = f'<{request.url.with_query(page="2")}>; rel="next"'
        return web.json_response({"contacts": [{"id": 1}]}, headers={"Link": link})

    async with serve({"/link": api}) as base:
        runtime = make_runtime()
        try:
            with pytest.raises(PagingLoop, match="after page 2: the API sent the same next-page"):
                await collect(runtime, paged(base, METHODS["link"]))
        finally:
            await runtime.close()
    assert requests == ["/link?per_page=100", "/link?page=2"]


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ('<https://a.example/x?page=2>; rel="next"', "https://a.example/x?page=2"),
        ("<https://a.example/x?page=2>; REL=Next", "https://a.example/x?page=2"),
        (
            '<https://a.example/1>; rel="prev", <https://a.example/3>; rel="next"',
            "https://a.example/3",
        ),
        ('<https://a.example/3?f=a,b;c>; rel="next last"', "https://a.example/3?f=a,b;c"),
        ('<https://a.example/1>; title="x, <y>; rel=next"; rel="prev"', None),
        ('<https://a.example/1>; rel="prev"; rel="next"', None),  # a repeated rel is ignored
        ('<https://a.example/1>; rel="nextpage"', None),
        ('</items?page=2> ; rel = "next"', "/items?page=2"),
        ("", None),
        ("<https://a.example/unclosed; rel=next", None),
    ],
)
def test_the_link_header_is_read_as_rfc_8288_says(header: str, target: str | None) -> None:
    assert link_target(header, "next") == target


LINK = response_header("Link", "CYCLR_PAGE_NEXT_URL")


@pytest.mark.parametrize(
    ("parameters", "location", "message"),
    [
        pytest.param(
            [response_header("Link: rel=next", "CYCLR_PAGE_NEXT_URL")],
            "Methods[0].Parameters[1].TargetName",
            "'Link: rel=next' is not a header name",
            id="not-a-header-name",
        ),
        pytest.param(
            [response_header("Link", "CYCLR_PAGE_NUMBER")],
            "Methods[0].Parameters[1].Value",
            "a ResponseHeader parameter needs CYCLR_PAGE_NEXT_URL, CYCLR_PAGE_TOKEN[_X] or",
            id="not-a-value-of-the-answer",
        ),
        pytest.param(
            [q("next", "CYCLR_PAGE_NEXT_URL")],
            "Methods[0].Parameters[1].Value",
            "CYCLR_PAGE_NEXT_URL is read from the answer: only a ResponseField or "
            "ResponseHeader parameter can have it, not a QueryString one",
            id="next-url-sent",
        ),
        pytest.param(
            [LINK, response_field("links.next", "CYCLR_PAGE_NEXT_URL")],
            "Methods[0].Parameters[2].Value",
            "Methods[0].Parameters[1] already says where the answer holds CYCLR_PAGE_NEXT_URL",
            id="two-next-urls",
        ),
    ],
)
def test_a_bad_link_header_definition_names_the_field(
    parameters: list[dict[str, Any]], location: str, message: str
) -> None:
    method = {**METHODS["link"], "Parameters": [q("per_page", "CYCLR_PAGE_SIZE"), *parameters]}
    with pytest.raises(DefinitionInvalid) as caught:
        definition("http://127.0.0.1", [method])
    problems = [(p.location, p.message) for p in caught.value.problems]
    assert len(problems) == 1, problems
    assert problems[0][0] == location
    assert message in problems[0][1]


# -- last-item cursor (Stripe's starting_after with has_more) -------------------------------


@async_test
async def test_the_last_items_id_is_sent_as_the_cursor() -> None:
    api = PagingApi(total=250)
    ids, numbers = await run(api, "last_item")
    assert ids == list(range(250))
    assert numbers == [1, 2, 3]
    assert api.requests == [
        "/last?limit=100",
        "/last?starting_after=99&limit=100",
        "/last?starting_after=199&limit=100",
    ]


@async_test
async def test_has_more_false_ends_paging_even_after_a_full_page() -> None:
    api = PagingApi(total=200)
    ids, numbers = await run(api, "last_item")
    assert ids == list(range(200))
    assert numbers == [1, 2]  # no third request for an empty page


@pytest.mark.parametrize(
    ("paging", "requests"),
    [
        ({}, 4),  # only the empty fourth page ends it
        ({"StopOnShortPage": True}, 3),  # the short third page ends it
    ],
)
@async_test
async def test_without_has_more_an_empty_or_short_page_ends_paging(
    paging: dict[str, Any], requests: int
) -> None:
    api = PagingApi(total=250)
    method = METHODS["last_item"]
    without = {**method, "Parameters": method["Parameters"][:3]}
    async with serve(api.app()) as base:
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, paged(base, without, **paging))
        finally:
            await runtime.close()
    assert ids == list(range(250))
    assert numbers == list(range(1, requests + 1))
    assert len(api.requests) == requests


@async_test
async def test_a_missing_has_more_ends_paging() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        return web.json_response({"contacts": [{"id": i} for i in range(100)]})

    async with serve({"/last": api}) as base:
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, paged(base, METHODS["last_item"]))
        finally:
            await runtime.close()
    assert (len(ids), numbers) == (100, [1])


@async_test
async def test_has_more_in_a_header_with_a_last_item_cursor() -> None:
    from aiohttp import web

    async def api(request: web.Request) -> web.Response:
        start = int(request.query.get("since", "-1")) + 1
        items = [{"id": i} for i in range(start, min(start + 10, 25))]
        more = "True" if start + 10 < 25 else "false"
        return web.json_response(items, headers={"X-Has-More": more})

    method = {
        "Endpoint": "/users",
        "Parameters": [
            q("since", "CYCLR_PAGE_TOKEN"),
            response_field("[].id", "CYCLR_PAGE_TOKEN"),
            response_header("x-has-more", "CYCLR_PAGE_HAS_MORE"),
        ],
        "ResponseFields": [{"ConnectorField": "[].id", "SystemField": "Id", "DataType": "Integer"}],
    }
    async with serve({"/users": api}) as base:
        runtime = make_runtime()
        try:
            ids, numbers = await collect(runtime, paged(base, method))
        finally:
            await runtime.close()
    assert ids == list(range(25))
    assert numbers == [1, 2, 3]


@async_test
async def test_an_api_that_ignores_the_last_item_cursor_is_a_paging_loop() -> None:
    api = PagingApi(total=1000, ignore_cursor=True)
    with pytest.raises(PagingLoop, match="after page 2: the API sent the same page token again"):
        await run(api, "last_item")
    assert api.requests == ["/last?limit=100", "/last?starting_after=99&limit=100"]


@pytest.mark.parametrize(
    ("parameter", "location", "message"),
    [
        pytest.param(
            q("has_more", "CYCLR_PAGE_HAS_MORE"),
            "Methods[0].Parameters[4].Value",
            "CYCLR_PAGE_HAS_MORE is read from the answer: only a ResponseField or "
            "ResponseHeader parameter can have it, not a QueryString one",
            id="has-more-sent",
        ),
        pytest.param(
            response_field("meta.has_more", "CYCLR_PAGE_HAS_MORE"),
            "Methods[0].Parameters[4].Value",
            "Methods[0].Parameters[3] already says where the answer holds CYCLR_PAGE_HAS_MORE",
            id="two-has-more",
        ),
        pytest.param(
            response_field("[contacts].more", "CYCLR_PAGE_HAS_MORE_X"),
            "Methods[0].Parameters[4].Value",
            "'CYCLR_PAGE_HAS_MORE_X' is not a known CYCLR_ variable",
            id="unknown-variable",
        ),
    ],
)
def test_a_bad_last_item_definition_names_the_field(
    parameter: dict[str, Any], location: str, message: str
) -> None:
    method = METHODS["last_item"]
    with pytest.raises(DefinitionInvalid) as caught:
        definition(
            "http://127.0.0.1", [{**method, "Parameters": [*method["Parameters"], parameter]}]
        )
    problems = [(p.location, p.message) for p in caught.value.problems]
    assert problems[0][0] == location, problems
    assert message in problems[0][1]


def test_has_more_is_read_outside_any_list() -> None:
    method = METHODS["last_item"]
    parameters = [
        *method["Parameters"][:3],
        response_field("[contacts].more", "CYCLR_PAGE_HAS_MORE"),
    ]
    with pytest.raises(DefinitionInvalid) as caught:
        definition("http://127.0.0.1", [{**method, "Parameters": parameters}])
    assert [(p.location, p.message) for p in caught.value.problems] == [
        (
            "Methods[0].Parameters[3].TargetName",
            "'[contacts].more' goes through a list; CYCLR_PAGE_HAS_MORE is read from one field "
            "of the answer, outside any list",
        )
    ]
