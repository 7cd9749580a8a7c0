"""Cycles built in the account with the steps and edges API, and upgrade reports."""

from __future__ import annotations

import copy

import httpx

from tests.cycles.builders import (
    authenticate,
    life_template,
    mailing_definition,
    publish,
    steps_by_name,
)
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction


def _account_connector(account: httpx.Client, name: str) -> int:
    connectors = account.get("/v1.0/connectors").json()
    connector = next(c for c in connectors if c["Name"] == name)
    installed = account.post(f"/v1.0/connectors/{connector['Id']}/install", json={})
    assert installed.status_code == 200, installed.text
    ac: int = installed.json()["Id"]
    return ac


def test_build_a_cycle_step_by_step(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, account = clients
    created = account.post("/v1.0/cycles", json={"Name": "Hand made", "CollectionSplitType": "All"})
    assert created.status_code == 201, created.text
    cycle = created.json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    assert (cycle["Status"], cycle["TemplateId"], cycle["Connectors"]) == ("Paused", None, [])
    codes = [p["ReasonCode"] for p in account.get(f"{path}/prerequisites").json()]
    assert 10 in codes  # fewer than two steps

    ac = _account_connector(account, "Test Contacts")
    trigger = account.post(
        f"{path}/steps",
        json={
            "Name": "List contacts",
            "AccountConnectorId": ac,
            "MethodUniqueIdentifier": "contacts-list",
        },
    )
    assert trigger.status_code == 201, trigger.text
    decision = account.post(f"{path}/steps", json={"Name": "Ours?", "StepType": "Decision"})
    stop = account.post(f"{path}/steps", json={"Name": "Done", "StepType": "Stop"})
    other = account.post(f"{path}/steps", json={"Name": "Not ours", "StepType": "Stop"})
    ids = {r.json()["Name"]: r.json()["Id"] for r in (trigger, decision, stop, other)}
    assert trigger.json()["ActionType"] == "Get"
    assert trigger.json()["AccountConnector"]["Id"] == ac

    def edge(tail: str, head: str, kind: str = "Forward") -> httpx.Response:
        return account.post(
            f"{path}/edges",
            json={"TailStepId": ids[tail], "HeadStepId": ids[head], "EdgeType": kind},
        )

    assert edge("List contacts", "Ours?").status_code == 201
    refusals = {
        "forward-from-decision": (
            edge("Ours?", "Done"),
            "EdgeType: an exit of step 'Ours?' must be True or False",
        ),
        "second-exit": (
            edge("List contacts", "Done"),
            "TailStepId: step 'List contacts' already has its exit",
        ),
        "loop": (
            edge("Ours?", "List contacts", "True"),
            "HeadStepId: step 'List contacts' already leads to 'Ours?'; the edge would make a loop",
        ),
        "from-stop": (
            edge("Done", "Ours?"),
            "TailStepId: step 'Done' is a Stop step and has no exit",
        ),
        "self": (edge("Done", "Done"), "HeadStepId: step 'Done' cannot lead to itself"),
    }
    for name, (response, message) in refusals.items():
        assert response.status_code == 400, name
        assert response.json()["Message"] == message, name
    assert edge("Ours?", "Done", "True").status_code == 201
    assert edge("Ours?", "Not ours", "False").status_code == 201
    assert len(account.get(f"{path}/edges").json()) == 3

    # The decision has no condition yet: code 31 names it.
    unmet = account.get(f"{path}/prerequisites").json()
    assert [(p["ReasonCode"], p["ObjectId"]) for p in unmet if p["ReasonCode"] != 20] == [
        (31, ids["Ours?"])
    ]
    refused = account.put(f"{path}/activate", json={"Interval": 5})
    assert refused.status_code == 400
    assert 31 in [p["ReasonCode"] for p in refused.json()["Prerequisites"]]

    condition = {
        "Left": {
            "MappingType": "StepData",
            "SourceStepKey": trigger.json()["StepKey"],
            "SourceField": "Email",
        },
        "Operator": "IsNotEmpty",
    }
    changed = account.put(f"{path}/steps/{ids['Ours?']}", json={"Conditions": [condition]})
    assert changed.status_code == 200, changed.text
    assert changed.json()["Conditions"][0]["Operator"] == "IsNotEmpty"
    assert [p["ReasonCode"] for p in account.get(f"{path}/prerequisites").json()] == [20]

    # Deleting a step takes its edges with it.
    assert account.delete(f"{path}/steps/{ids['Not ours']}").status_code == 200
    assert len(account.get(f"{path}/edges").json()) == 2
    assert account.get(f"{path}/steps/{ids['Not ours']}").status_code == 404
    left = account.get(f"{path}/prerequisites").json()
    assert [p["Reason"] for p in left if p["ReasonCode"] == 11] == [
        f"step 'Ours?' ({ids['Ours?']}) needs exactly one False exit, not 0 (end a branch with a "
        "Stop step)"
    ]


def test_bad_steps_and_edges(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, account = clients
    path = f"/v1.0/cycles/{account.post('/v1.0/cycles', json={'Name': 'X'}).json()['Id']}"
    ac = _account_connector(account, "Test Contacts")
    cases = [
        ({"Name": "A", "StepType": "Loop"}, "StepType"),
        ({"Name": "A"}, "AccountConnectorId, MethodUniqueIdentifier: a method step needs both"),
        (
            {"Name": "A", "AccountConnectorId": ac, "MethodUniqueIdentifier": "nope"},
            "MethodUniqueIdentifier: connector 'Test Contacts' 1.0 has no method 'nope'",
        ),
        ({"Name": "A", "StepType": "Stop", "AccountConnectorId": ac}, "AccountConnectorId"),
        ({"StepType": "Stop"}, "Name: required"),
        ({"Name": "A", "StepType": "Delay", "DelaySeconds": 0}, "DelaySeconds"),
    ]
    for body, message in cases:
        response = account.post(f"{path}/steps", json=body)
        assert response.status_code == 400, body
        assert message in response.json()["Message"], (body, response.text)
    assert account.get(f"{path}/steps").json() == []
    missing = account.post(f"{path}/edges", json={"TailStepId": "x", "HeadStepId": "y"})
    assert missing.status_code == 400
    assert missing.json()["Message"] == "TailStepId: Cycle 'X' has no step with Id 'x'"
    assert account.post("/v1.0/cycles", json={"Name": ""}).status_code == 400
    bad_split = account.post("/v1.0/cycles", json={"Name": "Y", "CollectionSplitType": "Some"})
    assert bad_split.status_code == 400
    assert "CollectionSplitType" in bad_split.json()["Message"]


def test_ids_in_a_body_name_the_accounts_own_objects(
    junction: Junction, clients: tuple[httpx.Client, httpx.Client]
) -> None:
    """Another account's account connector or step, named in a body, gets the answer of an
    Id that exists nowhere: a 400 naming the field, and nothing stored changes."""
    partner, account = clients
    assert partner.post("/v1.0/accounts", json={"Id": "other", "Name": "Other"}).status_code == 200
    token = partner.headers["Authorization"].removeprefix("Bearer ")
    other = junction.http(token, account="other")
    theirs_ac = _account_connector(other, "Test Contacts")
    theirs = other.post("/v1.0/cycles", json={"Name": "Theirs"}).json()["Id"]
    their_step = other.post(
        f"/v1.0/cycles/{theirs}/steps", json={"Name": "Their stop", "StepType": "Stop"}
    ).json()["Id"]
    path = f"/v1.0/cycles/{account.post('/v1.0/cycles', json={'Name': 'Mine'}).json()['Id']}"
    ours_ac = _account_connector(account, "Test Contacts")
    step = account.post(
        f"{path}/steps",
        json={
            "Name": "Get",
            "AccountConnectorId": ours_ac,
            "MethodUniqueIdentifier": "contacts-get",
        },
    ).json()["Id"]
    before = (account.get(f"{path}/steps").json(), other.get(f"/v1.0/cycles/{theirs}/steps").json())

    for foreign, label in ((theirs_ac, "another account's"), (987654, "an unknown")):
        method = {"AccountConnectorId": foreign, "MethodUniqueIdentifier": "contacts-list"}
        expected = f"AccountConnectorId: No account connector with Id {foreign} in this account"
        for response in (
            account.post(f"{path}/steps", json={"Name": "Theirs", **method}),
            account.put(f"{path}/steps/{step}", json=method),
        ):
            assert response.status_code == 400, (label, response.text)
            assert response.json()["Message"] == expected, label
    for foreign_step in (their_step, "no-such-step"):
        for body, field in (
            ({"TailStepId": foreign_step, "HeadStepId": step}, "TailStepId"),
            ({"TailStepId": step, "HeadStepId": foreign_step}, "HeadStepId"),
        ):
            response = account.post(f"{path}/edges", json=body)
            assert response.status_code == 400, response.text
            assert response.json()["Message"] == (
                f"{field}: Cycle 'Mine' has no step with Id '{foreign_step}'"
            )
    after = (account.get(f"{path}/steps").json(), other.get(f"/v1.0/cycles/{theirs}/steps").json())
    assert after == before
    assert account.get(f"{path}/edges").json() == []


def test_variables_api(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, account = clients
    path = f"/v1.0/cycles/{account.post('/v1.0/cycles', json={'Name': 'V'}).json()['Id']}"
    added = account.post(f"{path}/variables", json={"SystemName": "Region", "Value": "eu"})
    assert added.status_code == 200, added.text
    assert account.post(f"{path}/variables", json={"SystemName": "Region"}).status_code == 409
    assert account.post(f"{path}/variables", json={"SystemName": "9bad"}).status_code == 400
    account.post(f"{path}/variables", json={"SystemName": "Tier", "Value": "1"})
    patched = account.patch(
        f"{path}/variables",
        json=[{"SystemName": "Region", "Value": "us"}, {"SystemName": "Tier", "Value": "2"}],
    )
    assert [v["Value"] for v in patched.json()] == ["us", "2"]
    unknown = account.patch(
        f"{path}/variables",
        json=[{"SystemName": "Tier", "Value": "3"}, {"SystemName": "Nope", "Value": "x"}],
    )
    assert unknown.status_code == 400
    assert unknown.json()["Message"] == "[1].SystemName: cycle 'V' has no variable 'Nope'"
    assert account.get(f"{path}/variables/Tier").json()["Value"] == "2"  # nothing was set
    assert account.delete(f"{path}/variables/Tier").status_code == 200
    assert account.get(f"{path}/variables/Tier").status_code == 404
    assert [v["SystemName"] for v in account.get(f"{path}/variables").json()] == ["Region"]


def test_upgrade_reports_what_it_cannot_carry(
    clients: tuple[httpx.Client, httpx.Client],
    saas: ContactsApi,
) -> None:
    partner, account = clients
    first = life_template()
    first["Steps"][3]["FieldMappings"].append(
        {"Name": "Name", "MappingType": "StaticValue", "Value": "x", "IsLaunchVisible": True}
    )
    first["Steps"][2]["FieldMappings"] = [
        {
            "Name": "Email",
            "MappingType": "StepData",
            "SourceStepKey": "list",
            "SourceField": "Email",
        }
    ]
    first["Steps"][2]["Parameters"] = [{"Name": "list", "MappingType": "StaticValue", "Value": "a"}]
    template_id = publish(partner, first)
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    authenticate(account, cycle, saas.base_url)
    create = steps_by_name(account, cycle["Id"])["Create contact"]["Id"]
    name_field = next(
        f["Field"]["Id"]
        for f in account.get(f"/v1.0/steps/{create}/fieldmappings").json()
        if f["Field"]["Name"] == "Name"
    )
    account.put(
        f"/v1.0/steps/{create}/fieldmappings/{name_field}",
        json={"MappingType": "StaticValue", "Value": "Chosen by the user"},
    )
    assert account.put(f"{path}/activate", json={"Interval": 60}).status_code == 200

    # Release 2 drops the step the user set up, and the list parameter needs a value again.
    second = copy.deepcopy(first)
    second["Steps"] = second["Steps"][:3]
    second["Steps"][2]["Parameters"] = []
    second["Steps"].append({"Key": "skip", "Name": "Skip", "StepType": "Stop"})
    second["Edges"][2]["HeadStepKey"] = "skip"
    partner.post(f"/v1.0/templates/{template_id}/releases", json=second)
    partner.put(f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"})

    upgraded = partner.post(f"/v1.0/templates/{template_id}/upgrade-installed")
    assert upgraded.status_code == 200, upgraded.text
    [report] = upgraded.json()
    assert report["CycleId"] == cycle["Id"]
    assert report["NotCarriedOver"] == [
        {
            "StepName": "Create contact",
            "Input": "Name",
            "Reason": "the new release has no such step",
        }
    ]
    assert report["Deactivated"] is True
    assert account.get(path).json()["Status"] == "Paused"
    assert [p["ReasonCode"] for p in account.get(f"{path}/prerequisites").json()] == [30]
    assert partner.post(f"/v1.0/templates/{template_id}/upgrade-installed").json() == []


def test_refusals_of_step_setup(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    cycle = account.post(f"/v1.0/templates/{publish(partner, life_template())}/install").json()
    steps = steps_by_name(account, cycle["Id"])
    subscribe = steps["Subscribe"]["Id"]
    field_id = account.get(f"/v1.0/steps/{subscribe}/fieldmappings").json()[0]["Field"]["Id"]
    url = f"/v1.0/steps/{subscribe}/fieldmappings/{field_id}"
    cases = [
        ({"MappingType": "Variable", "VariableName": "Nope"}, "VariableName: step 'Subscribe'"),
        ({"MappingType": "Script", "Value": "1 + 1"}, "starting with '='"),
        ({"MappingType": "StaticValue"}, "needs a Value"),
        ({"MappingType": "StepData", "SourceStepId": "ghost"}, "SourceStepId: Cycle"),
        (
            {
                "MappingType": "StepData",
                "SourceStepId": steps["List contacts"]["Id"],
                "SourceFieldId": 1,
            },
            "SourceFieldId: step 'List contacts' returns no field with Id 1",
        ),
        ({"MappingType": "Sometimes"}, "MappingType"),
    ]
    for body, message in cases:
        response = account.put(url, json=body)
        assert response.status_code == 400, body
        assert message in response.json()["Message"], (body, response.text)
    assert account.get(url).json()["MappingType"] == "Ignore"  # nothing stored
    assert (
        account.put(
            f"/v1.0/steps/{subscribe}/fieldmappings/999999", json={"MappingType": "Ignore"}
        ).status_code
        == 404
    )
    assert account.get("/v1.0/steps/not-a-step/parameters").status_code == 400  # no GUID
    decision = steps["Ours?"]["Id"]
    assert account.get(f"/v1.0/steps/{decision}/parameters").status_code == 400


def test_upgrade_keeps_what_the_account_set(
    clients: tuple[httpx.Client, httpx.Client], saas: ContactsApi
) -> None:
    partner, account = clients
    template_id = publish(partner, life_template())
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    path = f"/v1.0/cycles/{cycle['Id']}"
    steps = steps_by_name(account, cycle["Id"])
    subscribe, create = steps["Subscribe"]["Id"], steps["Create contact"]["Id"]
    parameter = account.get(f"/v1.0/steps/{subscribe}/parameters").json()[0]["Parameter"]["Id"]
    # Set without IsLaunchVisible: the template left it to the account all the same.
    account.put(
        f"/v1.0/steps/{subscribe}/parameters/{parameter}",
        json={"MappingType": "StaticValue", "Value": "weekly"},
    )
    # The create step moves to a second account connector of the same connector; its
    # mappings stay, as it calls the same method.
    second = _account_connector(account, "Test Contacts")
    moved = account.put(f"{path}/steps/{create}", json={"AccountConnectorId": second})
    assert moved.json()["AccountConnector"]["Id"] == second
    email = account.get(f"/v1.0/steps/{create}/fieldmappings").json()[0]
    assert (email["MappingType"], email["SourceField"]) == ("StepData", "Email")
    note = account.post(f"{path}/steps", json={"Name": "Mine", "StepType": "Annotation"})
    assert note.status_code == 201, note.text
    bad = account.put(f"{path}/steps/{steps['Ours?']['Id']}", json={"Conditions": None})
    assert bad.status_code == 400
    assert bad.json()["Message"].startswith("Conditions: ")

    newer = life_template() | {"Description": "Second"}
    partner.post(f"/v1.0/templates/{template_id}/releases", json=newer)
    partner.put(f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"})
    report = account.put(f"{path}/upgrade").json()
    assert report["NotCarriedOver"] == [
        {
            "StepName": "Mine",
            "Input": "(step)",
            "Reason": "the step was added to the cycle; the release replaces the cycle's steps",
        }
    ]
    kept = account.get(f"/v1.0/steps/{subscribe}/parameters/{parameter}").json()
    assert (kept["MappingType"], kept["Value"]) == ("StaticValue", "weekly")
    after = steps_by_name(account, cycle["Id"])
    assert after["Create contact"]["AccountConnector"]["Id"] == second
    assert after["List contacts"]["AccountConnector"]["Id"] != second
    assert "Mine" not in after


def test_a_cycle_that_cannot_upgrade_is_reported_and_left_alone(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    partner, account = clients
    draft = mailing_definition() | {"Name": "Draft Mailing", "ReleaseStatus": "Draft"}
    assert partner.post("/v1.0/connectors", json=draft).status_code == 201
    template_id = publish(partner, life_template())
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    newer = life_template()
    newer["Steps"][2]["ConnectorName"] = "Draft Mailing"
    partner.post(f"/v1.0/templates/{template_id}/releases", json=newer)
    live = partner.put(f"/v1.0/templates/{template_id}/releases/2/status", json={"Status": "Live"})
    assert live.status_code == 200, live.text

    [report] = partner.post(f"/v1.0/templates/{template_id}/upgrade-installed").json()
    assert report["CycleId"] == cycle["Id"]
    assert "'Draft Mailing' 1.0, which is a draft" in report["Error"]
    assert account.get(f"/v1.0/cycles/{cycle['Id']}").json() == cycle
    assert [s["Name"] for s in account.get(f"/v1.0/cycles/{cycle['Id']}/steps").json()] == [
        "List contacts",
        "Ours?",
        "Subscribe",
        "Create contact",
    ]
