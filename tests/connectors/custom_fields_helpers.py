"""Set-up shared by the custom field tests: the Orders connector installed in an account."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from tests.fixtures.orders import ORDERS_API_KEY, OrdersApi, orders_definition
from tests.fixtures.server import Junction


@dataclass(frozen=True)
class Installed:
    account: httpx.Client
    partner: httpx.Client
    account_id: str
    connector_id: int
    account_connector_id: int

    @property
    def fields_url(self) -> str:
        return f"/v1.0/account/connectors/{self.account_connector_id}/fields"

    def fields(self) -> list[dict[str, Any]]:
        listed = self.account.get(self.fields_url)
        assert listed.status_code == 200, listed.text
        found: list[dict[str, Any]] = listed.json()
        return found

    def discover(self) -> httpx.Response:
        return self.account.post(self.fields_url + "/discover")


def without_lookups(document: dict[str, Any]) -> dict[str, Any]:
    for method in document["Methods"]:
        method.pop("RequestCustomFieldsLookupMethod", None)
        method.pop("ResponseCustomFieldsLookupMethod", None)
    return document


def install_orders(
    junction: Junction,
    orders: OrdersApi,
    *,
    definition: dict[str, Any] | None = None,
    auth_value: str | None = ORDERS_API_KEY,
) -> Installed:
    """A fresh account with the Orders connector installed (authenticated unless
    ``auth_value`` is None)."""
    token = junction.token()
    partner = junction.http(token)
    added = partner.post("/v1.0/connectors", json=definition or orders_definition())
    assert added.status_code in (200, 201), added.text
    account_id = f"orders-{uuid.uuid4().hex[:8]}"
    created = partner.post("/v1.0/accounts", json={"Id": account_id, "Name": account_id})
    assert created.status_code == 200, created.text
    account = junction.http(token, account=account_id)
    install: dict[str, Any] = {"Properties": [{"Name": "ApiBase", "Value": orders.base_url}]}
    if auth_value is not None:
        install["AuthValue"] = auth_value
    row = account.post(f"/v1.0/connectors/{added.json()['Id']}/install", json=install)
    assert row.status_code == 200, row.text
    return Installed(account, partner, account_id, int(added.json()["Id"]), int(row.json()["Id"]))


def wait_for(condition: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not become true in time")
        time.sleep(0.05)


def by_field(fields: list[dict[str, Any]]) -> dict[tuple[str | None, bool, str], dict[str, Any]]:
    """Fields by (MethodUniqueIdentifier, ForRequestFormat, ConnectorField)."""
    return {
        (f["MethodUniqueIdentifier"], f["ForRequestFormat"], f["ConnectorField"]): f for f in fields
    }
