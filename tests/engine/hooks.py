"""A webhook connector and a small webhook cycle, for the engine's tests."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.cycles.builders import authenticate, publish
from tests.fixtures.transactions import transaction_detail


def hooks_definition() -> dict[str, Any]:
    return {
        "Name": "Test Hooks",
        "Version": "1.0",
        "BaseUrl": "https://hooks.example.com",
        "ReleaseStatus": "Live",
        "Methods": [
            {
                "Name": "Contact created",
                "MethodUniqueIdentifier": "contact-hook",
                "MethodType": "Webhook",
                "Endpoint": "/hooks",
                "ResponseFields": [
                    {"ConnectorField": "email", "SystemField": "Email"},
                    {"ConnectorField": "name", "SystemField": "Name"},
                ],
            }
        ],
    }


def hook_step() -> dict[str, Any]:
    return {
        "Key": "hook",
        "Name": "Contact created",
        "ConnectorName": "Test Hooks",
        "MethodUniqueIdentifier": "contact-hook",
    }


def create_step(source: str = "hook") -> dict[str, Any]:
    return {
        "Key": "create",
        "Name": "Create contact",
        "ConnectorName": "Test Contacts",
        "MethodUniqueIdentifier": "contacts-create",
        "FieldMappings": [
            {
                "Name": "Email",
                "MappingType": "StepData",
                "SourceStepKey": source,
                "SourceField": "Email",
            }
        ],
    }


def chain(*keys: str) -> list[dict[str, str]]:
    return [{"TailStepKey": a, "HeadStepKey": b} for a, b in itertools.pairwise(keys)]


@dataclass
class WebhookCycle:
    id: str
    url: str
    account: httpx.Client

    def transaction(self, transaction_id: str) -> dict[str, Any]:
        return transaction_detail(self.account, self.id, transaction_id)

    def wait_status(self, transaction_id: str, *statuses: str) -> dict[str, Any]:
        wait_for(lambda: self.transaction(transaction_id)["Status"] in statuses)
        return self.transaction(transaction_id)


def install_webhook_cycle(
    partner: httpx.Client,
    account: httpx.Client,
    api_base: str,
    document: dict[str, Any],
    activate: dict[str, Any] | None = None,
) -> WebhookCycle:
    """Publish ``document`` (Test Hooks connector added if missing), install and activate."""
    partner.post("/v1.0/connectors", json=hooks_definition())
    template_id = publish(partner, document)
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    authenticate(
        account,
        {"Connectors": [c for c in cycle["Connectors"] if c["Name"] != "Test Hooks"]},
        api_base,
    )
    activated = account.put(f"/v1.0/cycles/{cycle['Id']}/activate", json=activate or {})
    assert activated.status_code == 200, activated.text
    return WebhookCycle(cycle["Id"], activated.json()["Webhooks"][0]["Url"], account)


def wait_for(predicate: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)
