"""Webhooks installed at the third-party API: a cycle whose trigger's webhook method names a
CreateWebhookMethod registers its webhook URL at the API when activated, and deletes it
again (DeleteWebhookMethod) when deactivated or deleted. The API is a real server on
loopback (``ShopApi``); everything goes through Junction's HTTP API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from junction.cycles.models import CycleStep
from tests.cycles.builders import authenticate, publish, steps_by_name
from tests.engine.hooks import WebhookCycle, chain, create_step
from tests.fixtures.saas import ContactsApi
from tests.fixtures.server import Junction
from tests.fixtures.shop_hooks import ShopApi, shop_definition

Clients = tuple[httpx.Client, httpx.Client]


@pytest.fixture
def shop() -> Iterator[ShopApi]:
    with ShopApi() as api:
        yield api


@dataclass
class ShopCycle:
    id: str
    trigger_id: str
    webhook_url: str
    shop_connector_id: int
    account: httpx.Client

    @property
    def path(self) -> str:
        return f"/v1.0/cycles/{self.id}"

    def activate(self, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.account.put(f"{self.path}/activate", json=body or {})

    def deactivate(self) -> httpx.Response:
        return self.account.put(f"{self.path}/deactivate")

    def status(self) -> str:
        status: str = self.account.get(self.path).json()["Status"]
        return status


def install(
    partner: httpx.Client,
    account: httpx.Client,
    saas: ContactsApi,
    shop: ShopApi,
    *,
    installs: bool = True,
    shop_base: str | None = None,
) -> ShopCycle:
    """Orders from the shop's webhook become contacts; every connector authenticated."""
    added = partner.post("/v1.0/connectors", json=shop_definition(installs=installs))
    assert added.status_code == 201, added.text
    template_id = publish(
        partner,
        {
            "Name": "Orders to contacts",
            "Steps": [
                {
                    "Key": "order",
                    "Name": "Order created",
                    "ConnectorName": "Test Shop",
                    "MethodUniqueIdentifier": "order-created",
                },
                create_step("order"),
            ],
            "Edges": chain("order", "create"),
        },
    )
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    shop_connector = next(c for c in cycle["Connectors"] if c["Name"] == "Test Shop")
    others = [c for c in cycle["Connectors"] if c["Name"] != "Test Shop"]
    authenticate(account, {"Connectors": others}, saas.base_url)
    authenticate(account, {"Connectors": [shop_connector]}, shop_base or shop.base_url)
    trigger = steps_by_name(account, cycle["Id"])["Order created"]
    return ShopCycle(
        cycle["Id"],
        trigger["Id"],
        trigger["WebhookUrl"],
        shop_connector["AccountConnectorId"],
        account,
    )


def stored_id(junction: Junction, step_id: str) -> str | None:
    """The webhook id kept on the step (not shown by the API)."""

    async def read() -> str | None:
        async with junction.services.database.transaction(read_only=True) as session:
            value: str | None = await session.scalar(
                select(CycleStep.external_webhook_id).where(CycleStep.id == step_id)
            )
            return value

    return junction.run(read())


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_activation_installs_the_webhook_and_deactivation_deletes_it(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)

    activated = cycle.activate()
    assert activated.status_code == 200, activated.text
    assert activated.json()["Webhooks"][0]["Url"] == cycle.webhook_url
    created = shop.requests_to("POST", "/webhooks")
    assert [r.json() for r in created] == [{"url": cycle.webhook_url, "event": "order.created"}]
    assert shop.hooks == {"wh-1": {"url": cycle.webhook_url, "event": "order.created"}}
    assert stored_id(junction, cycle.trigger_id) == "wh-1"

    # The shop calls the registered URL: a transaction runs as for any webhook cycle.
    answer = httpx.post(cycle.webhook_url, json={"email": "buyer@example.com", "total": 12})
    assert answer.status_code == 200, answer.text
    done = WebhookCycle(cycle.id, cycle.webhook_url, account).wait_status(
        answer.json()["TransactionId"], "Completed"
    )
    assert [s["StepName"] for s in done["Steps"]] == ["Order created", "Create contact"]
    assert saas.state.contacts[-1]["email"] == "buyer@example.com"

    paused = cycle.deactivate()
    assert paused.status_code == 200, paused.text
    assert (paused.json()["Status"], paused.json()["Warnings"]) == ("Paused", [])
    assert [(r.method, r.status) for r in shop.requests_to("DELETE", "/webhooks/wh-1")] == [
        ("DELETE", 204)
    ]
    assert shop.hooks == {}
    assert stored_id(junction, cycle.trigger_id) is None

    # Active again: a new webhook, with a new id, at the same URL.
    assert cycle.activate().status_code == 200
    assert shop.hooks == {"wh-2": {"url": cycle.webhook_url, "event": "order.created"}}
    assert stored_id(junction, cycle.trigger_id) == "wh-2"

    # Activating an active cycle again leaves its webhook alone.
    again = cycle.activate()
    assert again.status_code == 200, again.text
    assert len(shop.requests_to("POST", "/webhooks")) == 2

    # Deleting the active cycle deletes its webhook too.
    deleted = account.delete(cycle.path)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"Message": "Cycle 'Orders to contacts' deleted."}
    assert shop.hooks == {}
    assert len(shop.requests_to("DELETE", "/webhooks/wh-2")) == 1


def test_activation_refused_before_any_call(
    clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    wrong = cycle.activate({"Interval": 7})
    assert wrong.status_code == 400
    assert wrong.json()["Message"].startswith("Interval: 7 is not allowed")

    # Not authenticated: the unmet prerequisite is reported, the shop is not called.
    signed_out = account.put(f"/v1.0/account/connectors/{cycle.shop_connector_id}/deauthenticate")
    assert signed_out.status_code == 200, signed_out.text
    unmet = cycle.activate()
    assert unmet.status_code == 400
    assert [p["ReasonCode"] for p in unmet.json()["Prerequisites"]] == [20]
    assert shop.requests == []
    assert cycle.status() == "Paused"


@pytest.mark.parametrize(
    "failure",
    [
        pytest.param("status", id="api-answers-500"),
        pytest.param("unreachable", id="api-unreachable"),
        pytest.param("no-id", id="answer-without-id"),
    ],
)
def test_a_failed_install_refuses_the_activation(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi, failure: str
) -> None:
    partner, account = clients
    shop_base = closed_port_url() if failure == "unreachable" else None
    cycle = install(partner, account, saas, shop, shop_base=shop_base)
    if failure == "status":
        shop.fail_next(1, 500)
    shop.answer_without_id = failure == "no-id"

    refused = cycle.activate()

    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["Message"].startswith(
        "Step 'Order created': its webhook could not be installed at the Test Shop API: "
    )
    assert (body["StepId"], body["StepName"]) == (cycle.trigger_id, "Order created")
    expected = {
        "status": "The connector's API answered HTTP 500",
        "unreachable": "127.0.0.1",
        "no-id": "the API answered HTTP 201 without a webhook id",
    }[failure]
    assert expected in body["Message"]
    assert body.get("UpstreamStatus") == (500 if failure == "status" else None)
    assert cycle.status() == "Paused"
    assert stored_id(junction, cycle.trigger_id) is None
    paused = httpx.post(cycle.webhook_url, json={"email": "early@example.com"})
    assert paused.status_code == 409

    # Once the API works, the same activation goes through.
    shop.answer_without_id = False
    if failure == "unreachable":
        shop_connector = {"AccountConnectorId": cycle.shop_connector_id}
        authenticate(account, {"Connectors": [shop_connector]}, shop.base_url)
    activated = cycle.activate()
    assert activated.status_code == 200, activated.text
    assert stored_id(junction, cycle.trigger_id) in shop.hooks


def test_a_failed_delete_pauses_anyway_and_is_retried(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    assert cycle.activate().status_code == 200

    shop.fail_next(1, 500)
    paused = cycle.deactivate()
    assert paused.status_code == 200, paused.text
    assert paused.json()["Status"] == "Paused"
    [warning] = paused.json()["Warnings"]
    assert (warning["StepId"], warning["StepName"], warning["WebhookId"]) == (
        cycle.trigger_id,
        "Order created",
        "wh-1",
    )
    assert "HTTP 500" in warning["Message"]
    assert "tries again" in warning["Message"]
    assert stored_id(junction, cycle.trigger_id) == "wh-1"  # kept, to delete it later
    assert list(shop.hooks) == ["wh-1"]

    # Activation deletes the old webhook before it installs a new one.
    shop.clear_requests()
    assert cycle.activate().status_code == 200
    assert [(r.method, r.path) for r in shop.requests] == [
        ("DELETE", "/webhooks/wh-1"),
        ("POST", "/webhooks"),
    ]
    assert list(shop.hooks) == ["wh-2"]
    assert stored_id(junction, cycle.trigger_id) == "wh-2"

    # It fails again on the next pause, and a second pause deletes it.
    shop.fail_next(1, 500)
    assert len(cycle.deactivate().json()["Warnings"]) == 1
    again = cycle.deactivate()
    assert (again.status_code, again.json()["Warnings"]) == (200, [])
    assert shop.hooks == {}
    assert stored_id(junction, cycle.trigger_id) is None


def test_a_stale_webhook_that_cannot_be_deleted_refuses_the_activation(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    assert cycle.activate().status_code == 200
    shop.fail_next(2, 500)  # the pause's delete, then the activation's
    assert cycle.deactivate().status_code == 200
    refused = cycle.activate()
    assert refused.status_code == 400
    assert "'wh-1' installed earlier could not be deleted first" in refused.json()["Message"]
    assert len(shop.requests_to("POST", "/webhooks")) == 1  # nothing new installed
    assert cycle.status() == "Paused"
    assert stored_id(junction, cycle.trigger_id) == "wh-1"


def test_a_webhook_already_gone_at_the_api_counts_as_deleted(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    assert cycle.activate().status_code == 200
    shop.fail_next(1, 404)
    paused = cycle.deactivate()
    assert paused.json()["Warnings"] == []
    assert stored_id(junction, cycle.trigger_id) is None


def test_deleting_a_cycle_whose_webhook_cannot_be_deleted(
    clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    assert cycle.activate().status_code == 200
    shop.fail_next(1, 500)
    deleted = account.delete(cycle.path)
    assert deleted.status_code == 200, deleted.text
    [warning] = deleted.json()["Warnings"]
    assert warning["WebhookId"] == "wh-1"
    assert account.get(cycle.path).status_code == 404


def test_a_cycle_changed_during_the_install_deletes_the_new_webhook(
    clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    shop.delay_seconds = 1.0
    with ThreadPoolExecutor(1) as pool:
        activating = pool.submit(cycle.activate)
        # While the shop takes its time, the trigger step is removed (the cycle is paused).
        while not shop.requests_to("POST", "/webhooks"):
            pass
        removed = account.delete(f"{cycle.path}/steps/{cycle.trigger_id}")
        assert removed.status_code == 200, removed.text
        refused = activating.result(timeout=30)
    assert refused.status_code in (400, 409), refused.text
    assert shop.hooks == {}  # the webhook the activation installed is deleted again
    assert cycle.status() == "Paused"


def test_concurrent_activations_leave_one_webhook(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop)
    shop.delay_seconds = 0.5
    other = httpx.Client(base_url=account.base_url, headers=account.headers, timeout=30)
    with other, ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda client: client.put(f"{cycle.path}/activate", json={}), [account, other])
        )
    assert [a.status_code for a in answers] == [200, 200]
    assert list(shop.hooks) == [stored_id(junction, cycle.trigger_id)]
    created = len(shop.requests_to("POST", "/webhooks"))
    deleted = len([r for r in shop.requests if r.method == "DELETE"])
    assert created - deleted == 1
    assert cycle.status() == "Active"


def test_a_webhook_method_without_install_methods_calls_nothing(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    partner, account = clients
    cycle = install(partner, account, saas, shop, installs=False)
    activated = cycle.activate()
    assert activated.status_code == 200, activated.text
    assert stored_id(junction, cycle.trigger_id) is None
    paused = cycle.deactivate()
    assert (paused.status_code, paused.json()["Warnings"]) == (200, [])
    assert account.delete(cycle.path).json() == {"Message": "Cycle 'Orders to contacts' deleted."}
    assert shop.requests == []


def test_the_trigger_steps_own_parameters_reach_the_create_and_delete_calls(
    junction: Junction, clients: Clients, saas: ContactsApi, shop: ShopApi
) -> None:
    """Webhooks that belong to an object chosen at set-up (a list, a board): the create and
    delete methods get the trigger step's parameter values under the same names."""
    partner, account = clients
    definition = shop_definition()
    store = {"TargetType": "QueryString", "TargetName": "store", "DisplayName": "Store"}
    for method in definition["Methods"]:
        method.setdefault("Parameters", []).append(dict(store))
    definition["Version"] = "1.1"
    added = partner.post("/v1.0/connectors", json=definition)
    assert added.status_code == 201, added.text
    template_id = publish(
        partner,
        {
            "Name": "Store orders",
            "Variables": [{"SystemName": "Region", "Value": "eu"}],
            "Steps": [
                {
                    "Key": "order",
                    "Name": "Order created",
                    "ConnectorName": "Test Shop",
                    "ConnectorVersion": "1.1",
                    "MethodUniqueIdentifier": "order-created",
                    "Parameters": [
                        {"Name": "store", "MappingType": "StaticValue", "Value": "{{Region}}-1"}
                    ],
                },
                create_step("order"),
            ],
            "Edges": chain("order", "create"),
        },
    )
    cycle = account.post(f"/v1.0/templates/{template_id}/install").json()
    shop_connector = next(c for c in cycle["Connectors"] if c["Name"] == "Test Shop")
    others = [c for c in cycle["Connectors"] if c["Name"] != "Test Shop"]
    authenticate(account, {"Connectors": others}, saas.base_url)
    authenticate(account, {"Connectors": [shop_connector]}, shop.base_url)
    path = f"/v1.0/cycles/{cycle['Id']}"
    activated = account.put(f"{path}/activate", json={})
    assert activated.status_code == 200, activated.text
    assert [r.query for r in shop.requests_to("POST", "/webhooks")] == [{"store": "eu-1"}]
    assert account.put(f"{path}/deactivate").status_code == 200
    assert [r.query for r in shop.requests_to("DELETE", "/webhooks/wh-1")] == [{"store": "eu-1"}]
