"""The pooled HTTP client: one session, redirects, body parsing, and its misuse errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web
from yarl import URL

from junction.connectors.runtime.http import HttpClient
from junction.connectors.runtime.request import BuiltRequest
from junction.connectors.spec.models import AuthenticationSpec
from junction.errors import ConnectorCallError, UpstreamHttpError
from junction.security.address_guard import AddressGuard
from tests.connectors.runtime.helpers import (
    FakeTime,
    async_test,
    call_input,
    context,
    definition,
    echo,
    make_runtime,
    method_of,
    serve,
)


@async_test
async def test_calls_share_one_pooled_connection() -> None:
    peers: list[Any] = []

    async def api(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        return web.json_response({})

    async with serve({"/x": api}) as base:
        spec = definition(base, [{"Endpoint": "/x"}])
        runtime = make_runtime()
        try:
            for _ in range(5):
                await runtime.call(spec, method_of(spec), context(), call_input())
        finally:
            await runtime.close()
    assert len(peers) == 5
    assert len(set(peers)) == 1  # keep-alive: the same client socket every time


def _request(url: str, **extra: Any) -> BuiltRequest:
    return BuiltRequest(
        method=extra.pop("method", "GET"),
        url=URL(url),
        headers=extra.pop("headers", {}),
        body=extra.pop("body", None),
        body_log=None,
        timeout=5,
        **extra,
    )


@async_test
async def test_a_closed_client_and_another_loop_are_refused() -> None:
    client = HttpClient(AddressGuard(allow_loopback=True))
    async with serve({"/x": echo}) as base:
        await client.send(_request(base + "/x"))
    await client.close()
    with pytest.raises(RuntimeError, match="closed"):
        await client.send(_request("http://127.0.0.1:1/x"))

    used = HttpClient(AddressGuard(allow_loopback=True))

    async def first_use() -> None:
        with pytest.raises(Exception):  # noqa: PT011 - nothing listens; only the session matters
            await used.send(_request("http://127.0.0.1:1/x"))

    await asyncio.to_thread(asyncio.run, first_use())
    with pytest.raises(RuntimeError, match="another event loop"):
        await used.send(_request("http://127.0.0.1:1/x"))


@async_test
async def test_redirects_keep_credentials_only_on_the_same_origin() -> None:
    async with serve({"/echo": echo}) as other:

        async def same(request: web.Request) -> web.Response:
            raise web.HTTPFound("/echo")

        async def away(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(other + "/echo")

        async def see_other(request: web.Request) -> web.Response:
            raise web.HTTPSeeOther("/echo")

        async with serve({"/same": same, "/away": away, "/see": see_other, "/echo": echo}) as base:
            client = HttpClient(AddressGuard(allow_loopback=True))
            headers = {"Authorization": "Bearer t", "X-Api-Key": "k", "X-Other": "1"}
            try:
                kept = await client.send(_request(base + "/same", headers=headers))
                moved = await client.send(
                    _request(
                        base + "/away",
                        method="PUT",
                        headers={**headers, "Content-Type": "application/json"},
                        body=b"{}",
                        sensitive_headers=frozenset({"x-api-key"}),
                    )
                )
                seen = await client.send(
                    _request(
                        base + "/see",
                        method="POST",
                        headers={"Content-Type": "application/json"},
                        body=b"{}",
                    )
                )
            finally:
                await client.close()
    kept_echo = json.loads(kept.body)
    assert kept_echo["headers"]["Authorization"] == "Bearer t"
    moved_echo = json.loads(moved.body)
    assert moved_echo["method"] == "PUT"  # 307 keeps the method and body
    assert moved_echo["body"] == "{}"
    assert "Authorization" not in moved_echo["headers"]
    assert "X-Api-Key" not in moved_echo["headers"]
    assert moved_echo["headers"]["X-Other"] == "1"
    seen_echo = json.loads(seen.body)
    assert seen_echo["method"] == "GET"  # 303: the answer is fetched with GET, no body
    assert seen_echo["body"] is None


@async_test
async def test_too_many_redirects() -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async with serve({"/loop": loop}) as base:
        client = HttpClient(AddressGuard(allow_loopback=True), max_redirects=3)
        try:
            with pytest.raises(ConnectorCallError, match="redirected more than 3 times"):
                await client.send(_request(base + "/loop"))
        finally:
            await client.close()


@async_test
async def test_bodies_are_parsed_by_content_type() -> None:
    async def labelled_json(request: web.Request) -> web.Response:
        return web.Response(text='{"a": 1}', content_type="application/vnd.api+json")

    async def broken_json(request: web.Request) -> web.Response:
        return web.Response(text="{not json", content_type="application/json")

    async def unlabelled(request: web.Request) -> web.Response:
        return web.Response(body=b'[{"a": 2}]')

    async def latin1(request: web.Request) -> web.Response:
        return web.Response(
            body="caf\xe9".encode("latin-1"), content_type="text/plain", charset="latin-1"
        )

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204)

    routes = {"/a": labelled_json, "/b": broken_json, "/c": unlabelled, "/d": latin1, "/e": empty}
    async with serve(routes) as base:
        spec = definition(
            base,
            [
                {"MethodUniqueIdentifier": name, "Endpoint": f"/{name}"}
                for name in ("a", "b", "c", "d", "e")
            ],
        )
        # A tiny threshold sends every JSON body through the worker-thread parser too.
        runtime = make_runtime(json_thread_bytes=4)
        try:
            bodies = [
                (await runtime.call(spec, method_of(spec, name), context(), call_input())).body
                for name in ("a", "b", "c", "d", "e")
            ]
        finally:
            await runtime.close()
    assert bodies == [{"a": 1}, "{not json", [{"a": 2}], "café", None]


@async_test
async def test_post_is_not_retried_after_a_gateway_timeout() -> None:
    count = 0

    async def gateway(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        return web.Response(status=504 if request.method == "POST" or count < 3 else 200)

    async with serve({"/x": gateway}) as base:
        spec = definition(
            base,
            [
                {"MethodUniqueIdentifier": "post", "Endpoint": "/x", "HttpMethod": "POST"},
                {"MethodUniqueIdentifier": "put", "Endpoint": "/x", "HttpMethod": "PUT"},
            ],
        )
        fake = FakeTime()
        runtime = make_runtime(fake)
        try:
            with pytest.raises(UpstreamHttpError, match="HTTP 504"):
                await runtime.call(spec, method_of(spec, "post"), context(), call_input())
            assert count == 1  # a POST may have been acted on: not repeated
            result = await runtime.call(spec, method_of(spec, "put"), context(), call_input())
        finally:
            await runtime.close()
    assert result.status == 200
    assert len(fake.waits) == 1


@async_test
async def test_auth_header_beats_a_same_named_parameter() -> None:
    async with serve({"/x": echo}) as base:
        spec = definition(
            base,
            [
                {
                    "Endpoint": "/x",
                    "Parameters": [
                        {"TargetType": "HttpHeader", "TargetName": "Authorization", "Value": "nope"}
                    ],
                }
            ],
            Authentication=[{"Id": "b", "AuthType": "Basic"}],
        )
        runtime = make_runtime()
        basic = AuthenticationSpec.model_validate({"Id": "b", "AuthType": "Basic"})
        try:
            result = await runtime.call(
                spec, method_of(spec), context(auth=basic, username="u", password="p"), call_input()
            )
        finally:
            await runtime.close()
    assert result.body["headers"]["Authorization"].startswith("Basic ")
