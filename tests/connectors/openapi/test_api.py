"""POST /v1.0/connectors/import/openapi, end to end over HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from junction.connectors.openapi import import_openapi
from tests.connectors.openapi.documents import read
from tests.connectors.openapi.petstore_api import PetstoreApi
from tests.fixtures.server import Junction

IMPORT = "/v1.0/connectors/import/openapi"
YAML = {"Content-Type": "application/yaml"}


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


@pytest.fixture
def petstore() -> Iterator[PetstoreApi]:
    with PetstoreApi() as server:
        yield server


def test_import_stores_a_draft_and_lists_warnings(api: httpx.Client) -> None:
    answer = api.post(IMPORT, content=read("petstore-v3.yaml"), headers=YAML)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["Name"], body["Version"], body["ReleaseStatus"]) == (
        "Swagger Petstore",
        "1.0.0",
        "Draft",
    )
    assert body["Warnings"] == []
    # The same shape as adding a connector, plus the warnings.
    assert api.get(f"/v1.0/connectors/{body['Id']}").json() == {
        k: v for k, v in body.items() if k != "Warnings"
    }
    methods = api.get(f"/v1.0/connectors/{body['Id']}/methods").json()
    assert [m["MethodUniqueIdentifier"] for m in methods] == [
        "listPets",
        "createPets",
        "showPetById",
    ]

    again = api.post(IMPORT, content=read("petstore-v3.yaml"), headers=YAML)
    assert (again.status_code, again.json()["Id"]) == (200, body["Id"])  # the same Draft


def test_import_options_and_media_types(api: httpx.Client) -> None:
    swagger = api.post(
        IMPORT,
        content=read("petstore-v2.json"),
        headers={"Content-Type": "application/json"},
        params={"name": "Pets 2", "version": "2.0"},
    )
    assert swagger.status_code == 201, swagger.text
    assert (swagger.json()["Name"], swagger.json()["Version"]) == ("Pets 2", "2.0")

    tasks = api.post(
        IMPORT, content=read("tasks-v3.1.yaml"), headers={"Content-Type": "text/plain"}
    )
    assert tasks.status_code == 201, tasks.text
    body = tasks.json()
    assert body["AuthType"] == "ApiKey"  # bearer, named by the top-level security
    assert {p["TargetName"] for p in body["Parameters"] if p["PartnerConnectorProperty"]} == {
        "oauth_ClientId",
        "oauth_ClientSecret",
    }
    assert "paths./tasks.head: HEAD operations are not supported; skipped" in body["Warnings"]
    text_yaml = api.post(
        IMPORT, content=read("uspto-v3.yaml"), headers={"Content-Type": "text/yaml"}
    )
    assert text_yaml.status_code == 201, text_yaml.text


@pytest.mark.parametrize(
    ("content", "headers", "params", "location"),
    [
        pytest.param(read("invalid/bad-yaml.yaml"), YAML, {}, "(document)", id="bad-yaml"),
        pytest.param(read("invalid/wrong-version.json"), YAML, {}, "swagger", id="wrong-version"),
        pytest.param(read("invalid/no-paths.yaml"), YAML, {}, "paths", id="no-paths"),
        pytest.param(
            read("invalid/broken-ref.yaml"),
            YAML,
            {},
            "paths./pets.get.parameters[0]",
            id="broken-ref",
        ),
        pytest.param(
            read("petstore-v3.yaml"), YAML, {"version": "1 0"}, "version", id="bad-version"
        ),
    ],
)
def test_bad_documents_store_nothing(
    api: httpx.Client,
    content: bytes,
    headers: dict[str, str],
    params: dict[str, str],
    location: str,
) -> None:
    before = api.get("/v1.0/connectors").json()
    answer = api.post(IMPORT, content=content, headers=headers, params=params)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["Message"].startswith("The OpenAPI document has")
    assert location in [p["Location"] for p in body["Problems"]]
    assert api.get("/v1.0/connectors").json() == before


def test_unaccepted_content_type(api: httpx.Client) -> None:
    answer = api.post(IMPORT, content=b"<xml/>", headers={"Content-Type": "application/xml"})
    assert answer.status_code == 400
    assert "application/xml" in answer.json()["Message"]
    assert api.get("/v1.0/connectors").json() == []


def test_import_needs_a_partner_token(junction: Junction) -> None:
    with junction.http() as anonymous:
        answer = anonymous.post(IMPORT, content=read("petstore-v3.yaml"), headers=YAML)
    assert answer.status_code == 401


def test_imported_petstore_calls_a_loopback_petstore(
    junction: Junction, api: httpx.Client, petstore: PetstoreApi
) -> None:
    imported = api.post(IMPORT, content=read("petstore-v3.yaml"), headers=YAML)
    assert imported.status_code == 201, imported.text
    connector = imported.json()["Id"]

    # The partner edits the Draft: points it at its stand-in and makes it Live.
    definition = import_openapi(read("petstore-v3.yaml")).definition
    definition["BaseUrl"] = f"{petstore.base_url}/v1"
    definition["ReleaseStatus"] = "Live"
    promoted = api.post("/v1.0/connectors", json=definition)
    assert (promoted.status_code, promoted.json()["Id"]) == (200, connector), promoted.text

    assert api.post("/v1.0/accounts", json={"Id": "shop", "Name": "Pet shop"}).status_code == 200
    account = junction.http(junction.token(), account="shop")
    installed = account.post(f"/v1.0/connectors/{connector}/install", json={})
    assert installed.status_code == 200, installed.text
    ac = installed.json()["Id"]

    def call(method: str, body: dict[str, object]) -> httpx.Response:
        return account.post(f"/v1.0/account/connectors/{ac}/methods/{method}", json=body)

    listed = call("listPets", {"Parameters": {"limit": 2}})
    assert listed.status_code == 200, listed.text
    assert [pet["name"] for pet in listed.json()] == ["Rex", "Tom"]
    sent = petstore.requests_to("GET", "/v1/pets")[-1]
    assert sent.query == {"limit": "2"}

    assert call("listPets", {"Parameters": {"limit": "two"}}).status_code == 400  # Integer

    shown = call("showPetById", {"Parameters": {"petId": "3"}})
    assert shown.json() == {"id": 3, "name": "Nemo"}

    created = call("createPets", {"Fields": {"id": 4, "name": "Polly", "tag": "parrot"}})
    assert created.status_code == 200, created.text
    assert petstore.requests_to("POST", "/v1/pets")[-1].json() == {
        "id": 4,
        "name": "Polly",
        "tag": "parrot",
    }
    missing = call("createPets", {"Fields": {"tag": "nameless"}})
    assert missing.status_code == 400  # id and name are required by the schema
    assert len(petstore.requests_to("POST", "/v1/pets")) == 1
