"""What the import decides for the partner: paging, defaults, fixed headers, credentials,
readOnly/writeOnly, SystemField names, key prefixes and the base address."""

from __future__ import annotations

from typing import Any

import pytest

from junction.connectors.openapi import import_openapi
from junction.connectors.openapi.names import system_field
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import dump

SERVER = "https://api.example.com/v2"


def _document(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Curated", "version": "1"},
        "servers": [{"url": SERVER}, {"url": "https://sandbox.example.com/v2"}],
        "paths": paths,
        **extra,
    }


def _list_answer(
    properties: dict[str, Any],
    items: str = "data",
    *,
    item: dict[str, Any] | None = None,
    link: bool = False,
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": "A page",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        items: {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": item or {"id": {"type": "string"}},
                            },
                        },
                        **properties,
                    },
                }
            }
        },
    }
    if link:
        answer["headers"] = {"Link": {"schema": {"type": "string"}}}
    return {"200": answer}


def _query(name: str, kind: str = "string", **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": {"type": kind, **schema}}


def _import_list(
    parameters: list[dict[str, Any]], answer: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    document = _document(
        {"/items": {"get": {"operationId": "list", "parameters": parameters, "responses": answer}}}
    )
    result = import_openapi(dump(document))
    return result.definition["Methods"][0], result.warnings


def _sent(method: dict[str, Any]) -> dict[str, str]:
    return {p["TargetName"]: p["Value"] for p in method.get("Parameters", []) if "Value" in p}


@pytest.mark.parametrize(
    ("parameters", "answer", "sent", "paging", "note"),
    [
        pytest.param(
            [_query("cursor"), _query("limit", "integer", maximum=200)],
            _list_answer(
                {
                    "response_metadata": {
                        "type": "object",
                        "properties": {"next_cursor": {"type": "string"}},
                    }
                }
            ),
            {
                "cursor": "CYCLR_PAGE_TOKEN",
                "limit": "CYCLR_PAGE_SIZE",
                "response_metadata.next_cursor": "CYCLR_PAGE_TOKEN",
            },
            {"InboundPaging": True},
            "paging by cursor (likely): 'cursor' sends response_metadata.next_cursor",
            id="cursor-nested-answer-field",
        ),
        pytest.param(
            [_query("pageToken"), _query("pageSize", "integer", maximum=50)],
            _list_answer({"nextPageToken": {"type": "string"}}),
            {
                "pageToken": "CYCLR_PAGE_TOKEN",
                "pageSize": "CYCLR_PAGE_SIZE",
                "nextPageToken": "CYCLR_PAGE_TOKEN",
            },
            {"InboundPaging": True, "InboundPageSize": 50},
            "paging by cursor (likely)",
            id="page-token-and-its-maximum",
        ),
        pytest.param(
            [_query("limit", "integer")],
            _list_answer({"links": {"type": "object", "properties": {"next": {"type": "string"}}}}),
            {"limit": "CYCLR_PAGE_SIZE", "links.next": "CYCLR_PAGE_NEXT_URL"},
            {"InboundPaging": True},
            "paging by next URL (likely): the next page is the URL in links.next",
            id="next-url-in-the-body",
        ),
        pytest.param(
            [_query("offset", "integer"), _query("limit", "integer")],
            _list_answer({"total": {"type": "integer"}}),
            {"offset": "CYCLR_PAGE_OFFSET", "limit": "CYCLR_PAGE_SIZE"},
            {"InboundPaging": True},
            "paging by offset (likely)",
            id="offset-limit",
        ),
        pytest.param(
            [_query("page", "integer"), _query("per_page", "integer")],
            _list_answer({}),
            {"page": "CYCLR_PAGE_NUMBER", "per_page": "CYCLR_PAGE_SIZE"},
            {"InboundPaging": True},
            "paging by page number (likely)",
            id="page-per-page",
        ),
        pytest.param(
            [_query("page", "integer")],
            _list_answer({}),
            {"page": "CYCLR_PAGE_NUMBER"},
            {"InboundPaging": True, "StopOnShortPage": False},
            "paging by page number (possible)",
            id="page-without-size-stops-on-an-empty-page",
        ),
        pytest.param(
            [_query("starting_after"), _query("ending_before"), _query("limit", "integer")],
            _list_answer({"has_more": {"type": "boolean"}}),
            {
                "starting_after": "CYCLR_PAGE_TOKEN",
                "limit": "CYCLR_PAGE_SIZE",
                "[data].id": "CYCLR_PAGE_TOKEN",
                "has_more": "CYCLR_PAGE_HAS_MORE",
            },
            {"InboundPaging": True},
            "paging by last-item cursor (likely): 'starting_after' sends [data].id of the "
            "previous page's last item, until has_more is false, 'limit' the page size",
            id="last-item-cursor-with-has-more",
        ),
        pytest.param(
            [_query("starting_after")],
            _list_answer({}),
            {"starting_after": "CYCLR_PAGE_TOKEN", "[data].id": "CYCLR_PAGE_TOKEN"},
            {"InboundPaging": True},
            "paging by last-item cursor (possible): 'starting_after' sends [data].id of the "
            "previous page's last item, with nothing saying whether more follow, so paging "
            "stops at the first empty page",
            id="last-item-cursor-without-has-more",
        ),
        pytest.param(
            [_query("starting_after"), _query("limit", "integer")],
            _list_answer({"has_more": {"type": "boolean"}}, item={"name": {"type": "string"}}),
            {},
            None,
            "not paged: 'starting_after' looks like paging, but the answer's items have no id",
            id="last-item-cursor-needs-an-item-id",
        ),
        pytest.param(
            [_query("ending_before"), _query("limit", "integer")],
            _list_answer({"has_more": {"type": "boolean"}}),
            {},
            None,
            "not paged: 'ending_before' looks like paging, but it pages backwards from the "
            "first item",
            id="first-item-cursor-is-noted",
        ),
        pytest.param(
            [_query("cursor"), _query("limit", "integer")],
            _list_answer({"has_more": {"type": "boolean"}}),
            {},
            None,
            "not paged: 'cursor' looks like paging, but the answer has has_more but no next "
            "cursor; if the cursor is an item's id, read it through the list",
            id="opaque-cursor-without-a-field-is-noted",
        ),
        pytest.param(
            [_query("page", "integer"), _query("per_page", "integer", maximum=100)],
            _list_answer({}, link=True),
            {"per_page": "CYCLR_PAGE_SIZE", "Link": "CYCLR_PAGE_NEXT_URL"},
            {"InboundPaging": True},
            'paging by Link header (likely): the next page is the URL of rel="next" in the '
            "Link header, 'per_page' the page size",
            id="link-header-before-page-numbers",
        ),
        pytest.param(
            [_query("since", "integer")],
            {
                "200": {
                    "description": "ok",
                    "headers": {"Link": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
            {"Link": "CYCLR_PAGE_NEXT_URL"},
            {"InboundPaging": True},
            "paging by Link header (possible)",
            id="link-header-without-a-list",
        ),
        pytest.param(
            [_query("offset", "integer"), _query("limit", "integer")],
            {"200": {"description": "ok", "content": {"application/json": {"schema": {}}}}},
            {},
            None,
            "not paged: 'offset' looks like paging, but the answer has no list",
            id="no-list-no-offset-paging",
        ),
        pytest.param(
            [_query("q")],
            _list_answer({}),
            {},
            None,
            None,
            id="nothing-like-paging",
        ),
    ],
)
def test_paging_is_guessed_from_names(
    parameters: list[dict[str, Any]],
    answer: dict[str, Any],
    sent: dict[str, str],
    paging: dict[str, Any] | None,
    note: str | None,
) -> None:
    method, warnings = _import_list(parameters, answer)
    assert _sent(method) == sent
    assert method.get("Paging") == paging
    notes = [w for w in warnings if w.startswith("paths./items.get: ") and "pag" in w]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1
        assert note in notes[0]
    for parameter in method.get("Parameters", []):
        if "Value" in parameter:
            assert parameter["Hidden"] is True


@pytest.mark.parametrize(
    ("parameters", "answer", "read"),
    [
        pytest.param(
            [_query("per_page", "integer")],
            _list_answer({}, link=True),
            {"TargetType": "ResponseHeader", "TargetName": "Link", "Value": "CYCLR_PAGE_NEXT_URL"},
            id="link-header",
        ),
        pytest.param(
            [_query("starting_after"), _query("limit", "integer")],
            _list_answer({"has_more": {"type": "boolean"}}),
            {
                "TargetType": "ResponseField",
                "TargetName": "has_more",
                "Value": "CYCLR_PAGE_HAS_MORE",
            },
            id="last-item-cursor",
        ),
    ],
)
def test_guessed_header_and_last_item_paging_is_a_valid_definition(
    parameters: list[dict[str, Any]], answer: dict[str, Any], read: dict[str, str]
) -> None:
    document = _document(
        {"/items": {"get": {"operationId": "list", "parameters": parameters, "responses": answer}}}
    )
    definition = parse_definition(import_openapi(dump(document)).definition)
    method = definition.Methods[0]
    found = [
        p
        for p in method.Parameters
        if (p.TargetType, p.TargetName, p.Value)
        == (read["TargetType"], read["TargetName"], read["Value"])
    ]
    assert len(found) == 1
    assert found[0].Hidden
    assert method.Paging is not None
    assert method.Paging.InboundPaging


BRANDING = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "id": {"type": "string", "readOnly": True},
        "name": {"type": "string"},
        "colour": {"type": "string", "default": "blue"},
        "layout": {
            "type": "object",
            "required": ["columns"],
            "properties": {"columns": {"type": "integer", "default": 2}},
        },
        "password": {"type": "string", "writeOnly": True},
        "created_at": {"type": "string", "format": "date-time", "readOnly": True},
    },
}


def test_defaults_only_for_required_values_and_read_write_only() -> None:
    document = _document(
        {
            "/brands/{id}": {
                "put": {
                    "operationId": "update",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                        },
                        _query("notify", "boolean", default=True),
                        {
                            "name": "mode",
                            "in": "query",
                            "required": True,
                            "schema": {"type": "string", "default": "full"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": BRANDING}},
                    },
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": BRANDING}},
                        }
                    },
                }
            }
        }
    )
    method = import_openapi(dump(document)).definition["Methods"][0]
    request = {f["ConnectorField"]: f for f in method["RequestFields"]}
    # readOnly values are answered, never sent; writeOnly ones sent, never answered.
    assert list(request) == ["name", "colour", "layout.columns", "password"]
    response = [f["ConnectorField"] for f in method["ResponseFields"]]
    assert response == ["id", "name", "colour", "layout.columns", "created_at"]
    # An optional field's default is the API's business: an update with only a new name
    # must not reset the colour.
    assert "DefaultValue" not in request["colour"]
    assert request["colour"]["Description"] == "The API's default: blue."
    # layout is optional, so its required columns is only required when layout is sent.
    assert "DefaultValue" not in request["layout.columns"]
    parameters = {p["TargetName"]: p for p in method["Parameters"]}
    assert "DefaultValue" not in parameters["notify"]
    assert parameters["mode"]["DefaultValue"] == "full"  # required: the default is sent


def test_required_nested_default_is_kept() -> None:
    schema = {"type": "object", "required": ["layout"], "properties": BRANDING["properties"]}
    document = _document(
        {
            "/brands": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": schema}},
                    },
                    "responses": {"201": {"description": "created"}},
                }
            }
        }
    )
    method = import_openapi(dump(document)).definition["Methods"][0]
    columns = next(f for f in method["RequestFields"] if f["ConnectorField"] == "layout.columns")
    assert (columns["DefaultValue"], columns["Optional"]) == ("2", False)


def test_fixed_and_required_headers_are_kept() -> None:
    version = {"type": "string", "enum": ["application/vnd.acme+json;version=2"]}
    document = _document(
        {
            "/things/{id}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "get": {
                    "operationId": "get",
                    "parameters": [
                        {"name": "Accept", "in": "header", "required": True, "schema": version},
                        {
                            "name": "Content-Type",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "default": "application/json"},
                        },
                        {
                            "name": "X-Api-Version",
                            "in": "header",
                            "required": True,
                            "schema": {"const": "2024-01"},
                        },
                        {
                            "name": "X-Choice",
                            "in": "header",
                            "required": True,
                            "schema": {"type": "string", "enum": ["a", "b"]},
                        },
                        {"name": "Accept-Language", "in": "header", "schema": {"enum": ["en"]}},
                    ],
                    "responses": {"204": {"description": "ok"}},
                },
                "patch": {
                    "operationId": "patch",
                    "parameters": [
                        {
                            "name": "content-type",
                            "in": "header",
                            "required": True,
                            "schema": {"enum": ["application/merge-patch+json"]},
                        }
                    ],
                    "responses": {"204": {"description": "ok"}},
                },
            }
        },
        openapi="3.1.0",
    )
    result = import_openapi(dump(document))
    get, patch = result.definition["Methods"]
    headers = {p["TargetName"]: p for p in get["Parameters"] if p["TargetType"] == "HttpHeader"}
    assert headers["Accept"]["Value"] == "application/vnd.acme+json;version=2"
    assert headers["Content-Type"]["Value"] == "application/json"
    assert headers["X-Api-Version"]["Value"] == "2024-01"
    assert "Value" not in headers["X-Choice"]  # a choice is the caller's
    assert "Value" not in headers["Accept-Language"]  # optional: not forced
    # On a method with a body, the body's format decides the Content-Type.
    assert [p["TargetType"] for p in patch["Parameters"]] == ["MergeField"]
    assert any(
        w.startswith("paths./things/{id}.patch.parameters[0]: the header content-type")
        for w in result.warnings
    )


SECURED = {
    "components": {
        "securitySchemes": {
            "key": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "Send your key as `Authorization: Token token=<your key>`.",
            },
            "query_key": {"type": "apiKey", "in": "query", "name": "token"},
            "oauth": {
                "type": "oauth2",
                "flows": {
                    "authorizationCode": {
                        "authorizationUrl": "https://example.com/authorize",
                        "tokenUrl": "https://example.com/token",
                        "scopes": {
                            "users:read": "",
                            "users:write": "",
                            "admin": "",
                            "chat:write": "",
                        },
                    }
                },
            },
        }
    },
    "security": [{"oauth": ["users:read"]}],
}


def _secured_paths() -> dict[str, Any]:
    ok = {"200": {"description": "ok"}}
    return {
        "/users": {
            "get": {
                "operationId": "listUsers",
                "tags": ["Users"],
                "parameters": [
                    {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}}
                ],
                "responses": ok,
            },
            "post": {
                "operationId": "createUser",
                "tags": ["Users"],
                "security": [{"oauth": ["users:write", "users:read"]}, {"query_key": []}],
                "responses": ok,
            },
        },
        "/admin": {
            "delete": {
                "operationId": "wipe",
                "tags": ["Admin"],
                "security": [{"oauth": ["admin"]}],
                "responses": ok,
            }
        },
    }


def test_credentials_are_not_parameters_and_scopes_follow_the_operations() -> None:
    document = _document(_secured_paths(), **SECURED)
    result = import_openapi(dump(document))
    auths = {a["Id"]: a for a in result.definition["Authentication"]}
    # The scheme's description tells the prefix the key goes with.
    assert auths["key"]["ApiKey"] == {
        "Location": "HttpHeader",
        "Name": "Authorization",
        "Prefix": "Token token=",
    }
    listing = result.definition["Methods"][0]
    assert "Parameters" not in listing  # 'token' is the query_key scheme's key
    assert any("'token' is the API key the authentication sends" in w for w in result.warnings)
    # The union of what the imported operations need, in the scheme's order: not admin,
    # not chat:write.
    assert auths["oauth"]["OAuth2"]["Scopes"] == ["users:read", "users:write", "admin"]

    from junction.connectors.openapi import OperationChoice

    users_only = import_openapi(dump(document), choice=OperationChoice(frozenset({"Users"})))
    scopes = users_only.definition["Authentication"][2]["OAuth2"]["Scopes"]
    assert scopes == ["users:read", "users:write"]


def test_scopes_are_all_kept_when_no_operation_names_any() -> None:
    secured = {**SECURED, "security": [{"oauth": []}]}
    paths = _secured_paths()
    for item in paths.values():
        for operation in item.values():
            operation.pop("security", None)
    result = import_openapi(dump(_document(paths, **secured)))
    oauth = next(a for a in result.definition["Authentication"] if a["Id"] == "oauth")
    assert oauth["OAuth2"]["Scopes"] == ["users:read", "users:write", "admin", "chat:write"]
    assert any("no operation names the scopes of 'oauth'" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("description", "prefix"),
    [
        pytest.param("Send `Authorization: Token token=<api_key>`", "Token token=", id="rails"),
        pytest.param('Use the header "Token token=<key>"', "Token token=", id="quoted"),
        pytest.param("Authorization: Bearer <token>", "Bearer ", id="bearer"),
        pytest.param("Use `SSWS {apiToken}`", "SSWS ", id="braces"),
        pytest.param("Send it as Authorization: <key>", None, id="no-prefix"),
        pytest.param("Your API key, from the settings page.", None, id="no-example"),
    ],
)
def test_key_prefix_from_the_description(description: str, prefix: str | None) -> None:
    document = _document(
        {"/me": {"get": {"responses": {"200": {"description": "ok"}}}}},
        components={
            "securitySchemes": {
                "key": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": description,
                }
            }
        },
    )
    api_key = import_openapi(dump(document)).definition["Authentication"][0]["ApiKey"]
    assert api_key.get("Prefix") == prefix


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("[data].gid", "DataGid"),
        ("response_metadata.next_cursor", "ResponseMetadataNextCursor"),
        ("[].id", "Id"),
        ("[]", "Value"),
        ("owner.login", "OwnerLogin"),
        ("[items].[tags]", "ItemsTags"),
        ("createdAt", "CreatedAt"),
        ("@type", "Type"),
    ],
)
def test_system_field_names(path: str, name: str) -> None:
    assert system_field(path) == name


def test_system_fields_are_unique_within_a_method() -> None:
    schema = {
        "type": "object",
        "properties": {
            "user_id": {"type": "string"},
            "userId": {"type": "string"},
            "user": {"type": "object", "properties": {"id": {"type": "string"}}},
        },
    }
    document = _document(
        {
            "/a": {
                "get": {
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": schema}},
                        }
                    }
                }
            }
        }
    )
    method = import_openapi(dump(document)).definition["Methods"][0]
    names = [(f["ConnectorField"], f["SystemField"]) for f in method["ResponseFields"]]
    assert names == [("user_id", "UserId"), ("userId", "UserId_2"), ("user.id", "UserId_3")]


def test_the_base_address_is_an_account_property() -> None:
    document = _document({"/a": {"get": {"responses": {"200": {"description": "ok"}}}}})
    definition = import_openapi(dump(document)).definition
    assert definition["BaseUrl"] == "{{BaseUrl}}"
    (base,) = definition["Parameters"]
    assert base["TargetName"] == "BaseUrl"
    assert base["DefaultValue"] == SERVER
    assert base["AccountConnectorProperty"] is True
    assert "https://sandbox.example.com/v2" in base["Description"]
