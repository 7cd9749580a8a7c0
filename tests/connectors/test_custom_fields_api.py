"""Custom fields of account connectors through the API: create, read, replace, remove, and
every bad input refused with the field named and nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.connectors.custom_fields_helpers import Installed, install_orders, without_lookups
from tests.fixtures.orders import OrdersApi, orders_definition
from tests.fixtures.server import Junction


@pytest.fixture
def orders() -> Iterator[OrdersApi]:
    with OrdersApi() as api:
        yield api


@pytest.fixture
def installed(junction: Junction, orders: OrdersApi) -> Installed:
    return install_orders(junction, orders, definition=without_lookups(orders_definition()))


PRIORITY: dict[str, Any] = {
    "ConnectorField": "priority_level",
    "SystemField": "PriorityLevel",
    "DisplayName": "Priority level",
    "Description": "1 to 5",
    "DataType": "Integer",
    "MethodUniqueIdentifier": "orders-create",
    "ForRequestFormat": True,
    "IsOptional": False,
}


def test_create_read_replace_and_remove(installed: Installed) -> None:
    api, url = installed.account, installed.fields_url
    assert installed.fields() == []

    created = api.post(url, json=PRIORITY)
    assert created.status_code == 200, created.text
    field = created.json()
    assert field["Id"] > 0
    assert {k: field[k] for k in PRIORITY} == PRIORITY
    assert field["Source"] == "Manual"
    assert field["IsReadOnly"] is False
    assert field["IsHidden"] is False
    assert field["FieldValues"] == []
    assert field["EntityIdentifier"] is False
    assert field["AccountConnectorId"] == installed.account_connector_id

    every = api.post(
        url,
        json={
            "ConnectorField": "meta.region",
            "DataType": "Text",
            "FieldValues": [{"Value": "UK", "Label": "United Kingdom"}, {"Value": "US"}],
        },
    )
    assert every.status_code == 200, every.text
    assert every.json()["MethodUniqueIdentifier"] is None  # every method
    assert every.json()["ForRequestFormat"] is False
    assert every.json()["FieldValues"] == [
        {"Value": "UK", "Label": "United Kingdom"},
        {"Value": "US", "Label": None},
    ]

    assert [f["Id"] for f in installed.fields()] == [field["Id"], every.json()["Id"]]
    assert api.get(f"{url}/{field['Id']}").json() == field

    replaced = api.put(
        f"{url}/{field['Id']}",
        json={**PRIORITY, "DataType": "Text", "IsHidden": True, "DefaultValue": "3"},
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["DataType"] == "Text"
    assert replaced.json()["IsHidden"] is True
    assert replaced.json()["DefaultValue"] == "3"
    assert replaced.json()["Id"] == field["Id"]

    removed = api.delete(f"{url}/{field['Id']}")
    assert removed.status_code == 200, removed.text
    assert api.get(f"{url}/{field['Id']}").status_code == 404
    assert [f["Id"] for f in installed.fields()] == [every.json()["Id"]]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        pytest.param({"ConnectorField": "a..b"}, "ConnectorField", id="bad-path"),
        pytest.param({"ConnectorField": "[]"}, "ConnectorField", id="path-names-no-field"),
        pytest.param({"ConnectorField": ""}, "ConnectorField", id="empty-path"),
        pytest.param({"SystemField": "has space"}, "SystemField", id="system-field-pattern"),
        pytest.param({"SystemField": "Customer"}, "SystemField", id="clashes-with-own-field"),
        pytest.param(
            {"SystemField": None, "ConnectorField": "customer"},
            "ConnectorField",
            id="own-field-path",
        ),
        pytest.param(
            {"MethodUniqueIdentifier": "no-such-method"},
            "MethodUniqueIdentifier",
            id="unknown-method",
        ),
        pytest.param({"DataType": "Money"}, "DataType", id="unknown-data-type"),
        pytest.param({"EntityIdentifier": True}, "EntityIdentifier", id="request-entity-id"),
        pytest.param({"Colour": "red"}, "Colour", id="unknown-key"),
        pytest.param({"FieldValues": [{"Label": "no value"}]}, "FieldValues", id="value-missing"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    installed: Installed, change: dict[str, Any], named: str
) -> None:
    api, url = installed.account, installed.fields_url
    kept = api.post(url, json={**PRIORITY, "ConnectorField": "kept", "SystemField": "Kept"})
    assert kept.status_code == 200, kept.text
    before = installed.fields()

    refused = api.post(url, json={**PRIORITY, **change})
    assert refused.status_code == 400, refused.text
    assert named in refused.json()["Message"]
    assert installed.fields() == before

    # The same input refused as a replacement leaves the field as it was.
    replaced = api.put(f"{url}/{kept.json()['Id']}", json={**PRIORITY, **change})
    assert replaced.status_code == 400, replaced.text
    assert named in replaced.json()["Message"]
    assert installed.fields() == before


def test_clashes_with_other_custom_fields(installed: Installed) -> None:
    api, url = installed.account, installed.fields_url
    first = api.post(url, json=PRIORITY).json()

    same_name = api.post(url, json={**PRIORITY, "ConnectorField": "other"})
    assert same_name.status_code == 400
    assert "SystemField" in same_name.json()["Message"]
    same_path = api.post(url, json={**PRIORITY, "SystemField": "Other"})
    assert same_path.status_code == 400
    assert "ConnectorField" in same_path.json()["Message"]
    # A field of every method overlaps the method's own.
    everywhere = api.post(url, json={**PRIORITY, "MethodUniqueIdentifier": None})
    assert everywhere.status_code == 400
    assert "SystemField" in everywhere.json()["Message"]
    assert [f["Id"] for f in installed.fields()] == [first["Id"]]

    # The other direction, or another method, is free; a field may be put back as it was.
    assert api.post(url, json={**PRIORITY, "ForRequestFormat": False}).status_code == 200
    other_method = {**PRIORITY, "MethodUniqueIdentifier": "notes-add"}
    assert api.post(url, json=other_method).status_code == 200
    assert api.put(f"{url}/{first['Id']}", json=PRIORITY).status_code == 200


def test_unknown_ids_and_other_accounts(
    junction: Junction, orders: OrdersApi, installed: Installed
) -> None:
    api, url = installed.account, installed.fields_url
    field = api.post(url, json=PRIORITY).json()
    assert api.get(f"{url}/999999").status_code == 404
    assert api.put(f"{url}/999999", json=PRIORITY).status_code == 404
    assert api.delete(f"{url}/999999").status_code == 404
    assert api.get("/v1.0/account/connectors/999999/fields").status_code == 404

    other = install_orders(junction, orders, definition=without_lookups(orders_definition()))
    # Another account sees neither the account connector nor its field.
    foreign = f"/v1.0/account/connectors/{installed.account_connector_id}/fields"
    assert other.account.get(foreign).status_code == 404
    assert other.account.post(foreign, json=PRIORITY).status_code == 404
    assert other.account.get(f"{foreign}/{field['Id']}").status_code == 404
    assert other.account.delete(f"{foreign}/{field['Id']}").status_code == 404
    # Nor through its own account connector's path.
    theirs = other.fields_url + f"/{field['Id']}"
    assert other.account.get(theirs).status_code == 404
    assert other.account.put(theirs, json=PRIORITY).status_code == 404
    assert api.get(f"{url}/{field['Id']}").json() == field
