"""Adding connector releases and reading the catalogue through the API."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.fixtures.server import Junction

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors"


def contacts_definition() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((FIXTURES / "contacts.yaml").read_text())
    return document


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


def test_add_and_read_a_connector(api: httpx.Client) -> None:
    added = api.post("/v1.0/connectors", json=contacts_definition())
    assert added.status_code == 201, added.text
    connector = added.json()
    assert connector["Name"] == "Test Contacts"
    assert connector["Version"] == "1.0"
    assert connector["ReleaseStatus"] == "Live"
    assert connector["AuthType"] == "ApiKey"
    assert [p["TargetName"] for p in connector["Parameters"]] == ["ApiBase", "X-Region"]

    assert api.get(f"/v1.0/connectors/{connector['Id']}").json() == connector
    assert api.get("/v1.0/connectors/test contacts").json() == [connector]
    assert api.get("/v1.0/connectors/Test Contacts/1.0").json() == [connector]
    assert api.get("/v1.0/connectors", params={"category": "crm"}).json() == [connector]
    assert api.get("/v1.0/connectors", params={"category": "erp"}).json() == []
    assert api.get("/v1.0/connectors", params={"query": "contacts api"}).json() == [connector]

    methods = api.get(f"/v1.0/connectors/{connector['Id']}/methods").json()
    assert [m["MethodUniqueIdentifier"] for m in methods] == [
        "contacts-list",
        "contacts-get",
        "contacts-create",
        "statuses-list",
    ]
    listing = methods[0]
    assert listing["EndPoint"] == "/contacts"
    assert [f["SystemField"] for f in listing["ResponseFields"]] == ["Id", "Email", "Created"]
    ids = [
        p["Id"] for m in methods for p in m["Parameters"] + m["RequestFields"] + m["ResponseFields"]
    ]
    assert len(ids) == len(set(ids))
    assert api.get(f"/v1.0/methods/{listing['Id']}").json() == listing
    only = api.get(f"/v1.0/connectors/{connector['Id']}/methods", params={"query": "create"})
    assert [m["Name"] for m in only.json()] == ["Create Contact"]


def test_yaml_body(api: httpx.Client) -> None:
    text = (FIXTURES / "contacts.yaml").read_text()
    added = api.post("/v1.0/connectors", content=text, headers={"Content-Type": "application/yaml"})
    assert added.status_code == 201, added.text


def test_schema_is_served(api: httpx.Client) -> None:
    schema = api.get("/v1.0/connectors/schema").json()
    assert schema["title"] == "ConnectorDefinition"
    assert "Methods" in schema["properties"]
    assert "AuthType" in schema["$defs"]["AuthenticationSpec"]["properties"]


def test_drafts_change_live_releases_do_not(api: httpx.Client) -> None:
    draft = contacts_definition() | {"ReleaseStatus": "Draft"}
    first = api.post("/v1.0/connectors", json=draft).json()
    changed = copy.deepcopy(draft)
    changed["Description"] = "Second draft"
    again = api.post("/v1.0/connectors", json=changed)
    assert again.status_code == 200
    assert again.json()["Id"] == first["Id"]
    assert again.json()["Description"] == "Second draft"

    live = api.post("/v1.0/connectors", json=changed | {"ReleaseStatus": "Live"})
    assert live.json()["ReleaseStatus"] == "Live"
    refused = api.post(
        "/v1.0/connectors", json=changed | {"Description": "sneaky", "ReleaseStatus": "Live"}
    )
    assert refused.status_code == 409
    assert "cannot change" in refused.json()["Message"]
    deprecated = api.post("/v1.0/connectors", json=changed | {"ReleaseStatus": "Deprecated"})
    assert deprecated.status_code == 200
    assert deprecated.json()["ReleaseStatus"] == "Deprecated"

    newer = api.post("/v1.0/connectors", json=changed | {"Version": "1.1", "ReleaseStatus": "Live"})
    assert newer.status_code == 201
    assert len(api.get("/v1.0/connectors/Test Contacts").json()) == 2


def test_a_draft_replaced_twice_in_one_tick_serves_the_latest(api: httpx.Client) -> None:
    # The test server's clock stands still unless a test moves it.
    draft = contacts_definition() | {"ReleaseStatus": "Draft"}
    first = api.post("/v1.0/connectors", json=draft).json()
    for name in ("Second name", "Third name"):
        changed = copy.deepcopy(draft)
        changed["Methods"][0]["Name"] = name
        assert api.post("/v1.0/connectors", json=changed).status_code == 200
        methods = api.get(f"/v1.0/connectors/{first['Id']}/methods").json()
        assert methods[0]["Name"] == name


def _broken() -> dict[str, Any]:
    document = contacts_definition()
    document["Authentication"].append({"Id": "weird", "AuthType": "Kerberos"})
    del document["Methods"][1]["Endpoint"]
    document["Methods"][2]["MethodUniqueIdentifier"] = "contacts-list"
    document["Methods"][0]["ResponseFields"][1]["ConnectorField"] = "[contacts.email"
    document["Methods"][3]["Endpoint"] = "/statuses/{{Nope}}"
    return document


def test_every_problem_is_reported_with_its_location(api: httpx.Client) -> None:
    # Shape problems (pydantic) come first; reference problems once the shape is right.
    response = api.post("/v1.0/connectors", json=_broken())
    assert response.status_code == 400
    locations = {p["Location"] for p in response.json()["Problems"]}
    assert {"Authentication[1].AuthType", "Methods[1].Endpoint"} <= locations

    document = _broken()
    document["Authentication"].pop()
    document["Methods"][1]["Endpoint"] = "/contacts/{{ContactId}}"
    response = api.post("/v1.0/connectors", json=document)
    assert response.status_code == 400
    problems = {p["Location"]: p["Message"] for p in response.json()["Problems"]}
    assert set(problems) == {
        "Methods[2].MethodUniqueIdentifier",
        "Methods[0].ResponseFields[1].ConnectorField",
        "Methods[3].Endpoint",
    }
    assert "already used by Methods[0]" in problems["Methods[2].MethodUniqueIdentifier"]
    assert "{{Nope}}" in problems["Methods[3].Endpoint"]
    assert "3 problems" in response.json()["Message"]
    assert api.get("/v1.0/connectors").json() == []


@pytest.mark.parametrize(
    ("change", "location"),
    [
        pytest.param(lambda d: d.pop("Name"), "Name", id="missing-name"),
        pytest.param(lambda d: d.update(Colour="red"), "Colour", id="unknown-key"),
        pytest.param(
            lambda d: d["Authentication"].append({"Id": "o", "AuthType": "OAuth2"}),
            "Authentication[1].OAuth2",
            id="oauth-without-settings",
        ),
        pytest.param(
            lambda d: d["Triggers"][0].update(MethodUniqueIdentifier="ghost"),
            "Triggers[0].MethodUniqueIdentifier",
            id="trigger-unknown-method",
        ),
        pytest.param(
            lambda d: d["Methods"][0]["Parameters"][2].update(TriggerName="ghost"),
            "Methods[0].Parameters[2].TriggerName",
            id="parameter-unknown-trigger",
        ),
        pytest.param(
            lambda d: d["Methods"][0]["Parameters"][0].update(Value="CYCLR_PAGE_SOMETHING"),
            "Methods[0].Parameters[0].Value",
            id="unknown-paging-variable",
        ),
        pytest.param(
            lambda d: d["Methods"][0]["Parameters"].append(
                {"TargetType": "QueryString", "TargetName": "after", "Value": "CYCLR_PAGE_TOKEN"}
            ),
            "Methods[0].Parameters",
            id="token-without-response-field",
        ),
        pytest.param(
            lambda d: d.pop("BaseUrl"), "Methods[0].Endpoint", id="relative-endpoint-without-base"
        ),
        pytest.param(
            lambda d: d["Methods"][0].update(HttpMethod="FETCH"), "Methods[0].HttpMethod", id="verb"
        ),
        pytest.param(
            lambda d: d["Authentication"][0]["ApiKey"].update(
                Location="MergeField", Name="api-key"
            ),
            "Authentication[0].ApiKey.Name",
            id="api-key-mergefield-name",
        ),
        pytest.param(
            lambda d: d["Authentication"].append(
                {
                    "Id": "f",
                    "AuthType": "AuthFields",
                    "AuthFields": [{"Name": "T", "Key": "9lives"}],
                }
            ),
            "Authentication[1].AuthFields[0].Key",
            id="auth-field-key",
        ),
        pytest.param(
            lambda d: d["Methods"][2]["RequestFields"][0].update(DataType="Money"),
            "Methods[2].RequestFields[0].DataType",
            id="data-type",
        ),
    ],
)
def test_bad_definitions(api: httpx.Client, change: Any, location: str) -> None:
    document = contacts_definition()
    change(document)
    response = api.post("/v1.0/connectors", json=document)
    assert response.status_code == 400, response.text
    assert location in [p["Location"] for p in response.json()["Problems"]]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="bad-json"),
        pytest.param(b"Name: [unclosed", "application/yaml", id="bad-yaml"),
        pytest.param(b"[1, 2]", "application/json", id="not-an-object"),
    ],
)
def test_unreadable_documents(api: httpx.Client, content: bytes, content_type: str) -> None:
    response = api.post("/v1.0/connectors", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert response.json()["Message"]


def test_unknown_connector_and_method(api: httpx.Client) -> None:
    assert api.get("/v1.0/connectors/999").status_code == 404
    assert api.get("/v1.0/connectors/nobody").status_code == 404
    assert api.get("/v1.0/connectors/999/methods").status_code == 404
    assert api.get("/v1.0/methods/999").status_code == 404


def test_ids_stay_when_a_release_is_deprecated(api: httpx.Client) -> None:
    live = api.post("/v1.0/connectors", json=contacts_definition()).json()
    before = api.get(f"/v1.0/connectors/{live['Id']}/methods").json()
    api.post("/v1.0/connectors", json=contacts_definition() | {"ReleaseStatus": "Deprecated"})
    assert api.get(f"/v1.0/connectors/{live['Id']}/methods").json() == before


def test_category_filter_matches_categories_only(api: httpx.Client) -> None:
    api.post("/v1.0/connectors", json=contacts_definition())
    assert api.get("/v1.0/connectors", params={"category": "Contacts"}).json() == []  # a method's
    assert len(api.get("/v1.0/connectors", params={"category": "CRM"}).json()) == 1
    assert api.get("/v1.0/connectors", params={"query": "%"}).json() == []


def test_partner_properties_are_listed_without_values(api: httpx.Client) -> None:
    document = contacts_definition()
    document["Parameters"].append(
        {
            "TargetType": "HttpHeader",
            "TargetName": "X-Partner",
            "PartnerConnectorProperty": True,
            "Sensitive": True,
        }
    )
    connector = api.post("/v1.0/connectors", json=document).json()["Id"]
    path = f"/v1.0/connectors/{connector}/partnerproperties"
    assert api.get(path).json() == [{"Name": "X-Partner", "IsSet": False}]
    assert api.put(path, json=[{"Name": "X-Partner", "Value": "p-secret"}]).status_code == 200
    listed = api.get(path)
    assert listed.json() == [{"Name": "X-Partner", "IsSet": True}]
    assert "p-secret" not in listed.text


def test_oversized_definition_is_413(api: httpx.Client) -> None:
    response = api.post(
        "/v1.0/connectors",
        content=b" " * (5 * 1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "larger than" in response.json()["Message"]
