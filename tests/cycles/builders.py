"""Connectors and templates the cycle tests build on, and small API helpers."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.saas import API_KEY


def mailing_definition() -> dict[str, Any]:
    """A second connector: subscribes addresses to a list chosen with a look-up."""
    return {
        "Name": "Test Mailing",
        "Version": "1.0",
        "ReleaseStatus": "Live",
        "BaseUrl": "{{ApiBase}}",
        "Authentication": [
            {
                "Id": "apikey",
                "AuthType": "ApiKey",
                "ApiKey": {"Location": "HttpHeader", "Name": "X-Api-Key"},
            }
        ],
        "Parameters": [
            {"TargetType": "MergeField", "TargetName": "ApiBase", "AccountConnectorProperty": True}
        ],
        "Methods": [
            {
                "Name": "Subscribe",
                "MethodUniqueIdentifier": "subscribe",
                "HttpMethod": "POST",
                "Endpoint": "/contacts",
                "Parameters": [
                    {
                        "TargetType": "QueryString",
                        "TargetName": "list",
                        "DisplayName": "Mailing list",
                        "TriggerName": "lists",
                    }
                ],
                "RequestFields": [
                    {"ConnectorField": "email", "SystemField": "Email", "Optional": False}
                ],
                "ResponseFields": [{"ConnectorField": "id", "SystemField": "Id"}],
            },
            {
                "Name": "Lists",
                "MethodUniqueIdentifier": "lists",
                "Hidden": True,
                "Endpoint": "/statuses",
                "ResponseFields": [{"ConnectorField": "[statuses].code", "SystemField": "Code"}],
            },
        ],
        "Triggers": [
            {
                "Name": "lists",
                "MethodUniqueIdentifier": "lists",
                "IdentifierKey": "[statuses].code",
                "HumanReadableKey": "[statuses].label",
            }
        ],
    }


def life_template() -> dict[str, Any]:
    """A trigger, a decision, and an action on each of its exits."""
    return {
        "Name": "Contacts to the mailing list",
        "Variables": [{"SystemName": "Domain", "Value": "example.com"}],
        "Steps": [
            {
                "Key": "list",
                "Name": "List contacts",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-list",
            },
            {
                "Key": "check",
                "Name": "Ours?",
                "StepType": "Decision",
                "Conditions": [
                    {
                        "Left": {
                            "MappingType": "StepData",
                            "SourceStepKey": "list",
                            "SourceField": "Email",
                        },
                        "Operator": "Contains",
                        "Right": {"MappingType": "Variable", "VariableName": "Domain"},
                    }
                ],
            },
            {
                "Key": "subscribe",
                "Name": "Subscribe",
                "ConnectorName": "Test Mailing",
                "MethodUniqueIdentifier": "subscribe",
            },
            {
                "Key": "create",
                "Name": "Create contact",
                "ConnectorName": "Test Contacts",
                "MethodUniqueIdentifier": "contacts-create",
                "FieldMappings": [
                    {
                        "Name": "Email",
                        "MappingType": "StepData",
                        "SourceStepKey": "list",
                        "SourceField": "Email",
                    }
                ],
            },
        ],
        "Edges": [
            {"TailStepKey": "list", "HeadStepKey": "check"},
            {"TailStepKey": "check", "HeadStepKey": "subscribe", "EdgeType": "True"},
            {"TailStepKey": "check", "HeadStepKey": "create", "EdgeType": "False"},
        ],
    }


def publish(partner: httpx.Client, document: dict[str, Any]) -> str:
    created = partner.post("/v1.0/templates", json=document)
    assert created.status_code == 201, created.text
    template_id: str = created.json()["Id"]
    live = partner.put(f"/v1.0/templates/{template_id}/releases/1/status", json={"Status": "Live"})
    assert live.status_code == 200, live.text
    return template_id


def authenticate(account: httpx.Client, cycle: dict[str, Any], base_url: str) -> None:
    for connector in cycle["Connectors"]:
        ac = connector["AccountConnectorId"]
        done = account.put(f"/v1.0/account/connectors/{ac}", json={"AuthValue": API_KEY})
        assert done.status_code == 200, done.text
        set_base = account.post(
            f"/v1.0/account/connectors/{ac}/properties",
            json={"Name": "ApiBase", "Value": base_url},
        )
        assert set_base.status_code in (200, 201), set_base.text


def steps_by_name(account: httpx.Client, cycle_id: str) -> dict[str, dict[str, Any]]:
    return {s["Name"]: s for s in account.get(f"/v1.0/cycles/{cycle_id}/steps").json()}
