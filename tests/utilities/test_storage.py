"""Data storage and counter utility connectors: each operation, each limit, each bad input,
and a cycle that uses them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from junction.engine.transactions import ENDED
from junction.utilities import builtin
from junction.utilities.operations import UtilityContext, UtilityError, run
from tests.cycles.builders import publish
from tests.engine.hooks import hook_step, hooks_definition, wait_for
from tests.fixtures.server import Junction
from tests.fixtures.transactions import transaction_detail


def install(junction: Junction, name: str) -> tuple[httpx.Client, int]:
    """The account "acme" with the named utility connector installed."""
    junction.run(builtin.register(database=junction.services.database, now=junction.clock()))
    token = junction.token()
    partner = junction.http(token)
    if partner.get("/v1.0/accounts/acme").status_code == 404:
        assert (
            partner.post("/v1.0/accounts", json={"Id": "acme", "Name": "Acme"}).status_code == 200
        )
    account = junction.http(token, account="acme")
    [connector] = partner.get(f"/v1.0/connectors/{name}").json()
    installed = account.post(f"/v1.0/connectors/{connector['Id']}/install", json={})
    assert installed.status_code in (200, 201), installed.text
    assert installed.json()["Authenticated"] is True
    return account, int(installed.json()["Id"])


def operate(
    junction: Junction, name: str, account_connector: int, cycle: str = "cycle-1", **inputs: Any
) -> list[dict[str, Any]]:
    context = UtilityContext(
        database=junction.services.database,
        account_id="acme",
        account_connector_id=account_connector,
        cycle_id=cycle,
        now=junction.clock(),
    )
    return junction.run(run(name, context, inputs))


def test_cycle_data_storage_operations(junction: Junction) -> None:
    _, store = install(junction, "Cycle Data Storage")
    assert operate(junction, "cycle-data/set", store, Key="a", Value="1") == [
        {"Key": "a", "Value": "1"}
    ]
    assert operate(junction, "cycle-data/set", store, Key="a", Value="2") == [
        {"Key": "a", "Value": "2"}
    ]
    assert operate(junction, "cycle-data/append", store, Key="a", Value="3") == [
        {"Key": "a", "Value": "23"}
    ]
    assert operate(junction, "cycle-data/append", store, Key="b", Value="x") == [
        {"Key": "b", "Value": "x"}
    ]
    assert operate(junction, "cycle-data/get", store, Key="a") == [
        {"Key": "a", "Value": "23", "Found": True}
    ]
    assert operate(junction, "cycle-data/get", store, Key="zz") == [
        {"Key": "zz", "Value": None, "Found": False}
    ]
    # Another cycle has its own items.
    assert operate(junction, "cycle-data/get-all", store, cycle="cycle-2") == []
    assert operate(junction, "cycle-data/get-all", store) == [
        {"Key": "a", "Value": "23"},
        {"Key": "b", "Value": "x"},
    ]
    assert operate(junction, "cycle-data/delete", store, Key="a") == [{"Key": "a", "Deleted": True}]
    assert operate(junction, "cycle-data/delete", store, Key="a") == [
        {"Key": "a", "Deleted": False}
    ]
    assert operate(junction, "cycle-data/delete-all", store) == [{"Deleted": 1}]
    assert operate(junction, "cycle-data/get-all", store) == []


def test_global_data_storage_is_shared_by_cycles(junction: Junction) -> None:
    _, store = install(junction, "Global Data Storage")
    operate(junction, "global-data/set", store, cycle="one", Key="k", Value="v")
    assert operate(junction, "global-data/get", store, cycle="two", Key="k")[0]["Value"] == "v"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"Value": "v"}, "Key: required"),
        ({"Key": "k" * 129, "Value": "v"}, "Key: 129 characters; at most 128 are allowed"),
        ({"Key": "k", "Value": "v" * 1025}, "Value: 1025 characters; at most 1024 are allowed"),
        ({"Key": ["a", "b"], "Value": "v"}, "Key: must be a single value, not a list"),
    ],
)
def test_storage_limits_and_bad_input(
    junction: Junction, inputs: dict[str, Any], message: str
) -> None:
    _, store = install(junction, "Cycle Data Storage")
    operate(junction, "cycle-data/set", store, Key="k", Value="kept")
    with pytest.raises(UtilityError, match="^" + message.replace("(", r"\(") + "$"):
        operate(junction, "cycle-data/set", store, **inputs)
    # Nothing already stored is lost by a refused input.
    assert operate(junction, "cycle-data/get", store, Key="k")[0]["Value"] == "kept"


def test_an_append_past_the_value_limit_is_refused(junction: Junction) -> None:
    _, store = install(junction, "Cycle Data Storage")
    operate(junction, "cycle-data/set", store, Key="k", Value="v" * 1000)
    with pytest.raises(UtilityError, match="Value: 1030 characters"):
        operate(junction, "cycle-data/append", store, Key="k", Value="w" * 30)
    assert operate(junction, "cycle-data/get", store, Key="k")[0]["Value"] == "v" * 1000


def test_a_full_store_refuses_new_keys(junction: Junction, monkeypatch: pytest.MonkeyPatch) -> None:
    from junction.utilities import storage

    monkeypatch.setattr(storage, "MAX_ITEMS", 2)  # the documented 1,000,000, made small
    _, store = install(junction, "Cycle Data Storage")
    operate(junction, "cycle-data/set", store, Key="a", Value="1")
    operate(junction, "cycle-data/set", store, Key="b", Value="2")
    with pytest.raises(UtilityError, match=r"Key: the store is full \(2 items\)"):
        operate(junction, "cycle-data/set", store, Key="c", Value="3")
    assert operate(junction, "cycle-data/set", store, Key="a", Value="9")[0]["Value"] == "9"


def test_counters(junction: Junction) -> None:
    _, cycle_counter = install(junction, "Cycle Counter Storage")
    assert operate(junction, "cycle-counter/increment", cycle_counter, CounterName="n") == [
        {"CounterName": "n", "Value": 1}
    ]
    assert (
        operate(junction, "cycle-counter/increment", cycle_counter, CounterName="n", Amount="5")[0][
            "Value"
        ]
        == 6
    )
    assert (
        operate(junction, "cycle-counter/decrement", cycle_counter, CounterName="n")[0]["Value"]
        == 5
    )
    assert operate(junction, "cycle-counter/get", cycle_counter, CounterName="n")[0]["Value"] == 5
    assert (
        operate(junction, "cycle-counter/get", cycle_counter, cycle="other", CounterName="n")[0][
            "Value"
        ]
        == 0
    )
    assert operate(junction, "cycle-counter/reset", cycle_counter, CounterName="n")[0]["Value"] == 0
    assert operate(junction, "cycle-counter/delete", cycle_counter, CounterName="n") == [
        {"CounterName": "n", "Deleted": True}
    ]
    _, shared = install(junction, "Global Counter Storage")
    operate(junction, "global-counter/increment", shared, cycle="one", CounterName="g")
    assert (
        operate(junction, "global-counter/get", shared, cycle="two", CounterName="g")[0]["Value"]
        == 1
    )
    with pytest.raises(UtilityError, match=r"^Amount: 'x' is not a whole number$"):
        operate(junction, "cycle-counter/increment", cycle_counter, CounterName="n", Amount="x")
    with pytest.raises(UtilityError, match=r"^CounterName: required$"):
        operate(junction, "cycle-counter/increment", cycle_counter)


def test_an_unknown_operation_is_a_clear_error(junction: Junction) -> None:
    _, store = install(junction, "Cycle Data Storage")
    with pytest.raises(UtilityError, match="no utility operation 'nope/set'"):
        operate(junction, "nope/set", store)


def test_a_cycle_stores_what_its_webhook_receives(junction: Junction) -> None:
    account, _ = install(junction, "Cycle Data Storage")
    partner = junction.http(junction.token())
    assert partner.post("/v1.0/connectors", json=hooks_definition()).status_code == 201
    template_id = publish(
        partner,
        {
            "Name": "Remember names",
            "Steps": [
                hook_step(),
                {
                    "Key": "save",
                    "Name": "Save",
                    "ConnectorName": "Cycle Data Storage",
                    "MethodUniqueIdentifier": "append",
                    "FieldMappings": [
                        {
                            "Name": "Key",
                            "MappingType": "StepData",
                            "SourceStepKey": "hook",
                            "SourceField": "Email",
                        },
                        {
                            "Name": "Value",
                            "MappingType": "StepData",
                            "SourceStepKey": "hook",
                            "SourceField": "Name",
                        },
                    ],
                },
            ],
            "Edges": [{"TailStepKey": "hook", "HeadStepKey": "save"}],
        },
    )
    cycle = account.post(f"/v1.0/templates/{template_id}/install", json={}).json()
    url = account.put(f"/v1.0/cycles/{cycle['Id']}/activate", json={}).json()["Webhooks"][0]["Url"]
    for name in ("Ann", "Bob"):
        assert httpx.post(url, json={"email": "a@example.com", "name": name}).status_code == 200
    # A value longer than the limit fails its step visibly.
    httpx.post(url, json={"email": "b@example.com", "name": "x" * 2000})

    def listed() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = account.get(f"/v1.0/cycles/{cycle['Id']}/transactions").json()
        return items

    wait_for(lambda: len(listed()) == 3 and all(t["Status"] in ENDED for t in listed()))
    wait_for(lambda: sorted(t["Status"] for t in listed()) == ["Completed", "Completed", "Errored"])
    [errored] = [t for t in listed() if t["Status"] == "Errored"]
    detail = transaction_detail(account, cycle["Id"], errored["Id"])
    assert detail["Steps"][-1]["Message"] == "Value: 2000 characters; at most 1024 are allowed"
    stored = operate(
        junction,
        "cycle-data/get",
        cycle["Connectors"][0]["AccountConnectorId"]
        if cycle["Connectors"][0]["Name"] == "Cycle Data Storage"
        else cycle["Connectors"][1]["AccountConnectorId"],
        cycle=cycle["Id"],
        Key="a@example.com",
    )
    assert stored[0]["Value"] in ("AnnBob", "BobAnn")


def test_the_global_stores_list_reset_and_clear_across_cycles(junction: Junction) -> None:
    _, data = install(junction, "Global Data Storage")
    operate(junction, "global-data/set", data, cycle="one", Key="a", Value="1")
    operate(junction, "global-data/append", data, cycle="two", Key="a", Value="2")
    assert operate(junction, "global-data/get-all", data, cycle="three") == [
        {"Key": "a", "Value": "12"}
    ]
    assert operate(junction, "global-data/delete", data, cycle="three", Key="a") == [
        {"Key": "a", "Deleted": True}
    ]
    operate(junction, "global-data/set", data, cycle="one", Key="b", Value="x")
    assert operate(junction, "global-data/delete-all", data, cycle="two") == [{"Deleted": 1}]
    _, objects = install(junction, "Global Object Storage")
    operate(junction, "global-objects/add-or-update", objects, cycle="one", Key="k", Field1="v")
    assert [
        e["Key"] for e in operate(junction, "global-objects/get-all", objects, cycle="two")
    ] == ["k"]
    assert operate(junction, "global-objects/delete", objects, cycle="two", Key="k") == [
        {"Key": "k", "Deleted": True}
    ]
    assert operate(junction, "global-objects/delete-all", objects, cycle="two") == [{"Deleted": 0}]
    _, counter = install(junction, "Global Counter Storage")
    operate(junction, "global-counter/increment", counter, cycle="one", CounterName="n", Amount=3)
    assert (
        operate(junction, "global-counter/decrement", counter, cycle="two", CounterName="n")[0][
            "Value"
        ]
        == 2
    )
    assert (
        operate(junction, "global-counter/reset", counter, cycle="two", CounterName="n")[0]["Value"]
        == 0
    )
    assert operate(junction, "global-counter/delete", counter, cycle="one", CounterName="n") == [
        {"CounterName": "n", "Deleted": True}
    ]
