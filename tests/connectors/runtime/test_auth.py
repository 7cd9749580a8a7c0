"""Each authentication type against a real server, and OAuth 2.0's refresh after a 401."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from aiohttp import web

from junction.connectors.spec.models import AuthenticationSpec
from junction.errors import CallInputError, UpstreamHttpError
from tests.connectors.runtime.helpers import (
    TokenSource,
    async_test,
    call_input,
    context,
    definition,
    echo,
    make_runtime,
    method_of,
    serve,
)


def auth(document: dict[str, Any]) -> AuthenticationSpec:
    return AuthenticationSpec.model_validate({"Id": "a", **document})


async def call_echo(endpoint: str, spec_auth: AuthenticationSpec | None, **credentials: Any) -> Any:
    async with serve({"/{tail:.*}": echo}) as base:
        spec = definition(
            base,
            [{"Endpoint": endpoint}],
            Authentication=[spec_auth.model_dump(by_alias=True)] if spec_auth else [],
        )
        runtime = make_runtime()
        try:
            result = await runtime.call(
                spec, method_of(spec), context(auth=spec_auth, **credentials), call_input()
            )
        finally:
            await runtime.close()
        return result.body


@async_test
async def test_no_authentication_sends_no_credentials() -> None:
    body = await call_echo("/x", None)
    assert "Authorization" not in body["headers"]


@async_test
async def test_api_key_in_a_header_with_prefix() -> None:
    spec = auth({"AuthType": "ApiKey", "ApiKey": {"Name": "Authorization", "Prefix": "Token "}})
    body = await call_echo("/x", spec, api_key="k-123")
    assert body["headers"]["Authorization"] == "Token k-123"


@async_test
async def test_api_key_default_header() -> None:
    body = await call_echo("/x", auth({"AuthType": "ApiKey"}), api_key="k-123")
    assert body["headers"]["X-Api-Key"] == "k-123"


@async_test
async def test_api_key_in_the_query_string() -> None:
    spec = auth({"AuthType": "ApiKey", "ApiKey": {"Location": "QueryString", "Name": "api_key"}})
    body = await call_echo("/x?a=1", spec, api_key="k&1")
    assert body["query"] == [["a", "1"], ["api_key", "k&1"]]


@async_test
async def test_api_key_as_a_mergefield() -> None:
    spec = auth({"AuthType": "ApiKey", "ApiKey": {"Location": "MergeField", "Name": "Key"}})
    body = await call_echo("/keys/{{Key}}/items", spec, api_key="k/1")
    assert body["raw_path"] == "/keys/k%2F1/items"


@async_test
async def test_basic_authentication() -> None:
    body = await call_echo("/x", auth({"AuthType": "Basic"}), username="ann", password="p:ss wörd")
    expected = base64.b64encode("ann:p:ss wörd".encode()).decode()
    assert body["headers"]["Authorization"] == f"Basic {expected}"


@async_test
async def test_auth_fields_are_mergefields_only() -> None:
    spec = auth(
        {
            "AuthType": "AuthFields",
            "AuthFields": [
                {"Name": "Tenant", "Key": "Tenant"},
                {"Name": "Secret", "Key": "Secret", "Type": "Password"},
            ],
        }
    )
    async with serve({"/{tail:.*}": echo}) as base:
        connector = definition(
            base,
            [
                {
                    "Endpoint": "/t/{{Tenant}}",
                    "HttpMethod": "POST",
                    "Parameters": [
                        {
                            "TargetType": "HttpHeader",
                            "TargetName": "X-Secret",
                            "Value": "{{Secret}}",
                        }
                    ],
                    "RequestFields": [{"ConnectorField": "name", "SystemField": "Name"}],
                }
            ],
            Authentication=[spec.model_dump(by_alias=True)],
        )
        runtime = make_runtime()
        try:
            result = await runtime.call(
                connector,
                method_of(connector),
                context(auth=spec, auth_fields={"Tenant": "acme", "Secret": "s3cr3t-value"}),
                call_input(fields={"Name": "x"}),
            )
        finally:
            await runtime.close()
    assert result.body["path"] == "/t/acme"
    assert result.body["headers"]["X-Secret"] == "s3cr3t-value"
    assert result.body["body"] == '{"name":"x"}'  # nothing added to the body
    assert "Authorization" not in result.body["headers"]


@async_test
async def test_oauth2_bearer_token() -> None:
    tokens = TokenSource()
    spec = auth(
        {
            "AuthType": "OAuth2",
            "OAuth2": {
                "OAuth2Type": "ClientCredentials",
                "TokenUrl": "https://id.example.com/token",
                "ClientId": "c",
            },
        }
    )
    body = await call_echo("/x", spec, access_token=tokens)
    assert body["headers"]["Authorization"] == "Bearer token-1"
    assert tokens.calls == [False]


OAUTH = {
    "AuthType": "OAuth2",
    "OAuth2": {
        "OAuth2Type": "ClientCredentials",
        "TokenUrl": "https://id.example.com/t",
        "ClientId": "c",
    },
}


async def oauth_call(accepted: set[str]) -> tuple[TokenSource, list[str], Any]:
    seen: list[str] = []

    async def api(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "")
        seen.append(token)
        if token.removeprefix("Bearer ") in accepted:
            return web.json_response({"ok": True})
        return web.json_response({"error": "invalid_token"}, status=401)

    tokens = TokenSource()
    spec = auth(OAUTH)
    async with serve({"/me": api}) as base:
        connector = definition(base, [{"Endpoint": "/me"}], Authentication=[OAUTH | {"Id": "a"}])
        runtime = make_runtime()
        try:
            outcome: Any = await runtime.call(
                connector,
                method_of(connector),
                context(auth=spec, access_token=tokens),
                call_input(),
            )
        except UpstreamHttpError as exc:
            outcome = exc
        finally:
            await runtime.close()
    return tokens, seen, outcome


@async_test
async def test_oauth2_401_refreshes_once_and_retries() -> None:
    tokens, seen, result = await oauth_call({"token-2"})
    assert tokens.calls == [False, True]
    assert seen == ["Bearer token-1", "Bearer token-2"]
    assert result.body == {"ok": True}
    assert [e.status for e in result.exchanges] == [401, 200]


@async_test
async def test_oauth2_second_401_is_final() -> None:
    tokens, seen, error = await oauth_call(set())
    assert tokens.calls == [False, True]  # one forced refresh, never more
    assert len(seen) == 2
    assert isinstance(error, UpstreamHttpError)
    assert error.upstream_status == 401
    assert "HTTP 401" in error.message
    assert "invalid_token" in error.body_text


@async_test
async def test_missing_credentials_are_clear_errors() -> None:
    with pytest.raises(CallInputError, match="no API key"):
        await call_echo("/x", auth({"AuthType": "ApiKey"}))
    with pytest.raises(CallInputError, match="no username for Basic"):
        await call_echo("/x", auth({"AuthType": "Basic"}))
    with pytest.raises(CallInputError, match=r"no OAuth 2\.0 token"):
        await call_echo("/x", auth(OAUTH))
