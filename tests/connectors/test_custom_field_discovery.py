"""Custom fields discovered by the connector's lookup methods, against a real API on
loopback: enhanced descriptions, basic samples, discovery after authentication, replacing
what an earlier discovery found, and failures that change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from junction.connectors.calls.oauth import CALLBACK_PATH
from tests.connectors.custom_fields_helpers import (
    Installed,
    by_field,
    install_orders,
    wait_for,
)
from tests.connectors.test_oauth_connectors import _setup, _sign_in, oauth_definition
from tests.fixtures.oauth_provider import OAuthProvider, RegisteredClient
from tests.fixtures.orders import ORDERS_API_KEY, OrdersApi
from tests.fixtures.server import Junction


@pytest.fixture
def orders() -> Iterator[OrdersApi]:
    with OrdersApi() as api:
        yield api


def _discovered(installed: Installed, count: int) -> dict[tuple[str | None, bool, str], Any]:
    """Wait for the discovery that follows authentication to have stored ``count`` fields."""
    wait_for(lambda: len(installed.fields()) == count)
    return by_field(installed.fields())


ENHANCED_COUNT = 8  # DESCRIPTIONS less the field orders-create already has
BASIC_LIST = ["loyalty_tier", "total", "items", "gift", "placedAt"]
FOUND = ENHANCED_COUNT + 2 * len(BASIC_LIST) + 2  # + tracking_code, eta_days


def test_enhanced_descriptions_become_request_fields(junction: Junction, orders: OrdersApi) -> None:
    installed = install_orders(junction, orders)
    fields = _discovered(installed, FOUND)
    request = {k[2]: v for k, v in fields.items() if k[1]}
    assert sorted(request) == sorted(
        ["priority_level", "due", "region", "channel", "source", "internal_no", "rush", "weight"]
    )
    assert all(f["MethodUniqueIdentifier"] == "orders-create" for f in request.values())
    assert all(f["Source"] == "Lookup" for f in fields.values())

    def attributes(name: str) -> dict[str, Any]:
        keys = ("SystemField", "DisplayName", "Description", "DataType", "DataTypeFormat")
        more = ("DefaultValue", "IsOptional", "IsReadOnly", "IsHidden", "FieldValues")
        return {k: request[name][k] for k in keys + more}

    plain = {"Description": None, "DataTypeFormat": None, "DefaultValue": None}
    flags = {"IsOptional": True, "IsReadOnly": False, "IsHidden": False, "FieldValues": []}
    assert attributes("priority_level") == {
        "SystemField": "priority_level",
        "DisplayName": "Priority level",
        "Description": "1 (low) to 5 (urgent)",
        "DataType": "Integer",
        "DataTypeFormat": None,
        "DefaultValue": None,
        **flags,
        "IsOptional": False,
    }
    assert attributes("due") == {
        "SystemField": "due",
        "DisplayName": "Due date",
        **plain,
        "DataType": "DateTime",
        "DataTypeFormat": "yyyy-MM-dd",
        **flags,
    }
    assert request["region"]["FieldValues"] == [
        {"Value": "UK", "Label": "United Kingdom"},
        {"Value": "US", "Label": "United States"},
    ]
    assert request["region"]["DataType"] == "Text"
    # The plain list form; data type 0 (not defined) is Text.
    assert request["channel"]["FieldValues"] == [
        {"Value": "web", "Label": None},
        {"Value": "phone", "Label": None},
    ]
    assert request["channel"]["DataType"] == "Text"
    assert attributes("source") == {
        "SystemField": "source",
        "DisplayName": "Source",
        **plain,
        "DataType": "Text",
        **flags,
        "IsHidden": True,
        "DefaultValue": "junction",
    }
    assert request["internal_no"]["IsReadOnly"] is True
    assert request["internal_no"]["DataType"] == "Integer"
    assert request["rush"]["DataType"] == "Boolean"
    assert request["weight"]["DataType"] == "Float"


def test_basic_samples_become_response_fields_and_shared_lookups_run_once(
    junction: Junction, orders: OrdersApi
) -> None:
    installed = install_orders(junction, orders)
    fields = _discovered(installed, FOUND)
    for method in ("orders-list", "orders-recent"):
        found = {k[2]: v for k, v in fields.items() if k[0] == method}
        assert sorted(found) == sorted(f"[orders].{key}" for key in BASIC_LIST)
        assert {f["SystemField"]: f["DataType"] for f in found.values()} == {
            "loyalty_tier": "Text",
            "total": "Float",
            "items": "Integer",
            "gift": "Boolean",
            "placedAt": "DateTime",
        }
        assert found["[orders].loyalty_tier"]["DisplayName"] == "Loyalty Tier"
        assert found["[orders].placedAt"]["DisplayName"] == "Placed At"
        assert all(not f["ForRequestFormat"] for f in found.values())
    created = {k[2]: v for k, v in fields.items() if k[0] == "orders-create" and not k[1]}
    assert {k: v["DataType"] for k, v in created.items()} == {
        "tracking_code": "Text",
        "eta_days": "Integer",
    }
    # One call per lookup, though two methods share orders-sample.
    assert len(orders.requests_to("GET", "/orders/sample")) == 1
    assert len(orders.requests_to("GET", "/fields/orders")) == 1
    assert orders.requests_to("GET", "/orders/sample")[0].header("X-Api-Key") == ORDERS_API_KEY

    # The listing and Data on Demand use them.
    orders.orders.append({"id": 7, "customer": "Ann", "loyalty_tier": "gold", "total": "9.5"})
    tested = installed.account.get(
        f"/v1.0/account/connectors/{installed.account_connector_id}/test/orders-list"
    )
    assert tested.status_code == 200, tested.text
    assert tested.json()["Records"] == [
        {
            "Id": 7,
            "Customer": "Ann",
            "loyalty_tier": "gold",
            "total": 9.5,
            "items": None,
            "gift": None,
            "placedAt": None,
        }
    ]


def test_data_on_demand_takes_custom_fields_as_inputs(
    junction: Junction, orders: OrdersApi
) -> None:
    installed = install_orders(junction, orders)
    fields = _discovered(installed, FOUND)
    priority = fields[("orders-create", True, "priority_level")]
    url = f"/v1.0/account/connectors/{installed.account_connector_id}/test/orders-create"
    answer = installed.account.post(
        url,
        json={
            "Fields": {
                "Customer": "Ann",
                str(-priority["Id"]): "4",  # by its Id among the method's fields
                "region": "UK",  # by SystemField
                "due": "2024-05-01T09:00:00Z",
            }
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["Success"] is True, answer.text
    assert orders.orders[-1] == {
        "customer": "Ann",
        "priority_level": 4,
        "region": "UK",
        "due": "2024-05-01",
        "source": "junction",  # hidden: sent with its default value
        "id": 1,
        "tracking_code": "T-1",
    }
    # The answer maps the custom response fields too.
    assert answer.json()["Records"] == [{"Id": 1, "tracking_code": "T-1", "eta_days": None}]

    missing = installed.account.post(url, json={"Fields": {"Customer": "Bob"}})
    assert missing.status_code == 400
    assert "priority_level" in missing.json()["Message"]
    read_only = installed.account.post(
        url, json={"Fields": {"Customer": "Bob", "priority_level": 1, "internal_no": 5}}
    )
    assert read_only.status_code == 400  # never sent, so not an input either
    assert "internal_no" in read_only.json()["Message"]
    assert len(orders.orders) == 1


def test_rediscovery_replaces_lookup_fields_and_keeps_manual_ones(
    junction: Junction, orders: OrdersApi
) -> None:
    installed = install_orders(junction, orders)
    before = _discovered(installed, FOUND)
    api, url = installed.account, installed.fields_url
    manual = api.post(
        url,
        json={
            "ConnectorField": "rush",  # also described by the lookup: the manual one wins
            "SystemField": "Rush",
            "DataType": "Text",
            "MethodUniqueIdentifier": "orders-create",
            "ForRequestFormat": True,
        },
    )
    assert manual.status_code == 400  # the lookup's field is there already
    assert "ConnectorField" in manual.json()["Message"]
    weight = before[("orders-create", True, "weight")]
    edited = api.put(
        f"{url}/{weight['Id']}",
        json={
            "ConnectorField": "weight",
            "SystemField": "WeightKg",
            "DataType": "Decimal",
            "MethodUniqueIdentifier": "orders-create",
            "ForRequestFormat": True,
        },
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["Source"] == "Manual"  # edited by hand: kept from now on

    same = installed.discover()
    assert same.status_code == 200, same.text
    assert {k: same.json()[k] for k in ("Added", "Changed", "Removed")} == {
        "Added": 0,
        "Changed": 0,
        "Removed": 0,
    }
    assert same.json()["Unchanged"] == FOUND - 1

    orders.descriptions = [d for d in orders.descriptions if d["cyclr_field_location"] != "rush"]
    orders.descriptions[0]["cyclr_display_name"] = "Priority"
    orders.descriptions.append({"cyclr_field_location": "gift_wrap", "cyclr_display_name": "Wrap"})
    orders.list_sample.pop("gift")
    again = installed.discover()
    assert again.status_code == 200, again.text
    body = again.json()
    assert (body["Added"], body["Changed"], body["Removed"]) == (1, 1, 3)
    after = by_field(installed.fields())
    assert ("orders-create", True, "rush") not in after
    assert ("orders-list", False, "[orders].gift") not in after
    assert after[("orders-create", True, "gift_wrap")]["Source"] == "Lookup"
    priority = after[("orders-create", True, "priority_level")]
    assert priority["DisplayName"] == "Priority"
    assert priority["Id"] == before[("orders-create", True, "priority_level")]["Id"]
    assert after[("orders-create", True, "weight")] == edited.json()
    assert {f["Id"] for f in body["Fields"]} == {
        f["Id"] for f in after.values() if f["Source"] == "Lookup"
    }


def test_a_failing_lookup_changes_nothing(junction: Junction, orders: OrdersApi) -> None:
    installed = install_orders(junction, orders)
    before = _discovered(installed, FOUND)
    orders.descriptions = []
    orders.fail_next(10, 500)
    failed = installed.discover()
    assert failed.status_code == 502, failed.text
    assert failed.json()["LookupMethod"] == "order-fields"
    assert failed.json()["UpstreamStatus"] == 500
    assert "injected failure" in failed.json()["UpstreamBody"]
    assert "order-fields" in failed.json()["Message"]
    orders.fail_next(0)
    assert by_field(installed.fields()) == before

    # An API that refuses the credentials is reported as well, and loses nothing either.
    installed.account.put(
        f"/v1.0/account/connectors/{installed.account_connector_id}",
        json={"AuthValue": "wrong-key"},
    )
    refused = installed.discover()
    assert refused.status_code == 502
    assert refused.json()["UpstreamStatus"] == 401
    assert "wrong-key" not in refused.text
    assert by_field(installed.fields()) == before


def test_discovery_after_authentication(junction: Junction, orders: OrdersApi) -> None:
    installed = install_orders(junction, orders, auth_value=None)
    assert installed.discover().status_code == 400  # not authenticated yet
    orders.fail_next(1, 503)
    ac = f"/v1.0/account/connectors/{installed.account_connector_id}"
    # The first lookup fails (once; the runtime retries it): authentication still succeeds.
    done = installed.account.put(ac, json={"AuthValue": ORDERS_API_KEY})
    assert done.status_code == 200, done.text
    assert done.json()["Authenticated"] is True
    _discovered(installed, FOUND)
    assert installed.account.get(ac).json()["Authenticated"] is True

    # A lookup failing after authentication leaves the connector authenticated.
    orders.fail_next(50, 500)
    again = installed.account.put(ac, json={"AuthValue": ORDERS_API_KEY})
    assert again.status_code == 200
    wait_for(lambda: len(orders.requests_to("GET", "/fields/orders")) >= 2)
    orders.fail_next(0)
    assert installed.account.get(ac).json()["Authenticated"] is True
    assert len(installed.fields()) == FOUND


def test_discovery_after_an_oauth_sign_in(junction: Junction) -> None:
    with OAuthProvider(require_pkce=True) as provider:
        provider.add_client(
            RegisteredClient(
                "junction-app",
                "app-secret",
                redirect_uris=(junction.base_url + CALLBACK_PATH,),
                token_endpoint_auth_method="client_secret_post",
            )
        )
        api, connector = _setup_with_lookup(junction, provider)
        row = api.post(f"/v1.0/connectors/{connector}/install", json={}).json()
        _sign_in(junction, api, row["Id"])
        url = f"/v1.0/account/connectors/{row['Id']}/fields"
        wait_for(lambda: len(api.get(url).json()) == 2)
        found = {f["ConnectorField"]: f for f in api.get(url).json()}
        assert sorted(found) == ["client_id", "scope"]
        assert found["scope"]["MethodUniqueIdentifier"] == "me"


def _setup_with_lookup(junction: Junction, provider: OAuthProvider) -> tuple[httpx.Client, int]:
    """The OAuth tests' set-up, plus their connector with a basic lookup on ``me``."""
    api, _ = _setup(junction, provider, "AuthorisationCode")
    definition = oauth_definition(provider, "AuthorisationCode")
    definition["Name"] = "Provider with custom fields"
    definition["Methods"][0]["ResponseCustomFieldsLookupMethod"] = "me-sample"
    definition["Methods"].append(
        {"Name": "Me sample", "MethodUniqueIdentifier": "me-sample", "Endpoint": "/me"}
    )
    partner = junction.http(api.headers["Authorization"].split()[1])
    added = partner.post("/v1.0/connectors", json=definition)
    assert added.status_code in (200, 201), added.text
    props = partner.put(
        f"/v1.0/connectors/{added.json()['Id']}/partnerproperties",
        json=[
            {"Name": "OAuthClientId", "Value": "junction-app"},
            {"Name": "OAuthClientSecret", "Value": "app-secret"},
        ],
    )
    assert props.status_code == 200, props.text
    return api, int(added.json()["Id"])
