"""Cross Updating Preventer: Update OK compares with what the opposite direction stored,
and its step leaves by a True or False exit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from junction.utilities.operations import UtilityError
from tests.cycles.builders import publish
from tests.engine.hooks import hook_step, hooks_definition, wait_for
from tests.fixtures.server import Junction
from tests.utilities.test_storage import install, operate


def test_update_ok_compares_with_the_opposite_direction(junction: Junction) -> None:
    _, xup = install(junction, "Cross Updating Preventer")
    values = {"CommonKey": "ann@example.com", "Field1": "Ann", "Field2": "Leeds"}
    assert operate(junction, "xup/update-ok-outbound", xup, **values) == [
        {"CommonKey": "ann@example.com", "Result": True}
    ]
    operate(junction, "xup/store-inbound", xup, **values)
    assert operate(junction, "xup/update-ok-outbound", xup, **values)[0]["Result"] is False
    assert operate(junction, "xup/update-ok-inbound", xup, **values)[0]["Result"] is True
    changed = values | {"Field2": "York"}
    assert operate(junction, "xup/update-ok-outbound", xup, **changed)[0]["Result"] is True
    operate(junction, "xup/store-inbound", xup, **changed)
    assert operate(junction, "xup/update-ok-outbound", xup, **changed)[0]["Result"] is False
    # Another installed connector (another kind of object) keeps its own data.
    _, other = install(junction, "Cross Updating Preventer")
    assert operate(junction, "xup/update-ok-outbound", other, **changed)[0]["Result"] is True


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Field1": "a"}, "CommonKey: required"),
        (
            {"CommonKey": "k" * 129, "Field1": "a"},
            "CommonKey: 129 characters; at most 128 are allowed",
        ),
        ({"CommonKey": "k"}, "Field1: map at least one field to compare"),
        (
            {"CommonKey": "k", "Field1": "x" * 17000},
            "Field1: the fields hold more than 16384 characters",
        ),
    ],
)
def test_bad_input(junction: Junction, inputs: dict[str, Any], message: str) -> None:
    _, xup = install(junction, "Cross Updating Preventer")
    with pytest.raises(UtilityError) as raised:
        operate(junction, "xup/store-inbound", xup, **inputs)
    assert raised.value.message == message


def template(exit_type: str) -> dict[str, Any]:
    def field(name: str, source: str) -> dict[str, str]:
        return {
            "Name": name,
            "MappingType": "StepData",
            "SourceStepKey": "hook",
            "SourceField": source,
        }

    mapped = [field("CommonKey", "Email"), field("Field1", "Name")]
    return {
        "Name": "Only real changes",
        "Steps": [
            hook_step(),
            {
                "Key": "ok",
                "Name": "Update OK",
                "ConnectorName": "Cross Updating Preventer",
                "MethodUniqueIdentifier": "update-ok-inbound",
                "FieldMappings": mapped,
            },
            {
                "Key": "store",
                "Name": "Store",
                "ConnectorName": "Cross Updating Preventer",
                "MethodUniqueIdentifier": "store-inbound",
                "FieldMappings": mapped,
            },
            {"Key": "same", "Name": "Same", "StepType": "Stop"},
        ],
        "Edges": [
            {"TailStepKey": "hook", "HeadStepKey": "ok"},
            {"TailStepKey": "ok", "HeadStepKey": "store", "EdgeType": exit_type},
            {"TailStepKey": "ok", "HeadStepKey": "same", "EdgeType": "False"},
        ],
    }


def test_a_cycle_goes_on_only_for_real_changes(junction: Junction) -> None:
    account, xup = install(junction, "Cross Updating Preventer")
    partner = junction.http(junction.token())
    assert partner.post("/v1.0/connectors", json=hooks_definition()).status_code == 201
    # Update OK leaves by True and False exits, as a decision does.
    draft = partner.post("/v1.0/templates", json=template("Forward")).json()
    live = partner.put(f"/v1.0/templates/{draft['Id']}/releases/1/status", json={"Status": "Live"})
    assert live.status_code == 400
    assert "is a decision: its exits are True and False" in live.text
    template_id = publish(partner, template("True"))
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    activated = account.put(f"/v1.0/cycles/{cycle['Id']}/activate", json={})
    assert activated.status_code == 200, activated.text
    url = activated.json()["Webhooks"][0]["Url"]

    def run(name: str) -> list[str]:
        answer = httpx.post(url, json={"email": "ann@example.com", "name": name})
        path = f"/v1.0/cycles/{cycle['Id']}/transactions/{answer.json()['TransactionId']}"
        wait_for(lambda: account.get(f"{path}/summary").json()["Status"] == "Completed")
        return [step["StepName"] for step in account.get(path).json()]

    assert run("Ann") == ["Contact created", "Update OK", "Store"]
    # What the other system's cycle (the outbound one) stored is what Update OK (Inbound)
    # compares with: the same values are an echo of its own update, and stop.
    operate(junction, "xup/store-outbound", xup, CommonKey="ann@example.com", Field1="Ann")
    assert run("Ann") == ["Contact created", "Update OK", "Same"]
    assert run("Anna") == ["Contact created", "Update OK", "Store"]


def test_a_conditional_method_needs_builtin_or_an_action_condition_handler(
    junction: Junction,
) -> None:
    partner = junction.http(junction.token())
    definition = {
        "Name": "Not builtin",
        "Version": "1.0",
        "BaseUrl": "https://api.example.com",
        "Methods": [
            {"Name": "M", "MethodUniqueIdentifier": "m", "Endpoint": "/m", "Conditional": True}
        ],
    }
    refused = partner.post("/v1.0/connectors", json=definition)
    assert refused.status_code == 400
    assert "Methods[0].Conditional: a method decides a True or False exit with an " in refused.text
    assert partner.get("/v1.0/connectors/Not builtin").status_code == 404
