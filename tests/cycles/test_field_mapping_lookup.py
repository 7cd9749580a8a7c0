"""POST /v1.0/steps/{id}/fieldmappings/lookup: a step's custom fields looked up again (on a
real API on loopback) and its field mappings answered with what was found."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.connectors.custom_fields_helpers import Installed, install_orders, wait_for
from tests.cycles.builders import publish
from tests.fixtures.orders import ORDERS_CONNECTOR, OrdersApi
from tests.fixtures.server import Junction

FOUND = 20  # every field the Orders connector's lookups describe (see test_custom_field_discovery)


@pytest.fixture
def orders() -> Iterator[OrdersApi]:
    with OrdersApi() as api:
        yield api


def _template() -> dict[str, Any]:
    return {
        "Name": "Orders, looked up",
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
            },
            {"Key": "end", "Name": "End", "StepType": "Stop"},
        ],
        "Edges": [
            {"TailStepKey": "hook", "HeadStepKey": "create"},
            {"TailStepKey": "create", "HeadStepKey": "end"},
        ],
    }


@pytest.fixture
def cycle(junction: Junction, orders: OrdersApi) -> tuple[Installed, dict[str, str]]:
    installed = install_orders(junction, orders)
    wait_for(lambda: len(installed.fields()) == FOUND)
    template_id = publish(installed.partner, _template())
    made = installed.account.post(f"/v1.0/templates/{template_id}/install")
    assert made.status_code == 200, made.text
    steps = installed.account.get(f"/v1.0/cycles/{made.json()['Id']}/steps").json()
    return installed, {s["StepKey"]: s["Id"] for s in steps}


def _fields(answer: httpx.Response) -> dict[str, dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    return {item["Field"]["Name"]: item["Field"] for item in answer.json()}


def test_lookup_finds_new_fields_and_values(
    cycle: tuple[Installed, dict[str, str]], orders: OrdersApi
) -> None:
    installed, steps = cycle
    api = installed.account
    url = f"/v1.0/steps/{steps['create']}/fieldmappings"
    before = _fields(api.get(url))
    assert "Gift wrap" not in before
    assert [v["Value"] for v in before["Region"]["Values"]] == ["UK", "US"]

    # The API now describes one more field and one more region.
    region = next(d for d in orders.descriptions if d["cyclr_field_location"] == "region")
    region["cyclr_field_values"].append({"value": "FR", "label": "France"})
    orders.descriptions.append(
        {"cyclr_field_location": "gift_wrap", "cyclr_display_name": "Gift wrap"}
    )
    assert "Gift wrap" not in _fields(api.get(url))  # nothing looked up yet

    looked_up = api.post(f"{url}/lookup")
    after = _fields(looked_up)
    assert after["Gift wrap"]["Id"] < 0
    assert after["Region"]["Values"][-1] == {"Value": "FR", "Label": "France"}
    assert list(after) == [*before, "Gift wrap"]
    assert _fields(api.get(url)) == after  # stored: the listing shows them too
    assert len(installed.fields()) == FOUND + 1


def test_lookup_refusals(
    junction: Junction, cycle: tuple[Installed, dict[str, str]], orders: OrdersApi
) -> None:
    installed, steps = cycle
    api = installed.account
    tool = api.post(f"/v1.0/steps/{steps['end']}/fieldmappings/lookup")
    assert tool.status_code == 400, tool.text
    assert "step_id" in tool.json()["Message"]
    unknown = api.post("/v1.0/steps/00000000-0000-4000-8000-000000000001/fieldmappings/lookup")
    assert unknown.status_code == 404
    other = junction.http(junction.token(), account="nobody-else")
    junction.http(junction.token()).post(
        "/v1.0/accounts", json={"Id": "nobody-else", "Name": "Other"}
    )
    assert other.post(f"/v1.0/steps/{steps['create']}/fieldmappings/lookup").status_code == 404

    # The API refuses the lookup: 502 with the API's answer, and nothing changes.
    before = installed.fields()
    orders.descriptions.append({"cyclr_field_location": "never", "cyclr_display_name": "Never"})
    wrong = api.put(
        f"/v1.0/account/connectors/{installed.account_connector_id}", json={"AuthValue": "wrong"}
    )
    assert wrong.status_code == 200, wrong.text
    failed = api.post(f"/v1.0/steps/{steps['create']}/fieldmappings/lookup")
    assert failed.status_code == 502, failed.text
    assert failed.json()["UpstreamStatus"] == 401
    assert failed.json()["LookupMethod"]
    assert installed.fields() == before
