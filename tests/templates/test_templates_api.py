"""Template authoring and releases through the API."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction
from tests.templates.test_template_graph import template


@pytest.fixture
def api(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    assert client.post("/v1.0/connectors", json=contacts_definition()).status_code == 201
    return client


def _create(api: httpx.Client, document: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/v1.0/templates", json=document)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_create_publish_and_list(api: httpx.Client) -> None:
    document = template() | {"Tags": ["Sales"]}
    created = _create(api, document)
    assert created["Name"] == "New contacts to CRM"
    assert [(r["Version"], r["Status"]) for r in created["Releases"]] == [(1, "Draft")]
    contacts_id = api.get("/v1.0/connectors/Test Contacts").json()[-1]["Id"]
    assert created["Connectors"] == [
        {"Id": contacts_id, "Name": "Test Contacts", "Version": None, "StepCount": 2, "Icon": None}
    ]

    path = f"/v1.0/templates/{created['Id']}"
    assert api.get(f"{path}/releases/1/problems").json() == []
    live = api.put(f"{path}/releases/1/status", json={"Status": "Live"})
    assert live.status_code == 200, live.text
    assert live.json()["Status"] == "Live"
    assert api.get(path).json()["Releases"][0]["Status"] == "Live"

    assert [t["Id"] for t in api.get("/v1.0/templates", params={"tag": "sales"}).json()] == [
        created["Id"]
    ]
    assert api.get("/v1.0/templates", params={"tag": "hr"}).json() == []
    by_connector = api.get("/v1.0/templates", params={"connectorName": "test contacts"})
    assert [t["Id"] for t in by_connector.json()] == [created["Id"]]
    assert by_connector.headers["total-records"] == "1"


def test_live_releases_are_immutable(api: httpx.Client) -> None:
    created = _create(api, template())
    path = f"/v1.0/templates/{created['Id']}/releases"
    api.put(f"{path}/1/status", json={"Status": "Live"})
    changed = copy.deepcopy(template())
    changed["Description"] = "changed"
    refused = api.put(f"{path}/1", json=changed)
    assert refused.status_code == 409
    assert "cannot change" in refused.json()["Message"]
    assert api.get(f"{path}/1").json()["Document"].get("Description") is None

    second = api.post(path, json=changed)
    assert second.status_code == 201
    assert (second.json()["Version"], second.json()["Status"]) == (2, "Draft")
    again = api.post(path)
    assert again.status_code == 409
    assert "still a Draft" in again.json()["Message"]
    assert api.put(f"{path}/2/status", json={"Status": "Deprecated"}).status_code == 409
    assert api.put(f"{path}/2/status", json={"Status": "Live"}).status_code == 200
    assert (
        api.put(f"{path}/1/status", json={"Status": "Deprecated"}).json()["Status"] == "Deprecated"
    )
    copied = api.post(path)  # no body: a copy of the newest release
    assert copied.json()["Document"]["Description"] == "changed"


def test_an_invalid_graph_cannot_go_live(api: httpx.Client) -> None:
    document = template()
    document["Edges"].pop(2)  # the decision's False exit
    created = _create(api, document)  # a Draft may be incomplete while it is built
    path = f"/v1.0/templates/{created['Id']}/releases/1"
    problems = api.get(f"{path}/problems").json()
    assert problems == [
        {
            "Location": "Edges",
            "Message": "step 'Has an email' (check) needs exactly one False exit, not 0 "
            "(end a branch with a Stop step)",
        }
    ]
    refused = api.put(f"{path}/status", json={"Status": "Live"})
    assert refused.status_code == 400
    assert refused.json()["Problems"] == problems
    assert "The template has 1 problem" in refused.json()["Message"]
    assert api.get(path).json()["Status"] == "Draft"

    assert api.put(path, json=template()).status_code == 200
    assert api.put(f"{path}/status", json={"Status": "Live"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "location"),
    [
        pytest.param({"Steps": []}, "Name", id="missing-name"),
        pytest.param(template() | {"Colour": "red"}, "Colour", id="unknown-key"),
        pytest.param(
            template() | {"Settings": {"StepErrorAction": "Explode"}},
            "Settings.StepErrorAction",
            id="bad-error-action",
        ),
    ],
)
def test_bad_documents(api: httpx.Client, body: dict[str, Any], location: str) -> None:
    response = api.post("/v1.0/templates", json=body)
    assert response.status_code == 400
    assert location in [p["Location"] for p in response.json()["Problems"]]
    assert api.get("/v1.0/templates").json() == []


def test_unknown_templates_and_releases(api: httpx.Client) -> None:
    assert api.get("/v1.0/templates/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f").status_code == 404
    created = _create(api, template())
    assert api.get(f"/v1.0/templates/{created['Id']}/releases/9").status_code == 404
    assert api.get("/v1.0/templates/schema").json()["title"] == "TemplateDocument"
