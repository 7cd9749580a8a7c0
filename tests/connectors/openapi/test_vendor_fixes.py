"""What measuring real vendor descriptions against Prism (test_prism_measurement) showed the
importer lacked: per-path servers that repeat the document's own (Twilio), answers declared
only in a vendor JSON type (Klaviyo's JSON:API), and a ``token`` parameter beside an OAuth
2.0 scheme (Slack). Each with the edges that must stay as they were."""

from __future__ import annotations

import json
from typing import Any

import pytest

from junction.connectors.openapi import import_openapi
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import dump
from tests.connectors.runtime.helpers import (
    TokenSource,
    async_test,
    call_input,
    context,
    echo,
    make_runtime,
    method_of,
    serve,
)

SERVER = "https://api.example.com/v1"
OK = {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}}


def _document(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Vendor", "version": "1"},
        "servers": [{"url": SERVER}],
        "paths": paths,
        **extra,
    }


def _imported(document: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    result = import_openapi(dump(document))
    parse_definition(result.definition)
    return result.definition, result.warnings


def _methods(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["MethodUniqueIdentifier"]: m for m in definition["Methods"]}


# -- servers ------------------------------------------------------------------------------


def test_a_path_server_that_is_the_documents_own_is_the_base_url() -> None:
    operation = {"responses": OK}
    definition, warnings = _imported(
        _document(
            {
                # Twilio writes its one server on every path.
                "/same": {
                    "servers": [{"url": SERVER}],
                    "get": {"operationId": "same", **operation},
                },
                "/slash": {
                    "servers": [{"url": SERVER + "/"}],
                    "get": {"operationId": "slash", **operation},
                },
                "/under": {
                    "get": {
                        "operationId": "under",
                        "servers": [{"url": SERVER + "/beta"}],
                        **operation,
                    }
                },
            }
        )
    )
    methods = _methods(definition)
    assert methods["same"]["Endpoint"] == "/same"
    assert methods["slash"]["Endpoint"] == "/slash"
    assert methods["under"]["Endpoint"] == "/beta/under"  # BaseUrl + the rest of its server
    assert definition["BaseUrl"] == "{{BaseUrl}}"
    assert not [w for w in warnings if "servers" in w]


def test_a_path_server_elsewhere_stays_absolute() -> None:
    definition, warnings = _imported(
        _document(
            {
                "/upload": {
                    "post": {
                        "operationId": "upload",
                        "servers": [{"url": "https://upload.example.com"}],
                        "responses": OK,
                    }
                },
                # Starts with the document's server text, but is another host.
                "/other": {
                    "servers": [{"url": "https://api.example.com/v1x"}],
                    "get": {"operationId": "other", "responses": OK},
                },
                "/templated": {
                    "servers": [{"url": "https://{region}.example.com"}],
                    "get": {"operationId": "templated", "responses": OK},
                },
            }
        )
    )
    methods = _methods(definition)
    assert methods["upload"]["Endpoint"] == "https://upload.example.com/upload"
    assert methods["other"]["Endpoint"] == "https://api.example.com/v1x/other"
    assert methods["templated"]["Endpoint"] == "/templated"  # ignored, as before
    assert any("servers other than a fixed absolute URL are ignored" in w for w in warnings)


# -- Accept -------------------------------------------------------------------------------

JSON_API = "application/vnd.api+json"


def _answer(*types: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": "ok", "content": {t: {"schema": {}} for t in types}}}


def _accept(method: dict[str, Any]) -> list[str | None]:
    return [
        p.get("Value")
        for p in method.get("Parameters", [])
        if p["TargetType"] == "HttpHeader" and p["TargetName"].lower() == "accept"
    ]


def test_an_answer_only_in_a_vendor_json_type_is_asked_for_by_accept() -> None:
    definition, warnings = _imported(
        _document(
            {
                "/lists": {
                    "get": {"operationId": "jsonApi", "responses": _answer(JSON_API)},
                    "post": {"operationId": "csv", "responses": _answer("text/csv", status="201")},
                }
            }
        )
    )
    methods = _methods(definition)
    assert methods["jsonApi"]["Parameters"] == [
        {"TargetType": "HttpHeader", "TargetName": "Accept", "Value": JSON_API}
    ]
    assert _accept(methods["csv"]) == ["text/csv"]
    assert f"paths./lists.get: the answer is {JSON_API}, so Accept: {JSON_API} is sent" in warnings


@pytest.mark.parametrize(
    "responses",
    [
        pytest.param(_answer("application/json", JSON_API), id="json-too"),
        pytest.param(_answer("application/json; charset=utf-8"), id="json-with-charset"),
        pytest.param(_answer("*/*"), id="anything"),
        pytest.param({"204": {"description": "no body"}}, id="no-body"),
        pytest.param({"default": {"description": "error", "content": {JSON_API: {}}}}, id="errors"),
    ],
)
def test_no_accept_where_junctions_own_is_answered(responses: dict[str, Any]) -> None:
    definition, _ = _imported(
        _document({"/x": {"get": {"operationId": "x", "responses": responses}}})
    )
    assert _accept(definition["Methods"][0]) == []


def test_the_documents_own_accept_parameter_decides() -> None:
    required = {
        "name": "Accept",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "enum": ["application/vnd.api+json;version=2"]},
    }
    optional = {**required, "required": False}
    definition, _ = _imported(
        _document(
            {
                "/fixed": {
                    "get": {
                        "operationId": "fixed",
                        "parameters": [required],
                        "responses": _answer(JSON_API),
                    }
                },
                "/choice": {
                    "get": {
                        "operationId": "choice",
                        "parameters": [optional],
                        "responses": _answer(JSON_API),
                    }
                },
            }
        )
    )
    methods = _methods(definition)
    assert _accept(methods["fixed"]) == ["application/vnd.api+json;version=2"]
    # Not a fixed value, and Junction sets Accept itself: the answer's type is sent.
    assert _accept(methods["choice"]) == [JSON_API]


def test_swagger_2_produces() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "api.example.com",
        "produces": [JSON_API],
        "paths": {
            "/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}},
            "/b": {
                "get": {
                    "operationId": "b",
                    "responses": {"200": {"description": "ok", "schema": {"type": "object"}}},
                }
            },
        },
    }
    methods = _methods(_imported(document)[0])
    assert _accept(methods["a"]) == []  # no body answered, nothing to negotiate
    assert _accept(methods["b"]) == [JSON_API]


@async_test
async def test_the_accept_is_sent() -> None:
    definition, _ = _imported(
        _document({"/lists": {"get": {"operationId": "lists", "responses": _answer(JSON_API)}}})
    )
    spec = parse_definition(definition)
    async with serve({"/{tail:.*}": echo}) as base:
        runtime = make_runtime()
        try:
            result = await runtime.call(
                spec,
                method_of(spec, "lists"),
                context(properties={"BaseUrl": base}),
                call_input(),
            )
        finally:
            await runtime.close()
    assert result.body["headers"]["Accept"] == JSON_API


# -- a token parameter beside OAuth 2.0 ---------------------------------------------------

OAUTH = {
    "securitySchemes": {
        "oauth": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://example.com/authorize",
                    "tokenUrl": "https://example.com/token",
                    "scopes": {"read": "read"},
                }
            },
        },
        "bearer": {"type": "http", "scheme": "bearer"},
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
    }
}


def _token(location: str, *, required: bool, name: str = "token") -> dict[str, Any]:
    return {"name": name, "in": location, "required": required, "schema": {"type": "string"}}


def _operation(operation_id: str, security: Any, *parameters: dict[str, Any]) -> dict[str, Any]:
    operation = {"operationId": operation_id, "parameters": list(parameters), "responses": OK}
    if security is not None:
        operation["security"] = security
    return operation


def test_a_token_parameter_beside_oauth_is_the_accounts_token() -> None:
    oauth = [{"oauth": ["read"]}]
    definition, warnings = _imported(
        _document(
            {
                "/optional": {
                    "get": _operation("optional", oauth, _token("query", required=False))
                },
                "/header": {"post": _operation("header", oauth, _token("header", required=True))},
                "/access": {
                    "get": _operation(
                        "access", oauth, _token("query", required=True, name="access_token")
                    )
                },
                "/bearer": {
                    "get": _operation("bearer", [{"bearer": []}], _token("query", required=True))
                },
            },
            components=OAUTH,
        )
    )
    methods = _methods(definition)
    assert "Parameters" not in methods["optional"]  # the Authorization header carries it
    assert methods["header"]["Parameters"] == [
        {
            "TargetType": "HttpHeader",
            "TargetName": "token",
            "Value": "{{Cyclr_Auth_AccessToken}}",
            "Hidden": True,
            "Sensitive": True,
        }
    ]
    assert methods["access"]["Parameters"][0]["Value"] == "{{Cyclr_Auth_AccessToken}}"
    assert methods["bearer"]["Parameters"][0]["Value"] == "{{Cyclr_Auth_ApiKey}}"
    assert (
        "paths./optional.get.parameters[0]: 'token' is the token the authentication sends; "
        "skipped (optional)" in warnings
    )


def test_a_token_form_field_beside_oauth_defaults_to_the_token() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "Slack-like", "version": "1"},
        "host": "slack.example.com",
        "securityDefinitions": {
            "slackAuth": {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://slack.example.com/oauth/authorize",
                "tokenUrl": "https://slack.example.com/api/oauth.access",
                "scopes": {"chat:write": "chat:write"},
            }
        },
        "paths": {
            "/chat.post": {
                "post": {
                    "operationId": "post",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "security": [{"slackAuth": ["chat:write"]}],
                    "parameters": [
                        {"name": "token", "in": "formData", "required": True, "type": "string"},
                        {"name": "text", "in": "formData", "required": True, "type": "string"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    method = _imported(document)[0]["Methods"][0]
    assert method["RequestFields"][0] == {
        "ConnectorField": "token",
        "Optional": False,
        "DefaultValue": "{{Cyclr_Auth_AccessToken}}",
        "SystemField": "Token",
    }


@pytest.mark.parametrize(
    ("security", "parameter"),
    [
        pytest.param([], _token("query", required=True), id="public-operation"),
        pytest.param([{"key": []}], _token("query", required=True), id="api-key-only"),
        pytest.param(
            [{"oauth": []}], _token("query", required=True, name="page_token"), id="paging-token"
        ),
        pytest.param([{"oauth": []}], _token("path", required=True), id="in-the-path"),
    ],
)
def test_other_token_parameters_stay_parameters(
    security: list[Any], parameter: dict[str, Any]
) -> None:
    path = "/x/{token}" if parameter["in"] == "path" else "/x"
    definition, _ = _imported(
        _document({path: {"get": _operation("x", security, parameter)}}, components=OAUTH)
    )
    (spec,) = definition["Methods"][0]["Parameters"]
    assert "Value" not in spec
    assert spec["TargetName"] == parameter["name"]


@async_test
async def test_the_required_token_is_sent_with_the_accounts_token() -> None:
    definition, _ = _imported(
        _document(
            {
                "/me": {
                    "get": _operation(
                        "me",
                        [{"oauth": ["read"]}],
                        _token("header", required=True),
                        _token("query", required=True, name="access_token"),
                    )
                }
            },
            components=OAUTH,
            security=[{"oauth": ["read"]}],
        )
    )
    spec = parse_definition(definition)
    oauth = next(a for a in spec.Authentication if a.Id == "oauth")
    tokens = TokenSource()
    async with serve({"/{tail:.*}": echo}) as base:
        runtime = make_runtime()
        try:
            result = await runtime.call(
                spec,
                method_of(spec, "me"),
                context(properties={"BaseUrl": base}, auth=oauth, access_token=tokens),
                call_input(),
            )
        finally:
            await runtime.close()
    sent = result.body
    assert sent["headers"]["Authorization"] == "Bearer token-1"
    assert sent["headers"]["token"] == "token-1"
    assert sent["query"] == [["access_token", "token-1"]]
    assert json.dumps(definition).count("token-1") == 0  # nothing stored in the definition


# -- a key's prefix, with the key written as words ----------------------------------------


@pytest.mark.parametrize(
    ("description", "prefix"),
    [
        pytest.param(
            "Private key authentication for /api/ endpoints is performed by setting the "
            "`Authorization` header to `Klaviyo-API-Key your-private-api-key`",
            "Klaviyo-API-Key ",
            id="klaviyo",
        ),
        pytest.param("Send `Bearer YOUR_API_TOKEN`", "Bearer ", id="upper-case"),
        pytest.param("Authorization: Token your_key", "Token ", id="after-the-header"),
        pytest.param("Use `Bearer yourself`", None, id="not-a-key"),
        pytest.param("Send `your-api-key` as it is", None, id="no-prefix"),
    ],
)
def test_key_prefix_before_a_key_written_as_words(description: str, prefix: str | None) -> None:
    schemes = {
        "key": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": description,
        }
    }
    document = _document(
        {"/me": {"get": {"operationId": "me", "responses": OK}}},
        components={"securitySchemes": schemes},
    )
    api_key = _imported(document)[0]["Authentication"][0]["ApiKey"]
    assert api_key.get("Prefix") == prefix


def test_a_cursor_shown_only_in_the_example_answer_pages_the_method() -> None:
    """Slack's conversations.history: the schema declares has_more, the example answer
    shows response_metadata.next_cursor."""
    answer: dict[str, Any] = {
        "description": "A page",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "has_more": {"type": "boolean"},
                        "messages": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "example": {
                    "has_more": True,
                    "messages": [{"ts": "1"}],
                    "response_metadata": {"next_cursor": "bmV4dA=="},
                },
            }
        },
    }
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Examples", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {
            "/history": {
                "get": {
                    "operationId": "history",
                    "parameters": [
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "responses": {"200": answer},
                }
            }
        },
    }
    method = import_openapi(dump(document)).definition["Methods"][0]
    assert method["Paging"] == {"InboundPaging": True}
    sent = {p["TargetName"]: p.get("Value") for p in method["Parameters"]}
    assert sent["response_metadata.next_cursor"] == "CYCLR_PAGE_TOKEN"
    assert sent["cursor"] == "CYCLR_PAGE_TOKEN"
    # Without the example, nothing holds the next cursor: not paged, with a note.
    del answer["content"]["application/json"]["example"]
    result = import_openapi(dump(document))
    assert "Paging" not in result.definition["Methods"][0]
    assert any("not paged" in w for w in result.warnings)
