"""Importing OpenAPI documents: what maps to what, and what is refused."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from junction.connectors.catalog.documents import dump_yaml, load_yaml
from junction.connectors.openapi import OpenApiInvalid, import_openapi
from junction.connectors.openapi.fields import MAX_DEPTH, MAX_FIELDS
from junction.connectors.openapi.names import OperationKey, method_identifiers
from junction.connectors.spec.validate import parse_definition
from tests.connectors.openapi.documents import VALID, dump, load, read


def _method(definition: dict[str, Any], method_id: str) -> dict[str, Any]:
    return next(m for m in definition["Methods"] if m["MethodUniqueIdentifier"] == method_id)


def _base_url(definition: dict[str, Any]) -> str:
    """The default of the account property that a fixed server address becomes."""
    found = [p for p in definition["Parameters"] if p["TargetName"] == "BaseUrl"]
    assert found[0]["AccountConnectorProperty"] is True
    value: str = found[0]["DefaultValue"]
    return value


def _fields(method: dict[str, Any], kind: str) -> list[str]:
    return [f["ConnectorField"] for f in method.get(kind, [])]


@pytest.mark.parametrize("name", VALID)
def test_every_document_gives_a_valid_definition(name: str) -> None:
    result = import_openapi(read(name))
    parse_definition(result.definition)
    # What the CLI writes for editing reads back as the same definition.
    again = load_yaml(dump_yaml(result.definition))
    assert parse_definition(again) == parse_definition(result.definition)
    assert result.definition["ReleaseStatus"] == "Draft"


def test_petstore_3_0() -> None:
    result = import_openapi(read("petstore-v3.yaml"))
    definition = result.definition
    assert result.warnings == []
    assert (definition["Name"], definition["Version"]) == ("Swagger Petstore", "1.0.0")
    assert definition["BaseUrl"] == "{{BaseUrl}}"
    assert _base_url(definition) == "http://petstore.swagger.io/v1"
    assert "Authentication" not in definition
    assert [m["MethodUniqueIdentifier"] for m in definition["Methods"]] == [
        "listPets",
        "createPets",
        "showPetById",
    ]
    listing = _method(definition, "listPets")
    assert (listing["Name"], listing["Category"], listing["HttpMethod"]) == (
        "List all pets",
        "pets",
        "GET",
    )
    assert listing["Parameters"] == [
        {
            "TargetType": "QueryString",
            "TargetName": "limit",
            "Description": "How many items to return at one time (max 100)",
            "Optional": True,
            "DataType": "Integer",
        }
    ]
    # A top-level array: each pet is one record.
    assert _fields(listing, "ResponseFields") == ["[].id", "[].name", "[].tag"]
    create = _method(definition, "createPets")
    assert create["RequestFields"] == [
        {"ConnectorField": "id", "SystemField": "Id", "DataType": "Integer", "Optional": False},
        {"ConnectorField": "name", "SystemField": "Name", "Optional": False},
        {"ConnectorField": "tag", "SystemField": "Tag"},
    ]
    assert "ResponseFields" not in create  # 201 has no body; the default answer is an error
    one = _method(definition, "showPetById")
    assert one["Endpoint"] == "/pets/{{petId}}"
    assert one["Parameters"][0]["TargetType"] == "MergeField"
    assert _fields(one, "ResponseFields") == ["id", "name", "tag"]


def test_petstore_2_0_matches_3_0() -> None:
    v2 = import_openapi(read("petstore-v2.json")).definition
    v3 = import_openapi(read("petstore-v3.yaml")).definition
    assert v2["BaseUrl"] == v3["BaseUrl"]
    for key in ("MethodUniqueIdentifier", "Name", "HttpMethod", "Endpoint", "Category"):
        assert [m[key] for m in v2["Methods"]] == [m[key] for m in v3["Methods"]]
    assert _method(v2, "listPets") == _method(v3, "listPets")


@pytest.mark.parametrize("name", ["petstore-expanded-v2.json", "petstore-expanded-v3.yaml"])
def test_petstore_expanded_merges_all_of(name: str) -> None:
    definition = import_openapi(read(name)).definition
    find = _method(definition, "findPets")
    assert [(p["TargetName"], p.get("DataType", "Text")) for p in find["Parameters"]] == [
        ("tags", "Text"),  # an array of strings is sent as text
        ("limit", "Integer"),
    ]
    # Pet is allOf [NewPet, {id}]: the merged properties, required ones first-class.
    assert _fields(find, "ResponseFields") == ["[].name", "[].tag", "[].id"]
    add = _method(definition, "addPet")
    assert [(f["ConnectorField"], f.get("Optional", True)) for f in add["RequestFields"]] == [
        ("name", False),
        ("tag", True),
    ]
    delete = _method(definition, "deletePet")
    assert (delete["HttpMethod"], delete["Endpoint"]) == ("DELETE", "/pets/{{id}}")
    assert delete["Parameters"][0]["DataType"] == "Integer"


def test_server_variables_become_account_properties() -> None:
    definition = import_openapi(read("uspto-v3.yaml")).definition
    assert definition["BaseUrl"] == "{{scheme}}://developer.uspto.gov/ds-api"
    assert definition["Parameters"] == [
        {
            "TargetType": "MergeField",
            "TargetName": "scheme",
            "Description": "The Data Set API is accessible via https and http. "
            "One of: https, http.",
            "DefaultValue": "https",
            "AccountConnectorProperty": True,
        }
    ]
    search = _method(definition, "perform-search")
    assert search["BodyFormat"] == "Form"
    assert search["Endpoint"] == "/{{dataset}}/{{version}}/records"


@pytest.fixture(scope="module")
def tasks() -> tuple[dict[str, Any], list[str]]:
    result = import_openapi(read("tasks-v3.1.yaml"))
    return result.definition, result.warnings


def test_tasks_connector_level(tasks: tuple[dict[str, Any], list[str]]) -> None:
    definition, warnings = tasks
    assert definition["Version"] == "2.4-beta"  # "2.4 beta" cleaned up
    assert definition["BaseUrl"] == "https://{{region}}.tasks.example/api/{{release}}"
    parameters = {p["TargetName"]: p for p in definition["Parameters"]}
    assert parameters["region"]["DefaultValue"] == "eu"
    assert parameters["region"]["Description"] == "Data centre. One of: eu, us."
    assert parameters["release"]["AccountConnectorProperty"] is True
    assert parameters["oauth_ClientId"]["PartnerConnectorProperty"] is True
    assert parameters["oauth_ClientSecret"]["Sensitive"] is True

    auths = {a["Id"]: a for a in definition["Authentication"]}
    assert list(auths) == ["oauth-authorizationCode", "oauth-clientCredentials", "key", "bearer"]
    code = auths["oauth-authorizationCode"]["OAuth2"]
    assert code == {
        "OAuth2Type": "AuthorisationCode",
        "AuthoriseUrl": "https://login.tasks.example/authorize",
        # A relative token URL is resolved against the server (its variables' defaults).
        "TokenUrl": "https://eu.tasks.example/oauth/token",
        "ClientId": "{{oauth_ClientId}}",
        "ClientSecret": "{{oauth_ClientSecret}}",
        "Scopes": ["tasks.read", "tasks.write"],
    }
    assert auths["oauth-clientCredentials"]["OAuth2"]["OAuth2Type"] == "ClientCredentials"
    assert auths["key"]["ApiKey"] == {"Location": "HttpHeader", "Name": "X-Tasks-Key"}
    assert auths["bearer"]["ApiKey"] == {
        "Location": "HttpHeader",
        "Name": "Authorization",
        "Prefix": "Bearer ",
    }
    # The top-level security names bearer: it is the default.
    assert [a["Id"] for a in definition["Authentication"] if a.get("IsDefault")] == ["bearer"]
    assert any("'implicit' is not supported" in w for w in warnings)
    assert any(w.startswith("components.securitySchemes.sso: openIdConnect") for w in warnings)


def test_tasks_methods(tasks: tuple[dict[str, Any], list[str]]) -> None:
    definition, warnings = tasks
    identifiers = [m["MethodUniqueIdentifier"] for m in definition["Methods"]]
    assert identifiers[:2] == ["list_tasks", "post_tasks"]  # "list tasks", and POST /tasks
    # Two operations share the operationId getTask: each gets a suffix from its verb and path.
    assert identifiers[2].startswith("getTask-")
    assert identifiers[3].startswith("getTask-")
    assert len(set(identifiers)) == len(identifiers)
    assert "paths./tasks.head: HEAD operations are not supported; skipped" in warnings

    listing = _method(definition, "list_tasks")
    assert [(p["TargetType"], p["TargetName"]) for p in listing["Parameters"]] == [
        ("QueryString", "status"),
        ("HttpHeader", "X-Trace"),
        ("ResponseField", "nextLink"),
    ]
    status, trace, next_link = listing["Parameters"]
    # An optional parameter's default is the API's to apply: noted, never sent.
    assert ("DefaultValue" not in status, status["Optional"]) == (True, True)
    assert status["Description"] == "One of: open, closed. The API's default: open."
    assert "Optional" not in trace  # required
    assert next_link["Value"] == "CYCLR_PAGE_NEXT_URL"
    assert listing["Paging"] == {"InboundPaging": True, "ItemsPath": "[value]"}
    assert (
        "paths./tasks.get.parameters[2]: cookie parameters are not supported; 'session' is skipped"
        in warnings
    )
    assert any(w.startswith("paths./tasks.get.parameters[3]: the header Accept") for w in warnings)

    fields = {f["ConnectorField"]: f for f in listing["ResponseFields"]}
    assert fields["[value].estimate"]["DataType"] == "Decimal"
    assert fields["[value].ratio"]["DataType"] == "Float"
    assert (fields["[value].due"]["DataType"], fields["[value].due"]["DataTypeFormat"]) == (
        "DateTime",
        "yyyy-MM-dd",
    )
    assert fields["[value].updated"]["DataType"] == "DateTime"
    assert fields["[value].done"]["DataType"] == "Boolean"
    assert "[value].[tags]" in fields
    assert "[value].parent" in fields  # Task contains itself: offered whole, not expanded
    assert not any(path.startswith("[value].parent.") for path in fields)
    # oneOf Person | Team: the fields of both, with a warning.
    assert {"[value].owner.email", "[value].owner.[members].email"} <= set(fields)
    assert any("oneOf/anyOf" in w and w.startswith("paths./tasks.get.responses") for w in warnings)

    create = _method(definition, "post_tasks")
    required = [f["ConnectorField"] for f in create["RequestFields"] if f.get("Optional") is False]
    assert required == ["name"]
    assert {
        "ConnectorField": "done",
        "SystemField": "Done",
        "DataType": "Boolean",
        "Description": "The API's default: false.",
    } in create["RequestFields"]


def test_tasks_paths_bodies_and_references(tasks: tuple[dict[str, Any], list[str]]) -> None:
    definition, warnings = tasks
    get_task = next(
        m for m in definition["Methods"] if m["HttpMethod"] == "GET" and "task_id" in m["Endpoint"]
    )
    # {task-id} is not a mergefield name: task_id in the endpoint and the parameter alike.
    assert get_task["Endpoint"] == "/tasks/{{task_id}}"
    assert get_task["Parameters"] == [
        {
            "TargetType": "MergeField",
            "TargetName": "task_id",
            "DisplayName": "task-id",
            "DataType": "Integer",
        },
        # The answer is declared only as application/vnd.tasks+json, so that is asked for.
        {
            "TargetType": "HttpHeader",
            "TargetName": "Accept",
            "Value": "application/vnd.tasks+json",
        },
    ]
    assert get_task["Description"] == "Deprecated."
    assert "name" in _fields(get_task, "ResponseFields")  # read from application/vnd.tasks+json

    note = _method(definition, "setNote")
    assert note["BodyFormat"] == "PlainText"
    assert _fields(note, "RequestFields") == ["body"]
    assert _fields(note, "ResponseFields") == ["escaped"]  # #/components/schemas/a~1b~0c

    project = _method(definition, "createProject")
    assert project["BodyFormat"] == "Form"
    assert _fields(project, "RequestFields") == ["title", "budget"]
    assert any("form fields holding objects or lists are skipped" in w for w in warnings)

    logo = _method(definition, "put_projects_id_logo")
    assert logo["Name"] == "PUT /projects/{id}/logo"
    assert "RequestFields" not in logo
    assert any("image/png are not supported" in w for w in warnings)

    assert "ResponseFields" not in _method(definition, "external")
    assert any("external reference 'other.yaml#/Thing' is not followed" in w for w in warnings)


def _edited(document: dict[str, Any]) -> dict[str, Any]:
    """A newer edition: paths reordered, texts changed, operations added and removed."""
    changed = copy.deepcopy(document)
    changed["paths"] = dict(reversed(list(changed["paths"].items())))
    for item in changed["paths"].values():
        for verb in ("get", "post", "put", "patch", "delete"):
            if verb in item:
                item[verb]["summary"] = f"Changed {item[verb].get('summary', '')}"
                item[verb].setdefault("parameters", []).append(
                    {"name": "extra", "in": "query", "schema": {"type": "string"}}
                )
    changed["paths"]["/new/{thing}"] = {
        "get": {"responses": {"200": {"description": "ok"}}},
        "post": {"operationId": "createThing", "responses": {"200": {"description": "ok"}}},
    }
    changed["paths"].pop("/external")
    return changed


def _by_operation(definition: dict[str, Any]) -> dict[tuple[str, str], str]:
    return {
        (m["HttpMethod"], m["Endpoint"]): m["MethodUniqueIdentifier"] for m in definition["Methods"]
    }


def test_identifiers_are_stable_across_editions() -> None:
    document = load("tasks-v3.1.yaml")
    before = _by_operation(import_openapi(dump(document)).definition)
    assert _by_operation(import_openapi(dump(document)).definition) == before
    after = _by_operation(import_openapi(dump(_edited(document))).definition)
    assert {key: after[key] for key in before if key in after} == {
        key: value for key, value in before.items() if key != ("GET", "/external")
    }
    assert after[("GET", "/new/{{thing}}")] == "get_new_thing"
    assert after[("POST", "/new/{{thing}}")] == "createThing"


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        pytest.param([("listPets", "GET", "/pets")], ["listPets"], id="operation-id-as-is"),
        pytest.param([(None, "GET", "/pets/{petId}")], ["get_pets_petId"], id="verb-and-path"),
        pytest.param([(None, "GET", "/")], ["get"], id="root-path"),
        pytest.param([("repos/get content", "GET", "/x")], ["repos_get_content"], id="cleaned"),
        pytest.param([("a" * 200, "GET", "/x")], ["a" * 128], id="cut-to-128"),
        pytest.param(
            [("get_pets", "POST", "/a"), (None, "GET", "/pets")],
            ["get_pets", "get_pets-8a0c6a3d"],
            id="written-id-wins-a-clash",
        ),
    ],
)
def test_method_identifiers(keys: list[tuple[str | None, str, str]], expected: list[str]) -> None:
    result = method_identifiers(OperationKey(*key) for key in keys)
    assert result[: len(expected) - 1] == expected[:-1]
    assert result[-1].split("-")[0] == expected[-1].split("-")[0]
    assert all(len(identifier) <= 128 for identifier in result)
    assert method_identifiers(OperationKey(*key) for key in reversed(keys)) == list(
        reversed(result)
    )


def _document(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "openapi": "3.0.3",
        "info": {"title": "Small", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}},
    }
    document.update(overrides)
    return document


def _schema_document(schema: dict[str, Any]) -> bytes:
    response = {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}
    return dump(
        _document(paths={"/things": {"get": {"operationId": "things", "responses": response}}})
    )


def test_field_count_and_depth_are_limited() -> None:
    many = {
        "type": "object",
        "properties": {f"p{i}": {"type": "string"} for i in range(MAX_FIELDS + 50)},
    }
    result = import_openapi(_schema_document(many))
    assert len(result.definition["Methods"][0]["ResponseFields"]) == MAX_FIELDS
    assert any(f"only the first {MAX_FIELDS} response fields" in w for w in result.warnings)

    deep: dict[str, Any] = {"type": "string"}
    for level in range(MAX_DEPTH + 2):
        deep = {"type": "object", "properties": {f"l{level}": deep, "x": {"type": "integer"}}}
    result = import_openapi(_schema_document(deep))
    paths = _fields(result.definition["Methods"][0], "ResponseFields")
    assert max(path.count(".") for path in paths) == MAX_DEPTH - 1
    assert "l5.l4.l3.l2" in paths  # the object below is offered as one field
    assert any(f"more than {MAX_DEPTH} levels" in w for w in result.warnings)


def test_yaml_details_numbers_and_keys() -> None:
    text = (
        "openapi: 3.0\ninfo: {title: Numbers, version: 2.0}\n"
        "servers: [{url: 'https://api.example.com'}]\npaths:\n  /a:\n    get:\n"
        "      responses:\n        200:\n          description: ok\n          content:\n"
        "            application/json:\n"
        "              schema: {type: object, properties: {n: {type: integer}}}\n"
    )
    definition = import_openapi(text).definition
    assert definition["Version"] == "2.0"
    assert _fields(definition["Methods"][0], "ResponseFields") == ["n"]


def test_swagger_2_security_and_forms() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "Old style", "version": "3"},
        "host": "api.example.com",
        "basePath": "/v3",
        "schemes": ["http", "https"],
        "security": [{"oauth": []}],
        "securityDefinitions": {
            "basic": {"type": "basic"},
            "key": {"type": "apiKey", "in": "query", "name": "api_key"},
            "oauth": {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://example.com/authorize",
                "tokenUrl": "https://example.com/token",
                "scopes": {"read": "Read"},
            },
            "app": {
                "type": "oauth2",
                "flow": "application",
                "tokenUrl": "https://example.com/token",
            },
            "pw": {"type": "oauth2", "flow": "password", "tokenUrl": "https://example.com/token"},
            "implicit": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": "https://example.com/a",
            },
        },
        "paths": {
            "/upload": {
                "post": {
                    "operationId": "upload",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "parameters": [
                        {"name": "title", "in": "formData", "type": "string", "required": True},
                        {"name": "size", "in": "formData", "type": "integer"},
                        {"name": "file", "in": "formData", "type": "file"},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    result = import_openapi(dump(document))
    definition = result.definition
    assert _base_url(definition) == "https://api.example.com/v3"
    auths = {a["Id"]: a for a in definition["Authentication"]}
    assert [(i, a["AuthType"]) for i, a in auths.items()] == [
        ("basic", "Basic"),
        ("key", "ApiKey"),
        ("oauth", "OAuth2"),
        ("app", "OAuth2"),
        ("pw", "OAuth2"),
    ]
    assert auths["key"]["ApiKey"] == {"Location": "QueryString", "Name": "api_key"}
    assert auths["oauth"]["IsDefault"] is True
    assert auths["oauth"]["OAuth2"]["Scopes"] == ["read"]
    assert auths["app"]["OAuth2"]["OAuth2Type"] == "ClientCredentials"
    assert auths["pw"]["OAuth2"]["OAuth2Type"] == "PasswordCredentials"
    assert any("'implicit' is not supported" in w for w in result.warnings)
    upload = definition["Methods"][0]
    assert upload["BodyFormat"] == "Form"
    assert upload["RequestFields"] == [
        {"ConnectorField": "title", "SystemField": "Title", "Optional": False},
        {"ConnectorField": "size", "SystemField": "Size", "DataType": "Integer"},
    ]
    assert any("file uploads are not supported" in w for w in result.warnings)


def test_relative_server_asks_for_the_address() -> None:
    result = import_openapi(dump(_document(servers=[{"url": "/api/v1"}])))
    assert result.definition["BaseUrl"] == "{{ApiBase}}/api/v1"
    assert result.definition["Parameters"][0]["TargetName"] == "ApiBase"
    assert result.definition["Parameters"][0]["AccountConnectorProperty"] is True
    assert any("is relative" in w for w in result.warnings)


def test_name_and_version_options() -> None:
    definition = import_openapi(read("petstore-v3.yaml"), name="Pets", version="7.1").definition
    assert (definition["Name"], definition["Version"]) == ("Pets", "7.1")
    assert import_openapi(dump(_document(info={"title": "T"}))).definition["Version"] == "1.0"


def _problems(source: str | bytes, **options: Any) -> list[tuple[str, str]]:
    with pytest.raises(OpenApiInvalid) as caught:
        import_openapi(source, **options)
    return [(p.location, p.message) for p in caught.value.problems]


@pytest.mark.parametrize(
    ("source", "location", "fragment"),
    [
        pytest.param(
            read("invalid/bad-yaml.yaml"), "(document)", "line 8, column 1", id="bad-yaml"
        ),
        pytest.param(b"", "(document)", "is empty", id="empty"),
        pytest.param(b"[1, 2]", "(document)", "not a list", id="a-list"),
        pytest.param(b"just words", "(document)", "a single value", id="a-scalar"),
        pytest.param(b'{"info": {}}', "(document)", "neither an 'openapi: 3.x'", id="no-version"),
        pytest.param(
            read("invalid/wrong-version.json"),
            "swagger",
            "'1.2' is not supported",
            id="swagger-1.2",
        ),
        pytest.param(
            dump(_document(openapi="4.0.0")), "openapi", "'4.0.0' is not supported", id="openapi-4"
        ),
        pytest.param(read("invalid/no-paths.yaml"), "paths", "no paths", id="no-paths"),
        pytest.param(
            read("webhook-example-v3.1.yaml"),
            "paths",
            "webhooks are not imported",
            id="webhooks-only",
        ),
        pytest.param(
            dump(_document(paths=["/pets"])), "paths", "must be an object", id="paths-a-list"
        ),
        pytest.param(
            dump(_document(paths={"/pets": {"get": "list them"}})),
            "paths./pets.get",
            "an operation must be an object",
            id="operation-not-object",
        ),
        pytest.param(
            dump(
                _document(
                    paths={"/pets": {"get": {"parameters": [{"name": "x"}], "responses": {}}}}
                )
            ),
            "paths./pets.get.parameters[0]",
            "needs a 'name' and an 'in'",
            id="parameter-without-in",
        ),
        pytest.param(
            read("invalid/broken-ref.yaml"),
            "paths./pets.get.parameters[0]",
            "'#/components/parameters/Missing' points at nothing",
            id="broken-ref",
        ),
    ],
)
def test_documents_that_cannot_be_imported(source: bytes, location: str, fragment: str) -> None:
    problems = _problems(source)
    assert any(where == location and fragment in message for where, message in problems), problems


def test_every_broken_reference_is_listed() -> None:
    problems = _problems(read("invalid/broken-ref.yaml"))
    assert [where for where, _ in problems] == [
        "paths./pets.get.parameters[0]",
        "paths./pets.get.responses.200.content.application/json.schema",
    ]


@pytest.mark.parametrize(
    ("options", "location"),
    [
        pytest.param({"version": "1 0"}, "version", id="bad-version"),
        pytest.param({"name": " "}, "name", id="blank-name"),
    ],
)
def test_bad_options(options: dict[str, str], location: str) -> None:
    assert [where for where, _ in _problems(read("petstore-v3.yaml"), **options)] == [location]


def test_json_and_yaml_give_the_same_definition() -> None:
    document = load("petstore-v3.yaml")
    from_yaml = import_openapi(read("petstore-v3.yaml")).definition
    assert import_openapi(json.dumps(document)).definition == from_yaml
