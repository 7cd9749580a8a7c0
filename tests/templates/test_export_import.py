"""Template export and import through the API, between two servers with their own databases."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from junction.templates import transfer
from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction, running_junction
from tests.templates.test_template_graph import template

Export = dict[str, Any]


@pytest.fixture(scope="module")
def target_server(
    junction_server: Junction, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Junction]:
    """A second Junction, on its own database of the same backend as the shared server."""
    folder = tmp_path_factory.mktemp(f"target-{junction_server.backend}")
    with running_junction(junction_server.backend, folder) as server:
        yield server


@pytest.fixture
def target(target_server: Junction) -> httpx.Client:
    target_server.reset()
    return target_server.http(target_server.token())


@pytest.fixture
def source(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


def _add_connector(api: httpx.Client, definition: dict[str, Any]) -> dict[str, Any]:
    added = api.post("/v1.0/connectors", json=definition)
    assert added.status_code == 201, added.text
    connector: dict[str, Any] = added.json()
    return connector


def _contacts(**changes: Any) -> dict[str, Any]:
    return contacts_definition() | changes


def _build_source(api: httpx.Client) -> str:
    """Release 1 Deprecated, 2 Live, 3 a Draft that pins connector version 2.0 (a Draft).

    A connector that no step uses sits beside them, and must stay out of the export.
    """
    _add_connector(api, _contacts())
    _add_connector(api, _contacts(Version="2.0", ReleaseStatus="Draft"))
    _add_connector(api, _contacts(Name="Spare Contacts"))
    second = template() | {"Description": "Second", "Tags": ["Sales"]}
    third = copy.deepcopy(second)
    third["Steps"][2]["ConnectorVersion"] = "2.0"

    created = api.post("/v1.0/templates", json=template())
    assert created.status_code == 201, created.text
    path = f"/v1.0/templates/{created.json()['Id']}/releases"
    steps: list[tuple[str, str, Any]] = [
        ("PUT", f"{path}/1/status", {"Status": "Live"}),
        ("POST", path, second),
        ("PUT", f"{path}/2/status", {"Status": "Live"}),
        ("PUT", f"{path}/1/status", {"Status": "Deprecated"}),
        ("POST", path, third),
    ]
    for method, url, body in steps:
        response = api.request(method, url, json=body)
        assert response.status_code in (200, 201), response.text
    template_id: str = created.json()["Id"]
    return template_id


@pytest.fixture
def exported(source: httpx.Client) -> Export:
    template_id = _build_source(source)
    response = source.get(f"/v1.0/templates/{template_id}/export")
    assert response.status_code == 200, response.text
    document: Export = response.json()
    return document


def _without_time(document: Export) -> Export:
    return {key: value for key, value in document.items() if key != "ExportedAt"}


def _import(api: httpx.Client, document: Any) -> httpx.Response:
    return api.post("/v1.0/templates/import", json=document)


def _connectors(api: httpx.Client) -> list[tuple[str, str, str]]:
    return sorted(
        (c["Name"], c["Version"], c["ReleaseStatus"]) for c in api.get("/v1.0/connectors").json()
    )


def test_the_export_document(junction: Junction, exported: Export) -> None:
    assert (exported["Format"], exported["FormatVersion"]) == ("junction-template", 1)
    assert datetime.fromisoformat(exported["ExportedAt"]) == junction.clock()
    assert exported["Template"]["Name"] == "New contacts to CRM"
    assert exported["Template"]["Description"] == "Second"
    assert [(r["Version"], r["Status"]) for r in exported["Releases"]] == [
        (1, "Deprecated"),
        (2, "Live"),
        (3, "Draft"),
    ]
    assert exported["Releases"][2]["Document"]["Steps"][2]["ConnectorVersion"] == "2.0"
    # 1.0 for the steps without a version (the newest Live one), 2.0 for the pinned step;
    # each once, and the unused connector not at all.
    assert [(c["Name"], c["Version"], c["ReleaseStatus"]) for c in exported["Connectors"]] == [
        ("Test Contacts", "1.0", "Live"),
        ("Test Contacts", "2.0", "Draft"),
    ]


def test_import_into_an_empty_database_gives_the_same_template(
    source: httpx.Client, target: httpx.Client, exported: Export
) -> None:
    imported = _import(target, exported)
    assert imported.status_code == 201, imported.text
    body = imported.json()
    original = source.get(f"/v1.0/templates/{exported['Template']['Id']}").json()
    for key in ("Id", "Name", "Description", "Tags"):
        assert body[key] == original[key]

    # A connector's Id is the release here, numbered by this database.
    def connectors(answer: dict[str, Any], client: httpx.Client) -> list[dict[str, Any]]:
        for connector in answer["Connectors"]:
            releases = client.get(f"/v1.0/connectors/{connector['Name']}").json()
            assert connector["Id"] in [r["Id"] for r in releases]
        return [{k: v for k, v in c.items() if k != "Id"} for c in answer["Connectors"]]

    assert connectors(body, target) == connectors(original, source)
    assert [(r["Version"], r["Status"]) for r in body["Releases"]] == [
        (1, "Deprecated"),
        (2, "Live"),
        (3, "Draft"),
    ]

    again = target.get(f"/v1.0/templates/{body['Id']}/export")
    assert again.status_code == 200, again.text
    assert _without_time(again.json()) == _without_time(exported)
    assert _connectors(target) == [
        ("Test Contacts", "1.0", "Live"),
        ("Test Contacts", "2.0", "Draft"),
    ]
    # The search columns follow the newest release, as if it had been authored here.
    for params in ({"tag": "sales"}, {"connectorName": "test contacts"}):
        assert [t["Id"] for t in target.get("/v1.0/templates", params=params).json()] == [
            body["Id"]
        ]


def test_an_identical_connector_release_is_reused(target: httpx.Client, exported: Export) -> None:
    before = _add_connector(target, _contacts())
    assert _import(target, exported).status_code == 201
    releases = target.get("/v1.0/connectors/Test Contacts").json()
    assert [(c["Id"], c["Version"]) for c in releases] == [
        (before["Id"], "1.0"),
        (releases[1]["Id"], "2.0"),
    ]


def test_a_different_connector_release_of_the_same_version_is_refused(
    target: httpx.Client, exported: Export
) -> None:
    _add_connector(target, _contacts(Description="Changed here"))
    refused = _import(target, exported)
    assert refused.status_code == 409
    message = refused.json()["Message"]
    assert "'Test Contacts' version 1.0" in message
    assert "Nothing was imported" in message
    assert target.get(f"/v1.0/templates/{exported['Template']['Id']}").status_code == 404
    assert _connectors(target) == [("Test Contacts", "1.0", "Live")]  # 2.0 was not added


def test_a_template_that_is_here_already_is_refused(
    source: httpx.Client, target: httpx.Client, exported: Export
) -> None:
    assert _import(target, exported).status_code == 201
    for api in (target, source):
        refused = _import(api, exported)
        assert refused.status_code == 409
        assert f"Id '{exported['Template']['Id']}' is already here" in refused.json()["Message"]
    assert len(target.get("/v1.0/templates").json()) == 1


def test_a_live_release_must_pass_publishing_here(target: httpx.Client, exported: Export) -> None:
    broken = copy.deepcopy(exported)
    broken["Releases"][1]["Document"]["Edges"].pop(2)  # the decision's False exit
    refused = _import(target, broken)
    assert refused.status_code == 400
    problems = refused.json()["Problems"]
    assert [p["Location"] for p in problems] == ["Releases[1].Document.Edges"]
    assert "needs exactly one False exit" in problems[0]["Message"]
    # The connector releases added before the check went with the rollback.
    assert target.get("/v1.0/templates").json() == []
    assert _connectors(target) == []

    without_connectors = copy.deepcopy(exported) | {"Connectors": []}
    refused = _import(target, without_connectors)
    assert refused.status_code == 400
    assert {p["Location"] for p in refused.json()["Problems"]} == {
        "Releases[1].Document.Steps[0]",
        "Releases[1].Document.Steps[2]",
    }
    assert "connector 'Test Contacts' has no method" in refused.json()["Message"]

    # The Deprecated and Draft releases are not held to it: only the Live one is broken here.
    broken = copy.deepcopy(exported)
    for index in (0, 2):
        broken["Releases"][index]["Document"]["Edges"] = []
    assert _import(target, broken).status_code == 201


def _edit(change: Callable[[Export], None]) -> Callable[[Export], Export]:
    def edit(document: Export) -> Export:
        edited = copy.deepcopy(document)
        change(edited)
        return edited

    return edit


def _mismatched_name(document: Export) -> None:
    document["Template"]["Name"] = "Renamed by hand"


def _draft_first(document: Export) -> None:
    document["Releases"][0]["Status"] = "Draft"


def _versions_gap(document: Export) -> None:
    document["Releases"][1]["Version"] = 5


def _unknown_step_key(document: Export) -> None:
    document["Releases"][0]["Document"]["Colour"] = "red"


def _connector_without_version(document: Export) -> None:
    del document["Connectors"][0]["Version"]


def _connector_twice(document: Export) -> None:
    document["Connectors"].append(document["Connectors"][0])


def _connector_bad_reference(document: Export) -> None:
    document["Connectors"][0]["Methods"][0]["MethodUniqueIdentifier"] = "contacts-create"


@pytest.mark.parametrize(
    ("change", "location", "says"),
    [
        pytest.param(
            _edit(lambda d: d.update(FormatVersion=2)),
            "FormatVersion",
            "2 is not a version this Junction reads",
            id="unknown-format-version",
        ),
        pytest.param(
            _edit(lambda d: d.update(Format="cyclr-template")),
            "Format",
            "not a Junction template export",
            id="other-format",
        ),
        pytest.param(
            _edit(lambda d: d.pop("Template")), "Template", "Field required", id="no-template"
        ),
        pytest.param(
            _edit(lambda d: d.update(Releases=[])), "Releases", "at least 1", id="no-releases"
        ),
        pytest.param(
            _edit(lambda d: d["Template"].update(Id="schema")),
            "Template.Id",
            "should match pattern",
            id="id-not-a-uuid",
        ),
        pytest.param(_edit(_mismatched_name), "Template.Name", "newest release", id="name"),
        pytest.param(_edit(_draft_first), "Releases[0].Status", "newest", id="draft-not-last"),
        pytest.param(_edit(_versions_gap), "Releases[1].Version", "must be 2", id="gap"),
        pytest.param(
            _edit(_unknown_step_key),
            "Releases[0].Document.Colour",
            "Extra inputs",
            id="bad-document",
        ),
        pytest.param(
            _edit(_connector_without_version),
            "Connectors[0].Version",
            "Field required",
            id="connector-shape",
        ),
        pytest.param(
            _edit(_connector_twice), "Connectors[2]", "also Connectors[0]", id="connector-twice"
        ),
        pytest.param(
            _edit(_connector_bad_reference),
            "Connectors[0].Methods[2].MethodUniqueIdentifier",
            "already used by Methods[0]",
            id="connector-cross-reference",
        ),
        pytest.param(lambda d: [d], "(document)", "JSON object", id="not-an-object"),
    ],
)
def test_bad_exports(
    target: httpx.Client,
    exported: Export,
    change: Callable[[Export], Any],
    location: str,
    says: str,
) -> None:
    response = _import(target, change(exported))
    assert response.status_code == 400, response.text
    problems = {p["Location"]: p["Message"] for p in response.json()["Problems"]}
    assert says in problems[location]
    assert response.json()["Message"].startswith("The template export has")
    assert target.get("/v1.0/templates").json() == []
    assert _connectors(target) == []


def test_a_body_that_is_not_json(target: httpx.Client) -> None:
    response = target.post(
        "/v1.0/templates/import",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["Message"]


def test_a_body_over_the_limit(
    target: httpx.Client, exported: Export, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = json.dumps(exported).encode()
    headers = {"Content-Type": "application/json"}
    monkeypatch.setattr(transfer, "MAX_EXPORT_BYTES", len(body) - 1)
    refused = target.post("/v1.0/templates/import", content=body, headers=headers)
    assert refused.status_code == 413
    assert f"larger than {len(body) - 1} bytes" in refused.json()["Message"]
    monkeypatch.setattr(transfer, "MAX_EXPORT_BYTES", len(body))
    accepted = target.post("/v1.0/templates/import", content=body, headers=headers)
    assert accepted.status_code == 201


def test_export_of_an_unknown_template_and_the_schema(source: httpx.Client) -> None:
    assert (
        source.get("/v1.0/templates/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f/export").status_code == 404
    )
    schema = source.get("/v1.0/templates/export-schema").json()
    assert schema["title"] == "TemplateExport"
    assert set(schema["required"]) == {"Format", "FormatVersion", "Template", "Releases"}
    assert {"ExportedTemplate", "ExportedRelease", "TemplateDocument", "ConnectorDefinition"} <= (
        set(schema["$defs"])
    )
