"""Webhook cycles: calls are stored before they are answered, then run to the target."""

from __future__ import annotations

import dataclasses
import time
from urllib.parse import urlsplit

import httpx

from junction.api.app import create_app
from tests.engine.hooks import (
    WebhookCycle,
    chain,
    create_step,
    hook_step,
    install_webhook_cycle,
    wait_for,
)
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction

Clients = tuple[httpx.Client, httpx.Client]


def simple(name: str = "Hook to contacts") -> dict[str, object]:
    return {"Name": name, "Steps": [hook_step(), create_step()], "Edges": chain("hook", "create")}


def test_a_webhook_call_reaches_the_target(clients: Clients, saas: ContactsApi) -> None:
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, simple())
    steps = account.get(f"/v1.0/cycles/{cycle.id}/steps").json()
    assert steps[0]["WebhookUrl"] == cycle.url
    assert steps[1]["WebhookUrl"] is None
    before = len(saas.state.contacts)
    answer = httpx.post(cycle.url, json={"email": "new@example.com", "name": "New"})
    assert answer.status_code == 200, answer.text
    done = cycle.wait_status(answer.json()["TransactionId"], "Completed")
    assert len(saas.state.contacts) == before + 1
    assert saas.state.contacts[-1]["email"] == "new@example.com"
    assert [s["StepName"] for s in done["Steps"]] == ["Contact created", "Create contact"]
    created = done["Steps"][1]
    assert created["Status"] == "Success"
    exchange = created["Exchanges"][0]
    assert (exchange["Method"], exchange["StatusCode"]) == ("POST", 201)
    assert '"new@example.com"' in exchange["RequestBody"]
    # The API key is never copied into step data.
    assert exchange["RequestHeaders"]["X-Api-Key"] != "saas-key-1"


def test_webhook_addresses_that_do_not_run(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, simple())
    unknown = httpx.post(f"{junction.base_url}/api/webhook/not-a-webhook", json={})
    assert (unknown.status_code, unknown.json()) == (404, {"Message": "No webhook at this address"})

    assert account.put(f"/v1.0/cycles/{cycle.id}/deactivate").status_code == 200
    paused = httpx.post(cycle.url, json={"email": "kept@example.com"})
    assert paused.status_code == 409
    assert "not running" in paused.json()["Message"]
    listed = account.get(f"/v1.0/cycles/{cycle.id}/transactions").json()
    assert listed == []  # nothing stored for a call that was refused


def test_a_body_over_the_limit_is_refused_with_413(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, simple())
    limit = junction.services.settings.webhook_max_bytes
    big = httpx.post(
        cycle.url, content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"}
    )
    assert big.status_code == 413
    assert str(limit) in big.json()["Message"]
    bad = httpx.post(cycle.url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert bad.json()["Message"].startswith("Body: not valid JSON")
    assert account.get(f"/v1.0/cycles/{cycle.id}/transactions").json() == []


def test_a_cycle_can_answer_the_webhook_call(clients: Clients, saas: ContactsApi) -> None:
    partner, account = clients
    document = {
        "Name": "Answering hook",
        "Steps": [
            hook_step(),
            create_step(),
            {
                "Key": "reply",
                "Name": "Reply",
                "StepType": "WebhookResponse",
                "ResponseStatus": 201,
                "FieldMappings": [
                    {
                        "Name": "contact.id",
                        "MappingType": "StepData",
                        "SourceStepKey": "create",
                        "SourceField": "Id",
                    },
                    {"Name": "ok", "MappingType": "StaticValue", "Value": "yes"},
                ],
            },
        ],
        "Edges": chain("hook", "create", "reply"),
    }
    cycle = install_webhook_cycle(partner, account, saas.base_url, document)
    answer = httpx.post(cycle.url, json={"email": "sync@example.com"}, timeout=30)
    assert answer.status_code == 201, answer.text
    assert answer.json() == {"contact": {"id": len(saas.state.contacts)}, "ok": "yes"}


def test_another_process_can_answer_the_webhook_call(
    junction: Junction, clients: Clients, saas: ContactsApi
) -> None:
    """The process that takes the call is not always the one that runs it (workers,
    replicas): the answer is then read from the step data, written as soon as the
    WebhookResponse step ran, long before the slow step after it ends."""
    partner, account = clients
    document = {
        "Name": "Answering early",
        "Steps": [
            hook_step(),
            {
                "Key": "reply",
                "Name": "Reply",
                "StepType": "WebhookResponse",
                "ResponseStatus": 202,
                "FieldMappings": [
                    {
                        "Name": "got",
                        "MappingType": "StepData",
                        "SourceStepKey": "hook",
                        "SourceField": "Email",
                    }
                ],
            },
            create_step(),
        ],
        "Edges": chain("hook", "reply", "create"),
    }
    cycle = install_webhook_cycle(partner, account, saas.base_url, document)
    # The call goes to a process with no engine of its own: the same services without one.
    intake_only = create_app(dataclasses.replace(junction.services, engine=None))

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=intake_only)
        async with httpx.AsyncClient(transport=transport, base_url=junction.base_url) as client:
            return await client.post(
                urlsplit(cycle.url).path, json={"email": "early@example.com"}, timeout=30
            )

    saas.state.delay_seconds = 3
    try:
        started = time.monotonic()
        answer = junction.run(post())
        waited = time.monotonic() - started
    finally:
        saas.state.delay_seconds = 0
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"got": "early@example.com"}
    assert waited < 2.5, "answered before the slow step ended"
    cycle.wait_status(_only(cycle), "Completed")


def _only(cycle: WebhookCycle) -> str:
    listed = cycle.account.get(f"/v1.0/cycles/{cycle.id}/transactions").json()
    assert len(listed) == 1, listed
    transaction_id: str = listed[0]["Id"]
    return transaction_id


def test_a_run_once_webhook_cycle_pauses_after_its_first_call(
    clients: Clients, saas: ContactsApi
) -> None:
    partner, account = clients
    cycle = install_webhook_cycle(partner, account, saas.base_url, simple(), {"RunOnce": True})
    first = httpx.post(cycle.url, json={"email": "once@example.com"})
    assert first.status_code == 200
    cycle.wait_status(first.json()["TransactionId"], "Completed")
    assert account.get(f"/v1.0/cycles/{cycle.id}").json()["Status"] == "Paused"
    assert httpx.post(cycle.url, json={"email": "twice@example.com"}).status_code == 409
    wait_for(lambda: saas.state.contacts[-1]["email"] == "once@example.com")
