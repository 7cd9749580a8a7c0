"""Exchanges keep no secret: not in headers, URLs, bodies, or error messages."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import pytest
from aiohttp import web

from junction.connectors.runtime.redact import REDACTED, Redactor
from junction.connectors.spec.models import AuthenticationSpec
from junction.errors import UpstreamHttpError
from tests.connectors.runtime.helpers import (
    TokenSource,
    async_test,
    call_input,
    context,
    definition,
    make_runtime,
    method_of,
    serve,
)

API_KEY = "key-ABCDEF123/+="
CLIENT_SECRET = "cs-SECRET-999 &x"
SIGNATURE = "sig-SECRET-77"
PASSWORD = 'pw-Hunter2!"é'
EXTRA = "extra-SECRET-5"


async def echo_everything(request: web.Request) -> web.Response:
    body = await request.text()
    response = web.json_response(
        {
            "url": str(request.url),
            "headers": dict(request.headers),
            "query": dict(request.query),
            "body": body,
            "note": f"your key is {request.headers.get('X-Api-Key')}",
        },
        status=400 if request.query.get("fail") else 200,
    )
    response.headers["X-Echo-Key"] = request.headers.get("X-Api-Key", "")
    response.set_cookie("session", "cookie-SECRET-1")
    return response


def assert_clean(text: str, *secrets: str) -> None:
    for secret in secrets:
        for form in {secret, json.dumps(secret)[1:-1]}:
            assert form not in text, f"{secret!r} leaked"


def spec_for(base: str) -> Any:
    return definition(
        base,
        [
            {
                "Endpoint": "/echo",
                "HttpMethod": "POST",
                "Parameters": [
                    {"TargetType": "HttpHeader", "TargetName": "X-Signing", "Sensitive": True},
                    {"TargetType": "QueryString", "TargetName": "fail", "Optional": True},
                ],
                "RequestFields": [
                    {"ConnectorField": "user", "SystemField": "User"},
                    {"ConnectorField": "password", "SystemField": "Password", "Sensitive": True},
                    {"ConnectorField": "note", "SystemField": "Note"},
                ],
            }
        ],
        Authentication=[{"Id": "k", "AuthType": "ApiKey"}],
        Parameters=[
            {
                "TargetType": "QueryString",
                "TargetName": "client_secret",
                "Sensitive": True,
                "PartnerConnectorProperty": True,
            }
        ],
    )


def connection() -> Any:
    return context(
        auth=AuthenticationSpec.model_validate({"Id": "k", "AuthType": "ApiKey"}),
        api_key=API_KEY,
        properties={"client_secret": CLIENT_SECRET},
        sensitive=frozenset({EXTRA}),
    )


VALUES = {"User": "ann", "Password": PASSWORD, "Note": f"remember {EXTRA}"}


@async_test
async def test_no_secret_appears_anywhere_in_the_exchange() -> None:
    async with serve({"/echo": echo_everything}) as base:
        spec = spec_for(base)
        runtime = make_runtime()
        try:
            result = await runtime.call(
                spec, method_of(spec), connection(), call_input({"X-Signing": SIGNATURE}, VALUES)
            )
        finally:
            await runtime.close()
    # The API did get every secret...
    assert result.body["headers"]["X-Api-Key"] == API_KEY
    assert result.body["query"]["client_secret"] == CLIENT_SECRET
    assert PASSWORD in json.loads(result.body["body"])["password"]
    # ...and the exchange shows none of them.
    exchange = result.exchanges[0]
    assert_clean(
        repr(asdict(exchange)),
        API_KEY,
        CLIENT_SECRET,
        SIGNATURE,
        PASSWORD,
        EXTRA,
        "cookie-SECRET-1",
    )
    assert exchange.request_headers["X-Api-Key"] == REDACTED
    assert exchange.request_headers["X-Signing"] == REDACTED
    assert f"client_secret={REDACTED}" in exchange.url
    assert json.loads(exchange.request_body or "") == {
        "user": "ann",
        "password": REDACTED,
        "note": f"remember {REDACTED}",
    }
    assert exchange.response_headers["Set-Cookie"] == REDACTED
    assert exchange.response_headers["X-Echo-Key"] == REDACTED
    assert "your key is [redacted]" in (exchange.response_body or "")


@async_test
async def test_no_secret_appears_in_an_upstream_error() -> None:
    async with serve({"/echo": echo_everything}) as base:
        spec = spec_for(base)
        runtime = make_runtime()
        try:
            with pytest.raises(UpstreamHttpError) as raised:
                await runtime.call(
                    spec,
                    method_of(spec),
                    connection(),
                    call_input({"X-Signing": SIGNATURE, "fail": "1"}, VALUES),
                )
        finally:
            await runtime.close()
    error = raised.value
    assert error.upstream_status == 400
    everything = error.message + error.body_text + repr([asdict(e) for e in error.exchanges])
    assert_clean(everything, API_KEY, CLIENT_SECRET, SIGNATURE, PASSWORD, EXTRA)
    assert "your key is [redacted]" in error.body_text


@async_test
async def test_basic_oauth_and_query_keys_are_redacted() -> None:
    async def echo(request: web.Request) -> web.Response:
        return web.json_response(
            {"auth": request.headers.get("Authorization"), "q": dict(request.query)}
        )

    async with serve({"/e": echo}) as base:
        spec = definition(base, [{"Endpoint": "/e"}])
        runtime = make_runtime()
        basic = AuthenticationSpec.model_validate({"Id": "b", "AuthType": "Basic"})
        oauth = AuthenticationSpec.model_validate(
            {
                "Id": "o",
                "AuthType": "OAuth2",
                "OAuth2": {
                    "OAuth2Type": "ClientCredentials",
                    "TokenUrl": "https://x.example/t",
                    "ClientId": "c",
                },
            }
        )
        query_key = AuthenticationSpec.model_validate(
            {"Id": "q", "AuthType": "ApiKey", "ApiKey": {"Location": "QueryString", "Name": "key"}}
        )
        tokens = TokenSource()
        try:
            results = [
                await runtime.call(spec, method_of(spec), ctx, call_input())
                for ctx in (
                    context(auth=basic, username="ann", password="basic-PASS-1"),
                    context(auth=oauth, access_token=tokens),
                    context(auth=query_key, api_key="query-KEY-1"),
                )
            ]
        finally:
            await runtime.close()
    text = repr([asdict(e) for r in results for e in r.exchanges])
    assert_clean(text, "basic-PASS-1", "token-1", "query-KEY-1", "YW5uOmJhc2ljLVBBU1MtMQ==")
    assert results[0].exchanges[0].request_headers["Authorization"] == REDACTED
    assert results[2].exchanges[0].url.endswith(f"?key={REDACTED}")


def test_bodies_are_truncated_with_a_marker_after_redaction() -> None:
    redactor = Redactor(secrets=["SECRET-VALUE"], body_limit=100)
    text = "a" * 95 + "SECRET-VALUE" + "b" * 1000
    shown = redactor.body(text)
    assert shown is not None
    assert "SECRET" not in shown
    assert shown.startswith("a" * 95 + "[red")
    assert shown.endswith("... [truncated; 1,107 in all]")
    assert redactor.body("short") == "short"
    large = redactor.body_bytes(b"x" * 10_000)
    assert large is not None
    assert len(large) < 200
    assert "10,000 in all" in large


def test_short_secrets_are_replaced_only_as_whole_values() -> None:
    redactor = Redactor(secrets=["abc"])
    assert redactor.text('{"password":"abc","word":"abcdef"}') == (
        '{"password":"[redacted]","word":"abcdef"}'
    )


def test_headers_by_name_and_query_values() -> None:
    redactor = Redactor(sensitive_headers=["X-Token"], sensitive_query=["sig"])
    assert redactor.headers(
        {"Authorization": "Bearer x", "Cookie": "a=b", "x-token": "t", "Accept": "*/*"}
    ) == {"Authorization": REDACTED, "Cookie": REDACTED, "x-token": REDACTED, "Accept": "*/*"}
    assert redactor.url("https://h.example/p?a=1&sig=abc%20d&b=2#f") == (
        f"https://h.example/p?a=1&sig={REDACTED}&b=2#f"
    )
