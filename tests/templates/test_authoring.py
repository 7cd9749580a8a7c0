"""Editing a Draft release piece by piece gives the same document as writing it whole."""

from __future__ import annotations

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction
from tests.templates.test_template_graph import template


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    client = junction.http(junction.token())
    assert client.post("/v1.0/connectors", json=contacts_definition()).status_code == 201
    return client


def test_build_a_release_piece_by_piece(partner: httpx.Client) -> None:
    whole = template()
    created = partner.post("/v1.0/templates", json={"Name": whole["Name"]})
    assert created.status_code == 201, created.text
    draft = f"/v1.0/templates/{created.json()['Id']}/releases/1"

    assert partner.put(f"{draft}/settings", json={"StepErrorAction": "Retry"}).status_code == 200
    assert partner.put(f"{draft}/settings", json={}).status_code == 200  # back to defaults
    for variable in whole["Variables"]:
        assert partner.post(f"{draft}/variables", json=variable).status_code == 201
    for step in whole["Steps"]:
        mappings = step.pop("FieldMappings", [])
        assert partner.post(f"{draft}/steps", json=step).status_code == 201, step
        for mapping in mappings:
            name = mapping.pop("Name")
            url = f"{draft}/steps/{step['Key']}/fieldmappings/{name}"
            assert partner.put(url, json=mapping).status_code == 200, mapping
    for edge in whole["Edges"]:
        assert partner.post(f"{draft}/edges", json=edge).status_code == 201, edge

    built = partner.get(draft).json()["Document"]
    expected = partner.post("/v1.0/templates", json=template()).json()["Id"]
    assert built == partner.get(f"/v1.0/templates/{expected}/releases/1").json()["Document"]

    # Changing and removing parts.
    temporary = {"Key": "wait", "Name": "Wait", "StepType": "Delay", "DelaySeconds": 60}
    partner.post(f"{draft}/steps", json=temporary)
    partner.post(f"{draft}/edges", json={"TailStepKey": "create", "HeadStepKey": "wait"})
    renamed = partner.put(f"{draft}/steps/wait", json=temporary | {"Name": "Pause"})
    assert [s["Name"] for s in renamed.json()["Document"]["Steps"]][-1] == "Pause"
    gone = partner.delete(f"{draft}/steps/wait").json()["Document"]
    assert gone == built  # its edge went with it
    partner.put(f"{draft}/variables/Domain", json={"SystemName": "Domain", "Value": "x.test"})
    assert partner.get(draft).json()["Document"]["Variables"][0]["Value"] == "x.test"
    ignored = partner.put(f"{draft}/steps/create/fieldmappings/Vip", json={"MappingType": "Ignore"})
    assert [m["Name"] for m in ignored.json()["Document"]["Steps"][2]["FieldMappings"]] == ["Email"]
    assert partner.delete(f"{draft}/edges/check/end").status_code == 200
    assert partner.delete(f"{draft}/variables/Domain").status_code == 200


def test_refusals(partner: httpx.Client) -> None:
    template_id = partner.post("/v1.0/templates", json=template()).json()["Id"]
    draft = f"/v1.0/templates/{template_id}/releases/1"
    cases = [
        (
            partner.post(f"{draft}/steps", json={"Key": "list", "Name": "Again"}),
            409,
            "Key: the release already has a step 'list'",
        ),
        (
            partner.put(f"{draft}/steps/list", json={"Key": "other", "Name": "X"}),
            400,
            "Key: 'other' is not the step being replaced, 'list'",
        ),
        (
            partner.put(f"{draft}/steps/ghost", json={"Key": "ghost", "Name": "X"}),
            404,
            "no step with Key 'ghost'",
        ),
        (
            partner.post(f"{draft}/edges", json={"TailStepKey": "list", "HeadStepKey": "ghost"}),
            400,
            "HeadStepKey: the release has no step with Key 'ghost'",
        ),
        (
            partner.post(f"{draft}/edges", json={"TailStepKey": "list", "HeadStepKey": "check"}),
            409,
            "already exists",
        ),
        (partner.delete(f"{draft}/edges/check/list"), 404, "no edge from 'check' to 'list'"),
        (
            partner.post(f"{draft}/variables", json={"SystemName": "domain"}),
            409,
            "already has a variable",
        ),
        (partner.delete(f"{draft}/variables/Nope"), 404, "no variable 'Nope'"),
        (
            partner.put(f"{draft}/steps/list/headers/X", json={"MappingType": "Ignore"}),
            404,
            "use parameters or fieldmappings",
        ),
        (partner.put(f"{draft}/settings", json={"RetryAttempts": 9}), 400, "RetryAttempts"),
    ]
    for response, status, message in cases:
        assert response.status_code == status, response.text
        assert message in response.json()["Message"], response.text
    before = partner.get(draft).json()["Document"]
    assert before["Steps"][0]["Name"] == "List contacts"  # no refused change was stored
    assert [v["SystemName"] for v in before["Variables"]] == ["Domain"]

    assert partner.put(f"{draft}/status", json={"Status": "Live"}).status_code == 200
    locked = partner.post(f"{draft}/variables", json={"SystemName": "Late"})
    assert locked.status_code == 409
    assert locked.json()["Message"].startswith("Release 1 is Live; only a Draft can change.")
    assert partner.get(draft).json()["Document"] == before
