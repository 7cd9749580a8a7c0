"""A template's whole life through the API: built, published, installed, set up, activated,
deactivated and upgraded, with two connectors calling a real API on loopback."""

from __future__ import annotations

import copy

import httpx

from tests.cycles.builders import authenticate, life_template, publish, steps_by_name
from tests.fixtures.saas import ContactsApi


def test_whole_life(clients: tuple[httpx.Client, httpx.Client], saas: ContactsApi) -> None:
    partner, account = clients
    template_id = publish(partner, life_template())

    installed = account.post(f"/v1.0/templates/{template_id}/install")
    assert installed.status_code == 200, installed.text
    cycle = installed.json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    assert cycle["Status"] == "Paused"
    assert sorted((c["Name"], c["StepCount"]) for c in cycle["Connectors"]) == [
        ("Test Contacts", 2),
        ("Test Mailing", 1),
    ]
    steps = steps_by_name(account, cycle["Id"])
    subscribe = steps["Subscribe"]["Id"]
    unmet = account.get(f"{path}/prerequisites").json()
    assert sorted(p["ReasonCode"] for p in unmet) == [20, 20, 30]
    assert next(p for p in unmet if p["ReasonCode"] == 30)["ObjectId"] == subscribe

    authenticate(account, cycle, saas.base_url)
    step_unmet = account.get(f"/v1.0/steps/{subscribe}/prerequisites").json()
    assert [(p["ReasonCode"], p["ObjectType"]) for p in step_unmet] == [
        (40, "Parameter"),
        (41, "ConnectorFieldMapping"),
    ]
    parameter_id, field_id = (p["ObjectId"] for p in step_unmet)

    # The list parameter: its choices come from the connector's trigger, on the real API.
    parameters = account.get(f"/v1.0/steps/{subscribe}/parameters").json()
    assert [(p["Parameter"]["Id"], p["Parameter"]["Name"]) for p in parameters] == [
        (parameter_id, "Mailing list")
    ]
    assert parameters[0]["Parameter"]["Triggers"][0]["Name"] == "lists"
    choices = account.post(f"/v1.0/steps/{subscribe}/parameters/{parameter_id}/lookup", json={})
    assert choices.status_code == 200, choices.text
    assert choices.json() == [{"Name": "Active", "Value": "a"}]
    chosen = account.put(
        f"/v1.0/steps/{subscribe}/parameters/{parameter_id}",
        json={
            "MappingType": "ValueList",
            "Value": "a",
            "TriggerValueDisplayName": "Active",
            "IsLaunchVisible": True,
        },
    )
    assert chosen.status_code == 200, chosen.text
    assert (chosen.json()["MappingType"], chosen.json()["Value"]) == ("ValueList", "a")

    # The email field: from the trigger's data, not from a step on the other branch.
    sources = account.get(f"/v1.0/steps/{subscribe}/fieldsformapping").json()
    assert {s["StepName"] for s in sources} == {"List contacts"}
    email = next(f for f in sources if f["SystemField"] == "Email")
    other_branch = account.put(
        f"/v1.0/steps/{subscribe}/fieldmappings/{field_id}",
        json={
            "MappingType": "StepData",
            "SourceStepId": steps["Create contact"]["Id"],
            "SourceField": "Id",
        },
    )
    assert other_branch.status_code == 400
    assert other_branch.json()["Message"] == (
        "SourceStepId: step 'Subscribe' (subscribe) maps from step 'Create contact' (create), "
        "which does not always run before it (it runs later, or on another branch)"
    )
    mapped = account.put(
        f"/v1.0/steps/{subscribe}/fieldmappings/{field_id}",
        json={
            "MappingType": "StepData",
            "SourceStepId": steps["List contacts"]["Id"],
            "SourceFieldId": email["Id"],
            "IsLaunchVisible": True,
        },
    )
    assert mapped.status_code == 200, mapped.text
    assert mapped.json()["SourceField"] == "Email"
    assert mapped.json()["SourceFieldId"] == email["Id"]
    assert account.get(f"/v1.0/steps/{subscribe}/prerequisites").json() == []
    assert account.get(f"{path}/prerequisites").json() == []

    active = account.put(f"{path}/activate", json={"Interval": 60})
    assert active.status_code == 200, active.text
    assert active.json()["Status"] == "Active"
    for refused in (
        account.post(f"{path}/steps", json={"Name": "Stop", "StepType": "Stop"}),
        account.put(f"{path}/steps/{subscribe}", json={"Name": "Renamed"}),
        account.delete(f"{path}/edges/{account.get(f'{path}/edges').json()[0]['Id']}"),
        account.put(
            f"/v1.0/steps/{subscribe}/fieldmappings/{field_id}", json={"MappingType": "Ignore"}
        ),
    ):
        assert refused.status_code == 409, refused.text
        assert "deactivate it before changing it" in refused.json()["Message"]
    assert account.put(f"{path}/deactivate").json()["Status"] == "Paused"
    assert account.put(f"{path}/variables/Domain", json={"Value": "acme.test"}).status_code == 200

    # Release 2: the variable becomes the user's to set, and a step is renamed.
    assert account.get("/v1.0/cycles/upgradeable").json() == []
    second = copy.deepcopy(life_template())
    second["Variables"][0]["IsLaunchVisible"] = True
    second["Steps"][3]["Name"] = "Create CRM contact"
    assert partner.post(f"/v1.0/templates/{template_id}/releases", json=second).status_code == 201
    assert (
        partner.put(
            f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"}
        ).status_code
        == 200
    )
    assert [c["Id"] for c in account.get("/v1.0/cycles/upgradeable").json()] == [cycle["Id"]]
    upgraded = account.put(f"{path}/upgrade")
    assert upgraded.status_code == 200, upgraded.text
    report = upgraded.json()
    assert (report["FromVersion"], report["ToVersion"], report["NotCarriedOver"]) == (1, 2, [])
    assert report["Cycle"]["TemplateReleaseId"] != cycle["TemplateReleaseId"]
    after = steps_by_name(account, cycle["Id"])
    assert after["Subscribe"]["Id"] == subscribe  # Ids of kept steps stay
    assert "Create CRM contact" in after
    assert account.get(f"{path}/variables/Domain").json()["Value"] == "acme.test"
    assert account.get(f"{path}/prerequisites").json() == []
    assert account.get(f"/v1.0/steps/{subscribe}/parameters/{parameter_id}").json()["Value"] == "a"
    assert account.get("/v1.0/cycles/upgradeable").json() == []
    again = account.put(f"{path}/upgrade")
    assert again.status_code == 409
    assert "already runs release 2" in again.json()["Message"]
