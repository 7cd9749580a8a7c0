"""Installing templates into accounts as cycles."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.connectors.test_catalog_api import contacts_definition
from tests.fixtures.server import Junction
from tests.templates.test_template_graph import template


def _live_template(partner: httpx.Client, document: dict[str, Any] | None = None) -> str:
    created = partner.post("/v1.0/templates", json=document or template())
    assert created.status_code == 201, created.text
    template_id: str = created.json()["Id"]
    live = partner.put(f"/v1.0/templates/{template_id}/releases/1/status", json={"Status": "Live"})
    assert live.status_code == 200, live.text
    return template_id


@pytest.fixture
def clients(junction: Junction) -> tuple[httpx.Client, httpx.Client]:
    """A partner client (with the contacts connector) and a client acting in 'acme'."""
    token = junction.token()
    partner = junction.http(token)
    assert partner.post("/v1.0/connectors", json=contacts_definition()).status_code == 201
    partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"})
    return partner, junction.http(token, account="acme")


def test_install_creates_a_paused_cycle_and_its_connectors(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    template_id = _live_template(partner)
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={})
    assert cycle.status_code == 200, cycle.text
    body = cycle.json()
    assert body["Status"] == "Paused"
    assert body["TemplateId"] == template_id
    assert [(c["Name"], c["StepCount"], c["Authenticated"]) for c in body["Connectors"]] == [
        ("Test Contacts", 2, False)
    ]
    installed = account.get("/v1.0/account/connectors").json()
    assert [c["Id"] for c in installed] == [body["Connectors"][0]["AccountConnectorId"]]

    again = account.post(f"/v1.0/templates/{template_id}/install").json()
    assert (
        again["Connectors"][0]["AccountConnectorId"] == body["Connectors"][0]["AccountConnectorId"]
    )
    assert len(account.get("/v1.0/account/connectors").json()) == 1  # Existing: reused

    listed = account.get("/v1.0/cycles")
    assert {c["Id"] for c in listed.json()} == {body["Id"], again["Id"]}
    assert listed.headers["total-records"] == "2"
    assert account.get(f"/v1.0/cycles/{body['Id']}").json() == body
    assert account.delete(f"/v1.0/cycles/{body['Id']}").status_code == 200
    assert account.get(f"/v1.0/cycles/{body['Id']}").status_code == 404


def test_fresh_installation_always_adds_connectors(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    template_id = _live_template(
        partner, template() | {"Settings": {"ConnectorInstallation": "Fresh"}}
    )
    first = account.post(f"/v1.0/templates/{template_id}/install").json()
    second = account.post(f"/v1.0/templates/{template_id}/install").json()
    assert (
        first["Connectors"][0]["AccountConnectorId"]
        != second["Connectors"][0]["AccountConnectorId"]
    )


def test_refused_installs(junction: Junction, clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    draft_only = partner.post("/v1.0/templates", json=template()).json()["Id"]
    refused = account.post(f"/v1.0/templates/{draft_only}/install")
    assert refused.status_code == 400
    assert "no Live release" in refused.json()["Message"]

    draft_connector = contacts_definition() | {"Name": "Draft Contacts", "ReleaseStatus": "Draft"}
    partner.post("/v1.0/connectors", json=draft_connector)
    document = template()
    for step in document["Steps"]:
        if step.get("ConnectorName"):
            step["ConnectorName"] = "Draft Contacts"
    on_draft = _live_template(partner, document)
    refused = account.post(f"/v1.0/templates/{on_draft}/install")
    assert refused.status_code == 400
    assert "is a draft and cannot be installed" in refused.json()["Message"]
    assert account.get("/v1.0/cycles").json() == []
    assert account.get("/v1.0/account/connectors").json() == []

    assert (
        account.post("/v1.0/templates/9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f/install").status_code
        == 404
    )


def test_cycles_are_private_to_their_account(
    junction: Junction, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    partner, account = clients
    cycle = account.post(f"/v1.0/templates/{_live_template(partner)}/install").json()
    partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"})
    with junction.http(partner.headers["Authorization"].split()[1], account="other") as other:
        assert other.get(f"/v1.0/cycles/{cycle['Id']}").status_code == 404
        assert other.get("/v1.0/cycles").json() == []
        assert other.delete(f"/v1.0/cycles/{cycle['Id']}").status_code == 404


def test_prerequisites_activation_and_deactivation(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    cycle = account.post(f"/v1.0/templates/{_live_template(partner)}/install").json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    ac = cycle["Connectors"][0]["AccountConnectorId"]
    unmet = account.get(f"{path}/prerequisites").json()
    assert unmet == [
        {
            "ReasonCode": 20,
            "Reason": "Connector 'Test Contacts' is not authenticated",
            "ObjectType": "AccountConnector",
            "ObjectId": ac,
        }
    ]
    refused = account.put(f"{path}/activate", json={"Interval": 15})
    assert refused.status_code == 400
    assert refused.json()["Prerequisites"] == unmet
    assert account.get(path).json()["Status"] == "Paused"

    account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "key"})
    account.post(
        f"/v1.0/account/connectors/{ac}/properties",
        json={"Name": "ApiBase", "Value": "https://x.example.com"},
    )
    assert account.get(f"{path}/prerequisites").json() == []

    bad = account.put(f"{path}/activate", json={"Interval": 7})
    assert bad.status_code == 400
    assert "Interval: 7 is not allowed" in bad.json()["Message"]
    missing = account.put(f"{path}/activate", json={})
    assert missing.status_code == 400
    assert "Interval" in missing.json()["Message"]

    active = account.put(
        f"{path}/activate", json={"Interval": 15, "StartTime": "2027-01-01T09:00:00"}
    )
    assert active.status_code == 200, active.text
    assert active.json()["Status"] == "Active"
    paused = account.put(f"{path}/deactivate", params={"finishQueuedTransactions": "true"})
    assert paused.json()["Status"] == "Paused"


def test_an_unmapped_required_field_is_a_prerequisite(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    document = template()
    document["Steps"][2]["FieldMappings"] = []  # Email (required) no longer mapped
    cycle = account.post(f"/v1.0/templates/{_live_template(partner, document)}/install").json()
    reasons = {
        p["ReasonCode"]: p for p in account.get(f"/v1.0/cycles/{cycle['Id']}/prerequisites").json()
    }
    create = next(
        s
        for s in account.get(f"/v1.0/cycles/{cycle['Id']}/steps").json()
        if s["Name"] == "Create contact"
    )
    assert reasons[30] == {
        "ReasonCode": 30,
        "Reason": "Step 'Create contact' needs values for field 'Email'",
        "ObjectType": "Action",
        "ObjectId": create["Id"],
    }
    email = next(
        f["Field"]["Id"]
        for f in account.get(f"/v1.0/steps/{create['Id']}/fieldmappings").json()
        if f["Field"]["Name"] in ("Email", "Email address")
    )
    assert account.get(f"/v1.0/steps/{create['Id']}/prerequisites").json() == [
        {
            "ReasonCode": 41,
            "Reason": "Field 'Email' needs a mapping",
            "ObjectType": "ConnectorFieldMapping",
            "ObjectId": email,
        }
    ]


def test_editing_a_cycle_and_its_variables(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    cycle = account.post(f"/v1.0/templates/{_live_template(partner)}/install").json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    assert account.get(f"{path}/variables").json() == [
        {
            "DisplayName": "Domain",
            "SystemName": "Domain",
            "Value": "example.com",
            "MappingType": "StaticValue",
            "IsLaunchVisible": False,
        }
    ]
    changed = account.put(f"{path}/variables/Domain", json={"Value": "acme.example"})
    assert changed.json()["Value"] == "acme.example"
    assert account.put(f"{path}/variables/Nope", json={"Value": "x"}).status_code == 404
    updated = account.put(path, json={"Name": "Renamed", "StepDataSuccessRetentionHours": 24})
    assert updated.status_code == 200, updated.text
    assert (updated.json()["Name"], updated.json()["StepDataSuccessRetentionHours"]) == (
        "Renamed",
        24,
    )
    bad = account.put(path, json={"StepDataErroredRetentionHours": -1})
    assert bad.status_code == 400
    assert "StepDataErroredRetentionHours" in bad.json()["Message"]

    ac = cycle["Connectors"][0]["AccountConnectorId"]
    account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": "key"})
    assert account.put(f"{path}/activate", json={"Interval": 60}).status_code == 200
    refused = account.put(path, json={"Name": "While active"})
    assert refused.status_code == 409
    assert "deactivate it" in refused.json()["Message"]
    assert account.put(f"{path}/variables/Domain", json={"Value": "x"}).status_code == 409
    assert account.get(path).json()["Name"] == "Renamed"
    assert account.get(f"{path}/variables").json()[0]["Value"] == "acme.example"


def test_cycle_steps(clients: tuple[httpx.Client, httpx.Client]) -> None:
    partner, account = clients
    cycle = account.post(f"/v1.0/templates/{_live_template(partner)}/install").json()
    steps = account.get(f"/v1.0/cycles/{cycle['Id']}/steps").json()
    assert [(s["Name"], s["StepType"], s.get("ActionType")) for s in steps] == [
        ("List contacts", "Method", "Get"),
        ("Has an email", "Decision", None),
        ("Create contact", "Method", "Action"),
        ("Not ours", "Stop", None),
        ("Note", "Annotation", None),
    ]
    assert steps[0]["MethodName"] == "List Contacts"
    assert steps[0]["AccountConnector"]["Id"] == cycle["Connectors"][0]["AccountConnectorId"]
    assert len({s["Id"] for s in steps}) == 5
