"""POST /v1.0/import/cyclr: Cyclr connector and template exports, converted and reported."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fixtures.server import Junction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cyclr"
TEMPLATE_ID = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
TRIGGER_KEY = "a3c1e2f4-5b6d-4e7f-8091-a2b3c4d5e6f7"
IMPORT = "/v1.0/import/cyclr"


def connector_export() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "acme-crm-connector.json").read_text())
    return document


def template_export() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "newsletter-template.json").read_text())
    return document


@pytest.fixture
def partner(junction: Junction) -> httpx.Client:
    return junction.http(junction.token())


def _locations(answer: dict[str, Any]) -> set[str]:
    return {note["Location"] for note in answer["NotCarriedOver"]}


def test_a_connector_export_is_imported_with_a_report(partner: httpx.Client) -> None:
    answer = partner.post(IMPORT, json=connector_export())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["Kind"], body["DryRun"], body["Imported"], body["Problems"]) == (
        "Connector",
        False,
        True,
        [],
    )
    [added] = body["Connectors"]
    assert (added["Name"], added["Version"], added["Outcome"]) == ("Acme CRM", "1.0", "Added")
    # Field by field, located in the Cyclr document.
    assert {
        "UniqueIdentifier",
        "Status",
        "Billable",
        "Deprecations",
        "ProductAddon.Currency",
        "Authentication[1]",
        "Parameters[1].Multiline",
        "Parameters[2].TargetType",
        "Methods[0].Warning",
        "Methods[0].Script",
        "Methods[0].Subcategory",
        "Methods[0].ResponseFormat[0].IsReadOnly",
        "Methods[0].ResponseFormat[4].DataType",
        "Methods[1].Comments",
        "Methods[1].RequestFormat[2].Values",
        "Methods[3].Endpoint",
        "Methods[4].DataType",
        "Methods[5].MethodType",
        "Triggers[0].Name",
    } == _locations(body)

    stored = partner.get(f"/v1.0/connectors/{added['Id']}")
    assert stored.status_code == 200, stored.text
    methods = partner.get(f"/v1.0/connectors/{added['Id']}/methods").json()
    # The method ids (GUIDs) are kept: templates find methods by them.
    assert [m["MethodUniqueIdentifier"] for m in methods] == [
        "8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60",
        "c9f0f895-fb98-4ab9-a2d5-3e4f5a6b7c81",
        "45c48cce-2e2d-4fbd-8a1b-9c0d1e2f3a4b",
        "d3d94468-02a4-4e8f-9b6c-7d8e9f0a1b2c",
    ]
    definition = body["Converted"]
    create = definition["Methods"][1]
    # Cyclr: a field without Optional is required.
    assert [(f["SystemField"], f["Optional"]) for f in create["RequestFields"]] == [
        ("Email", False),
        ("FirstName", True),
        ("Tags", True),
    ]
    assert create["Parameters"][0]["TriggerName"] == "Get_Lists"
    assert definition["Triggers"][0]["MethodUniqueIdentifier"] == (
        "45c48cce-2e2d-4fbd-8a1b-9c0d1e2f3a4b"
    )
    assert create["RateLimits"] == [{"Requests": 1, "IntervalSeconds": 2}]
    assert definition["RateLimits"] == [{"Requests": 5, "IntervalSeconds": 1}]
    assert definition["Authentication"][0]["OAuth2"]["Scopes"] == [
        "contacts.read",
        "contacts.write",
    ]
    assert definition["Categories"] == ["CRM", "Marketing"]

    again = partner.post(IMPORT, json=connector_export())
    assert again.status_code == 201
    assert again.json()["Connectors"][0]["Outcome"] == "AlreadyHere"
    assert again.json()["Connectors"][0]["Id"] == added["Id"]


def test_a_dry_run_only_reports(partner: httpx.Client) -> None:
    answer = partner.post(f"{IMPORT}?dryRun=true", json=connector_export())
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["DryRun"], body["Imported"]) == (True, False)
    assert body["Connectors"][0]["Outcome"] == "WouldAdd"
    assert "Authentication[1]" in _locations(body)
    assert [c["Name"] for c in partner.get("/v1.0/connectors").json()] == []

    template = partner.post(f"{IMPORT}?dryRun=true", json=template_export())
    assert template.status_code == 200, template.text
    assert template.json()["Template"]["Id"] == TEMPLATE_ID
    assert partner.get(f"/v1.0/templates/{TEMPLATE_ID}").status_code == 404


def test_a_template_export_is_imported_with_its_ids(partner: httpx.Client) -> None:
    answer = partner.post(IMPORT, json=template_export())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["Template"] == {
        "Id": TEMPLATE_ID,
        "Name": "New Acme contacts to the newsletter",
    }
    assert [(c["Name"], c["Version"], c["Outcome"]) for c in body["Connectors"]] == [
        ("Acme CRM", "2.0", "Added")
    ]
    assert body["PublishingProblems"] == []
    assert {
        "ReleaseStatus",
        "Version",
        "FolderId",
        "Connectors[0].UniqueIdentifier",
        "Connectors[1]",
        "Steps[0].WebhookKeyMappings",
        "Steps[3].FieldMappings[3].MappingType",
        "Steps[5].ActionType",
        "Variables[1].SystemName",
        "Edges[4]",
    } <= _locations(body)

    release = partner.get(f"/v1.0/templates/{TEMPLATE_ID}/releases/1")
    assert release.status_code == 200, release.text
    assert release.json()["Status"] == "Draft"
    document = release.json()["Document"]
    # Step ids (GUIDs, in Cyclr's lower case) are the steps' keys.
    assert [s["Key"] for s in document["Steps"]] == [
        TRIGGER_KEY,
        "b7e2d1c0-9f8e-4d7c-a6b5-c4d3e2f1a0b9",
        "e4f5a6b7-c8d9-4e0f-9a1b-2c3d4e5f6a7b",
        "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b",
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    ]
    assert [e["EdgeType"] for e in document["Edges"]] == ["Forward", "True", "False", "Forward"]
    assert document["Settings"]["StepErrorAction"] == "Retry"
    assert document["Settings"]["CollectionSplitType"] == "AllSteps"
    assert document["Steps"][2]["DelaySeconds"] == 60
    decision = document["Steps"][1]["Conditions"][0]
    assert decision["Left"]["SourceStepKey"] == TRIGGER_KEY
    assert decision["Left"]["SourceField"] == "Email"
    assert decision["Right"]["VariableName"] == "InternalDomain"
    mappings = {m["Name"]: m for m in document["Steps"][3]["FieldMappings"]}
    assert set(mappings) == {"Email", "FirstName"}
    assert document["Steps"][3]["Parameters"][0]["TriggerValue"] == "L-100"

    # Reviewed, it publishes as any Junction release does.
    published = partner.put(
        f"/v1.0/templates/{TEMPLATE_ID}/releases/1/status", json={"Status": "Live"}
    )
    assert published.status_code == 200, published.text

    again = partner.post(IMPORT, json=template_export())
    assert again.status_code == 409
    assert TEMPLATE_ID in again.json()["Message"]
    dry = partner.post(f"{IMPORT}?dryRun=true", json=template_export()).json()
    assert dry["Problems"] == [
        {"Location": "Id", "Message": f"a template with Id '{TEMPLATE_ID}' is already here"}
    ]
    assert dry["Connectors"][0]["Outcome"] == "AlreadyHere"


def test_publishing_problems_are_reported(partner: httpx.Client) -> None:
    export = template_export()
    del export["Edges"][3]  # the delay no longer leads to the last step
    body = partner.post(f"{IMPORT}?dryRun=true", json=export).json()
    assert body["Problems"] == []
    assert body["PublishingProblems"], body


def test_an_id_that_is_not_a_guid_gets_a_new_one(partner: httpx.Client) -> None:
    export = template_export() | {"Id": "template-7"}
    body = partner.post(IMPORT, json=export).json()
    assert body["Template"]["Id"] != "template-7"
    assert "Id" in _locations(body)
    assert partner.get(f"/v1.0/templates/{body['Template']['Id']}").status_code == 200


def _broken_connector() -> dict[str, Any]:
    export = connector_export()
    export["Methods"][0]["Endpoint"] = "https://api.acme-crm.example/{{Nowhere}}/contacts"
    return export


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param(b"{not json", "The Cyclr export is not valid JSON", id="not-json"),
        pytest.param(b"[]", "The Cyclr export is not a JSON object", id="array"),
        pytest.param(b'{"Name": "Something"}', "neither a template export", id="neither-kind"),
        pytest.param(b'{"Name": "A\\u0000", "Methods": []}', "NUL", id="nul"),
    ],
)
def test_what_is_not_a_cyclr_export_is_refused(
    partner: httpx.Client, body: bytes, message: str
) -> None:
    answer = partner.post(IMPORT, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["Message"]


def test_a_conversion_that_is_not_valid_is_refused(partner: httpx.Client) -> None:
    refused = partner.post(IMPORT, json=_broken_connector())
    assert refused.status_code == 400, refused.text
    locations = [p["Location"] for p in refused.json()["Problems"]]
    assert locations == ["Converted.Methods[0].Endpoint"]
    assert partner.get("/v1.0/connectors").json() == []
    dry = partner.post(f"{IMPORT}?dryRun=true", json=_broken_connector())
    assert dry.status_code == 200
    assert [p["Location"] for p in dry.json()["Problems"]] == locations


def test_a_different_live_release_is_a_conflict(partner: httpx.Client) -> None:
    live = connector_export() | {"ReleaseStatus": "Live"}
    assert partner.post(IMPORT, json=live).status_code == 201
    changed = copy.deepcopy(live)
    changed["Description"] = "Changed after release."
    refused = partner.post(IMPORT, json=changed)
    assert refused.status_code == 409, refused.text
    dry = partner.post(f"{IMPORT}?dryRun=true", json=changed).json()
    assert dry["Connectors"][0]["Outcome"] == "Different"


def test_an_account_token_cannot_import(junction: Junction) -> None:
    partner = junction.http(junction.token())
    assert partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
    account = junction.http(junction.token(scope="account:acme"))
    refused = account.post(IMPORT, json=connector_export())
    assert refused.status_code in (401, 403), refused.text
