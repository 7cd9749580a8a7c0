"""End to end: a cycle maps an account connector's custom fields. A webhook brings an order,
the Create order step sends custom request fields (found by the enhanced lookup), and the
Add note step maps a custom response field of Create order (found by the basic lookup)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from junction.engine.transactions import ENDED
from tests.connectors.custom_fields_helpers import Installed, install_orders
from tests.cycles.builders import publish
from tests.engine.hooks import wait_for
from tests.fixtures.orders import ORDERS_CONNECTOR, OrdersApi
from tests.fixtures.server import Junction

FOUND = 20  # every field the Orders connector's lookups describe (see test_custom_field_discovery)


@pytest.fixture
def orders() -> Iterator[OrdersApi]:
    with OrdersApi() as api:
        yield api


def _template() -> dict[str, Any]:
    return {
        "Name": "Orders with custom fields",
        "Steps": [
            {
                "Key": "hook",
                "Name": "Order placed",
                "ConnectorName": ORDERS_CONNECTOR,
                "MethodUniqueIdentifier": "order-hook",
            },
            {
                "Key": "create",
                "Name": "Create order",
                "ConnectorName": ORDERS_CONNECTOR,
                "MethodUniqueIdentifier": "orders-create",
                "FieldMappings": [
                    {
                        "Name": "Customer",
                        "MappingType": "StepData",
                        "SourceStepKey": "hook",
                        "SourceField": "Customer",
                    }
                ],
            },
            {
                "Key": "note",
                "Name": "Add note",
                "ConnectorName": ORDERS_CONNECTOR,
                "MethodUniqueIdentifier": "notes-add",
            },
        ],
        "Edges": [
            {"TailStepKey": "hook", "HeadStepKey": "create"},
            {"TailStepKey": "create", "HeadStepKey": "note"},
        ],
    }


def _by_name(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {item[key]["Name"]: item for item in items}


def _install_cycle(junction: Junction, orders: OrdersApi) -> tuple[Installed, str, dict[str, str]]:
    installed = install_orders(junction, orders)
    wait_for(lambda: len(installed.fields()) == FOUND)
    template_id = publish(installed.partner, _template())
    cycle = installed.account.post(f"/v1.0/templates/{template_id}/install")
    assert cycle.status_code == 200, cycle.text
    assert [c["AccountConnectorId"] for c in cycle.json()["Connectors"]] == [
        installed.account_connector_id
    ]
    steps = installed.account.get(f"/v1.0/cycles/{cycle.json()['Id']}/steps").json()
    return installed, cycle.json()["Id"], {s["StepKey"]: s["Id"] for s in steps}


def _map(api: httpx.Client, step_id: str, field_id: int, mapping: dict[str, Any]) -> None:
    done = api.put(f"/v1.0/steps/{step_id}/fieldmappings/{field_id}", json=mapping)
    assert done.status_code == 200, done.text


def test_a_cycle_sends_and_hands_on_custom_fields(junction: Junction, orders: OrdersApi) -> None:
    installed, cycle_id, steps = _install_cycle(junction, orders)
    api = installed.account

    listed = api.get(f"/v1.0/steps/{steps['create']}/fieldmappings")
    assert listed.status_code == 200, listed.text
    inputs = _by_name(listed.json(), "Field")
    # Read-only and hidden custom fields are not offered; the others follow the method's own.
    assert list(inputs) == [
        "Customer",
        "Priority level",
        "Due date",
        "Region",
        "Channel",
        "Rush",
        "Weight",
    ]
    priority = inputs["Priority level"]["Field"]
    assert priority["Id"] < 0
    assert priority["DataType"] == "Integer"
    assert priority["IsOptional"] is False
    assert inputs["Region"]["Field"]["Values"] == [
        {"Value": "UK", "Label": "United Kingdom"},
        {"Value": "US", "Label": "United States"},
    ]
    _map(api, steps["create"], priority["Id"], {"MappingType": "StaticValue", "Value": "5"})
    _map(
        api,
        steps["create"],
        inputs["Region"]["Field"]["Id"],
        {"MappingType": "StaticValue", "Value": "UK"},
    )
    mapped = api.get(f"/v1.0/steps/{steps['create']}/fieldmappings/{priority['Id']}").json()
    assert mapped["MappingType"] == "StaticValue"
    assert mapped["Value"] == "5"

    sources = api.get(f"/v1.0/steps/{steps['note']}/fieldsformapping")
    assert sources.status_code == 200, sources.text
    tracking = next(
        f
        for f in sources.json()
        if f["StepId"] == steps["create"] and f["SystemField"] == "tracking_code"
    )
    assert tracking["Id"] < 0
    assert tracking["Name"] == "Tracking Code"
    text_field = _by_name(api.get(f"/v1.0/steps/{steps['note']}/fieldmappings").json(), "Field")
    _map(
        api,
        steps["note"],
        text_field["Text"]["Field"]["Id"],
        {
            "MappingType": "StepData",
            "SourceStepId": steps["create"],
            "SourceFieldId": tracking["Id"],
        },
    )
    stored = api.get(f"/v1.0/steps/{steps['note']}/fieldmappings").json()
    assert _by_name(stored, "Field")["Text"]["SourceFieldId"] == tracking["Id"]

    activated = api.put(f"/v1.0/cycles/{cycle_id}/activate", json={})
    assert activated.status_code == 200, activated.text
    url = activated.json()["Webhooks"][0]["Url"]
    assert httpx.post(url, json={"ref": "A1", "customer": "Ann"}).status_code == 200
    wait_for(lambda: len(orders.notes) == 1)
    assert orders.orders == [
        {
            "customer": "Ann",
            "priority_level": 5,
            "region": "UK",
            "source": "junction",  # hidden, with its default; internal_no is read-only
            "id": 1,
            "tracking_code": "T-1",
        }
    ]
    assert orders.notes == [{"text": "T-1"}]

    # A custom field changed while the cycle runs is used from the next transaction on.
    source = next(f for f in installed.fields() if f["ConnectorField"] == "source")
    changed = api.put(
        f"{installed.fields_url}/{source['Id']}",
        json={
            "ConnectorField": "source",
            "SystemField": "source",
            "MethodUniqueIdentifier": "orders-create",
            "ForRequestFormat": True,
            "IsHidden": True,
            "DefaultValue": "partner-app",
        },
    )
    assert changed.status_code == 200, changed.text
    assert httpx.post(url, json={"ref": "A2", "customer": "Bob"}).status_code == 200
    wait_for(lambda: len(orders.notes) == 2)
    assert orders.orders[1]["source"] == "partner-app"
    assert orders.orders[1]["customer"] == "Bob"
    assert orders.notes[1] == {"text": "T-2"}

    def statuses() -> list[str]:
        listed = api.get(f"/v1.0/cycles/{cycle_id}/transactions", params={"pageSize": 10})
        return sorted(t["Status"] for t in listed.json())

    # The last call reached the API before the transaction's last checkpoint is written.
    wait_for(lambda: all(status in ENDED for status in statuses()))
    assert statuses() == ["Completed", "Completed"]
